"""Figures of the results (matplotlib). Every function returns the Figure; given a path it
also writes it as PNG and closes it.

Every figure shows its uncertainty, both kinds drawn the same way everywhere
(report/intervals.py): the parameter range (a pale thick bar or band: the 90 % over the
posterior draws, where the run had parameter uncertainty) and the Monte Carlo error (a black
whisker: a 90 % interval). The legend names both, or says that there is no parameter part.

Layout: legends sit outside the axes, below them (constrained layout reserves their room, so a
legend never covers an axis label or the data); panels meant to be compared share their scale.

Text is text: every string that comes from the user (scenario, crisis, variant and member
names, swept paths, quantity names) passes through `plain` before it reaches matplotlib, which
otherwise parses a string holding two `$` as TeX (mathtext): `$\\foo$` would make the figure
fail and deeply nested braces would exhaust the recursion limit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from alliancesim.report import intervals
from alliancesim.report.intervals import band_of, normal, wilson
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.summary import (
    ASKED,
    SHOWN_REQUESTS,
    CrisisSummary,
    EnsembleSummary,
    detail,
)
from alliancesim.results.sweep import SweepPoint, SweepReport

RUNG_COLOURS = ["#969696", "#6baed6", "#2171b5", "#fd8d3c", "#d94801"]
OUTCOME_COLOURS = {"repelled": "#31a354", "contained": "#e6a03c", "lost": "#de2d26"}
VARIANT_COLOURS = ["#4292c6", "#fd8d3c", "#31a354", "#d94801", "#756bb1", "#636363"]


def plain(text: object, width: int | None = None) -> str:
    """`text` as matplotlib draws it literally: wrapped to `width` characters first (so a line
    break never falls between a backslash and its `$`), then every `$` escaped as `\\$`.

    Matplotlib's Text treats a string with an even, non-zero number of unescaped `$` as
    mathtext; with every `$` escaped none is unescaped, and it draws `\\$` as `$` (the
    "Writing mathematical expressions" guide: "to include a literal dollar sign, escape it
    with a backslash"). No other character is special outside mathtext (with text.usetex
    off, the default).
    """
    s = str(text)
    if width is not None:
        s = textwrap.fill(s, width)
    return s.replace("$", r"\$")


def _finish(fig: Figure, path: Path | None) -> Figure:
    """Save the figure to `path` (PNG, 120 dpi) and close it, when a path is given; return it.
    Without a path the open Figure is the caller's (a notebook, a report of one's own)."""
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight", pad_inches=0.2)
        plt.close(fig)
    return fig


def _footer(s: EnsembleSummary) -> str:
    """The scenario, seed, trials and version, for the foot of a run's figure."""
    return (f"{plain(s.title or s.scenario)} · {s.trials:,} trials per crisis · seed {s.seed} · "
            f"alliancesim {s.version}")


FOOT_GAP = 6.0  # pixels between the footer, the legend and the panels


def _legend(fig: Figure, handles: list[Any], labels: list[str], ncol: int,
            footer: str | None = None) -> None:
    """The legend centred below the panels and, under it, the footer: both inside the figure,
    in a band at its foot that the constrained layout keeps the panels (their axis and tick
    labels included) out of. The band's height is measured from the legend and the footer as
    drawn, so neither can cover an axis label or the other, whatever their number of lines."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    height = fig.bbox.height
    foot = 0.0
    if footer:
        note = fig.text(0.5, FOOT_GAP / 2 / height, footer, ha="center", va="bottom", fontsize=7,
                        color="#555555")
        foot = note.get_window_extent(renderer).height + FOOT_GAP
    top = foot
    if handles:
        legend = fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False,
                            fontsize=7.5, bbox_to_anchor=(0.5, foot / height),
                            bbox_transform=fig.transFigure, borderaxespad=0.0)
        top += legend.get_window_extent(renderer).height + FOOT_GAP
    engine = fig.get_layout_engine()
    if engine is not None and top > 0:
        engine.set(rect=(0.0, top / height, 1.0, 1.0 - top / height))  # type: ignore[call-arg]


def _horizons(s: EnsembleSummary) -> str:
    days = sorted({c.horizon_days for c in s.crises})
    return f"{days[0]} days" if len(days) == 1 else f"{days[0]}-{days[-1]} days"


def _labels(s: EnsembleSummary, width: int = 30) -> list[str]:
    return [plain(c.title or c.crisis_id, width) for c in s.crises]


def _given(s: EnsembleSummary) -> str:
    return (" (if asked for military help, where the request is drawn)"
            if any(c.by_request for c in s.crises) else "")


def share_interval(c: Any, p: float, se: float | None) -> tuple[float, float]:
    """The Monte Carlo 90 % interval of a share p of crisis `c`'s trials (intervals.wilson)."""
    return wilson(p, se, int(getattr(c, "trials", 0) or 0))


