"""The ordered-probit council model: the first implementation of CouncilModel.

Member model:

    s_i = b_0 + b_a + x_i . beta + eps_i,   eps_i ~ N(0, 1)
    l_i = #{k : s_i > tau_k}          (0 none, 1 statement, 2 consultations, 3 mission, 4 military)

b_a is the alliance's own intercept (parameters.council.alliance_intercepts: what the large-N
data cannot know, how willing this alliance's members are on the whole). Noise: "independent"
draws eps_i independently; "common_shock" uses eps_i = sqrt(rho) z + sqrt(1 - rho) e_i with one
z per trial, so members' moods move together. Acting without the alliance (the fallback stage)
takes s_i > tau_4 + delta, delta >= 0 the unilateral margin.

Aggregation: with probability omega (parameters.council.leader_weight) the leader's preferred
rung alone decides the trial, otherwise the alliance's own rule (rules.decide_weighted): the
formal rule and "the leader decides" are the two ends, omega is fitted between them.

Closed form (mean supports mu_i = b_0 + b_a + x_i . beta): given the common shock z, member i
supports rung l or more with p_i(l | z) = Phi((mu_i + sqrt(rho) z - tau_l) / sqrt(1 - rho))
(independent noise: rho = 0); the victim supports the rungs up to its own preference
(request.VICTIM_PREF: nothing without a request, consultations, or every rung); the
decision rule (rules.py) turns the p_i(l | z) into P(L >= l | z), integrated over
z ~ N(0, 1) by Gauss-Hermite quadrature; then P = omega P_leader + (1 - omega) P_rule.

Likelihood (calibration): each case contributes log P(observation), the observation being the
collective rung and, where recorded and the fallback could act, whether a member tied to the
victim acted outside the alliance. "Nobody acted outside" restricts each tied member j to
s_j <= tau_4 + delta, which changes only the members' weights in the rule's recursion:
y_j = p_j(l) - q_j, n_j = 1 - p_j(l), q_j = Phi(mu_j - tau_4 - delta) (given z), and G(0) =
prod_{j tied} (1 - q_j). Then P(L = l, F = 0) = G0(l) - G0(l + 1) and P(L = l, F = 1) =
P(L = l) - P(L = l, F = 0). The common intercept b_0 is fixed at 0 (not identified apart from
the cut-points); the alliances' intercepts are identified through their prior.

Parameters theta = (beta_1..beta_K, tau_1, log(tau_2 - tau_1), log(tau_3 - tau_2),
log(tau_4 - tau_3), delta, logit(omega), logit(rho / RHO_MAX), b_a for each alliance): the
log-gaps keep the cut-points ordered; delta >= 0 is kept by the optimiser's bound. The gradient
follows the rule's weight through its derivatives in y_i and n_i
(rules.DecisionRule.reach_weight), with d p_i(l | z) = phi(u) du, u = (mu_i + sqrt(rho) z -
tau_l) / sqrt(1 - rho), and likewise for q_j; the mixture adds
d P / d logit(omega) = omega (1 - omega) (P_leader - P_rule).

The prior centre (PRIOR_*) is the judgement of alliancesim 0.1 before any calibration
(intercept 0.5 folded into the cut-points; rho 0.3, the schema's default), with omega = 0.5 (no
judgement between the formal rule and the leader) and every alliance intercept 0; it never
follows the defaults. The coefficients in FIXED carry no information in the cases (the cost
feature ranges 0.000-0.046 over them; no case's aggressor is a member): calibration keeps them
at the prior centre.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

from alliancesim._jit import njit
from alliancesim.model.council.base import CaseDesign, Estimate, FromRungTails, Preferences
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.rules import DecisionRule
from alliancesim.model.request import VICTIM_PREF

K = len(COUNCIL_FEATURES)
DELTA = K + 4  # index of the unilateral margin delta in theta
OMEGA = K + 5  # logit of the leader's weight omega
RHO = K + 6  # logit(rho / RHO_MAX)
N_PARAMS = K + 7  # theta's length before the alliances' intercepts
RHO_MAX = 0.95  # the common shock's correlation is kept below this in calibration
PROB_FLOOR = 1e-12  # P(observed) is floored here before the log (a case the model rules out)


def ndtr(x: np.ndarray) -> np.ndarray:
    """scipy.special.ndtr (the standard normal distribution function), imported when the
    closed form or the likelihood first needs it: the engine's compiled pass does not, and a
    run's start-up does not pay for scipy."""
    from scipy.special import ndtr as phi

    return np.asarray(phi(x))

