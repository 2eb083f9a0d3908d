"""Baselines a member model has to beat, fitted on training cases and scored on a held-out one.

Every forecast is P(L = l), l = 0..4, over the rungs the request allowed (l <= cap; the rungs
above get 0), given the request the victim actually made. Counts are smoothed by adding one
half to each allowed rung. Three of them **know the alliance** (an independent review of 0.3
found that the model's lead came from telling NATO from the CSTO, which a baseline with two
numbers per alliance does as well):

- alliance base rate:   the frequency of each rung among the training cases of the *same
                        alliance* with the *same request*; where the alliance has no such case,
                        the pooled frequency of the cases with that request (and if none made
                        it, of all cases);
- alliance grants:      "the alliance grants what was asked". The rung asked for is a(request)
                        = none, consultations or military help. P(L = a) = (g + 1/2) / (n + 1),
                        g of the alliance's n training cases answered with exactly the rung
                        asked for; the rest, 1 - P(L = a), is spread over the other allowed
                        rungs in proportion to the alliance's smoothed counts of those rungs
                        (its record of doing something else). An alliance without training
                        cases takes the pooled record.
- alliance probit:      an ordered probit on the collective rung with only an alliance
                        intercept and the treaty scope, censored by the request:
                        eta = b_a + beta * scope, P(L >= l) = Phi(eta - tau_l) for l <= cap,
                        fitted by penalised maximum likelihood with the council's prior (b_a,
                        beta ~ N(0, s); the cut-points' log-gap parametrisation centred on the
                        council's prior cut-points, sd s); an alliance without training cases
                        takes b_a = 0.

and those that do not:

- request base rate:    the frequency of each rung in the training cases with the same request
                        (all training cases if none made it);
- frequency:            the frequency of each rung in all training cases;
- always decline:       rung "none" with probability 1 - eps, eps spread over the other allowed
                        rungs (eps = 0.05).

The treaty scope of a case is the council feature `in_scope` (docs/coding.md, rule S): whether
the defence clause covers the threat, the same for every member.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr

from alliancesim.model.council import CaseDesign
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.probit import PRIOR_TAU, PROB_FLOOR

DECLINE_EPS = 0.05
# the rung a request asks for: none, consultations, military help, material help (a mission)
ASKED_RUNG = (0, 2, 4, 3)
SCOPE = COUNCIL_FEATURES.index("in_scope")


def _smoothed(observed: Sequence[int], cap: int) -> np.ndarray:
    counts = np.bincount(np.asarray(observed, dtype=int), minlength=5).astype(float)[:5]
    p = np.where(np.arange(5) <= cap, counts + 0.5, 0.0)
    return p / p.sum()


def frequency_forecast(train: Sequence[CaseDesign], cap: int) -> np.ndarray:
    """The observed frequency of each allowed rung in the training cases (smoothed)."""
    return _smoothed([d.observed for d in train], cap)


def request_base_rate(train: Sequence[CaseDesign], request: int, cap: int) -> np.ndarray:
    """Frequency of each rung among the training cases with the same request (smoothed)."""
    same = [d for d in train if d.request == request]
    return frequency_forecast(same or list(train), cap)


def alliance_base_rate(train: Sequence[CaseDesign], alliance: str, request: int, cap: int
                       ) -> np.ndarray:
    """Frequency of each rung among the same alliance's training cases with the same request;
    pooled over alliances where it has none (request_base_rate)."""
    own = [d for d in train if d.alliance == alliance and d.request == request]
    return frequency_forecast(own, cap) if own else request_base_rate(train, request, cap)


def grants_forecast(train: Sequence[CaseDesign], alliance: str, request: int, cap: int
                    ) -> np.ndarray:
    """"The alliance grants what was asked" (module docstring)."""
    own = [d for d in train if d.alliance == alliance] or list(train)
    asked = min(ASKED_RUNG[request], cap) if request >= 0 else cap
    granted = sum(1 for d in own if d.observed == ASKED_RUNG[d.request])
    p_grant = (granted + 0.5) / (len(own) + 1.0)
    others = [d.observed for d in own if d.observed != ASKED_RUNG[d.request]]
    rest = _smoothed(others, cap)
    rest[asked] = 0.0
    if rest.sum() == 0.0:  # a request whose cap allows only the asked rung
        out = np.zeros(5)
        out[asked] = 1.0
        return out
    out = (1.0 - p_grant) * rest / rest.sum()
    out[asked] = p_grant
    return out


def decline_forecast(cap: int) -> np.ndarray:
    p = np.zeros(5)
    p[0] = 1.0 - DECLINE_EPS
    p[1 : cap + 1] = DECLINE_EPS / cap
    return p


def scope_of(d: CaseDesign) -> float:
    """The case's treaty scope (council feature in_scope; the same for every member)."""
    return float(d.x[:, SCOPE].max())


