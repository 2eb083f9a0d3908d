"""Validation results: calibration and hindcast reports (pydantic records, JSON-ready).

Made by alliancesim.experiments.validation; rendered by alliancesim.report.validation_tables.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel

from alliancesim.results.tidy import ALL, NAN, frame, row
from alliancesim.scenario.schema import RUNGS

if TYPE_CHECKING:
    import pandas as pd

TOKEN_TROOPS = 500  # a contingent below a battalion's strength counts as a token


class Estimate(BaseModel):
    name: str
    value: float
    se: float
    prior: float


class PosteriorEstimate(BaseModel):
    """One parameter's posterior from the MCMC draws beside its MAP (experiments/posterior.py);
    rhat and the ESS are None for a parameter kept fixed."""

    name: str
    map: float
    mean: float
    sd: float
    q05: float
    q95: float
    rhat: float | None
    ess_bulk: float | None
    ess_tail: float | None


POSTERIOR_VERSION = 2  # scenario.loading.POSTERIOR_VERSION: the posterior block holds draws


class CalibrationReport(BaseModel):
    cases: list[str]
    prior_sd: float
    prior: str = "judgement"  # judgement or large-n (experiments/calibration.prior_of)
    log_likelihood: float
    mean_log_score_in_sample: float
    converged: bool
    estimates: list[Estimate]  # the MAP with its Laplace (inverse Hessian) standard errors

    council: dict[str, Any]  # the fitted parameters.council block (the MAP)
    request: dict[str, Any] | None = None  # the fitted parameters.request block (the MAP)
    request_estimates: list[Estimate] = []
    request_log_likelihood: float | None = None
    request_fixed: dict[str, float] = {}  # request parameters the cases do not inform
    # the MAP in the models' own parametrisation and its Laplace covariance
    council_theta: list[float] = []
    council_cov: list[list[float]] = []
    council_alliances: list[str] = []  # the alliances with their own intercept in theta
    alliance_prior_sd: float = 1.0  # an alliance without cases: its intercept's prior sd
    request_theta: list[float] = []
    request_cov: list[list[float]] = []
    # the exact posterior by MCMC (empty when calibrate ran without the sampler): per
    # parameter (council's, then request.*), the draws (same parametrisations as the MAP)
    # and the sampler's settings, acceptance and wall time per stage
    posterior: list[PosteriorEstimate] = []
    council_draws: list[list[float]] = []
    request_draws: list[list[float]] = []
    sampler: dict[str, dict[str, Any]] = {}

    @property
    def draws(self) -> int:
        return len(self.council_draws)

    def to_pandas(self) -> pd.DataFrame:
        """One row per fitted parameter (the council's, then the request stage's as
        request.NAME): stage, parameter, value (the MAP), se (Laplace), prior (its centre),
        and, where the posterior was sampled, mean, sd and the 5-95% interval (lower, upper;
        NaN without). Parameters are not crises: this frame has no crisis or member."""
        import pandas as pd

        post = {e.name: e for e in self.posterior}
        rows = []
        for stage, estimates in (("council", self.estimates), ("request", self.request_estimates)):
            for e in estimates:
                key = e.name if stage == "council" else f"request.{e.name}"
                q = post.get(key)
                rows.append({"stage": stage, "parameter": e.name, "value": e.value, "se": e.se,
                             "prior": e.prior, "mean": q.mean if q else NAN,
                             "sd": q.sd if q else NAN, "lower": q.q05 if q else NAN,
                             "upper": q.q95 if q else NAN})
        return pd.DataFrame(rows, columns=["stage", "parameter", "value", "se", "prior", "mean",
                                           "sd", "lower", "upper"])

    def parameters(self) -> dict[str, Any]:
        """The `parameters:` block of a parameter file."""
        out: dict[str, Any] = {"council": self.council}
        if self.request is not None:
            out["request"] = self.request
        return out

    def to_yaml(self) -> str:
        meta: dict[str, Any] = {
            "fitted_on": self.cases, "prior": self.prior, "prior_sd": self.prior_sd,
            "log_likelihood": round(self.log_likelihood, 4),
            "standard_errors": {e.name: round(e.se, 4) for e in self.estimates}}
        if self.request is not None:
            meta["request_log_likelihood"] = round(self.request_log_likelihood or 0.0, 4)
            meta["request_standard_errors"] = {f"request.{e.name}": round(e.se, 4)
                                               for e in self.request_estimates}
        how = ("the closed forms" if self.parameters().get("council", {}).get("model")
               != "expected_utility" else "the expected-utility council's simulated "
               "likelihood, docs/eum.md")
        head = ("# Council and request parameters fitted by `alliancesim calibrate`: the "
                f"posterior's mode\n# (MAP, penalised maximum likelihood on {how}). "
                "Apply with `alliancesim run --params FILE`.\n")
        text = head + yaml.safe_dump({"parameters": self.parameters(), "calibration": meta},
                                     sort_keys=False)
        if not self.council_draws:
            return text
        diag = {p.name: {"map": round(p.map, 4), "mean": round(p.mean, 4),
                         "sd": round(p.sd, 4), "q05": round(p.q05, 4), "q95": round(p.q95, 4),
                         "rhat": None if p.rhat is None else round(p.rhat, 4),
                         "ess_bulk": None if p.ess_bulk is None else round(p.ess_bulk),
                         "ess_tail": None if p.ess_tail is None else round(p.ess_tail)}
                for p in self.posterior}
        council_names = [n for n in diag if not n.startswith("request.")]
        posterior = {
            "version": POSTERIOR_VERSION,
            "council": {"model": self.council.get("model", "ordered_probit"),
                        "alliances": list(self.council_alliances),
                        "alliance_prior_sd": self.alliance_prior_sd,
                        "sampler": self.sampler.get("council", {}),
                        "diagnostics": {n: diag[n] for n in council_names},
                        "map": [round(x, 8) for x in self.council_theta],
                        "draws": [[round(x, 4) for x in row] for row in self.council_draws]},
            "request": {"names": ["threat", "cutpoints.1", "cutpoints.2"],
                        "sampler": self.sampler.get("request", {}),
                        "diagnostics": {n: diag[n] for n in diag if n.startswith("request.")},
                        "map": [round(x, 8) for x in self.request_theta],
                        "draws": [[round(x, 4) for x in row] for row in self.request_draws]}}
        return (text + "# The exact posterior by MCMC (experiments/posterior.py): draws of the "
                "council's theta (its own\n# parametrisation: coefficients, tau_1, log-gaps, "
                "delta, logit(omega), logit(rho / 0.95),\n# alliance intercepts) and of the "
                "request's (threat, cutpoints); `run` takes one per 128 trials.\n"
                + yaml.safe_dump({"posterior": posterior}, sort_keys=False,
                                 default_flow_style=None, width=10_000))


class CasePrediction(BaseModel):
    case_id: str
    title: str
    request: str
    observed: str
    model: list[float]  # P(rung), rungs none..military
    p_observed: dict[str, float]  # forecast -> P(observed rung)


class OutsideForecast(BaseModel):
    """Leave-one-out forecast of action outside the alliance, where the case records it."""

    case_id: str
    observed_rung: str
    acted_outside: bool
    p_outside: dict[str, float | None]  # fit -> P(a tied member acts alone | observed rung)
    joint_log_score: dict[str, float]  # fit -> log P(rung, outside action)
    notes: str


class ScoreDifference(BaseModel):
    """Mean per-case log-score difference (a - b) with a 90% paired-bootstrap interval."""

    a: str
    b: str
    mean: float
    low: float
    high: float
    p_a_better: float


class ReliabilityBin(BaseModel):
    mean_forecast: float
    observed_frequency: float
    count: int


class Contingents(BaseModel):
    case_id: str
    trials_with_collective_military: int
    members: list[dict[str, Any]]  # id, recorded, simulated mean | military, P(sends)
    simulated_leader_share: float | None
    recorded_notes: str


class BurdenSharing(BaseModel):
    """Olson & Zeckhauser: do larger members carry a larger burden relative to their size?"""

    measure: str
    members: list[str]
    size: list[float]  # GDP, USD bn
    burden: list[float]
    spearman_rho: float
    p_value: float


class RequestScores(BaseModel):
    """Leave-one-out scores of the request stage (experiments/request_fit.py)."""

    log_score: dict[str, float]
    brier: dict[str, float]
    per_case: dict[str, dict[str, float]]  # case -> forecast -> log P(observed request)


class GroupScores(BaseModel):
    """The hindcast's scores over one alliance's cases."""

    cases: int
    log_score: dict[str, float]
    brier: dict[str, float]
    differences: list[ScoreDifference]


class SpecScore(BaseModel):
    """One specification's leave-one-out scores (the ablation table)."""

    name: str
    what: str
    log_score: float
    brier: float
    by_alliance: dict[str, float]  # alliance -> mean log score
    versus_model: ScoreDifference | None = None  # this spec - the model, paired bootstrap


