"""The scalar reference: the whole pipeline, one trial at a time, written for clarity.

It is the oracle for the vectorised engine (tests/test_reference.py: given the same pre-drawn
random inputs, both give the same outputs) and the baseline for its speed
(benchmarks/engine.py). It shares no code with alliancesim.model or scenario/compile.py: it
builds the members' features from the resolved scenario itself (affinities, ties, bases, the
leader's stake, the treaty's coverage, the decision rule's quota) and runs every stage with
plain Python floats and the math module. What it shares with the engine is the input: the
resolved scenario and the drawn random numbers (engine.TrialInputs, by quantity name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alliancesim.engine import TrialInputs, TrialResults
from alliancesim.scenario.schema import Alliance, BargainingParameters, Scenario

NONE_, STATEMENT, CONSULTATIONS, MISSION, MILITARY = range(5)
CAP_BY_REQUEST = {0: CONSULTATIONS, 1: CONSULTATIONS, 2: MILITARY, 3: MISSION}
# the victim's own vote: nothing without a request (it refuses involvement), consultations when
# it asked for them, every rung when it asked for military help, up to a mission when it asked
# for material help (index 3: model/request.py)
VICTIM_VOTE = {0: 0, 1: CONSULTATIONS, 2: MILITARY, 3: MISSION}
REPELLED, CONTAINED, LOST = 0, 1, 2


def decide(preferred: list[int], rule: str, quota: int, leader: int,
           consensus_from: int = 1) -> int:
    """The decision rule on a list of preferred rungs."""
    if rule == "consensus":
        # the highest rung every member supports, or, below consensus_from, a simple majority
        for rung in range(MILITARY, NONE_, -1):
            needed = len(preferred) if rung >= consensus_from else len(preferred) // 2 + 1
            if sum(1 for p in preferred if p >= rung) >= needed:
                return rung
        return NONE_
    if rule in ("qualified_majority", "simple_majority"):
        # the highest rung that at least `quota` members support
        for rung in range(MILITARY, NONE_ - 1, -1):
            if sum(1 for p in preferred if p >= rung) >= quota:
                return rung
        return NONE_
    return preferred[leader]


def best_share(C: float, V: float, S: float, pi: float, s0: float, cap: float) -> float:
    """A member's best contribution when the allied total is C (see model/forces.py)."""
    public = V * S / (S + C)
    if public >= 1.0:
        return cap
    return min(max(pi * s0 / (1.0 - public) - s0, 0.0), cap)


def contributions(V: list[float], S: float, pi: float, s0: float, cap: list[float],
                  iterations: int = 60) -> list[float]:
    """The Nash equilibrium: the total C solving sum_i best_share(C) = C, by bisection."""
    M = len(V)
    lo, hi = 0.0, sum(cap)
    if hi <= 0.0:
        return [0.0] * M
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if sum(best_share(mid, V[i], S, pi, s0, cap[i]) for i in range(M)) - mid > 0.0:
            lo = mid
        else:
            hi = mid
    total = 0.5 * (lo + hi)
    c = [best_share(hi, V[i], S, pi, s0, cap[i]) for i in range(M)]
    # members on the step of their best reply (no private benefit) take what is left,
    # highest valuation first, each up to its cap
    residual = total - sum(c)
    for i in sorted(range(M), key=lambda i: (-V[i], i)):
        if residual <= 1e-9 * (1.0 + total):  # within the root's tolerance: no one's
            break
        add = min(residual, cap[i] - c[i]) if cap[i] - c[i] > 1e-12 else 0.0
        c[i] += add
        residual -= add
    return c


