"""Calibration, scoring and hindcast as reports (alliancesim.api calls these)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from alliancesim.cases import Case, design, load_cases, to_scenario, troops_of
from alliancesim.experiments import baselines, calibration, hindcast, posterior, request_fit, specs
from alliancesim.experiments.closed_form import response_probabilities, uncertain_inputs
from alliancesim.model.council import CaseDesign, EUMCouncil, OrderedProbit, eum_likelihood
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.probit import PROB_FLOOR
from alliancesim.model.request import REQUEST_CAP
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.validation import (
    TOKEN_TROOPS,
    AllianceOutScores,
    BurdenSharing,
    CalibrationReport,
    CasePrediction,
    CaseScore,
    CodingScores,
    Contingents,
    Estimate,
    GroupScores,
    HindcastReport,
    NestedCase,
    NestedReport,
    OutsideForecast,
    PosteriorEstimate,
    ReliabilityBin,
    RequestScores,
    ScoreDifference,
    ScoreReport,
    SpecScore,
)
from alliancesim.scenario.compile import REQUEST_LEVELS, compile_crisis
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.loading import bundled_actors, bundled_alliance
from alliancesim.scenario.params import apply_parameters
from alliancesim.scenario.schema import RUNGS, Scenario


def designs(cases: list[Case]) -> list[CaseDesign]:
    return [design(compile_crisis(to_scenario(c), 0), c.observed_rung, c.id, c.observed_outside)
            for c in cases]


def calibrate(cases: list[Case], prior_sd: float = 1.0, prior: str = "large-n",
              sample: bool = True, settings: posterior.Settings | None = None,
              request_settings: posterior.Settings | None = None,
              progress: Callable[[str], None] | None = None, council: str = "ordered_probit",
              council_trials: int | None = None) -> CalibrationReport:
    """The MAP of the council and of the request stage (with Laplace standard errors) and,
    with `sample`, their exact posteriors by MCMC (experiments/posterior.py): per parameter the
    posterior mean, sd, 5-95% interval, R-hat and ESS, and the draws.

    council "expected_utility": the expected-utility council's MAP by its simulated likelihood
    (eum_likelihood.EUMCouncil, `council_trials` draws per case), started at the probit's MAP
    on the same cases; no standard errors (NaN: the Hessian of a finite-difference gradient of
    a simulated objective is not worth its cost) and no posterior (`sample` must be False).
    Its `council` block has model: expected_utility and the bargaining's readings."""
    if council not in COUNCILS:
        raise UsageError(f"unknown council model; one of {', '.join(COUNCILS)}",
                         param="council", value=council)
    ds = designs(cases)
    if council == "expected_utility":
        if sample:
            raise UsageError("the expected-utility council has no posterior sampler (its "
                             "likelihood is simulated); leave --posterior off",
                             param="posterior", value=True)
        start = calibration.fit(ds, prior_sd, prior=prior, standard_errors=False)
        fit = calibration.fit(ds, prior_sd, prior=prior, standard_errors=False,
                              model=eum_council(council_trials), start=start.theta)
        held = fit.model.fixed()  # held parameters: no variance; the fitted ones: unknown
        cov = np.where(held[:, None] | held[None, :], 0.0, np.nan)
        fit = replace(fit, cov=cov)
    else:
        fit = calibration.fit(ds, prior_sd, prior=prior)
    centre, _ = calibration.prior_of(prior, prior_sd)
    est = [Estimate(name=e.name, value=e.value, se=e.se,
                    prior=(float(centre[COUNCIL_FEATURES.index(e.name[13:])])
                           if e.name.startswith("coefficients.") else e.prior))
           for e in fit.estimates()]
    rcases = request_fit.request_cases(cases)
    rq = request_fit.fit(rcases, prior_sd)
    rq_est = [Estimate(name=n, value=float(t), se=float(s), prior=float(p))
              for n, t, s, p in zip(request_fit.NAMES, rq.theta, rq.se, request_fit.PRIOR,
                                    strict=True)]
    summary: list[PosteriorEstimate] = []
    council_draws: list[list[float]] = []
    request_draws: list[list[float]] = []
    sampler: dict[str, dict[str, Any]] = {}
    if sample:
        cp = posterior.CouncilPosterior.of(ds, prior_sd, prior)
        chain = cp.sample(fit.theta, fit.cov, settings or posterior.Settings(),
                          None if progress is None else
                          lambda k, n: progress(f"the posterior by MCMC: step {k:,} of {n:,}"))
        names, values = posterior.natural_values(cp.model, chain.theta)
        at_map = cp.model.natural(fit.theta)
        summary += [_posterior_estimate(d, at_map[d.name], d.name.removeprefix("council."))
                    for d in posterior.diagnostics(names, values)]
        rp = posterior.RequestPosterior.of(rcases, prior_sd)
        rchain = rp.sample(rq.theta, rq.cov, request_settings or posterior.REQUEST_SETTINGS)
        rnames = [f"request.{n}" for n in request_fit.NAMES]
        summary += [_posterior_estimate(d, float(rq.theta[j]), d.name)
                    for j, d in enumerate(posterior.diagnostics(rnames, rchain.theta))]
        council_draws = chain.draws.tolist()
        request_draws = rchain.draws.tolist()
        sampler = {"council": _sampler_record(chain), "request": _sampler_record(rchain)}
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
                             council=fit.parameters(), posterior=summary,
                             council_draws=council_draws, request_draws=request_draws,
                             sampler=sampler)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _posterior_estimate(d: posterior.Diagnostic, at_map: float, name: str) -> PosteriorEstimate:
    return PosteriorEstimate(name=name, map=float(at_map), mean=d.mean, sd=d.sd, q05=d.q05,
                             q95=d.q95, rhat=_finite(d.rhat), ess_bulk=_finite(d.ess_bulk),
                             ess_tail=_finite(d.ess_tail))


