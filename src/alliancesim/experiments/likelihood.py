"""The council's likelihood over historical cases, in closed form, with its exact gradient.

Each case contributes log P(L = observed rung | features, request), with the closed form of
model/analytic.py (independent member noise):

    T(l) = f(p_1(l), ..., p_n(l)),  p_i(l) = Phi(x_i . beta - tau_l),  for 1 <= l <= cap
    P(L = l) = T(l) - T(l + 1),     T(0) = 1, T(l) = 0 above the cap

where f is the rule's aggregation (consensus: the product over members other than the victim,
or below consensus_from the simple-majority tail; q-majority: a Poisson-binomial tail; leader:
p_leader). The intercept is fixed at 0: it is not identified apart from the cut-points.

Where the victim asked for military help, the alliance decided less, and the case records
whether a member tied to the victim acted outside the alliance (the fallback stage), the
observation is the pair (L, F) and the same recursion runs on restricted weights (see _tails):
a tied member acts alone when s_j > tau_4 + delta, so that "nobody acted" restricts each tied
member to s_j <= tau_4 + delta.

Parameters theta = (beta_1..beta_K, tau_1, log(tau_2 - tau_1), log(tau_3 - tau_2),
log(tau_4 - tau_3), delta): the log-gaps keep the cut-points ordered; delta >= 0 is kept by the
optimiser's bound. The gradient follows f through its weights: d f / d y_i and d f / d n_i
(consensus: prod_{j != i} y_j; q-majority: Poisson-binomial tails of the others; leader:
products), d p_i(l) = phi(x_i . beta - tau_l) (x_i d beta - d tau_l), and likewise for q_j.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtr

from alliancesim.engine import aggressor_strength, council_features
from alliancesim.experiments.closed_form import point_values
from alliancesim.model.fallback import may_act_alone
from alliancesim.model.request import REQUEST_CAP
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.schema import COUNCIL_FEATURES

K = len(COUNCIL_FEATURES)
DELTA = K + 4  # index of the fallback's unilateral margin delta in theta
N_PARAMS = K + 5
PROB_FLOOR = 1e-12  # P(observed) is floored here before the log (a case the model rules out)


@dataclass(frozen=True)
class CaseDesign:
    """What the likelihood needs from one case."""

    case_id: str
    x: np.ndarray  # (M, K) council features of every member
    victim: int
    leader: int
    rule: str
    quota: int
    cap: int
    observed: int
    consensus_from: int = 1
    tied: np.ndarray | None = None  # (M,) bool: may act outside the alliance (fallback stage)
    outside: int = -1  # observed action outside the alliance: 1 yes, 0 no, -1 not coded

    def with_rule(self, rule: str | None) -> CaseDesign:
        if rule is None or rule == self.rule:
            return self
        return replace(self, rule=rule, consensus_from=1)


def design(model: CompiledCrisis, observed: int, case_id: str = "", outside: int = -1
           ) -> CaseDesign:
    if model.request_fixed < 0:
        raise ValueError(f"{case_id or model.crisis_id}: the request must be fixed")
    v = point_values(model)
    troops = np.stack([v[f"troops.{m}"] for m in model.members], axis=1)
    x = council_features(model, aggressor_strength(model, v), troops)[0]
    tied = may_act_alone(model.tie_to_victim, model.tie_to_aggressor, model.victim,
                         model.aggressor_member)
    return CaseDesign(case_id or model.crisis_id, x, model.victim, model.leader, model.rule,
                      model.quota, int(REQUEST_CAP[model.request_fixed]), observed,
                      model.consensus_from, tied, outside)


def cutpoints(theta: np.ndarray) -> np.ndarray:
    """tau (4,) from theta."""
    t = theta[K : K + 4]
    return t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))])


def cutpoint_jacobian(theta: np.ndarray) -> np.ndarray:
    """d tau_l / d theta[K:K + 4], (4, 4)."""
    g = np.exp(theta[K + 1 : K + 4])
    J = np.zeros((4, 4))
    J[:, 0] = 1.0
    for l in range(4):
        for j in range(3):
            if l > j:
                J[l, j + 1] = g[j]
    return J


def theta_from(beta: np.ndarray, tau: np.ndarray, delta: float = 0.0) -> np.ndarray:
    tau = np.asarray(tau, dtype=float)
    return np.concatenate([beta, [tau[0]], np.log(np.diff(tau)), [delta]])


def margin(theta: np.ndarray) -> float:
    """The fallback's unilateral margin delta (theta below 0 acts as 0, as in the engine)."""
    return max(float(theta[DELTA]), 0.0)


