"""alliancesim: simulate collective-security alliances in crises.

Python API::

    from alliancesim import load_scenario, simulate
    scenario = load_scenario("csto-2021-autumn")
    ensemble = simulate(scenario, trials=20_000, seed=1)
    ensemble.summary()      # typed per-crisis summaries
    ensemble.to_pandas()    # one row per crisis and trial
"""

from alliancesim._version import __version__
from alliancesim.api import calibrate, hindcast, load_scenario, score_cases, simulate
from alliancesim.results.ensemble import Ensemble
from alliancesim.scenario.errors import ScenarioError, UsageError
from alliancesim.scenario.schema import Scenario

__all__ = ["Ensemble", "Scenario", "ScenarioError", "UsageError", "__version__", "calibrate",
           "hindcast", "load_scenario", "score_cases", "simulate"]
