"""The command line: parse, call the library, render. No model logic here."""

from __future__ import annotations

if __name__ == "__main__":  # `python -m alliancesim.cli`: Ctrl-C handled while the rest loads
    from alliancesim._interrupt import guard_imports

    guard_imports()

import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from alliancesim._interrupt import interrupted_line, stop_now
from alliancesim.backends import BACKENDS, MAX_WORKERS
from alliancesim.data.bundled import DEFAULT_SCENARIO
from alliancesim.scenario.errors import ScenarioError, UsageError
from alliancesim.scenario.limits import MAX_CHUNK, MAX_SEED

if TYPE_CHECKING:
    from pydantic import BaseModel

    from alliancesim import api
    from alliancesim.scenario.schema import Scenario
else:
    class _LazyApi:
        """alliancesim.api, imported when a command first calls it: `--help`, `--version` and
        a mistyped flag load neither the model (numba, numpy, scipy) nor the api
        (tests/test_issue22_startup.py checks which modules `import alliancesim.cli` loads)."""

        def __getattr__(self, name: str) -> Any:
            from alliancesim import api as module

            return getattr(module, name)

    api = _LazyApi()


def _out_file(value: str) -> Path:
    """An --out that names one file: a value ending in '/' names a folder, and is refused
    before the slash is lost (Path('x/') is Path('x'), which would replace a file x)."""
    if value.endswith(("/", os.sep)):
        raise UsageError("ends in '/', which names a folder; give a file name", param="out",
                         value=value)
    return Path(value)


def _choices(values: tuple[str, ...] | list[str]) -> str:
    """An option's fixed set of values as --help shows them: [a|b|c]."""
    return "[" + "|".join(values) + "]"


# The fixed sets of values of some options, listed in --help. The library checks the values
# (one line and exit 2, naming the valid ones); these copies let --help name them without
# loading the modules that define them (tests/test_issue22_startup.py: they are equal).
BACKEND_CHOICES = _choices(BACKENDS)
UNCERTAINTY_CHOICES = _choices(("posterior", "off"))  # api.simulate's parameter_uncertainty
METHOD_CHOICES = _choices(("sobol", "morris", "fast"))  # experiments.sensitivity.METHODS
PRIOR_CHOICES = _choices(("judgement", "large-n"))  # experiments.calibration.PRIORS
THREATS = ("interstate_attack", "cross_border_incursion", "insurgency", "internal_unrest",
           "member_clash")  # scenario.schema.ThreatType


class _GlobalOptionsAnywhere(TyperGroup):
    """A command group whose own options (the root's --store, --no-store, --version; data's
    --data-store) may also come after the subcommand: `alliancesim run --no-store` is
    `alliancesim --no-store run`. An option of the same name that the subcommand takes itself
    stays the subcommand's; everything after `--` is left alone."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _hoist_group_options(self, ctx, args))


def _hoist_group_options(group: Any, ctx: Any, args: list[str]) -> list[str]:
    """args with the group's own options found after the subcommand moved before it."""
    takes_value = {name: not p.is_flag for p in group.params if p.param_type_name == "option"
                   for name in (*p.opts, *p.secondary_opts) if name.startswith("--")}
    i = 0
    while i < len(args) and args[i].startswith("-") and args[i] != "--":  # before the command
        i += 1 + (takes_value.get(args[i], False) and "=" not in args[i])
    if i >= len(args) or args[i] == "--":
        return args
    command = group.get_command(ctx, args[i])
    own = set() if command is None else _option_names(command, ctx)
    front, rest, k = list(args[:i]), [args[i]], i + 1
    while k < len(args):
        token = args[k]
        if token == "--":
            rest += args[k:]
            break
        name = token.split("=", 1)[0]
        if name in takes_value and name not in own:
            width = 2 if takes_value[name] and "=" not in token and k + 1 < len(args) else 1
            front += args[k:k + width]
            k += width
            continue
        rest.append(token)
        k += 1
    return front + rest


def _option_names(command: Any, ctx: Any) -> set[str]:
    """Every option name a command (or, for a group, any of its commands) takes."""
    names = {n for p in command.params if p.param_type_name == "option"
             for n in (*p.opts, *p.secondary_opts)}
    if hasattr(command, "list_commands"):  # a group
        for sub in command.list_commands(ctx):
            c = command.get_command(ctx, sub)
            if c is not None:
                names |= _option_names(c, ctx)
    return names


app = typer.Typer(
    cls=_GlobalOptionsAnywhere,
    add_completion=False,
    no_args_is_help=False,
    help="Simulate collective-security alliances in crises (the CSTO by default).",
    context_settings={"help_option_names": ["-h", "--help"]},
)
out_console = Console()
err_console = Console(stderr=True)

PROGRESS_THRESHOLD = 200_000  # trials x crises above which a progress bar is shown
UNCERTAINTY_HELP = ("posterior: draw the council's and request stage's parameters from the "
                    "calibration's posterior for every 128 trials and show a 90% band for each "
                    "headline beside its Monte Carlo error; off: use the parameters as given.")


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(
        help="A scenario YAML file, a bundled scenario (see `alliancesim scenarios`) or a "
             "historical case (see `alliancesim cases`).")] = DEFAULT_SCENARIO,
    trials: Annotated[int | None, typer.Option(
        "--trials", "-n", min=1, max=1_000_000_000,
        help="Trials per crisis (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED,
        help="Random seed (default: the scenario's; 0 to 2^63 - 1).")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        "--chunk-size", min=1, max=MAX_CHUNK, help="Trials per chunk (memory bound; default "
        f"131,072 for up to six members, fewer for wider alliances; at most {MAX_CHUNK:,}); "
        "results do not depend on it.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write trials.parquet, summary.json, scenario.yaml and PNG figures "
        "to this folder.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    backend: Annotated[str, typer.Option(
        "--backend", metavar=BACKEND_CHOICES,
        help="Where chunks run: local (in-process), process (all local cores) or "
        "ray.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=MAX_WORKERS,
        help=f"Processes for --backend process (default: all cores; at most {MAX_WORKERS})."
    )] = None,
    address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster address for --backend ray (default: start Ray "
        "locally).")] = None,
    params: Annotated[Path | None, typer.Option(
        "--params", help="A parameter file (e.g. from `alliancesim calibrate --out`) laid over "
        "the scenario's parameters.")] = None,
    parameter_uncertainty: Annotated[str | None, typer.Option(
        "--parameter-uncertainty", metavar=UNCERTAINTY_CHOICES,
        help=UNCERTAINTY_HELP + " Default: the scenario file's "
        "parameters.uncertainty where it sets one, else posterior.")] = None,
    by_request: Annotated[bool, typer.Option(
        "--by-request/--mixed-only", help="Also run each crisis whose request is drawn with "
        "the request fixed at each level, same seed (the headline: the response given the "
        "request); --mixed-only: only the mixture over the request stage (a quarter of the "
        "work).")] = True,
) -> None:
    """Run a scenario (default: the CSTO in autumn 2021) and print what happens."""
    from alliancesim.report.tables import render_summary

    api.check_options(backend=backend, workers=workers, address=address, out=out)
    sc = api.load_scenario(scenario, params=params)
    _check_store()
    n = trials if trials is not None else sc.trials
    total = api.trials_to_run(sc, n, by_request=by_request)
    show = not quiet and total >= PROGRESS_THRESHOLD and err_console.is_terminal
    options: dict[str, Any] = dict(trials=n, seed=seed, chunk_size=chunk_size, backend=backend,
                                   workers=workers, address=address, keep_trials=False, out=out,
                                   parameter_uncertainty=parameter_uncertainty,
                                   by_request=by_request)
    if show:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )

        with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err_console, transient=True) as bar:
            task = bar.add_task("trials", total=total)

            def advance(k: int) -> None:
                _raise_pending()
                bar.advance(task, k)

            ens = api.simulate(sc, progress=advance, **options)
    else:
        ens = api.simulate(sc, progress=lambda k: _raise_pending(), **options)
    summary = ens.summary()

    def render() -> None:
        render_summary(summary, out_console)
        bargaining = sc.parameters.council.bargaining
        if sc.parameters.council.model == "expected_utility":
            out_console.print(
                f"Council: Bueno de Mesquita's expected-utility model, {bargaining.rounds} "
                f"bargaining rounds (docs/eum.md). Its parameters are the probit's and the "
                f"bands the probit's posterior: it is not calibrated on the cases.")

    _emit(summary, list(ens.files), json_, render)
    _keep("run", summary, ens.scenario, ens.seed, ens.trials)