def fight(A0: float, D0: float, qA: float, qD: float, k: float, brk: float, ratio: float,
          eff: float, horizon: int, irregular: bool,
          arrivals: list[tuple[int, float]]) -> tuple[int, int, float, float]:
    """The daily Lanchester engagement: (outcome, end day, defender losses, aggressor losses)."""
    by_day = [0.0] * (horizon + 1)
    for day, amount in arrivals:
        if amount > 0.0 and day <= horizon:
            by_day[day] += amount
    A, D = A0, D0 + by_day[0]
    arrived = D
    kd = k * qD * (eff if irregular else 1.0)
    ka = k * qA
    for day in range(1, horizon + 1):
        if irregular:
            A_next = max(A * (1.0 - kd * D / max(A0, 1e-12)), 0.0)
        else:
            A_next = max(A - kd * D, 0.0)
        D_next = max(D - ka * A, 0.0) + by_day[day]
        arrived += by_day[day]
        A, D = A_next, D_next
        if D < ratio * A:
            return LOST, day, arrived - D, A0 - A
        if A <= (1.0 - brk) * A0:
            return REPELLED, day, arrived - D, A0 - A
    return CONTAINED, horizon, arrived - D, A0 - A


@dataclass(frozen=True)
class Crisis:
    """One crisis of a resolved scenario, as the reference reads it."""

    members: list[str]
    victim: int
    leader: int
    aggressor_member: int
    rule: str
    quota: int
    consensus_from: int
    noise: str
    request_fixed: int
    irregular: bool
    horizon_days: int
    exposure: list[float]
    affinity_victim: list[float]
    affinity_aggressor: list[float]
    leader_stake: list[float]
    is_aggressor: list[float]
    tie_to_victim: list[float]
    tie_to_aggressor: list[float]
    in_scope: float
    distance: list[float]  # km from each member to the victim for the loss of strength
    aggressor_distance: float
    council: str = "ordered_probit"  # parameters.council.model
    bargaining: BargainingParameters | None = None  # its rounds and readings (expected_utility)


