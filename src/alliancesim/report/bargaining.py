"""Terminal tables and the figure of an expected-utility bargaining game (`alliancesim eum`)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from rich.console import Console
from rich.table import Table
from rich.text import Text

from alliancesim.results.bargaining import EUMReport


def _fmt(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def render_eum(report: EUMReport, console: Console) -> None:
    """Positions by round (one column per round), the weighted median and mean, the risk
    exponents of each round, and who took whose offer."""
    s = report.settings
    console.print(Text(f"Expected-utility model: {len(report.actors)} actors from "
                       f"{report.source}; Q={s['q']:g}, "
                       f"T={'by the four cases' if s['t'] is None else format(s['t'], 'g')}, "
                       f"span {_fmt(report.span)}, {s['rounds']} rounds.", style="bold"))
    rows = report.positions()
    table = Table(title="Positions by round", title_justify="left")
    table.add_column("actor")
    table.add_column("capability", justify="right")
    table.add_column("salience", justify="right")
    for k in range(len(rows)):
        table.add_column("start" if k == 0 else f"r{k}", justify="right")
    for i, actor in enumerate(report.actors):
        table.add_row(Text(actor), _fmt(report.capability[i]), _fmt(report.salience[i]),
                      *(_fmt(row[i]) for row in rows))
    table.add_section()
    table.add_row("weighted median", "", "", *(_fmt(v) for v in report.medians))
    table.add_row("weighted mean", "", "", *(_fmt(v) for v in report.means))
    console.print(table)
    if report.rounds:
        risk = Table(title="Risk exponents r (0.5 risk-averse ... 2 risk-acceptant)",
                     title_justify="left")
        risk.add_column("actor")
        for r in report.rounds:
            risk.add_column(f"r{r.round}", justify="right")
        for actor in report.actors:
            risk.add_row(Text(actor), *(f"{r.risk[actor]:.2f}" for r in report.rounds))
        console.print(risk)
        moves = Table(title="Offers taken (who moved to whom)", title_justify="left")
        for name in ("round", "actor", "offer", "from", "proposer", "to"):
            moves.add_column(name, justify="right" if name in ("round", "from", "to")
                             else "left")
        for r in report.rounds:
            for c in r.challenges:
                moves.add_row(str(r.round), Text(c.actor), c.kind, _fmt(c.before),
                              Text(c.proposer), _fmt(c.after))
        console.print(moves)
    if report.settled is None:
        console.print("Positions still moved in the last round (more rounds: --rounds).",
                      style="dim")
    elif report.settled == 0:
        console.print("No one moved: no actor had an offer it would take.", style="dim")
    else:
        console.print(f"Settled after round {report.settled}.", style="dim")


def eum_figure(report: EUMReport, path: Path | None = None) -> Figure:
    """Each actor's position over the rounds, with the weighted median and mean. Actors whose
    positions are the same in every round share one line, labelled with all their names (so
    that no line hides another)."""
    rows = report.positions()
    rounds = list(range(len(rows)))
    paths: dict[tuple[float, ...], list[str]] = {}
    for i, actor in enumerate(report.actors):
        paths.setdefault(tuple(row[i] for row in rows), []).append(actor)
    fig, ax = plt.subplots(figsize=(8.5, 4.8), layout="constrained")
    for path_, names in paths.items():
        label = textwrap.shorten(", ".join(names), width=48, placeholder=" ...")
        ax.plot(rounds, path_, marker="o", markersize=3, linewidth=1 + 0.4 * (len(names) - 1),
                alpha=0.85, label=label.replace("$", r"\$"))
    ax.plot(rounds, report.medians, color="black", linewidth=2.5, label="weighted median")
    ax.plot(rounds, report.means, color="black", linewidth=1.5, linestyle="--",
            label="weighted mean")
    ax.set_xlabel("round (0: the stated positions)")
    ax.set_ylabel("position")
    ax.set_xticks(rounds)
    ax.set_title("Expected-utility model: positions over the rounds")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
