"""Calibration of a council model by penalised maximum likelihood (scipy).

maximise  sum_cases log P(observation | theta)  -  sum_j (theta_j - theta0_j)^2 / (2 s^2)

The observation is the collective rung and, where recorded, whether a member acted outside the
alliance; the likelihood and its exact gradient come from the council model
(CouncilModel.case_loglik; for the ordered probit see model/council/probit.py). The penalty is
a Gaussian prior centred on the model's pre-calibration judgement (CouncilModel.prior_theta,
fixed so that the fit never depends on the current defaults) with standard deviation s (default
1; the coefficients the large-N member model informs: its estimates, data/large_n_prior.yaml).
The cases fit what the large-N record cannot know: the alliances' own intercepts, the leader's
weight, the common shock and the unilateral margin, beside the cut-points and the coefficients
without a large-N counterpart; the dead coefficients (probit.FIXED) stay at their prior centre.
With 17 cases and 14 free parameters, the prior matters: it is reported with the fit. Standard
errors come from the inverse Hessian of the penalised objective (finite differences of the exact
gradient); the fit is deterministic (L-BFGS-B from the prior centre).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from alliancesim.model.council import CaseDesign, CouncilModel, Estimate, OrderedProbit
from alliancesim.model.council.features import COUNCIL_FEATURES

# The components the ablation found not to earn their place out of sample (docs/validation.md,
# "Ablation", 0.4): the common shock (rho held at 0: members' noise independent) and the fitting
# of the leader's weight (held at its prior centre, 0.5: no judgement between the formal rule
# and the leader). Every specification of experiments/specs.py states its own pins.
DEFAULT_PINS: tuple[tuple[str, float], ...] = (("shock_correlation", 0.0), ("leader_weight", 0.5))
DEFAULT_MODEL: CouncilModel = OrderedProbit().with_pins(DEFAULT_PINS)


@dataclass(frozen=True)
class Fit:
    model: CouncilModel
    theta: np.ndarray
    cov: np.ndarray  # of theta
    log_likelihood: float  # unpenalised, at the estimate
    penalised: float
    prior_sd: float
    n_cases: int
    converged: bool
    message: str
    rule: str | None

    def estimates(self) -> list[Estimate]:
        return self.model.estimates(self.theta, self.cov)

    def parameters(self) -> dict[str, object]:
        """The scenario's parameters.council block at the estimate."""
        return self.model.parameters(self.theta)

    # the fitted model carries the alliances' intercepts: forecasts go through it
    def probabilities(self, d: CaseDesign) -> np.ndarray:
        """P(L = l), l = 0..4, for a case at the estimate."""
        return self.model.probabilities(self.theta, d)

    def outside_probability(self, d: CaseDesign) -> float | None:
        return self.model.outside_probability(self.theta, d)

    def case_loglik(self, d: CaseDesign) -> float:
        return self.model.case_loglik(self.theta, d)[0]


def with_rule(d: CaseDesign, rule: str | None) -> CaseDesign:
    """The case under `rule` (None: its own); a case of an alliance without a leader keeps its
    own rule under 'the leader decides'."""
    return d if rule == "leader" and d.leader < 0 else d.with_rule(rule)


def loglik(theta: np.ndarray, designs: list[CaseDesign], rule: str | None = None,
           model: CouncilModel = DEFAULT_MODEL) -> tuple[float, np.ndarray]:
    """Sum over cases of log P(observation) and its gradient; rule overrides every case's
    (with_rule)."""
    total, grad = 0.0, np.zeros(model.n_params)
    for d in designs:
        ll, g = model.case_loglik(theta, with_rule(d, rule))
        total += ll
        grad += g
    return total, grad


PRIORS = ("judgement", "large-n")


