"""Figures of the results (matplotlib). Every function returns the Figure; given a path it
also writes it as PNG and closes it.

Text is text: every string that comes from the user (scenario, crisis, variant and member
names, swept paths, quantity names) passes through `plain` before it reaches matplotlib, which
otherwise parses a string holding two `$` as TeX (mathtext): `$\\foo$` would make the figure
fail and deeply nested braces would exhaust the recursion limit.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.summary import ASKED, SHOWN_REQUESTS, EnsembleSummary, detail
from alliancesim.results.sweep import SweepReport

RUNG_COLOURS = ["#bdbdbd", "#9ecae1", "#4292c6", "#fd8d3c", "#d94801"]
OUTCOME_COLOURS = {"repelled": "#31a354", "contained": "#fdae6b", "lost": "#de2d26"}


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
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
    return fig


def _footer(fig: Any, s: EnsembleSummary) -> None:
    """The scenario, seed, trials and version under a run's figure."""
    fig.text(0.5, -0.01, f"{plain(s.title or s.scenario)} · {s.trials:,} trials per crisis · seed "
             f"{s.seed} · alliancesim {s.version}", ha="center", va="top", fontsize=7,
             color="#555555")


def _horizons(s: EnsembleSummary) -> str:
    days = sorted({c.horizon_days for c in s.crises})
    return f"{days[0]} days" if len(days) == 1 else f"{days[0]}-{days[-1]} days"


def _labels(s: EnsembleSummary, width: int = 30) -> list[str]:
    return [plain(c.title or c.crisis_id, width) for c in s.crises]




def _response_bars(s: EnsembleSummary) -> list[tuple[str, dict[str, float] | None]]:
    """(label, P(rung)) per row; a crisis whose request is drawn gets a header row (no bar),
    one bar per request and one mixed over the request stage; one with a fixed request, one
    bar."""
    rows: list[tuple[str, dict[str, float] | None]] = []
    for c, label in zip(s.crises, _labels(s, 45), strict=True):
        if c.by_request:
            rows.append((label, None))
            rows += [(f"if {ASKED[lv]}", c.by_request[lv].response) for lv in SHOWN_REQUESTS
                     if lv in c.by_request]
            rows.append(("mixed over the request stage", c.response))
        else:
            what = "" if c.request_fixed is None else f"\nif {ASKED[c.request_fixed]}"
            rows.append((label + what, c.response))
    return rows


def response_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """Stacked bars: probability of each collective response, per crisis and request (a crisis
    whose request is drawn: given each request, then mixed over the request stage)."""
    rows = _response_bars(s)
    height = 1.6 + 0.45 * len(rows)
    fig, ax = plt.subplots(figsize=(9, height))
    y = np.arange(len(rows), dtype=float)
    bars = [(yi, resp) for yi, (_, resp) in zip(y, rows, strict=True) if resp is not None]
    by = np.array([yi for yi, _ in bars])
    left = np.zeros(len(bars))
    rungs = list(s.crises[0].response)
    for k, rung in enumerate(rungs):
        vals = np.array([resp[rung] for _, resp in bars])
        ax.barh(by, vals, left=left, color=RUNG_COLOURS[k], label=rung, height=0.8)
        for yi, x0, w in zip(by, left, vals, strict=True):
            if w >= 0.06:
                ax.text(x0 + w / 2, yi, f"{w:.0%}", ha="center", va="center", fontsize=8)
        left += vals
    ax.set_yticks(y, [label for label, _ in rows], fontsize=8)
    for tick, (_, resp) in zip(ax.get_yticklabels(), rows, strict=True):
        if resp is None:  # a crisis's header
            tick.set_fontweight("bold")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("probability")
    ax.set_title(plain(f"Collective response: {s.title or s.scenario}", 80))
    fig.legend(*ax.get_legend_handles_labels(), ncol=5, loc="lower center", frameon=False,
               bbox_to_anchor=(0.5, 0.1 / height))
    fig.tight_layout(rect=(0.0, 0.55 / height, 1.0, 1.0))  # the legend at the foot
    _footer(fig, s)
    return _finish(fig, path)


