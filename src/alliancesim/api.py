"""The Python API: the one front door every face (the CLI, the web app, notebooks) uses.

Every function takes its subject first and options by keyword::

    from alliancesim import api
    scenario = api.load_scenario("csto-2021-autumn")
    ensemble = api.simulate(scenario, trials=20_000, seed=1, out="runs/csto")
    ensemble.summary(); ensemble.to_pandas()
    api.calibrate()            # fit the council to the bundled cases
    api.hindcast(out="hc")     # leave-one-out forecasts and scores
    api.score_cases(params="params.yaml")   # score the cases with a fixed parameter set

Errors speak of these parameters (``backend='mpi': unknown backend``): UsageError for an
option, ScenarioError (file, line, field) for an input file.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alliancesim.backends import MAX_WORKERS, Backend, check_backend
from alliancesim.cases import (
    Case,
    contribution_text,
    load_case_sets,
    load_cases,
    load_scenario_or_case,
)
from alliancesim.data import bundled
from alliancesim.engine import TrialResults
from alliancesim.results.bargaining import EUMReport
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.discovery import DiscoveryReport
from alliancesim.results.ensemble import MAX_CHUNK, Ensemble, simulate_scenario, trials_to_run
from alliancesim.results.sensitivity import SensitivityReport
from alliancesim.results.sequence import SequenceComparison, SequenceReport
from alliancesim.results.sweep import SweepReport
from alliancesim.results.validation import CalibrationReport, HindcastReport, ScoreReport
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import point
from alliancesim.scenario.errors import ScenarioError, UsageError
from alliancesim.scenario.geography import Geography, exposures
from alliancesim.scenario.loading import load_scenario_file, resolve
from alliancesim.scenario.params import (
    apply_parameters,
    check_uncertainty,
    load_parameters,
    uncertainty_of,
    with_uncertainty,
)
from alliancesim.scenario.schema import MAX_SEED, MAX_TRIALS, Scenario
from alliancesim.scenario.stakeholders import StakeholderTable, read_stakeholders
from alliancesim.store.checks import check_out_dir, check_out_file

if TYPE_CHECKING:
    from alliancesim.experiments.sweep import Axis

# Heavy layers (matplotlib, scipy.optimize, pyarrow) are imported inside the functions that use
# them: loading and simulating stay light.

DEFAULT_SCENARIO = bundled.DEFAULT_SCENARIO

__all__ = [
    "DEFAULT_SCENARIO",
    "MAX_CHUNK",
    "MAX_SEED",
    "MAX_TRIALS",
    "MAX_WORKERS",
    "ScenarioError",
    "UsageError",
    "calibrate",
    "check_options",
    "check_store",
    "compare",
    "compile_kernels",
    "contribution_text",
    "eum",
    "hindcast",
    "list_scenarios",
    "load_case_sets",
    "load_cases",
    "load_scenario",
    "scenario_source",
    "score_cases",
    "sequence",
    "simulate",
    "sweep",
    "trials_to_run",
    "write_hindcast",
    "write_parameters",
]


def load_scenario(path_or_name: str | Path, *, params: str | Path | None = None) -> Scenario:
    """Load a scenario file, a bundled scenario or a historical case (as a one-crisis
    scenario), resolved and checked; `params`, a parameter file, is laid over its parameters.

    Raises ScenarioError with one Problem per thing wrong (file, line, field, message).
    """
    scenario = load_scenario_or_case(path_or_name)
    if params is not None:
        scenario = apply_parameters(scenario, load_parameters(Path(params)))
    return scenario


def compile_kernels() -> list[tuple[str, float]]:
    """Compile the engine's kernels into numba's on-disk cache (`cache=True`: __pycache__ beside
    the modules, or NUMBA_CACHE_DIR), so that the first real run loads them instead of
    compiling for seconds. `make install` calls it (`alliancesim compile`); a pip install can
    run it once. Runs each bundled scenario for a few hundred trials with its parameters drawn
    (the compiled pass and the tally have one signature whatever the scenario); returns (what,
    seconds) per step. Later calls load from the cache and take a fraction of a second."""
    import time

    steps: list[tuple[str, float]] = []
    for name in sorted(bundled.scenario_names(), key=lambda n: n != bundled.DEFAULT_SCENARIO):
        start = time.perf_counter()
        simulate(name, trials=300, seed=1, by_request=False)
        steps.append((name, time.perf_counter() - start))
    return steps


def list_scenarios() -> list[tuple[str, Scenario]]:
    """The bundled scenarios (name, unresolved scenario), the default first."""
    names = sorted(bundled.scenario_names(), key=lambda n: n != bundled.DEFAULT_SCENARIO)
    return [(n, load_scenario_file(n)[0]) for n in names]


def scenario_source(name: str | Path) -> str:
    """The text of a bundled scenario or case, or of a scenario file, as written."""
    if str(name) not in bundled.scenario_names() and str(name) in bundled.case_names():
        return bundled.case_path(str(name)).read_text(encoding="utf-8")
    path = Path(name)
    if path.suffix in (".yaml", ".yml") and path.is_file():  # a case file or a scenario file
        load_scenario_or_case(path)  # checked first: a bad file is an error, not a printout
        return path.read_text(encoding="utf-8")
    _, source, _ = load_scenario_file(name)
    return Path(source).read_text(encoding="utf-8")


def affinities_used(name: str | Path) -> list[dict[str, Any]]:
    """Every member's affinity with each crisis's victim and aggressor, as the model uses it,
    and where each comes from: 'data' (UN ideal points of the stated year), 'JUDGEMENT'
    (an override in the case or scenario, with its rule), 'judgement 2021' (data/affinity.yaml)
    or 'default' (no figure: the alliance's member affinity, or 0)."""
    sc = load_scenario_or_case(name)
    alliance = sc.alliance
    assert not isinstance(alliance, str)
    pairs = {frozenset((p.a, p.b)): p for p in sc.affinity}
    rows: list[dict[str, Any]] = []
    for c in sc.crises:
        for m in alliance.members:
            for role, other in (("victim", c.victim), ("aggressor", c.aggressor)):
                if m == other:
                    continue
                p = pairs.get(frozenset((m, other)))
                if p is None:
                    both = other in alliance.members
                    value, origin, reason = (alliance.member_affinity.value if both else 0.0,
                                             "default", "no figure")
                else:
                    value, reason = p.value, p.reason
                    origin = ("JUDGEMENT" if reason.startswith("JUDGEMENT") else "data"
                              if "[ideal-points" in reason else "judgement 2021")
                rows.append({"crisis": c.id, "member": m, "with": other, "role": role,
                             "value": value, "origin": origin, "reason": reason})
    return rows


def geography_used(name: str | Path) -> list[dict[str, Any]]:
    """Each member's (and each aggressor's) distance to the victim as the model uses it, with
    the branch of the rule that gave it, the share of its force that reaches the victim at the
    scenario's half-strength distance, the travel days, and each member's exposure with its
    origin ('rule', 'hand', 'hand: <reason>'): docs/model.md, "Geography"."""
    sc = load_scenario_or_case(name)
    alliance = sc.alliance
    assert not isinstance(alliance, str)
    geo = Geography(sc)
    half = float(point(sc.parameters.geography.half_strength_km))
    pace = float(point(sc.parameters.geography.km_per_day))
    rows: list[dict[str, Any]] = []
    for k, c in enumerate(sc.crises):
        based = {b.owner for b in alliance.bases if b.host == c.victim}
        values, origins = exposures(sc, k)
        who = [(m, "member", m in based) for m in alliance.members]
        if c.aggressor not in alliance.members:
            who.append((c.aggressor, "aggressor", False))
        for i, (m, role, b) in enumerate(who):
            state = sc.actors[m].kind == "state"
            d, why = geo.projection(m, c.victim, b) if state else (0.0, "non-state: inside")
            row = {"crisis": c.id, "actor": m, "role": role, "distance_km": round(d, 1),
                   "why": why, "reach": 1.0 / (1.0 + d / half),
                   "travel_days": d / pace}
            if role == "member":
                row.update(exposure=values[i], exposure_origin=origins[i])
            rows.append(row)
    return rows


def check_options(*, backend: str = "local", workers: int | None = None,
                  address: str | None = None, out: str | Path | None = None,
                  out_file: str | Path | None = None, seed: int | None = None) -> None:
    """Raise UsageError for options that cannot work, before any work is done (out: an output
    folder; out_file: an output file; seed: 0..MAX_SEED, what the results store keeps)."""
    check_backend(backend, workers, address)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise UsageError(f"must be in 0..{MAX_SEED} (2^63 - 1)", param="seed", value=seed)
    if out is not None:
        check_out_dir(Path(out))
    if out_file is not None:
        check_out_file(Path(out_file))


def simulate(scenario: Scenario | str | Path, *, trials: int | None = None,
             seed: int | None = None, chunk_size: int | None = None,
             progress: Callable[[int], None] | None = None, backend: str | Backend = "local",
             workers: int | None = None, address: str | None = None,
             keep_trials: bool | None = None, out: str | Path | None = None,
             on_trials: Callable[[CompiledCrisis, TrialResults, int], None] | None = None,
             parameter_uncertainty: str | None = None, by_request: bool = True,
             ) -> Ensemble:
    """Simulate every crisis of a scenario `trials` times.

    trials and seed default to the scenario's own. backend: "local" (in-process), "process"
    (a pool of `workers` local processes) or "ray" (a Ray cluster at `address`, else local Ray;
    the extra alliancesim[ray]), or a Backend already started (kept open: reuse it across
    runs in a `with` block). keep_trials: keep per-trial arrays (needed for to_pandas); by
    default only up to 2 million trials in all, beyond which the ensemble keeps its summary
    statistics only (bounded memory). out: a folder to write trials.parquet (streamed),
    summary.json, scenario.yaml and the figures into, atomically (ensemble.files lists them).
    on_trials: a callback receiving each chunk's per-trial results in order. The numbers
    depend on (scenario, trials, seed) only: not on chunk_size, backend or workers.
    parameter_uncertainty: "posterior" (the default) draws the council's and request stage's
    parameters from the calibration's posterior for every 128 trials (each headline then has a
    90% band over the draws in the summary's parameter_band, beside its Monte Carlo error in
    headline_se), "off" uses them as given; None: the scenario file's own
    parameters.uncertainty where it sets one, else "posterior" (scenario.params.uncertainty_of:
    the same rule as `alliancesim run`, compare and the reports). The ensemble's scenario says
    which was used.
    by_request: also run every crisis whose request the scenario leaves to the request stage
    ("auto") with the request fixed at each level (none, consultations, military), with the
    same seed: common random numbers, so these runs equal runs of the scenario with the request
    fixed (summary: each crisis's by_request). Their headlines are the forecast given the
    request; the mixed run is the one streamed to `out` and `on_trials`. Every summary carries
    the base rate of the alliance's own cases with the same request, and the request stage's
    held-out log score (results/bands.py). by_request=False runs the mixture only.
    """
    if isinstance(backend, str):
        check_options(backend=backend, workers=workers, address=address, out=out, seed=seed)
    else:
        check_options(seed=seed)
        if out is not None:
            check_out_dir(Path(out))
    if parameter_uncertainty is not None:
        check_uncertainty(parameter_uncertainty)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    elif isinstance(scenario.alliance, str):
        scenario = resolve(scenario)
    scenario = with_uncertainty(scenario, parameter_uncertainty)
    options: dict[str, Any] = dict(trials=trials, seed=seed, chunk_size=chunk_size,
                                   progress=progress, backend=backend, workers=workers,
                                   address=address, keep_trials=keep_trials,
                                   by_request=by_request)
    if out is None:
        return simulate_scenario(scenario, on_trials=on_trials, **options)
    from alliancesim.report.plots import FIGURES
    from alliancesim.scenario.compile import compile_crisis
    from alliancesim.store.files import ResultsWriter

    models = tuple(compile_crisis(scenario, i) for i in range(len(scenario.crises)))
    with ResultsWriter(Path(out), models) as writer:
        def both(model: CompiledCrisis, results: TrialResults, first: int) -> None:
            writer.write_trials(model, results, first)
            if on_trials is not None:
                on_trials(model, results, first)

        ens = simulate_scenario(scenario, on_trials=both, **options)
        summary = ens.summary()
        files = writer.finish(ens, {name: partial(make, summary)
                                    for name, make in FIGURES.items()})
    return dataclasses.replace(ens, files=tuple(files))


CasesArg = str | Path | list[Case] | list[str | Path] | list[str] | list[Path] | None


def _cases(cases: CasesArg) -> list[Case]:
    """Cases, a folder of case files, a bundled set's name (`bundled`, `beyond`), or a list of
    folders and names joined (cases.load_case_sets); None: the bundled cases."""
    if cases is None:
        return load_cases()
    if isinstance(cases, str | Path):
        return load_case_sets([cases])
    if all(isinstance(c, Case) for c in cases):
        return [c for c in cases if isinstance(c, Case)]
    return load_case_sets([c for c in cases if isinstance(c, str | Path)])


def _check_prior(prior: str) -> None:
    from alliancesim.experiments.calibration import PRIORS

    if prior not in PRIORS:
        raise UsageError(f"unknown prior; one of {', '.join(PRIORS)}", param="prior", value=prior)


def _check_council(council: str, council_trials: int | None) -> None:
    from alliancesim.experiments.validation import COUNCILS
    from alliancesim.model.council.eum_likelihood import MAX_TRIALS

    if council not in COUNCILS:
        raise UsageError(f"unknown council model; one of {', '.join(COUNCILS)}",
                         param="council", value=council)
    if council_trials is None:
        return
    if council != "expected_utility":
        raise UsageError("applies only with council expected_utility (its simulated "
                         "likelihood's draws per case)", param="council_trials",
                         value=council_trials)
    if isinstance(council_trials, bool) or not isinstance(council_trials, int) \
            or not 1 <= council_trials <= MAX_TRIALS:
        raise UsageError(f"must be a whole number from 1 to {MAX_TRIALS:,}",
                         param="council_trials", value=council_trials)


def calibrate(cases: CasesArg = None, *, prior_sd: float = 1.0,
              prior: str = "large-n", posterior: bool | None = None,
              progress: Callable[[str], None] | None = None,
              council: str = "ordered_probit",
              council_trials: int | None = None) -> CalibrationReport:
    """Fit the council model and the request stage to the cases (a folder of case files, a
    list, or the bundled ones): the posterior's mode (MAP, penalised maximum likelihood) with
    Laplace standard errors and, with `posterior` (about a minute), the exact posterior by MCMC
    (emcee; experiments/posterior.py): per parameter the mean, sd, 5-95% interval, R-hat and
    effective sample sizes, and the draws `run` takes its bands from. prior_sd is the prior's
    standard deviation; prior "large-n" centres the affinity coefficients on the large-N
    member model's estimates (data/large_n_prior.yaml) instead of the judgement.
    progress(message) as the work goes on (the MCMC's step count). council: the council model
    fitted, "ordered_probit" (the default) or "expected_utility" (its MAP by the simulated
    likelihood, `council_trials` draws per case, no standard errors and no posterior:
    posterior defaults to True for the probit and must be off for it; docs/eum.md)."""
    if prior_sd <= 0:
        raise UsageError("must be greater than 0", param="prior_sd", value=prior_sd)
    _check_prior(prior)
    _check_council(council, council_trials)
    if posterior is None:
        posterior = council == "ordered_probit"
    from alliancesim.experiments import validation

    return validation.calibrate(_cases(cases), prior_sd, prior=prior, sample=posterior,
                                progress=progress, council=council,
                                council_trials=council_trials)


def hindcast(cases: CasesArg = None, *, prior_sd: float = 1.0,
             contingent_trials: int = 20_000, out: str | Path | None = None,
             prior: str = "large-n", ablation: bool = True, codings: bool = True,
             nested: bool = False, workers: int = 1,
             progress: Callable[[str], None] | None = None,
             by_alliance: bool = False, council: str = "ordered_probit",
             council_trials: int | None = None) -> HindcastReport:
    """Leave-one-out forecasts of every case from a fit on the others, scored against the
    baselines (three of which know the alliance); `out`, a folder for hindcast.json and
    reliability.png; prior as calibrate's. ablation: every specification of
    experiments/specs.py scored the same way; codings: the contested outcome codings
    re-scored; nested: the nested selection of the specification inside the loop (minutes;
    `workers` processes); by_alliance: also leave one alliance out at a time, unpooled and
    with the intercepts partially pooled (needs cases of two alliances or more);
    progress(message) as each part starts. council "expected_utility": the expected-utility
    council fitted on the same cases beside the probit, its forecast "model (EUM)" scored
    against the probit's "model" and every baseline (`council_trials` draws per case in its
    simulated likelihood; the ablation, codings and by_alliance stay the probit's; nested is
    refused). docs/eum.md, "Calibration"."""
    if prior_sd <= 0:
        raise UsageError("must be greater than 0", param="prior_sd", value=prior_sd)
    _check_council(council, council_trials)
    if nested and council == "expected_utility":
        raise UsageError("the nested selection chooses among the probit's specifications; it "
                         "does not apply with council expected_utility (leave --nested off)",
                         param="nested", value=True)
    if not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"must be in 1..{MAX_WORKERS}", param="workers", value=workers)
    _check_prior(prior)
    if out is not None:
        check_out_dir(Path(out))
    from alliancesim.experiments import validation
    from alliancesim.store.files import held_folder

    with held_folder(Path(out) if out is not None else None, "hindcast") as folder:
        report = validation.run_hindcast(_cases(cases), prior_sd, contingent_trials,
                                         prior=prior, with_ablation=ablation,
                                         with_codings=codings, with_nested=nested,
                                         workers=workers, progress=progress,
                                         with_alliances=by_alliance, council=council,
                                         council_trials=council_trials)
        if out is not None:
            write_hindcast(report, out, folder=folder)
    return report