def _aggregate(y: np.ndarray, n: np.ndarray, d: CaseDesign, level: int
               ) -> tuple[float, np.ndarray, np.ndarray]:
    """f and its derivatives df/dy_i, df/dn_i for rung `level`.

    y_i is the weight of member i supporting `level` or more, n_i of it supporting less (both
    restricted to the event the observation conditions on; unrestricted, y = p, n = 1 - p).
    f is the weight of the collective rung reaching `level`; the victim is ignored.
    """
    M = y.shape[0]
    dy, dn = np.zeros(M), np.zeros(M)
    others = [i for i in range(M) if i != d.victim]
    both = y + n
    quota = d.quota
    if d.rule == "consensus" and level < d.consensus_from:
        quota = M // 2 + 1  # below consensus_from: a simple majority
    elif d.rule == "consensus":
        f = float(np.prod(y[others]))
        for i in others:
            dy[i] = float(np.prod(y[[j for j in others if j != i]]))
        return f, dy, dn
    if d.rule == "leader":
        # f = y_leader * prod over the other members of (y + n): they only carry the restriction
        rest = [i for i in others if i != d.leader]
        free = float(np.prod(both[rest]))
        decides = d.leader != d.victim and d.leader >= 0
        lead = float(y[d.leader]) if decides else 1.0
        for i in rest:
            dy[i] = dn[i] = lead * float(np.prod(both[[j for j in rest if j != i]]))
        if decides:
            dy[d.leader] = free
        return lead * free, dy, dn
    need = quota - 1  # yes votes needed among the members other than the victim

    def tail(idx: list[int], k: int) -> float:
        """Weight of at least k yes among idx (Poisson-binomial recursion, unnormalised)."""
        if k > len(idx):
            return 0.0
        dist = np.zeros(len(idx) + 1)
        dist[0] = 1.0
        for i in idx:
            dist[1:] = dist[1:] * n[i] + dist[:-1] * y[i]
            dist[0] *= n[i]
        return float(dist[max(k, 0):].sum())

    f = tail(others, need)
    for i in others:
        rest = [j for j in others if j != i]
        dy[i] = tail(rest, need - 1)
        dn[i] = tail(rest, need)
    return f, dy, dn