# ---------------------------------------------------------------- the alliance-intercept probit
PROBIT_PRIOR_TAU = np.concatenate([[PRIOR_TAU[0]], np.log(np.diff(PRIOR_TAU))])


def _tau(t: np.ndarray) -> np.ndarray:
    return np.asarray(t[0] + np.concatenate([[0.0], np.cumsum(np.exp(t[1:]))]))


def _probit_probabilities(eta: float, tau: np.ndarray, cap: int) -> np.ndarray:
    """P(L = l), l = 0..4: the latent rung censored at cap."""
    tail = np.concatenate([[1.0], ndtr(eta - tau), [0.0]])  # P(L* >= l), l = 0..5
    tail[cap + 1 :] = 0.0
    return np.asarray(tail[:-1] - tail[1:])


@dataclass(frozen=True)
class AllianceProbit:
    """The fitted alliance-intercept probit (module docstring)."""

    alliances: tuple[str, ...]
    theta: np.ndarray  # (b_a for each alliance, beta_scope, tau_1, log-gaps (3))

    def probabilities(self, d: CaseDesign) -> np.ndarray:
        A = len(self.alliances)
        b = self.theta[self.alliances.index(d.alliance)] if d.alliance in self.alliances else 0.0
        eta = b + self.theta[A] * scope_of(d)
        return _probit_probabilities(float(eta), _tau(self.theta[A + 1 :]), d.cap)

    def parameters(self) -> dict[str, float]:
        A = len(self.alliances)
        out = {f"intercept.{a}": float(self.theta[j]) for j, a in enumerate(self.alliances)}
        out["in_scope"] = float(self.theta[A])
        out.update({f"cutpoints.{k + 1}": float(t)
                    for k, t in enumerate(_tau(self.theta[A + 1 :]))})
        return out


def fit_alliance_probit(train: Sequence[CaseDesign], prior_sd: float = 1.0) -> AllianceProbit:
    """Penalised maximum likelihood (L-BFGS-B from the prior centre: deterministic)."""
    alliances = tuple(sorted({d.alliance for d in train}))
    A = len(alliances)
    centre = np.concatenate([np.zeros(A + 1), PROBIT_PRIOR_TAU])
    idx = np.array([alliances.index(d.alliance) for d in train])
    scope = np.array([scope_of(d) for d in train])
    obs = np.array([d.observed for d in train])
    cap = np.array([d.cap for d in train])

    def objective(theta: np.ndarray) -> float:
        tau = np.concatenate([[-np.inf], _tau(theta[A + 1 :]), [np.inf]])  # tau_0..tau_5
        eta = theta[idx] + theta[A] * scope
        upper = np.where(obs >= cap, np.inf, tau[np.minimum(obs + 1, 5)])
        lower = tau[obs]
        # log(Phi(upper - eta) - Phi(lower - eta)), stably in the tails
        hi = np.where(np.isinf(upper), 0.0, ndtr(upper - eta))
        hi = np.where(np.isinf(upper), 1.0, hi)
        lo = ndtr(lower - eta)
        p = hi - lo
        logp = np.where(np.isinf(upper), log_ndtr(eta - lower), np.log(np.maximum(p,
                                                                                 PROB_FLOOR)))
        d = theta - centre
        return -float(logp.sum()) + float((d * d).sum()) / (2.0 * prior_sd**2)

    res = minimize(objective, centre.copy(), method="L-BFGS-B",
                   options={"maxiter": 2000, "gtol": 1e-8})
    return AllianceProbit(alliances, np.asarray(res.x))
