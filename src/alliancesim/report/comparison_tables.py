"""Terminal tables of a comparison of scenario variants."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from alliancesim.report.tables import literal, pct
from alliancesim.results.comparison import ComparisonReport, CrisisComparison
from alliancesim.results.reach import record_line
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.sweep import SweepReport


def outside_lines(c: CrisisComparison, variants: list[str]) -> list[str]:
    """Where a crisis lies outside the record, one line per distinct finding, naming the
    variants it holds for ('every variant' when all of them)."""
    lines: dict[str, list[str]] = {}
    for v in variants:
        line = record_line(c.outside_record.get(v, []))
        if line is not None:
            lines.setdefault(line, []).append(v)
    shown = [v for v in variants if v in c.values]
    return [line.replace("Outside the record:", "Outside the record (" + (
        "every variant" if vs == shown and len(vs) > 1 else ", ".join(vs)) + "):", 1)
        for line, vs in lines.items()]


def render_comparison(r: ComparisonReport, console: Console) -> None:
    console.print(f"Comparison of {len(r.variants)} variants against '{literal(r.base)}'; "
                  f"{r.trials:,} trials per crisis, seed {r.seed}, common random numbers "
                  f"(alliancesim {r.version})")
    for c in r.crises:
        table = Table(title=literal(c.title), title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("headline")
        table.add_column(literal(r.base), justify="right", overflow="fold")
        others = [v for v in r.variants[1:] if v in c.values]
        for v in others:
            table.add_column(literal(v), justify="right", overflow="fold")
        by = {(d.variant, d.headline): d for d in c.differences}
        for h in c.values[r.base]:
            cells = [pct(c.values[r.base][h])]
            for v in others:
                d = by[(v, h)]
                cells.append(f"{pct(c.values[v][h])}  {100 * d.difference:+.1f} ± "
                             f"{100 * d.se_paired:.1f} [{100 * d.se_independent:.1f}]")
            table.add_row(h, *cells)
        console.print(table)
        for line in outside_lines(c, r.variants):
            console.print(literal(line), style="yellow")
    for v, ids in r.skipped.items():
        console.print(f"'{literal(v)}' has no crisis {literal(', '.join(ids))}: not compared "
                      "there.", style="dim")
    console.print("Each variant: its probability, then its difference from the base in "
                  "percentage points ± the standard error with common random numbers (trial by "
                  "trial); in brackets, the standard error two independent runs of the same "
                  "size would have.", style="dim")


def _level(v: float | str) -> str:
    """A swept value as the tables show it: a number compactly, a categorical value as is."""
    return f"{v:g}" if isinstance(v, float | int) else literal(str(v))


def render_sweep(r: SweepReport, console: Console) -> None:
    """One table per crisis: the varied values and the headlines at each point, each with its
    90% parameter band in brackets when the parameters were drawn; the largest Monte Carlo
    standard error under the tables (every one is in the CSV and JSON)."""
    drawn = (", parameters drawn from the posterior (the same draws at every point)"
             if r.parameter_uncertainty == "posterior" else ", parameters as given")
    console.print(f"Sweep of {literal(r.scenario)} ({r.design}, {len({p.point for p in r.points})} "
                  f"points); {r.trials:,} trials per point, seed {r.seed}, common random "
                  f"numbers{drawn} (alliancesim {r.version})")
    for cid in dict.fromkeys(p.crisis_id for p in r.points):
        pts = [p for p in r.points if p.crisis_id == cid]
        table = Table(title=literal(pts[0].title), title_justify="left", box=box.SIMPLE_HEAD)
        for path in r.paths:
            table.add_column(literal(path.rsplit(".", 1)[-1]), justify="right")
        heads = list(pts[0].outcomes)
        for h in heads:
            table.add_column(h, justify="right")
        for p in pts:
            table.add_row(*[_level(p.values[path]) for path in r.paths],
                          *[pct(p.outcomes[h]) + (f" [{100 * p.band[h][0]:.0f}–"
                                                  f"{100 * p.band[h][1]:.0f}]"
                                                  if h in p.band else "") for h in heads])
        console.print(table)
    worst = max((se for p in r.points for se in p.se.values()), default=0.0)
    bands = any(p.band for p in r.points)
    console.print(("In brackets: the 90% band, in percent, that the parameters' uncertainty "
                   "gives (Monte Carlo noise removed). " if bands else "")
                  + f"Monte Carlo standard errors at most {100 * worst:.1f} points (each in "
                  "the CSV and JSON: mc_se).", style="dim")


def render_sensitivity(r: SensitivityReport, console: Console) -> None:
    """One table per crisis: each uncertain quantity's indices for every headline."""
    console.print(f"Sensitivity ({r.method}, {r.samples:,} base samples, seed {r.seed}) of "
                  f"{literal(r.scenario)} (alliancesim {r.version})")
    for c in r.crises:
        table = Table(title=f"{literal(c.title)} ({c.evaluations:,} trials)", title_justify="left",
                      box=box.SIMPLE_HEAD)
        table.add_column("outcome")
        table.add_column("quantity", overflow="fold")
        if r.method == "morris":
            table.add_column("mu*", justify="right")
            table.add_column("sigma", justify="right")
        else:
            table.add_column("first-order", justify="right")
            if r.method == "sobol":
                table.add_column("total", justify="right")
        for i in c.indices:
            if r.method == "morris":
                table.add_row(i.outcome, literal(i.input),
                              f"{i.mu_star:.3f} ± {i.mu_star_conf:.3f}", f"{i.sigma:.3f}")
            elif r.method == "sobol":
                table.add_row(i.outcome, literal(i.input), f"{i.s1:.2f} ± {i.s1_conf:.2f}",
                              f"{i.st:.2f} ± {i.st_conf:.2f}")
            else:
                table.add_row(i.outcome, literal(i.input), f"{i.s1:.2f} ± {i.s1_conf:.2f}")
        console.print(table)
    if r.skipped:
        console.print(f"No uncertain quantity in: {', '.join(r.skipped)} (give some as "
                      "distributions to analyse them).", style="dim")
    console.print("Indices apportion each outcome's variance among the quantities; what none "
                  "explains is the trial's own randomness. ± : 95 % interval.", style="dim")