def contributions_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """Expected troops sent by each member, per crisis, on a linear axis (the leader's share
    must look like what it is), each bar labelled with its value so token contingents read."""
    n = len(s.crises)
    members = max((len(c.members) for c in s.crises), default=1)
    width = max(3.2, 0.24 * members)  # thirty members stay readable
    fig, axes = plt.subplots(1, n, figsize=(width * n, 3.6), squeeze=False)
    for ax, c in zip(axes[0], [detail(c) for c in s.crises], strict=True):
        ids = [plain(m.id) for m in c.members]
        vals = [m.mean_troops for m in c.members]
        colours = ["#d94801" if m.role == "leader" else "#4292c6" for m in c.members]
        bars = ax.bar(ids, vals, color=colours)
        ax.bar_label(bars, labels=[f"{v:,.0f}" if v >= 0.5 or members <= 12 else ""
                                   for v in vals], fontsize=6, padding=1,
                     rotation=90 if members > 12 else 0)
        ax.set_ylim(0, max(max(vals, default=0.0), 1.0) * 1.25)
        ax.set_title(plain(c.title or c.crisis_id, 28), fontsize=9)
        ax.tick_params(axis="x", labelrotation=90 if members > 12 else 45,
                       labelsize=8 if members <= 12 else 7)
        share = "" if c.leader_share is None else f"leader's share {c.leader_share:.0%}"
        ax.text(0.5, 0.95, share, transform=ax.transAxes, ha="center", va="top", fontsize=8)
    axes[0][0].set_ylabel("expected troops sent (all trials)")
    given = (" (if asked for military help, where the request is drawn)"
             if any(c.by_request for c in s.crises) else "")
    fig.suptitle(plain(f"Contributions by member (leader in orange){given}: "
                       f"{s.title or s.scenario}", 100), fontsize=10)
    fig.tight_layout()
    _footer(fig, s)
    return _finish(fig, path)


def outcomes_figure(s: EnsembleSummary, path: Path | None = None) -> Figure:
    """Outcome probabilities with the alliance and with the victim alone, per crisis."""
    labels = _labels(s)
    fig, ax = plt.subplots(figsize=(9, 1.2 + 1.1 * len(labels)))
    y = np.arange(len(labels))
    h = 0.38
    for offset, key, tag in [(-h / 2, "outcome_with_alliance", "with alliance"),
                             (h / 2, "outcome_alone", "alone")]:
        left = np.zeros(len(labels))
        for outcome, colour in OUTCOME_COLOURS.items():
            vals = np.array([getattr(detail(c), key)[outcome] for c in s.crises])
            ax.barh(y + offset, vals, height=h * 0.95, left=left, color=colour,
                    label=outcome if offset < 0 else None,
                    hatch=None if offset < 0 else "//", edgecolor="white")
            left += vals
        for yi in y:
            ax.text(1.01, yi + offset, tag, va="center", fontsize=8)
    ax.set_yticks(y, labels)
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("probability")
    given = (" (if asked for military help, where the request is drawn)"
             if any(c.by_request for c in s.crises) else "")
    ax.set_title(plain(f"How the crisis ends{given}: {s.title or s.scenario}", 80)
                 + "\nwith the alliance (solid) and the victim alone (hatched); contained: "
                 f"undecided within {_horizons(s)}")
    ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(labels) > 2 else -0.3),
              frameon=False)
    fig.tight_layout()
    _footer(fig, s)
    return _finish(fig, path)


FIGURES = {
    "response.png": response_figure,
    "contributions.png": contributions_figure,
    "outcomes.png": outcomes_figure,
}


