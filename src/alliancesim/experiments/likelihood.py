"""The council's likelihood over historical cases, in closed form, with its exact gradient.

Each case contributes log P(L = observed rung | features, request), with the closed form of
model/analytic.py (independent member noise):

    T(l) = f(p_1(l), ..., p_n(l)),  p_i(l) = Phi(x_i . beta - tau_l),  for 1 <= l <= cap
    P(L = l) = T(l) - T(l + 1),     T(0) = 1, T(l) = 0 above the cap

where f is the rule's aggregation (consensus: the product over members other than the victim,
or below consensus_from the simple-majority tail; q-majority: a Poisson-binomial tail; leader:
p_leader). The intercept is fixed at 0: it is not
identified apart from the cut-points.

Parameters theta = (beta_1..beta_K, tau_1, log(tau_2 - tau_1), log(tau_3 - tau_2),
log(tau_4 - tau_3)): the log-gaps keep the cut-points ordered. The gradient uses
d f / d p_i (consensus: prod_{j != i} p_j; q-majority: P(sum_{j != i} B_j = m - 1);
leader: 1) and d p_i(l) = phi(x_i . beta - tau_l) (x_i d beta - d tau_l).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from alliancesim.engine import aggressor_strength, council_features
from alliancesim.experiments.closed_form import point_values
from alliancesim.model.request import REQUEST_CAP
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.schema import COUNCIL_FEATURES

K = len(COUNCIL_FEATURES)
N_PARAMS = K + 4
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

    def with_rule(self, rule: str | None) -> CaseDesign:
        if rule is None or rule == self.rule:
            return self
        return CaseDesign(self.case_id, self.x, self.victim, self.leader, rule, self.quota,
                          self.cap, self.observed, 1)


def design(model: CompiledCrisis, observed: int, case_id: str = "") -> CaseDesign:
    if model.request_fixed < 0:
        raise ValueError(f"{case_id or model.crisis_id}: the request must be fixed")
    v = point_values(model)
    troops = np.stack([v[f"troops.{m}"] for m in model.members], axis=1)
    x = council_features(model, aggressor_strength(model, v), troops)[0]
    return CaseDesign(case_id or model.crisis_id, x, model.victim, model.leader, model.rule,
                      model.quota, int(REQUEST_CAP[model.request_fixed]), observed,
                      model.consensus_from)


def cutpoints(theta: np.ndarray) -> np.ndarray:
    """tau (4,) from theta."""
    t = theta[K:]
    return t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))])


def cutpoint_jacobian(theta: np.ndarray) -> np.ndarray:
    """d tau_l / d theta[K:], (4, 4)."""
    g = np.exp(theta[K + 1 :])
    J = np.zeros((4, 4))
    J[:, 0] = 1.0
    for l in range(4):
        for j in range(3):
            if l > j:
                J[l, j + 1] = g[j]
    return J


def theta_from(beta: np.ndarray, tau: np.ndarray) -> np.ndarray:
    tau = np.asarray(tau, dtype=float)
    return np.concatenate([beta, [tau[0]], np.log(np.diff(tau))])


def _aggregate(p: np.ndarray, d: CaseDesign, level: int) -> tuple[float, np.ndarray]:
    """f and df/dp_i for rung `level`. p: (M,) support probabilities; the victim's is ignored."""
    M = p.shape[0]
    grad = np.zeros(M)
    others = [i for i in range(M) if i != d.victim]
    quota = d.quota
    if d.rule == "consensus" and level < d.consensus_from:
        quota = M // 2 + 1  # below consensus_from: a simple majority
    elif d.rule == "consensus":
        f = float(np.prod(p[others]))
        for i in others:
            grad[i] = float(np.prod(p[[j for j in others if j != i]]))
        return f, grad
    if d.rule == "leader":
        if d.leader == d.victim or d.leader < 0:
            return 1.0, grad
        grad[d.leader] = 1.0
        return float(p[d.leader]), grad
    need = quota - 1  # yes votes needed among the members other than the victim

    def pmf(idx: list[int]) -> np.ndarray:
        dist = np.zeros(len(idx) + 1)
        dist[0] = 1.0
        for i in idx:
            dist[1:] = dist[1:] * (1 - p[i]) + dist[:-1] * p[i]
            dist[0] *= 1 - p[i]
        return dist

    f = float(pmf(others)[max(need, 0):].sum()) if need <= len(others) else 0.0
    if need <= 0:
        return 1.0, grad
    for i in others:
        rest = pmf([j for j in others if j != i])
        grad[i] = float(rest[need - 1]) if need - 1 < rest.size else 0.0
    return f, grad


def case_loglik(theta: np.ndarray, d: CaseDesign, rule: str | None = None
                ) -> tuple[float, np.ndarray]:
    """log P(observed rung) and its gradient in theta, for one case."""
    d = d.with_rule(rule)
    beta = theta[:K]
    tau = cutpoints(theta)
    J = cutpoint_jacobian(theta)
    mu = d.x @ beta
    T = np.zeros(6)
    dT = np.zeros((6, N_PARAMS))
    T[0] = 1.0
    for l in range(1, 5):
        if l > d.cap:
            break
        z = mu - tau[l - 1]
        p = ndtr(z)
        f, dfdp = _aggregate(p, d, l)
        T[l] = f
        w = dfdp * np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)  # df/dp_i * phi(z_i)
        dT[l, :K] = w @ d.x
        dT[l, K:] = -w.sum() * J[l - 1]
    prob = T[d.observed] - T[d.observed + 1]
    grad = dT[d.observed] - dT[d.observed + 1]
    if prob < PROB_FLOOR:
        return float(np.log(PROB_FLOOR)), np.zeros(N_PARAMS)
    return float(np.log(prob)), grad / prob


def probabilities(theta: np.ndarray, d: CaseDesign, rule: str | None = None) -> np.ndarray:
    """P(L = l), l = 0..4, for one case."""
    dd = d.with_rule(rule)
    tau = cutpoints(theta)
    mu = d.x @ theta[:K]
    T = np.zeros(6)
    T[0] = 1.0
    for l in range(1, min(d.cap, 4) + 1):
        T[l] = _aggregate(ndtr(mu - tau[l - 1]), dd, l)[0]
    return T[:5] - T[1:]


def loglik(theta: np.ndarray, designs: list[CaseDesign], rule: str | None = None
           ) -> tuple[float, np.ndarray]:
    """Sum over cases of log P(observed) and its gradient."""
    total, grad = 0.0, np.zeros(N_PARAMS)
    for d in designs:
        ll, g = case_loglik(theta, d, rule)
        total += ll
        grad += g
    return total, grad
