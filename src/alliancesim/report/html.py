"""One self-contained HTML page for a kept result: a briefing that can be sent on.

Every kind of record has its page (run, compare, sweep, sensitivity, discover, hindcast,
reliability, calibrate), rendered from the Jinja2 templates in report/templates/ (package data;
autoescape on, so no text from a record is ever markup). This module only gathers what a page
shows (sentences, table cells, figures) into the template's context; the templates hold the
markup. Everything is inline (CSS, figures as base64 PNG): the page opens with no network.

Rules every page keeps (tests/test_issue22_reports.py checks them for every kind):
- no "None" and no raw JSON: a field the record lacks is left out or said in words
  ("not recorded"); the environment's `finalize` turns a stray None into "not recorded";
- one scenario SHA-256, the store's (store.digest: the same definition as a run's run.json);
- the sources: the datasets behind the record's scenario (or its cases, or the large-N fit)
  with their BibTeX, as `alliancesim data cite` gives it (datasets.citations); "the bundled data
  files" only when no value names a dataset.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

import jinja2
import yaml
from matplotlib.figure import Figure

from alliancesim.data.bundled import CASE_SETS
from alliancesim.datasets.citations import SELF, bibtex_for_used, used_datasets
from alliancesim.datasets.kinds import KINDS
from alliancesim.model.council.eum_likelihood import FORECAST as EUM
from alliancesim.report import plots, record_plots
from alliancesim.report.comparison_tables import outside_lines
from alliancesim.report.tables import held_out_note
from alliancesim.results.bands import held_out
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.discovery import DiscoveryReport
from alliancesim.results.reach import record_line
from alliancesim.results.reliability import ReliabilityReport
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.sequence import SequenceComparison, SequenceReport
from alliancesim.results.summary import (
    ASKED,
    CAP,
    FIXED,
    SHOWN_REQUESTS,
    CrisisSummary,
    EnsembleSummary,
    detail,
)
from alliancesim.results.sweep import SweepReport
from alliancesim.results.validation import CalibrationReport, HindcastReport
from alliancesim.scenario.schema import RUNGS

CITATION = ("The alliancesim authors (2026). alliancesim: simulating collective-security "
            "alliances in crises (version {version}). Software; see CITATION.cff.")
NOT_RECORDED = "not recorded"
TITLES = {"run": "Simulation", "compare": "Comparison", "sweep": "Sweep",
          "sensitivity": "Sensitivity analysis", "discover": "Scenario discovery",
          "hindcast": "Hindcast", "reliability": "Reliability of allies (large-N fit)",
          "calibrate": "Calibration", "sequence": "Sequence of crises",
          "sequence-comparison": "Sequence of crises: a counterfactual"}


def _finalize(value: object) -> object:
    """What a template prints for a value: None is said in words, never printed."""
    return NOT_RECORDED if value is None else value


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescape on for every template, undefined names an error
    (a template that names a missing field fails its test, it does not print nothing)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("alliancesim.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, finalize=_finalize,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{100 * p:.1f}%"


def _figure(make: Callable[[], Figure | None], alt: str) -> dict[str, str] | None:
    """A figure as an inline PNG (120 dpi): made by a plotting function that returns it."""
    import matplotlib.pyplot as plt

    fig = make()
    if fig is None:
        return None
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    plt.close(fig)
    return {"alt": alt, "data": base64.b64encode(buf.getvalue()).decode()}


def _table(head: Iterable[str], rows: Iterable[Iterable[object]], css: str = "",
           opens: Callable[[list[str]], bool] | None = None) -> dict[str, Any]:
    """A table for the `table` macro; `opens(row)`: the row opens a block (class 'req')."""
    body = [[str(c) for c in r] for r in rows]
    return {"head": [str(h) for h in head], "rows": body, "css": css,
            "opens": [bool(opens and opens(r)) for r in body]}


# --------------------------------------------------------------------------- run
def _response_rows(c: CrisisSummary, label: str, level: str | None,
                   spread: dict[str, tuple[float, float]]) -> list[list[str]]:
    """One request's rows: the forecast with its Monte Carlo error, the parameter range, the
    base rate with whose cases it counts ('-': a rung the request rules out)."""
    cap = CAP.get(level or "", 4)
    rungs = list(c.response)

    def row(first: str, f: Callable[[str], str]) -> list[str]:
        return [first, *(f(k) if j <= cap else "-" for j, k in enumerate(rungs))]

    rows = [row(label, lambda k: f"{_pct(c.response[k])} ± {100 * c.response_se[k]:.1f}")]
    if spread:
        rows.append(row("90 % range, parameter uncertainty",
                        lambda k: f"{100 * spread[k][0]:.0f}–{100 * spread[k][1]:.0f}%"
                        if k in spread else "-"))
    if c.base_rate is not None:
        base = c.base_rate
        if c.base_rates is None:  # a record kept before 0.4: every alliance's cases
            name = "base rate (all cases with the same request)"
        elif level is not None:
            name = "base rate: " + c.base_rates[level].label
        else:
            name = "base rate, mixed the same way"
        rows.append(row(name, lambda k: _pct(base[k])))
    return rows


def _request_note(c: CrisisSummary, s: EnsembleSummary) -> str:
    r, score = c.request, s.request_stage
    text = (f"Mixed: {c.victim}'s request drawn by the fitted request stage (no request "
            f"{_pct(r['none'])}, consultations {_pct(r['consultations'])}, military help "
            f"{_pct(r['military'])}).")
    if score is not None:
        text += (f" Held out (each of the {score.cases} bundled cases predicted by the stage "
                 f"refitted without it), that stage's mean log score is {score.fitted:.3f} "
                 f"against {score.uniform:.3f} for a uniform third and {score.frequency:.3f} "
                 "for the other cases' frequency of requests"
                 + (": it does not foresee what a victim asks, so read the forecast by request."
                    if score.fitted < score.uniform else "."))
    return text


def _opens_request(r: list[str]) -> bool:
    return r[0].startswith(("if ", "mixed")) or r[0] == "model"


def _run_crisis(c: CrisisSummary, s: EnsembleSummary,
                ranges: dict[str, dict[str, tuple[float, float]]] | None) -> dict[str, Any]:
    own = c.parameter_band or (ranges or {}).get(c.crisis_id, {})
    rows: list[list[str]] = []
    if c.by_request:
        for level in SHOWN_REQUESTS:
            if level in c.by_request:
                at = c.by_request[level]
                rows += _response_rows(at, f"if {ASKED[level]}", level, at.parameter_band or {})
        rows += _response_rows(c, "mixed over the request stage", None, own)
    else:
        rows += _response_rows(c, "model" if c.request_fixed else
                               "mixed over the request stage", c.request_fixed, own)
    if c.request_fixed is not None:
        caption = f"Collective response: {c.victim} {FIXED[c.request_fixed]} (the scenario)"
    elif c.by_request:
        caption = (f"Collective response, by what {c.victim} asks for (each request run with "
                   "the same seed), then mixed over the request stage")
    else:
        caption = "Collective response, mixed over the request stage"
    d = detail(c)
    given = f", if {c.victim} asks for military help" if d is not c else ""
    members = [[m.id, m.role, *(["-", "-", "-"] if m.role in ("victim", "aggressor") else
                                [_pct(m.preferred_military), _pct(m.holds_out),
                                 _pct(m.sole_veto)]), f"{m.mean_troops:,.0f}"]
               for m in d.members]
    ends = [["with the alliance", *(_pct(d.outcome_with_alliance[k])
                                    for k in ("repelled", "contained", "lost"))],
            ["victim alone", *(_pct(d.outcome_alone[k]) for k in ("repelled", "contained",
                                                                  "lost"))]]
    runs = (f"{c.trials:,} trials for each request and {c.trials:,} mixed" if c.by_request
            else f"{c.trials:,} trials")
    acts = f"If {c.victim} asks for military help, acts" if given else "Acts"
    return {
        "title": c.title,
        "lead": f"{c.victim} hit by {c.aggressor} ({c.threat.replace('_', ' ')}); {runs}.",
        "outside": [line] if (line := record_line(c.outside_record)) else [],
        "response": _table([caption, *c.response], rows, css="response", opens=_opens_request),
        "request_note": _request_note(c, s) if c.request_fixed is None else "",
        "members_heading": f"Members{given}",
        "members": _table(["member", "role", "wants military help", "holds out", "sole veto",
                           "expected troops"], members),
        "acts": (f"{acts} without the alliance: {_pct(d.p_acts_without_alliance)}; troops sent "
                 f"in {_pct(d.p_troops_sent)} of trials; leader's share of troops "
                 f"{_pct(d.leader_share)}."),
        "ends": _table([f"how it ends{given}", "repelled", "contained", "lost"], ends),
    }


def _run(s: EnsembleSummary, ranges: dict[str, dict[str, tuple[float, float]]] | None = None
         ) -> dict[str, Any]:
    return {
        "crises": [_run_crisis(c, s, ranges) for c in s.crises],
        "held_out": held_out_note(s.held_out) if s.held_out is not None else "",
        "figures": [f for f in (
            _figure(lambda: plots.response_figure(s), "collective response"),
            _figure(lambda: plots.contributions_figure(s), "contributions"),
            _figure(lambda: plots.outcomes_figure(s), "outcomes")) if f],
    }


# --------------------------------------------------------------------------- analyses
def _compare(r: ComparisonReport) -> dict[str, Any]:
    crises = []
    for c in r.crises:
        by = {(d.variant, d.headline): d for d in c.differences}
        others = [v for v in r.variants[1:] if v in c.values]
        rows = []
        for h in c.values[r.base]:
            row = [h, _pct(c.values[r.base][h])]
            for v in others:
                d = by[(v, h)]
                row.append(f"{_pct(c.values[v][h])} ({100 * d.difference:+.1f} ± "
                           f"{100 * d.se_paired:.1f} pp; independent ± "
                           f"{100 * d.se_independent:.1f})")
            rows.append(row)
        crises.append({"title": c.title, "outside": outside_lines(c, r.variants),
                       "table": _table(["headline", r.base, *others], rows)})
    return {"lead": (f"Base: {r.base}; variants: {', '.join(r.variants[1:])}; {r.trials:,} "
                     "trials per crisis, common random numbers."),
            "base": r.base,
            "figures": [f for f in [_figure(lambda: plots.comparison_figure(r), "comparison")]
                        if f],
            "crises": crises}


def _sweep(r: SweepReport) -> dict[str, Any]:
    rows = [[str(p.point), p.crisis_id,
             *(f"{v:g}" if isinstance(v := p.values[k], float) else str(v) for k in r.paths),
             *(_pct(v) for v in p.outcomes.values())] for p in r.points]
    heads = list(r.points[0].outcomes) if r.points else []
    return {"figures": [f for f in [_figure(lambda: plots.sweep_figure(r), "sweep")] if f],
            "table": _table(["point", "crisis", *r.paths, *heads], rows)}


def _sensitivity(r: SensitivityReport) -> dict[str, Any]:
    rows = [[c.crisis_id, i.outcome, i.input,
             "-" if i.s1 is None else f"{i.s1:.2f} ± {i.s1_conf or 0:.2f}",
             "-" if i.st is None else f"{i.st:.2f} ± {i.st_conf or 0:.2f}",
             "-" if i.mu_star is None else f"{i.mu_star:.3f}"]
            for c in r.crises for i in c.indices]
    return {"figures": [f for f in [_figure(lambda: plots.sensitivity_figure(r),
                                            "sensitivity")] if f],
            "table": _table(["crisis", "outcome", "quantity", "first-order", "total", "mu*"],
                            rows)}


def _discover(r: DiscoveryReport) -> dict[str, Any]:
    boxes = []
    for i, b in enumerate(r.boxes, 1):
        limits = _table(["input", "from", "to"], [
            [lim.input, f"{lim.low:.4g}" if lim.restricted_low else "(no lower limit)",
             f"{lim.high:.4g}" if lim.restricted_high else "(no upper limit)"]
            for lim in b.limits])
        n = max(round(b.mass * r.trials), 1)
        low, high = record_plots.binomial_interval(min(round(b.density * n), n), n)
        boxes.append({"name": f"Box {i}", "sentence": b.sentence, "limits": limits,
                      "stats": _table(["coverage", "density (90% Wilson interval)", "mass",
                                       "trials in the box"],
                                      [[_pct(b.coverage), f"{_pct(b.density)} ({_pct(low)}–"
                                        f"{_pct(high)})", _pct(b.mass), f"{n:,}"]])})
    return {
        "lead": (f"{r.title} (crisis {r.crisis_id}): {r.outcome} in {_pct(r.base_rate)} of "
                 f"{r.trials:,} trials. PRIM over the drawn inputs ({', '.join(r.inputs)}), "
                 f"peeling towards a density of {_pct(r.threshold)}."),
        "boxes": boxes,
        "none_found": ("PRIM found no box: the outcome happened in every trial or in none."
                       if not r.boxes else ""),
        "whole_space": any(not b.limits for b in r.boxes),
        "figures": [f for f in [_figure(lambda: record_plots.discovery_tradeoff_figure(r),
                                        "coverage against density")] if f],
    }


# --------------------------------------------------------------------------- validation
def _scores_table(r: HindcastReport) -> dict[str, Any]:
    """Log score / Brier per forecast: every case, then per alliance."""
    groups = [("all", len(r.cases), r.log_score, r.brier)] + [
        (name.upper(), g.cases, g.log_score, g.brier) for name, g in r.by_alliance.items()]
    rows = []
    for forecast in r.log_score:
        cells = [forecast]
        for _, _, ls_, bs_ in groups:
            if forecast in ls_ and forecast in bs_:
                cells.append(f"{ls_[forecast]:.3f} / {bs_[forecast]:.3f}")
            else:
                cells.append("-")
        rows.append(cells)
    return _table(["forecast", *(f"{n} ({k} cases)" for n, k, _, _ in groups)], rows)


def _hindcast(r: HindcastReport) -> dict[str, Any]:
    baselines = {k: v for k, v in r.log_score.items() if k not in ("model", EUM)}
    summary = []
    if baselines and "model" in r.log_score:
        strongest = max(baselines, key=lambda k: baselines[k])
        gap = r.log_score["model"] - baselines[strongest]
        summary.append(f"Strongest baseline by the log score: {strongest} "
                       f"({baselines[strongest]:.3f}); the model is "
                       f"{'ahead' if gap > 0 else 'behind'} by {abs(gap):.3f} per case.")
    if r.alliance_aware and "model" in r.log_score:
        best = r.best_alliance_baseline()
        gap = r.log_score["model"] - r.log_score[best]
        summary.append(f"Best baseline that knows the alliance: {best} "
                       f"({r.log_score[best]:.3f}); the model is "
                       f"{'ahead' if gap > 0 else 'behind'} by {abs(gap):.3f} per case.")
    diffs = [("all", d) for d in r.differences] + [
        (k.upper(), d) for k, g in r.by_alliance.items() for d in g.differences]
    differences = _table(["cases", "comparison", "difference", "90% interval",
                          "resamples where the first is better"],
                         [[label, f"{d.a} - {d.b}", f"{d.mean:+.3f}",
                           f"{d.low:+.2f} to {d.high:+.2f}", _pct(d.p_a_better)]
                          for label, d in diffs])
    forecasts = list(r.cases[0].p_observed) if r.cases else []
    cases = _table(["case", "asked", "observed", "model's most likely",
                    *(f"P(observed): {f}" for f in forecasts)],
                   [[f"{c.title} ({c.case_id})", c.request, c.observed,
                     RUNGS[max(range(len(c.model)), key=lambda j: c.model[j])]
                     if c.model else "-",
                     *(_pct(c.p_observed.get(f)) for f in forecasts)] for c in r.cases])
    points = record_plots.reliability_points(r)
    bins = _table(["forecast", "bin mean", "observed", "90% Wilson interval", "forecasts"],
                  [[name, _pct(x), _pct(y), f"{_pct(lo)}–{_pct(hi)}", str(n)]
                   for name, rows in points.items() for x, y, lo, hi, n in rows])
    request = (_table(["forecast", "log score", "Brier"],
                      [[k, f"{v:.3f}", f"{r.request.brier.get(k, float('nan')):.3f}"]
                       for k, v in r.request.log_score.items()])
               if r.request is not None else None)
    ablation = (_table(["specification", "what", "log score", "Brier",
                        "against the model (90% interval)"],
                       [[s.name, s.what, f"{s.log_score:.3f}", f"{s.brier:.3f}",
                         f"{s.versus_model.mean:+.3f} ({s.versus_model.low:+.2f} to "
                         f"{s.versus_model.high:+.2f})" if s.versus_model else "-"]
                        for s in r.ablation]) if r.ablation else None)
    codings = (_table(["reading", "cases", *(f"log score: {k}" for k in r.log_score)],
                      [[c.coding, str(c.cases), *(f"{c.log_score[k]:.3f}" if k in c.log_score
                                                  else "-" for k in r.log_score)]
                       for c in r.codings]) if r.codings else None)
    nested = None
    if r.nested is not None:
        chosen = ", ".join(f"{c.case_id}: {c.chosen}" for c in r.nested.cases)
        nested = (f"Nested selection among {len(r.nested.candidates)} specifications: mean log "
                  f"score {r.nested.log_score:.3f}, Brier {r.nested.brier:.3f}; chosen per "
                  f"case: {chosen}.")
    contingents = (_table(["case", "member", "recorded troops", "simulated mean", "P(sends)"],
                          [[k.case_id, str(m.get("id", "-")),
                            "-" if m.get("recorded") is None else
                            (f"{m['recorded']:,}" if isinstance(m["recorded"], int)
                             else str(m["recorded"])),
                            "-" if m.get("simulated_mean") is None
                            else f"{m['simulated_mean']:,.0f}",
                            _pct(m.get("p_sends"))]
                           for k in r.contingents for m in k.members
                           if m.get("recorded") is not None
                           or (m.get("simulated_mean") or 0) >= 0.5])
                   if r.contingents else None)
    alliance_out = None
    if r.alliance_out is not None:
        ao = r.alliance_out
        b = ao.against_best
        alliance_out = (f"Leave one alliance out ({ao.alliances} alliances): the model's mean "
                        f"log score {ao.log_score.get('model', float('nan')):.3f}, partially "
                        f"pooled {ao.pooled_log_score:.3f}; against the best alliance-aware "
                        f"baseline {b.mean:+.3f} ({b.low:+.2f} to {b.high:+.2f}).")
    return {
        "lead": (f"Leave-one-out forecasts of {len(r.cases)} historical cases, each from a fit "
                 f"on the others (prior sd {r.prior_sd:g}), scored against every baseline; "
                 "given the request actually made."),
        "summary": summary,
        "scores": _scores_table(r),
        "differences": differences,
        "bins": bins,
        "cases": cases,
        "request": request,
        "ablation": ablation,
        "alliance_out": alliance_out,
        "codings": codings,
        "nested": nested,
        "contingents": contingents,
        "decline_eps": f"{1 - r.decline_eps:g}",
        "figures": [f for f in (
            _figure(lambda: record_plots.hindcast_reliability_figure(r),
                    "reliability diagram with binomial intervals"),
            _figure(lambda: record_plots.hindcast_differences_figure(r),
                    "score differences with bootstrap intervals"),
            _figure(lambda: record_plots.hindcast_cases_figure(r),
                    "each case: predicted and observed")) if f],
    }


def _reliability(r: ReliabilityReport) -> dict[str, Any]:
    coefficients = _table(["coefficient", "estimate", "se", "90% interval"],
                          [[c.name, f"{c.value:+.3f}", f"{c.se:.3f}",
                            f"{c.low:+.3f} to {c.high:+.3f}"] for c in r.coefficients])
    forecasts = list(dict.fromkeys(k for h in r.held_out for k in (*h.auc, *h.log_score)))
    forecasts.sort(key=lambda k: k != "model")  # the model first, then as recorded
    held = _table(["held out", *(f"AUC: {k}" for k in forecasts),
                   *(f"log score: {k}" for k in forecasts)],
                  [[h.scheme, *(f"{h.auc[k]:.3f}" if k in h.auc else "-" for k in forecasts),
                    *(f"{h.log_score[k]:.3f}" if k in h.log_score else "-"
                      for k in forecasts)] for h in r.held_out])
    outcomes = ", ".join(f"{k} {v:,}" for k, v in r.outcomes.items())
    cases = (_table(["case", "allies", "some ally joined", *r.case_log_score],
                    [[c.case_id, str(c.allies), "yes" if c.joined else "no",
                      *(_pct(c.probabilities.get(k)) for k in r.case_log_score)]
                     for c in r.cases]) if r.cases else None)
    return {
        "lead": (f"The large-N member model (an ordered probit of each ally's response to a "
                 f"dispute): {r.observations:,} ally-dispute observations in {r.disputes:,} "
                 f"disputes ({outcomes}); log-likelihood {r.log_likelihood:.1f}. "
                 f"{r.dropped_no_ideal_points:,} observations left out without ideal points, "
                 f"{r.excluded_for_cases:,} because they are among the bundled cases."),
        "coefficients": coefficients,
        "held_out": held,
        "fulfilment": _table(["what", "rate", "observations"],
                             [[f.what, _pct(f.rate), f"{f.n:,}"] for f in r.fulfilment]),
        "cases": cases,
        "case_scores": ", ".join(f"{k} {v:.3f}" for k, v in r.case_log_score.items()),
        "specification": r.specification,
        "figures": [f for f in [_figure(lambda: record_plots.reliability_coefficients_figure(r),
                                        "coefficients with 90% intervals")] if f],
    }


def _calibrate(r: CalibrationReport) -> dict[str, Any]:
    post = {p.name: p for p in r.posterior}
    est = r.estimates + [e.model_copy(update={"name": f"request.{e.name}"})
                         for e in r.request_estimates]
    z = record_plots.Z90
    head = ["parameter", "MAP", "se (Laplace)", "90% interval (Laplace)", "prior"]
    if post:
        head += ["posterior mean", "posterior 5-95%", "R-hat", "ESS (bulk)"]
    rows = []
    for e in est:
        row = [e.name, f"{e.value:+.3f}", *(["-", "held fixed (not fitted)"] if e.se == 0 else
                                            [f"{e.se:.3f}", f"{e.value - z * e.se:+.3f} to "
                                             f"{e.value + z * e.se:+.3f}"]), f"{e.prior:+.3f}"]
        if post:
            p = post.get(e.name)
            row += (["-"] * 4 if p is None else [
                f"{p.mean:+.3f}", f"{p.q05:+.3f} to {p.q95:+.3f}",
                "-" if p.rhat is None else f"{p.rhat:.3f}",
                "-" if p.ess_bulk is None else f"{p.ess_bulk:,.0f}"])
        rows.append(row)
    found = record_plots.correlations(r)
    strong = []
    if found is not None:
        names, corr, _source = found
        pairs = sorted(((abs(corr[i, j]), names[i], names[j], corr[i, j])
                        for i in range(len(names)) for j in range(i)), reverse=True)
        strong = [[a, b, f"{c:+.2f}"] for _, a, b, c in pairs[:8]]
    return {
        "lead": (f"The council and the request stage fitted to {len(r.cases)} cases (the "
                 f"{r.prior} prior, sd {r.prior_sd:g}): log-likelihood "
                 f"{r.log_likelihood:.2f} at the MAP, mean log score in sample "
                 f"{r.mean_log_score_in_sample:.3f}"
                 + ("." if r.converged else "; the optimiser did NOT converge.")),
        "posterior": (f"The exact posterior by MCMC: {r.draws:,} draws." if r.draws else
                      "The posterior was not drawn (calibrate --no-posterior): the intervals "
                      "are the Laplace approximation's."),
        "estimates": _table(head, rows),
        "correlations": _table(["parameter", "with", "correlation"], strong) if strong
        else None,
        "correlation_source": found[2] if found is not None else "",
        "cases": ", ".join(r.cases),
        "figures": [f for f in (
            _figure(lambda: record_plots.calibration_estimates_figure(r),
                    "estimates with 90% intervals"),
            _figure(lambda: record_plots.calibration_correlation_figure(r),
                    "correlations of the estimates")) if f],
    }


# --------------------------------------------------------------------------- provenance
def _case_texts(case_ids: Iterable[str]) -> tuple[list[str], list[str]]:
    """The bundled case files' texts for these case ids, and the ids found in no bundled set
    (a user's own folder: the record does not keep where it was)."""
    texts, missing = [], []
    for cid in case_ids:
        found = [p for folder in CASE_SETS.values() if (p := folder / f"{cid}.yaml").is_file()]
        if found:
            texts.append(found[0].read_text(encoding="utf-8"))
        else:
            missing.append(cid)
    return texts, missing


def sources(record: dict[str, Any]) -> dict[str, Any]:
    """What the record's numbers rest on, and how to cite it: the datasets (kind, release)
    named by the record's scenario (its resolved YAML), its cases' files or, for the large-N
    fit, the datasets it read; their BibTeX (datasets.citations, as `alliancesim data cite`).
    `said`: the sentence saying where the values come from."""
    kind, rep = record["kind"], record["report"]
    used: list[tuple[str, str]] = []
    missing: list[str] = []
    if record.get("scenario_yaml"):
        used = used_datasets(record["scenario_yaml"])
        origin = "this record's scenario"
    elif kind == "reliability":
        used = sorted(rep.get("datasets", {}).items())
        origin = "the large-N fit"
    elif kind in ("hindcast", "calibrate"):
        ids = [c["case_id"] if isinstance(c, dict) else c for c in rep.get("cases", [])]
        texts, missing = _case_texts(ids)
        used = used_datasets("\n".join(texts))
        origin = "the cases"
    else:
        origin = ""
    if used and kind == "reliability":
        said = ("The large-N fit read these datasets from the data store (the releases "
                "imported); cite them as below, with alliancesim.")
    elif used:
        said = (f"The values of {origin} come from these datasets (each value's source names "
                "its dataset and release); cite them as below, with alliancesim.")
    elif origin:
        said = (f"No value of {origin} names an imported dataset: its figures come from the "
                "bundled data files (actors, alliances, cases; each value's source is written "
                "beside it there) and from the scenario or case files themselves.")
    else:
        said = ("This record does not keep its scenario, so the datasets behind it are not "
                "recorded; `alliancesim data cite SCENARIO` gives them for the scenario file.")
    if missing:
        said += (f" Cases not among the bundled sets (their files, and so their sources, are "
                 f"not recorded): {', '.join(missing)}.")
    known = [(k, rel) for k, rel in used if k in KINDS]  # a kind of a later version: named
    return {"said": said,
            "datasets": [f"{KINDS[k].title}, release {rel}" if k in KINDS else
                         f"{k}, release {rel} (a dataset this version does not know)"
                         for k, rel in used],
            "bibtex": bibtex_for_used(known) if known else SELF + "\n"}


def _seed(record: dict[str, Any]) -> int | None:
    """The record's seed, else its report's (a record kept without the column)."""
    seed = record.get("seed")
    rep = record["report"]
    return seed if seed is not None else rep.get("seed") if isinstance(rep, dict) else None


def _trials(record: dict[str, Any]) -> int | None:
    trials = record.get("trials")
    rep = record["report"]
    return trials if trials is not None else rep.get("trials") if isinstance(rep, dict) and \
        isinstance(rep.get("trials"), int) else None


def _meta(record: dict[str, Any]) -> str:
    """The line under the title: what was kept, when, with which seed and trials, and the
    scenario's one SHA-256; a field the record lacks is left out or said in words."""
    created = str(record["created"]).replace("T", " ").split(".")[0]  # to the second
    parts = [f"Kept as {record['id']} on {created} UTC"]
    seed, trials = _seed(record), _trials(record)
    if seed is not None:
        parts.append(f"seed {seed}")
    if trials is not None:
        parts.append(f"{trials:,} trials")
    sha = record.get("scenario_sha256")
    parts.append(f"scenario SHA-256 {sha}" if sha else "scenario SHA-256 not recorded (this "
                 "record keeps no scenario)")
    return "; ".join(parts) + "."


def _sequence(r: SequenceReport | SequenceComparison) -> dict[str, Any]:
    """A sequence (or a counterfactual beside its baseline): the figures, the crises, the
    beliefs and the chance of being out by date (of the variant for a comparison), and the
    paired differences at the end."""
    from alliancesim.report import sequence as seq

    shown = r.variant if isinstance(r, SequenceComparison) else r
    crises = [[c.date, c.crisis_id, c.victim, f"{c.coverage:.2f}",
               f"{c.forced} (forced)" if c.forced else
               ", ".join(f"{k} {_pct(v)}" for k, v in c.rung_probabilities.items() if v > 0),
               _pct(c.p_victim_gone)] for c in shown.crises]
    beliefs = [[m.member, *(f"{v:.2f}" for v in m.belief.median)] for m in shown.members]
    beliefs.append(["credibility", *(f"{v:.2f}" for v in shown.credibility.median)])
    out = [[m.member, f"{m.threshold:.2f}", *(_pct(p) for p in m.p_frozen[1:])]
           for m in shown.members]
    differences = None
    if isinstance(r, SequenceComparison):
        differences = _table(
            ["member", "P(frozen or exited): baseline", r.label, "belief: baseline", r.label,
             "difference ± paired error"],
            [[f.member, _pct(f.baseline), _pct(f.variant), f"{b.baseline:.3f}",
              f"{b.variant:.3f}", f"{b.difference:+.3f} ± {b.se_paired:.3f}"]
             for f, b in zip(r.p_frozen_end, r.belief_end, strict=True)])
    mode = ("observed responses" if shown.observed else "simulated responses")
    lead = (f"{shown.trials:,} trials, seed {shown.seed}, {mode}"
            + (f"; variant {r.label} beside the baseline (common random numbers)"
               if isinstance(r, SequenceComparison) else "") + ".")
    return {"lead": lead,
            "figures": [f for f in [_figure(lambda: seq.beliefs_figure(r), "beliefs"),
                                    _figure(lambda: seq.freeze_figure(r), "freeze")] if f],
            "crises": _table(["date", "crisis", "victim", "coverage", "response",
                              "P(victim out)"], crises),
            "beliefs": _table(["member", *shown.steps], beliefs),
            "out": _table(["member", "threshold", *shown.steps[1:]], out),
            "differences": differences,
            "note": ("Belief: E[p] of each member's Beta belief that the alliance will help it; "
                     "a member freezes below its threshold. Rules and sources: docs/model.md, "
                     "section 7.")}


BODIES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "sequence": lambda rep: _sequence(SequenceReport.model_validate(rep)),
    "sequence-comparison": lambda rep: _sequence(SequenceComparison.model_validate(rep)),
    "compare": lambda rep: _compare(ComparisonReport.model_validate(rep)),
    "sweep": lambda rep: _sweep(SweepReport.model_validate(rep)),
    "sensitivity": lambda rep: _sensitivity(SensitivityReport.model_validate(rep)),
    "discover": lambda rep: _discover(DiscoveryReport.model_validate(rep)),
    "hindcast": lambda rep: _hindcast(HindcastReport.model_validate(rep)),
    "reliability": lambda rep: _reliability(ReliabilityReport.model_validate(rep)),
    "calibrate": lambda rep: _calibrate(CalibrationReport.model_validate(rep)),
}


