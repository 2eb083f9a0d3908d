"""The ordered-probit council model: the first implementation of CouncilModel.

Member model:

    s_i = b_0 + x_i . beta + eps_i,   eps_i ~ N(0, 1)
    l_i = #{k : s_i > tau_k}          (0 none, 1 statement, 2 consultations, 3 mission, 4 military)

Noise: "independent" draws eps_i independently; "common_shock" uses
eps_i = sqrt(rho) z + sqrt(1 - rho) e_i with one z per trial, so members' moods move together.
Acting without the alliance (the fallback stage) takes s_i > tau_4 + delta, delta >= 0 the
unilateral margin.

Closed form (independent noise, mean supports mu_i = b_0 + x_i . beta): member i supports rung l
or more with p_i(l) = Phi(mu_i - tau_l); the victim supports the rungs up to its own preference
(request.VICTIM_PREF: nothing without a request, consultations, or every rung); the
decision rule (rules.py) turns the p_i(l) into P(L >= l). With a common shock the members are
independent given z, p_i(l | z) = Phi((mu_i + sqrt(rho) z - tau_l) / sqrt(1 - rho)), integrated
over z ~ N(0, 1) by Gauss-Hermite quadrature.

Likelihood (calibration): each case contributes log P(observation), the observation being the
collective rung and, where recorded and the fallback could act, whether a member tied to the
victim acted outside the alliance. "Nobody acted outside" restricts each tied member j to
s_j <= tau_4 + delta, which changes only the members' weights in the rule's recursion:
y_j = p_j(l) - q_j, n_j = 1 - p_j(l), q_j = Phi(mu_j - tau_4 - delta), and G(0) =
prod_{j tied} (1 - q_j). Then P(L = l, F = 0) = G0(l) - G0(l + 1) and P(L = l, F = 1) =
P(L = l) - P(L = l, F = 0). The intercept is fixed at 0 (not identified apart from the
cut-points).

Parameters theta = (beta_1..beta_K, tau_1, log(tau_2 - tau_1), log(tau_3 - tau_2),
log(tau_4 - tau_3), delta): the log-gaps keep the cut-points ordered; delta >= 0 is kept by the
optimiser's bound. The gradient follows the rule's weight through its derivatives in y_i and
n_i (rules.DecisionRule.reach_weight), with d p_i(l) = phi(x_i . beta - tau_l)(x_i d beta -
d tau_l), and likewise for q_j.

The prior centre (PRIOR_BETA, PRIOR_TAU, PRIOR_DELTA) is the judgement of alliancesim 0.1 before
any calibration (intercept 0.5 folded into the cut-points); it never follows the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from alliancesim.model.council.base import CaseDesign, Estimate, Preferences
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.rules import DecisionRule
from alliancesim.model.request import VICTIM_PREF

K = len(COUNCIL_FEATURES)
DELTA = K + 4  # index of the unilateral margin delta in theta
N_PARAMS = K + 5
PROB_FLOOR = 1e-12  # P(observed) is floored here before the log (a case the model rules out)

PRIOR_BETA = np.array([1.0, 1.0, -2.0, 1.0, 1.0, -0.5, -6.0])
PRIOR_TAU = np.array([-1.0, -0.3, 0.8, 1.5]) - 0.5
PRIOR_DELTA = 0.0  # acting alone takes no more than wanting military help (alliancesim 0.1)
assert len(PRIOR_BETA) == K


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


def member_noise(e: np.ndarray, z: np.ndarray, noise: str, rho: np.ndarray) -> np.ndarray:
    """eps (T, M) from independent normals e (T, M) and a common normal z (T,)."""
    if noise == "independent":
        return e
    r = rho[:, None]
    return np.sqrt(r) * z[:, None] + np.sqrt(1.0 - r) * e


def latent_support(features: list[np.ndarray], beta: list[np.ndarray], intercept: np.ndarray
                   ) -> np.ndarray:
    """Mean latent support mu_i = b_0 + sum_k beta_k x_ik.

    features: K arrays broadcastable to (T, M) (member rows (M,) or trial columns (T, 1));
    beta: K arrays (T,); intercept: (T,). Returns (T, M).
    """
    T = intercept.shape[0]
    M = max(x.shape[-1] for x in features if x.ndim == 1)  # member rows give the width
    mu = np.empty((T, M))
    mu[:] = intercept[:, None]
    for x, b in zip(features, beta, strict=True):
        mu += b[:, None] * x
    return mu


def preferred_rung(support: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """l_i = number of cut-points below s_i. support (T, M); cutpoints (T, 4). Returns int8."""
    return (support[:, :, None] > cutpoints[:, None, :]).sum(axis=2).astype(np.int8)


def unilateral_bar(support: np.ndarray, tau4: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """(T, M) bool: s_i > tau_4 + delta, the support it takes to act without the alliance.

    delta (parameters.council.unilateral_margin, calibrated with the council on the cases that
    record whether anyone acted outside the alliance) is the extra support that acting without
    the alliance's cover takes; delta = 0: every member preferring military help would act.
    """
    return np.asarray(support > (tau4 + delta)[:, None])


def cutpoints(theta: np.ndarray) -> np.ndarray:
    """tau (4,) from theta."""
    t = theta[K : K + 4]
    return np.asarray(t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))]))


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


@dataclass(frozen=True)
class OrderedProbit:
    """The ordered-probit member model (see the module docstring)."""

    name: str = "ordered_probit"
    nodes: int = 64  # Gauss-Hermite nodes for the common-shock closed form

    # ------------------------------------------------------------------ simulation
    def preferences(self, features: list[np.ndarray], values: Mapping[str, np.ndarray],
                    e: np.ndarray, z: np.ndarray, noise: str) -> Preferences:
        mu = latent_support(features, [values[f"council.coefficients.{f}"]
                                       for f in COUNCIL_FEATURES], values["council.intercept"])
        eps = member_noise(e, z, noise, values["council.shock_correlation"])
        tau = np.sort(np.stack([values[f"council.cutpoints.{k}"] for k in range(1, 5)], axis=1),
                      axis=1)
        support = mu + eps
        return Preferences(preferred_rung(support, tau),
                           unilateral_bar(support, tau[:, 3], values["council.unilateral_margin"]))

    # ------------------------------------------------------------------ closed form
    def rung_tail(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                  victim: int, cap: int, noise: str = "independent",
                  victim_pref: int | None = None) -> np.ndarray:
        """P(L >= l), l = 1..4, for features x (M, K) at fixed parameter values; the victim
        supports the rungs up to victim_pref (default: cap)."""
        vpref = cap if victim_pref is None else victim_pref
        beta = np.array([values[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES])
        mu = float(values["council.intercept"]) + x @ beta
        tau = np.sort([float(values[f"council.cutpoints.{k}"]) for k in range(1, 5)])
        rho = float(values["council.shock_correlation"])
        if noise == "independent" or rho == 0.0:
            p = ndtr(mu[:, None] - tau[None, :])[None]  # (1, M, 4)
            w = np.ones(1)
        elif noise == "common_shock":
            nodes, w = np.polynomial.hermite_e.hermegauss(self.nodes)
            w = w / w.sum()
            s = np.sqrt(1.0 - rho)
            p = ndtr((mu[None, :, None] + np.sqrt(rho) * nodes[:, None, None]
                      - tau[None, None, :]) / s)
        else:
            raise ValueError(f"unknown noise {noise!r}")
        tail = np.zeros(4)
        for level in range(1, min(cap, 4) + 1):
            y = p[..., level - 1].copy()
            y[:, victim] = 1.0 if level <= vpref else 0.0  # the victim's own vote
            n = 1.0 - y
            tail[level - 1] = float(w @ rule.reach_weight(y, n, level)[0])
        return tail

    def rung_probabilities(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                           victim: int, cap: int, noise: str = "independent",
                           victim_pref: int | None = None) -> np.ndarray:
        """P(L = l), l = 0..4."""
        return tail_to_probabilities(self.rung_tail(x, values, rule, victim, cap, noise,
                                                    victim_pref))

    # ------------------------------------------------------------------ likelihood
    @property
    def n_params(self) -> int:
        return N_PARAMS

    def prior_theta(self) -> np.ndarray:
        return theta_from(PRIOR_BETA, PRIOR_TAU, PRIOR_DELTA)

    def bounds(self) -> list[tuple[float | None, float | None]]:
        return [(None, None)] * DELTA + [(0.0, None)]

    def _tails(self, theta: np.ndarray, d: CaseDesign, no_outside: bool
               ) -> tuple[np.ndarray, np.ndarray]:
        """G(l), l = 0..5, and its gradient (6, N_PARAMS).

        no_outside=False: G(l) = P(L >= l). no_outside=True: G(l) = P(L >= l and no tied
        member's support exceeds tau_4 + delta).
        """
        beta = theta[:K]
        tau = cutpoints(theta)
        J = cutpoint_jacobian(theta)
        mu = d.x @ beta
        M = mu.shape[0]
        voter = np.arange(M) != d.victim
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
        vpref = d.cap if d.request < 0 else int(VICTIM_PREF[d.request])
        for l in range(1, min(d.cap, 4) + 1):
            z = mu - tau[l - 1]
            p, phi = ndtr(z), _phi(z)
            own = 1.0 if l <= vpref else 0.0  # the victim's own vote (request.VICTIM_PREF)
            y = np.where(voter, p - tied * p4, own)
            n = np.where(voter, 1.0 - p, 1.0 - own)
            f, dfdy, dfdn = d.rule.reach_weight(y, n, l)
            dfdy, dfdn = dfdy * voter, dfdn * voter
            G[l] = float(f)
            w_l = (dfdy - dfdn) * phi  # through p_i(l)
            w_4 = -dfdy * tied * phi4  # through p_j(4), tied members only
            dG[l, :K] = w_l @ d.x + w_4 @ d.x
            dG[l, K:DELTA] = -w_l.sum() * J[l - 1] - w_4.sum() * J[3]
            dG[l, DELTA] = -w_4.sum() * d_delta
        return G, dG

    def case_loglik(self, theta: np.ndarray, d: CaseDesign) -> tuple[float, np.ndarray]:
        """log P(observation) and its gradient in theta, for one case."""
        l = d.observed
        if d.outside >= 0 and d.outside_applies():
            G0, dG0 = self._tails(theta, d, no_outside=True)
            prob, grad = G0[l] - G0[l + 1], dG0[l] - dG0[l + 1]
            if d.outside == 1:
                G, dG = self._tails(theta, d, no_outside=False)
                prob, grad = G[l] - G[l + 1] - prob, dG[l] - dG[l + 1] - grad
        else:
            G, dG = self._tails(theta, d, no_outside=False)
            prob, grad = G[l] - G[l + 1], dG[l] - dG[l + 1]
        if prob < PROB_FLOOR:
            return float(np.log(PROB_FLOOR)), np.zeros(N_PARAMS)
        return float(np.log(prob)), grad / prob

    def probabilities(self, theta: np.ndarray, d: CaseDesign) -> np.ndarray:
        """P(L = l), l = 0..4, for one case."""
        return tail_to_probabilities(self._tails(theta, d, no_outside=False)[0][1:5])

    def outside_probability(self, theta: np.ndarray, d: CaseDesign) -> float | None:
        """P(a tied member acts outside the alliance | the observed rung), or None where the
        fallback cannot act."""
        if not d.outside_applies():
            return None
        l = d.observed
        G0 = self._tails(theta, d, no_outside=True)[0]
        G = self._tails(theta, d, no_outside=False)[0]
        p_rung = G[l] - G[l + 1]
        return float(1.0 - (G0[l] - G0[l + 1]) / p_rung) if p_rung > 0 else None

    # ------------------------------------------------------------------ parameters
    def estimates(self, theta: np.ndarray, cov: np.ndarray) -> list[Estimate]:
        """Named estimates (scenario parameter names under `council.`) with standard errors
        and prior centres."""
        prior = self.prior_theta()
        var = np.clip(np.diag(cov), 0.0, None)
        out = [Estimate(f"coefficients.{f}", float(theta[k]), float(np.sqrt(var[k])),
                        float(prior[k])) for k, f in enumerate(COUNCIL_FEATURES)]
        J = cutpoint_jacobian(theta)
        tau_se = np.sqrt(np.clip(np.diag(J @ cov[K:DELTA, K:DELTA] @ J.T), 0.0, None))
        tau, prior_tau = cutpoints(theta), cutpoints(prior)
        out += [Estimate(f"cutpoints.{k + 1}", float(tau[k]), float(tau_se[k]),
                         float(prior_tau[k])) for k in range(4)]
        out.append(Estimate("unilateral_margin", margin(theta), float(np.sqrt(var[DELTA])),
                            PRIOR_DELTA))
        return out

    def natural(self, theta: np.ndarray) -> dict[str, float]:
        out = {f"council.coefficients.{f}": float(theta[k])
               for k, f in enumerate(COUNCIL_FEATURES)}
        out.update({f"council.cutpoints.{k + 1}": float(t)
                    for k, t in enumerate(cutpoints(theta))})
        out["council.unilateral_margin"] = max(margin(theta), 0.0)
        return out

    def parameters(self, theta: np.ndarray) -> dict[str, object]:
        """The scenario's `parameters.council` block for theta (rounded to 4 decimals)."""
        return {
            "model": self.name,
            "intercept": 0.0,
            "coefficients": {f: round(float(theta[k]), 4)
                             for k, f in enumerate(COUNCIL_FEATURES)},
            "cutpoints": [round(float(t), 4) for t in cutpoints(theta)],
            "noise": "independent",
            "unilateral_margin": round(margin(theta), 4),
        }


def tail_to_probabilities(tail: np.ndarray) -> np.ndarray:
    """P(L = l), l = 0..4, from the tail P(L >= l), l = 1..4."""
    full = np.concatenate([[1.0], tail, [0.0]])
    return full[:-1] - full[1:]