def score_cases(cases: CasesArg = None, *,
                params: str | Path | dict[str, Any] | None = None) -> ScoreReport:
    """Score the cases with one fixed parameter set (the defaults, or a parameter file or
    `parameters:` mapping laid over them), without refitting."""
    from alliancesim.experiments import validation

    parameters = load_parameters(Path(params)) if isinstance(params, str | Path) else params
    return validation.score_cases(_cases(cases), parameters)


def compare(scenarios: list[str | Path | Scenario] | str | Path, *, trials: int | None = None,
            seed: int | None = None, names: list[str] | None = None,
            progress: Callable[[str], None] | None = None, backend: str = "local",
            workers: int | None = None, address: str | None = None,
            parameter_uncertainty: str | None = None) -> ComparisonReport:
    """The same crises under each scenario variant, with common random numbers: each headline's
    probability per variant and the paired difference from the first (the base) with its
    standard error, beside the error two independent runs would have.

    scenarios: two or more scenarios (files, bundled names or Scenario objects), or one
    variants file (base: and variants:). trials and seed default to the base's.
    parameter_uncertainty: as simulate's ("posterior" by default, "off"; None: each scenario
    file's own parameters.uncertainty where it sets one, else "posterior"). Under "posterior"
    every variant takes the same posterior draw for the same 128 trials (common parameter
    draws, experiments/compare.py), and each difference reports its Monte Carlo part
    (se_paired) and its parameter part (parameter_band, parameter_sd) apart.
    """
    from alliancesim.experiments.compare import compare as run_compare
    from alliancesim.scenario.variants import is_variants_file, load_variants

    check_options(backend=backend, workers=workers, address=address, seed=seed)
    if parameter_uncertainty is not None:  # a bad choice is refused before any loading
        check_uncertainty(parameter_uncertainty)
    if isinstance(scenarios, str | Path):
        if not is_variants_file(scenarios):
            raise UsageError("give two or more scenarios, or one variants file (base: and "
                             "variants:)", param="scenarios", value=str(scenarios))
        variants = load_variants(scenarios)
    else:
        if len(scenarios) < 2:
            raise UsageError("give two or more scenarios, or one variants file",
                             param="scenarios", value=len(scenarios))
        loaded = [s if isinstance(s, Scenario) else load_scenario(s) for s in scenarios]
        labels = names or [s if isinstance(s, str) else (Path(s).stem if isinstance(s, Path)
                                                         else s.name) for s in scenarios]
        if len(set(labels)) < len(labels):
            labels = [f"{i + 1}:{n}" for i, n in enumerate(labels)]
        variants = list(zip(labels, loaded, strict=True))
    variants = [(name, with_uncertainty(sc, parameter_uncertainty)) for name, sc in variants]
    base = variants[0][1]
    return run_compare(variants, trials if trials is not None else base.trials,
                       seed if seed is not None else base.seed, progress=progress,
                       backend=backend, workers=workers, address=address)