@app.command()
def compare(
    scenarios: Annotated[list[str], typer.Argument(
        help="Two or more scenarios (files or bundled names; the first is the base), or one "
             "variants file (base: and variants:).")],
    trials: Annotated[int | None, typer.Option(
        "--trials", "-n", min=1, max=1_000_000_000,
        help="Trials per crisis (default: the base scenario's).")] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED,
        help="Random seed (default: the base scenario's; 0 to 2^63 - 1).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    backend: Annotated[str, typer.Option(
        "--backend", metavar=BACKEND_CHOICES,
        help="Where chunks run: local, process or ray.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=MAX_WORKERS,
        help=f"Processes for --backend process (at most {MAX_WORKERS}).")] = None,
    address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster address for --backend ray.")] = None,
    parameter_uncertainty: Annotated[str | None, typer.Option(
        "--parameter-uncertainty", metavar=UNCERTAINTY_CHOICES,
        help=UNCERTAINTY_HELP + " Every variant takes the same "
        "draw for the same trials (common parameter draws). Default: each scenario file's "
        "parameters.uncertainty where it sets one, else posterior.")] = None,
) -> None:
    """The same crises under each variant with common random numbers (and common parameter
    draws): every headline per variant and its paired difference from the base, with its
    Monte Carlo error and its 90% band over the parameters."""
    from alliancesim.report.comparison_tables import render_comparison

    target: list[str | Path | Scenario] | str = (scenarios[0] if len(scenarios) == 1
                                                  else list(scenarios))
    _check_store()
    with _status("comparing") as say:
        report = api.compare(target, trials=trials, seed=seed, backend=backend,
                             workers=workers, address=address,
                             progress=lambda name: say(f"simulating {name}"),
                             parameter_uncertainty=parameter_uncertainty)
    _emit(report, [], json_, lambda: render_comparison(report, out_console))
    # the base scenario is kept with the record, so its page cites the datasets behind it
    from alliancesim.scenario.variants import load_variants

    base = (load_variants(target)[0][1] if isinstance(target, str)
            else api.load_scenario(scenarios[0]))
    _keep("compare", report, base, seed=report.seed, trials=report.trials)


@app.command()
def sequence(
    scenario: Annotated[str, typer.Argument(
        help="A scenario file whose crises have dates (date:), e.g. "
             "examples/csto-sequence-2020-2023.yaml.")],
    trials: Annotated[int | None, typer.Option(
        "--trials", "-n", min=1, max=2_000_000,
        help="Trials (default: the scenario's; every trial's beliefs are held in memory).")
    ] = None,
    seed: Annotated[int | None, typer.Option(
        "--seed", "-s", min=0, max=MAX_SEED,
        help="Random seed (default: the scenario's; 0 to 2^63 - 1).")] = None,
    observed: Annotated[bool, typer.Option(
        "--observed", help="Force every crisis's observed response (its observed: rung): "
        "history as it happened.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="CRISIS=RUNG: force one crisis's response (none, statement, "
        "consultations, mission, military), shown beside the baseline with common random "
        "numbers; repeat for several.")] = None,
    rule: Annotated[str | None, typer.Option(
        "--rule", metavar="consensus|qualified_majority[:SHARE]|simple_majority|leader",
        help="Another decision rule in place of the alliance's (qualified_majority's share "
        "defaults to 0.667), shown beside the baseline with common random numbers.")
    ] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write sequence.json, sequence.csv, beliefs.png and freeze.png to "
        "this folder.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    parameter_uncertainty: Annotated[str | None, typer.Option(
        "--parameter-uncertainty", metavar=UNCERTAINTY_CHOICES,
        help=UNCERTAINTY_HELP + " Default: the scenario file's parameters.uncertainty where "
        "it sets one, else posterior.")] = None,
) -> None:
    """The crises in date order, each member's belief that the alliance will help it carried
    from one to the next: beliefs over time, each member's probability of freezing or leaving
    by each date, the alliance's credibility (docs/model.md §7)."""
    from alliancesim.report.sequence import render_sequence, render_sequence_comparison
    from alliancesim.results.sequence import SequenceComparison

    _check_store()
    with _status("running the sequence") as say:
        report = api.sequence(scenario, trials=trials, seed=seed, observed=observed,
                              set=set_, rule=rule, out=out,
                              parameter_uncertainty=parameter_uncertainty,
                              progress=lambda what: say(f"crisis {what}"))
    written = ([out / n for n in ("sequence.json", "sequence.csv", "beliefs.png",
                                  "freeze.png", "run.json")] if out is not None else [])

    def render() -> None:
        if isinstance(report, SequenceComparison):
            render_sequence_comparison(report, out_console)
        else:
            render_sequence(report, out_console)

    _emit(report, written, json_, render)
    base = report.baseline if isinstance(report, SequenceComparison) else report
    _keep(report.kind, report, api.load_scenario(scenario), seed=base.seed, trials=base.trials)


@app.command()
def sweep(
    scenario: Annotated[str, typer.Argument(help="A scenario file or bundled scenario.")],
    vary: Annotated[list[str], typer.Option(
        "--vary", help="PATH=LOW:HIGH:STEPS, e.g. parameters.council.coefficients."
        "leader_stake=0:2:9 or crises.armenia-attack.aggressor_strength=2000:20000:10, or "
        "PATH=A,B,C for listed values, e.g. alliance_changes.decision_rule.rule="
        "consensus,simple_majority; repeat for several (a full grid).")],
    lhs: Annotated[int | None, typer.Option(
        "--lhs", min=1, help="N Latin-hypercube points over the ranges instead of the grid.")
    ] = None,
    trials: Annotated[int | None, typer.Option(
        "--trials", "-n", min=1, max=1_000_000_000,
        help="Trials per crisis and point (default: the scenario's).")] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write sweep.csv, sweep.json and sweep.png to this folder.")
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the sweep as JSON.")] = False,
    backend: Annotated[str, typer.Option("--backend", metavar=BACKEND_CHOICES)] = "local",
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=MAX_WORKERS)] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
    parameter_uncertainty: Annotated[str | None, typer.Option(
        "--parameter-uncertainty", metavar=UNCERTAINTY_CHOICES,
        help="posterior: draw the council's and request stage's "
        "parameters from the calibration's posterior for every 128 trials, the same draws at "
        "every point, and give each headline its 90% band; off: use the parameters as given. "
        "Default: the scenario file's parameters.uncertainty where it sets one, else "
        "posterior.")] = None,
) -> None:
    """The headlines over a grid (or Latin hypercube) of any scenario quantities, with common
    random numbers (and common parameter draws) at every point."""
    from alliancesim.report.comparison_tables import render_sweep

    _check_store()
    with _status("sweeping") as say:
        report = api.sweep(scenario, vary=vary, lhs=lhs, trials=trials, seed=seed, out=out,
                           backend=backend, workers=workers, address=address,
                           parameter_uncertainty=parameter_uncertainty,
                           progress=lambda k, n: say(f"point {k} of {n} done"))
    written = [out / n for n in ("sweep.csv", "sweep.json", "sweep.png", "run.json")] \
        if out is not None else []
    _emit(report, written, json_, lambda: render_sweep(report, out_console))
    # the scenario kept beside it: the report cites its datasets and gives its SHA-256
    _keep("sweep", report, api.load_scenario(scenario), seed=report.seed, trials=report.trials)


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="A scenario file or bundled scenario.")],
    method: Annotated[str, typer.Option(
        "--method", metavar=METHOD_CHOICES,
        help="sobol (first-order and total indices), morris (screening) or fast."
    )] = "sobol",
    samples: Annotated[int, typer.Option(
        "--samples", help="SALib's base sample size (a power of two for Sobol).")] = 1024,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED)] = None,
    parameters: Annotated[bool, typer.Option(
        "--parameters", help="Add the council's calibrated parameters within their "
        "uncertainty (normal at each estimate with its standard error).")] = False,
    backend: Annotated[str, typer.Option("--backend", metavar=BACKEND_CHOICES)] = "local",
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=MAX_WORKERS)] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write sensitivity.csv, .json and .png to this folder.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the indices as JSON.")] = False,
) -> None:
    """Which uncertain quantity drives each crisis's outcomes: global sensitivity indices
    (SALib) over every quantity the scenario gives as a distribution."""
    from alliancesim.report.comparison_tables import render_sensitivity

    _check_store()
    with _status("sensitivity analysis") as say:
        say(f"{method}, {samples:,} base samples" + (" (calibrating first)" if parameters
                                                      else ""))
        report = api.sensitivity(scenario, method=method, samples=samples, seed=seed,
                                 parameters=parameters, out=out, backend=backend,
                                 workers=workers, address=address, progress=say)
    written = [out / n for n in ("sensitivity.csv", "sensitivity.json", "sensitivity.png",
                                 "run.json")] if out is not None else []
    _emit(report, written, json_, lambda: render_sensitivity(report, out_console))
    _keep("sensitivity", report, api.load_scenario(scenario), seed=report.seed)


