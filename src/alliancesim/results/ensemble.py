"""The ensemble: every trial of every crisis of a scenario, with the settings that made it."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from alliancesim.backends import Backend, Task, make_backend
from alliancesim.engine import (
    BLOCK,
    GROUP,
    TrialResults,
    chunks,
    default_chunk,
    stream,
)
from alliancesim.model.engagement import OUTCOMES
from alliancesim.results.bands import benchmark
from alliancesim.results.summary import EnsembleSummary, summarise
from alliancesim.results.tally import RunningTotal, Tally, chunk_tally
from alliancesim.results.tidy import column_name
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis, compile_crisis
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.limits import MAX_CHUNK as MAX_CHUNK  # the largest chunk allowed
from alliancesim.scenario.schema import RUNGS, Alliance, Scenario

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Ensemble:
    """Results of simulating a (resolved) scenario.

    tallies (one per crisis) hold everything the summary needs; results, the per-trial arrays,
    are kept only when asked (keep_trials) since they grow with the number of trials.
    """

    scenario: Scenario
    trials: int
    seed: int
    chunk_size: int
    backend: str
    crises: tuple[CompiledCrisis, ...]
    tallies: tuple[Tally, ...]
    results_: tuple[TrialResults, ...] | None
    files: tuple[Path, ...] = ()  # what simulate(..., out=) wrote
    # crisis id -> request level -> (the crisis with the request fixed at that level, its
    # tally): the runs that give the headlines conditional on the request (by_request)
    by_request: dict[str, dict[str, tuple[CompiledCrisis, Tally]]] = dataclasses.field(
        default_factory=dict)

    @property
    def results(self) -> tuple[TrialResults, ...]:
        if self.results_ is None:
            raise ValueError("per-trial results were not kept: simulate(..., keep_trials=True)")
        return self.results_

    def __getitem__(self, crisis_id: str) -> TrialResults:
        for c, r in zip(self.crises, self.results, strict=True):
            if c.crisis_id == crisis_id:
                return r
        raise KeyError(f"no crisis '{crisis_id}' (have: {[c.crisis_id for c in self.crises]})")

    def summary(self) -> EnsembleSummary:
        from alliancesim._version import __version__

        names = {k: a.name for k, a in self.scenario.actors.items()}
        alliance = self.scenario.alliance
        assert isinstance(alliance, Alliance)
        bench = benchmark(alliance)
        return EnsembleSummary(
            scenario=self.scenario.name, title=self.scenario.title, alliance=alliance.name,
            trials=self.trials, seed=self.seed, version=__version__,
            crises=[summarise(c, t, names, bench, self.by_request.get(c.crisis_id))
                    for c, t in zip(self.crises, self.tallies, strict=True)],
            request_stage=bench.request_stage, held_out=bench.held_out,
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per crisis and trial; troops_<ID> and preferred_<ID> per member; each drawn
        input as input_<NAME> (dots and dashes as underscores: tidy.column_name); under
        parameter uncertainty, parameter_group (the trial's group of engine.GROUP trials, which
        share one parameter set) and parameter_draw (the index of the calibration's stored
        posterior draw that group took: equal ids, equal council and request parameters)."""
        import pandas as pd

        frames = []
        for c, r in zip(self.crises, self.results, strict=True):
            f = trial_frame(c, r)
            if c.posterior is not None:
                f.insert(2, "parameter_draw", posterior_draw_index(c, self.seed, r.n))
            frames.append(f)
        df = pd.concat(frames, ignore_index=True)
        df["crisis"] = df["crisis"].astype("category")
        return df