def _write_analysis(out: Path, report: Any, stem: str, figure: Callable[..., object],
                    meta: dict[str, Any], folder: Any = None) -> list[Path]:
    """STEM.csv (the report's frame), STEM.json and STEM.png into the folder `out`, swapped in
    whole with its manifest (`folder`: the OutputFolder opened before the work)."""
    from alliancesim.store.files import write_folder

    def write_csv(path: Path) -> None:
        report.to_pandas().to_csv(path, index=False)

    def write_json(path: Path) -> None:
        path.write_text(report.model_dump_json(indent=2), encoding="utf-8")

    return write_folder(out, {f"{stem}.csv": write_csv, f"{stem}.json": write_json,
                              f"{stem}.png": partial(figure, report)}, kind=stem, meta=meta,
                        folder=folder)


def _parse_sets(sets: Mapping[str, str] | list[str] | tuple[str, ...] | None
                ) -> dict[str, str]:
    """CRISIS=RUNG specs (or a mapping) as {crisis id: rung}; UsageError for a malformed one."""
    if sets is None:
        return {}
    if isinstance(sets, Mapping):
        return {str(k): str(v) for k, v in sets.items()}
    out: dict[str, str] = {}
    for spec in sets:
        crisis, eq, rung = str(spec).partition("=")
        if not eq or not crisis.strip() or not rung.strip():
            raise UsageError("expected CRISIS=RUNG, e.g. armenia-2022=military", param="set",
                             value=spec)
        if crisis.strip() in out:
            raise UsageError(f"crisis {crisis.strip()!r} is set twice", param="set", value=spec)
        out[crisis.strip()] = rung.strip()
    return out