class CodingScores(BaseModel):
    """The leave-one-out scores with some outcomes read another way."""

    coding: str
    recoded: dict[str, str | None]  # case -> its rung under this reading (None: left out)
    cases: int
    log_score: dict[str, float]
    brier: dict[str, float]


class NestedCase(BaseModel):
    case_id: str
    chosen: str
    inner: dict[str, float]  # candidate -> inner leave-one-out mean log score
    p_observed: float


class NestedReport(BaseModel):
    """Nested selection: each case forecast by the specification an inner leave-one-out on the
    other cases chose among the candidates."""

    candidates: list[str]
    cases: list[NestedCase]
    log_score: float
    brier: float
    by_alliance: dict[str, float]
    versus: list[ScoreDifference]  # nested - each forecast of the plain hindcast


class AllianceOutScores(BaseModel):
    """Leave-one-alliance-out: every case forecast by fits on the other alliances' cases only
    (its alliance unseen: the intercept integrated over its prior), unpooled and with the
    intercepts partially pooled (their spread tau chosen on the training alliances)."""

    alliances: int
    log_score: dict[str, float]  # forecast -> mean log score (unpooled model and baselines)
    brier: dict[str, float]
    by_alliance: dict[str, GroupScores]
    against_best: ScoreDifference  # the model against the best alliance-aware baseline
    pooled_log_score: float
    pooled_brier: float
    pooled_against_best: ScoreDifference