def posterior_draw_index(model: CompiledCrisis, seed: int, n: int) -> np.ndarray:
    """For each of the first n trials, the index of the posterior draw its group takes: the
    first numbers of each block's 'parameters' stream, as engine.parameter_draws draws them
    (every block draws BLOCK trials, BLOCK / GROUP groups, before it is cut to n)."""
    assert model.posterior is not None
    draws = model.posterior.council_draws.shape[0]
    out = np.empty(n, dtype=np.int64)
    for b in range(-(-n // BLOCK)):
        index = stream(seed, model.crisis_id, b, "parameters").integers(0, draws,
                                                                         size=BLOCK // GROUP)
        k = min(BLOCK, n - b * BLOCK)
        out[b * BLOCK: b * BLOCK + k] = np.repeat(index, GROUP)[:k]
    return out


def trial_frame(model: CompiledCrisis, r: TrialResults, first_trial: int = 0) -> pd.DataFrame:
    """The per-trial results of one crisis (or one chunk of it) as a data frame."""
    import pandas as pd

    cols: dict[str, object] = {
        "crisis": np.full(r.n, model.crisis_id, dtype=object),
        "trial": np.arange(first_trial, first_trial + r.n),
        "request": _cat(r.request, REQUEST_LEVELS),
        "response": _cat(r.rung, RUNGS),
        "acts_without_alliance": r.fallback,
    }
    for i, m in enumerate(model.members):
        cols[f"preferred_{m}"] = _cat(r.preferred[:, i], RUNGS)
    for i, m in enumerate(model.members):
        cols[f"troops_{m}"] = r.troops[:, i]
    cols.update({
        "troops_total": r.troops.sum(axis=1),
        "first_arrival_day": r.first_arrival,
        "outcome": _cat(r.outcome, OUTCOMES),
        "end_day": r.end_day,
        "defender_losses": r.defender_losses,
        "aggressor_losses": r.aggressor_losses,
        "outcome_alone": _cat(r.outcome_alone, OUTCOMES),
        "end_day_alone": r.end_day_alone,
        "defender_losses_alone": r.defender_losses_alone,
        "aggressor_losses_alone": r.aggressor_losses_alone,
    })
    for k, name in enumerate(model.uncertain):  # the trial's drawn inputs beside its outcomes
        cols[f"input_{column_name(name)}"] = r.drawn[:, k]
    frame = pd.DataFrame(cols)
    if model.posterior is not None:  # the group of trials sharing one parameter draw
        frame.insert(2, "parameter_group", frame["trial"].to_numpy() // GROUP)
    return frame


def prototype_results(model: CompiledCrisis) -> TrialResults:
    """One trial of a crisis, all zeros, with its arrays' types and widths: what trial_frame's
    columns and their types are for it (one row, so that pandas infers every column's type)."""
    M, U = len(model.members), len(model.uncertain)
    one = {"request": np.int8, "rung": np.int8, "fallback": bool, "first_arrival": float,
           "outcome": np.int8, "end_day": np.int16, "outcome_alone": np.int8,
           "end_day_alone": np.int16}
    wide = {"preferred": np.int8, "holds_out": bool, "sole_veto": bool, "troops": float}
    fields: dict[str, np.ndarray] = {}
    for f in TrialResults.__dataclass_fields__:
        if f in wide:
            fields[f] = np.zeros((1, M), dtype=wide[f])
        elif f == "drawn":
            fields[f] = np.zeros((1, U))
        else:
            fields[f] = np.zeros(1, dtype=one.get(f, float))
    return TrialResults(**fields)


def _cat(codes: np.ndarray, labels: tuple[str, ...]) -> pd.Categorical[str]:
    import pandas as pd

    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(labels)),
                                     ordered=True)  # the ladder's (and outcomes') order


KEEP_TRIALS_LIMIT = 2_000_000  # trials x crises kept per trial by default


def fixed_request(scenario: Scenario, level: str) -> Scenario | None:
    """The scenario's crises whose request is left to the request stage ("auto"), with the
    request fixed at `level` (None if every crisis fixes its own). A crisis keeps its id, so
    every random stream draws what it draws in the scenario itself: common random numbers."""
    crises = [c.model_copy(update={"request": level}) for c in scenario.crises
              if c.request == "auto"]
    return scenario.model_copy(update={"crises": crises}) if crises else None


def trials_to_run(scenario: Scenario, trials: int | None = None, by_request: bool = False
                  ) -> int:
    """How many trials simulate_scenario runs in all (what its progress callback counts)."""
    n = scenario.trials if trials is None else trials
    drawn = sum(c.request == "auto" for c in scenario.crises) if by_request else 0
    return n * (len(scenario.crises) + len(REQUEST_LEVELS) * drawn)


def simulate_scenario(scenario: Scenario, trials: int | None = None, seed: int | None = None,
                      chunk_size: int | None = None,
                      progress: Callable[[int], None] | None = None,
                      backend: str | Backend = "local", workers: int | None = None,
                      address: str | None = None, keep_trials: bool | None = None,
                      on_trials: Callable[[CompiledCrisis, TrialResults, int], None] | None = None,
                      by_request: bool = False) -> Ensemble:
    """Run every crisis; see alliancesim.api.simulate.

    on_trials, when given, receives each chunk's per-trial results in order (crisis, results,
    index of its first trial), so that they can be streamed to disk without being kept.
    by_request: also run every crisis whose request is drawn ("auto") with the request fixed at
    each level, with the same seed and trials (Ensemble.by_request; not streamed or kept per
    trial).
    """
    n = scenario.trials if trials is None else trials
    s = scenario.seed if seed is None else seed
    if n < 1:
        raise UsageError("must be at least 1", param="trials", value=n)
    if chunk_size is not None and not 1 <= chunk_size <= MAX_CHUNK:
        raise UsageError(f"must be in 1..{MAX_CHUNK:,}", param="chunk_size", value=chunk_size)
    models = tuple(compile_crisis(scenario, i) for i in range(len(scenario.crises)))
    chunk = (default_chunk(max(m.n_members for m in models)) if chunk_size is None
             else chunk_size)
    keep = (n * len(models) <= KEEP_TRIALS_LIMIT) if keep_trials is None else keep_trials
    owned = isinstance(backend, str)
    engine = make_backend(backend, workers, address) if isinstance(backend, str) else backend
    conditional: dict[str, dict[str, tuple[CompiledCrisis, Tally]]] = {}
    with contextlib.ExitStack() as stack:
        if owned:
            stack.enter_context(engine)
        tallies, results = _run(models, engine, s, n, chunk, keep, progress, on_trials)
        # every level's runs in one batch of tasks (a pool keeps busy across them)
        at = [(level, compile_crisis(fixed, i)) for level in REQUEST_LEVELS if by_request
              for fixed in [fixed_request(scenario, level)] if fixed is not None
              for i in range(len(fixed.crises))]
        fixed_tallies, _ = _run(tuple(m for _, m in at), engine, s, n, chunk, False, progress,
                                None)
        for (level, m), t in zip(at, fixed_tallies, strict=True):
            conditional.setdefault(m.crisis_id, {})[level] = (m, t)
    return Ensemble(scenario, n, s, chunk, engine.name, models, tallies,
                    results if keep else None, by_request=conditional)


def _run(models: tuple[CompiledCrisis, ...], engine: Backend, seed: int, n: int, chunk: int,
         keep: bool, progress: Callable[[int], None] | None,
         on_trials: Callable[[CompiledCrisis, TrialResults, int], None] | None,
         ) -> tuple[tuple[Tally, ...], tuple[TrialResults, ...]]:
    """Run the crises' chunks on a started backend: each crisis's tally (and, if keep, its
    per-trial results), in the crises' order."""
    if not models:
        return (), ()
    tasks = [(k, Task(m, seed, b0, b1, n, keep or on_trials is not None, chunk_tally))
             for k, m in enumerate(models) for b0, b1 in chunks(n, chunk)]
    # each chunk's tallies folded into its crisis's running total as it returns, in block order
    # (engine.map yields in task order): the sums of Tally.total, without holding every block's
    totals = [RunningTotal() for _ in models]
    kept: list[list[TrialResults]] = [[] for _ in models]
    for (k, task), out in zip(tasks, engine.map([t for _, t in tasks]), strict=True):
        if on_trials is not None and out.results is not None:
            on_trials(task.model, out.results, task.first_block * BLOCK)
        totals[k].add(out.reduced)
        if keep and out.results is not None:
            kept[k].append(out.results)
        if progress is not None:
            progress(min(n, task.stop_block * BLOCK) - task.first_block * BLOCK)
    tallies = tuple(t.result() for t in totals)
    results = tuple(TrialResults.concat(r) for r in kept) if keep else ()
    return tallies, results