def _has_band(summaries: list[Any], *keys: str) -> bool:
    return any(band_of(c, k) is not None for c in summaries for k in keys)


def _response_rows(s: EnsembleSummary) -> list[tuple[str, CrisisSummary | None]]:
    """(label, its run) per row; a crisis whose request is drawn gets a header row (no run),
    one row per request and one mixed over the request stage; one with a fixed request, one
    row."""
    rows: list[tuple[str, CrisisSummary | None]] = []
    for c, label in zip(s.crises, _labels(s, 45), strict=True):
        if c.by_request:
            rows.append((label, None))
            rows += [(f"if {ASKED[lv]}", c.by_request[lv]) for lv in SHOWN_REQUESTS
                     if lv in c.by_request]
            rows.append(("mixed over the request stage", c))
        else:
            what = "" if c.request_fixed is None else f"\nif {ASKED[c.request_fixed]}"
            rows.append((label + what, c))
    return rows


def _percent_axis(ax: Any, axis: str = "x") -> None:
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0, 0))


def response_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """The probability of each collective response, one panel per rung (a shared 0-100 %
    scale), one row per crisis and request (a crisis whose request is drawn: given each
    request, then mixed over the request stage); each point with its parameter range and its
    Monte Carlo interval."""
    rows = _response_rows(s)
    runs = [c for _, c in rows if c is not None]
    rungs = list(s.crises[0].response)
    banded = _has_band(runs, *rungs)
    height = 1.9 + 0.42 * len(rows)
    fig, axes = plt.subplots(1, len(rungs), figsize=(12.5, height), sharey=True, sharex=True,
                             squeeze=False, layout="constrained")
    y = np.arange(len(rows), dtype=float)
    at = [yi for yi, (_, c) in zip(y, rows, strict=True) if c is not None]
    for k, (ax, rung) in enumerate(zip(axes[0], rungs, strict=True)):
        colour = RUNG_COLOURS[k % len(RUNG_COLOURS)]
        p = [c.response[rung] for c in runs]
        mc = [share_interval(c, c.response[rung], c.response_se.get(rung)) for c in runs]
        bands = [band_of(c, rung) for c in runs]
        intervals.draw(ax, at, p, mc, bands, colour)
        for yi, v in zip(at, p, strict=True):
            ax.annotate(f"{v:.0%}", (v, yi), xytext=(0, 5), textcoords="offset points",
                        ha="center", va="bottom", fontsize=6.5, color="#333333")
        ax.set_title(rung, fontsize=9, color=colour, fontweight="bold")
        ax.set_xlim(-0.02, 1.02)
        _percent_axis(ax)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="x", color="#eeeeee", zorder=0)
    ax0 = axes[0][0]
    ax0.set_yticks(y, [label for label, _ in rows], fontsize=8)
    for tick, (_, c) in zip(ax0.get_yticklabels(), rows, strict=True):
        if c is None:  # a crisis's header
            tick.set_fontweight("bold")
    ax0.set_ylim(len(rows) - 0.4, -0.6)  # top to bottom, room for the value labels
    axes[0][len(rungs) // 2].set_xlabel("probability of the collective response", fontsize=9)
    fig.suptitle(plain(f"Collective response: {s.title or s.scenario}", 100), fontsize=10)
    handles, labels = intervals.legend_handles(banded)
    _legend(fig, handles, labels, ncol=len(handles), footer=_footer(s))
    return _finish(fig, path)


def troops_interval(m: Any) -> tuple[float, float] | None:
    """The Monte Carlo 90 % interval of a member's expected troops (normal, from the
    summary's standard error; None where the summary has none), cut at zero."""
    got = normal(m.mean_troops, getattr(m, "mean_troops_se", None))
    return None if got is None else (max(got[0], 0.0), got[1])


def contributions_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """Expected troops sent by each member, per crisis, on a linear axis shared by the panels
    (the leader's share must look like what it is, and crises compare), each bar labelled
    with its value so token contingents read; each bar with its parameter range and Monte
    Carlo interval where the summary has them."""
    n = len(s.crises)
    members = max((len(c.members) for c in s.crises), default=1)
    width = max(3.2, 0.24 * members)  # thirty members stay readable
    shown = [detail(c) for c in s.crises]
    fig, axes = plt.subplots(1, n, figsize=(max(width * n, 7.0), 4.4), squeeze=False,
                             sharey=True, layout="constrained")
    top = 1.0
    any_mc = banded = False
    for ax, c in zip(axes[0], shown, strict=True):
        ids = [plain(m.id) for m in c.members]
        vals = [m.mean_troops for m in c.members]
        colours = ["#d94801" if m.role == "leader" else "#4292c6" for m in c.members]
        ax.bar(ids, vals, color=colours, alpha=0.75)
        mc = [troops_interval(m) for m in c.members]
        bands = [band_of(m, None, "mean_troops_band") for m in c.members]
        any_mc |= any(x is not None for x in mc)
        banded |= any(b is not None for b in bands)
        intervals.draw(ax, list(range(len(ids))), vals, mc, bands, "#555555", horizontal=False,
                       marker="none")
        top = max([top, *vals, *(x[1] for x in mc if x), *(b[1] for b in bands if b)])
        for i, v in enumerate(vals):  # each value above its bar and its intervals
            if v >= 0.5 or members <= 12:
                above = max([v, *(mc[i] or ()), *(bands[i] or ())])
                ax.annotate(f"{v:,.0f}", (i, above), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6,
                            rotation=90 if members > 12 else 0)
        ax.set_title(plain(c.title or c.crisis_id, 28), fontsize=9)
        ax.tick_params(axis="x", labelrotation=90 if members > 12 else 45,
                       labelsize=8 if members <= 12 else 7)
        share = "" if c.leader_share is None else f"leader's share {c.leader_share:.0%}"
        ax.text(0.5, 0.97, share, transform=ax.transAxes, ha="center", va="top", fontsize=8)
    axes[0][0].set_ylim(0, top * 1.25)  # shared by every panel
    axes[0][0].set_ylabel("expected troops sent (all trials)")
    fig.suptitle(plain(f"Contributions by member{_given(s)}: {s.title or s.scenario}", 100),
                 fontsize=10)
    handles: list[Any] = [Patch(color="#d94801", alpha=0.75), Patch(color="#4292c6", alpha=0.75)]
    labels = ["leader", "other members"]
    if any_mc or banded:
        h, lab = intervals.legend_handles(banded)
        handles += h
        labels += lab
    else:  # a summary written before the troops' errors were kept
        handles.append(Patch(color="white"))
        labels.append("no interval: this summary carries no error for troops")
    _legend(fig, handles, labels, ncol=2, footer=_footer(s))
    return _finish(fig, path)


def outcome_intervals(c: Any, outcome: str, alone: bool
                      ) -> tuple[float, tuple[float, float], tuple[float, float] | None]:
    """(probability, Monte Carlo interval, parameter range) of how the crisis ends, with the
    alliance or the victim alone. The victim alone has no parameter part: neither the
    council's nor the request stage's parameters enter its fight."""
    p = (c.outcome_alone if alone else c.outcome_with_alliance)[outcome]
    ses = getattr(c, "outcome_alone_se" if alone else "outcome_se", None) or {}
    se = ses.get(outcome)
    if se is None and not alone:  # a summary that keeps the headlines' errors instead
        se = (getattr(c, "headline_se", None) or {}).get(f"{outcome}, with the alliance")
    mc = share_interval(c, p, se)
    if alone:
        return p, mc, None
    band = band_of(c, outcome) or band_of(c, f"{outcome}, with the alliance", "headline_band")
    return p, mc, band


def outcomes_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """How the crisis ends, one panel per outcome (a shared 0-100 % scale): with the alliance
    (filled) and the victim alone (open), per crisis, each with its intervals."""
    labels = _labels(s)
    shown = [detail(c) for c in s.crises]
    banded = _has_band(shown, *OUTCOME_COLOURS)
    fig, axes = plt.subplots(1, 3, figsize=(11, 2.1 + 0.75 * len(labels)), sharey=True,
                             sharex=True, squeeze=False, layout="constrained")
    y = np.arange(len(labels), dtype=float)
    for ax, (outcome, colour) in zip(axes[0], OUTCOME_COLOURS.items(), strict=True):
        for offset, alone in ((-0.17, False), (0.17, True)):
            got = [outcome_intervals(c, outcome, alone) for c in shown]
            intervals.draw(ax, list(y + offset), [g[0] for g in got], [g[1] for g in got],
                           [g[2] for g in got], colour, marker="s" if alone else "o",
                           fill="white" if alone else None)
            for yi, g in zip(y + offset, got, strict=True):
                ax.annotate(f"{g[0]:.0%}", (g[0], yi), xytext=(0, 4), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6.5, color="#333333")
        ax.set_title(outcome, fontsize=9, color=colour, fontweight="bold")
        ax.set_xlim(-0.02, 1.02)
        _percent_axis(ax)
        ax.grid(axis="x", color="#eeeeee", zorder=0)
    axes[0][0].set_yticks(y, labels, fontsize=8)
    axes[0][0].set_ylim(len(labels) - 0.45, -0.55)
    axes[0][1].set_xlabel("probability", fontsize=9)
    fig.suptitle(plain(f"How the crisis ends{_given(s)}: {s.title or s.scenario}", 100)
                 + f"\ncontained: undecided within {_horizons(s)}", fontsize=10)
    kinds = [Line2D([], [], color="#555555", marker="o", linestyle=""),
             Line2D([], [], color="#555555", marker="s", markerfacecolor="white",
                        linestyle="")]
    h, lab = intervals.legend_handles(banded)
    _legend(fig, kinds + h, ["with the alliance", "the victim alone (no parameter part)", *lab],
            ncol=2, footer=_footer(s))
    return _finish(fig, path)


FIGURES = {
    "response.png": response_figure,
    "contributions.png": contributions_figure,
    "outcomes.png": outcomes_figure,
}


def reliability_figure(bins: dict[str, list[tuple[float, float, int]]], path: Path | None = None,
                       title: str = "Reliability of the leave-one-out forecasts") -> Figure:
    """Forecast probability against observed frequency, per probability bin (every case and
    every rung its request allowed); marker area shows the number of forecasts in the bin,
    the whisker the observed frequency's binomial 90 % interval (Wilson) at that number."""
    fig, ax = plt.subplots(figsize=(5.5, 6.0), layout="constrained")
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfect")
    styles = {"model": ("#d94801", "o"), "frequency": ("#4292c6", "s")}
    for name, rows in bins.items():
        if not rows:
            continue
        colour, marker = styles.get(name, ("#31a354", "^"))
        x = [r[0] for r in rows]
        y = [r[1] for r in rows]
        n = [r[2] for r in rows]
        ci = [wilson(yi, None, k) for yi, k in zip(y, n, strict=True)]
        ax.errorbar(x, y, yerr=[[max(yi - c[0], 0.0) for yi, c in zip(y, ci, strict=True)],
                                [max(c[1] - yi, 0.0) for yi, c in zip(y, ci, strict=True)]],
                    fmt="none", ecolor=colour, elinewidth=1, capsize=2.5, alpha=0.8)
        ax.plot(x, y, color=colour, linewidth=1)
        ax.scatter(x, y, s=[20 + 8 * k for k in n], color=colour, marker=marker,
                   label=plain(name), zorder=3)
        for xi, yi, k in zip(x, y, n, strict=True):
            ax.annotate(str(k), (xi, yi), textcoords="offset points", xytext=(9, -13),
                        fontsize=7, color=colour)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(plain(title), fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#555555", marker="|", markersize=9, linewidth=1))
    labels.append("observed frequency: binomial 90 % interval (Wilson); number: forecasts")
    _legend(fig, handles, labels, ncol=2)
    return _finish(fig, path)


SWEEP_LINES = ("military help", "mission or more", "acts without the alliance",
               "repelled, with the alliance")


def calibrated(path: str) -> tuple[float, float, float] | None:
    """The calibrated value of a swept dotted path (such as
    parameters.council.coefficients.leader_stake, parameters.council.cutpoints.2 or
    parameters.request.threat) with its posterior's 90 % interval: (MAP, 5 %, 95 %), from the
    posterior's diagnostics in data/calibrated.yaml (scenario.loading.bundled_posterior, the
    loader a run with parameter uncertainty uses, so a sweep has it read already). None for a
    path the calibration does not fit: a crisis's quantity, the trials, or a parameter it holds
    fixed (zero posterior spread)."""
    keys = path.split(".")
    if len(keys) < 3 or keys[0] != "parameters" or keys[1] not in ("council", "request"):
        return None
    rest = keys[2:]
    if rest[0] == "cutpoints" and len(rest) == 2 and rest[1].isdigit():
        rest = ["cutpoints", str(int(rest[1]) + 1)]  # the diagnostics count from one
    from alliancesim.scenario.loading import bundled_posterior

    try:
        stage = bundled_posterior()[keys[1]]["diagnostics"]
    except (KeyError, TypeError, ValueError, OSError):
        return None
    name = ".".join(["request", *rest] if keys[1] == "request" else rest)
    got = stage.get(name) if isinstance(stage, dict) else None
    if not isinstance(got, dict) or not got.get("sd"):
        return None
    try:
        return (float(got["map"]), float(got["q05"]), float(got["q95"]))
    except (KeyError, TypeError, ValueError):
        return None


def calibrated_value(path: str) -> float | None:
    """The calibrated value (the MAP) of a swept path, or None (see `calibrated`)."""
    got = calibrated(path)
    return None if got is None else got[0]


def _mark_calibrated(ax: Any, path: str, lo: float, hi: float, vertical: bool = True,
                     colour: str = "#222222", span: bool = False,
                     where: Callable[[float], float] | None = None) -> str | None:
    """A dotted line labelled "calibrated" at the calibrated value of `path`, when it lies in
    the swept range (with `span`, the posterior's 90 % interval shaded behind it, within the
    range); otherwise a note saying where it lies (returned for the caption). Nothing for a
    path the calibration does not fit."""
    got = calibrated(path)
    if got is None:
        return None
    value, q05, q95 = got
    pos = where or float
    if span and max(q05, lo) < min(q95, hi):
        shade = ax.axvspan if vertical else ax.axhspan
        shade(pos(max(q05, lo)), pos(min(q95, hi)), color="#999999", alpha=0.12, linewidth=0,
              zorder=0)
    if lo <= value <= hi:
        line = ax.axvline if vertical else ax.axhline
        line(pos(value), color=colour, linestyle=":", linewidth=1.3, zorder=4)
        if vertical:
            ax.annotate(f"calibrated {value:g}", (pos(value), 1.0),
                        xycoords=("data", "axes fraction"),
                        xytext=(2, -2), textcoords="offset points", rotation=90, ha="left",
                        va="top", fontsize=7, color=colour)
        else:
            ax.annotate(f"calibrated {value:g}", (0.0, pos(value)),
                        xycoords=("axes fraction", "data"),
                        xytext=(2, 2), textcoords="offset points", ha="left", va="bottom",
                        fontsize=7, color=colour)
        return None
    return f"calibrated value {value:g} lies outside the swept range"


def _point_interval(p: SweepPoint, h: str, trials: int) -> tuple[float, float]:
    return wilson(p.outcomes[h], p.se.get(h), trials)


def _point_band(p: SweepPoint, h: str) -> tuple[float, float] | None:
    """A sweep point's parameter range of headline h (the sweep's field: band, or
    parameter_band), or None."""
    return band_of(p, h, "band", "parameter_band")


def _numeric(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _label(v: object) -> str:
    return f"{v:g}" if _numeric(v) else plain(v)


def _levels(points: list[SweepPoint], path: str) -> list[Any]:
    """The values a path takes in the sweep, sorted where they are numbers, else in the
    order the sweep lists them (a categorical sweep: a decision rule, a named variant)."""
    vals = list(dict.fromkeys(p.values[path] for p in points))
    return sorted(vals) if all(_numeric(v) for v in vals) else vals


def sweep_figure(report: SweepReport, path: Path | None = None) -> Figure:
    """One panel per crisis, on a shared scale. One swept quantity: the headlines against its
    value, each point with its Monte Carlo interval and, where the sweep had parameter
    uncertainty, the parameter range as a pale band. Two on a grid: P(military help) as a heat
    map, every cell labelled with its intervals (a second map gives the Monte Carlo interval's
    half-width where the cells are too many to label). Otherwise (a Latin hypercube, or more
    quantities): P(military help) against the first quantity, with both intervals. A varied
    parameter's calibrated value is marked "calibrated", with its posterior's 90 % interval
    shaded. Categorical values (a decision rule) are evenly spaced, in the sweep's order."""
    crises = list(dict.fromkeys(p.crisis_id for p in report.points))
    titles = {p.crisis_id: p.title for p in report.points}
    first = report.paths[0]
    heat = len(report.paths) == 2 and report.design == "grid"
    cells = len(_levels(report.points, first)) * len(_levels(report.points, report.paths[-1]))
    companion = heat and cells > 64
    n = len(crises)
    cols = min(n, 2) * (2 if companion else 1)
    per_row = cols // (2 if companion else 1)
    rows = -(-n // per_row)
    fig, axes = plt.subplots(rows, cols, figsize=(6.0 * cols, 3.9 * rows + 0.8), squeeze=False,
                             sharey=not heat, sharex=True, layout="constrained")
    banded = any(_point_band(p, h) is not None for p in report.points for h in SWEEP_LINES)
    levels = _levels(report.points, first)
    numeric = all(_numeric(v) for v in levels)
    at = {v: float(v) if numeric else float(k) for k, v in enumerate(levels)}
    notes: list[str] = []
    for k, cid in enumerate(crises):
        r, c0 = divmod(k, per_row)
        ax = axes[r][c0 * (2 if companion else 1)]
        pts = [p for p in report.points if p.crisis_id == cid]
        if heat:
            notes += _heat_panel(fig, ax, axes[r][c0 * 2 + 1] if companion else None, report, pts)
        else:
            x = np.array([at[p.values[first]] for p in pts])
            order = np.argsort(x, kind="stable")
            lines = SWEEP_LINES if len(report.paths) == 1 else SWEEP_LINES[:1]
            for h, colour in zip(lines, [*RUNG_COLOURS[2:], "#31a354"], strict=False):
                y = np.array([p.outcomes[h] for p in pts])[order]
                mc = [_point_interval(pts[i], h, report.trials) for i in order]
                bands = [_point_band(pts[i], h) for i in order]
                if len(report.paths) == 1:
                    ax.plot(x[order], y, color=colour, linewidth=1.2, label=h)
                    if all(b is not None for b in bands):
                        ax.fill_between(x[order], [b[0] for b in bands if b],
                                        [b[1] for b in bands if b], color=colour,
                                        alpha=0.15, linewidth=0)
                        bands = [None] * len(bands)
                intervals.draw(ax, list(x[order]), list(y), mc, bands, colour, horizontal=False,
                               size=3.5)
            ax.set_ylim(0, 1)
            _percent_axis(ax, "y")
            if c0 == 0:
                ax.set_ylabel("probability" if len(report.paths) == 1 else "P(military help)")
            if numeric:
                note = _mark_calibrated(ax, first, float(x.min()), float(x.max()), span=True)
                notes += [note] if note else []
            else:
                ax.set_xticks(list(at.values()), [_label(v) for v in at], fontsize=8)
        ax.set_xlabel(plain(first), fontsize=8)
        ax.set_title(plain(titles[cid], 50), fontsize=9)
    for k in range(n, rows * per_row):
        r, c0 = divmod(k, per_row)
        for j in range(2 if companion else 1):
            axes[r][c0 * (2 if companion else 1) + j].axis("off")
    handles: list[Any] = []
    labels: list[str] = []
    if not heat:
        if len(report.paths) == 1:
            handles, labels = axes[0][0].get_legend_handles_labels()
        more, named = intervals.legend_handles(banded)
        handles += more
        labels += named
        if numeric and calibrated(first) is not None:
            handles += [Line2D([], [], color="#222222", linestyle=":"),
                        Patch(color="#999999", alpha=0.25, linewidth=0)]
            labels += ["calibrated value (the MAP, data/calibrated.yaml)",
                       "its posterior's 90 % interval"]
        _legend(fig, handles, labels, ncol=2)
    else:
        _legend(fig, [], [], 1, footer=plain(_heat_caption(banded, companion), 160))
    extra = "; ".join(dict.fromkeys(notes))
    fig.suptitle(f"Sweep of {plain(report.scenario)}: {plain(', '.join(report.paths))}\n"
                 f"{report.trials:,} trials per point, seed {report.seed}, common random "
                 f"numbers; alliancesim {report.version}"
                 + (f"\n{plain(extra)}" if extra else ""), fontsize=9)
    return _finish(fig, path)


def _heat_caption(banded: bool, companion: bool) -> str:
    cell = ("each cell: P(military help), its Monte Carlo 90 % interval (±, points, Wilson)"
            + ("; the parameter range (90 % over the posterior draws) in brackets" if banded
               else "; no parameter part (parameter uncertainty off)"))
    if companion:
        cell = ("left: P(military help); right: the half-width of its Monte Carlo 90 % interval "
                "(points)" + ("" if banded else "; no parameter part (parameter uncertainty off)"))
    return cell + "; dotted: the calibrated value"


def _cell_position(values: list[float], v: float) -> float:
    """Where value v falls on a heat map's axis of evenly spaced cells (linear between them)."""
    return float(np.interp(v, values, np.arange(len(values))))


def _heat_panel(fig: Figure, ax: Any, side: Any, report: SweepReport, pts: list[SweepPoint]
                ) -> list[str]:
    """P(military help) over a two-quantity grid, one cell per pair of values (evenly spaced,
    labelled with their values: a grid need not be even, nor numeric), with each cell's
    intervals written in it (or, with `side`, the Monte Carlo half-width mapped beside it).
    Returns notes on where the calibrated values lie."""
    h = "military help"
    px, py = report.paths
    xs, ys = _levels(pts, px), _levels(pts, py)
    grid = np.full((len(ys), len(xs)), np.nan)
    half = np.full_like(grid, np.nan)
    for p in pts:
        i, j = ys.index(p.values[py]), xs.index(p.values[px])
        grid[i, j] = p.outcomes[h]
        lo, hi = _point_interval(p, h, report.trials)
        half[i, j] = (hi - lo) / 2
        if side is None:
            b = _point_band(p, h)
            text = f"{p.outcomes[h]:.0%}\n±{100 * (hi - lo) / 2:.1f}"
            if b is not None:
                text += f"\n[{b[0]:.0%}–{b[1]:.0%}]"
            ax.annotate(text, (j, i), ha="center", va="center", fontsize=6,
                        color="white" if p.outcomes[h] < 0.6 else "black")
    im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis")
    fig.colorbar(im, ax=ax, label="P(military help)")
    ax.set_ylabel(plain(py), fontsize=8)
    if side is not None:
        im2 = side.imshow(100 * half, origin="lower", aspect="auto", cmap="Greys", vmin=0)
        fig.colorbar(im2, ax=side, label="Monte Carlo 90 % half-width (points)")
        side.set_xlabel(plain(px), fontsize=8)
        side.set_title("Monte Carlo error", fontsize=9)
    notes = []
    for axis in [ax] + ([side] if side is not None else []):
        step_x, step_y = max(1, -(-len(xs) // 12)), max(1, -(-len(ys) // 12))
        axis.set_xticks(range(0, len(xs), step_x), [_label(v) for v in xs[::step_x]],
                        fontsize=7)
        axis.set_yticks(range(0, len(ys), step_y), [_label(v) for v in ys[::step_y]],
                        fontsize=7)
        for path, vals, vertical in ((px, xs, True), (py, ys, False)):
            if not all(_numeric(v) for v in vals) or len(vals) < 2:
                continue
            note = _mark_calibrated(axis, path, vals[0], vals[-1], vertical,
                                    colour="white" if axis is ax else "#d94801",
                                    where=partial(_cell_position, vals))
            if note:
                notes.append(f"{path}: {note}")
    return notes


def sensitivity_figure(report: SensitivityReport, path: Path | None = None,
                       outcome: str = "military help") -> Figure:
    """One panel per crisis, on a shared scale: each uncertain quantity's indices for one
    outcome, with their 95 % bootstrap intervals (SALib's `conf`; Sobol: first-order and
    total; FAST: first-order; Morris: mu* and sigma, which has none)."""
    n = max(len(report.crises), 1)
    height = max(2.0, 0.45 * max((len(c.inputs) for c in report.crises), default=1) + 1.2)
    fig, axes = plt.subplots(n, 1, figsize=(8.0, height * n + 0.9), squeeze=False, sharex=True,
                             layout="constrained")
    if report.method == "morris":
        pairs = [("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "#4292c6"),
                 ("sigma", None, "sigma (interactions, non-linearity; no interval)", "#fd8d3c")]
    else:
        pairs = [("s1", "s1_conf", "first-order", "#4292c6")]
        if report.method == "sobol":
            pairs.append(("st", "st_conf", "total", "#fd8d3c"))
    for ax, c in zip(axes[:, 0], report.crises, strict=False):
        rows = [i for i in c.indices if i.outcome == outcome]
        y = np.arange(len(rows))
        width = 0.8 / len(pairs)
        for k, (field, conf, label, colour) in enumerate(pairs):
            vals = [getattr(i, field) or 0.0 for i in rows]
            err = [getattr(i, conf) or 0.0 for i in rows] if conf else None
            ax.barh(y + k * width, vals, height=width, xerr=err, color=colour, label=label,
                    error_kw={"ecolor": intervals.MC_COLOUR, "elinewidth": 1.0, "capsize": 2.5})
        ax.set_yticks(y + width * (len(pairs) - 1) / 2)
        ax.set_yticklabels([plain(i.input) for i in rows], fontsize=8)
        ax.invert_yaxis()
        if report.method != "morris":
            ax.set_xlim(0, 1)
        ax.set_title(plain(f"{c.title}: P({outcome})", 70), fontsize=9)
    for ax in axes[len(report.crises):, 0]:
        ax.axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    handles.append(Line2D([], [], color=intervals.MC_COLOUR, marker="|", markersize=9,
                              linewidth=1.0))
    labels.append("95 % bootstrap interval of the index (SALib; the evaluations' finite "
                  "number); no parameter range: the indices are over the scenario's own uncertain "
                  "quantities")
    _legend(fig, handles, labels, ncol=2)
    fig.suptitle(f"Sensitivity ({report.method}) of {plain(report.scenario)}; seed {report.seed}; "
                 f"alliancesim {report.version}", fontsize=9)
    return _finish(fig, path)


def difference_band(d: Any) -> tuple[float, float] | None:
    """A paired difference's parameter range, where the comparison carries one (the field's
    name is the comparison's: parameter_band, or band)."""
    return band_of(d, None, "parameter_band", "band")


def comparison_figure(report: ComparisonReport, path: Path | None = None,
                      headlines: tuple[str, ...] = ("military help",
                                                    "repelled, with the alliance")) -> Figure:
    """The point of a comparison: each variant's paired difference from the base (common
    random numbers), one panel per headline on a shared scale in percentage points, one row
    per crisis and variant, with the difference's Monte Carlo interval (±z times the paired
    standard error) and, where the comparison carries it, its parameter range. Each row is
    labelled with the two levels (base → variant)."""
    crises = report.crises
    others = report.variants[1:]
    colours = {v: VARIANT_COLOURS[k % len(VARIANT_COLOURS)] for k, v in enumerate(others)}
    rows: list[tuple[str, Any, str | None]] = []  # (label, crisis, variant or None: a header)
    for c in crises:
        none = "" if any(v in c.values for v in others) else " (no variant has it)"
        rows.append((plain(c.title + none, 40), c, None))
        rows += [(plain(v, 30), c, v) for v in others if v in c.values]
    fig, axes = plt.subplots(1, len(headlines), figsize=(5.6 * len(headlines),
                                                         1.9 + 0.4 * len(rows)),
                             squeeze=False, sharey=True, sharex=True, layout="constrained")
    banded = False
    y = np.arange(len(rows), dtype=float)
    for ax, h in zip(axes[0], headlines, strict=True):
        for v in others:
            got = [(yi, c, next(d for d in c.differences if d.variant == v and d.headline == h))
                   for yi, (_, c, w) in zip(y, rows, strict=True) if w == v
                   and any(d.variant == v and d.headline == h for d in c.differences)]
            if not got:
                continue
            diff = [100 * d.difference for _, _, d in got]
            mc = [(100 * lo, 100 * hi) for lo, hi in
                  (normal(d.difference, d.se_paired) or (d.difference, d.difference)
                   for _, _, d in got)]
            bands = [None if (b := difference_band(d)) is None else (100 * b[0], 100 * b[1])
                     for _, _, d in got]
            banded |= any(b is not None for b in bands)
            intervals.draw(ax, [yi for yi, _, _ in got], diff, mc, bands, colours[v])
            for (yi, c, _), x in zip(got, diff, strict=True):
                ax.annotate(f"{c.values[report.base][h]:.0%} → {c.values[v][h]:.0%}", (x, yi),
                            xytext=(0, 5), textcoords="offset points", ha="center",
                            va="bottom", fontsize=6.5, color="#333333")
        ax.set_axisbelow(True)
        ax.grid(axis="x", color="#eeeeee")
        ax.axvline(0, color="#444444", linewidth=1.0, zorder=1)
        ax.set_xlabel(f"P({h}): variant − base (percentage points)", fontsize=8)
    ax0 = axes[0][0]
    ax0.set_yticks(y, [label for label, _, _ in rows], fontsize=8)
    for tick, (_, _, w) in zip(ax0.get_yticklabels(), rows, strict=True):
        if w is None:
            tick.set_fontweight("bold")
    ax0.set_ylim(len(rows) - 0.4, -0.6)
    lo, hi = ax0.get_xlim()
    span = max(abs(lo), abs(hi), 1.0)
    ax0.set_xlim(-span, span)  # symmetric about no difference, shared by the panels
    handles: list[Any] = [Line2D([], [], color=colours[v], marker="o", linestyle="")
                          for v in others]
    labels = [plain(v) for v in others]
    h_, lab = intervals.legend_handles(banded)
    lab = [x.replace("Monte Carlo error: 90 % interval",
                     "Monte Carlo error of the paired difference: 90 % interval") for x in lab]
    _legend(fig, handles + h_, labels + lab, ncol=min(len(others), 3) if len(others) > 1 else 2)
    fig.suptitle(f"Variants of {plain(report.base)}, paired differences from the base; "
                 f"{report.trials:,} trials per crisis, seed {report.seed}, common random "
                 f"numbers; alliancesim {report.version}", fontsize=9)
    return _finish(fig, path)
