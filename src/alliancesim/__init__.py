"""alliancesim: simulate collective-security alliances in crises.

Python API::

    from alliancesim import load_scenario, simulate
    scenario = load_scenario("csto-2021-autumn")
    ensemble = simulate(scenario, trials=20_000, seed=1)
    ensemble.summary()      # typed per-crisis summaries
    ensemble.to_pandas()    # one row per crisis and trial
"""

from alliancesim.api import load_scenario, simulate
from alliancesim.results.ensemble import Ensemble
from alliancesim.scenario.errors import ScenarioError
from alliancesim.scenario.schema import Scenario

__all__ = ["Ensemble", "Scenario", "ScenarioError", "load_scenario", "simulate"]
__version__ = "0.1.0"
