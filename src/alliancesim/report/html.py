"""One self-contained HTML page for a kept result: a briefing that can be sent on.

Everything is inline (CSS, figures as base64 PNG): the page opens with no network. It holds the
scenario and its assumptions, the results with their figures and Monte Carlo uncertainty, the
comparison, sweep or sensitivity analysis when that is what was kept, what the numbers do not
include, the sources and how to cite.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alliancesim.report import plots
from alliancesim.report.comparison_tables import outside_lines
from alliancesim.report.tables import held_out_note
from alliancesim.results.bands import held_out
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.reach import record_line
from alliancesim.results.sensitivity import SensitivityReport
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

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin-top: 1.4rem; } h4 { font-size: 0.9rem; margin: 0.8rem 0 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5rem 0; }
.note { color: #555; font-size: 0.9rem; }
.outside { color: #8a4b00; background: #fff7e6; font-size: 0.85rem; padding: 0.2rem 0.5rem;
           border-left: 3px solid #e0a040; }
footer { margin-top: 3rem; color: #666; font-size: 0.8rem; border-top: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 0.2rem; }
table.response td:not(:first-child) { white-space: nowrap; }
table.response tr.req td { font-weight: 600; border-top: 2px solid #bbb; }
"""

CITATION = ("The alliancesim authors (2026). alliancesim: simulating collective-security "
            "alliances in crises (version {version}). Software; see CITATION.cff.")


def _e(x: object) -> str:
    return html.escape(str(x))


def _pct(p: float | None) -> str:
    return "-" if p is None else f"{100 * p:.1f}%"


def _figure(make: Callable[[Path], object], alt: str) -> str:
    """A figure as an inline PNG: made into memory by a plots function that writes a path."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "figure.png"
        make(path)
        data = base64.b64encode(path.read_bytes()).decode()
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _table(head: list[str], rows: list[list[str]], css: str = "") -> str:
    """A table; a row whose first cell starts with "if " or "mixed" or is "model" opens a
    request's block (class 'req')."""
    th = "".join(f"<th>{_e(h)}</th>" for h in head)

    def tr(r: list[str]) -> str:
        opens = css == "response" and (r[0].startswith(("if ", "mixed")) or r[0] == "model")
        return (("<tr class='req'>" if opens else "<tr>")
                + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>")

    cls = f" class='{css}'" if css else ""
    return (f"<table{cls}><thead><tr>{th}</tr></thead><tbody>{''.join(map(tr, rows))}"
            "</tbody></table>")




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
    return f"<p class='note'>{_e(text)}</p>"


def _outside(lines: list[str]) -> str:
    """Where the crisis lies outside the record: a small note under its heading."""
    return "".join(f"<p class='outside'>{_e(line)}</p>" for line in lines)


def _run(s: EnsembleSummary,
         ranges: dict[str, dict[str, tuple[float, float]]] | None = None) -> str:
    parts = []
    for c in s.crises:
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
                ["victim alone", *(_pct(d.outcome_alone[k])
                                   for k in ("repelled", "contained", "lost"))]]
        runs = (f"{c.trials:,} trials for each request and {c.trials:,} mixed" if c.by_request
                else f"{c.trials:,} trials")
        parts.append(
            f"<h3>{_e(c.title)}</h3><p>{_e(c.victim)} hit by {_e(c.aggressor)} "
            f"({_e(c.threat.replace('_', ' '))}); {runs}.</p>"
            + _outside([line] if (line := record_line(c.outside_record)) else [])
            + _table([caption, *c.response], rows, css="response")
            + (_request_note(c, s) if c.request_fixed is None else "")
            + f"<h4>Members{_e(given)}</h4>"
            + _table(["member", "role", "wants military help", "holds out", "sole veto",
                      "expected troops"], members)
            + f"<p>{_e(f'If {c.victim} asks for military help, acts' if given else 'Acts')}"
            f" without the alliance: {_pct(d.p_acts_without_alliance)}; troops sent "
            f"in {_pct(d.p_troops_sent)} of trials; leader's share of troops "
            f"{_pct(d.leader_share)}.</p>"
            + _table([f"how it ends{given}", "repelled", "contained", "lost"], ends))
    parts.append("<p class='note'>Each cell: probability ± Monte Carlo standard error "
                 "(points). Base rate: how often the bundled cases of the same alliance that "
                 "made the same request got each response (add-one-half smoothing over the "
                 "responses the request allows); pooled: every alliance's cases with that "
                 "request, where this alliance has none.</p>")
    if s.held_out is not None:
        parts.append(f"<p class='note'>{_e(held_out_note(s.held_out))}</p>")
    parts.append(_figure(lambda p: plots.response_figure(s, p), "collective response"))
    parts.append(_figure(lambda p: plots.contributions_figure(s, p), "contributions"))
    parts.append(_figure(lambda p: plots.outcomes_figure(s, p), "outcomes"))
    return "".join(parts)


