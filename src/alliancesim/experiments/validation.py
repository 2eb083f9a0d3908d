"""Calibration, scoring and hindcast as reports (alliancesim.api calls these)."""

from __future__ import annotations

from typing import Any

import numpy as np

from alliancesim.cases import Case, design, load_cases, to_scenario
from alliancesim.experiments import calibration, hindcast, request_fit
from alliancesim.experiments.closed_form import response_probabilities
from alliancesim.model.council import CaseDesign
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.probit import PROB_FLOOR
from alliancesim.model.request import REQUEST_CAP
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.validation import (
    TOKEN_TROOPS,
    BurdenSharing,
    CalibrationReport,
    CasePrediction,
    CaseScore,
    Contingents,
    Estimate,
    GroupScores,
    HindcastReport,
    OutsideForecast,
    ReliabilityBin,
    RequestScores,
    ScoreDifference,
    ScoreReport,
)
from alliancesim.scenario.compile import REQUEST_LEVELS, compile_crisis
from alliancesim.scenario.loading import bundled_actors, bundled_alliance
from alliancesim.scenario.params import apply_parameters
from alliancesim.scenario.schema import RUNGS


def designs(cases: list[Case]) -> list[CaseDesign]:
    return [design(compile_crisis(to_scenario(c), 0), c.observed_rung, c.id, c.observed_outside)
            for c in cases]


def calibrate(cases: list[Case], prior_sd: float = 1.0, prior: str = "large-n"
              ) -> CalibrationReport:
    fit = calibration.fit(designs(cases), prior_sd, prior=prior)
    centre, _ = calibration.prior_of(prior, prior_sd)
    est = [Estimate(name=e.name, value=e.value, se=e.se,
                    prior=(float(centre[COUNCIL_FEATURES.index(e.name[13:])])
                           if e.name.startswith("coefficients.") else e.prior))
           for e in fit.estimates()]
    rq = request_fit.fit(request_fit.request_cases(cases), prior_sd)
    rq_est = [Estimate(name=n, value=float(t), se=float(s), prior=float(p))
              for n, t, s, p in zip(request_fit.NAMES, rq.theta, rq.se, request_fit.PRIOR,
                                    strict=True)]
    return CalibrationReport(cases=[c.id for c in cases], prior_sd=prior_sd, prior=prior,
                             request=rq.parameters(), request_estimates=rq_est,
                             council_theta=[float(x) for x in fit.theta],
                             council_cov=[[float(x) for x in row] for row in fit.cov],
                             council_alliances=list(getattr(fit.model, "alliances", ())),
                             alliance_prior_sd=float(prior_sd),
                             request_theta=[float(x) for x in rq.theta],
                             request_cov=[[float(x) for x in row] for row in rq.cov],
                             request_log_likelihood=rq.log_likelihood,
                             request_fixed={"intercept": 0.0,
                                            "trust_weight": request_fit.TRUST_WEIGHT},
                             log_likelihood=fit.log_likelihood,
                             mean_log_score_in_sample=fit.log_likelihood / len(cases),
                             converged=fit.converged, estimates=est,
                             council=fit.parameters())
def contingents(cases: list[Case], trials: int = 20_000, seed: int = 2022,
                parameters: dict[str, Any] | None = None) -> list[Contingents]:
    """Simulated contributions beside the recorded ones, for cases that record contingents
    and ended in collective military help, conditional on that decision."""
    out = []
    for c in cases:
        if not c.observed.contributions or c.observed.rung.value != "military":
            continue
        sc = to_scenario(c)
        if parameters:
            sc = apply_parameters(sc, parameters)
        ens = simulate_scenario(sc, trials=trials, seed=seed, keep_trials=True)
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