@app.command()
def discover(
    scenario: Annotated[str, typer.Argument(help="A scenario file or bundled scenario.")],
    crisis: Annotated[str, typer.Option("--crisis", help="The crisis id to search.")],
    outcome: Annotated[str, typer.Option(
        "--outcome", help="military help, mission or more, acts without the alliance, troops "
        "sent, or repelled, with the alliance.")] = "military help",
    threshold: Annotated[float | None, typer.Option(
        "--threshold", help="The density a box must reach (share of its trials with the "
        "outcome). Default: halfway from the share overall to the densest box PRIM "
        "finds.")] = None,
    boxes: Annotated[int, typer.Option(
        "--boxes", help="Up to this many boxes (PRIM's covering approach).")] = 1,
    trials: Annotated[int | None, typer.Option("--trials", "-n", min=1)] = None,
    seed: Annotated[int | None, typer.Option("--seed", "-s", min=0, max=MAX_SEED)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the boxes as JSON.")] = False,
    backend: Annotated[str, typer.Option("--backend", metavar=BACKEND_CHOICES)] = "local",
    workers: Annotated[int | None, typer.Option("--workers", min=1, max=MAX_WORKERS)] = None,
    address: Annotated[str | None, typer.Option("--address")] = None,
) -> None:
    """Under which drawn inputs is an outcome likely? PRIM boxes (EMA Workbench) over the
    crisis's uncertain quantities, with coverage, density and a sentence."""
    _check_store()
    with _status("scenario discovery") as say:
        say("simulating, then PRIM")
        report = api.discover(scenario, crisis=crisis, outcome=outcome, threshold=threshold,
                              boxes=boxes, trials=trials, seed=seed, backend=backend,
                              workers=workers, address=address)

    def show() -> None:
        from alliancesim.report.tables import literal  # user text is not markup

        out_console.print(f"{literal(report.title)}: {report.outcome} in {report.base_rate:.0%} "
                          f"of {report.trials:,} trials (seed {report.seed}); PRIM over "
                          f"{literal(', '.join(report.inputs))}")
        for b in report.boxes:
            out_console.print(f"  {literal(b.sentence)}", soft_wrap=True)
            out_console.print(f"  coverage {b.coverage:.0%}, density {b.density:.0%}, mass "
                              f"{b.mass:.0%}", style="dim")
        if report.boxes:
            how = ("the default: halfway from the share overall to the densest box, "
                   f"{report.densest:.0%}" if report.threshold_default and report.densest
                   is not None else "given")
            out_console.print(f"  threshold {report.threshold:.0%} ({how})", style="dim")
        else:
            out_console.print(f"  {literal(report.note or 'no box')}", soft_wrap=True)

    _emit(report, [], json_, show)
    _keep("discover", report, api.load_scenario(scenario), seed=report.seed,
          trials=report.trials)


@app.command("compile")
def compile_() -> None:
    """Compile the engine's kernels once into numba's cache, so that the first run is fast
    (`make install` does it; after `pip install alliancesim`, run it once)."""
    import time

    start = time.perf_counter()
    steps = api.compile_kernels()
    for name, took in steps:
        err_console.print(f"{name}: {took:.1f} s")
    err_console.print(f"kernels compiled and cached in {time.perf_counter() - start:.1f} s")


@app.command()
def scenarios() -> None:
    """List the bundled scenarios."""
    table = Table(title="Bundled scenarios (run with `alliancesim run NAME`)", title_justify="left")
    table.add_column("name")
    table.add_column("alliance")
    table.add_column("crises", justify="right")
    table.add_column("title")
    for name, sc in api.list_scenarios():
        alliance = sc.alliance if isinstance(sc.alliance, str) else sc.alliance.id
        default = " (default)" if name == DEFAULT_SCENARIO else ""
        table.add_row(name + default, alliance, str(len(sc.crises)), sc.title)
    out_console.print(table)


@app.command()
def show(
    name: Annotated[str, typer.Argument(
        help="A bundled scenario or case (see `scenarios`, `cases`), or a scenario file.")],
    resolved: Annotated[bool, typer.Option(
        "--resolved", help="Print the scenario with the bundled alliance, actors and "
        "affinities filled in and every parameter at its value (parameters.uncertainty as a "
        "run uses it).")] = False,
) -> None:
    """Print a scenario or a historical case as YAML: a starting point for your own."""
    if resolved:
        import yaml

        from alliancesim.scenario.params import with_uncertainty

        data = with_uncertainty(api.load_scenario(name)).model_dump(mode="json", by_alias=True)
        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return
    sys.stdout.write(api.scenario_source(name))
    rows = api.affinities_used(name)
    counts = {o: sum(r["origin"] == o for r in rows) for o in ("data", "JUDGEMENT",
                                                               "judgement 2021", "default")}
    lines = ["", "# Affinities the model uses (members with each victim and aggressor): "
             + ", ".join(f"{n} {o}" for o, n in counts.items() if n) + ".",
             "# data: UN ideal points (docs/data.md); JUDGEMENT: an override with its rule "
             "(docs/coding.md);", "# judgement 2021: data/affinity.yaml; default: no figure."]
    for r in rows:
        why = "" if r["origin"] == "data" else f"  ({r['reason'][:110]})"
        year = re.search(r"idealpointall\) (\d{4})", r["reason"])
        origin = f"data {year.group(1)}" if r["origin"] == "data" and year else r["origin"]
        lines.append(f"#   {r['crisis']}: {r['member']}-{r['with']} ({r['role']}) "
                     f"{r['value']:+.2f} {origin}{why}")
    lines += ["", "# Geography the model uses (docs/model.md, 'Geography'): distance to the "
              "victim,", "# the share of its force that reaches it, the travel days, "
              "and each member's exposure (rule: docs/coding.md; hand: set by the case or "
              "scenario)."]
    for g in api.geography_used(name):
        exposure = (f"; exposure {g['exposure']:.2f} {g['exposure_origin'][:80]}"
                    if "exposure" in g else "")
        lines.append(f"#   {g['crisis']}: {g['actor']} ({g['role']}) {g['distance_km']:,.0f} km "
                     f"{g['why']}, reach {g['reach']:.2f}, +{g['travel_days']:.1f} d{exposure}")
    sys.stdout.write("\n".join(lines) + "\n")


CasesOption = Annotated[list[Path] | None, typer.Option(
    "--cases", help="A folder of case files, or a bundled set: `bundled` (the 17 of the CSTO "
    "and NATO, the default) or `beyond` (the cases of other alliances, issue 20); repeat to "
    "join them.")]
PriorNameOption = Annotated[str, typer.Option(
    "--prior", metavar=PRIOR_CHOICES,
    help="judgement (the pre-calibration values) or large-n (the affinity "
    "coefficients centred on the large-N member model's estimates, data/large_n_prior.yaml).")]
PriorOption = Annotated[float, typer.Option(
    "--prior-sd", min=1e-3, help="Standard deviation of the Gaussian prior (the penalty) around "
    "the pre-calibration judgement.")]
CouncilOption = Annotated[str, typer.Option(
    "--council", metavar="ordered_probit|expected_utility",
    help="The council model fitted: ordered_probit (the closed form), or expected_utility "
    "(Bueno de Mesquita's bargaining; its likelihood by simulation with common random "
    "numbers, docs/eum.md).")]
CouncilTrialsOption = Annotated[int | None, typer.Option(
    "--council-trials", metavar="N",
    help="With --council expected_utility: the draws per case of its simulated likelihood "
    "(default 32; the fits' time grows with it).")]


@app.command()
def cases(
    folder: CasesOption = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the cases as JSON.")] = False,
) -> None:
    """List the historical cases: who asked whom for what, and what the alliance did."""
    loaded = api.load_case_sets(list(folder)) if folder else api.load_cases()
    if json_:
        import json

        sys.stdout.write(json.dumps([c.model_dump(mode="json") for c in loaded], indent=2) + "\n")
        return
    table = Table(title="Historical cases (`alliancesim show ID` prints one with its sources)",
                  title_justify="left")
    table.add_column("id", no_wrap=True)
    table.add_column("date", no_wrap=True)
    table.add_column("alliance", no_wrap=True)
    table.add_column("victim -> adversary", min_width=13)
    table.add_column("threat (coded)", min_width=14)
    table.add_column("asked", no_wrap=True)
    table.add_column("response", no_wrap=True)
    short = {"consultations": "consult", "statement": "stmt"}
    contingents = Table(title="Recorded contingents (troops)", title_justify="left")
    contingents.add_column("id", no_wrap=True)
    contingents.add_column("by member", overflow="fold")
    contingents.add_column("total", justify="right")
    for c in loaded:
        table.add_row(c.id, str(c.date), c.alliance_id.upper(),
                      f"{c.crisis.victim} -> {c.crisis.aggressor}",
                      c.crisis.threat.value.replace("_", " ")
                      + (" (disputed)" if c.crisis.territory == "disputed" else ""),
                      short.get(c.crisis.request, c.crisis.request),
                      short.get(c.observed.rung.value, c.observed.rung.value))
        if c.observed.contributions or c.observed.contributions_total:
            contingents.add_row(
                c.id, ", ".join(f"{k} {api.contribution_text(v)}"
                                for k, v in c.observed.contributions.items()) or "-",
                f"{c.observed.contributions_total:,}" if c.observed.contributions_total else "-")
    out_console.print(table)
    out_console.print(contingents)
    out_console.print("stmt: statement; consult: consultations; ?: a contingent recorded without "
                      "a confirmed size.", style="dim")


@app.command()
def calibrate(
    folder: CasesOption = None,
    prior_sd: PriorOption = 1.0,
    prior: PriorNameOption = "large-n",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=_out_file, help="Write the parameter file here (for "
        "`run --params`): the MAP as the parameters, and the posterior's draws.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the fit as JSON (the posterior's "
                                        "summary; --out writes its draws).")] = False,
    posterior: Annotated[bool | None, typer.Option(
        "--posterior/--no-posterior", help="Also draw from the exact posterior by MCMC "
        "(emcee; about a minute): posterior mean, sd, 5-95% interval, R-hat and effective "
        "sample size per parameter. --no-posterior: the MAP and its Laplace standard errors "
        "only. Default: on for ordered_probit, off (and refused) for "
        "expected_utility.", show_default=False)] = None,
    council: CouncilOption = "ordered_probit",
    council_trials: CouncilTrialsOption = None,
) -> None:
    """Fit the council and the request stage to the cases: the MAP (penalised maximum
    likelihood) and the exact posterior (MCMC)."""
    api.check_options(out_file=out)
    _check_store()
    sampled = posterior if posterior is not None else council == "ordered_probit"
    with _status("calibrating: the MAP, then the posterior by MCMC (about a minute)"
                 if sampled else "calibrating") as say:
        report = api.calibrate(folder, prior_sd=prior_sd, prior=prior, posterior=posterior,
                               progress=say, council=council, council_trials=council_trials)
    if out is not None:
        api.write_parameters(report, out)
    if json_:  # the draws (thousands of rows) go to --out's file, not the terminal
        sys.stdout.write(report.model_dump_json(
            indent=2, exclude={"council_draws", "request_draws"}) + "\n")
        _keep("calibrate", report)
        return
    post = {p.name: p for p in report.posterior}
    narrow = out_console.width < 140  # compact headers and names that fit 80 columns

    def columns(table: Table, laplace: bool = True) -> None:
        cols = ((["parameter", "MAP", "se"]
                 + (["mean", "sd", "5%", "95%", "R-hat", "ESS", "tail"] if post else [])
                 + ["prior"]) if narrow else
                (["parameter", "MAP", "Laplace se" if laplace else "se"]
                 + (["mean", "sd", "5%", "95%", "R-hat", "ESS bulk", "ESS tail"] if post else [])
                 + ["prior centre"]))
        for col in cols:
            table.add_column(col, justify="left" if col == "parameter" else "right",
                             no_wrap=col == "parameter")

    def row(table: Table, name: str, value: float, se: float, prior_centre: float) -> None:
        p = post.get(name)
        shown = name.removeprefix("coefficients.").removeprefix("request.") if narrow else name
        cells = [shown, f"{value:.2f}" if narrow else f"{value:.3f}",
                 f"{se:.2f}" if narrow else f"{se:.3f}"]
        if post:
            if p is None or p.rhat is None:
                cells += [f"{value:.3f}", "fixed", "", "", "", "", ""]
            else:
                f = "{:.2f}" if narrow else "{:.3f}"
                cells += [f.format(p.mean), f.format(p.sd), f.format(p.q05), f.format(p.q95),
                          f"{p.rhat:.3f}", f"{p.ess_bulk or 0:,.0f}", f"{p.ess_tail or 0:,.0f}"]
        table.add_row(*cells, f"{prior_centre:.2f}" if narrow else f"{prior_centre:.3f}")

    table = Table(title=f"Calibration on {len(report.cases)} cases (prior sd {prior_sd:g}): "
                  f"log-likelihood {report.log_likelihood:.2f} at the MAP, mean log score in "
                  f"sample {report.mean_log_score_in_sample:.3f}"
                  + ("" if report.converged else " - NOT CONVERGED"), title_justify="left")
    columns(table, laplace=report.council.get("model") != "expected_utility")
    for e in report.estimates:
        row(table, e.name, e.value, e.se, e.prior)
    out_console.print(table)
    if report.council.get("model") == "expected_utility":
        out_console.print("The expected-utility council (docs/eum.md, Calibration): its MAP by "
                          "the simulated likelihood, started at the probit's and stopped after "
                          "a few L-BFGS-B steps; nan: no standard error is computed for it.")
    kept = [e.name.split(".", 1)[1] for e in report.estimates
            if e.name.startswith("coefficients.") and e.se == 0.0]
    out_console.print("The common intercept is fixed at 0 (not identified apart from the "
                      "cut-points); the alliances' intercepts are identified by their prior."
                      + (f" Kept at the prior centre (no information in the cases): "
                         f"{', '.join(kept)}." if kept else "")
                      + (f" Held, not fitted (they did not earn their place out of sample: "
                         f"docs/validation.md, Ablation): {held}." if (held := ", ".join(
                             f"{e.name} {round(e.value, 6):g}" for e in report.estimates
                             if not e.name.startswith("coefficients.") and e.se == 0.0))
                         else "")
                      + (" se: Laplace standard error; ESS, tail: bulk and tail effective "
                         "sample sizes; prior: its centre." if narrow
                         and report.council.get("model") != "expected_utility" else ""))
    if report.request is not None:
        rt = Table(title=f"Request stage on the same cases: log-likelihood "
                   f"{report.request_log_likelihood:.2f} at the MAP", title_justify="left")
        columns(rt)
        for e in report.request_estimates:
            row(rt, f"request.{e.name}", e.value, e.se, e.prior)
        out_console.print(rt)
        fixed = ", ".join(f"{k} {v:g}" for k, v in report.request_fixed.items())
        out_console.print(f"Fixed, not informed by the cases: request {fixed} (no case codes a "
                          "trust other than 0.5).")
    if post:
        c, r = report.sampler["council"], report.sampler["request"]
        rhat = max(p.rhat for p in report.posterior if p.rhat is not None)
        ess = min(p.ess_bulk for p in report.posterior if p.ess_bulk is not None)
        out_console.print(
            f"Posterior: {report.draws:,} draws by emcee ({c['moves']}): the council "
            f"{c['walkers']} walkers x {c['steps']:,} steps, the first {c['burn_in']:,} "
            f"discarded, every {c['thin']}th kept (acceptance {c['acceptance']:.2f}, "
            f"{c['seconds']:.0f} s); the request stage {r['walkers']} walkers x "
            f"{r['steps']:,} steps ({r['burn_in']:,} discarded, every {r['thin']}th kept); seed "
            f"{c['seed']}. R-hat (rank-normalised, split; walkers as chains) at most "
            f"{rhat:.3f}, bulk ESS at least {ess:,.0f}. `run` takes one draw per 128 trials.")
    out_console.print(f"Wrote {out}." if out else "Write a parameter file with --out.")
    _keep("calibrate", report)