def _compare(r: ComparisonReport) -> str:
    parts = [f"<p>Base: <b>{_e(r.base)}</b>; variants: {_e(', '.join(r.variants[1:]))}; "
             f"{r.trials:,} trials per crisis, common random numbers.</p>",
             _figure(lambda p: plots.comparison_figure(r, p), "comparison")]
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
        parts.append(f"<h3>{_e(c.title)}</h3>" + _outside(outside_lines(c, r.variants))
                     + _table(["headline", r.base, *others], rows))
    return "".join(parts)


def _sweep(r: SweepReport) -> str:
    rows = [[str(p.point), p.crisis_id,
             *(f"{v:g}" if isinstance(v := p.values[k], float) else str(v) for k in r.paths),
             *(_pct(v) for v in p.outcomes.values())] for p in r.points]
    heads = list(r.points[0].outcomes) if r.points else []
    return (_figure(lambda p: plots.sweep_figure(r, p), "sweep")
            + _table(["point", "crisis", *r.paths, *heads], rows))


def _sensitivity(r: SensitivityReport) -> str:
    rows = [[c.crisis_id, i.outcome, i.input,
             "-" if i.s1 is None else f"{i.s1:.2f} ± {i.s1_conf or 0:.2f}",
             "-" if i.st is None else f"{i.st:.2f} ± {i.st_conf or 0:.2f}",
             "-" if i.mu_star is None else f"{i.mu_star:.3f}"]
            for c in r.crises for i in c.indices]
    return (_figure(lambda p: plots.sensitivity_figure(r, p), "sensitivity")
            + _table(["crisis", "outcome", "quantity", "first-order", "total", "mu*"], rows))


def render(record: dict[str, Any],
           parameter_ranges: dict[str, dict[str, tuple[float, float]]] | None = None) -> str:
    """The page for one record of the results store (store.runs.RunStore.get); for a run,
    `parameter_ranges` (api.parameter_ranges) adds the spread of the council's parameter
    uncertainty beside the Monte Carlo errors."""
    kind, rep = record["kind"], record["report"]
    version = record["version"]
    title = {"run": "Simulation", "compare": "Comparison", "sweep": "Sweep",
             "sensitivity": "Sensitivity analysis"}.get(kind, kind.capitalize())
    name = record.get("scenario") or rep.get("scenario") or rep.get("base") or ""
    if kind == "run":
        s = EnsembleSummary.model_validate(rep)
        body, name = _run(s, parameter_ranges), f"{s.title or s.scenario} ({s.alliance})"
    elif kind == "compare":
        body = _compare(ComparisonReport.model_validate(rep))
    elif kind == "sweep":
        body = _sweep(SweepReport.model_validate(rep))
    elif kind == "sensitivity":
        body = _sensitivity(SensitivityReport.model_validate(rep))
    else:
        body = f"<pre>{_e(json.dumps(rep, indent=2)[:200_000])}</pre>"
    params = record.get("parameters")
    held = held_out()  # the measured comparison, from the same record as the README's
    assumptions = (
        "<h2>Assumptions</h2><p>The model and every default with its source: "
        "docs/model.md in the alliancesim distribution. The council's parameters were fitted "
        "to 17 historical cases (docs/validation.md)."
        + (f" {_e(held_out_note(held))}" if held is not None else "") + "</p>"
        "<p class='note'><b>Uncertainty, two kinds.</b> The ± figures are Monte Carlo "
        "standard errors (the trials' own randomness). The ranges are what the uncertainty "
        "of the fitted parameters gives: for a run with parameter uncertainty (the default of "
        "<code>alliancesim run</code>), the central 90 % over the posterior draws made during "
        "the run, with the Monte Carlo noise removed; otherwise the same from the run's "
        "scenario run again with them (40,000 trials, one posterior draw per 128). "
        "They are far wider, and are the honest reading.</p>")
    if record.get("scenario_yaml"):
        assumptions += ("<details><summary>The scenario (resolved)</summary><pre>"
                        f"{_e(record['scenario_yaml'])}</pre></details>")
    if params:
        assumptions += ("<details><summary>Parameters used</summary><pre>"
                        f"{_e(json.dumps(params, indent=2))}</pre></details>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{_e(title)}: {_e(name)}</title><style>{CSS}</style></head><body>"
        f"<h1>{_e(title)}: {_e(name)}</h1>"
        f"<p class='note'>Kept as {_e(record['id'])} on {_e(record['created'])} UTC; seed "
        f"{_e(record.get('seed'))}, {_e(record.get('trials'))} trials; scenario SHA-256 "
        f"{_e(record.get('scenario_sha256'))}.</p>"
        f"<h2>Results</h2>{body}{assumptions}"
        "<h2>Sources and citation</h2><p>Data sources are listed with every figure in the "
        "bundled data files (actors, alliances, cases). Cite as: "
        f"{_e(CITATION.format(version=version))}</p>"
        f"<footer>alliancesim {_e(version)} · seed {_e(record.get('seed'))} · "
        f"record {_e(record['id'])}</footer></body></html>")
