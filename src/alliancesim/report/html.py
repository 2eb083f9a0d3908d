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
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.summary import EnsembleSummary
from alliancesim.results.sweep import SweepReport

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin-top: 1.4rem; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5rem 0; }
.note { color: #555; font-size: 0.9rem; }
footer { margin-top: 3rem; color: #666; font-size: 0.8rem; border-top: 1px solid #ddd; }
code { background: #f4f4f4; padding: 0 0.2rem; }
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


def _table(head: list[str], rows: list[list[str]]) -> str:
    th = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _run(s: EnsembleSummary,
         ranges: dict[str, dict[str, tuple[float, float]]] | None = None) -> str:
    parts = []
    for c in s.crises:
        resp = c.response
        spread = c.parameter_band or (ranges or {}).get(c.crisis_id, {})
        base = c.base_rate or {}
        rows = [[k, _pct(v), f"± {100 * c.response_se[k]:.1f}",
                 f"{_pct(spread[k][0])} to {_pct(spread[k][1])}" if k in spread else "-",
                 _pct(base.get(k))]
                for k, v in resp.items()]
        members = [[m.id, m.role, *(["-", "-", "-"] if m.role == "victim" else
                                    [_pct(m.preferred_military), _pct(m.holds_out),
                                     _pct(m.sole_veto)]), f"{m.mean_troops:,.0f}"]
                   for m in c.members]
        ends = [["with the alliance", *(_pct(c.outcome_with_alliance[k])
                                        for k in ("repelled", "contained", "lost"))],
                ["victim alone", *(_pct(c.outcome_alone[k])
                                   for k in ("repelled", "contained", "lost"))]]
        parts.append(
            f"<h3>{_e(c.title)}</h3><p>{_e(c.victim)} hit by {_e(c.aggressor)} "
            f"({_e(c.threat.replace('_', ' '))}); {c.trials:,} trials.</p>"
            + _table(["collective response", "probability", "Monte Carlo s.e. (points)",
                      "90 % range, parameter uncertainty",
                      "base rate (cases with the same request)"], rows)
            + _table(["member", "role", "wants military help", "holds out", "sole veto",
                      "expected troops"], members)
            + f"<p>Acts without the alliance: {_pct(c.p_acts_without_alliance)}; troops sent "
            f"in {_pct(c.p_troops_sent)} of trials; leader's share of troops "
            f"{_pct(c.leader_share)}.</p>"
            + _table(["how it ends", "repelled", "contained", "lost"], ends))
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
        parts.append(f"<h3>{_e(c.title)}</h3>" + _table(["headline", r.base, *others], rows))
    return "".join(parts)


def _sweep(r: SweepReport) -> str:
    rows = [[str(p.point), p.crisis_id, *(f"{p.values[k]:g}" for k in r.paths),
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
    assumptions = (
        "<h2>Assumptions</h2><p>The model and every default with its source: "
        "docs/model.md in the alliancesim distribution. The council's parameters were fitted "
        "to 17 historical cases (docs/validation.md); in leave-one-out scoring the model does "
        "not beat the base rate within the same request level (shown beside each forecast) "
        "nor the rule that the leader decides.</p>"
        "<p class='note'><b>Uncertainty, two kinds.</b> The ± figures are Monte Carlo "
        "standard errors (the trials' own randomness). The ranges are what the uncertainty "
        "of the fitted parameters gives: for a run with parameter uncertainty (the default of "
        "<code>alliancesim run</code>), the central 90 % over the posterior draws made during "
        "the run, with the Monte Carlo noise removed; otherwise over 20 parameter sets drawn "
        "around the run's values with the calibration's standard errors (2,000 trials each). "
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