def prior_of(name: str, prior_sd: float, model: CouncilModel = DEFAULT_MODEL
             ) -> tuple[np.ndarray, np.ndarray]:
    """The prior's centre and sd per parameter (theta space). judgement: the model's own
    pre-calibration centre, sd prior_sd. large-n: the same, except the coefficients the
    large-N member model informs (data/large_n_prior.yaml: its estimates, sd = standard error
    x the stated inflation)."""
    centre = model.prior_theta().astype(float)
    sd = np.full(centre.size, float(prior_sd))
    if name == "judgement":
        return centre, sd
    if name != "large-n":
        raise ValueError(f"unknown prior {name!r}; one of {', '.join(PRIORS)}")
    import yaml

    from alliancesim.data import bundled

    data = yaml.safe_load(bundled.LARGE_N_PRIOR.read_text(encoding="utf-8"))
    for feature, e in data["coefficients"].items():
        k = COUNCIL_FEATURES.index(feature)
        centre[k] = float(e["estimate"])
        sd[k] = float(e["se"]) * float(data["inflation"])
    fixed = model.fixed()  # held parameters keep their value (CouncilModel.with_pins)
    centre[fixed] = model.prior_theta()[fixed]
    return centre, sd


def objective(theta: np.ndarray, designs: list[CaseDesign], prior_sd: float | np.ndarray,
              rule: str | None = None, model: CouncilModel = DEFAULT_MODEL,
              centre: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Negative penalised log-likelihood and its gradient (prior: Gaussian, centre and sd per
    parameter; the model's own centre by default)."""
    ll, g = loglik(theta, designs, rule, model)
    d = theta - (model.prior_theta() if centre is None else centre)
    w = 1.0 / np.asarray(prior_sd, dtype=float) ** 2
    return -(ll - 0.5 * float((w * d * d).sum())), -(g - w * d)


def hessian(theta: np.ndarray, designs: list[CaseDesign], prior_sd: float | np.ndarray,
            rule: str | None = None, model: CouncilModel = DEFAULT_MODEL, h: float = 1e-5,
            centre: np.ndarray | None = None) -> np.ndarray:
    """Hessian of the objective by central differences of its exact gradient."""
    n = model.n_params
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (objective(theta + e, designs, prior_sd, rule, model, centre)[1]
                   - objective(theta - e, designs, prior_sd, rule, model, centre)[1]) / (2 * h)
    return 0.5 * (H + H.T)


def intercept_slice(model: CouncilModel) -> slice:
    """Where the alliances' intercepts sit in theta: one per alliance, appended last
    (CouncilModel.for_alliances)."""
    return slice(model.n_params - len(model.alliances), model.n_params)


def fit(designs: list[CaseDesign], prior_sd: float = 1.0, rule: str | None = None,
        standard_errors: bool = True, model: CouncilModel = DEFAULT_MODEL,
        prior: str = "large-n", pin: Mapping[str, float] | None = None,
        intercepts: bool = True, intercept_sd: float | None = None,
        start: np.ndarray | None = None, maxiter: int | None = None) -> Fit:
    """The penalised maximum-likelihood estimate. rule overrides every case's decision rule;
    standard_errors=False skips the Hessian (leave-one-out fits need only the estimate);
    prior: "judgement" or "large-n" (prior_of). The model gets one intercept for each alliance
    among the designs (none with intercepts=False); its fixed parameters (CouncilModel.fixed)
    stay at the prior centre (zero variance). pin: the parameters held at a given value
    instead of fitted, replacing the model's own pins (DEFAULT_PINS) when given (scenario
    names, e.g. {"leader_weight": 0.5, "coefficients.exposure": 0.0}; the specifications of
    experiments/specs.py). intercept_sd: the prior sd of the alliances' intercepts (default
    prior_sd; fit_pooled chooses it from the record). start: where L-BFGS-B starts (default the
    prior centre; a fixed parameter starts, and stays, at its prior value); maxiter: its
    iterations at most (default the model's `max_iterations` if it has one, the expected-utility
    council's, else 2000); the objective's evaluations are capped at the model's
    `max_evaluations` (else scipy's 15,000)."""
    if prior_sd <= 0:
        raise ValueError(f"prior_sd must be > 0 (got {prior_sd})")
    model = model.for_alliances(tuple(sorted({d.alliance for d in designs if d.alliance}))
                                if intercepts else ())
    if pin is not None:  # replaces the model's own pins
        model = model.with_pins(tuple(pin.items()))
    centre, sds = prior_of(prior, prior_sd, model)
    if intercept_sd is not None:
        if intercept_sd <= 0:
            raise ValueError(f"intercept_sd must be > 0 (got {intercept_sd})")
        sds[intercept_slice(model)] = intercept_sd
    fixed = model.fixed()
    bounds = [(float(centre[j]), float(centre[j])) if fixed[j] else b
              for j, b in enumerate(model.bounds())]
    if start is not None and np.shape(start) != (model.n_params,):
        raise ValueError(f"start must have {model.n_params} entries (got {np.shape(start)})")
    start = np.where(fixed, centre, model.prior_theta() if start is None else start)
    iterations = maxiter if maxiter is not None else int(getattr(model, "max_iterations", 2000))
    res = minimize(objective, start, args=(designs, sds, rule, model, centre),
                   jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": iterations, "gtol": 1e-9,
                            "maxfun": int(getattr(model, "max_evaluations", 15_000))})
    theta = np.asarray(res.x)
    cov = np.full((model.n_params, model.n_params), np.nan)
    if standard_errors:
        free = np.flatnonzero(~fixed)
        with contextlib.suppress(np.linalg.LinAlgError):
            H = hessian(theta, designs, sds, rule, model, centre=centre)
            cov = np.zeros((model.n_params, model.n_params))
            cov[np.ix_(free, free)] = np.linalg.inv(H[np.ix_(free, free)])
    ll = loglik(theta, designs, rule, model)[0]
    return Fit(model, theta, cov, ll, -float(res.fun), prior_sd, len(designs),
               bool(res.success), str(res.message), rule)


POOL_GRID = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0)