class HindcastReport(BaseModel):
    cases: list[CasePrediction]
    log_score: dict[str, float]
    brier: dict[str, float]
    reliability: dict[str, list[ReliabilityBin]]
    prior_sd: float
    contingents: list[Contingents]
    burden_sharing: list[BurdenSharing]
    outside_action: list[OutsideForecast]
    differences: list[ScoreDifference]
    by_alliance: dict[str, GroupScores] = {}
    request: RequestScores | None = None
    decline_eps: float  # the "always decline" forecast's probability spread over other rungs
    alliance_aware: list[str] = []  # the baselines that know the alliance
    ablation: list[SpecScore] = []
    codings: list[CodingScores] = []
    nested: NestedReport | None = None
    alliance_out: AllianceOutScores | None = None

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py) of the leave-one-out forecasts: per case
        (crisis: the case id; member "all"), the model's probability of each rung (forecast
        "model", headline "response: RUNG") and every forecast's probability of the observed
        rung (headline "p_observed"); keys forecast, request, observed. No Monte Carlo error
        or band (closed forms): NaN."""
        rows = []
        for c in self.cases:
            keys: dict[str, Any] = {"request": c.request, "observed": c.observed}
            rows += [row(c.case_id, ALL, f"response: {r}", p, forecast="model", **keys)
                     for r, p in zip(RUNGS, c.model, strict=True)]
            rows += [row(c.case_id, ALL, "p_observed", p, forecast=f, **keys)
                     for f, p in c.p_observed.items()]
        return frame(rows, ("forecast", "request", "observed"))

    def best_alliance_baseline(self) -> str:
        """The alliance-aware baseline with the best held-out log score."""
        return max(self.alliance_aware, key=lambda k: self.log_score[k])




class CaseScore(BaseModel):
    case_id: str
    request: str
    observed: str
    probabilities: dict[str, list[float]]  # forecast -> P(rung), rungs none..military
    log_score: dict[str, float]  # forecast -> log P(observed)
    alliance: str = ""
    # how the model's forecast was made where it is not the plain closed form: an alliance
    # without an intercept in the parameters, inputs given as distributions
    notes: list[str] = []


class ScoreReport(BaseModel):
    """Cases scored with a given parameter set, without refitting (out-of-sample only when the
    parameters were set without these cases)."""

    parameters: dict[str, Any]  # the parameters.council block used
    cases: list[CaseScore]
    log_score: dict[str, float]  # forecast -> mean log score
    brier: dict[str, float]  # forecast -> mean Brier score
    # the model against the best baseline that knows the alliance (90% paired bootstrap)
    against_best: ScoreDifference | None = None
    # per alliance: cases, mean log score by forecast
    by_alliance: dict[str, dict[str, float]] = {}

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py): per case (crisis: the case id; member
        "all") and forecast, its probability of each rung (headline "response: RUNG") and its
        log score of the observed rung (headline "log_score"); keys forecast, alliance,
        request, observed. No Monte Carlo error or band: NaN."""
        rows = []
        for c in self.cases:
            keys: dict[str, Any] = {"alliance": c.alliance, "request": c.request,
                                    "observed": c.observed}
            for f, probs in c.probabilities.items():
                rows += [row(c.case_id, ALL, f"response: {r}", p, forecast=f, **keys)
                         for r, p in zip(RUNGS, probs, strict=True)]
                if f in c.log_score:
                    rows.append(row(c.case_id, ALL, "log_score", c.log_score[f], forecast=f,
                                    **keys))
        return frame(rows, ("forecast", "alliance", "request", "observed"))