def _sampler_record(chain: posterior.Chain) -> dict[str, Any]:
    return {**chain.settings.as_dict(), "acceptance": round(chain.acceptance, 4),
            "seconds": round(chain.seconds, 1)}


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
            recorded = troops_of(c.observed.contributions.get(m))
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


def _differences(forecasts: list[hindcast.CaseForecast], a: str, names: tuple[str, ...]
                 ) -> list[ScoreDifference]:
    return [ScoreDifference(**vars(hindcast.paired_bootstrap(forecasts, a, b))) for b in names]


def _spec_loo(args: tuple[specs.Spec, list[CaseDesign]]) -> list[hindcast.CaseForecast]:
    return hindcast.spec_leave_one_out(*args)


def ablation(ds: list[CaseDesign], progress: Callable[[str], None] | None = None,
             workers: int = 1) -> list[SpecScore]:
    """Every specification of experiments/specs.py, leave-one-out, against the model
    (workers > 1: the specifications on a process pool; the same numbers)."""
    jobs = [(spec, ds) for spec in specs.ABLATION]
    count = [0]

    def done(job: tuple[specs.Spec, list[CaseDesign]]) -> None:
        count[0] += 1
        if progress:
            progress(f"ablation: specification {count[0]} of {len(jobs)} ({job[0].name})")

    results = list(hindcast.pool_map(_spec_loo, jobs, workers, done))
    runs = list(zip(specs.ABLATION, results, strict=True))
    base = runs[0][1]
    out = []
    for spec, fc in runs:
        s = hindcast.score(fc)
        paired = [replace(f, probs={"model": m.probs["model"], spec.name: f.probs["model"]})
                  for f, m in zip(fc, base, strict=True)]
        diff = (None if spec is specs.MODEL else ScoreDifference(**vars(
            hindcast.paired_bootstrap(paired, spec.name, "model"))))
        out.append(SpecScore(name=spec.name, what=spec.what, log_score=s.log_score["model"],
                             brier=s.brier["model"], by_alliance=_by_alliance(fc),
                             versus_model=diff))
    return out


def _by_alliance(fc: list[hindcast.CaseForecast], name: str = "model") -> dict[str, float]:
    return {a: hindcast.score([f for f in fc if f.alliance == a]).log_score[name]
            for a in sorted({f.alliance for f in fc})}


def codings(ds: list[CaseDesign], prior_sd: float, prior: str,
            progress: Callable[[str], None] | None = None) -> list[CodingScores]:
    """The hindcast re-scored under each contested reading of an outcome (hindcast.CODINGS)
    whose cases are all in the record."""
    have = {d.case_id for d in ds}
    out = []
    todo = [(name, coding) for name, coding in hindcast.CODINGS.items() if set(coding) <= have]
    for k, (name, coding) in enumerate(todo, 1):
        if progress:
            progress(f"contested codings: {k} of {len(todo)} ({name})")
        rec = hindcast.recoded(ds, coding)
        s = hindcast.score(hindcast.leave_one_out(rec, prior_sd, prior=prior))
        out.append(CodingScores(coding=name, recoded={k: None if v is None else RUNGS[v]
                                                      for k, v in coding.items()},
                                cases=len(rec), log_score=s.log_score, brier=s.brier))
    return out