def render(record: dict[str, Any],
           parameter_ranges: dict[str, dict[str, tuple[float, float]]] | None = None) -> str:
    """The page for one record of the results store (store.runs.RunStore.get); for a run,
    `parameter_ranges` (api.parameter_ranges) adds the spread of the council's parameter
    uncertainty beside the Monte Carlo errors. A kind without its own template (a record of a
    later version) gets the generic page: its settings, and its fields named, not dumped."""
    kind, rep = record["kind"], record["report"]
    version = record["version"]
    title = TITLES.get(kind, kind.capitalize())
    name = (record.get("scenario") or rep.get("scenario") or rep.get("base")
            or rep.get("title") or "")
    if kind == "run":
        s = EnsembleSummary.model_validate(rep)
        body, name = _run(s, parameter_ranges), f"{s.title or s.scenario} ({s.alliance})"
        template = "run.html.j2"
    elif kind in BODIES:
        body = BODIES[kind](rep)
        template = "sequence.html.j2" if kind.startswith("sequence") else f"{kind}.html.j2"
    else:
        body, template = {"fields": sorted(rep)}, "other.html.j2"
    if not name and kind in ("hindcast", "calibrate"):
        name = f"{len(rep.get('cases', []))} historical cases"
    elif not name and kind == "reliability":
        name = "allies in militarised disputes"
    params = record.get("parameters")
    held = held_out()  # the measured comparison, from the same record as the README's
    return environment().get_template(template).render(
        kind=kind, title=title, name=name, meta=_meta(record), body=body,
        version=version, record_id=record["id"], seed=_seed(record),
        scenario_yaml=record.get("scenario_yaml") or "",
        parameters=yaml.safe_dump(params, sort_keys=False, allow_unicode=True) if params
        else "",
        sources=sources(record), citation=CITATION.format(version=version),
        held_note=held_out_note(held) if held is not None else "")