SEQUENCE_RULES = ("consensus", "qualified_majority", "simple_majority", "leader")


def check_sequence(scenario: Scenario, *, trials: int | None = None, observed: bool = False,
                   set: Mapping[str, str] | list[str] | tuple[str, ...] | None = None,
                   rule: str | None = None) -> None:
    """The checks `sequence` makes before any work, without running it (the web app's 4xx):
    a date on every crisis, trials within the sequence's bound, the observed response on every
    crisis with observed, each CRISIS=RUNG of set a crisis of the scenario and a rung, and rule
    one of SEQUENCE_RULES (qualified_majority with an optional :SHARE in (0, 1]). UsageError
    naming the field (scenario, trials, observed, set, rule) and what is valid."""
    from alliancesim.experiments.sequence import (
        MAX_SEQUENCE_TRIALS,
        decision_rule,
        forced_rungs,
        ordered,
    )

    if trials is not None and not 1 <= trials <= MAX_SEQUENCE_TRIALS:
        raise UsageError(f"must be in 1..{MAX_SEQUENCE_TRIALS:,} for a sequence (every trial's "
                         "beliefs are held in memory)", param="trials", value=trials)
    ordered(scenario)
    forced_rungs(scenario, observed, _parse_sets(set))
    if rule is not None:
        if rule.partition(":")[0] not in SEQUENCE_RULES:
            raise UsageError(f"unknown rule (valid: {', '.join(SEQUENCE_RULES)}; "
                             "qualified_majority:SHARE with SHARE in (0, 1])", param="rule",
                             value=rule)
        try:
            scenario.with_changes({"alliance.decision_rule": decision_rule(rule)})
        except ScenarioError as exc:
            raise UsageError("; ".join(p.message for p in exc.problems), param="rule",
                             value=rule) from None


def sequence(scenario: Scenario | str | Path, *, trials: int | None = None,
             seed: int | None = None, observed: bool = False,
             set: Mapping[str, str] | list[str] | tuple[str, ...] | None = None,
             rule: str | None = None, out: str | Path | None = None,
             parameter_uncertainty: str | None = None,
             progress: Callable[[str], None] | None = None,
             ) -> SequenceReport | SequenceComparison:
    """Run a scenario's dated crises as a sequence, each member's belief that the alliance will
    help it carried from one crisis to the next (docs/model.md §7, experiments/sequence.py).

    observed: force every crisis's observed response (history as it happened). set: crisis
    ids and rungs to force (["armenia-2022=military"] or {"armenia-2022": "military"}), and
    rule another decision rule: with either, the same sequence is also run without the change
    (the baseline, same seed: common random numbers) and a SequenceComparison is returned,
    else a SequenceReport. trials and seed default to the scenario's; parameter_uncertainty as
    simulate's. out: a folder for sequence.json, sequence.csv (the tidy frame), beliefs.png and
    freeze.png, swapped in whole (store/files.py)."""
    from alliancesim.experiments.sequence import compare_sequences, run_sequence
    from alliancesim.store.files import held_folder

    check_options(out=out, seed=seed)
    if parameter_uncertainty is not None:
        check_uncertainty(parameter_uncertainty)
    forced = _parse_sets(set)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.alliance, str):
        sc = resolve(sc)
    sc = with_uncertainty(sc, parameter_uncertainty)
    n = trials if trials is not None else sc.trials
    s = seed if seed is not None else sc.seed

    def say(label: str) -> Callable[[str], None] | None:
        if progress is None:
            return None
        return lambda crisis: progress(f"{label}: {crisis}")

    with held_folder(Path(out) if out is not None else None, "sequence") as folder:
        base = run_sequence(sc, trials=n, seed=s, observed=observed, progress=say("baseline"))
        report: SequenceReport | SequenceComparison = base.report
        if forced or rule is not None:
            label = ", ".join([*(f"{k}={v}" for k, v in forced.items()),
                               *([f"rule={rule}"] if rule else [])])
            variant = run_sequence(sc, trials=n, seed=s, observed=observed, forced=forced,
                                   rule=rule, progress=say(label))
            report = compare_sequences(base, variant, label)
        if out is not None:
            from alliancesim.report.sequence import beliefs_figure, freeze_figure
            from alliancesim.store.files import write_folder

            shown = report

            def write_json(path: Path) -> None:
                path.write_text(shown.model_dump_json(indent=2), encoding="utf-8")

            def write_csv(path: Path) -> None:
                shown.to_pandas().to_csv(path, index=False)

            write_folder(Path(out), {"sequence.json": write_json, "sequence.csv": write_csv,
                                     "beliefs.png": partial(beliefs_figure, shown),
                                     "freeze.png": partial(freeze_figure, shown)},
                         kind="sequence", meta={"scenario": sc.name, "seed": s, "trials": n,
                                                "observed": observed, "set": forced,
                                                "rule": rule}, folder=folder)
    return report


MAX_SWEEP_POINTS = 10_000


VaryArg = Mapping[str, Any] | list[str] | tuple[str, ...] | str
MAX_CATEGORIES = 1000


def _range(path: str, low: Any, high: Any, steps: Any, spec: object) -> Axis:
    """A numeric range axis, checked (finite bounds, 1..1000 steps)."""
    from alliancesim.experiments.sweep import Axis

    try:
        lo, hi, k = float(low), float(high), int(steps)
        if isinstance(steps, float) and steps != k:
            raise ValueError
    except (TypeError, ValueError):
        raise UsageError("a range is (LOW, HIGH) or (LOW, HIGH, STEPS): two numbers and a "
                         "whole number of steps", param=f"vary[{path!r}]", value=spec) from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or not 1 <= k <= 1000:
        raise UsageError("LOW and HIGH must be finite numbers and STEPS between 1 and 1000",
                         param="vary", value=spec)
    if not np.isfinite(hi - lo):  # -1e308:1e308: the grid's step would overflow to nan
        raise UsageError("HIGH - LOW must be a finite number (below 1.8e308)", param="vary",
                         value=spec)
    return Axis(path, lo, hi, k)


def _listed(path: str, values: list[Any], labels: list[Any] | None, spec: object) -> Axis:
    """An axis of listed values (numbers or categorical values), each with its label."""
    from alliancesim.experiments.sweep import Axis, label_of

    if not 1 <= len(values) <= MAX_CATEGORIES:
        raise UsageError(f"give between 1 and {MAX_CATEGORIES} values", param=f"vary[{path!r}]",
                         value=spec)
    names = [label_of(v) for v in values] if labels is None else [str(x) for x in labels]
    if len(set(map(str, names))) < len(names):
        raise UsageError("each value may be listed once (labels repeat: give a mapping of "
                         "label to value)", param=f"vary[{path!r}]", value=spec)
    return Axis(path, values=tuple(values), labels=tuple(names))