@dataclass(frozen=True)
class PooledFit:
    """The fit with the alliances' intercepts partially pooled: b_a ~ N(0, tau^2), tau chosen
    by the Laplace approximation of the marginal likelihood (type-II maximum likelihood)."""

    fit: Fit
    tau: float
    evidence: dict[float, float]  # tau -> log marginal likelihood (Laplace), up to a constant


def log_evidence(f: Fit, designs: list[CaseDesign], tau: float, rule: str | None = None,
                 prior: str = "large-n") -> float:
    """Laplace approximation of log p(cases | tau), up to terms that do not depend on tau:

        log p(y | theta*) + log N(b* | 0, tau^2 I) + (k/2) log 2 pi - 1/2 log det H,

    theta* the penalised fit at tau, H the Hessian of its objective over the free parameters
    (the other parameters' Gaussian priors enter as in the objective; their constants do not
    depend on tau)."""
    model = f.model
    centre, sds = prior_of(prior, f.prior_sd, model)
    sds[intercept_slice(model)] = tau
    free = np.flatnonzero(~model.fixed())
    H = hessian(f.theta, designs, sds, rule, model, centre=centre)[np.ix_(free, free)]
    sign, logdet = np.linalg.slogdet(H)
    if sign <= 0:
        return -np.inf
    penalty = objective(f.theta, designs, sds, rule, model, centre)[0]  # -(ll - quad)
    n_a = len(model.alliances)
    return float(-penalty - n_a * np.log(tau) + 0.5 * free.size * np.log(2 * np.pi)
                 - 0.5 * logdet)


def fit_pooled(designs: list[CaseDesign], prior_sd: float = 1.0, rule: str | None = None,
               grid: tuple[float, ...] = POOL_GRID, prior: str = "large-n") -> PooledFit:
    """Partial pooling of the alliances' intercepts (issue 20): for each tau on the grid, the
    penalised fit with b_a ~ N(0, tau^2); tau is the grid point of the highest Laplace
    evidence (log_evidence). A new alliance then draws its intercept from N(0, tau^2): the
    spread the record's alliances show, not a stated 1."""
    evidence: dict[float, float] = {}
    fits: dict[float, Fit] = {}
    for tau in grid:
        f = fit(designs, prior_sd, rule, standard_errors=False, prior=prior,
                intercept_sd=tau)
        fits[tau] = f
        evidence[tau] = log_evidence(f, designs, tau, rule, prior)
    best = max(evidence, key=lambda t: evidence[t])
    return PooledFit(fits[best], best, evidence)
