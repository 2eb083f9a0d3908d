"""Geography in the model: distances, the exposure rule, projection, travel and strength."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from alliancesim import load_scenario
from alliancesim.engine import draw_trials, run_pipeline
from alliancesim.model.crisis import aggressor_strength, projection
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.errors import ScenarioError
from alliancesim.scenario.geography import Geography, exposures, great_circle_km
from alliancesim.scenario.schema import Capital


def test_great_circle_distance_of_known_capitals() -> None:
    moscow = Capital(name="Moscow", lat=55.7558, lon=37.6173)
    paris = Capital(name="Paris", lat=48.8566, lon=2.3522)
    # 2,486 km by the haversine formula on the mean Earth radius (e.g. movable-type.co.uk)
    assert great_circle_km(moscow, paris) == pytest.approx(2486, abs=3)
    assert great_circle_km(paris, moscow) == great_circle_km(moscow, paris)
    assert great_circle_km(paris, paris) == 0.0


def _scenario(write_yaml: Any, **crisis: Any) -> Any:
    data: dict[str, Any] = {
        "name": "geo", "alliance": "csto",
        "crises": [{"id": "c", "victim": "TJK", "aggressor": "TALIBAN",
                    "threat": "interstate_attack", **crisis}]}
    geography = crisis.pop("geography", None)
    data["crises"][0].pop("geography", None)
    if geography is not None:
        data["geography"] = geography
    return load_scenario(write_yaml(data))


def test_bundled_geography_fills_capitals_and_pairs(write_yaml: Any) -> None:
    sc = _scenario(write_yaml)
    assert sc.actors["TJK"].capital is not None and sc.actors["TJK"].capital.name == "Dushanbe"
    assert sc.actors["TALIBAN"].capital is None  # non-state: no capital
    geo = Geography(sc)
    assert geo.facts("KGZ", "TJK").contiguity == 1  # COW Direct Contiguity: a land border
    assert geo.facts("BLR", "TJK").contiguity == 0
    model = compile_crisis(sc, 0)
    d = dict(zip(model.members, model.distance, strict=True))
    assert d["TJK"] == 0 and d["KGZ"] == 0  # the victim; a neighbour
    assert d["RUS"] == 0  # the 201st base in Tajikistan cancels the gradient
    assert d["BLR"] == pytest.approx(great_circle_km(sc.actors["BLR"].capital,
                                                     sc.actors["TJK"].capital))
    assert 3000 < d["BLR"] < 4000
    assert model.aggressor_distance == 0.0  # a non-state aggressor fights inside the victim


def test_exposure_rule_and_hand_values(write_yaml: Any) -> None:
    sc = _scenario(write_yaml, aggressor="UZB",
                   exposure={"ARM": {"value": 0.7, "reason": "a test"}, "BLR": 0.2})
    values, origins = exposures(sc, 0)
    e = dict(zip(sc.alliance.members, zip(values, origins, strict=True), strict=True))
    assert e["TJK"] == (1.0, "rule")  # E0 the victim
    assert e["KGZ"] == (0.3, "rule")  # E1 borders the victim (and the aggressor)
    assert e["KAZ"] == (0.3, "rule")  # E1 borders the aggressor, Uzbekistan
    assert e["ARM"] == (0.7, "hand: a test")
    assert e["BLR"] == (0.2, "hand")
    # E4: Russia is near neither (its nearest point to Tajikistan or Uzbekistan is > 200 km)
    assert 0.0 <= e["RUS"][0] < 0.1 and e["RUS"][1] == "rule"


def test_a_scenario_pair_overrides_the_bundled_one(write_yaml: Any) -> None:
    sc = _scenario(write_yaml, geography=[
        {"a": "BLR", "b": "TJK", "contiguity": 1, "distance_km": 0.0, "source": "a test"}])
    model = compile_crisis(sc, 0)
    i = model.members.index("BLR")
    assert model.distance[i] == 0.0 and model.exposure[i] == 0.3


def test_unknown_actor_in_geography_is_a_precise_error(write_yaml: Any) -> None:
    with pytest.raises(ScenarioError) as err:
        _scenario(write_yaml, geography=[{"a": "XXX", "b": "TJK", "contiguity": 1}])
    assert "geography" in str(err.value) and "XXX" in str(err.value)


def test_projection_and_aggressor_strength_equations() -> None:
    assert projection(0.0, 5000.0) == 1.0
    assert projection(5000.0, 5000.0) == 0.5
    v = {"aggressor_troops": np.array([100_000.0]), "aggressor_commitment": np.array([0.3]),
         "geography.half_strength_km": np.array([5000.0])}
    assert aggressor_strength(v, 0.0)[0] == pytest.approx(30_000)
    assert aggressor_strength(v, 10_000.0)[0] == pytest.approx(10_000)  # g = 1/3
    given = {"aggressor_strength": np.array([777.0])}
    assert aggressor_strength(given, 10_000.0)[0] == 777.0  # a given strength is not discounted


def test_distance_delays_and_shrinks_a_far_members_contingent(write_yaml: Any) -> None:
    """Belarus, 3,500 km from Dushanbe, sends less and later than with the gradient off."""
    base = {"request": "military", "aggressor_strength": 20000}
    far = _scenario(write_yaml, **base)
    off = far.model_copy(update={"parameters": far.parameters.model_copy(update={
        "geography": far.parameters.geography.model_copy(update={
            "half_strength_km": 1e6, "km_per_day": 1e6})})})
    m_far, m_off = compile_crisis(far, 0), compile_crisis(off, 0)
    inputs = draw_trials(m_far, seed=3, start_block=0, stop_block=1, trials=2000)
    r_far, r_off = run_pipeline(m_far, inputs), run_pipeline(m_off, inputs)
    b = m_far.members.index("BLR")
    sent = r_off.troops[:, b] > 0
    assert sent.any()
    assert (r_far.troops[:, b] <= r_off.troops[:, b] + 1e-9).all()
    standing = far.alliance.standing_forces["BLR"].troops
    g = 1.0 / (1.0 + m_far.distance[b] / 5000.0)
    assert r_far.troops[:, b].max() <= standing * g + 1e-6


def test_travel_adds_distance_over_pace_to_arrival() -> None:
    from alliancesim.model.deployment import trial_deployment

    sent, based = np.array([500.0, 500.0]), np.array([0.0, 0.0])
    distance = np.array([0.0, 3500.0])
    arrival, day0, later = np.empty(2), np.empty(2), np.empty(2)
    first = trial_deployment(4, 1.0, 0.5, np.array([1.0, 2.0]), 1.0, distance, 2000.0, sent,
                             based, arrival, day0, later)
    assert list(arrival) == [3.0, math.ceil(1.0 + 2.0 + 1.0 + 3500.0 / 2000.0)]  # 3, 6
    assert first == 3.0