def nested(ds: list[CaseDesign], forecasts: list[hindcast.CaseForecast], workers: int = 1,
           progress: Callable[[str], None] | None = None) -> NestedReport:
    """The nested selection over specs.NESTED, beside the plain hindcast's forecasts."""
    done, total = [0], hindcast.nested_fits(len(ds))

    def tick(n: int) -> None:
        done[0] += n
        if progress:
            progress(f"nested selection: {done[0]:,} of {total:,} fits")

    if progress:
        progress(f"nested selection: {len(specs.NESTED)} candidates, {total:,} fits")
    res = hindcast.nested_leave_one_out(ds, specs.NESTED, workers, tick)
    nf = [r.forecast for r in res]
    s = hindcast.score(nf)
    paired = [replace(f, probs={**f.probs, "nested": n.probs["model"]})
              for f, n in zip(forecasts, nf, strict=True)]
    return NestedReport(
        candidates=[c.name for c in specs.NESTED],
        cases=[NestedCase(case_id=r.case_id, chosen=r.chosen, inner=r.inner,
                          p_observed=float(r.forecast.probs["model"][r.forecast.observed]))
               for r in res],
        log_score=s.log_score["model"], brier=s.brier["model"], by_alliance=_by_alliance(nf),
        versus=_differences(paired, "nested", hindcast.FORECASTS))


COUNCILS = ("ordered_probit", "expected_utility")


def eum_council(trials: int | None = None) -> EUMCouncil:
    """The expected-utility council whose likelihood the hindcast and calibrate fit: the
    calibrated probit's pins (calibration.DEFAULT_PINS: no common shock, the leader's weight
    0.5), the bargaining's default readings, `trials` draws per case (eum_likelihood.TRIALS
    unless given)."""
    return EUMCouncil(probit=OrderedProbit().with_pins(calibration.DEFAULT_PINS),
                      trials=eum_likelihood.TRIALS if trials is None else trials)


def run_hindcast(cases: list[Case], prior_sd: float = 1.0, contingent_trials: int = 20_000,
                 prior: str = "large-n", with_ablation: bool = True,
                 with_codings: bool = True, with_nested: bool = False, workers: int = 1,
                 progress: Callable[[str], None] | None = None,
                 with_alliances: bool = False, council: str = "ordered_probit",
                 council_trials: int | None = None) -> HindcastReport:
    """The leave-one-out hindcast (experiments/hindcast.py) as a report. council
    "expected_utility": the expected-utility council fitted on the same training cases as the
    probit's model (hindcast.EUM, "model (EUM)") is scored beside it: its scores, its paired
    bootstrap differences against the probit's model and every baseline (overall and by
    alliance) and its reliability bins join the report; the ablation, the codings, the nested
    selection and leave-one-alliance-out stay the probit's."""
    if council not in COUNCILS:
        raise UsageError(f"unknown council model; one of {', '.join(COUNCILS)}",
                         param="council", value=council)
    eum = eum_council(council_trials) if council == "expected_utility" else None
    if eum is not None and with_nested:
        raise UsageError("the nested selection chooses among the probit's specifications; it "
                         "does not apply with council expected_utility (leave --nested off)",
                         param="nested", value=True)
    ds = designs(cases)
    if progress:
        progress(f"leave-one-out: case 0 of {len(ds)}")
    forecasts = hindcast.leave_one_out(
        ds, prior_sd, prior=prior, progress=None if progress is None else
        lambda k, n: progress(f"leave-one-out: case {k} of {n} fitted on the others"),
        eum=eum)
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
           for name in ("model", *((hindcast.EUM,) if eum else ()), "frequency")}
    if progress:
        progress("the fit on every case, the recorded contingents and the request stage")
    full = calibration.fit(ds, prior_sd, standard_errors=False, prior=prior)
    params = {"council": full.parameters()}
    recorded = contingents(cases, contingent_trials, parameters=params)
    groups = _groups(forecasts)
    rdata = request_fit.request_cases(cases)
    rlog, rbrier, rper = request_fit.loo_scores(rdata, request_fit.leave_one_out(rdata, prior_sd))
    request_scores = RequestScores(log_score=rlog, brier=rbrier,
                                   per_case={rc.case_id: s for rc, s in zip(rdata, rper,
                                                                            strict=True)})
    return HindcastReport(cases=preds, log_score=scores.log_score, brier=scores.brier,
                          request=request_scores,
                          reliability=rel, prior_sd=prior_sd, contingents=recorded,
                          burden_sharing=burden_sharing(recorded), outside_action=outside,
                          differences=_all_differences(forecasts),
                          by_alliance=groups, decline_eps=hindcast.DECLINE_EPS,
                          alliance_aware=list(hindcast.ALLIANCE_AWARE),
                          ablation=ablation(ds, progress, workers) if with_ablation else [],
                          codings=codings(ds, prior_sd, prior, progress) if with_codings else [],
                          nested=nested(ds, forecasts, workers, progress) if with_nested
                          else None,
                          alliance_out=alliance_out(ds, prior_sd, progress) if with_alliances
                          else None)


