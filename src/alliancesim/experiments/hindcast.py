"""Leave-one-out hindcast of the historical cases, scored against baselines.

For each case the member model is fitted on the other cases (calibration.fit) and predicts the
held-out case's collective rung, given the request the victim actually made; nothing about the
held-out case but its features, its request and its alliance enters its own forecast (tested:
changing its outcome leaves its forecast unchanged). Forecasts compared:

- model:           the fitted member model with each alliance's own decision rule (consensus);
- three baselines that know the alliance (experiments/baselines.py): the alliance's own base
  rate within the request level; "the alliance grants what was asked"; an ordered probit with
  only an alliance intercept and the treaty scope;
- leader decides:  the same member model fitted with the rule "the leader decides" (the CSTO-is-
                   only-Russia hypothesis);
- request base rate, frequency, always decline: baselines blind to the alliance.

Scores, averaged over cases: the log score log P(observed) (higher is better) and the Brier
score sum_l (P(l) - 1[l = observed])^2 (lower is better).

Where a case records whether a member acted outside the alliance (the fallback stage), the model
also forecasts that, given the rung: P(F = 1 | L = observed). The joint log score
log P(L, F) is reported for the model fitted on both observations and for the same model fitted
on the rungs alone (which leaves the fallback's margin delta at its prior centre, 0), so that
the value of the extra observations can be read.

Beyond the headline: every specification of experiments/specs.py scored the same way (the
ablation), the nested selection (each held-out case forecast by the specification that an inner
leave-one-out on the other cases chose), and the contested outcome codings (CODINGS) re-scored.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from alliancesim.backends.process import in_order, submit_all, worker_pool
from alliancesim.experiments.baselines import (
    DECLINE_EPS,
    alliance_base_rate,
    decline_forecast,
    fit_alliance_probit,
    frequency_forecast,
    grants_forecast,
    request_base_rate,
)
from alliancesim.experiments.calibration import DEFAULT_MODEL, Fit, fit, fit_pooled, with_rule
from alliancesim.experiments.specs import MODEL, NESTED, Spec
from alliancesim.model.council import CaseDesign, CouncilModel
from alliancesim.model.council.eum_likelihood import FORECAST
from alliancesim.model.council.probit import PROB_FLOOR

ALLIANCE_AWARE = ("alliance base rate", "alliance grants", "alliance probit")
FORECASTS = ("model", *ALLIANCE_AWARE, "leader decides", "request base rate", "frequency",
             "always decline")
BASELINES = FORECASTS[1:]
# the expected-utility council's forecast (hindcast --council expected_utility), beside the
# probit's "model": the same specification (calibration.MODEL's prior and pins) fitted by its
# simulated likelihood (model/council/eum_likelihood.py)
EUM = FORECAST
__all__ = ["ALLIANCE_AWARE", "BASELINES", "DECLINE_EPS", "EUM", "FORECASTS", "decline_forecast",
           "frequency_forecast", "request_base_rate"]

J = TypeVar("J")
R = TypeVar("R")

# Contested outcome codings (docs/validation.md, "Contested codings"): case -> the rung it takes
# under the other reading (None: the case is left out of the record).
CODINGS: dict[str, dict[str, int | None]] = {
    "NATO 2003 as consultations": {"nato_2003_tur_iraq": 2},
    "Kyrgyz-Tajik 2022 as a statement": {"csto_2022_kgz_tjk_september": 1},
    "Belarus 2020 left out": {"csto_2020_blr_protests": None},
}
CODINGS["all three"] = {k: v for c in list(CODINGS.values()) for k, v in c.items()}


@dataclass(frozen=True)
class CaseForecast:
    case_id: str
    observed: int
    cap: int
    probs: dict[str, np.ndarray]  # forecast name -> P(rung), (5,)
    outside: int = -1  # observed action outside the alliance (1, 0; -1 not coded)
    p_outside: dict[str, float | None] | None = None  # fit -> P(F = 1 | observed rung)
    joint_log: dict[str, float] | None = None  # fit -> log P(rung, F)
    alliance: str = ""


@dataclass(frozen=True)
class Scores:
    log_score: dict[str, float]
    brier: dict[str, float]


def leader_rule(d: CaseDesign) -> CaseDesign:
    """The case under "the leader decides" (an alliance without a leader keeps its own rule:
    calibration.with_rule)."""
    return with_rule(d, "leader")


def eum_fit(spec: Spec, train: list[CaseDesign], eum: CouncilModel, start: Fit) -> Fit:
    """The expected-utility council fitted on `train` by the specification's prior and pins,
    started at the probit's fit on the same cases (`start`: the EUM's likelihood is the
    probit's at 0 rounds) and stopped at the model's iteration cap (eum_likelihood)."""
    return fit(spec.designs(train), spec.prior_sd, standard_errors=False, model=eum,
               prior=spec.prior, pin=dict(spec.pin), intercepts=spec.intercepts,
               start=start.theta)


def forecast_case(train: list[CaseDesign], held: CaseDesign, prior_sd: float = 1.0,
                  council: CouncilModel = DEFAULT_MODEL, prior: str = "large-n",
                  eum: CouncilModel | None = None) -> CaseForecast:
    """Every forecast of one held-out case from fits on `train` (which must not contain it);
    with `eum` (an expected-utility council, eum_likelihood.EUMCouncil) also its forecast,
    named EUM, fitted on the same cases."""
    spec = replace(MODEL, prior=prior, prior_sd=prior_sd)
    model = spec.fit(train, council)
    leader = spec.fit(train, council, rule="leader")
    p_out: dict[str, float | None] | None = None
    joint: dict[str, float] | None = None
    if held.outside >= 0:
        rungs_only = replace(spec, outside_records=False).fit(train, council)
        p_out = {"model": model.outside_probability(held),
                 "model, rungs only": rungs_only.outside_probability(held)}
        joint = {"model": model.case_loglik(held),
                 "model, rungs only": rungs_only.case_loglik(held)}
    probs = {
        "model": model.probabilities(held),
        "alliance base rate": alliance_base_rate(train, held.alliance, held.request, held.cap),
        "alliance grants": grants_forecast(train, held.alliance, held.request, held.cap),
        "alliance probit": fit_alliance_probit(train, prior_sd).probabilities(held),
        "leader decides": leader.probabilities(leader_rule(held)),
        "request base rate": request_base_rate(train, held.request, held.cap),
        "frequency": frequency_forecast(train, held.cap),
        "always decline": decline_forecast(held.cap),
    }
    if eum is not None:
        probs[EUM] = eum_fit(spec, train, eum, model).probabilities(spec.held(held))
    return CaseForecast(held.case_id, held.observed, held.cap, probs, held.outside, p_out, joint,
                        held.alliance)


def over_intercept_prior(probabilities: Callable[[float], np.ndarray], sd: float,
                         nodes: int = 24) -> np.ndarray:
    """E_b[P(l | b)] for an alliance intercept b ~ N(0, sd), by Gauss-Hermite quadrature
    (`nodes` points); `probabilities(b)` is the forecast at intercept b."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    return np.asarray(sum(wk * probabilities(sd * float(xk)) for xk, wk in zip(x, w, strict=True)))