@app.command()
def hindcast(
    folder: CasesOption = None,
    prior_sd: PriorOption = 1.0,
    prior: PriorNameOption = "large-n",
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write hindcast.json and reliability.png to this folder.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    ablation: Annotated[bool, typer.Option(
        "--ablation/--no-ablation", help="Score every specification with one component off or "
        "held (about 40 s).")] = True,
    codings: Annotated[bool, typer.Option(
        "--codings/--no-codings", help="Re-score with the contested outcome codings (NATO "
        "2003, Kyrgyz-Tajik 2022, Belarus 2020; about 30 s).")] = True,
    nested: Annotated[bool, typer.Option(
        "--nested", help="Choose the specification inside the leave-one-out loop (an inner "
        "leave-one-out per case; several minutes).")] = False,
    workers: Annotated[int, typer.Option(
        "--workers", help="Processes for the ablation and --nested (same numbers).",
        min=1, max=MAX_WORKERS)] = 1,
    by_alliance: Annotated[bool, typer.Option(
        "--by-alliance", help="Also leave one alliance out at a time: each alliance's cases "
        "forecast by fits on the others' (unpooled and with the intercepts partially pooled; "
        "needs cases of two alliances or more, e.g. --cases bundled --cases beyond).")] = False,
    council: Annotated[str, typer.Option(
        "--council", metavar="ordered_probit|expected_utility",
        help="expected_utility: also fit Bueno de Mesquita's bargaining council on the same "
        "cases and score its forecast, 'model (EUM)', beside the probit's 'model' and every "
        "baseline (minutes; the ablation, codings and --by-alliance stay the probit's; "
        "--nested does not apply).")] = "ordered_probit",
    council_trials: CouncilTrialsOption = None,
) -> None:
    """Leave-one-out validation: fit on all cases but one, predict it; scores vs baselines."""
    from alliancesim.report.validation_tables import render_burden, render_hindcast

    api.check_options(out=out)
    _check_store()
    with api.held_output(out, "hindcast") as held:  # the lock before the work
        with _status("hindcast") as say:
            report = api.hindcast(folder, prior_sd=prior_sd, prior=prior, ablation=ablation,
                                  codings=codings, nested=nested, workers=workers,
                                  progress=say, by_alliance=by_alliance, council=council,
                                  council_trials=council_trials)
        written = api.write_hindcast(report, out, folder=held) if out is not None else []

    def show() -> None:
        render_hindcast(report, out_console)
        render_burden(report, out_console)

    _emit(report, written, json_, show)
    _keep("hindcast", report)


