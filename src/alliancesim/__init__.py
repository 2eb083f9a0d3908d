"""alliancesim: simulate collective-security alliances in crises.

Python API (the front door is alliancesim.api; its main verbs are re-exported here)::

    from alliancesim import load_scenario, simulate
    scenario = load_scenario("csto-2021-autumn")
    ensemble = simulate(scenario, trials=20_000, seed=1)
    ensemble.summary()      # typed per-crisis summaries
    ensemble.to_pandas()    # one row per crisis and trial

The names are imported on first use, so that importing a submodule (a backend worker imports
alliancesim.engine) does not load the whole package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from alliancesim._version import __version__

if TYPE_CHECKING:
    from alliancesim._malloc import tune_allocator
    from alliancesim.api import calibrate, hindcast, load_scenario, score_cases, simulate
    from alliancesim.results.ensemble import Ensemble
    from alliancesim.scenario.errors import ScenarioError, UsageError
    from alliancesim.scenario.schema import Scenario

_LAZY = {
    "calibrate": "alliancesim.api", "hindcast": "alliancesim.api",
    "load_scenario": "alliancesim.api", "score_cases": "alliancesim.api",
    "simulate": "alliancesim.api", "Ensemble": "alliancesim.results.ensemble",
    "ScenarioError": "alliancesim.scenario.errors", "UsageError": "alliancesim.scenario.errors",
    "Scenario": "alliancesim.scenario.schema", "tune_allocator": "alliancesim._malloc",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'alliancesim' has no attribute {name!r}")


__all__ = ["Ensemble", "Scenario", "ScenarioError", "UsageError", "__version__", "calibrate",
           "hindcast", "load_scenario", "score_cases", "simulate", "tune_allocator"]