def unseen_alliance_probabilities(fit: Any, d: CaseDesign, sd: float = 1.0,
                                  nodes: int = 24) -> np.ndarray:
    """P(rung) of a case whose alliance the fit has no case of: its intercept b_a is not
    known, so the forecast integrates over its prior, b_a ~ N(0, sd),

        P(l) = E_b[P(l | theta, b_a = b)]  (Gauss-Hermite, `nodes` points),

    instead of fixing b_a at the prior's centre. sd = 0 gives the forecast at b_a = 0."""
    if d.alliance in fit.model.alliances:
        return np.asarray(fit.probabilities(d))
    model = fit.model.for_alliances((*fit.model.alliances, d.alliance))
    if sd <= 0.0:
        return np.asarray(model.probabilities(np.append(fit.theta, 0.0), d))
    return over_intercept_prior(lambda b: model.probabilities(np.append(fit.theta, b), d), sd,
                                nodes)


def unseen_forecasts(train: list[CaseDesign], held: list[CaseDesign], prior_sd: float = 1.0,
                     council: CouncilModel = DEFAULT_MODEL, pooled: bool = False
                     ) -> list[CaseForecast]:
    """Every forecast of the `held` cases from one set of fits on `train` (which must not
    contain them): the model and the leader rule with an alliance that has no case in `train`
    taking its intercept integrated over N(0, prior_sd) (unseen_alliance_probabilities), the
    baselines as they treat an alliance without a record (pooled). pooled: the intercepts
    partially pooled (calibration.fit_pooled: their spread tau chosen on `train`), and an
    unseen alliance's intercept integrated over N(0, tau)."""
    if pooled:
        pm, pl = fit_pooled(train), fit_pooled(train, rule="leader")
        model, leader, sd, sd_leader = pm.fit, pl.fit, pm.tau, pl.tau
    else:
        model = MODEL.fit(train, council)
        leader = MODEL.fit(train, council, rule="leader")
        sd = sd_leader = prior_sd
    probit = fit_alliance_probit(train, prior_sd)
    out = []
    for d in held:
        probs = {
            "model": unseen_alliance_probabilities(model, d, sd),
            "alliance base rate": alliance_base_rate(train, d.alliance, d.request, d.cap),
            "alliance grants": grants_forecast(train, d.alliance, d.request, d.cap),
            "alliance probit": probit.probabilities(d),
            "leader decides": unseen_alliance_probabilities(leader, leader_rule(d), sd_leader),
            "request base rate": request_base_rate(train, d.request, d.cap),
            "frequency": frequency_forecast(train, d.cap),
            "always decline": decline_forecast(d.cap),
        }
        out.append(CaseForecast(d.case_id, d.observed, d.cap, probs, alliance=d.alliance))
    return out