@app.command()
def score(
    folder: CasesOption = None,
    params: Annotated[Path | None, typer.Option(
        "--params", help="A parameter file laid over the defaults (e.g. from `alliancesim "
        "calibrate --out`); default: the shipped defaults.")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score the cases with one fixed parameter set, without refitting (new cases, or a
    parameter set fitted elsewhere). In-sample when the parameters were fitted on these cases."""
    from alliancesim.report.validation_tables import render_scores

    report = api.score_cases(folder, params=params)
    _emit(report, [], json_, lambda: render_scores(report, out_console))


EUM_VARIANT_CHOICES = _choices(("paper", "scholz_code"))  # api.EUM_VARIANTS


@app.command()
def eum(
    table: Annotated[Path, typer.Argument(
        help="A stakeholder table: CSV with the columns actor, capability, position, salience "
        "(salience a share from 0 to 1), e.g. examples/eu_emissions.csv.")],
    rounds: Annotated[int, typer.Option("--rounds", help="Bargaining rounds.", min=0,
                                        max=1000)] = 8,
    variant: Annotated[str, typer.Option(
        "--variant", help=f"{EUM_VARIANT_CHOICES} paper: Scholz, Calbert & Smith's equations "
        "as printed; scholz_code: their program as McKibben transcribes it (their published "
        "rounds).")] = "paper",
    q: Annotated[float, typer.Option("--q", help="Q, the chance the status quo holds when no "
                                     "one challenges.", min=0.0, max=1.0)] = 1.0,
    t: Annotated[float | None, typer.Option(
        "--t", help="T, the chance an unchallenged change is for the better (default: 1 or 0 "
        "by Scholz et al.'s four cases).", min=0.0, max=1.0)] = None,
    span: Annotated[float | None, typer.Option(
        "--span", help="The issue scale's length in every distance (default: the spread of "
        "the stated positions), e.g. 100 on a 0-100 scale.", min=0.0)] = None,
    plot: Annotated[Path | None, typer.Option(
        "--plot", parser=_out_file, help="Write a figure of the positions over the rounds "
        "(.png, .svg or .pdf).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the rounds as JSON.")] = False,
) -> None:
    """Bueno de Mesquita's expected-utility model on a stakeholder table: positions per
    round, the weighted median and mean, risk exponents, who took whose offer (docs/eum.md)."""
    from alliancesim.report.bargaining import render_eum

    report = api.eum(table, rounds=rounds, variant=variant, q=q, t=t, span=span, plot=plot)
    _emit(report, [plot] if plot is not None else [], json_,
          lambda: render_eum(report, out_console))


def _version(value: bool) -> None:
    if value:
        from alliancesim._version import __version__

        out_console.print(f"alliancesim {__version__}")
        raise typer.Exit()


STORE: dict[str, Any] = {"path": None, "off": False}


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print the version and exit.")] = False,
    store: Annotated[Path | None, typer.Option(
        "--store", help="The results store (DuckDB) where runs and analyses are kept "
        "(default: $ALLIANCESIM_STORE, else ~/.local/share/alliancesim/runs.duckdb).")] = None,
    no_store: Annotated[bool, typer.Option(
        "--no-store", help="Do not keep this command's results in the store.")] = False,
) -> None:
    """Simulate collective-security alliances in crises (the CSTO by default)."""
    from alliancesim._malloc import tune_allocator

    tune_allocator()  # the command line's process is ours: its chunks reuse their pages
    STORE.update(path=store, off=no_store)


def _check_store() -> None:
    """Before a command's work: the results store can keep its report (unless --no-store), so
    that a store that cannot fails the command at once, not after the run (exit status 2)."""
    if not STORE["off"]:
        api.check_store(STORE["path"])


def _keep(kind: str, report: BaseModel, scenario: Any = None, seed: int | None = None,
          trials: int | None = None) -> None:
    """Record a command's report in the results store (unless --no-store); say its id.

    Called after the report is printed: if keeping it fails (the store changed since
    _check_store), the printed results stand and the error says they were not kept."""
    if STORE["off"]:
        return
    try:
        run_id = api.record(kind, report, scenario=scenario, seed=seed, trials=trials,
                            store=STORE["path"])
    except UsageError as exc:
        raise UsageError(f"the results were printed but not kept: {exc.message}",
                         param=exc.param, value=exc.value) from None
    err_console.print(f"kept as {run_id} (alliancesim results show {run_id})", style="dim")


@app.command()
def report(
    run_id: Annotated[str, typer.Argument(help="A kept result's id (`alliancesim results "
                                          "list`).")],
    out: Annotated[Path, typer.Option("--out", "-o", parser=_out_file,
                                          help="The HTML file to write.")] = Path(
        "report.html"),
) -> None:
    """One self-contained HTML page for a kept result of any kind (run, compare, sweep,
    sensitivity, discover, hindcast, reliability, calibrate), to send on: its tables, its
    figures with their uncertainty, the datasets to cite and the scenario's SHA-256."""
    path = api.report(run_id, out=out, store=STORE["path"])
    err_console.print(f"wrote {path}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(
        "--host", help="The address to listen on (default: this machine only). Any other "
        "address needs an access token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535,
                                      help="The port to listen on.")] = 8000,
    token: Annotated[str | None, typer.Option(
        "--token", help="The access token every request must carry (default: none on "
        "127.0.0.1; generated and printed for any other --host).")] = None,
    backend: Annotated[str, typer.Option(
        "--backend", metavar=BACKEND_CHOICES, help="Where runs' chunks run: local "
        "(in-process), process (a pool) or ray.")] = "local",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=MAX_WORKERS,
        help=f"Processes for --backend process (at most {MAX_WORKERS}).")] = None,
    address: Annotated[str | None, typer.Option(
        "--address", help="Ray cluster address for --backend ray.")] = None,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, max=64, help="Runs at once.")] = 1,
    max_queue: Annotated[int, typer.Option(
        "--max-queue", min=1, max=10_000,
        help="Runs waiting; one more is refused (HTTP 429).")] = 8,
    max_trials: Annotated[int, typer.Option(
        "--max-trials", min=1, max=1_000_000_000, help="Trials per crisis a run may ask "
        "for.")] = 1_000_000,
    max_sweep_points: Annotated[int, typer.Option(
        "--max-sweep-points", min=1, max=10_000, help="Points a sweep may have.")] = 50,
    files: Annotated[Path | None, typer.Option(
        "--files", help="The folder for the runs' files (trials, summaries, reports; "
        "default: web-files beside the results store).")] = None,
    data_store: Annotated[Path | None, typer.Option(
        "--data-store", help="The data store scenarios are built from (default: "
        "$ALLIANCESIM_DATA, else ~/.local/share/alliancesim/datasets.duckdb).")] = None,
) -> None:
    """Start the web application: scenarios, runs, comparisons, sweeps and the hindcast in a
    browser, and the JSON API beneath it (/api/v1, described at /api/v1/docs)."""
    import secrets

    from alliancesim.web.settings import WebSettings, check_bind, is_loopback

    if STORE["off"]:
        raise UsageError("the web application keeps every run in the results store; drop "
                         "--no-store", param="no_store")
    api.check_options(backend=backend, workers=workers, address=address)
    if token is not None and len(token) < 8:
        raise UsageError("at least 8 characters", param="token", value="*" * len(token))
    generated = token is None and not is_loopback(host)
    if generated:
        token = secrets.token_urlsafe(24)
    settings = WebSettings(store=STORE["path"], files=files, backend=backend, workers=workers,
                           address=address, concurrency=concurrency, max_queue=max_queue,
                           max_trials=max_trials, max_sweep_points=max_sweep_points,
                           token=token, data_store=data_store)
    api.check_store(settings.store_path())
    check_bind(host, port)
    import uvicorn

    from alliancesim.web import create_app

    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/"
    err_console.print(f"alliancesim web application on {url} (Ctrl-C to stop)",
                      markup=False, highlight=False, soft_wrap=True)
    if not is_loopback(host):
        err_console.print(f"{host} is not this machine only: every request needs the access "
                          "token" + (" (generated for this session)" if generated else ""),
                          markup=False, highlight=False, soft_wrap=True)
    if token is not None:
        err_console.print(f"access token: {token}  (open {url}?token={token})",
                          markup=False, highlight=False, soft_wrap=True)
    err_console.print(f"results store: {settings.store_path()}; files: "
                      f"{settings.files_path()}", markup=False, highlight=False, soft_wrap=True)
    try:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
    except Interrupted as exc:  # uvicorn stops gracefully, then passes the signal on
        err_console.print(f"{interrupted_line(exc.signum).split(';')[0]}; every finished run "
                          "is kept in the results store, a run in progress is not",
                          markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(128 + exc.signum) from None


results_app = typer.Typer(help="The results store: list, show, export or delete kept runs.",
                          no_args_is_help=True)
app.add_typer(results_app, name="results")


@results_app.command("list")
def results_list(
    json_: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """Every kept run and analysis, newest first."""
    rows = api.results_list(store=STORE["path"])
    if json_:
        import json

        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in rows], indent=2) + "\n")
        return
    table = Table(title=f"Kept results ({len(rows)})", title_justify="left")
    for col in ("id", "kind", "created (UTC)", "scenario", "seed", "trials", "version"):
        table.add_column(col, no_wrap=col != "scenario")
    from alliancesim.report.tables import literal  # a scenario's name is not markup

    for r in rows:
        table.add_row(r.id, r.kind, r.created.strftime("%Y-%m-%d %H:%M:%S"),
                      literal(r.scenario or "-"),
                      "-" if r.seed is None else str(r.seed),
                      "-" if r.trials is None else f"{r.trials:,}", r.version)
    out_console.print(table)


