"""Leave-one-out hindcast of the historical cases, scored against simple baselines.

For each case the member model is fitted on the other cases (calibration.fit) and predicts the
held-out case's collective rung, given the request the victim actually made. Forecasts compared:

- model:           the fitted member model with each alliance's own decision rule (consensus);
- leader decides:  the same member model fitted with the rule "the leader decides" (the CSTO-is-
                   only-Russia hypothesis);
- request base rate: the observed frequency of each rung in the other cases *with the same
                   request* (none, consultations, military), among the rungs the request allows,
                   with add-one-half smoothing (all other cases if none made that request): the
                   strongest simple baseline, since the model too conditions on the request;
- frequency:       the observed frequency of each rung in the other cases, among the rungs the
                   request allows, with add-one-half smoothing;
- always decline:  rung "none" with probability 1 - eps, eps spread over the other allowed rungs
                   (eps = 0.05).

Scores, averaged over cases: the log score log P(observed) (higher is better) and the Brier
score sum_l (P(l) - 1[l = observed])^2 (lower is better).

Where a case records whether a member acted outside the alliance (the fallback stage), the model
also forecasts that, given the rung: P(F = 1 | L = observed). The joint log score
log P(L, F) is reported for the model fitted on both observations and for the same model fitted
on the rungs alone (which leaves the fallback's margin delta at its prior centre, 0), so that
the value of the extra observations can be read.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np

from alliancesim.experiments.calibration import DEFAULT_MODEL, fit
from alliancesim.model.council import CaseDesign, CouncilModel
from alliancesim.model.council.probit import PROB_FLOOR

FORECASTS = ("model", "leader decides", "request base rate", "frequency", "always decline")
BASELINES = FORECASTS[1:]
DECLINE_EPS = 0.05


@dataclass(frozen=True)
class CaseForecast:
    case_id: str
    observed: int
    cap: int
    probs: dict[str, np.ndarray]  # forecast name -> P(rung), (5,)
    outside: int = -1  # observed action outside the alliance (1, 0; -1 not coded)
    p_outside: dict[str, float | None] | None = None  # fit -> P(F = 1 | observed rung)
    joint_log: dict[str, float] | None = None  # fit -> log P(rung, F)


@dataclass(frozen=True)
class Scores:
    log_score: dict[str, float]
    brier: dict[str, float]


def frequency_forecast(train: list[CaseDesign], cap: int) -> np.ndarray:
    counts = np.bincount([d.observed for d in train], minlength=5).astype(float)
    allowed = np.arange(5) <= cap
    p = np.where(allowed, counts + 0.5, 0.0)
    return p / p.sum()


def request_base_rate(train: list[CaseDesign], request: int, cap: int) -> np.ndarray:
    """Frequency of each rung among the training cases with the same request (smoothed)."""
    same = [d for d in train if d.request == request]
    return frequency_forecast(same or train, cap)


def decline_forecast(cap: int) -> np.ndarray:
    p = np.zeros(5)
    p[0] = 1.0 - DECLINE_EPS
    p[1 : cap + 1] = DECLINE_EPS / cap
    return p


def leave_one_out(designs: list[CaseDesign], prior_sd: float = 1.0,
                  council: CouncilModel = DEFAULT_MODEL, prior: str = "large-n"
                  ) -> list[CaseForecast]:
    out = []
    for k, held in enumerate(designs):
        train = designs[:k] + designs[k + 1 :]
        model = fit(train, prior_sd, standard_errors=False, model=council, prior=prior)
        leader = fit(train, prior_sd, rule="leader", standard_errors=False, model=council,
                     prior=prior)
        p_out: dict[str, float | None] | None = None
        joint: dict[str, float] | None = None
        if held.outside >= 0:
            rungs_only = fit([replace(d, outside=-1) for d in train], prior_sd,
                             standard_errors=False, model=council, prior=prior)
            p_out = {"model": model.outside_probability(held),
                     "model, rungs only": rungs_only.outside_probability(held)}
            joint = {"model": model.case_loglik(held),
                     "model, rungs only": rungs_only.case_loglik(held)}
        out.append(CaseForecast(held.case_id, held.observed, held.cap, {
            "model": model.probabilities(held),
            "leader decides": leader.probabilities(held.with_rule("leader")),
            "request base rate": request_base_rate(train, held.request, held.cap),
            "frequency": frequency_forecast(train, held.cap),
            "always decline": decline_forecast(held.cap),
        }, held.outside, p_out, joint))
    return out


def score(forecasts: list[CaseForecast]) -> Scores:
    log_score, brier = {}, {}
    if not forecasts:
        return Scores({}, {})
    for name in FORECASTS:
        ls, bs = [], []
        for f in forecasts:
            p = f.probs[name]
            onehot = np.eye(5)[f.observed]
            ls.append(np.log(max(p[f.observed], PROB_FLOOR)))
            bs.append(float(((p - onehot) ** 2).sum()))
        log_score[name] = float(np.mean(ls))
        brier[name] = float(np.mean(bs))
    return Scores(log_score, brier)


def case_log_scores(forecasts: list[CaseForecast], name: str) -> np.ndarray:
    """log P(observed) per case for one forecast (floored as in score)."""
    return np.array([np.log(max(f.probs[name][f.observed], PROB_FLOOR)) for f in forecasts])


@dataclass(frozen=True)
class Difference:
    """Mean per-case log-score difference a - b with a paired bootstrap interval."""

    a: str
    b: str
    mean: float
    low: float
    high: float
    p_a_better: float  # share of bootstrap resamples in which a's mean is higher


def paired_bootstrap(forecasts: list[CaseForecast], a: str, b: str, resamples: int = 10_000,
                     level: float = 0.9, seed: int = 2022) -> Difference:
    """Resample cases with replacement (the same cases for both forecasts) and take the
    percentile interval of the mean difference in log score. Seeded: deterministic."""
    d = case_log_scores(forecasts, a) - case_log_scores(forecasts, b)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(resamples, d.size))
    means = d[idx].mean(axis=1)
    tail = (1.0 - level) / 2.0
    return Difference(a, b, float(d.mean()), float(np.quantile(means, tail)),
                      float(np.quantile(means, 1.0 - tail)), float((means > 0).mean()))


def reliability(forecasts: list[CaseForecast], name: str = "model",
                edges: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
                ) -> list[tuple[float, float, int]]:
    """(mean forecast, observed frequency, count) per probability bin, over every case and
    every rung the request allowed."""
    p, o = [], []
    for f in forecasts:
        for rung in range(f.cap + 1):
            p.append(f.probs[name][rung])
            o.append(1.0 if rung == f.observed else 0.0)
    pa, oa = np.array(p), np.array(o)
    rows = []
    for lo, hi in itertools.pairwise(edges):
        m = (pa >= lo) & ((pa < hi) if hi < 1.0 else (pa <= hi))
        if m.any():
            rows.append((float(pa[m].mean()), float(oa[m].mean()), int(m.sum())))
    return rows