def _capitals_km(scenario: Scenario, a: str, b: str) -> float | None:
    ca, cb = scenario.actors[a].capital, scenario.actors[b].capital
    if ca is None or cb is None:
        return None
    # the haversine formula on a sphere of the mean Earth radius
    la1, la2 = math.radians(ca.lat), math.radians(cb.lat)
    h = (math.sin((la2 - la1) / 2) ** 2
         + math.cos(la1) * math.cos(la2) * math.sin(math.radians(cb.lon - ca.lon) / 2) ** 2)
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def read_crisis(scenario: Scenario, index: int) -> Crisis:
    """The members' features of one crisis, straight from the resolved scenario."""
    alliance = scenario.alliance
    assert isinstance(alliance, Alliance), "resolve the scenario first"
    c = scenario.crises[index]
    members = list(alliance.members)
    n = len(members)
    victim = members.index(c.victim)
    leader = members.index(alliance.leader) if alliance.leader else -1
    agg = members.index(c.aggressor) if c.aggressor in members else -1

    def affinity(a: str, b: str) -> float:
        if a == b:
            return 1.0
        for p in scenario.affinity:
            if {p.a, p.b} == {a, b}:
                return p.value
        if a in members and b in members:
            return alliance.member_affinity.value
        return 0.0

    def tie(a: str, b: str) -> float:
        strength = 0.0
        for t in alliance.ties:
            if {t.a, t.b} == {a, b}:
                strength = t.strength
        for base in alliance.bases:  # a base in a state ties its owner to it fully
            if base.owner == a and base.host == b:
                strength = max(strength, 1.0)
        return strength

    tie_v = [tie(m, c.victim) for m in members]
    pairs = {frozenset((g.a, g.b)): (g.contiguity, g.distance_km) for g in scenario.geography}

    def distance(a: str, based: bool) -> float:
        """The loss-of-strength distance from a to the victim (docs/model.md, "Geography")."""
        cont, mind = pairs.get(frozenset((a, c.victim)), (0, None))
        if a == c.victim or based or cont in (1, 2, 3):
            return 0.0
        caps = _capitals_km(scenario, a, c.victim)
        return caps if caps is not None else (mind if mind is not None else 0.0)

    def proximity(a: str, b: str) -> float:
        cont, mind = pairs.get(frozenset((a, b)), (0, None))
        if cont:
            return {1: 0.3, 2: 0.2, 3: 0.2, 4: 0.1, 5: 0.1}[cont]
        near = mind if mind is not None else _capitals_km(scenario, a, b)
        return 0.0 if near is None else 0.1 * max(0.0, 1.0 - near / 1000.0)

    def exposure(i: int, m: str) -> float:
        hand = c.exposure.get(m)
        if hand is not None:
            return float(hand if isinstance(hand, float | int) else hand.value)
        if i == victim:
            return 1.0
        near = proximity(m, c.victim)
        return round(max(near, proximity(m, c.aggressor)) if m != c.aggressor else near, 6)

    based_in_victim = {b.owner for b in alliance.bases if b.host == c.victim}
    d = alliance.disputed_territory_coverage.value
    disputed = d if isinstance(d, float | int) else d.mean()
    coverage = alliance.scope[c.threat].coverage * (disputed if c.territory == "disputed"
                                                    else 1.0)
    rule = alliance.decision_rule
    # a member that attacked another neither votes nor leads (model/council/rules.py,
    # rule_of): the quota counts the other members, and a leader that attacked leads nothing
    n_rule = n - (agg >= 0)
    name = "consensus" if rule.rule == "leader" and (leader < 0 or leader == agg) else rule.rule
    if name == "consensus":
        quota = n_rule
    elif name == "simple_majority":
        quota = n_rule // 2 + 1
    elif name == "qualified_majority":
        assert rule.threshold is not None
        quota = max(1, math.ceil(rule.threshold * n_rule - 1e-9))
    else:
        quota = 1
    law = c.engagement_law
    irregular = (c.threat in ("insurgency", "internal_unrest")) if law == "auto" else (
        law == "irregular")
    return Crisis(
        members=members, victim=victim, leader=leader, aggressor_member=agg, rule=name,
        quota=quota,
        consensus_from=["none", "statement", "consultations", "mission", "military"].index(
            rule.consensus_from.value),
        noise=scenario.parameters.council.noise,
        request_fixed=["none", "consultations", "military", "material"].index(c.request)
        if c.request != "auto" else -1,
        irregular=irregular, horizon_days=scenario.parameters.engagement.horizon_days,
        exposure=[exposure(i, m) for i, m in enumerate(members)],
        affinity_victim=[affinity(m, c.victim) for m in members],
        affinity_aggressor=[affinity(m, c.aggressor) for m in members],
        leader_stake=[tie_v[i] if i == leader else 0.0 for i in range(n)],
        is_aggressor=[1.0 if i == agg else 0.0 for i in range(n)],
        tie_to_victim=tie_v, tie_to_aggressor=[tie(m, c.aggressor) for m in members],
        in_scope=float(coverage),
        distance=[distance(m, m in based_in_victim) for m in members],
        aggressor_distance=(distance(c.aggressor, False)
                            if scenario.actors[c.aggressor].kind == "state" else 0.0),
        council=scenario.parameters.council.model,
        bargaining=scenario.parameters.council.bargaining,
    )


# --------------------------------------------------------------------------- the EUM council
# Bueno de Mesquita's expected-utility model, written out again for one game with lists
# (docs/eum.md gives the equations; Scholz, Calbert & Smith 2011), for the expected-utility
# council: the members' positions 100 Phi(support) on the 0-100 scale, their saliences and
# capabilities by the written rule of docs/eum.md ("As a council").
SCALE = 100.0
NO_OFFER, CONFRONTATION, COMPROMISE, CAPITULATION = 0, 1, 2, 3