def _cli_value(text: str, spec: str) -> Any:
    """A value written on the command line: a YAML flow mapping or list ({rule: consensus}),
    a number where it reads as one, else the text."""
    text = text.strip()
    if text[:1] in "{[":  # the bounded YAML reader of scenario files (depth, aliases, tags)
        from alliancesim.scenario.yaml_lines import parse_yaml

        try:
            return parse_yaml(text, "--vary")[0]
        except ScenarioError as exc:
            raise UsageError(f"cannot read {text!r} as a YAML mapping or list, e.g. "
                             "{rule: qualified_majority, threshold: 0.667} "
                             f"({exc.problems[0].message})", param="vary",
                             value=spec) from None
    try:
        number = float(text)
    except ValueError:
        return text
    return number if np.isfinite(number) else text


def _split_top(text: str) -> list[str]:
    """Split at the commas outside braces and brackets: a,b and {rule: x, threshold: 1},b."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch in "{[") - (ch in "}]")
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [p for p in [*parts, cur] if p.strip()]


def _parse_vary(spec: str) -> Axis:
    """PATH=LOW:HIGH[:STEPS] (a range, 5 steps by default) or PATH=A,B,C (listed values:
    numbers, words such as consensus,simple_majority, or YAML flow mappings such as
    {rule: consensus},{rule: qualified_majority, threshold: 0.667})."""
    path, eq, rng = spec.partition("=")
    if eq and path and ("," in rng or rng.strip()[:1] == "{") and rng.strip(", "):
        return _listed(path, [_cli_value(v, spec) for v in _split_top(rng)], None, spec)
    parts = rng.split(":")
    if not eq or not path or len(parts) not in (2, 3):
        raise UsageError("expected PATH=LOW:HIGH:STEPS, e.g. "
                         "parameters.council.coefficients.leader_stake=0:2:9, or PATH=A,B,C, "
                         "e.g. alliance_changes.decision_rule.rule=consensus,simple_majority",
                         param="vary", value=spec)
    try:
        low, high = float(parts[0]), float(parts[1])
        steps = int(parts[2]) if len(parts) == 3 else 5
    except ValueError:
        raise UsageError("expected PATH=LOW:HIGH:STEPS, e.g. "
                         "parameters.council.coefficients.leader_stake=0:2:9", param="vary",
                         value=spec) from None
    return _range(path, low, high, steps, spec)


def _axis(path: str, spec: Any) -> Axis:
    """One entry of a Python `vary` mapping: a (low, high[, steps]) tuple, a list of values,
    a mapping of label to value, a range string "LOW:HIGH:STEPS", or one value."""
    if not isinstance(path, str) or not path:
        raise UsageError("keys are dotted paths such as "
                         "parameters.council.coefficients.leader_stake", param="vary",
                         value=path)
    if isinstance(spec, tuple):
        if len(spec) not in (2, 3):
            raise UsageError("a range is (LOW, HIGH) or (LOW, HIGH, STEPS); for listed "
                             "values give a list", param=f"vary[{path!r}]", value=spec)
        return _range(path, spec[0], spec[1], spec[2] if len(spec) == 3 else 5, spec)
    if isinstance(spec, Mapping):
        return _listed(path, list(spec.values()), list(spec), spec)
    if isinstance(spec, str) and ":" in spec:
        return _parse_vary(f"{path}={spec}")
    if isinstance(spec, list | np.ndarray | range):
        return _listed(path, [v.item() if isinstance(v, np.generic) else v for v in spec],
                       None, spec)
    return _listed(path, [spec], None, spec)


def _axes(vary: VaryArg) -> list[Axis]:
    """The sweep's axes from a `vary` mapping or the command line's strings."""
    if isinstance(vary, str):
        vary = [vary]
    if isinstance(vary, Mapping):
        axes = [_axis(p, v) for p, v in vary.items()]
    else:
        axes = [_parse_vary(v) for v in vary]
    if not axes:
        raise UsageError("give at least one path to vary (PATH=LOW:HIGH:STEPS, or "
                         "vary={'path': [values]})", param="vary")
    if len({a.path for a in axes}) < len(axes):
        raise UsageError("each path may be varied once", param="vary",
                         value=[a.path for a in axes])
    return axes


def sweep(scenario: Scenario | str | Path, *, vary: VaryArg, lhs: int | None = None,
          trials: int | None = None, seed: int | None = None, out: str | Path | None = None,
          progress: Callable[[int, int], None] | None = None, backend: str = "local",
          workers: int | None = None, address: str | None = None,
          parameter_uncertainty: str | None = None) -> SweepReport:
    """The scenario's headlines over a full grid of the `vary` axes, or over `lhs`
    Latin-hypercube points of them (designs from the EMA Workbench's samplers, seeded by the
    sweep's seed); common random numbers at every point.

    scenario: a Scenario, a scenario file or a bundled name. vary: a mapping from a dotted path
    into the scenario (parameters.council.coefficients.leader_stake,
    crises.armenia-attack.aggressor_strength, alliance.decision_rule.rule; Scenario.with_changes)
    to its values: (low, high, steps) or (low, high) for 5 steps, a list of values (numbers, or
    categorical values such as ["consensus", "simple_majority"]), or a mapping of label to
    value ({"consensus": {"rule": "consensus"}, "two-thirds": {"rule": "qualified_majority",
    "threshold": 0.667}} for alliance.decision_rule). The command line's strings are the same:
    "PATH=LOW:HIGH:STEPS" or "PATH=A,B,C". parameter_uncertainty: "posterior" (the default)
    draws the council's and the request stage's parameters from the calibration's posterior,
    the same draws at every point (each headline then has its parameter band beside its Monte
    Carlo error); "off" uses them as given; None: the scenario file's own
    parameters.uncertainty where it sets one, else "posterior" (the rule of simulate and
    compare: scenario.params.uncertainty_of). `out`: sweep.csv (the tidy frame), sweep.json,
    sweep.png."""
    from alliancesim.experiments.sweep import sweep as run_sweep

    check_options(backend=backend, workers=workers, address=address, out=out, seed=seed)
    if parameter_uncertainty is not None:
        check_uncertainty(parameter_uncertainty)
    axes = _axes(vary)
    n_points = lhs if lhs is not None else int(np.prod([a.size for a in axes]))
    if (lhs is not None and lhs < 1) or n_points > MAX_SWEEP_POINTS:
        raise UsageError(f"between 1 and {MAX_SWEEP_POINTS:,} points (got {n_points:,})",
                         param="lhs" if lhs is not None else "vary", value=n_points)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.alliance, str):
        sc = resolve(sc)
    sc = with_uncertainty(sc, parameter_uncertainty)
    label = sc.name if isinstance(scenario, Scenario) else str(scenario)
    from alliancesim.store.files import held_folder

    with held_folder(Path(out) if out is not None else None, "sweep") as folder:
        report = run_sweep(sc, axes, lhs, trials, seed, progress=progress, label=label,
                           backend=backend, workers=workers, address=address)
        if out is not None:
            from alliancesim.report.plots import sweep_figure

            _write_analysis(Path(out), report, "sweep", sweep_figure,
                            {"scenario": report.scenario, "paths": report.paths,
                             "design": report.design, "seed": report.seed,
                             "trials": report.trials,
                             "parameter_uncertainty": report.parameter_uncertainty}, folder)
    return report


def _set_council(council: dict[str, Any], name: str, value: Any) -> None:
    """Set a calibration estimate's parameter (coefficients.X, cutpoints.K or a field of its
    own) in a `parameters.council` mapping."""
    if name.startswith("coefficients."):
        council["coefficients"][name.split(".", 1)[1]] = value
    elif name.startswith("cutpoints."):
        council["cutpoints"][int(name.split(".", 1)[1]) - 1] = value
    elif name.startswith("alliance_intercepts."):
        council["alliance_intercepts"][name.split(".", 1)[1]] = value
    else:
        council[name] = value


def with_parameter_uncertainty(scenario: Scenario, report: CalibrationReport) -> Scenario:
    """The scenario with each calibrated council parameter drawn from a normal distribution at
    its estimate with its standard error (marginals only: the estimates' correlations are
    left out; cut-points are sorted within each trial, the margin clipped at 0)."""
    council = scenario.parameters.council.model_dump(mode="json", by_alias=True)
    for e in report.estimates:
        value: dict[str, Any] | float = (
            {"dist": "normal", "mean": e.value, "sd": e.se} if e.se > 0 else e.value)
        _set_council(council, e.name, value)
    data = scenario.model_dump(mode="json", by_alias=True)
    data["parameters"]["council"] = council
    return Scenario.model_validate(data)


def sensitivity(scenario: Scenario | str | Path, *, method: str = "sobol", samples: int = 1024,
                seed: int | None = None, parameters: bool = False,
                out: str | Path | None = None, backend: str = "local",
                workers: int | None = None, address: str | None = None,
                progress: Callable[[str], None] | None = None) -> SensitivityReport:
    """Global sensitivity analysis (SALib) of every crisis's headlines over the scenario's
    uncertain quantities: Sobol (first-order and total indices with 95 % intervals), Morris
    (mu*, sigma) or FAST (first-order). samples: SALib's base sample size (Sobol evaluates
    samples x (D + 2) trials; its design and analysis stream, so its memory does not grow with
    samples: the bound of 1,000,000 is one of time). parameters: add the council's calibrated
    parameters within their uncertainty (with_parameter_uncertainty; the fit on the bundled
    cases). `out`: sensitivity.json, sensitivity.csv, sensitivity.png. progress(message) after
    each chunk of the design (the crisis and the trials done)."""
    from alliancesim.experiments.sensitivity import METHODS
    from alliancesim.experiments.sensitivity import sensitivity as run_sensitivity

    if method not in METHODS:
        raise UsageError(f"unknown method (valid: {', '.join(METHODS)})", param="method",
                         value=method)
    if not 8 <= samples <= 1_000_000:
        raise UsageError("must be between 8 and 1,000,000", param="samples", value=samples)
    if method == "sobol" and samples & (samples - 1):
        raise UsageError("Sobol needs a power of two (e.g. 1024)", param="samples",
                         value=samples)
    check_options(out=out, backend=backend, workers=workers, address=address, seed=seed)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.alliance, str):
        sc = resolve(sc)
    from alliancesim.backends import make_backend
    from alliancesim.store.files import held_folder

    with held_folder(Path(out) if out is not None else None, "sensitivity") as folder:
        if parameters:
            sc = with_parameter_uncertainty(sc, calibrate(posterior=False))
        with make_backend(backend, workers, address) as runner:
            report = run_sensitivity(sc, method, samples,
                                     seed if seed is not None else sc.seed, runner, progress)
        if out is not None:
            from alliancesim.report.plots import sensitivity_figure

            _write_analysis(Path(out), report, "sensitivity", sensitivity_figure,
                            {"scenario": report.scenario, "method": method, "samples": samples,
                             "seed": report.seed}, folder)
    return report


def discover(scenario: Scenario | str | Path, *, crisis: str, outcome: str = "military help",
             threshold: float | None = None, boxes: int = 1, trials: int | None = None,
             seed: int | None = None,
             backend: str = "local", workers: int | None = None, address: str | None = None
             ) -> DiscoveryReport:
    """Scenario discovery (PRIM, EMA Workbench) over one crisis's drawn inputs: the box of
    inputs where `outcome` (a headline: military help, mission or more, acts without the
    alliance, troops sent, repelled, with the alliance) reaches `threshold` density, with its
    coverage, density and a sentence. threshold None (the default): halfway from the share of
    all trials with the outcome to the densest box PRIM finds; no box, and a note saying why,
    when no box beats the whole input space (experiments/discover.py)."""
    from alliancesim.experiments.discover import discover as run_discover
    from alliancesim.results.headlines import ANALYSED as OUTCOMES

    check_options(backend=backend, workers=workers, address=address, seed=seed)
    if outcome not in OUTCOMES:
        raise UsageError(f"unknown outcome (valid: {', '.join(OUTCOMES)})", param="outcome",
                         value=outcome)
    if threshold is not None and not 0.0 < threshold <= 1.0:
        raise UsageError("must be in (0, 1]", param="threshold", value=threshold)
    if not 1 <= boxes <= 10:
        raise UsageError("must be between 1 and 10", param="boxes", value=boxes)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.alliance, str):
        sc = resolve(sc)
    n = trials if trials is not None else sc.trials
    if n > 2_000_000:
        raise UsageError("at most 2,000,000 (every trial's inputs are kept)", param="trials",
                         value=n)
    return run_discover(sc, crisis, outcome, n, seed if seed is not None else sc.seed,
                        threshold, boxes, backend=backend, workers=workers, address=address)


def check_store(store: str | Path | None = None) -> None:
    """Raise UsageError unless a report could be kept in the results store now (call it before
    the work whose report is to be kept): the file is created if missing, and must be a
    writable DuckDB results store (store.runs.RunStore.check). Nothing in it is changed."""
    from alliancesim.store.runs import RunStore

    RunStore(store).check()


def record(kind: str, report: Any, *, scenario: Scenario | None = None,
           seed: int | None = None, trials: int | None = None,
           store: str | Path | None = None) -> str:
    """Keep a report in the results store (DuckDB; default path: store.runs.default_path());
    returns the run's id."""
    from alliancesim.store.runs import RunStore

    return RunStore(store).record(kind, report, scenario=scenario, seed=seed, trials=trials)


