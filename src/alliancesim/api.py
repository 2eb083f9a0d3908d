"""The Python API: load a scenario, simulate it (see alliancesim.__init__)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alliancesim.results.ensemble import Ensemble, simulate_scenario
from alliancesim.results.trials import TrialResults
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.loading import load_scenario as _load
from alliancesim.scenario.loading import resolve
from alliancesim.scenario.schema import Scenario


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load a scenario file, or a bundled scenario by name, resolved and checked.

    Raises ScenarioError with one Problem per thing wrong (file, line, field, message).
    """
    return _load(path_or_name)


def simulate(scenario: Scenario | str | Path, trials: int | None = None, seed: int | None = None,
             chunk_size: int | None = None,
             progress: Callable[[int], None] | None = None, backend: str = "local",
             workers: int | None = None, address: str | None = None,
             keep_trials: bool | None = None,
             on_trials: Callable[[CompiledCrisis, TrialResults, int], None] | None = None,
             ) -> Ensemble:
    """Simulate every crisis of a scenario `trials` times.

    trials and seed default to the scenario's own. backend: "local" (in-process), "process"
    (a pool of `workers` local processes) or "ray" (a Ray cluster at `address`, else local Ray).
    keep_trials: keep per-trial arrays (needed for to_pandas); by default only up to 2 million
    trials in all, beyond which the ensemble keeps its summary statistics only (bounded memory).
    on_trials: a callback receiving each chunk's per-trial results in order (e.g. to stream
    them to disk). The numbers depend on (scenario, trials, seed) only: not on chunk_size,
    backend or workers.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    elif isinstance(scenario.alliance, str):
        scenario = resolve(scenario)
    return simulate_scenario(scenario, trials=trials, seed=seed, chunk_size=chunk_size,
                             progress=progress, backend=backend, workers=workers,
                             address=address, keep_trials=keep_trials, on_trials=on_trials)