def phi(z: float) -> float:
    """The standard normal distribution function."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def eum_median(x: list[float], w: list[float]) -> float:
    """The weighted median: the position with the least weighted distance to the others'
    (the lowest of those within a relative 1e-12 of the least)."""
    spread = sum(abs(v) for v in w) * (max(x) - min(x))
    far = [sum(w[i] * abs(x[i] - xj) for i in range(len(x))) for xj in x]
    least = min(far)
    return min(xj for xj, d in zip(x, far, strict=True)
               if d <= least + 1e-12 * max(1.0, spread))


def eum_probabilities(x: list[float], w: list[float], r: list[float], span: float,
                      b: BargainingParameters) -> list[list[float]]:
    """P[i][j]: the probability that i prevails over j (the votes' share for i)."""
    n = len(x)
    num = [[0.0] * n for _ in range(n)]
    den = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            for k in range(n):
                far_j, far_i = abs(x[k] - x[j]), abs(x[k] - x[i])
                if b.votes == "risk":
                    far_j, far_i = (far_j / span) ** r[k], (far_i / span) ** r[k]
                vote = far_j - far_i
                if vote > 0.0:
                    num[i][j] += w[k] * vote
                den[i][j] += w[k] * abs(vote)
    if b.denominator == "all_pairs":
        total = 0.0
        for i in range(n):
            for j in range(n):
                total += den[i][j]
        return [[0.0 if (x[i] == x[j] or total <= 0.0) else num[i][j] / total
                 for j in range(n)] for i in range(n)]
    return [[0.0 if (x[i] == x[j] or den[i][j] <= 0.0) else num[i][j] / den[i][j]
             for j in range(n)] for i in range(n)]


def eum_expected(x: list[float], s: list[float], p: list[list[float]], mu: float, span: float,
                 b: BargainingParameters, i: int, j: int, r: float) -> float:
    """E^i(U_ij): what i expects from challenging j, with the risk exponent r."""
    if i == j:
        return 0.0
    d, m = abs(x[i] - x[j]) / span, abs(x[i] - mu) / span
    success = 2.0 - 4.0 * max(0.5 - 0.5 * d, 0.0) ** r
    failure = 2.0 - 4.0 * max(0.5 + 0.5 * d, 0.0) ** r
    better = 2.0 - 4.0 * max(0.5 - 0.25 * (m + d), 0.0) ** r
    worse = 2.0 - 4.0 * max(0.5 + 0.25 * (m + d), 0.0) ** r
    status_quo = 2.0 - 4.0 * 0.5 ** r
    if b.t is not None:
        t = b.t
    else:
        t = 1.0 if abs(x[i] - mu) < abs(x[i] - x[j]) else 0.0
    challenge = s[j] * (p[i][j] * success + (1.0 - p[i][j]) * failure) + (1.0 - s[j]) * success
    unchallenged = t * better + (1.0 - t) * worse
    sign = 1.0 if b.no_challenge == "add" else -1.0
    return challenge - b.q * status_quo + sign * (1.0 - b.q) * unchallenged


def eum_round(x: list[float], c: list[float], s: list[float], span: float,
              b: BargainingParameters) -> list[float]:
    """One round: the median, the risk exponents from the security levels, the expected
    utilities with them, and every member's chosen offer, taken at once."""
    n = len(x)
    w = [c[i] * s[i] for i in range(n)]
    mu = eum_median(x, w)
    p = eum_probabilities(x, w, [1.0] * n, span, b)
    neutral = [[eum_expected(x, s, p, mu, span, b, i, j, 1.0) for j in range(n)]
               for i in range(n)]
    security = [sum(neutral[j][i] for j in range(n)) for i in range(n)]
    top, bottom = max(security), min(security)
    spread = top - bottom
    r = []
    for i in range(n):
        big_r = (0.0 if spread <= 1e-12 * max(1.0, abs(top))
                 else min(1.0, max(-1.0, (2.0 * security[i] - top - bottom) / spread)))
        r.append((1.0 - big_r / 3.0) / (1.0 + big_r / 3.0))
    if b.votes == "risk":
        p = eum_probabilities(x, w, r, span, b)
    new = list(x)
    for i in range(n):
        best: tuple[float, float, float] | None = None
        for j in range(n):
            a = eum_expected(x, s, p, mu, span, b, i, j, r[i])
            bj = eum_expected(x, s, p, mu, span, b, j, i,
                              r[i] if b.perspective == "mover" else r[j])
            if x[i] == x[j] or not bj > 0.0:
                continue
            if a > 0.0 and bj > a and b.conflict != "no_move":
                kind, target = CONFRONTATION, x[j]
            elif a < 0.0 and bj > -a:
                kind, target = COMPROMISE, x[i] + (x[j] - x[i]) * (abs(a) / bj)
            elif a < 0.0 and -a > bj:
                kind, target = CAPITULATION, x[j]
            else:
                continue
            move = abs(target - x[i])
            if b.offers == "least_move":
                key = (move, -bj, 0.0)
            elif b.offers == "most_enforceable":
                key = (-bj, move, 0.0)
            elif b.offers == "by_kind":
                key = (float(kind), move, 0.0)
            else:  # scholz_code: compromises by their weighted position
                weighted = (abs(a) * x[i] + bj * x[j]) / (abs(a) + bj) if abs(a) + bj > 0 else 0.0
                key = (float(kind), weighted if kind == COMPROMISE else move, 0.0)
            if best is None or key < best:  # ties: the earlier proposer
                best, new[i] = key, target
    return new


def eum_council(model: Crisis, support: list[float], troops: list[float],
                features: dict[str, list[float]], tau: list[float], bar: float
                ) -> tuple[list[int], list[bool]]:
    """The expected-utility council's preferred rungs and unilateral flags: positions
    100 Phi(support), saliences clip(exposure + leader_stake + max(|aff_v|, |aff_a|) / 2,
    0.05, 1), capabilities the troops' shares (0 for a member that attacked another), the
    rounds, then the cuts 100 Phi(tau) below each final position and 100 Phi(bar) for acting
    alone."""
    b = model.bargaining
    assert b is not None
    M = len(support)
    x = [SCALE * phi(v) for v in support]
    s = [min(max(features["exposure"][i] + features["leader_stake"][i]
                 + 0.5 * max(abs(features["affinity_victim"][i]),
                             abs(features["affinity_aggressor"][i])), 0.05), 1.0)
         for i in range(M)]
    total = max(sum(troops), 1.0)
    c = [troops[i] / total if features["is_aggressor"][i] < 0.5 else 0.0 for i in range(M)]
    for _ in range(b.rounds):
        x = eum_round(x, c, s, SCALE, b)
    preferred = [sum(1 for t in tau if x[i] > SCALE * phi(t)) for i in range(M)]
    return preferred, [x[i] > SCALE * phi(bar) for i in range(M)]


FEATURES = ("exposure", "affinity_victim", "affinity_aggressor", "leader_stake", "in_scope",
            "cost", "is_aggressor")


def trial(model: Crisis, x: dict[str, float], eta: float, e: list[float], z: float,
          leader_draw: float = 1.0) -> dict[str, object]:
    """One trial of the whole pipeline."""
    members = model.members
    M, v = len(members), model.victim
    troops = [x[f"troops.{m}"] for m in members]
    quality = [x[f"quality.{m}"] for m in members]
    half = x["geography.half_strength_km"]
    if "aggressor_strength" in x:
        S = x["aggressor_strength"]
    else:  # projected over the aggressor's distance to the victim
        S = max(x["aggressor_troops"] * x["aggressor_commitment"]
                / (1.0 + model.aggressor_distance / half), 1.0)
    D0 = x["defender_commitment"] * troops[v]

    # 1. request
    if model.request_fixed >= 0:
        req = model.request_fixed
    else:
        r = (x["request.intercept"]
             + x["request.threat"] * math.log(max(S, 1e-9) / max(D0, 1e-9))
             + x["request.trust_weight"] * (x["trust"] - 0.5) + eta)
        req = int(r > x["request.cutpoints.1"]) + int(r > x["request.cutpoints.2"])
    cap = CAP_BY_REQUEST[req]

    # 2. council
    others = sum(troops) - troops[v]
    cost = math.log1p(S / max(others, 1.0))
    features = {
        "exposure": list(model.exposure), "affinity_victim": list(model.affinity_victim),
        "affinity_aggressor": list(model.affinity_aggressor),
        "leader_stake": list(model.leader_stake), "in_scope": [model.in_scope] * M,
        "cost": [cost] * M, "is_aggressor": list(model.is_aggressor),
    }
    tau = sorted(x[f"council.cutpoints.{k}"] for k in range(1, 5))
    rho = x["council.shock_correlation"]
    preferred, support = [], []
    for i in range(M):
        mu = x["council.intercept"] + x["council.alliance_intercept"] + sum(
            x[f"council.coefficients.{f}"] * features[f][i] for f in FEATURES)
        eps = e[i] if model.noise == "independent" else (
            math.sqrt(rho) * z + math.sqrt(1.0 - rho) * e[i])
        preferred.append(sum(1 for t in tau if mu + eps > t))
        support.append(mu + eps)
    bar = tau[3] + x["council.unilateral_margin"]
    alone_by_support = [support[i] > bar for i in range(M)]
    if model.council == "expected_utility":  # the members bargain from 100 Phi(support)
        preferred, alone_by_support = eum_council(model, support, troops, features, tau, bar)
    preferred[v] = VICTIM_VOTE[req]
    # a member that attacked another neither votes nor leads (model/council/rules.py, rule_of):
    # the council is the other members; the party's own preference counts for nothing
    a = model.aggressor_member
    if a >= 0:
        preferred[a] = NONE_
    voters = [i for i in range(M) if i != a]
    lead = voters.index(model.leader) if model.leader >= 0 and model.leader != a else -1
    # the leader's weight: in this share of trials the leader's preference alone decides
    rule = model.rule
    if lead >= 0 and rule != "leader" and leader_draw < x["council.leader_weight"]:
        rule = "leader"

    def council(prefs: list[int]) -> int:
        return min(decide([prefs[i] for i in voters], rule, model.quota, lead,
                          model.consensus_from), cap)

    rung = council(preferred)
    holds_out = [i not in (v, a) and rung < cap and preferred[i] <= rung for i in range(M)]
    sole_veto = []
    for i in range(M):
        if i in (v, a):
            sole_veto.append(False)
            continue
        alt = list(preferred)
        alt[i] = cap
        sole_veto.append(council(alt) > rung)

    # 3. fallback
    def willing(i: int) -> bool:
        return preferred[i] == MILITARY and i != v and i != model.aggressor_member

    fell_back = False
    participant = []
    for i in range(M):
        if rung == MILITARY:
            participant.append(willing(i))
        else:
            tied = (model.tie_to_victim[i] > 0
                    and model.tie_to_victim[i] > model.tie_to_aggressor[i])
            clears = alone_by_support[i]
            alone = cap == MILITARY and willing(i) and tied and clears
            participant.append(alone)
            fell_back = fell_back or alone

    # 4. forces
    base = [x[f"base_in_victim.{m}"] for m in members]
    caps = [(x[f"standing_forces.{m}"] / (1.0 + model.distance[i] / half) + base[i])
            if participant[i] else 0.0 for i, m in enumerate(members)]
    stake = [max(0.0, model.exposure[i] + max(model.affinity_victim[i], 0.0)
                 - max(model.affinity_aggressor[i], 0.0) + model.leader_stake[i])
             for i in range(M)]
    V = [x["forces.valuation"] * stake[i] * troops[i] / x["forces.reference_army"]
         for i in range(M)]
    sent = (contributions(V, S, x["forces.private_benefit"], x["forces.token_scale"], caps)
            if any(participant) else [0.0] * M)

    # 5. deployment
    delay = x["decision_delay_days"] if rung == MILITARY else x["deployment.unilateral_delay_days"]
    arrivals: list[tuple[int, float]] = []
    first = math.inf
    for i, m in enumerate(members):
        arrive = math.ceil(delay + x[f"readiness_days.{m}"] + x["deployment.transport_days"]
                           + model.distance[i] / x["geography.km_per_day"])
        on_day0 = min(sent[i], base[i])
        later = sent[i] - on_day0
        factor = quality[i] / quality[v]
        arrivals.append((0, on_day0 * factor))
        arrivals.append((arrive, later * factor))
        if on_day0 > 0:
            first = 0.0
        elif sent[i] > 0:
            first = min(first, float(arrive))

    # 6. engagement, with the alliance and alone
    args = (S, D0, x["aggressor_quality"], quality[v], x["engagement.attrition"],
            x["engagement.aggressor_break"], x["engagement.defender_break_ratio"],
            x["engagement.irregular_efficiency"], model.horizon_days, model.irregular)
    with_ = fight(*args, arrivals)
    without = fight(*args, [])
    return {
        "request": req, "rung": rung, "preferred": preferred, "holds_out": holds_out,
        "sole_veto": sole_veto, "fallback": fell_back, "troops": sent,
        "first_arrival": first if math.isfinite(first) else math.nan,
        "outcome": with_[0], "end_day": with_[1], "defender_losses": with_[2],
        "aggressor_losses": with_[3], "outcome_alone": without[0],
        "end_day_alone": without[1], "defender_losses_alone": without[2],
        "aggressor_losses_alone": without[3],
    }


def run_reference(scenario: Scenario, index: int, inputs: TrialInputs,
                  drawn: np.ndarray | None = None) -> TrialResults:
    """Every trial of `inputs` for crisis `index` of a resolved scenario, one by one; the same
    TrialResults as the engine. `drawn`, the draws of the uncertain quantities, is passed
    through (it records inputs, not a result of the model; empty when not given)."""
    model = read_crisis(scenario, index)
    rows = []
    for t in range(inputs.n):
        x = {k: float(v[t]) for k, v in inputs.values.items()}
        rows.append(trial(model, x, float(inputs.eta[t]), [float(a) for a in inputs.e[t]],
                          float(inputs.z[t]), float(inputs.leader_draw[t])))

    def col(name: str, dtype: type | str) -> np.ndarray:
        return np.array([r[name] for r in rows], dtype=dtype)

    return TrialResults(
        request=col("request", np.int8), rung=col("rung", np.int8),
        preferred=col("preferred", np.int8), holds_out=col("holds_out", bool),
        sole_veto=col("sole_veto", bool), fallback=col("fallback", bool),
        troops=col("troops", float), first_arrival=col("first_arrival", float),
        outcome=col("outcome", np.int8), end_day=col("end_day", np.int16),
        defender_losses=col("defender_losses", float),
        aggressor_losses=col("aggressor_losses", float),
        outcome_alone=col("outcome_alone", np.int8), end_day_alone=col("end_day_alone", np.int16),
        defender_losses_alone=col("defender_losses_alone", float),
        aggressor_losses_alone=col("aggressor_losses_alone", float),
        drawn=drawn if drawn is not None else np.empty((inputs.n, 0)),
    )


# --------------------------------------------------------------------------- sequences
def sequence_trial(scenario: Scenario, order: list[int], inputs: list[TrialInputs], t: int,
                   settings: dict[str, float], forced: dict[str, int] | None = None
                   ) -> dict[str, list[float] | list[int]]:
    """One trial of a sequence of crises (issue 26, docs/model.md §7), written plainly: the
    crises `order` (indices of the resolved scenario, in date order) with their drawn inputs
    (one TrialInputs per crisis, every quantity laid out per trial), row t of each. settings:
    prior_strength, weight_self, weight_other, council_weight, request (0 or 1),
    freeze_scale, exit_ratio. forced: crisis id -> rung. Members that froze or left are taken
    out of the alliance (a scenario without them) for the later crises; a crisis whose victim
    is out has no response (rung -1) and moves no belief.

    Returns the beliefs E after each crisis ('belief': k * M floats, crisis-major), the
    statuses (0 active, 1 frozen, 2 exited; same layout) and the rungs."""
    forced = forced or {}
    alliance = scenario.alliance
    assert isinstance(alliance, Alliance), "resolve the scenario first"
    members = list(alliance.members)
    n = len(members)
    scope = {str(th): cover.coverage for th, cover in alliance.scope.items()}
    threats = ("interstate_attack", "cross_border_incursion", "insurgency", "internal_unrest",
               "member_clash")
    c_bar = sum(scope[th] for th in threats) / len(threats)
    n0 = settings["prior_strength"]
    a = [1.0 + n0 * c_bar for _ in members]
    b = [1.0 + n0 * (1.0 - c_bar) for _ in members]
    e0 = [a[i] / (a[i] + b[i]) for i in range(n)]

    def with_leader(m: str) -> float:
        if not alliance.leader:
            return 0.0
        if m == alliance.leader:
            return 1.0
        for p in scenario.affinity:
            if {p.a, p.b} == {m, alliance.leader}:
                return p.value
        return alliance.member_affinity.value

    theta = []
    for m in members:
        th = settings["freeze_scale"] * (1.0 - with_leader(m))
        th = min(max(th, 0.0), 1.0)
        theta.append(0.0 if m == alliance.leader else th)
    status = [0] * n
    out_belief: list[float] = []
    out_status: list[int] = []
    rungs: list[int] = []
    for k, index in enumerate(order):
        crisis = scenario.crises[index]
        x = {name: float(v[t]) for name, v in inputs[k].values.items()}
        e = [float(v) for v in inputs[k].e[t]]
        belief_now = [a[i] / (a[i] + b[i]) for i in range(n)]
        shift = [belief_now[i] - e0[i] for i in range(n)]
        victim = members.index(crisis.victim)
        if status[victim] != 0:
            rungs.append(-1)
        else:
            if settings["request"]:
                x["trust"] = min(1.0, max(0.0, x["trust"] + shift[victim]))
            cw = settings["council_weight"]
            if cw > 0:
                common = scenario.parameters.council.noise == "common_shock"
                scale = math.sqrt(1.0 - x["council.shock_correlation"]) if common else 1.0
                e = [e[i] + cw * shift[i] / scale for i in range(n)]
            taking_part = [m for i, m in enumerate(members) if status[i] == 0]
            here = (scenario if len(taking_part) == n
                    else scenario.with_changes({"alliance.members": taking_part}))
            model = read_crisis(here, index)
            kept = [e[i] for i in range(n) if status[i] == 0]
            result = trial(model, x, float(inputs[k].eta[t]), kept, float(inputs[k].z[t]),
                           float(inputs[k].leader_draw[t]))
            simulated = result["rung"]
            assert isinstance(simulated, int)
            rung = forced.get(crisis.id, simulated)
            rungs.append(rung)
            h = rung / 4.0
            coverage = read_crisis(scenario, index).in_scope
            for i, m in enumerate(members):
                if status[i] != 0 or m == crisis.aggressor:
                    continue
                w = settings["weight_self"] if i == victim else settings["weight_other"]
                a[i] += w * h
                b[i] += w * coverage * (1.0 - h)
        for i in range(n):
            belief_i = a[i] / (a[i] + b[i])
            if belief_i < settings["exit_ratio"] * theta[i]:
                status[i] = 2
            elif belief_i < theta[i] and status[i] == 0:
                status[i] = 1
            out_belief.append(belief_i)
            out_status.append(status[i])
    return {"belief": out_belief, "status": out_status, "rungs": rungs}