@results_app.command("show")
def results_show(run_id: Annotated[str, typer.Argument(help="The run's id.")]) -> None:
    """One kept run: its settings, parameters and report, as JSON."""
    import json

    sys.stdout.write(json.dumps(api.results_show(run_id, store=STORE["path"]), indent=2)
                     + "\n")


@results_app.command("export")
def results_export(
    run_id: Annotated[str, typer.Argument(help="The run's id.")],
    out: Annotated[Path, typer.Option("--out", "-o", parser=_out_file,
                                          help="The JSON file to write.")],
) -> None:
    """Write one kept run as a JSON file."""
    api.results_export(run_id, out, store=STORE["path"])
    err_console.print(f"wrote {out}")


@results_app.command("delete")
def results_delete(run_id: Annotated[str, typer.Argument(help="The run's id.")]) -> None:
    """Remove one kept run."""
    api.results_delete(run_id, store=STORE["path"])
    err_console.print(f"deleted {run_id}")


data_app = typer.Typer(cls=_GlobalOptionsAnywhere,
                       help="The field's datasets (COW, ATOP, MID, UN votes, SIPRI, reliability "
                       "codings): import them into the data store, list, cite, build scenarios.",
                       no_args_is_help=True)
app.add_typer(data_app, name="data")
DATA: dict[str, Any] = {"path": None}


@data_app.callback()
def _data(
    data_store: Annotated[Path | None, typer.Option(
        "--data-store", help="The data store (DuckDB) the datasets are imported into (default: "
        "$ALLIANCESIM_DATA, else ~/.local/share/alliancesim/datasets.duckdb).")] = None,
) -> None:
    """The field's datasets: import, list, cite, build."""
    DATA["path"] = data_store


def _dataset_kinds() -> list[str]:
    """The importable kinds, for --help (datasets/kinds.py imports the standard library only)."""
    from alliancesim.datasets.kinds import kind_names

    return kind_names()


@data_app.command("import")
def data_import(
    kind: Annotated[str | None, typer.Argument(
        metavar="KIND", help="What the file is, one of: " + ", ".join(_dataset_kinds())
        + " (`alliancesim data kinds` describes each).")] = None,
    path: Annotated[Path | None, typer.Argument(
        help="The published file (CSV, or Stata .dta).")] = None,
    release: Annotated[str | None, typer.Option(
        "--release", help="The file's release, when its years do not tell (e.g. 5.0 or 5.1).")
    ] = None,
    folder: Annotated[Path | None, typer.Option(
        "--folder", help="Import every file of this folder whose header a kind recognises "
        "(one line per file; files not recognised are skipped and listed), instead of KIND "
        "PATH.")] = None,
) -> None:
    """Check a published dataset file and import it (a bad file changes nothing)."""
    if folder is not None:
        if kind is not None or path is not None or release is not None:
            raise UsageError("give either --folder DIR or KIND PATH (with --release), not both",
                             param="folder", value=str(folder))
        _import_folder(folder)
        return
    if kind is None or path is None:
        raise UsageError("data import needs KIND PATH (see `alliancesim data kinds`), or "
                         "--folder DIR")
    with _status(f"importing {path}"):
        row = api.data_import(kind, path, release=release, data_store=DATA["path"])
    years = "" if row.first_year is None else f", {row.first_year}-{row.last_year}"
    out_console.print(f"imported {row.kind} {row.release}: {row.rows:,} rows{years} "
                      f"({row.layout})")
    if row.notes:
        out_console.print(f"note: {row.notes}", style="dim")
    out_console.print(f"cite: {row.citation}", style="dim")