def _all_differences(forecasts: list[hindcast.CaseForecast]) -> list[ScoreDifference]:
    """The model against every baseline (paired bootstrap); where the expected-utility
    council's forecast is there, it against the probit's model and every baseline after."""
    pairs = [("model", b) for b in hindcast.BASELINES]
    if forecasts and hindcast.EUM in forecasts[0].probs:
        pairs += [(hindcast.EUM, b) for b in ("model", *hindcast.BASELINES)]
    return [ScoreDifference(**vars(hindcast.paired_bootstrap(forecasts, a, b)))
            for a, b in pairs]


def _groups(forecasts: list[hindcast.CaseForecast]) -> dict[str, GroupScores]:
    """The scores of each alliance's cases, with the model (and the expected-utility
    council's, where there) against every baseline."""
    out = {}
    for alliance in sorted({f.alliance for f in forecasts}):
        sub = [f for f in forecasts if f.alliance == alliance]
        s = hindcast.score(sub)
        out[alliance] = GroupScores(cases=len(sub), log_score=s.log_score, brier=s.brier,
                                    differences=_all_differences(sub))
    return out


def alliance_out(ds: list[CaseDesign], prior_sd: float = 1.0,
                 progress: Callable[[str], None] | None = None) -> AllianceOutScores:
    """Leave-one-alliance-out (hindcast.leave_one_alliance_out), unpooled and pooled, each
    against the best baseline that knows the alliance (paired bootstrap)."""
    alliances = sorted({d.alliance for d in ds})
    if len(alliances) < 2:
        raise UsageError("needs cases of at least two alliances (add --cases beyond)",
                         param="by_alliance", value=", ".join(alliances))
    if progress:
        progress(f"fitting on all alliances but one, for each of {len(alliances)}")
    plain = hindcast.leave_one_alliance_out(ds, prior_sd)
    if progress:
        progress("the same with the intercepts partially pooled")
    pooled = hindcast.leave_one_alliance_out(ds, prior_sd, pooled=True)
    s, sp = hindcast.score(plain), hindcast.score(pooled)
    best = max(hindcast.ALLIANCE_AWARE, key=lambda n: s.log_score[n])
    best_p = max(hindcast.ALLIANCE_AWARE, key=lambda n: sp.log_score[n])
    return AllianceOutScores(
        alliances=len(alliances), log_score=s.log_score, brier=s.brier,
        by_alliance=_groups(plain),
        against_best=ScoreDifference(**vars(hindcast.paired_bootstrap(plain, "model", best))),
        pooled_log_score=sp.log_score["model"], pooled_brier=sp.brier["model"],
        pooled_against_best=ScoreDifference(**vars(hindcast.paired_bootstrap(
            pooled, "model", best_p))))


UNSEEN_INTERCEPT_SD = 1.0  # the prior sd of an alliance's intercept (calibration.fit)


def _fixed_forecast(sc: Scenario, alliance: str, known: bool, nodes: int = 24) -> np.ndarray:
    """The closed-form P(rung) of a one-crisis case scenario with its parameters fixed, every
    input at its point value (as the fit takes a case's). An alliance whose intercept the
    parameters do not give (`known` False) has it integrated over its prior,
    b_a ~ N(0, UNSEEN_INTERCEPT_SD), by Gauss-Hermite quadrature (as
    hindcast.unseen_alliance_probabilities does for a fit: hindcast.over_intercept_prior)."""
    if known:
        return response_probabilities(compile_crisis(sc, 0), at_points=True)

    def at(b: float) -> np.ndarray:
        shifted = apply_parameters(sc, {"council": {"alliance_intercepts": {alliance: b}}})
        return response_probabilities(compile_crisis(shifted, 0), at_points=True)

    return hindcast.over_intercept_prior(at, UNSEEN_INTERCEPT_SD, nodes)