def results_list(*, store: str | Path | None = None) -> list[Any]:
    """Every record of the results store, newest first."""
    from alliancesim.store.runs import RunStore

    return RunStore(store).list()


def results_show(run_id: str, *, store: str | Path | None = None) -> dict[str, Any]:
    """One record: its settings, parameters and full report."""
    from alliancesim.store.runs import RunStore

    return RunStore(store).get(run_id)


def results_export(run_id: str, out: str | Path, *, store: str | Path | None = None) -> Path:
    """One record as a JSON file, written atomically."""
    import json

    from alliancesim.store.files import write_text_atomic

    check_out_file(Path(out))
    write_text_atomic(Path(out), json.dumps(results_show(run_id, store=store), indent=2) + "\n")
    return Path(out)


def parameter_ranges(scenario: Scenario, *, draws: int = 20, trials: int = 2000,
                     seed: int | None = None) -> dict[str, dict[str, tuple[float, float]]]:
    """The spread the parameters' uncertainty gives each crisis's headlines, for a run made
    without it: the scenario run again with parameters.uncertainty: posterior (one stored
    draw of the calibration's exact posterior per 128 trials, laid around the scenario's own
    values: engine.parameter_draws) for draws x trials trials per crisis, with the same seed;
    each crisis's 90% band per headline, the Monte Carlo noise taken out (results/bands.py).
    Empty where a crisis has too few groups for a band."""
    sc = scenario.model_copy(update={"parameters": scenario.parameters.model_copy(
        update={"uncertainty": "posterior"})})
    summary = simulate_scenario(sc, trials=draws * trials, seed=seed, keep_trials=False
                                ).summary()
    return {c.crisis_id: dict(c.parameter_band) for c in summary.crises
            if c.parameter_band is not None}