def _tails(theta: np.ndarray, d: CaseDesign, no_outside: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """G(l), l = 0..5, and its gradient (6, N_PARAMS).

    no_outside=False: G(l) = P(L >= l). no_outside=True: G(l) = P(L >= l and no tied member's
    support exceeds tau_4 + delta), the event "nobody acts outside the alliance" of the
    fallback stage when the victim asked for military help. With independent members only the
    weights change: a tied member j supports rung l and stays below the unilateral bar with
    y_j = p_j(l) - q_j, q_j = Phi(mu_j - tau_4 - delta), and G(0) = prod_{j tied} (1 - q_j).
    """
    beta = theta[:K]
    tau = cutpoints(theta)
    J = cutpoint_jacobian(theta)
    mu = d.x @ beta
    M = mu.shape[0]
    tied = (d.tied if no_outside and d.tied is not None else np.zeros(M, dtype=bool)
            ).astype(float)
    z4 = mu - tau[3] - margin(theta)  # a tied member acts alone above tau_4 + delta
    p4, phi4 = ndtr(z4), _phi(z4)
    d_delta = 1.0 if theta[DELTA] >= 0 else 0.0  # the right derivative at the bound
    G = np.zeros(6)
    dG = np.zeros((6, N_PARAMS))
    G[0] = float(np.prod(1.0 - tied * p4))
    for j in np.flatnonzero(tied):
        w = -float(np.prod([1.0 - p4[k] for k in np.flatnonzero(tied) if k != j])) * phi4[j]
        dG[0, :K] += w * d.x[j]
        dG[0, K:DELTA] -= w * J[3]
        dG[0, DELTA] -= w * d_delta
    for l in range(1, min(d.cap, 4) + 1):
        z = mu - tau[l - 1]
        p, phi = ndtr(z), _phi(z)
        f, dfdy, dfdn = _aggregate(p - tied * p4, 1.0 - p, d, l)
        G[l] = f
        w_l = (dfdy - dfdn) * phi  # through p_i(l)
        w_4 = -dfdy * tied * phi4  # through p_j(4), tied members only
        dG[l, :K] = w_l @ d.x + w_4 @ d.x
        dG[l, K:DELTA] = -w_l.sum() * J[l - 1] - w_4.sum() * J[3]
        dG[l, DELTA] = -w_4.sum() * d_delta
    return G, dG


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def outside_applies(d: CaseDesign) -> bool:
    """Whether the fallback stage could have acted: military help asked for, rung below it,
    and some member tied to the victim."""
    return d.cap == 4 and d.observed < 4 and d.tied is not None and bool(d.tied.any())


def case_loglik(theta: np.ndarray, d: CaseDesign, rule: str | None = None
                ) -> tuple[float, np.ndarray]:
    """log P(observation) and its gradient in theta, for one case.

    The observation is the collective rung and, where coded and the fallback applies, whether
    a member acted outside the alliance: P(L = l, F = 0) = G0(l) - G0(l + 1) with G0 from
    _tails(no_outside=True), and P(L = l, F = 1) = P(L = l) - P(L = l, F = 0).
    """
    d = d.with_rule(rule)
    l = d.observed
    if d.outside >= 0 and outside_applies(d):
        G0, dG0 = _tails(theta, d, no_outside=True)
        prob, grad = G0[l] - G0[l + 1], dG0[l] - dG0[l + 1]
        if d.outside == 1:
            G, dG = _tails(theta, d, no_outside=False)
            prob, grad = G[l] - G[l + 1] - prob, dG[l] - dG[l + 1] - grad
    else:
        G, dG = _tails(theta, d, no_outside=False)
        prob, grad = G[l] - G[l + 1], dG[l] - dG[l + 1]
    if prob < PROB_FLOOR:
        return float(np.log(PROB_FLOOR)), np.zeros(N_PARAMS)
    return float(np.log(prob)), grad / prob


def outside_probability(theta: np.ndarray, d: CaseDesign, rule: str | None = None
                        ) -> float | None:
    """P(a tied member acts outside the alliance | the observed rung), or None where the
    fallback cannot act (the forecast scored by the hindcast's outside-action table)."""
    d = d.with_rule(rule)
    if not outside_applies(d):
        return None
    l = d.observed
    G0 = _tails(theta, d, no_outside=True)[0]
    G = _tails(theta, d, no_outside=False)[0]
    p_rung = G[l] - G[l + 1]
    return float(1.0 - (G0[l] - G0[l + 1]) / p_rung) if p_rung > 0 else None


def probabilities(theta: np.ndarray, d: CaseDesign, rule: str | None = None) -> np.ndarray:
    """P(L = l), l = 0..4, for one case."""
    G = _tails(theta, d.with_rule(rule), no_outside=False)[0]
    return G[:5] - G[1:]


def loglik(theta: np.ndarray, designs: list[CaseDesign], rule: str | None = None
           ) -> tuple[float, np.ndarray]:
    """Sum over cases of log P(observed) and its gradient."""
    total, grad = 0.0, np.zeros(N_PARAMS)
    for d in designs:
        ll, g = case_loglik(theta, d, rule)
        total += ll
        grad += g
    return total, grad