def leave_one_alliance_out(designs: list[CaseDesign], prior_sd: float = 1.0,
                           council: CouncilModel = DEFAULT_MODEL, pooled: bool = False
                           ) -> list[CaseForecast]:
    """Every case forecast by fits on the other alliances' cases only (unseen_forecasts): the
    test of what the member model says about an alliance it never saw."""
    out: list[CaseForecast] = []
    for alliance in sorted({d.alliance for d in designs}):
        train = [d for d in designs if d.alliance != alliance]
        if not train:
            raise ValueError("leave-one-alliance-out needs cases of two alliances or more")
        out += unseen_forecasts(train, [d for d in designs if d.alliance == alliance],
                                prior_sd, council, pooled)
    order = {d.case_id: k for k, d in enumerate(designs)}
    return sorted(out, key=lambda f: order[f.case_id])


def pooled_leave_one_out(designs: list[CaseDesign],
                         grid: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 6.0)
                         ) -> list[CaseForecast]:
    """Leave-one-out of the model with partially pooled intercepts: each fold chooses its own
    spread tau on the other cases (calibration.fit_pooled over `grid`); a held-out case of an
    alliance the fold has no case of integrates its intercept over N(0, tau)."""
    out = []
    for k, held in enumerate(designs):
        p = fit_pooled(designs[:k] + designs[k + 1 :], grid=grid)
        out.append(CaseForecast(held.case_id, held.observed, held.cap,
                                {"model": unseen_alliance_probabilities(p.fit, held,
                                                                                p.tau)},
                                alliance=held.alliance))
    return out


def leave_one_out(designs: list[CaseDesign], prior_sd: float = 1.0,
                  council: CouncilModel = DEFAULT_MODEL, prior: str = "large-n",
                  progress: Callable[[int, int], None] | None = None,
                  eum: CouncilModel | None = None) -> list[CaseForecast]:
    """Each case forecast by the model fitted on the others (with `eum`, the expected-utility
    council's forecast too); progress(k, n) after the k-th."""
    out = []
    for k, held in enumerate(designs):
        out.append(forecast_case(designs[:k] + designs[k + 1 :], held, prior_sd, council,
                                 prior, eum))
        if progress:
            progress(k + 1, len(designs))
    return out


def spec_forecast(spec: Spec, train: list[CaseDesign], held: CaseDesign,
                  council: CouncilModel = DEFAULT_MODEL) -> np.ndarray:
    """P(rung) of one held-out case by a specification fitted on `train`."""
    return spec.fit(train, council).probabilities(spec.held(held))


def spec_leave_one_out(spec: Spec, designs: list[CaseDesign],
                       council: CouncilModel = DEFAULT_MODEL) -> list[CaseForecast]:
    """Leave-one-out forecasts of one specification (the ablation table)."""
    return [CaseForecast(d.case_id, d.observed, d.cap,
                         {"model": spec_forecast(spec, designs[:k] + designs[k + 1 :], d,
                                                 council)}, alliance=d.alliance)
            for k, d in enumerate(designs)]


@dataclass(frozen=True)
class NestedForecast:
    """One outer case of the nested selection: the specification the inner leave-one-out chose
    on the other cases, the inner scores, and the forecast."""

    case_id: str
    chosen: str
    inner: dict[str, float]  # spec -> inner leave-one-out mean log score
    forecast: CaseForecast


def pool_map(fn: Callable[[J], R], jobs: list[J], workers: int = 1,
             done: Callable[[J], None] | None = None) -> Iterator[R]:
    """fn over jobs, in order: in this process, or on a pool of `workers` processes (the same
    results: every job is deterministic); done(job) after each result."""
    with contextlib.ExitStack() as stack:
        if workers <= 1:
            results: Iterator[R] = map(fn, jobs)
        else:  # workers that leave Ctrl-C to this process, as the process backend's
            pool = worker_pool(workers)
            # on leaving (Ctrl-C too): the jobs not started are dropped, the running ones end
            stack.callback(pool.shutdown, wait=True, cancel_futures=True)
            results = in_order(submit_all(pool, fn, jobs))
        for job, r in zip(jobs, results, strict=True):
            if done:
                done(job)
            yield r


