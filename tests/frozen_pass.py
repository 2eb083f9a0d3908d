"""The engine's compiled pass as it was before issue 23 (items 1 and 4), frozen here as the
oracle that tests/test_issue23_engine.py holds the new pass to, bit for bit, and that
benchmarks/engine.py times beside it.

Copied verbatim from commit 177b52d (src/alliancesim/engine.py: layout, _pass, run_pipeline;
model/council/probit.py: trial_preferences; model/council/rules.py: trial_decide;
model/forces.py: trial_equilibrium,
_share_and_slope, _share, trial_contributions; model/engagement.py: _arrive, trial_schedule,
trial_engage), renamed where the name would shadow the package's (layout_before, _pass_before,
run_before). Every parameter is read per trial (one row per quantity per trial), as it was. The
stage functions issue 23 did not change are imported from the package.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from numba import njit

from alliancesim.engine import (
    _AGG_BREAK,
    _AGG_COMMIT,
    _AGG_QUALITY,
    _AGG_TROOPS,
    _ALLIANCE_INTERCEPT,
    _ATTRITION,
    _BASED,
    _DECISION_DELAY,
    _DEF_BREAK,
    _DEF_COMMIT,
    _HALF_STRENGTH,
    _INTERCEPT,
    _IRREGULAR_EFF,
    _KM_PER_DAY,
    _LEADER_WEIGHT,
    _MARGIN,
    _PRIVATE,
    _QUALITY,
    _READINESS,
    _REF_ARMY,
    _REQ_INTERCEPT,
    _REQ_RHO1,
    _REQ_RHO2,
    _REQ_THREAT,
    _REQ_TRUST,
    _RHO,
    _STANDING,
    _STRENGTH,
    _TOKEN,
    _TRANSPORT,
    _TROOPS,
    _TRUST,
    _UNILATERAL_DELAY,
    _VALUATION,
    MEMBER_INPUTS,
    SCALARS,
    STAGES,
    TrialInputs,
    TrialResults,
    drawn_inputs,
)
from alliancesim.model import crisis, deployment, fallback, forces, request
from alliancesim.model.council.features import COUNCIL_FEATURES, council_rows, trial_cost
from alliancesim.model.council.rules import rule_of
from alliancesim.model.engagement import CONTAINED, LOST, REPELLED
from alliancesim.model.forces import EQUILIBRIUM_ITERATIONS
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import is_uncertain, point


@dataclass(frozen=True)
class LayoutBefore:
    """engine.Layout as it was: every quantity given per trial is a row of drawn."""

    fixed: np.ndarray
    drawn: np.ndarray
    drawn_at: np.ndarray
    scalars: np.ndarray
    members: np.ndarray
    coefficients: np.ndarray
    cutpoints: np.ndarray


@njit(cache=True)
def trial_decide(preferred: np.ndarray, c: int, rule_code: int, need: np.ndarray, leader: int,
                 victim: int, draw: float, weight: float, holds_out: np.ndarray,
                 sole_veto: np.ndarray, cnt: np.ndarray) -> int:
    """The rule in one trial, compiled: the collective rung (capped by the request's c), and
    for each member whether it holds out and whether it alone vetoes (see decide); where
    draw < weight (the leader's weight) the leader decides. preferred, holds_out, sole_veto:
    (M,); cnt: (5,) int scratch."""
    M = preferred.shape[0]
    code = 1 if (leader >= 0 and draw < weight) else rule_code
    cnt[:] = 0
    for i in range(M):
        for level in range(1, preferred[i] + 1):
            cnt[level] += 1
    L = 0
    if code == 1:
        L = preferred[leader]
    else:
        for level in range(4, 0, -1):
            if cnt[level] >= need[level]:
                L = level
                break
    L = min(L, c)
    for i in range(M):
        p = preferred[i]
        if i == victim:
            holds_out[i] = False
            sole_veto[i] = False
            continue
        holds_out[i] = L < c and p <= L
        # the rule's outcome had i alone supported the request (p_i := cap)
        if code == 1:
            alt = c if i == leader else L
        else:
            alt = 0
            for level in range(4, 0, -1):
                extra = 1 if p < level <= c else 0
                if cnt[level] + extra >= need[level]:
                    alt = level
                    break
            alt = min(alt, c)
        sole_veto[i] = alt > L
    return L


@njit(cache=True)
def trial_preferences(rows: np.ndarray, is_row: np.ndarray, cols: np.ndarray,
                      beta: np.ndarray, intercept: float, tau: np.ndarray, rho: float,
                      common: bool, e: np.ndarray, z: float, delta: float,
                      preferred: np.ndarray, unilateral: np.ndarray, srt: np.ndarray) -> None:
    """The council stage's member model for one trial, compiled: for each member i, mu = b_0 +
    sum_k beta_k x_ik (x_ik = rows[i, k] for member features, cols[k] for the trial's own,
    in the order of the features), eps = sqrt(rho) z + sqrt(1 - rho) e_i (common shock) or
    e_i, s = mu + eps; the preferred rung counts the cut-points tau (4,) below s; unilateral:
    s > tau_4 + delta (the equations of latent_support, member_noise, preferred_rung and
    unilateral_bar, the same operations in the same order). srt: (4,) scratch."""
    M = e.shape[0]
    K = beta.shape[0]
    for j in range(4):  # insertion sort of the four cut-points
        v = tau[j]
        m = j
        while m > 0 and srt[m - 1] > v:
            srt[m] = srt[m - 1]
            m -= 1
        srt[m] = v
    bar = srt[3] + delta
    a = np.sqrt(rho) if common else 0.0
    b = np.sqrt(1.0 - rho) if common else 1.0
    for i in range(M):
        mu = intercept
        for k in range(K):
            mu += beta[k] * (rows[i, k] if is_row[k] else cols[k])
        eps = a * z + b * e[i] if common else e[i]
        s = mu + eps
        n = 0
        for j in range(4):
            if s > srt[j]:
                n += 1
        preferred[i] = n
        unilateral[i] = s > bar


@njit(cache=True)
def trial_equilibrium(V: np.ndarray, S: float, pi: float, s0: float, cap: np.ndarray,
                      iterations: int, out: np.ndarray) -> None:
    """The equilibrium of one trial, compiled (V, cap, out: (M,)): root finding on the total C
    by Newton's method safeguarded by a bracket; out is written."""
    M = V.shape[0]
    hi = 0.0
    for i in range(M):
        out[i] = 0.0
        hi += cap[i]
    if hi <= 0.0:
        return
    lo = 0.0
    # safeguarded Newton on g(C) = sum_i c_i(C) - C (decreasing), bisection as fallback
    x = 0.5 * (lo + hi)
    for _ in range(iterations):
        g = -x
        dg = -1.0
        for i in range(M):
            c, dc = _share_and_slope(x, V[i], S, pi, s0, cap[i])
            g += c
            dg += dc
        if abs(g) <= 1e-11 * (1.0 + x):
            lo = hi = x
            break
        if g > 0.0:
            lo = x
        else:
            hi = x
        if hi - lo <= 1e-12 * (1.0 + hi):
            break
        step = x - g / dg
        x = step if lo < step < hi else 0.5 * (lo + hi)
    C = 0.5 * (lo + hi)
    residual = C
    for i in range(M):
        out[i] = _share(hi, V[i], S, pi, s0, cap[i])
        residual -= out[i]
    # members on the step of their best reply (no private benefit) take what is left,
    # highest valuation first (ties: alliance order), each up to its cap
    while residual > 0.0:
        pivot = -1
        best = -np.inf
        for i in range(M):
            if cap[i] - out[i] > 1e-12 and V[i] > best:
                best = V[i]
                pivot = i
        if pivot < 0:
            break
        add = min(residual, cap[pivot] - out[pivot])
        out[pivot] += add
        residual -= add


@njit(cache=True)
def _share_and_slope(C: float, V: float, S: float, pi: float, s0: float, cap: float
                     ) -> tuple[float, float]:
    """c_i(C) and its derivative in C."""
    u = S / (S + C)
    gap = 1.0 - V * u
    if gap <= 0.0:
        return cap, 0.0
    c = pi * s0 / gap - s0
    if c <= 0.0:
        return 0.0, 0.0
    if c >= cap:
        return cap, 0.0
    return c, -pi * s0 / (gap * gap) * V * u * u / S


@njit(cache=True)
def _share(C: float, V: float, S: float, pi: float, s0: float, cap: float) -> float:
    """c_i(C) for one member (c_i(C) in the module docstring)."""
    gap = 1.0 - V * (S / (S + C))
    if gap <= 0.0:
        return cap
    c = pi * s0 / gap - s0
    if c < 0.0:
        return 0.0
    return min(c, cap)


@njit(cache=True)
def trial_contributions(participant: np.ndarray, standing: np.ndarray, based: np.ndarray,
                        reach: np.ndarray,
                        troops: np.ndarray, stake_: np.ndarray, valuation: float,
                        reference_army: float, S: float, pi: float, s0: float,
                        V: np.ndarray, cap: np.ndarray, out: np.ndarray) -> None:
    """The force stage of one trial, compiled. Returns nothing; writes the equilibrium
    contributions to out (M,) (nothing at all in a trial without participants).

    V_i = valuation * stake_i * N_i / N_ref is a member's value of the shared benefit:
    valuation (parameters.forces.valuation, default 1.5, judgement), stake_i (stake), N_i its
    troops, N_ref (parameters.forces.reference_army, default 10^6: an army of a million counts
    at face value). A bigger army values the common defence more per soldier sent (Olson &
    Zeckhauser 1966: the larger ally's larger valuation of the collective good). cap_i =
    standing_i g(d_i) + based_i (its standing-force pledge projected over its distance d_i to
    the victim, km, and its troops based in the victim) for a participant, 0 for the others;
    reach_i = g(d_i) = 1 / (1 + d_i / d_half) (trial_reach), d_half =
    parameters.geography.half_strength_km. V, cap: (M,) scratch."""
    M = participant.shape[0]
    anyone = False
    for i in range(M):
        V[i] = valuation * stake_[i] * troops[i] / reference_army
        cap[i] = standing[i] * reach[i] + based[i] if participant[i] else 0.0
        anyone = anyone or participant[i]
    if anyone:
        trial_equilibrium(V, S, pi, s0, cap, EQUILIBRIUM_ITERATIONS, out)
    else:
        out[:] = 0.0


@njit(cache=True)
def _arrive(sched: np.ndarray, amount: float, day: float, horizon: int) -> bool:
    """Add `amount` troops on `day` to the schedule; nothing when none or past the horizon.
    Compared as floats before the cast: a day past the horizon (or not a number) never becomes
    an index."""
    if amount > 0.0 and 0.0 <= day <= horizon:
        sched[int(day)] += amount
        return True
    return False


@njit(cache=True)
def trial_schedule(day0: np.ndarray, later: np.ndarray, arrival: np.ndarray,
                   quality: np.ndarray, victim: int, horizon: int, sched: np.ndarray) -> bool:
    """The allied arrivals of one trial by day, in the victim's quality units (one allied
    soldier counts as q_i / q_victim of the victim's soldiers, so that the defender's side has
    one quality; actors' quality multipliers, judgement, docs/model.md): the troops based in
    the victim (day0 (M,)) on day 0, the rest (later (M,)) on their arrival day; a day past the
    horizon is dropped. Writes sched (horizon + 1,); returns whether anything arrives."""
    sched[:] = 0.0
    M = day0.shape[0]
    anything = False
    for j in range(2 * M):
        i = j % M
        a = (day0[i] if j < M else later[i]) * (quality[i] / quality[victim])
        anything |= _arrive(sched, a, 0.0 if j < M else arrival[i], horizon)
    return anything


@njit(cache=True)
def trial_engage(A0: float, D0: float, qA: float, qD: float, k: float, brk: float,
                 ratio: float, eff: float, horizon: int, irregular: bool, sched: np.ndarray
                 ) -> tuple[int, int, float, float]:
    """The engagement of one trial, compiled: the daily loop of the module docstring, stopped
    as soon as the trial is decided. sched (horizon + 1,): arrivals by day (day 0 joins the
    initial force). Returns (outcome, end day, defender losses, aggressor losses)."""
    A = A0
    D = D0 + sched[0]
    arrived = D
    kd = k * qD * (eff if irregular else 1.0)
    ka = k * qA
    threshold = (1.0 - brk) * A0
    safeA0 = max(A0, 1e-12)
    result = CONTAINED
    end = horizon
    for day in range(1, horizon + 1):
        if irregular:
            A_new = max(A * (1.0 - kd * D / safeA0), 0.0)
        else:
            A_new = max(A - kd * D, 0.0)
        D_new = max(D - ka * A, 0.0) + sched[day]
        arrived += sched[day]
        A = A_new
        D = D_new
        if D < ratio * A:
            result = LOST
            end = day
            break
        if A <= threshold:
            result = REPELLED
            end = day
            break
    return result, end, arrived - D, A0 - A


def layout_before(model: CompiledCrisis, inputs: TrialInputs) -> LayoutBefore:
    """The compiled pass's view of a crisis and its inputs: a quantity in inputs.values is read
    per trial, every other quantity is passed once, as the scalar it is (its point value within
    its range), never materialised per trial."""
    position = {q.name: j for j, q in enumerate(model.quantities)}
    missing = [n for n in model.uncertain if n not in inputs.values]
    if missing:
        raise ValueError(f"no per-trial values for the uncertain {', '.join(missing)}")
    fixed = np.array([float(np.clip(point(q.value), q.low, q.high)) if not is_uncertain(q.value)
                      else np.nan for q in model.quantities])
    names = [n for n in inputs.values if n in position]
    drawn = (np.stack([np.asarray(inputs.values[n], dtype=np.float64) for n in names])
             if names else np.empty((0, inputs.n)))
    return LayoutBefore(
        fixed=fixed, drawn=drawn,
        drawn_at=np.array([position[n] for n in names], dtype=np.int64),
        scalars=np.array([position.get(n, -1) for n in SCALARS], dtype=np.int64),
        members=np.array([[position[f"{q}.{m}"] for m in model.members] for q in MEMBER_INPUTS],
                         dtype=np.int64),
        coefficients=np.array([position[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES],
                              dtype=np.int64),
        cutpoints=np.array([position[f"council.cutpoints.{k}"] for k in range(1, 5)],
                           dtype=np.int64))


@njit(cache=True)
def _pass_before(fixed: np.ndarray, drawn: np.ndarray, drawn_at: np.ndarray, sc: np.ndarray,
          mem: np.ndarray, coef: np.ndarray, cut: np.ndarray, rows: np.ndarray,
          is_row: np.ndarray, cost_at: int, stake: np.ndarray, tied: np.ndarray,
          distance: np.ndarray, aggressor_distance: float, request_fixed: int, victim: int,
          aggressor_member: int, leader: int, rule_code: int,
          need: np.ndarray, common: bool, irregular: bool, horizon: int,
          eta: np.ndarray, e: np.ndarray, z: np.ndarray, leader_draw: np.ndarray,
          req: np.ndarray, rung: np.ndarray, pref: np.ndarray, holds: np.ndarray,
          sole: np.ndarray, fell: np.ndarray, sent: np.ndarray, first: np.ndarray,
          outcome: np.ndarray, end_day: np.ndarray, d_loss: np.ndarray, a_loss: np.ndarray,
          outcome_alone: np.ndarray, end_alone: np.ndarray, d_loss_alone: np.ndarray,
          a_loss_alone: np.ndarray, unilateral: np.ndarray, through: int) -> None:
    """Every stage of every trial in one compiled pass: per trial, the stage functions of
    alliancesim.model in order (request, council, fallback, forces, deployment, engagement with
    and without the alliance), writing the results' rows. Scratch arrays are made once.
    through < len(STAGES) stops each trial after that many stages (the benchmark's stage
    profile; the later stages' outputs are then left unset)."""
    T, M = e.shape
    K = coef.shape[0]
    x = fixed.copy()
    troops, quality = np.empty(M), np.empty(M)
    ready, standing, based = np.empty(M), np.empty(M), np.empty(M)
    cols, beta, tau, srt = np.zeros(K), np.empty(K), np.empty(4), np.empty(4)
    cnt = np.zeros(5, dtype=np.int64)
    part = np.empty(M, dtype=np.bool_)
    V, cap_i = np.empty(M), np.empty(M)
    arrival, day0, later = np.empty(M), np.empty(M), np.empty(M)
    sched = np.zeros(horizon + 1)
    given = sc[_STRENGTH] >= 0
    # the council's leader: none when the leader is the member that attacked (rules.rule_of)
    council_leader = -1 if leader == aggressor_member else leader
    # the geography's per-member terms, recomputed only when d_half or v changes (drawn per
    # trial, or every quantity laid out per trial): most passes compute them once
    reach, travel = np.empty(M), np.empty(M)
    half_at, pace_at = sc[_HALF_STRENGTH], sc[_KM_PER_DAY]
    last_half, last_pace = np.nan, np.nan
    for t in range(T):
        for r in range(drawn_at.shape[0]):
            x[drawn_at[r]] = drawn[r, t]
        if x[half_at] != last_half:
            last_half = x[half_at]
            forces.trial_reach(distance, last_half, reach)
        if x[pace_at] != last_pace:
            last_pace = x[pace_at]
            deployment.trial_travel(distance, last_pace, travel)
        for i in range(M):
            troops[i] = x[mem[_TROOPS, i]]
            quality[i] = x[mem[_QUALITY, i]]
            ready[i] = x[mem[_READINESS, i]]
            standing[i] = x[mem[_STANDING, i]]
            based[i] = x[mem[_BASED, i]]
        half = last_half
        if given:
            S, D0 = crisis.trial_opening_forces(True, x[sc[_STRENGTH]], 0.0, 0.0, 0.0, half,
                                                x[sc[_DEF_COMMIT]], troops[victim])
        else:
            S, D0 = crisis.trial_opening_forces(False, 0.0, x[sc[_AGG_TROOPS]],
                                                x[sc[_AGG_COMMIT]], aggressor_distance, half,
                                                x[sc[_DEF_COMMIT]], troops[victim])
        if through == 0:
            continue
        # 1. request
        level = request.trial_request(
            request_fixed, x[sc[_REQ_INTERCEPT]], x[sc[_REQ_THREAT]], x[sc[_REQ_TRUST]], S, D0,
            x[sc[_TRUST]], eta[t], x[sc[_REQ_RHO1]], x[sc[_REQ_RHO2]])
        c = request.REQUEST_CAP[level]
        req[t] = level
        if through == 1:
            continue
        # 2. council
        for k in range(K):
            beta[k] = x[coef[k]]
        for k in range(4):
            tau[k] = x[cut[k]]
        if cost_at >= 0:
            cols[cost_at] = trial_cost(S, troops, victim)
        trial_preferences(rows, is_row, cols, beta,
                          x[sc[_INTERCEPT]] + x[sc[_ALLIANCE_INTERCEPT]], tau, x[sc[_RHO]],
                          common, e[t], z[t], x[sc[_MARGIN]], pref[t], unilateral[t], srt)
        pref[t, victim] = request.VICTIM_PREF[level]
        if aggressor_member >= 0:  # a party to the clash does not vote (rules.rule_of)
            pref[t, aggressor_member] = 0
        L = trial_decide(pref[t], c, rule_code, need, council_leader, victim, leader_draw[t],
                         x[sc[_LEADER_WEIGHT]], holds[t], sole[t], cnt)
        if aggressor_member >= 0:
            holds[t, aggressor_member] = False
            sole[t, aggressor_member] = False
        rung[t] = L
        if through == 2:
            continue
        # 3. fallback
        fell[t] = fallback.trial_participants(pref[t], L, c, tied, victim, aggressor_member,
                                              unilateral[t], part)
        if through == 3:
            continue
        # 4. forces
        trial_contributions(part, standing, based, reach, troops, stake,
                                   x[sc[_VALUATION]],
                                   x[sc[_REF_ARMY]], S, x[sc[_PRIVATE]], x[sc[_TOKEN]], V,
                                   cap_i, sent[t])
        if through == 4:
            continue
        # 5. deployment
        first[t] = deployment.trial_deployment(
            L, x[sc[_DECISION_DELAY]], x[sc[_UNILATERAL_DELAY]], ready, x[sc[_TRANSPORT]],
            travel, sent[t], based, arrival, day0, later)
        if through == 5:
            continue
        # 6. engagement, with and without the alliance (the same when no one arrives)
        arrives = trial_schedule(day0, later, arrival, quality, victim, horizon,
                                            sched)
        qA, qD, k_ = x[sc[_AGG_QUALITY]], quality[victim], x[sc[_ATTRITION]]
        brk, ratio, eff = x[sc[_AGG_BREAK]], x[sc[_DEF_BREAK]], x[sc[_IRREGULAR_EFF]]
        outcome[t], end_day[t], d_loss[t], a_loss[t] = trial_engage(
            S, D0, qA, qD, k_, brk, ratio, eff, horizon, irregular, sched)
        if arrives:
            sched[:] = 0.0
            (outcome_alone[t], end_alone[t], d_loss_alone[t],
             a_loss_alone[t]) = trial_engage(S, D0, qA, qD, k_, brk, ratio, eff,
                                                        horizon, irregular, sched)
        else:
            outcome_alone[t], end_alone[t] = outcome[t], end_day[t]
            d_loss_alone[t], a_loss_alone[t] = d_loss[t], a_loss[t]


def run_before(model: CompiledCrisis, inputs: TrialInputs,
                 timings: dict[str, float] | None = None) -> TrialResults:
    """All stages for the trials in `inputs`: one compiled pass per trial (_pass), calling the
    stage functions of alliancesim.model in order. Pure: no I/O, no global state.

    A quantity in inputs.values is read per trial; any other is the crisis's fixed value.
    timings, when given, receives the stage profile: the seconds of the pass stopped after
    reading the inputs ("inputs"), then after each stage in turn, less the time before it
    (so the pass runs len(STAGES) + 2 times; for benchmarks).
    """
    if model.council_model != "ordered_probit":  # the compiled pass's member model
        raise ValueError(f"the engine has no compiled pass for the council model "
                         f"{model.council_model!r}")
    inputs = inputs.per_trial()  # every parameter per trial, as the pass read them
    T, M = inputs.n, model.n_members
    lay = layout_before(model, inputs)
    rows, is_row = council_rows(model)
    cost_at = COUNCIL_FEATURES.index("cost") if "cost" in COUNCIL_FEATURES else -1
    code, need = rule_of(model).compiled
    stake = forces.stake(model.exposure, model.affinity_victim, model.affinity_aggressor,
                         model.leader_stake)
    tied = fallback.may_act_alone(model.tie_to_victim, model.tie_to_aggressor, model.victim,
                                  model.aggressor_member)
    req, rung = np.empty(T, np.int8), np.empty(T, np.int8)
    pref = np.empty((T, M), np.int8)
    holds, sole = np.empty((T, M), np.bool_), np.empty((T, M), np.bool_)
    unilateral = np.empty((T, M), np.bool_)
    fell = np.empty(T, np.bool_)
    sent, first = np.empty((T, M)), np.empty(T)
    outcome, outcome_alone = np.empty(T, np.int8), np.empty(T, np.int8)
    end_day, end_alone = np.empty(T, np.int16), np.empty(T, np.int16)
    d_loss, a_loss, d_alone, a_alone = np.empty(T), np.empty(T), np.empty(T), np.empty(T)

    def run(through: int) -> None:
        _pass_before(lay.fixed, lay.drawn, lay.drawn_at, lay.scalars, lay.members, lay.coefficients,
              lay.cutpoints, rows, is_row, cost_at, stake, tied,
              np.ascontiguousarray(model.distance, dtype=np.float64), model.aggressor_distance,
              model.request_fixed, model.victim, model.aggressor_member, model.leader,
              code, need, model.noise == "common_shock", model.irregular, model.horizon_days,
              np.ascontiguousarray(inputs.eta), np.ascontiguousarray(inputs.e),
              np.ascontiguousarray(inputs.z), np.ascontiguousarray(inputs.leader_draw),
              req, rung, pref, holds, sole, fell, sent, first, outcome, end_day, d_loss, a_loss,
              outcome_alone, end_alone, d_alone, a_alone, unilateral, through)

    if timings is not None:  # the stage profile: the pass stopped after each stage in turn
        previous = 0.0
        for k, stage in enumerate(("inputs", *STAGES)):
            start = time.perf_counter()
            run(k)
            spent = time.perf_counter() - start
            timings[stage] = timings.get(stage, 0.0) + max(spent - previous, 0.0)
            previous = spent
    run(len(STAGES))
    return TrialResults(
        request=req, rung=rung, preferred=pref, holds_out=holds, sole_veto=sole, fallback=fell,
        troops=sent, first_arrival=first, outcome=outcome, end_day=end_day,
        defender_losses=d_loss, aggressor_losses=a_loss, outcome_alone=outcome_alone,
        end_day_alone=end_alone, defender_losses_alone=d_alone,
        aggressor_losses_alone=a_alone, drawn=drawn_inputs(model, inputs))