def report(run_id: str, *, out: str | Path, store: str | Path | None = None,
           parameter_draws: int = 20) -> Path:
    """One self-contained HTML page (figures inline, no network needed) for a kept result.
    For a run, beside the Monte Carlo errors, the range the council's parameter uncertainty
    gives: the run's own bands, or for a run with parameter uncertainty but too few trials for
    a band, parameter_ranges (0 draws to leave it out). A run made with parameter uncertainty
    off gets none: off is off in the report too."""
    import yaml

    from alliancesim.report.html import render
    from alliancesim.store.files import write_text_atomic

    check_out_file(Path(out))
    record = results_show(run_id, store=store)
    ranges = None
    banded = record["kind"] == "run" and any(
        c.get("parameter_band") for c in record["report"].get("crises", []))
    if (record["kind"] == "run" and record.get("scenario_yaml") and parameter_draws > 0
            and not banded):  # a run with parameter uncertainty carries its own bands
        sc = resolve(Scenario.model_validate(yaml.safe_load(record["scenario_yaml"])))
        if uncertainty_of(sc) != "off":
            ranges = parameter_ranges(sc, draws=parameter_draws, seed=record.get("seed"))
    write_text_atomic(Path(out), render(record, parameter_ranges=ranges))
    return Path(out)


def results_delete(run_id: str, *, store: str | Path | None = None) -> None:
    from alliancesim.store.runs import RunStore

    RunStore(store).delete(run_id)


def ema_model(scenario: Scenario | str | Path, *, crisis: str, trials: int = 2000,
              seed: int | None = None) -> Any:
    """One crisis as an EMA Workbench Model (experiments/ema.py): its uncertain quantities as
    RealParameters on their quantiles, the headline probabilities as ScalarOutcomes."""
    from alliancesim.experiments.ema import ema_model as make

    if not 1 <= trials <= 10_000_000:
        raise UsageError("must be between 1 and 10,000,000", param="trials", value=trials)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if isinstance(sc.alliance, str):
        sc = resolve(sc)
    return make(sc, crisis, trials, seed if seed is not None else sc.seed)


def held_output(out: str | Path | None, kind: str) -> AbstractContextManager[Any]:
    """The output folder `out` opened, its lock taken, for the work that writes it at the end
    (a folder another run is writing to is refused before the work); yields None without
    `out`. Pass what it yields as `folder=` to the writer (write_hindcast)."""
    from alliancesim.store.files import held_folder

    return held_folder(Path(out) if out is not None else None, kind)


def write_hindcast(report: HindcastReport, out: str | Path, *, folder: Any = None
                   ) -> list[Path]:
    """hindcast.json and reliability.png into the folder `out`, atomically (`folder`: the
    OutputFolder opened before the work, store.files.held_folder, whose lock it holds)."""
    from alliancesim.report.plots import reliability_figure
    from alliancesim.store.files import write_folder

    bins = {k: [(b.mean_forecast, b.observed_frequency, b.count) for b in v]
            for k, v in report.reliability.items()}

    def write_json(path: Path) -> None:
        path.write_text(report.model_dump_json(indent=2), encoding="utf-8")

    return write_folder(Path(out), {"hindcast.json": write_json,
                                    "reliability.png": partial(reliability_figure, bins)},
                        kind="hindcast", meta={"cases": [c.case_id for c in report.cases],
                                               "prior_sd": report.prior_sd}, folder=folder)


def write_parameters(report: CalibrationReport, path: str | Path) -> Path:
    """The fitted parameters as a parameter file (for `load_scenario(..., params=...)`)."""
    from alliancesim.store.files import write_text_atomic

    p = Path(path)
    check_out_file(p)
    try:
        write_text_atomic(p, report.to_yaml())
    except OSError as exc:
        raise UsageError(f"cannot write there ({exc.strerror or exc})", param="out",
                         value=p) from None
    return p


# --------------------------------------------------------------------------- datasets
def data_import(kind: str, path: str | Path, *, release: str | None = None,
                data_store: str | Path | None = None) -> Any:
    """Check a published dataset file and import it into the data store (one transaction:
    a bad file leaves the store as it was). Returns the import's record (datasets.store)."""
    from alliancesim.datasets.store import DataStore

    return DataStore(data_store).import_file(kind, path, release=release)


def data_import_folder(folder: str | Path, *, data_store: str | Path | None = None,
                       done: Callable[[Any, int, int], None] | None = None) -> list[Any]:
    """Import every file of a folder whose header a dataset kind recognises, in this one
    process, each in its own transaction; files not recognised are skipped with the reason.
    Returns one entry per file (datasets.store.FolderEntry); done(entry, k, n) after each."""
    from alliancesim.datasets.store import DataStore

    return DataStore(data_store).import_folder(folder, done)


def data_list(*, data_store: str | Path | None = None) -> list[Any]:
    """What the data store holds: one record per imported dataset, with its citation."""
    from alliancesim.datasets.store import DataStore

    return DataStore(data_store).imported()


def data_kinds() -> list[Any]:
    """Every dataset kind the importer reads, with its layouts and releases."""
    from alliancesim.datasets.kinds import KINDS

    return list(KINDS.values())


def data_cite(scenario: str | Path | None = None, *,
              data_store: str | Path | None = None) -> str:
    """BibTeX for the datasets a scenario's values came from (every value's source names its
    dataset and release), or for everything imported when no scenario is given."""
    from alliancesim.datasets.citations import bibtex_for_scenario, bibtex_for_store
    from alliancesim.datasets.store import DataStore

    if scenario is None:
        return bibtex_for_store(DataStore(data_store).imported())
    sc = load_scenario_or_case(scenario)
    return bibtex_for_scenario(sc)


def data_build(alliance: str, *, year: int, victim: str | None = None,
               aggressor: str | None = None, threat: str | None = None,
               crisis: str | None = None, window: int | None = None,
               date: str | datetime.date | None = None,
               out: str | Path | None = None, data_store: str | Path | None = None) -> Any:
    """A scenario for `alliance` (a name, atop:ID or cow:ID) in `year`, built from the data
    store; written to `out` (YAML, atomically) when given. The crisis: `crisis` (an id from
    `data_crises`), else the most severe attack on a member's territory in the `window` years
    to `year`; `victim`/`aggressor` override its sides (a state, a bundled non-state actor or
    UCDP_N), `threat` its threat type, `date` (YYYY-MM-DD, in `year`) its day, which decides
    the membership. The result is checked by loading it as any scenario is. Returns
    datasets.build.Built (scenario dict, notes, datasets used)."""
    from alliancesim.datasets.build import build_scenario
    from alliancesim.datasets.crises import CRISIS_WINDOW
    from alliancesim.datasets.store import DataStore
    from alliancesim.scenario.schema import ThreatType
    from alliancesim.store.files import write_text_atomic

    if threat is not None and threat not in ThreatType.__members__:
        raise UsageError(f"unknown threat type; one of {', '.join(ThreatType.__members__)}",
                         param="threat", value=threat)
    day = _crisis_date(date)
    if out is not None:
        check_out_file(Path(out))
    built = build_scenario(DataStore(data_store), alliance, year, victim=victim,
                           aggressor=aggressor, threat=threat, crisis=crisis,
                           window=CRISIS_WINDOW if window is None else window, date=day)
    text = built.to_yaml()
    from alliancesim.scenario.loading import resolve, validate

    resolve(validate(Scenario, built.scenario, {}, f"<built {alliance} {year}>"))
    if out is not None:
        write_text_atomic(Path(out), text)
    return built