def score_cases(cases: list[Case], parameters: dict[str, Any] | None = None) -> ScoreReport:
    """Score each case with one fixed parameter set (the defaults laid over by `parameters`),
    without refitting: the model's closed-form P(rung) given the request made, beside every
    baseline that needs no fit on the scored case:

    - leader decides: the same parameters with the leader's weight 1 (the leader's preference
      decides; an alliance without a leader keeps its rule);
    - the alliance-aware baselines (its base rate, "it grants", the intercept probit) and the
      request base rate and frequency: from the bundled record, leaving out the scored case
      itself when it is one of them; an alliance without cases there reads the pooled ones;
    - uniform over the rungs the request allows; always decline.

    An alliance whose intercept the parameters do not give has it integrated over its prior
    (the frozen test of a new alliance: _fixed_forecast); inputs given as distributions are
    taken at their point values, as the fit takes them. Both are noted per case.
    """
    record = designs(load_cases())
    rows = []
    forecasts = []
    used: dict[str, Any] = {}
    for c in cases:
        sc = to_scenario(c)
        if parameters:
            sc = apply_parameters(sc, parameters)
        used = sc.parameters.council.model_dump(mode="json")
        model = compile_crisis(sc, 0)
        alliance = model.alliance
        known = alliance in sc.parameters.council.alliance_intercepts
        notes = [] if known else [
            f"{alliance}: no intercept in the parameters; integrated over its prior "
            f"N(0, {UNSEEN_INTERCEPT_SD:g})"]
        uncertain = uncertain_inputs(model)
        if uncertain:
            notes.append("at their point values: " + ", ".join(uncertain))
        led = apply_parameters(sc, {"council": {"leader_weight": 1.0}})
        request = REQUEST_LEVELS.index(c.crisis.request)
        cap = int(REQUEST_CAP[request])
        others = [d for d in record if d.case_id != c.id]
        probs = {"model": _fixed_forecast(sc, alliance, known),
                 "alliance base rate": baselines.alliance_base_rate(others, alliance, request,
                                                                    cap),
                 "alliance grants": baselines.grants_forecast(others, alliance, request, cap),
                 "alliance probit": baselines.fit_alliance_probit(others).probabilities(
                     design(model, 0, c.id)),
                 "leader decides": _fixed_forecast(led, alliance, known),
                 "request base rate": baselines.request_base_rate(others, request, cap),
                 "frequency": baselines.frequency_forecast(others, cap),
                 "uniform over allowed": np.where(np.arange(5) <= cap, 1.0 / (cap + 1), 0.0),
                 "always decline": baselines.decline_forecast(cap)}
        obs = c.observed_rung
        forecasts.append(hindcast.CaseForecast(c.id, obs, cap, probs, alliance=alliance))
        rows.append(CaseScore(
            case_id=c.id, request=c.crisis.request, observed=RUNGS[obs], alliance=alliance,
            probabilities={k: [float(x) for x in p] for k, p in probs.items()},
            log_score={k: float(np.log(max(p[obs], PROB_FLOOR))) for k, p in probs.items()},
            notes=notes))
    names = list(rows[0].log_score)
    onehots = [np.eye(5)[RUNGS.index(r.observed)] for r in rows]
    log_score = {k: float(np.mean([r.log_score[k] for r in rows])) for k in names}
    best = max(hindcast.ALLIANCE_AWARE, key=lambda n: log_score[n])
    by_alliance: dict[str, dict[str, float]] = {}
    for a in sorted({f.alliance for f in forecasts}):
        own = [f for f in forecasts if f.alliance == a]
        by_alliance[a] = {"cases": float(len(own)), **hindcast.score(own).log_score}
    return ScoreReport(
        parameters=used, cases=rows, log_score=log_score,
        brier={k: float(np.mean([((np.array(r.probabilities[k]) - o) ** 2).sum()
                                 for r, o in zip(rows, onehots, strict=True)])) for k in names},
        against_best=ScoreDifference(**vars(hindcast.paired_bootstrap(forecasts, "model",
                                                                      best))),
        by_alliance=by_alliance)