PRIOR_BETA = np.array([1.0, 1.0, -2.0, 1.0, 1.0, -0.5, -6.0])
PRIOR_TAU = np.array([-1.0, -0.3, 0.8, 1.5]) - 0.5
PRIOR_DELTA = 0.0  # acting alone takes no more than wanting military help (alliancesim 0.1)
PRIOR_OMEGA = 0.5  # no judgement between the formal rule and the leader
PRIOR_RHO = 0.3  # the schema's default shock correlation (alliancesim 0.1)
FIXED = ("cost", "is_aggressor")  # no information in the cases: kept at the prior centre
assert len(PRIOR_BETA) == K


def _phi(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)


@functools.cache
def _hermite(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Hermite nodes and weights (normalised) for z ~ N(0, 1)."""
    nodes, w = np.polynomial.hermite_e.hermegauss(n)
    return nodes, w / w.sum()


def _logit(p: float) -> float:
    return float(np.log(p / (1.0 - p)))


def _logistic(x: float) -> float:
    return float(0.5 * (1.0 + np.tanh(0.5 * x)))


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
    beta: K arrays (T,); intercept: (T,) (b_0 + b_a). Returns (T, M).
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


@njit(cache=True)
def trial_constants(rows: np.ndarray, is_row: np.ndarray, beta: np.ndarray, intercept: float,
                    tau: np.ndarray, rho: float, common: bool, delta: float, srt: np.ndarray,
                    head: np.ndarray, terms: np.ndarray) -> tuple[float, float, float, int]:
    """What the member model's trials share while the parameters stay put, compiled (the
    engine's pass computes it once per chunk, or once per group of trials under parameter
    uncertainty, not per trial): the cut-points tau (4,) sorted into srt; the bar to act alone,
    tau_4 + delta; the noise's weights a = sqrt(rho), b = sqrt(1 - rho) under the common shock
    (a = 0, b = 1 without); head (M,) = b_0 + sum_k beta_k x_ik over the member constants
    before the first of the trial's own features, and terms (M, K) = beta_k x_ik for the
    member constants after it. Returns (a, b, bar, first), first the index of the first of
    the trial's own features (K when none). trial_given adds the rest in the order of the
    features, so mu is summed in the same order as term by term."""
    M = rows.shape[0]
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
    first = K
    for k in range(K):
        if not is_row[k]:
            first = k
            break
    for i in range(M):
        mu = intercept
        for k in range(first):
            mu += beta[k] * rows[i, k]
        head[i] = mu
        for k in range(first, K):
            terms[i, k] = beta[k] * rows[i, k] if is_row[k] else 0.0
    return a, b, bar, first


@njit(cache=True)
def trial_given(head: np.ndarray, terms: np.ndarray, is_row: np.ndarray, first: int,
                beta: np.ndarray, cols: np.ndarray, a: float, b: float, bar: float,
                srt: np.ndarray, common: bool, e: np.ndarray, z: float,
                preferred: np.ndarray, unilateral: np.ndarray) -> None:
    """The council stage's member model for one trial, given trial_constants: for each member
    i, mu = head_i + the remaining terms in the order of the features (beta_k x_ik from terms
    for member constants, beta_k cols[k] for the trial's own), eps = a z + b e_i (common
    shock) or e_i, s = mu + eps; the preferred rung counts the sorted cut-points srt below s;
    unilateral: s > bar (= tau_4 + delta)."""
    M = e.shape[0]
    K = beta.shape[0]
    for i in range(M):
        mu = head[i]
        for k in range(first, K):
            mu += terms[i, k] if is_row[k] else beta[k] * cols[k]
        eps = a * z + b * e[i] if common else e[i]
        s = mu + eps
        n = 0
        for j in range(4):
            if s > srt[j]:
                n += 1
        preferred[i] = n
        unilateral[i] = s > bar


@njit(cache=True)
def given_lanes(head: np.ndarray, terms: np.ndarray, is_row: np.ndarray, first: int,
                beta: np.ndarray, cols: np.ndarray, a: float, b: float, bar: float,
                srt: np.ndarray, common: bool, e: np.ndarray, z: np.ndarray, t0: int, n: int,
                preferred: np.ndarray, unilateral: np.ndarray, mu: np.ndarray) -> None:
    """trial_given for the n trials t0..t0 + n - 1 that share trial_constants, side by side,
    bit for bit: member by member, each operation over the trials at once (vector code; one
    trial at a time each member's few operations waited on each other). cols (K, n): the
    trials' own features by column; e (T, M) and z (T,): the chunk's noise; preferred,
    unilateral (M, n): written; mu (n,): scratch."""
    M = head.shape[0]
    K = beta.shape[0]
    for i in range(M):
        for j in range(n):
            mu[j] = head[i]
        for k in range(first, K):
            if is_row[k]:
                tk = terms[i, k]
                for j in range(n):
                    mu[j] += tk
            else:
                bk = beta[k]
                for j in range(n):
                    mu[j] += bk * cols[k, j]
        for j in range(n):
            ei = e[t0 + j, i]
            eps = a * z[t0 + j] + b * ei if common else ei
            s = mu[j] + eps
            preferred[i, j] = ((s > srt[0]) + (s > srt[1])) + ((s > srt[2]) + (s > srt[3]))
            unilateral[i, j] = s > bar


@njit(cache=True)
def trial_preferences(rows: np.ndarray, is_row: np.ndarray, cols: np.ndarray,
                      beta: np.ndarray, intercept: float, tau: np.ndarray, rho: float,
                      common: bool, e: np.ndarray, z: float, delta: float,
                      preferred: np.ndarray, unilateral: np.ndarray, srt: np.ndarray,
                      head: np.ndarray, terms: np.ndarray) -> None:
    """The council stage's member model for one trial, compiled: for each member i, mu = b_0 +
    sum_k beta_k x_ik (x_ik = rows[i, k] for member features, cols[k] for the trial's own,
    in the order of the features), eps = sqrt(rho) z + sqrt(1 - rho) e_i (common shock) or
    e_i, s = mu + eps; the preferred rung counts the cut-points tau (4,) below s; unilateral:
    s > tau_4 + delta (the equations of latent_support, member_noise, preferred_rung and
    unilateral_bar, the same operations in the same order). trial_constants then trial_given;
    srt (4,), head (M,), terms (M, K): scratch."""
    a, b, bar, first = trial_constants(rows, is_row, beta, intercept, tau, rho, common, delta,
                                       srt, head, terms)
    trial_given(head, terms, is_row, first, beta, cols, a, b, bar, srt, common, e, z,
                preferred, unilateral)


@njit(cache=True)
def _preferences_kernel(rows: np.ndarray, cols: np.ndarray, is_row: np.ndarray,
                        beta: np.ndarray, intercept: np.ndarray, tau: np.ndarray,
                        rho: np.ndarray, common: bool, e: np.ndarray, z: np.ndarray,
                        delta: np.ndarray, preferred: np.ndarray, unilateral: np.ndarray
                        ) -> None:
    """trial_preferences for every trial t (row t of cols, beta, tau, e, ...)."""
    srt = np.empty(4)
    head, terms = np.empty(rows.shape[0]), np.empty(rows.shape)
    for t in range(e.shape[0]):
        trial_preferences(rows, is_row, cols[t], beta[t], intercept[t], tau[t], rho[t], common,
                          e[t], z[t], delta[t], preferred[t], unilateral[t], srt, head, terms)


def cutpoints(theta: np.ndarray) -> np.ndarray:
    """tau (4,) from theta."""
    t = theta[K : K + 4]
    return np.asarray(t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))]))


def cutpoints_many(thetas: np.ndarray) -> np.ndarray:
    """tau (W, 4) for each row of thetas (W, n_params)."""
    t = thetas[:, K : K + 4]
    return np.asarray(t[:, :1] + np.concatenate(
        [np.zeros((t.shape[0], 1)), np.cumsum(np.exp(t[:, 1:]), axis=1)], axis=1))


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


def theta_from(beta: np.ndarray, tau: np.ndarray, delta: float = 0.0,
               omega: float = PRIOR_OMEGA, rho: float = PRIOR_RHO,
               alliance_intercepts: tuple[float, ...] = ()) -> np.ndarray:
    tau = np.asarray(tau, dtype=float)
    return np.concatenate([beta, [tau[0]], np.log(np.diff(tau)),
                           [delta, _logit(omega), _logit(rho / RHO_MAX)],
                           np.asarray(alliance_intercepts, dtype=float)])


def margin(theta: np.ndarray) -> float:
    """The fallback's unilateral margin delta (theta below 0 acts as 0, as in the engine)."""
    return max(float(theta[DELTA]), 0.0)


def leader_weight(theta: np.ndarray) -> float:
    """omega, the probability that the leader's preference alone decides."""
    return _logistic(float(theta[OMEGA]))


def shock_correlation(theta: np.ndarray) -> float:
    """rho, the correlation of the members' noise through the common shock."""
    return RHO_MAX * _logistic(float(theta[RHO]))


@dataclass(frozen=True)
class OrderedProbit(FromRungTails):
    """The ordered-probit member model (see the module docstring).

    alliances: the alliance ids with their own intercept in theta (set by calibration from the
    cases it fits; a case of another alliance takes the prior centre, 0)."""

    name: str = "ordered_probit"
    nodes: int = 32  # Gauss-Hermite nodes over the common shock
    alliances: tuple[str, ...] = field(default=())
    fixed_features: tuple[str, ...] = FIXED  # coefficients calibration keeps at the prior
    pins: tuple[tuple[str, float], ...] = ()  # parameters held at a value (with_pins)

    def for_alliances(self, alliances: tuple[str, ...]) -> OrderedProbit:
        """The same model with an intercept for each of `alliances`."""
        return replace(self, alliances=tuple(alliances))

    def with_pins(self, pins: tuple[tuple[str, float], ...]) -> OrderedProbit:
        """The same model with these parameters held at their values (pinned)."""
        for name, value in pins:
            self.pinned(name, value)  # a precise error for an unknown name
        return replace(self, pins=tuple(pins))

    # ------------------------------------------------------------------ simulation
    def preferences(self, features: list[np.ndarray], values: Mapping[str, np.ndarray],
                    e: np.ndarray, z: np.ndarray, noise: str) -> Preferences:
        """The equations of latent_support, member_noise, preferred_rung and unilateral_bar,
        in one compiled pass over the trials (_preferences_kernel: the same operations in the
        same order, so the same numbers, without (trials x members x cut-points) temporaries)."""
        T, M = e.shape
        intercept = values["council.intercept"] + values.get("council.alliance_intercept", 0.0)
        rows = np.zeros((M, K))
        cols = np.zeros((T, K))
        is_row = np.zeros(K, dtype=np.bool_)
        for k, x in enumerate(features):
            if x.ndim == 1:
                rows[:, k], is_row[k] = x, True
            else:
                cols[:, k] = x[:, 0]
        beta = np.stack([np.broadcast_to(values[f"council.coefficients.{f}"], (T,))
                         for f in COUNCIL_FEATURES], axis=1)
        tau = np.stack([np.broadcast_to(values[f"council.cutpoints.{k}"], (T,))
                        for k in range(1, 5)], axis=1)
        preferred = np.empty((T, M), dtype=np.int8)
        unilateral = np.empty((T, M), dtype=np.bool_)
        _preferences_kernel(rows, cols, is_row, beta, np.broadcast_to(intercept, (T,)).copy(),
                            tau, np.broadcast_to(values["council.shock_correlation"], (T,))
                            .astype(np.float64), noise == "common_shock",
                            np.ascontiguousarray(e), np.ascontiguousarray(z),
                            np.broadcast_to(values["council.unilateral_margin"], (T,))
                            .astype(np.float64), preferred, unilateral)
        return Preferences(preferred, unilateral)

    # ------------------------------------------------------------------ closed form
    def _quadrature(self, rho: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes and weights over the common shock z ~ N(0, 1) (one node at 0 when rho = 0)."""
        if rho == 0.0:
            return np.zeros(1), np.ones(1)
        return _hermite(self.nodes)

    def rung_tail(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                  victim: int, cap: int, noise: str = "independent",
                  victim_pref: int | None = None) -> np.ndarray:
        """P(L >= l), l = 1..4, for features x (M, K) at fixed parameter values; the victim
        supports the rungs up to victim_pref (default: cap); the leader decides with
        probability council.leader_weight (when the rule has a leader)."""
        if noise not in ("independent", "common_shock"):
            raise ValueError(f"unknown noise {noise!r}")
        omega = float(values.get("council.leader_weight", 0.0))
        own = self._rule_tail(x, values, rule, victim, cap, noise, victim_pref)
        if omega > 0.0 and rule.has_leader_weight:
            lead = self._rule_tail(x, values, rule.leader_decides(), victim, cap, noise,
                                   victim_pref)
            return np.asarray(omega * lead + (1.0 - omega) * own)
        return own

    def _rule_tail(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                   victim: int, cap: int, noise: str, victim_pref: int | None) -> np.ndarray:
        vpref = cap if victim_pref is None else victim_pref
        beta = np.array([values[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES])
        b0 = float(values["council.intercept"]) + float(values.get("council.alliance_intercept",
                                                                   0.0))
        mu = b0 + x @ beta
        tau = np.sort([float(values[f"council.cutpoints.{k}"]) for k in range(1, 5)])
        rho = float(values["council.shock_correlation"]) if noise == "common_shock" else 0.0
        nodes, w = self._quadrature(rho)
        p = ndtr((mu[None, :, None] + np.sqrt(rho) * nodes[:, None, None]
                  - tau[None, None, :]) / np.sqrt(1.0 - rho))  # (Q, M, 4)
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
        return N_PARAMS + len(self.alliances)

    def prior_theta(self) -> np.ndarray:
        """The prior centre (the pinned parameters at their values)."""
        out = theta_from(PRIOR_BETA, PRIOR_TAU, PRIOR_DELTA, PRIOR_OMEGA, PRIOR_RHO,
                         (0.0,) * len(self.alliances))
        for name, value in self.pins:
            j, t = self.pinned(name, value)
            out[j] = t
        return out

    def fixed(self) -> np.ndarray:
        """(n_params,) bool: the parameters calibration keeps at the prior centre (FIXED and
        the pinned ones)."""
        out = np.zeros(self.n_params, dtype=bool)
        for f in self.fixed_features:
            out[COUNCIL_FEATURES.index(f)] = True
        for name, value in self.pins:
            out[self.pinned(name, value)[0]] = True
        return out

    def pinned(self, name: str, value: float) -> tuple[int, float]:
        """theta's index and value for a parameter held at `value`: a coefficient, the leader's
        weight or the shock correlation (0 and 1 stand for the limits, a logit of -/+30: at
        most 1e-13 away), the unilateral margin, or an alliance's intercept."""
        def logit(p: float) -> float:
            return float(np.clip(_logit(float(np.clip(p, 1e-13, 1 - 1e-13))), -30.0, 30.0))

        if name.startswith("coefficients."):
            return COUNCIL_FEATURES.index(name[len("coefficients."):]), float(value)
        if name == "leader_weight":
            return OMEGA, logit(value)
        if name == "shock_correlation":
            return RHO, logit(value / RHO_MAX)
        if name == "unilateral_margin":
            return DELTA, float(value)
        if name.startswith("alliance_intercepts."):
            return N_PARAMS + self.alliances.index(name.split(".", 1)[1]), float(value)
        raise ValueError(f"cannot pin {name!r}: a coefficient, leader_weight, "
                         "shock_correlation, unilateral_margin or alliance_intercepts.ID")

    def bounds(self) -> list[tuple[float | None, float | None]]:
        free: tuple[float | None, float | None] = (None, None)
        return [free] * DELTA + [(0.0, None)] + [free] * (self.n_params - DELTA - 1)

    def _alliance_index(self, d: CaseDesign) -> int:
        """theta's index of the case's alliance intercept, -1 if it has none."""
        if d.alliance in self.alliances:
            return N_PARAMS + self.alliances.index(d.alliance)
        return -1

    def _tails(self, theta: np.ndarray, d: CaseDesign, rule: DecisionRule, no_outside: bool
               ) -> tuple[np.ndarray, np.ndarray]:
        """G(l), l = 0..5, and its gradient (6, n_params), under `rule`, integrated over the
        common shock.

        no_outside=False: G(l) = P(L >= l). no_outside=True: G(l) = P(L >= l and no tied
        member's support exceeds tau_4 + delta).
        """
        P = self.n_params
        beta = theta[:K]
        tau = cutpoints(theta)
        J = cutpoint_jacobian(theta)
        a_idx = self._alliance_index(d)
        mu = d.x @ beta + (theta[a_idx] if a_idx >= 0 else 0.0)
        M = mu.shape[0]
        rho = shock_correlation(theta)
        drho = rho * (1.0 - rho / RHO_MAX)  # d rho / d theta[RHO]
        sr, s = np.sqrt(rho), np.sqrt(1.0 - rho)
        nodes, w = self._quadrature(rho)
        zq = nodes[:, None]  # (Q, 1)
        voter = np.arange(M) != d.victim
        tied = (d.tied if no_outside and d.tied is not None else np.zeros(M, dtype=bool)
                ).astype(float)

        def standardised(t: float) -> tuple[np.ndarray, np.ndarray]:
            """u (Q, M) for threshold t, and du / d theta[RHO]."""
            u = (mu[None, :] + sr * zq - t) / s
            du = zq * sr * (1.0 - rho / RHO_MAX) / (2.0 * s) + u * drho / (2.0 * (1.0 - rho))
            return u, du

        u4, du4 = standardised(tau[3] + margin(theta))  # a tied member acts alone above it
        p4, phi4 = ndtr(u4), _phi(u4)
        d_delta = 1.0 if theta[DELTA] >= 0 else 0.0  # the right derivative at the bound
        G = np.zeros(6)
        dG = np.zeros((6, P))

        def add(row: int, W: np.ndarray, du: np.ndarray, dtau: np.ndarray, dmargin: float
                ) -> None:
            """Add sum_q,i W_qi du_qi to dG[row], W already weighted by w_q phi(u_qi)."""
            total = float(W.sum())
            dG[row, :K] += (W.sum(axis=0) @ d.x) / s
            dG[row, K:DELTA] -= total / s * dtau
            dG[row, DELTA] -= total / s * dmargin
            if a_idx >= 0:
                dG[row, a_idx] += total / s
            dG[row, RHO] += float((W * du).sum())

        tied_idx = np.flatnonzero(tied)
        G[0] = float(w @ np.prod(1.0 - tied * p4, axis=1))
        for j in tied_idx:
            others = np.ones(w.size)
            for k in tied_idx:
                if k != j:
                    others = others * (1.0 - p4[:, k])
            W = np.zeros_like(p4)
            W[:, j] = -w * others * phi4[:, j]
            add(0, W, du4, J[3], d_delta)
        vpref = d.cap if d.request < 0 else int(VICTIM_PREF[d.request])
        for l in range(1, min(d.cap, 4) + 1):
            u, du = standardised(tau[l - 1])
            p, phi = ndtr(u), _phi(u)
            own = 1.0 if l <= vpref else 0.0  # the victim's own vote (request.VICTIM_PREF)
            y = np.where(voter, p - tied * p4, own)
            n = np.where(voter, 1.0 - p, 1.0 - own)
            f, dfdy, dfdn = rule.reach_weight(y, n, l)
            dfdy, dfdn = dfdy * voter, dfdn * voter
            G[l] = float(w @ f)
            add(l, w[:, None] * (dfdy - dfdn) * phi, du, J[l - 1], 0.0)  # through p_i(l)
            add(l, -w[:, None] * dfdy * tied * phi4, du4, J[3], d_delta)  # through q_j
        return G, dG

    def _joint(self, theta: np.ndarray, d: CaseDesign, rule: DecisionRule
               ) -> tuple[float, np.ndarray]:
        """P(observation) and its gradient under one rule."""
        l = d.observed
        if d.outside >= 0 and d.outside_applies():
            G0, dG0 = self._tails(theta, d, rule, no_outside=True)
            prob, grad = G0[l] - G0[l + 1], dG0[l] - dG0[l + 1]
            if d.outside == 1:
                G, dG = self._tails(theta, d, rule, no_outside=False)
                prob, grad = G[l] - G[l + 1] - prob, dG[l] - dG[l + 1] - grad
        else:
            G, dG = self._tails(theta, d, rule, no_outside=False)
            prob, grad = G[l] - G[l + 1], dG[l] - dG[l + 1]
        return float(prob), grad

    def case_loglik(self, theta: np.ndarray, d: CaseDesign) -> tuple[float, np.ndarray]:
        """log P(observation) and its gradient in theta, for one case."""
        prob, grad = self._joint(theta, d, d.rule)
        if d.rule.has_leader_weight:
            omega = leader_weight(theta)
            p_lead, g_lead = self._joint(theta, d, d.rule.leader_decides())
            grad = omega * g_lead + (1.0 - omega) * grad
            grad[OMEGA] += omega * (1.0 - omega) * (p_lead - prob)
            prob = omega * p_lead + (1.0 - omega) * prob
        if prob < PROB_FLOOR:
            return float(np.log(PROB_FLOOR)), np.zeros(self.n_params)
        return float(np.log(prob)), grad / prob

    # ------------------------------------------------------------------ many thetas at once
    def _tails_many(self, thetas: np.ndarray, d: CaseDesign, rules: tuple[DecisionRule, ...],
                    no_outside: bool) -> list[np.ndarray]:
        """G(l) of _tails at l = 0 and at the observed rung and the next (the rows
        P(observation) takes; the others stay 0) for each row of thetas (W, n_params) under
        each of `rules` (the members' probabilities computed once): (W, 6) each, no gradient
        (the sampler's likelihood, experiments/posterior.py)."""
        W = thetas.shape[0]
        beta = thetas[:, :K]
        tau = cutpoints_many(thetas)
        a_idx = self._alliance_index(d)
        mu = beta @ d.x.T + (thetas[:, a_idx, None] if a_idx >= 0 else 0.0)  # (W, M)
        M = mu.shape[1]
        rho = RHO_MAX * 0.5 * (1.0 + np.tanh(0.5 * thetas[:, RHO]))
        sr, s = np.sqrt(rho)[:, None, None], np.sqrt(1.0 - rho)[:, None, None]
        nodes, w = _hermite(self.nodes)  # rho > 0 on the logit scale
        zq = nodes[None, :, None]
        voter = np.arange(M) != d.victim
        tied = (d.tied if no_outside and d.tied is not None else np.zeros(M, dtype=bool)
                ).astype(float)

        def prob(t: np.ndarray) -> np.ndarray:
            """p (W, Q, M) of supporting above threshold t (W,)."""
            return np.asarray(ndtr((mu[:, None, :] + sr * zq - t[:, None, None]) / s))

        Gs = [np.zeros((W, 6)) for _ in rules]
        if tied.any():
            p4 = prob(tau[:, 3] + np.maximum(thetas[:, DELTA], 0.0))
            g0 = np.prod(1.0 - tied * p4, axis=2) @ w
            tp4 = tied * p4
        else:
            g0 = np.ones(W)
            tp4 = np.zeros(1)
        for G in Gs:
            G[:, 0] = g0
        vpref = d.cap if d.request < 0 else int(VICTIM_PREF[d.request])
        for l in range(1, min(d.cap, 4) + 1):
            if l not in (d.observed, d.observed + 1):
                continue  # P(observation) takes G(observed) and G(observed + 1) only
            p = prob(tau[:, l - 1])
            own = 1.0 if l <= vpref else 0.0
            y = np.where(voter, p - tp4, own)
            n = np.where(voter, 1.0 - p, 1.0 - own)
            for G, rule in zip(Gs, rules, strict=True):
                G[:, l] = rule.reach_probability(y, n, l) @ w
        return Gs

    def _joint_many(self, thetas: np.ndarray, d: CaseDesign, rules: tuple[DecisionRule, ...]
                    ) -> list[np.ndarray]:
        """P(observation) (W,) under each of `rules`."""
        l = d.observed
        if d.outside >= 0 and d.outside_applies():
            G0s = self._tails_many(thetas, d, rules, no_outside=True)
            probs = [G0[:, l] - G0[:, l + 1] for G0 in G0s]
            if d.outside == 1:
                Gs = self._tails_many(thetas, d, rules, no_outside=False)
                probs = [G[:, l] - G[:, l + 1] - p for G, p in zip(Gs, probs, strict=True)]
            return probs
        return [G[:, l] - G[:, l + 1]
                for G in self._tails_many(thetas, d, rules, no_outside=False)]

    def case_loglik_many(self, thetas: np.ndarray, d: CaseDesign) -> np.ndarray:
        """log P(observation) of one case at each row of thetas (W, n_params): (W,), the
        same as case_loglik's value, without the gradient."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        if d.rule.has_leader_weight:
            own, lead = self._joint_many(thetas, d, (d.rule, d.rule.leader_decides()))
            omega = 0.5 * (1.0 + np.tanh(0.5 * thetas[:, OMEGA]))
            prob = omega * lead + (1.0 - omega) * own
        else:
            prob = self._joint_many(thetas, d, (d.rule,))[0]
        return np.asarray(np.log(np.where(prob < PROB_FLOOR, PROB_FLOOR, prob)))

    def _rung_tails(self, theta: np.ndarray, d: CaseDesign, no_outside: bool) -> np.ndarray:
        G = self._tails(theta, d, d.rule, no_outside)[0]
        if d.rule.has_leader_weight:
            omega = leader_weight(theta)
            G = omega * self._tails(theta, d, d.rule.leader_decides(), no_outside)[0] + (
                1.0 - omega) * G
        return G

    # ------------------------------------------------------------------ parameters
    def estimates(self, theta: np.ndarray, cov: np.ndarray) -> list[Estimate]:
        """Named estimates (scenario parameter names under `council.`) with standard errors
        (delta method for the transformed ones) and prior centres."""
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
        omega, rho = leader_weight(theta), shock_correlation(theta)
        out.append(Estimate("leader_weight", omega,
                            omega * (1 - omega) * float(np.sqrt(var[OMEGA])), PRIOR_OMEGA))
        out.append(Estimate("shock_correlation", rho,
                            rho * (1 - rho / RHO_MAX) * float(np.sqrt(var[RHO])), PRIOR_RHO))
        out += [Estimate(f"alliance_intercepts.{a}", float(theta[N_PARAMS + j]),
                         float(np.sqrt(var[N_PARAMS + j])), 0.0)
                for j, a in enumerate(self.alliances)]
        return out

    def natural(self, theta: np.ndarray) -> dict[str, float]:
        out = {f"council.coefficients.{f}": float(theta[k])
               for k, f in enumerate(COUNCIL_FEATURES)}
        out.update({f"council.cutpoints.{k + 1}": float(t)
                    for k, t in enumerate(cutpoints(theta))})
        out["council.unilateral_margin"] = max(margin(theta), 0.0)
        out["council.leader_weight"] = leader_weight(theta)
        out["council.shock_correlation"] = shock_correlation(theta)
        out.update({f"council.alliance_intercepts.{a}": float(theta[N_PARAMS + j])
                    for j, a in enumerate(self.alliances)})
        return out

    def parameters(self, theta: np.ndarray) -> dict[str, object]:
        """The scenario's `parameters.council` block for theta (rounded to 4 decimals)."""
        return {
            "model": self.name,
            "intercept": 0.0,
            "alliance_intercepts": {a: round(float(theta[N_PARAMS + j]), 4)
                                    for j, a in enumerate(self.alliances)},
            "coefficients": {f: round(float(theta[k]), 4)
                             for k, f in enumerate(COUNCIL_FEATURES)},
            "cutpoints": [round(float(t), 4) for t in cutpoints(theta)],
            **({"noise": "independent"} if shock_correlation(theta) < 1e-9 else
               {"noise": "common_shock",
                "shock_correlation": round(shock_correlation(theta), 4)}),
            "leader_weight": round(leader_weight(theta), 4),
            "unilateral_margin": round(margin(theta), 4),
        }


def tail_to_probabilities(tail: np.ndarray) -> np.ndarray:
    """P(L = l), l = 0..4, from the tail P(L >= l), l = 1..4."""
    full = np.concatenate([[1.0], tail, [0.0]])
    return full[:-1] - full[1:]