def _import_folder(folder: Path) -> None:
    """`data import --folder`: one line per file as it is done (stdout), a count of files on
    stderr while it works; exit status 2 when a recognised file was refused."""
    with _counter("importing", "file") as tick:
        def done(entry: Any, k: int, n: int) -> None:
            name = Path(entry.path).name
            if entry.imported is not None:
                r = entry.imported
                years = "" if r.first_year is None else f", {r.first_year}-{r.last_year}"
                out_console.print(f"{name}: imported {r.kind} {r.release}, {r.rows:,} rows"
                                  f"{years}", markup=False, highlight=False, soft_wrap=True)
            elif entry.error is not None:
                err_console.print(f"{name}: refused ({entry.kind}): {entry.error}",
                                  markup=False, highlight=False, soft_wrap=True)
            else:
                err_console.print(f"{name}: skipped: {entry.skipped}", markup=False,
                                  highlight=False, soft_wrap=True)
            tick(k, n)

        entries = api.data_import_folder(folder, data_store=DATA["path"], done=done)
    imported = sum(e.imported is not None for e in entries)
    refused = [e for e in entries if e.error is not None]
    skipped = [Path(e.path).name for e in entries if e.skipped is not None]
    err_console.print(f"{imported} of {len(entries)} files imported"
                      + (f"; skipped: {', '.join(skipped)}" if skipped else "")
                      + (f"; refused: {', '.join(Path(e.path).name for e in refused)}"
                         if refused else ""), markup=False, highlight=False, soft_wrap=True)
    if refused:
        raise typer.Exit(2)