def run_hindcast(cases: list[Case], prior_sd: float = 1.0, contingent_trials: int = 20_000,
                 prior: str = "large-n") -> HindcastReport:
    ds = designs(cases)
    forecasts = hindcast.leave_one_out(ds, prior_sd, prior=prior)
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
    full = calibration.fit(ds, prior_sd, standard_errors=False, prior=prior)
    params = {"council": full.parameters()}
    recorded = contingents(cases, contingent_trials, parameters=params)
    groups = {}
    for alliance in sorted({c.alliance for c in cases}):
        sub = [f for c, f in zip(cases, forecasts, strict=True) if c.alliance == alliance]
        s = hindcast.score(sub)
        groups[alliance] = GroupScores(cases=len(sub), log_score=s.log_score, brier=s.brier,
                                       differences=[ScoreDifference(**vars(
                                           hindcast.paired_bootstrap(sub, "model", b)))
                                           for b in hindcast.BASELINES])
    rdata = request_fit.request_cases(cases)
    rlog, rbrier, rper = request_fit.loo_scores(rdata, request_fit.leave_one_out(rdata, prior_sd))
    request_scores = RequestScores(log_score=rlog, brier=rbrier,
                                   per_case={rc.case_id: s for rc, s in zip(rdata, rper,
                                                                            strict=True)})
    return HindcastReport(cases=preds, log_score=scores.log_score, brier=scores.brier,
                          request=request_scores,
                          reliability=rel, prior_sd=prior_sd, contingents=recorded,
                          burden_sharing=burden_sharing(recorded), outside_action=outside,
                          differences=[ScoreDifference(**vars(hindcast.paired_bootstrap(
                              forecasts, "model", b))) for b in hindcast.BASELINES],
                          by_alliance=groups, decline_eps=hindcast.DECLINE_EPS)


def score_cases(cases: list[Case], parameters: dict[str, Any] | None = None) -> ScoreReport:
    """Score each case with one fixed parameter set (the defaults laid over by `parameters`),
    without refitting: the model's closed-form P(rung) given the request made, beside every
    baseline that needs no fit on the scored case:

    - leader decides: the same parameters with the leader's weight 1 (the leader's preference
      decides; an alliance without a leader keeps its rule);
    - request base rate and frequency: the hindcast's base rates taken from the bundled record,
      leaving out the scored case itself when it is one of them;
    - uniform over the rungs the request allows; always decline.
    """
    record = designs(load_cases())
    rows = []
    used: dict[str, Any] = {}
    for c in cases:
        sc = to_scenario(c)
        if parameters:
            sc = apply_parameters(sc, parameters)
        used = sc.parameters.council.model_dump(mode="json")
        model = compile_crisis(sc, 0)
        led = compile_crisis(apply_parameters(sc, {"council": {"leader_weight": 1.0}}), 0)
        request = REQUEST_LEVELS.index(c.crisis.request)
        cap = int(REQUEST_CAP[request])
        others = [d for d in record if d.case_id != c.id]
        uniform = np.where(np.arange(5) <= cap, 1.0 / (cap + 1), 0.0)
        probs = {"model": response_probabilities(model),
                 "leader decides": response_probabilities(led),
                 "request base rate": hindcast.request_base_rate(others, request, cap),
                 "frequency": hindcast.frequency_forecast(others, cap),
                 "uniform over allowed": uniform,
                 "always decline": hindcast.decline_forecast(cap)}
        obs = c.observed_rung
        rows.append(CaseScore(
            case_id=c.id, request=c.crisis.request, observed=RUNGS[obs],
            probabilities={k: [float(x) for x in p] for k, p in probs.items()},
            log_score={k: float(np.log(max(p[obs], PROB_FLOOR))) for k, p in probs.items()}))
    names = list(rows[0].log_score)
    onehots = [np.eye(5)[RUNGS.index(r.observed)] for r in rows]
    return ScoreReport(
        parameters=used, cases=rows,
        log_score={k: float(np.mean([r.log_score[k] for r in rows])) for k in names},
        brier={k: float(np.mean([((np.array(r.probabilities[k]) - o) ** 2).sum()
                                 for r, o in zip(rows, onehots, strict=True)])) for k in names})
