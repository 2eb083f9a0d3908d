"""Tables and figures of a sequence of crises (issue 26; results/sequence.py): each member's
belief over time with its 90% band and its freeze threshold, the probability that it has
frozen or left by each date, the alliance's credibility; a counterfactual beside its
baseline, with the paired differences at the end."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from rich import box
from rich.console import Console
from rich.table import Table

from alliancesim.report.plots import plain
from alliancesim.report.tables import literal, pct
from alliancesim.results.sequence import PairedDifference, SequenceComparison, SequenceReport

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
           "#17becf", "#7f7f7f", "#bcbd22")


def _mode(r: SequenceReport) -> str:
    forced = ", ".join(f"{k}={v}" for k, v in r.forced.items())
    parts = ["observed responses" if r.observed else "simulated responses"]
    if forced:
        parts.append(f"forced {forced}")
    if r.rule:
        parts.append(f"rule {r.rule}")
    return "; ".join(parts)


SHORT = {"consultations": "consult.", "statement": "statement", "military": "military"}


def _short(step: str) -> str:
    return step[:7]


def render_sequence(r: SequenceReport, console: Console, title: str | None = None) -> None:
    """The crises in date order, every member's belief by date, its chance of being out by
    date, and the end of the sequence with its bands."""
    head = title or f"{r.scenario}: {r.trials:,} trials, seed {r.seed} ({_mode(r)})"
    crises = Table(title=literal(head), box=box.SIMPLE_HEAVY)
    for col in ("date", "crisis", "victim", "cover", "likeliest", "P(≥mission)", "P(out)"):
        crises.add_column(col, justify="left" if col in ("date", "crisis", "likeliest")
                          else "right", no_wrap=col == "crisis")
    for c in r.crises:
        if c.forced is not None:
            likely = f"{SHORT.get(c.forced, c.forced)}*"
        else:
            rung, p = max(c.rung_probabilities.items(), key=lambda kv: kv[1])
            likely = f"{SHORT.get(rung, rung)} {100 * p:.0f}%"
        acted = c.rung_probabilities["mission"] + c.rung_probabilities["military"]
        crises.add_row(_short(c.date), literal(c.crisis_id), c.victim, f"{c.coverage:.2f}",
                       literal(likely), pct(acted), pct(c.p_victim_gone))
    console.print(crises)
    console.print("*: forced. cover: the treaty's coverage of the crisis (help withheld "
                  "counts against belief only as far as it was due); P(out): the victim had "
                  "frozen or left.", style="dim")
    steps = [_short(x) for x in r.steps]
    beliefs = Table(title="Belief that the alliance will help (median over trials)",
                    box=box.SIMPLE_HEAVY)
    beliefs.add_column("member")
    for step in steps:
        beliefs.add_column(step, justify="right")
    for m in r.members:
        beliefs.add_row(m.member, *[f"{v:.2f}" for v in m.belief.median])
    beliefs.add_row("cred.", *[f"{v:.2f}" for v in r.credibility.median])
    console.print(beliefs)
    out = Table(title="P(frozen or exited by then)", box=box.SIMPLE_HEAVY)
    out.add_column("member")
    for step in steps[1:]:
        out.add_column(step, justify="right")
    for m in r.members:
        out.add_row(m.member, *[pct(p) for p in m.p_frozen[1:]])
    console.print(out)
    end = Table(title=f"After {r.steps[-1]}", box=box.SIMPLE_HEAVY)
    for col in ("member", "threshold", "belief [90% band]", "P(frozen or exited)",
                "P(exited)"):
        end.add_column(col, justify="left" if col == "member" else "right")
    for m in r.members:
        b = m.belief
        end.add_row(m.member, f"{m.threshold:.2f}",
                    f"{b.median[-1]:.2f} [{b.low[-1]:.2f}, {b.high[-1]:.2f}]",
                    pct(m.p_frozen[-1]), pct(m.p_exited[-1]))
    cred = r.credibility
    end.add_row("credibility", "",
                f"{cred.median[-1]:.2f} [{cred.low[-1]:.2f}, {cred.high[-1]:.2f}]", "", "")
    console.print(end)
    console.print("threshold: a member freezes when its belief falls below it (the leader "
                  "never). Credibility: the capability-weighted mean belief of the members "
                  "still taking part. Rules and sources: docs/model.md §7.", style="dim")


def _diff(d: PairedDifference, percent: bool) -> str:
    fmt = pct if percent else (lambda v: f"{v:.3f}")
    sign = "+" if d.difference >= 0 else "-"
    body = (f"{100 * abs(d.difference):.1f} pts" if percent else f"{abs(d.difference):.3f}")
    return (f"{fmt(d.baseline)} → {fmt(d.variant)} ({sign}{body} ± "
            f"{(100 if percent else 1) * d.se_paired:.{1 if percent else 3}f})")


def render_sequence_comparison(r: SequenceComparison, console: Console) -> None:
    """The baseline, the variant, then the paired differences at the end of the sequence."""
    render_sequence(r.baseline, console, title=f"Baseline: {_mode(r.baseline)}")
    render_sequence(r.variant, console, title=f"Variant {r.label}: {_mode(r.variant)}")
    table = Table(title=literal(f"{r.label} against the baseline, trial by trial (common random "
                                f"numbers), after {r.baseline.steps[-1]}"),
                  box=box.SIMPLE_HEAVY)
    table.add_column("member")
    table.add_column("P(frozen or exited)", justify="right")
    table.add_column("belief (mean)", justify="right")
    for f, b in zip(r.p_frozen_end, r.belief_end, strict=True):
        table.add_row(f.member, _diff(f, True), _diff(b, False))
    table.add_row("credibility", "", _diff(r.credibility_end, False))
    console.print(table)
    console.print("± the paired difference's Monte Carlo standard error.", style="dim")


def _labels(r: SequenceReport) -> list[str]:
    return ["prior", *[f"{c.date}\n{c.crisis_id}" for c in r.crises]]


def beliefs_figure(r: SequenceReport | SequenceComparison, path: Path | None = None) -> Figure:
    """Each member's median belief with its 90% band, its freeze threshold dotted, and the
    credibility; a comparison draws the variant dashed over the baseline."""
    runs = ([(r.baseline, "-", "baseline"), (r.variant, "--", r.label)]
            if isinstance(r, SequenceComparison) else [(r, "-", "")])
    base = runs[0][0]
    members = [m.member for m in base.members]
    cols = min(3, len(members) + 1)
    rows = -(-(len(members) + 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.0 * rows), sharex=True,
                             sharey=True, layout="constrained", squeeze=False)
    x = list(range(len(base.steps)))
    for k, ax in enumerate(axes.flat):
        if k > len(members):
            ax.set_visible(False)
            continue
        for j, (run, style, label) in enumerate(runs):
            band = run.credibility if k == len(members) else run.members[k].belief
            colour = COLOURS[j]
            ax.fill_between(x, band.low, band.high, color=colour, alpha=0.15 if j == 0 else 0.1,
                            linewidth=0)
            ax.plot(x, band.median, style, color=colour, marker="o", markersize=3,
                    label=(label or "median") if k == 0 else None)
        if k < len(members):
            ax.axhline(base.members[k].threshold, color="#555555", linestyle=":",
                       linewidth=1, label="freeze threshold" if k == 0 else None)
            ax.set_title(members[k], fontsize=9)
        else:
            ax.set_title("credibility (capability-weighted)", fontsize=9)
        ax.set_ylim(0, 1)
        ax.set_xticks(x, _labels(base), rotation=60, ha="right", fontsize=6)
        ax.grid(alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("belief: alliance helps")
    fig.legend(loc="outside lower center", ncol=4, fontsize=7.5, frameon=False)
    fig.suptitle(plain(f"{base.scenario}: belief over the sequence (median, 90% band over "
                       f"{base.trials:,} trials; seed {base.seed})"), fontsize=10)
    return _finish(fig, path)


def freeze_figure(r: SequenceReport | SequenceComparison, path: Path | None = None) -> Figure:
    """P(frozen or exited by each date) per member (the leader, who never freezes, left out);
    a comparison draws the variant dashed."""
    runs = ([(r.baseline, "-", "baseline"), (r.variant, "--", r.label)]
            if isinstance(r, SequenceComparison) else [(r, "-", "")])
    base = runs[0][0]
    fig, ax = plt.subplots(figsize=(7.5, 4.0), layout="constrained")
    x = list(range(len(base.steps)))
    for i, m in enumerate(base.members):
        if m.threshold == 0.0:
            continue
        for run, style, label in runs:
            path_i = run.members[i]
            ax.step(x, path_i.p_frozen, style, where="post", color=COLOURS[i % len(COLOURS)],
                    label=f"{m.member}{' ' + label if label else ''}")
    ax.set_xticks(x, _labels(base), rotation=45, ha="right", fontsize=7)
    ax.set_ylim(-0.02, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel("P(frozen or exited by then)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    ax.set_title(plain(f"{base.scenario}: members out of the alliance ({base.trials:,} trials)"),
                 fontsize=10)
    return _finish(fig, path)


def _finish(fig: Figure, path: Path | None) -> Figure:
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


FIGURES = {"beliefs.png": beliefs_figure, "freeze.png": freeze_figure}
