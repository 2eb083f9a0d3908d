"""sweep: any scenario quantity over a grid or a Latin hypercube, common random numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alliancesim import api
from alliancesim.scenario.errors import ScenarioError, UsageError

STAKE = "parameters.council.coefficients.leader_stake"


def test_a_sweep_of_the_leader_s_stake_is_monotone_where_the_model_says_so() -> None:
    """Russia is tied to Armenia (the 102nd base): a larger weight on the leader's stake raises
    Russia's support in every trial, so under consensus the collective rung, and Russia acting
    alone, can only rise. With common random numbers the curve is exactly monotone."""
    r = api.sweep("csto-2021-autumn", vary=[f"{STAKE}=-1:3:9"], trials=4000)
    col = r.columns()[STAKE]
    arm = r.to_pandas().query('crisis == "armenia-attack" and member == "all"')
    curves = {h: g.sort_values(col)["value"].to_numpy() for h, g in arm.groupby("headline")}
    assert len(curves["military help"]) == 9
    for h in ("mission or more", "acts without the alliance"):
        assert np.all(np.diff(curves[h]) >= 0), curves[h].tolist()
    assert curves["acts without the alliance"][-1] > curves["acts without the alliance"][0]


def test_a_grid_of_two_and_a_latin_hypercube(tmp_path: Path) -> None:
    grid = api.sweep("csto-2021-autumn",
                     vary=[f"{STAKE}=0:2:3", "crises.armenia-attack.aggressor_strength=5000:"
                           "20000:2"], trials=1000, out=tmp_path / "grid")
    assert {p.point for p in grid.points} == set(range(6)) and len(grid.points) == 6 * 4
    assert (tmp_path / "grid" / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads((tmp_path / "grid" / "run.json").read_text())["kind"] == "sweep"
    lhs = api.sweep("csto-2021-autumn", vary=[f"{STAKE}=0:2", "parameters.council."
                                               "unilateral_margin=0:3"], lhs=7, trials=500)
    values = sorted(p.values[STAKE] for p in lhs.points if p.crisis_id == "tjk-incursion")
    # a Latin hypercube: one point in each seventh of the range
    assert [int(v / 2 * 7) for v in values] == list(range(7))


@pytest.mark.parametrize(("vary", "error", "message"), [
    (["leader_stake"], UsageError, "PATH=LOW:HIGH:STEPS"),
    ([f"{STAKE}=0:1:2.5"], UsageError, "PATH=LOW:HIGH:STEPS"),
    ([f"{STAKE}=0:1:0"], UsageError, "STEPS between 1 and 1000"),
    ([f"{STAKE}=0:1:200", "trust=0:1:200"], UsageError, "10,000 points"),
    (["crises.nosuch.trust=0:1:2"], ScenarioError, "no item 'nosuch'"),
    (["parameters.council.coefficients.leader_stake=5000:6000:2"], ScenarioError,
     "outside the valid range"),
])
def test_bad_sweeps_are_precise_errors(vary: list[str], error: type[Exception],
                                       message: str) -> None:
    with pytest.raises(error, match=message):
        api.sweep("csto-2021-autumn", vary=vary, trials=100)