def reliability_figure(bins: dict[str, list[tuple[float, float, int]]], path: Path | None = None,
                       title: str = "Reliability of the leave-one-out forecasts") -> Figure:
    """Forecast probability against observed frequency, per probability bin (every case and
    every rung its request allowed); marker area shows the number of forecasts in the bin."""
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1, label="perfect")
    styles = {"model": ("#d94801", "o"), "frequency": ("#4292c6", "s")}
    for name, rows in bins.items():
        if not rows:
            continue
        colour, marker = styles.get(name, ("#31a354", "^"))
        x = [r[0] for r in rows]
        y = [r[1] for r in rows]
        n = [r[2] for r in rows]
        ax.plot(x, y, color=colour, linewidth=1)
        ax.scatter(x, y, s=[20 + 8 * k for k in n], color=colour, marker=marker,
                   label=plain(name),
                   zorder=3)
        for xi, yi, k in zip(x, y, n, strict=True):
            ax.annotate(str(k), (xi, yi), textcoords="offset points", xytext=(9, -13),
                        fontsize=7, color=colour)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("forecast probability")
    ax.set_ylabel("observed frequency")
    ax.set_title(plain(title), fontsize=10)
    ax.legend(loc="upper left", frameon=False)
    fig.tight_layout()
    return _finish(fig, path)


SWEEP_LINES = ("military help", "mission or more", "acts without the alliance",
               "repelled, with the alliance")