@data_app.command("list")
def data_list(
    json_: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """What the data store holds, with releases and the citation each publisher asks for."""
    rows = api.data_list(data_store=DATA["path"])
    if json_:
        import json

        sys.stdout.write(json.dumps([r.model_dump(mode="json") for r in rows], indent=2) + "\n")
        return
    if not rows:
        out_console.print("the data store is empty: alliancesim data import KIND PATH "
                          "(alliancesim data kinds lists the kinds)")
        return
    table = Table(title=f"Imported datasets ({len(rows)})", title_justify="left")
    for col in ("kind", "release", "rows", "years", "imported (UTC)", "file"):
        table.add_column(col, overflow="fold")
    for r in rows:
        years = "-" if r.first_year is None else f"{r.first_year}-{r.last_year}"
        table.add_row(r.kind, r.release, f"{r.rows:,}", years,
                      r.imported.strftime("%Y-%m-%d %H:%M"), Path(r.path).name)
    out_console.print(table)
    out_console.print("Cite (alliancesim data cite prints BibTeX):")
    for cite in dict.fromkeys(r.citation for r in rows):
        out_console.print(f"- {cite}")


@data_app.command("kinds")
def data_kinds() -> None:
    """Every dataset the importer reads: its layouts and known releases."""
    table = Table(title="Dataset kinds", title_justify="left")
    for col in ("kind", "dataset", "layouts", "releases (last year)"):
        table.add_column(col, overflow="fold")
    for k in api.data_kinds():
        table.add_row(k.name, k.title, "\n".join(lay.name for lay in k.layouts),
                      ", ".join(f"{r} ({y})" for r, y in k.releases.items()) or "-")
    out_console.print(table)


@data_app.command("cite")
def data_cite(
    scenario: Annotated[str | None, typer.Argument(
        help="A scenario file, bundled scenario or case: cite the datasets its values came "
             "from (default: everything imported).")] = None,
) -> None:
    """BibTeX for the datasets a scenario used (or everything in the data store)."""
    sys.stdout.write(api.data_cite(scenario, data_store=DATA["path"]))


_ALLIANCE_HELP = ("A name (csto, nato, warsaw-pact, anzus, rio-treaty, gcc, little-entente, "
                  "baltic-entente, ...; gcc-1981 given by hand: data/alliance_ids.yaml), "
                  "atop:ID, cow:ID, or a number (>= 1000: ATOP).")
_WINDOW_HELP = ("Years before --year searched for crises (default 10): the crises of the "
                "years YEAR-WINDOW..YEAR.")


@data_app.command("crises")
def data_crises(
    alliance: Annotated[str, typer.Option("--alliance", help=_ALLIANCE_HELP)],
    year: Annotated[int, typer.Option("--year", min=1816, max=2100, help="The year.")],
    window: Annotated[int | None, typer.Option("--window", min=0, max=100,
                                               help=_WINDOW_HELP)] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
) -> None:
    """The crises worth simulating: MIDs and UCDP conflicts that hit a member, attacks on a
    member's territory first, then by severity (docs/data.md, "Crises worth simulating")."""
    with _status(f"listing crises of {alliance} {year}"):
        found, notes = api.data_crises(alliance, year=year, window=window,
                                       data_store=DATA["path"])
    if json_:
        import json

        sys.stdout.write(json.dumps([c.as_dict() for c in found], indent=2) + "\n")
        return
    span = f"{year - (10 if window is None else window)}-{year}"
    if not found:
        out_console.print(f"no MID or UCDP conflict hit a member of {alliance} in {span}")
    else:
        table = Table(title=f"Crises of {alliance}, {span} ({len(found)}; `data build "
                      "--crisis ID` builds one; the first marked * is the default)",
                      title_justify="left")
        for col in ("id", "year", "member hit", "other side", "hostility", "highest action",
                    "fatalities", "territory", "severity"):
            table.add_column(col, overflow="fold")
        default = next((c.id for c in found if c.territory), None)
        for c in found:
            table.add_row(c.id + (" *" if c.id == default else ""), str(c.year),
                          c.as_dict()["member_id"], f"{c.other_name} ({c.other_id})",
                          str(c.hostility), c.action, c.fatalities,
                          "attacked" if c.territory else "no", str(c.severity))
        out_console.print(table)
    for note in notes:
        err_console.print(f"note: {note}", style="dim")


@data_app.command("build")
def data_build(
    alliance: Annotated[str, typer.Option("--alliance", help=_ALLIANCE_HELP)],
    year: Annotated[int, typer.Option("--year", min=1816, max=2100, help="The year.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", parser=_out_file,
        help="Write the scenario here (YAML); default: print it.")] = None,
    crisis: Annotated[str | None, typer.Option(
        "--crisis", help="The crisis (an id of `alliancesim data crises`: mid:N or ucdp:N); "
        "default: the most severe attack on a member's territory in the window.")] = None,
    victim: Annotated[str | None, typer.Option(
        "--victim", help="The member that is hit (an actor id, e.g. ARM); default: the "
        "crisis's.")] = None,
    aggressor: Annotated[str | None, typer.Option(
        "--aggressor", help="Who hits it: a state (e.g. AZE), a bundled non-state actor "
        "(UNREST, ALQAEDA, TALIBAN, ISKP, ISIL) or UCDP_N (the armed group of UCDP conflict "
        "N).")] = None,
    threat: Annotated[str | None, typer.Option(
        "--threat", metavar="THREAT",
        help=f"The threat type ({', '.join(THREATS)}); default: the crisis's (UCDP intrastate: "
        "insurgency; UNREST: internal_unrest; a MID: interstate_attack).")] = None,
    window: Annotated[int | None, typer.Option("--window", min=0, max=100,
                                               help=_WINDOW_HELP)] = None,
    date: Annotated[str | None, typer.Option(
        "--date", help="The crisis day (YYYY-MM-DD, in --year); the members are those in "
        "force that day. Default: the crisis's start when in the year, else 1 July.")] = None,
) -> None:
    """Write a complete scenario for an alliance in a year, every value from the datasets."""
    with _status(f"building {alliance} {year}"):
        built = api.data_build(alliance, year=year, victim=victim, aggressor=aggressor,
                               threat=threat, crisis=crisis, window=window, date=date,
                               out=out, data_store=DATA["path"])
    if out is None:
        sys.stdout.write(built.to_yaml())
    else:
        c = built.scenario["crises"][0]
        err_console.print(f"wrote {out}: {len(built.scenario['alliance']['members'])} members, "
                          f"crisis {c['victim']} hit by {c['aggressor']} ({c['threat']}); run "
                          f"it with `alliancesim run {out}`")
    for note in built.notes:
        err_console.print(f"note: {note}", style="dim")


reliability_app = typer.Typer(help="The member model on the large-N record of allies and "
                               "disputes (MID, ATOP, UN votes).", no_args_is_help=True)
app.add_typer(reliability_app, name="reliability")


@reliability_app.command("fit")
def reliability_fit(
    data_store: Annotated[Path | None, typer.Option(
        "--data-store", help="The data store (default: $ALLIANCESIM_DATA, else "
        "~/.local/share/alliancesim/datasets.duckdb).")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Fit an ordered probit of each ally's highest action in every militarized dispute
    1946-2014 against a state it had a defence pact with; held-out scores by dispute and by
    decade; the fulfilment rates of Leeds, Long & Mitchell and of Berkemeier & Fuhrmann."""
    _check_store()
    with _status("the member model on the large-N record") as say:
        r = api.reliability_fit(data_store=data_store, progress=say)
    if json_:
        sys.stdout.write(r.model_dump_json(indent=2) + "\n")
        _keep("reliability", r)
        return
    out_console.print(
        f"{r.observations:,} ally-dispute observations in {r.disputes:,} disputes, 1946-2014: "
        + ", ".join(f"{k} {v:,}" for k, v in r.outcomes.items())
        + f". Left out: {r.dropped_no_ideal_points:,} without ideal points, "
        f"{r.excluded_for_cases} overlapping the bundled cases. Datasets: "
        + ", ".join(f"{k} {v}" for k, v in sorted(r.datasets.items())) + ".")
    t = Table(title=f"Ordered probit of the ally's highest action (log-likelihood "
              f"{r.log_likelihood:.1f})", title_justify="left")
    for col in ("term", "estimate", "std. error", "90% interval"):
        t.add_column(col, justify="left" if col == "term" else "right")
    for c in r.coefficients:
        t.add_row(c.name, f"{c.value:+.3f}", f"{c.se:.3f}", f"{c.low:+.2f} to {c.high:+.2f}")
    out_console.print(t)
    h = Table(title="Held out: model / base rate", title_justify="left")
    for col in ("scheme", "log score", "Brier", "AUC (joins at all)"):
        h.add_column(col, justify="left" if col == "scheme" else "right")
    for s in r.held_out:
        h.add_row(s.scheme, f"{s.log_score['model']:.4f} / {s.log_score['base rate']:.4f}",
                  f"{s.brier['model']:.4f} / {s.brier['base rate']:.4f}",
                  f"{s.auc['model']:.3f} / {s.auc['base rate']:.3f}")
    out_console.print(h)
    f = Table(title="Fulfilment of alliance commitments in war, from the published codings",
              title_justify="left")
    for col in ("coding", "honoured", "obligations"):
        f.add_column(col, justify="left" if col == "coding" else "right")
    for x in r.fulfilment:
        f.add_row(x.what, f"{x.rate:.0%}", str(x.n))
    out_console.print(f)
    if r.cases:
        names = list(r.case_log_score)
        c = Table(title="The bundled cases scored by the frozen model (fitted on the record "
                  "without them): P(some ally joins at all)", title_justify="left")
        for col in ("case", "allies", "joined", *names):
            c.add_column(col, justify="left" if col == "case" else "right")
        for x in r.cases:
            c.add_row(x.case_id, str(x.allies), "yes" if x.joined else "no",
                      *[f"{x.probabilities[n]:.0%}" for n in names])
        c.add_row("mean log score / Brier", "", "",
                  *[f"{r.case_log_score[n]:.3f} / {r.case_brier[n]:.3f}" for n in names])
        out_console.print(c)
        out_console.print("joined: the alliance decided military help or a member acted "
                          "outside it (statements, consultations and fact-finding missions "
                          "are not MID actions); features by the record's own function "
                          "(datasets/allies.py, case_allies).", style="dim")
    out_console.print(f"Specification: {r.specification}.", style="dim")
    _keep("reliability", r)


@contextlib.contextmanager
def _status(what: str) -> Iterator[Callable[[str], None]]:
    """A spinner with a message on a terminal (stderr); silent otherwise. Each message is
    also a point where a Ctrl-C whose exception was lost is acted on (_raise_pending)."""
    if not err_console.is_terminal:
        yield lambda message: _raise_pending()
        return
    with err_console.status(what) as status:
        def say(message: str) -> None:
            _raise_pending()
            status.update(f"{what}: {message}")

        yield say


@contextlib.contextmanager
def _counter(what: str, unit: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar with counts ("3 of 17 files") on a terminal (stderr), transient;
    silent otherwise. Yields tick(k, n): k of n done."""
    if not err_console.is_terminal:
        yield lambda k, n: _raise_pending()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TextColumn(unit + "s"),
                  console=err_console, transient=True) as bar:
        task = bar.add_task(what, total=None)

        def tick(k: int, n: int) -> None:
            _raise_pending()
            bar.update(task, completed=k, total=n)

        yield tick


def _emit(result: BaseModel, written: list[Path], json_: bool, render: Callable[[], None]
          ) -> None:
    """Print a result as JSON or as tables; say which files were written (on stderr)."""
    if written and not json_:
        err_console.print(f"wrote {', '.join(str(p) for p in written)}")
    if json_:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        render()


def _report(problems: list[str]) -> None:
    for line in problems:
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)


def _flag(param: str) -> str:
    """The command-line spelling of a library parameter (chunk_size -> --chunk-size)."""
    return "--" + param.replace("_", "-")


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM (a BaseException, so that nothing on the way catches it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_PENDING: list[int] = []  # a signal taken by _interrupt, in case its exception is lost


def _interrupt(signum: int, frame: object) -> None:
    """Unwind the command (its clean-up runs: workers stopped, temporary output removed); a
    second signal during that clean-up ends the process at once, with the same one line.

    Python drops an exception raised by a signal handler that runs inside a callback (numba's
    compiler reports its object code through a ctypes callback: "Exception ignored on
    calling ctypes callback function"), and the command would run on. So the signal is also
    recorded, and acted on at the next progress report of the command (_raise_pending) or,
    at the latest, when the command returns."""
    signal.signal(signal.SIGINT, stop_now)
    signal.signal(signal.SIGTERM, stop_now)
    _PENDING.append(signum)
    raise Interrupted(signum)


def _unraisable(info: Any) -> None:
    """sys.unraisablehook: our Interrupted, dropped inside a callback, is already recorded
    (_PENDING) and is reported in one line when acted on; anything else as Python would."""
    if isinstance(info.exc_value, Interrupted):
        return
    sys.__unraisablehook__(info)


def _raise_pending() -> None:
    """Raise Interrupted for a signal whose exception was lost (see _interrupt)."""
    if _PENDING:
        raise Interrupted(_PENDING[0])


def _signal_inside(exc: BaseException) -> int | None:
    """The signal behind an exception that wraps our Interrupted, if any.

    A signal handler that runs while compiled code hands its result back (numba's dispatcher
    boxing a kernel's tuple) raises Interrupted there; CPython then reports the C call as
    `SystemError: ... returned a result with an exception set`, with Interrupted as its cause.
    That is Ctrl-C, not a bug, and is reported as Ctrl-C."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, Interrupted):
            return cur.signum
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return None


def main() -> None:
    """Entry point: every user error is reported in one line per problem, exit status 2.

    Flag errors are typer's own (usage line and message, exit status 2). Ctrl-C and SIGTERM
    stop the run (the work in flight is cancelled, the temporary output folder removed, an
    earlier output left as it was) with exit status 128 + the signal's number.
    """
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    sys.unraisablehook = _unraisable
    _PENDING.clear()
    try:
        try:
            app()  # typer ends with SystemExit, the command's status
        except SystemExit as done:
            if done.code in (0, None):  # a command that reported its own stop keeps its word
                _raise_pending()  # a signal whose exception was lost on the way (_interrupt)
            raise
    except Interrupted as exc:
        _report([interrupted_line(exc.signum)])
        sys.exit(128 + exc.signum)
    except ScenarioError as exc:
        _report([f"error: {p}" for p in exc.problems])
        sys.exit(2)
    except UsageError as exc:
        _report([f"error: {exc.describe(_flag)}"])
        sys.exit(2)
    except Exception as exc:
        signum = _signal_inside(exc)
        if signum is not None:
            _report([interrupted_line(signum)])
            sys.exit(128 + signum)
        if os.environ.get("ALLIANCESIM_DEBUG"):
            raise
        _report([f"internal error: {type(exc).__name__}: {exc}",
                 "this is a bug in alliancesim; rerun with ALLIANCESIM_DEBUG=1 for a traceback"])
        sys.exit(1)


if __name__ == "__main__":
    main()