def _pair_job(args: tuple[list[CaseDesign], Spec, list[tuple[int, int]]]
              ) -> list[tuple[float, float]]:
    """For each pair (i, j): the spec fitted without both, log P(observed) of i and of j."""
    designs, spec, pairs = args
    out = []
    for i, j in pairs:
        train = [d for k, d in enumerate(designs) if k not in (i, j)]
        fit = spec.fit(train)
        li, lj = (float(np.log(max(fit.probabilities(spec.held(designs[k]))[
            designs[k].observed], PROB_FLOOR))) for k in (i, j))
        out.append((li, lj))
    return out


def _loo_job(args: tuple[list[CaseDesign], Spec, list[int]]) -> list[np.ndarray]:
    designs, spec, ks = args
    return [spec_forecast(spec, designs[:k] + designs[k + 1 :], designs[k]) for k in ks]


def nested_leave_one_out(designs: list[CaseDesign], candidates: tuple[Spec, ...] = NESTED,
                         workers: int = 1, progress: Callable[[int], None] | None = None
                         ) -> list[NestedForecast]:
    """Nested selection: for each held-out case k, every candidate specification is scored by a
    leave-one-out on the other cases only (each other case j forecast by the candidate fitted
    without j and k); the best (ties to the earlier candidate) is fitted on the cases other
    than k and forecasts k. The fit without {j, k} serves both outer k (inner j) and outer j
    (inner k), so each pair is fitted once per candidate. workers > 1: on a process pool (the
    same numbers). progress(n): called with the number of fits done after each batch."""
    n = len(designs)
    pairs = list(itertools.combinations(range(n), 2))
    batch = max(1, -(-len(pairs) // 8))
    pair_jobs = [(designs, s, pairs[b : b + batch]) for s in candidates
                 for b in range(0, len(pairs), batch)]
    loo_jobs = [(designs, s, list(range(n))) for s in candidates]

    def done(job: tuple[list[CaseDesign], Spec, list[Any]]) -> None:
        if progress:
            progress(len(job[2]))  # the fits in the job

    pair_res = list(pool_map(_pair_job, pair_jobs, workers, done))
    loo_res = list(pool_map(_loo_job, loo_jobs, workers, done))
    # inner[s][k, j]: log P(j observed) by candidate s fitted without j and k
    inner = {s.name: np.full((n, n), np.nan) for s in candidates}
    for (_, s, ps), res in zip(pair_jobs, pair_res, strict=True):
        for (i, j), (li, lj) in zip(ps, res, strict=True):
            inner[s.name][j, i], inner[s.name][i, j] = li, lj
    out = []
    for k, held in enumerate(designs):
        scores = {s.name: float(np.nanmean(np.delete(inner[s.name][k], k)))
                  for s in candidates}
        best = max(range(len(candidates)),
                   key=lambda c: (scores[candidates[c].name], -c))
        out.append(NestedForecast(held.case_id, candidates[best].name, scores, CaseForecast(
            held.case_id, held.observed, held.cap, {"model": loo_res[best][k]},
            alliance=held.alliance)))
    return out


def nested_fits(n: int, candidates: int = len(NESTED)) -> int:
    """How many fits the nested selection of n cases takes (pairs and the plain leave-one-out
    for each candidate), for a progress bar."""
    return candidates * (n * (n - 1) // 2 + n)


def recoded(designs: list[CaseDesign], coding: dict[str, int | None]) -> list[CaseDesign]:
    """The record under another reading of some outcomes (None: the case left out)."""
    known = {d.case_id for d in designs}
    missing = sorted(set(coding) - known)
    if missing:
        raise ValueError(f"recoding names cases not in the record: {', '.join(missing)}")
    out = []
    for d in designs:
        if d.case_id not in coding:
            out.append(d)
        elif coding[d.case_id] is not None:
            rung = int(coding[d.case_id])  # type: ignore[arg-type]
            out.append(replace(d, observed=min(rung, d.cap)))
    return out


def score(forecasts: list[CaseForecast]) -> Scores:
    log_score, brier = {}, {}
    if not forecasts:
        return Scores({}, {})
    for name in (n for n in (*FORECASTS, EUM) if n in forecasts[0].probs):
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
