"""Calibration of the council's member model by penalised maximum likelihood (scipy).

maximise  sum_cases log P(observation | theta)  -  sum_j (theta_j - theta0_j)^2 / (2 s^2)

The observation is the collective rung and, where recorded, whether a member acted outside the
alliance (likelihood.py). The penalty is a Gaussian prior centred on the project's
pre-calibration judgement (PRIOR_BETA, PRIOR_TAU, PRIOR_DELTA below, fixed so that the fit never
depends on the current defaults) with standard deviation s (default 1); delta is bounded below
by 0. With 17 cases and 12 parameters, the prior matters: it is reported with the fit.
Standard errors come from the inverse Hessian of the penalised objective (finite
differences of the exact gradient); the fit is deterministic (L-BFGS-B from the prior centre).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from alliancesim.experiments.likelihood import (
    DELTA,
    N_PARAMS,
    CaseDesign,
    K,
    cutpoint_jacobian,
    cutpoints,
    loglik,
    margin,
    theta_from,
)
from alliancesim.scenario.schema import COUNCIL_FEATURES

# The judgement values of alliancesim 0.1 before any calibration (intercept 0.5 folded into the
# cut-points): the centre of the prior. Do not change them when the defaults change.
PRIOR_BETA = np.array([1.0, 1.0, -2.0, 1.0, 1.0, -0.5, -6.0])
PRIOR_TAU = np.array([-1.0, -0.3, 0.8, 1.5]) - 0.5
# delta, the fallback's unilateral margin: 0 (acting alone takes no more than wanting military
# help, the model of alliancesim 0.1), with the same prior sd; bounded below by 0.
PRIOR_DELTA = 0.0
assert len(PRIOR_BETA) == K == len(COUNCIL_FEATURES)


@dataclass(frozen=True)
class Fit:
    theta: np.ndarray
    cov: np.ndarray  # of theta
    log_likelihood: float  # unpenalised, at the estimate
    penalised: float
    prior_sd: float
    n_cases: int
    converged: bool
    message: str
    rule: str | None

    @property
    def beta(self) -> np.ndarray:
        return self.theta[:K]

    @property
    def tau(self) -> np.ndarray:
        return cutpoints(self.theta)

    def beta_se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov)[:K], 0.0, None))

    @property
    def delta(self) -> float:
        return margin(self.theta)

    def tau_se(self) -> np.ndarray:
        J = cutpoint_jacobian(self.theta)
        cov_tau = J @ self.cov[K:DELTA, K:DELTA] @ J.T
        return np.sqrt(np.clip(np.diag(cov_tau), 0.0, None))

    def delta_se(self) -> float:
        return float(np.sqrt(max(self.cov[DELTA, DELTA], 0.0)))


def prior_theta() -> np.ndarray:
    return theta_from(PRIOR_BETA, PRIOR_TAU, PRIOR_DELTA)


def objective(theta: np.ndarray, designs: list[CaseDesign], prior_sd: float,
              rule: str | None = None) -> tuple[float, np.ndarray]:
    """Negative penalised log-likelihood and its gradient."""
    ll, g = loglik(theta, designs, rule)
    d = theta - prior_theta()
    return -(ll - 0.5 * float(d @ d) / prior_sd**2), -(g - d / prior_sd**2)


def hessian(theta: np.ndarray, designs: list[CaseDesign], prior_sd: float,
            rule: str | None = None, h: float = 1e-5) -> np.ndarray:
    """Hessian of the objective by central differences of its exact gradient."""
    H = np.zeros((N_PARAMS, N_PARAMS))
    for j in range(N_PARAMS):
        e = np.zeros(N_PARAMS)
        e[j] = h
        H[:, j] = (objective(theta + e, designs, prior_sd, rule)[1]
                   - objective(theta - e, designs, prior_sd, rule)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def fit(designs: list[CaseDesign], prior_sd: float = 1.0, rule: str | None = None,
        standard_errors: bool = True) -> Fit:
    """The penalised maximum-likelihood estimate. rule overrides every case's decision rule;
    standard_errors=False skips the Hessian (leave-one-out fits need only the estimate)."""
    if prior_sd <= 0:
        raise ValueError(f"prior_sd must be > 0 (got {prior_sd})")
    bounds = [(None, None)] * DELTA + [(0.0, None)]
    res = minimize(objective, prior_theta(), args=(designs, prior_sd, rule), jac=True,
                   method="L-BFGS-B", bounds=bounds, options={"maxiter": 2000, "gtol": 1e-9})
    theta = np.asarray(res.x)
    cov = np.full((N_PARAMS, N_PARAMS), np.nan)
    if standard_errors:
        with contextlib.suppress(np.linalg.LinAlgError):
            cov = np.linalg.inv(hessian(theta, designs, prior_sd, rule))
    ll = loglik(theta, designs, rule)[0]
    return Fit(theta, cov, ll, -float(res.fun), prior_sd, len(designs), bool(res.success),
               str(res.message), rule)