def sweep_figure(report: SweepReport, path: Path | None = None) -> Figure:
    """One panel per crisis. One swept quantity: the headlines against its value, with ±2
    standard-error bands. Two on a grid: P(military help) as a heat map. Otherwise (a Latin
    hypercube, or more quantities): P(military help) against the first quantity."""
    crises = list(dict.fromkeys(p.crisis_id for p in report.points))
    titles = {p.crisis_id: p.title for p in report.points}
    n = len(crises)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.0 * cols, 3.6 * rows), squeeze=False)
    first = report.paths[0]
    heat = len(report.paths) == 2 and report.design == "grid"
    for k, cid in enumerate(crises):
        ax = axes[k // cols][k % cols]
        pts = [p for p in report.points if p.crisis_id == cid]
        if heat:
            xs = sorted({p.values[report.paths[0]] for p in pts})
            ys = sorted({p.values[report.paths[1]] for p in pts})
            grid = np.full((len(ys), len(xs)), np.nan)
            for p in pts:
                grid[ys.index(p.values[report.paths[1]]), xs.index(p.values[report.paths[0]])] \
                    = p.outcomes["military help"]
            im = ax.imshow(grid, origin="lower", aspect="auto", vmin=0, vmax=1, cmap="viridis",
                           extent=(xs[0], xs[-1], ys[0], ys[-1]) if len(xs) > 1 and len(ys) > 1
                           else None)
            fig.colorbar(im, ax=ax, label="P(military help)")
            ax.set_ylabel(plain(report.paths[1]), fontsize=8)
        elif len(report.paths) == 1:
            x = np.array([p.values[first] for p in pts])
            order = np.argsort(x)
            for h, colour in zip(SWEEP_LINES, RUNG_COLOURS[1:], strict=False):
                y = np.array([p.outcomes[h] for p in pts])[order]
                se = np.array([p.se[h] for p in pts])[order]
                ax.plot(x[order], y, marker="o", markersize=3, label=h, color=colour)
                ax.fill_between(x[order], y - 2 * se, y + 2 * se, color=colour, alpha=0.2)
            ax.set_ylim(0, 1)
            ax.set_ylabel("probability")
        else:
            ax.scatter([p.values[first] for p in pts],
                       [p.outcomes["military help"] for p in pts], s=12)
            ax.set_ylim(0, 1)
            ax.set_ylabel("P(military help)")
        ax.set_xlabel(plain(first), fontsize=8)
        ax.set_title(plain(titles[cid], 50), fontsize=9)
    for k in range(n, rows * cols):
        axes[k // cols][k % cols].axis("off")
    if len(report.paths) == 1 and not heat:
        axes[0][0].legend(fontsize=7, loc="best", frameon=False)
    fig.suptitle(f"Sweep of {plain(report.scenario)}: {plain(', '.join(report.paths))}\n"
                 f"{report.trials:,} trials per point, seed {report.seed}, common random "
                 f"numbers; alliancesim {report.version}", fontsize=9)
    fig.tight_layout()
    return _finish(fig, path)


def sensitivity_figure(report: SensitivityReport, path: Path | None = None,
                       outcome: str = "military help") -> Figure:
    """One panel per crisis: each uncertain quantity's indices for one outcome, with their
    95 % intervals (Sobol: first-order and total; FAST: first-order; Morris: mu* and sigma)."""
    n = max(len(report.crises), 1)
    height = max(2.0, 0.45 * max((len(c.inputs) for c in report.crises), default=1) + 1.2)
    fig, axes = plt.subplots(n, 1, figsize=(8.0, height * n), squeeze=False)
    for ax, c in zip(axes[:, 0], report.crises, strict=False):
        rows = [i for i in c.indices if i.outcome == outcome]
        y = np.arange(len(rows))
        if report.method == "morris":
            pairs = [("mu_star", "mu_star_conf", "mu* (mean |elementary effect|)", "#4292c6"),
                     ("sigma", None, "sigma (interactions, non-linearity)", "#fd8d3c")]
        else:
            pairs = [("s1", "s1_conf", "first-order", "#4292c6")]
            if report.method == "sobol":
                pairs.append(("st", "st_conf", "total", "#fd8d3c"))
        width = 0.8 / len(pairs)
        for k, (field, conf, label, colour) in enumerate(pairs):
            vals = [getattr(i, field) or 0.0 for i in rows]
            err = [getattr(i, conf) or 0.0 for i in rows] if conf else None
            ax.barh(y + k * width, vals, height=width, xerr=err, color=colour, label=label,
                    capsize=2)
        ax.set_yticks(y + width * (len(pairs) - 1) / 2)
        ax.set_yticklabels([plain(i.input) for i in rows], fontsize=8)
        ax.invert_yaxis()
        if report.method != "morris":
            ax.set_xlim(0, 1)
        ax.set_title(plain(f"{c.title}: P({outcome})", 70), fontsize=9)
        ax.legend(fontsize=7, frameon=False, loc="lower right")
    fig.suptitle(f"Sensitivity ({report.method}) of {plain(report.scenario)}; seed {report.seed}; "
                 f"alliancesim {report.version}", fontsize=9)
    fig.tight_layout()
    return _finish(fig, path)


def comparison_figure(report: ComparisonReport, path: Path | None = None,
                      headlines: tuple[str, ...] = ("military help",
                                                    "repelled, with the alliance")) -> Figure:
    """Grouped bars, one panel per headline: each crisis's probability under every variant."""
    crises = report.crises
    variants = report.variants
    fig, axes = plt.subplots(1, len(headlines), figsize=(5.5 * len(headlines),
                                                         1.2 + 0.35 * len(crises) * len(variants)),
                             squeeze=False)
    colours = ["#636363", "#4292c6", "#fd8d3c", "#31a354", "#d94801", "#756bb1"]
    for ax, h in zip(axes[0], headlines, strict=True):
        height = 0.8 / len(variants)
        for k, v in enumerate(variants):
            y = [i + k * height for i in range(len(crises))]
            vals = [c.values[v][h] if v in c.values else np.nan for c in crises]
            ax.barh(y, vals, height=height, color=colours[k % len(colours)], label=plain(v))
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(crises))])
        ax.set_yticklabels([plain(c.title, 28) for c in crises], fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"P({h})")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.suptitle(f"Variants of {plain(report.base)}; {report.trials:,} trials per crisis, seed "
                 f"{report.seed}, common random numbers; alliancesim {report.version}",
                 fontsize=9)
    fig.tight_layout()
    # below the panels, clear of the data and the axis labels (the saved box includes it)
    fig.legend(handles, labels, fontsize=8, frameon=False, loc="upper center",
               ncol=min(len(variants), 3), bbox_to_anchor=(0.5, 0.0))
    return _finish(fig, path)
