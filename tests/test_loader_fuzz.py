"""Any scenario a user can write either loads or fails with a ScenarioError: never a traceback."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliancesim import ScenarioError, load_scenario, simulate
from conftest import BASE
from fuzzing import _paths as all_paths

LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
    st.text(max_size=8), st.lists(st.integers(-5, 5), max_size=5),
    st.fixed_dictionaries({"dist": st.sampled_from(["uniform", "normal", "beta", "gamma", "x"]),
                           "low": st.floats(allow_nan=True), "high": st.floats(allow_nan=True)}),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


def _paths(data: Any) -> list[tuple[Any, ...]]:
    """Every path to a value, the root left out."""
    return [p for p in all_paths(data) if p]


BASE_PLUS = copy.deepcopy(BASE)
BASE_PLUS["parameters"] = {"council": {"cutpoints": [-1.0, 0.0, 1.0, 2.0], "noise": "independent"},
                           "engagement": {"horizon_days": 30}}
BASE_PLUS["crises"][0]["trust"] = 0.5
PATHS = _paths(BASE_PLUS)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(PATHS), value=LEAVES, tmp=st.just(None))
def test_mutated_scenarios_load_or_fail_cleanly(tmp_path_factory, path, value, tmp) -> None:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(BASE_PLUS)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    folder: Path = tmp_path_factory.mktemp("fuzz")
    f = folder / "s.yaml"
    f.write_text(yaml.safe_dump(data))
    try:
        sc = load_scenario(f)
    except ScenarioError as exc:
        assert exc.problems and all(str(p).startswith(str(f)) for p in exc.problems)
        return
    # what loads also runs
    simulate(sc, trials=50, seed=0)
