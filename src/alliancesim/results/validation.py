"""Validation results: calibration and hindcast reports (pydantic records, JSON-ready).

Made by alliancesim.experiments.validation; rendered by alliancesim.report.validation_tables.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel

TOKEN_TROOPS = 500  # a contingent below a battalion's strength counts as a token


class Estimate(BaseModel):
    name: str
    value: float
    se: float
    prior: float


class CalibrationReport(BaseModel):
    cases: list[str]
    prior_sd: float
    prior: str = "judgement"  # judgement or large-n (experiments/calibration.prior_of)
    log_likelihood: float
    mean_log_score_in_sample: float
    converged: bool
    estimates: list[Estimate]

    council: dict[str, Any]  # the fitted parameters.council block
    request: dict[str, Any] | None = None  # the fitted parameters.request block
    request_estimates: list[Estimate] = []
    request_log_likelihood: float | None = None
    request_fixed: dict[str, float] = {}  # request parameters the cases do not inform
    # the normal approximation of the posterior: the council model's own parametrisation
    # (theta, its covariance) and the request's (threat, cutpoints), for parameter uncertainty
    council_theta: list[float] = []
    council_cov: list[list[float]] = []
    council_alliances: list[str] = []  # the alliances with their own intercept in theta
    alliance_prior_sd: float = 1.0  # an alliance without cases: its intercept's prior sd
    request_theta: list[float] = []
    request_cov: list[list[float]] = []

    def parameters(self) -> dict[str, Any]:
        """The `parameters:` block of a parameter file."""
        out: dict[str, Any] = {"council": self.council}
        if self.request is not None:
            out["request"] = self.request
        return out

    def to_yaml(self) -> str:
        meta = {"fitted_on": self.cases, "prior": self.prior, "prior_sd": self.prior_sd,
                "log_likelihood": round(self.log_likelihood, 4),
                "standard_errors": {e.name: round(e.se, 4) for e in self.estimates}}
        if self.request is not None:
            meta["request_log_likelihood"] = round(self.request_log_likelihood or 0.0, 4)
            meta["request_standard_errors"] = {f"request.{e.name}": round(e.se, 4)
                                               for e in self.request_estimates}
        head = ("# Council and request parameters fitted by `alliancesim calibrate` (penalised\n"
                "# maximum likelihood on the closed forms). Apply with `alliancesim run --params "
                "FILE`.\n")
        posterior = {"council": {"model": self.council.get("model", "ordered_probit"),
                                 "alliances": list(self.council_alliances),
                                 "alliance_prior_sd": self.alliance_prior_sd,
                                 "theta": [round(x, 8) for x in self.council_theta],
                                 "cov": [[round(x, 8) for x in row] for row in self.council_cov]},
                     "request": {"names": ["threat", "cutpoints.1", "cutpoints.2"],
                                 "mean": [round(x, 8) for x in self.request_theta],
                                 "cov": [[round(x, 8) for x in row]
                                         for row in self.request_cov]}}
        return (head + yaml.safe_dump({"parameters": self.parameters(), "calibration": meta},
                                      sort_keys=False)
                + "# The normal approximation of the posterior (parameter uncertainty in `run`):\n"
                + yaml.safe_dump({"posterior": posterior}, sort_keys=False,
                                 default_flow_style=None, width=200))


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




class CaseScore(BaseModel):
    case_id: str
    request: str
    observed: str
    probabilities: dict[str, list[float]]  # forecast -> P(rung), rungs none..military
    log_score: dict[str, float]  # forecast -> log P(observed)


class ScoreReport(BaseModel):
    """Cases scored with a given parameter set, without refitting (out-of-sample only when the
    parameters were set without these cases)."""

    parameters: dict[str, Any]  # the parameters.council block used
    cases: list[CaseScore]
    log_score: dict[str, float]  # forecast -> mean log score
    brier: dict[str, float]  # forecast -> mean Brier score
