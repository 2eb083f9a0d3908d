"""The command line: parse, call the library, render. No model logic here."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from alliancesim.data import bundled
from alliancesim.scenario.errors import ScenarioError, UsageError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    help="Simulate collective-security alliances in crises (the CSTO by default).",
    context_settings={"help_option_names": ["-h", "--help"]},
)
out_console = Console()
err_console = Console(stderr=True)

PROGRESS_THRESHOLD = 200_000  # trials x crises above which a progress bar is shown


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(
        help="A scenario YAML file or the name of a bundled scenario "
             "(see `alliancesim scenarios`).")] = bundled.DEFAULT_SCENARIO,
    trials: Annotated[int | None, typer.Option(
        "--trials", "-n", min=1, max=1_000_000_000,
        help="Trials per crisis (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", "-s", min=0, help="Random seed (default: the scenario's).")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", min=1, help="Trials per chunk (memory bound); results do not depend "
        "on it.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write trials.parquet, summary.json, scenario.yaml and PNG figures "
        "to this folder.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    backend: Annotated[str, typer.Option(
        "--backend", help="Where chunks run: local (in-process), process (all local cores) or "
        "ray.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Processes for --backend process (default: all cores).")] = None,
    address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster address for --backend ray (default: start Ray "
        "locally).")] = None,
) -> None:
    """Run a scenario (default: the CSTO in autumn 2021) and print what happens."""
    from alliancesim.api import load_scenario, simulate
    from alliancesim.report.tables import render_summary
    from alliancesim.results.store import check_out_dir, write_results

    if out is not None:
        check_out_dir(out)
    if backend not in ("local", "process", "ray"):
        raise UsageError(f"--backend {backend}: unknown backend (valid: local, process, ray)")
    if address is not None and backend != "ray":
        raise UsageError("--address applies only to --backend ray")
    sc = load_scenario(scenario)
    n = trials if trials is not None else sc.trials
    total = n * len(sc.crises)
    show = not quiet and total >= PROGRESS_THRESHOLD and err_console.is_terminal
    if show:
        with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("trials", total=total)
            ens = simulate(sc, trials=n, seed=seed, chunk_size=chunk_size,
                           progress=lambda k: bar.advance(task, k), backend=backend,
                           workers=workers, address=address, keep_trials=out is not None)
    else:
        ens = simulate(sc, trials=n, seed=seed, chunk_size=chunk_size, backend=backend,
                       workers=workers, address=address, keep_trials=out is not None)
    summary = ens.summary()
    if out is not None:
        written = write_results(ens, out)
        if not json_:
            err_console.print(f"wrote {', '.join(str(p) for p in written)}")
    if json_:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
    else:
        render_summary(summary, out_console)


@app.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    from alliancesim.scenario.loading import load_scenario_file

    table = Table(title="Bundled scenarios (run with `alliancesim run NAME`)", title_justify="left")
    table.add_column("name")
    table.add_column("alliance")
    table.add_column("crises", justify="right")
    table.add_column("title")
    for name in bundled.scenario_names():
        sc, _, _ = load_scenario_file(name)
        alliance = sc.alliance if isinstance(sc.alliance, str) else sc.alliance.id
        default = " (default)" if name == bundled.DEFAULT_SCENARIO else ""
        table.add_row(name + default, alliance, str(len(sc.crises)), sc.title)
    out_console.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(help="A bundled scenario name (or a scenario file).")],
    resolved: Annotated[bool, typer.Option(
        "--resolved", help="Print the scenario with the bundled alliance, actors and "
        "affinities filled in and every parameter at its value.")] = False,
) -> None:
    """Print a scenario as YAML: a starting point for your own."""
    from alliancesim.scenario.loading import load_scenario, load_scenario_file

    if resolved:
        sc = load_scenario(name)
        data = sc.model_dump(mode="json", by_alias=True)
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return
    _, source, _ = load_scenario_file(name)
    sys.stdout.write(Path(source).read_text(encoding="utf-8"))


def _report(problems: list[str]) -> None:
    for line in problems:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    """Entry point: every user error is reported in one line per problem, exit status 2.

    Flag errors are typer's own (usage line and message, exit status 2).
    """
    try:
        app()
    except ScenarioError as exc:
        _report([f"error: {p}" for p in exc.problems])
        sys.exit(2)
    except UsageError as exc:
        _report([f"error: {exc}"])
        sys.exit(2)
    except Exception as exc:
        if os.environ.get("ALLIANCESIM_DEBUG"):
            raise
        _report([f"internal error: {type(exc).__name__}: {exc}",
                 "this is a bug in alliancesim; rerun with ALLIANCESIM_DEBUG=1 for a traceback"])
        sys.exit(1)


if __name__ == "__main__":
    main()