def _crisis_date(date: str | datetime.date | None) -> datetime.date | None:
    if date is None or isinstance(date, datetime.date):
        return date
    try:
        return datetime.date.fromisoformat(date)
    except ValueError:
        raise UsageError("a date is YYYY-MM-DD (e.g. 1968-08-20)", param="date",
                         value=date) from None


def data_crises(alliance: str, *, year: int, window: int | None = None,
                data_store: str | Path | None = None) -> tuple[list[Any], list[str]]:
    """The candidate crises of `alliance` in the `window` years to `year` (MIDs and UCDP
    conflicts that hit a member; datasets/crises.py gives the rules and the order), and the
    build's notes. Each is a datasets.crises.Candidate (`as_dict()` for JSON)."""
    from alliancesim.datasets.build import crisis_list
    from alliancesim.datasets.crises import CRISIS_WINDOW
    from alliancesim.datasets.store import DataStore

    found, built = crisis_list(DataStore(data_store), alliance, year,
                               CRISIS_WINDOW if window is None else window)
    return found, built.notes


def _say_fold(say: Callable[[str], None], scheme: str, k: int, n: int) -> None:
    say(f"held out, {scheme}: fold {k} of {n}")


def reliability_fit(*, data_store: str | Path | None = None,
                    progress: Callable[[str], None] | None = None) -> Any:
    """The member model on the large-N record of allies and disputes (MID, ATOP, NMC, COW,
    UN ideal points from the data store): coefficients with 90% intervals, held-out scores by
    dispute and by decade against the base rate, and the literature's fulfilment rates.
    Returns results.reliability.ReliabilityReport. progress(message) as each step starts
    (each held-out fold counted)."""
    import numpy as np

    from alliancesim.datasets.allies import build_record, case_allies
    from alliancesim.datasets.store import DataStore
    from alliancesim.experiments import reliability as rl
    from alliancesim.results.reliability import (
        CaseJoin,
        Coefficient,
        Fulfilment,
        HeldOut,
        ReliabilityReport,
    )

    def say(message: str) -> None:
        if progress:
            progress(message)

    store = DataStore(data_store)
    say("reading the record of allies and disputes")
    rec = build_record(store)
    say(f"fitting on {rec.y.size:,} ally-dispute observations")
    theta, cov, ll = rl.fit(rec.x, rec.y)
    coefs = [Coefficient(name=n, value=v, se=s, low=v - 1.645 * s, high=v + 1.645 * s)
             for n, v, s in rl.estimates(theta, cov)]
    held = []
    for scheme, folds in (("5-fold by dispute", rl.dispute_folds(rec)),
                          ("leave one decade out", rl.decade_folds(rec))):
        sc = rl.cross_validate(rec, folds, partial(_say_fold, say, scheme))
        held.append(HeldOut(scheme=scheme, log_score={k: v.log_score for k, v in sc.items()},
                            brier={k: v.brier for k, v in sc.items()},
                            auc={k: v.auc for k, v in sc.items()}))
    counts = np.bincount(rec.y, minlength=3)
    # the published codings the fulfilment rates read are cited beside the record's datasets
    codings = {i.kind: i.release for i in store.imported() if i.kind in rl.FULFILMENT_KINDS}
    say("scoring the bundled cases")
    forecasts = rl.score_cases(theta, rec, case_allies(store))
    scored = rl.case_scores(forecasts)
    return ReliabilityReport(
        observations=int(rec.y.size), disputes=int(np.unique(rec.dispute).size),
        outcomes={"did not join": int(counts[0]), "joined without force": int(counts[1]),
                  "joined with force": int(counts[2])},
        dropped_no_ideal_points=rec.dropped_no_ideal_points,
        excluded_for_cases=rec.excluded_for_cases, datasets={**rec.releases, **codings},
        log_likelihood=ll,
        coefficients=coefs, held_out=held,
        fulfilment=[Fulfilment(what=w, rate=r, n=n) for w, r, n in rl.fulfilment(store)],
        specification="docs/validation.md, 'The member model on the large-N record' "
                      "(frozen 2026-11-29)",
        cases=[CaseJoin(case_id=f.case_id, allies=f.allies, joined=f.joined,
                        probabilities=f.probs) for f in forecasts],
        case_log_score={k: v[0] for k, v in scored.items()},
        case_brier={k: v[1] for k, v in scored.items()})


EUM_VARIANTS = ("paper", "scholz_code")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def eum(table: str | Path | StakeholderTable, *, rounds: int = 8, variant: str = "paper",
        q: float = 1.0, t: float | None = None, span: float | None = None,
        plot: str | Path | None = None, **switches: Any) -> EUMReport:
    """Bueno de Mesquita's expected-utility model on a stakeholder table (a CSV file with
    actor, capability, position, salience; see docs/eum.md): positions per round, the
    weighted median and mean, the risk exponents, who took whose offer.

    variant: "paper" (Scholz et al.'s equations as printed) or "scholz_code" (their program
    as McKibben transcribes it, which gives their published rounds); `switches` (denominator,
    no_challenge, offers, conflict, perspective, votes) override one reading each
    (model/council/eum.EUMSettings). plot: the figure of the positions over the rounds
    (a .png, .svg or .pdf file).
    Raises ScenarioError for a bad table (file, line, column), UsageError for an option.
    """
    import dataclasses

    from alliancesim.model.council.eum import EUMSettings, bargain
    from alliancesim.results.bargaining import eum_report

    if variant not in EUM_VARIANTS:
        raise UsageError(f"unknown; valid: {', '.join(EUM_VARIANTS)}", param="variant",
                         value=variant)
    known = {f.name for f in dataclasses.fields(EUMSettings)} - {"rounds", "q", "t", "span"}
    for name in switches:
        if name not in known:
            raise UsageError(f"unknown option; valid: {', '.join(sorted(known))}", param=name)
    if plot is not None:
        if Path(plot).suffix.lower() not in FIGURE_SUFFIXES:
            raise UsageError(f"give a file ending in {', '.join(FIGURE_SUFFIXES)}",
                             param="plot", value=str(plot))
        check_out_file(Path(plot))
    base = EUMSettings.scholz_code() if variant == "scholz_code" else EUMSettings()
    settings = dataclasses.replace(base, rounds=rounds, q=q, t=t, span=span, **switches)
    stakeholders = table if isinstance(table, StakeholderTable) else read_stakeholders(table)
    game = bargain(np.array(stakeholders.capability), np.array(stakeholders.position),
                   np.array(stakeholders.salience), settings)
    report = eum_report(stakeholders, game, settings)
    if plot is not None:
        _write_png(Path(plot), report)
    return report


def _write_png(path: Path, report: EUMReport) -> None:
    """The figure of positions over rounds (PNG, SVG or PDF by the name's suffix), written via
    a temporary file and a rename."""
    import os
    import tempfile

    from alliancesim.report.bargaining import eum_figure
    from alliancesim.store.checks import refuse_special

    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix.lower(),
                               dir=path.parent)
    os.close(fd)
    try:
        eum_figure(report, Path(tmp))
        os.chmod(tmp, 0o644)
        refuse_special(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
