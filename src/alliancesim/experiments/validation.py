"""Calibration and hindcast as user-facing reports (the CLI and the Python API call these)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from alliancesim.experiments import calibration, hindcast, likelihood
from alliancesim.scenario.case import Case, load_cases, to_scenario
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.loading import bundled_actors, bundled_alliance
from alliancesim.scenario.schema import COUNCIL_FEATURES, RUNGS

TOKEN_TROOPS = 500  # a contingent below a battalion's strength counts as a token


class Estimate(BaseModel):
    name: str
    value: float
    se: float
    prior: float


class CalibrationReport(BaseModel):
    cases: list[str]
    prior_sd: float
    log_likelihood: float
    mean_log_score_in_sample: float
    converged: bool
    estimates: list[Estimate]

    def parameters(self) -> dict[str, Any]:
        """The `parameters:` block of a parameter file."""
        est = {e.name: round(e.value, 4) for e in self.estimates}
        return {"council": {
            "intercept": 0.0,
            "coefficients": {f: est[f"coefficients.{f}"] for f in COUNCIL_FEATURES},
            "cutpoints": [est[f"cutpoints.{k}"] for k in range(1, 5)],
            "noise": "independent",
            "unilateral_margin": est["unilateral_margin"],
        }}

    def to_yaml(self) -> str:
        meta = {"fitted_on": self.cases, "prior_sd": self.prior_sd,
                "log_likelihood": round(self.log_likelihood, 4),
                "standard_errors": {e.name: round(e.se, 4) for e in self.estimates}}
        head = ("# Council parameters fitted by `alliancesim calibrate` (penalised maximum\n"
                "# likelihood on the closed form). Apply with `alliancesim run --params FILE`.\n")
        return head + yaml.safe_dump({"parameters": self.parameters(), "calibration": meta},
                                     sort_keys=False)


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


def designs(cases: list[Case]) -> list[likelihood.CaseDesign]:
    return [likelihood.design(compile_crisis(to_scenario(c), 0), c.observed_rung, c.id,
                              c.observed_outside) for c in cases]


def calibrate(folder: Path | None = None, prior_sd: float = 1.0) -> CalibrationReport:
    cases = load_cases(folder)
    fit = calibration.fit(designs(cases), prior_sd)
    prior = calibration.prior_theta()
    beta_se, tau_se = fit.beta_se(), fit.tau_se()
    est = [Estimate(name=f"coefficients.{f}", value=float(fit.beta[k]), se=float(beta_se[k]),
                    prior=float(prior[k])) for k, f in enumerate(COUNCIL_FEATURES)]
    prior_tau = likelihood.cutpoints(prior)
    est += [Estimate(name=f"cutpoints.{k + 1}", value=float(fit.tau[k]), se=float(tau_se[k]),
                     prior=float(prior_tau[k])) for k in range(4)]
    est.append(Estimate(name="unilateral_margin", value=fit.delta, se=fit.delta_se(),
                        prior=calibration.PRIOR_DELTA))
    return CalibrationReport(cases=[c.id for c in cases], prior_sd=prior_sd,
                             log_likelihood=fit.log_likelihood,
                             mean_log_score_in_sample=fit.log_likelihood / len(cases),
                             converged=fit.converged, estimates=est)


def contingents(cases: list[Case], trials: int = 20_000, seed: int = 2022,
                parameters: dict[str, Any] | None = None) -> list[Contingents]:
    """Simulated contributions beside the recorded ones, for cases that record contingents
    and ended in collective military help, conditional on that decision."""
    from alliancesim.api import simulate
    from alliancesim.scenario.params import apply_parameters

    out = []
    for c in cases:
        if not c.observed.contributions or c.observed.rung.value != "military":
            continue
        sc = to_scenario(c)
        if parameters:
            sc = apply_parameters(sc, parameters)
        ens = simulate(sc, trials=trials, seed=seed, keep_trials=True)
        model, r = ens.crises[0], ens.results[0]
        mil = r.rung == 4
        n = int(mil.sum())
        rows = []
        for i, m in enumerate(model.members):
            if i == model.victim:
                continue
            sent = r.troops[mil, i]
            recorded = c.observed.contributions.get(m)
            mean = float(sent.mean()) if n else None
            rows.append({"id": m, "recorded": recorded,
                         "recorded_token": (recorded < TOKEN_TROOPS
                                            if isinstance(recorded, int) else None),
                         "simulated_mean": mean,
                         "simulated_token": (0 < mean < TOKEN_TROOPS
                                             if mean is not None else None),
                         "p_sends": float((sent > 0).mean()) if n else None})
        total = r.troops[mil].sum()
        share = (float(r.troops[mil, model.leader].sum() / total)
                 if n and model.leader >= 0 and total > 0 else None)
        out.append(Contingents(case_id=c.id, trials_with_collective_military=n, members=rows,
                               simulated_leader_share=share,
                               recorded_notes=c.observed.contributions_notes))
    return out


def _spearman(measure: str, ids: list[str], size: list[float], burden: list[float]
              ) -> BurdenSharing:
    from scipy.stats import spearmanr

    res = spearmanr(size, burden)
    return BurdenSharing(measure=measure, members=ids, size=size, burden=burden,
                         spearman_rho=float(res.statistic), p_value=float(res.pvalue))


def burden_sharing(contingents_: list[Contingents]) -> list[BurdenSharing]:
    """Rank correlations between size (GDP) and burden: the CSTO's peacetime military burden
    (SIPRI milex / World Bank GDP, 2021, from the bundled actors), and, for Kazakhstan 2022,
    the simulated contingents per USD bn of GDP. Olson & Zeckhauser predict a positive rho."""
    actors = bundled_actors()
    csto = [m for m in bundled_alliance("csto").members
            if actors[m].gdp_usd_b and actors[m].milex_usd_m]
    gdp = {m: float(actors[m].gdp_usd_b or 0.0) for m in actors}
    out = [_spearman("military expenditure / GDP, CSTO members 2021 (SIPRI, World Bank)", csto,
                     [gdp[m] for m in csto],
                     [float(actors[m].milex_usd_m or 0.0) / (1000 * gdp[m]) for m in csto])]
    for k in contingents_:
        if k.case_id != "csto_2022_kaz_january":
            continue
        rows = [r for r in k.members if r["simulated_mean"]]
        ids = [r["id"] for r in rows]
        out.append(_spearman("simulated troops sent per USD bn of GDP, Kazakhstan 2022", ids,
                             [gdp[m] for m in ids],
                             [r["simulated_mean"] / gdp[r["id"]] for r in rows]))
    return out


def run_hindcast(folder: Path | None = None, prior_sd: float = 1.0,
                 contingent_trials: int = 20_000) -> HindcastReport:
    cases = load_cases(folder)
    ds = designs(cases)
    forecasts = hindcast.leave_one_out(ds, prior_sd)
    scores = hindcast.score(forecasts)
    preds = []
    for c, f in zip(cases, forecasts, strict=True):
        preds.append(CasePrediction(
            case_id=c.id, title=c.title, request=c.crisis.request, observed=RUNGS[f.observed],
            model=[float(x) for x in f.probs["model"]],
            p_observed={k: float(v[f.observed]) for k, v in f.probs.items()}))
    outside = [OutsideForecast(case_id=c.id, observed_rung=RUNGS[f.observed],
                               acted_outside=bool(f.outside), p_outside=f.p_outside,
                               joint_log_score=f.joint_log,
                               notes=c.observed.outside_action_notes)
               for c, f in zip(cases, forecasts, strict=True)
               if f.p_outside is not None and f.joint_log is not None]
    rel = {name: [ReliabilityBin(mean_forecast=a, observed_frequency=b, count=n)
                  for a, b, n in hindcast.reliability(forecasts, name)]
           for name in ("model", "frequency")}
    full = calibration.fit(ds, prior_sd, standard_errors=False)
    params = CalibrationReport(
        cases=[], prior_sd=prior_sd, log_likelihood=0.0, mean_log_score_in_sample=0.0,
        converged=True,
        estimates=[Estimate(name=f"coefficients.{f}", value=float(full.beta[k]), se=0.0,
                            prior=0.0) for k, f in enumerate(COUNCIL_FEATURES)]
        + [Estimate(name=f"cutpoints.{k + 1}", value=float(full.tau[k]), se=0.0, prior=0.0)
           for k in range(4)]
        + [Estimate(name="unilateral_margin", value=full.delta, se=0.0, prior=0.0)]
    ).parameters()
    recorded = contingents(cases, contingent_trials, parameters=params)
    return HindcastReport(cases=preds, log_score=scores.log_score, brier=scores.brier,
                          reliability=rel, prior_sd=prior_sd, contingents=recorded,
                          burden_sharing=burden_sharing(recorded), outside_action=outside,
                          differences=[ScoreDifference(**vars(hindcast.paired_bootstrap(
                              forecasts, "model", b))) for b in ("frequency", "leader decides")])
