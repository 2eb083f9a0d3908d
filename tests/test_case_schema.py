"""Cases in any alliance (issue 20): an inline alliance, actors and geography of its own,
affinities from data kept apart from judgements, contributions of aircraft and ships."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from alliancesim.cases import design, load_case, to_scenario, troops_of
from alliancesim.cases.case import contribution_text
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.errors import ScenarioError

CASE: dict[str, Any] = {
    "id": "rio_1955_costa_rica_test",
    "title": "A test case in an alliance the package does not bundle",
    "date": "1955-01-11",
    "alliance": {
        "id": "rio-test", "name": "Inter-American Treaty (test)", "as_of": "1955",
        "members": ["USA", "MEX", "CRI", "NIC"], "leader": "USA",
        "source": "a fixture: four of the members",
        "decision_rule": {"rule": "qualified_majority", "threshold": 0.667,
                          "source": "Rio Treaty art. 17: two thirds of the signatories"},
    },
    "actors": {
        "CRI": {"name": "Costa Rica", "troops": 1500,
                "capital": {"name": "San Jose", "lat": 9.93, "lon": -84.08,
                            "source": "a fixture"}},
        "NIC": {"name": "Nicaragua", "troops": 4000,
                "capital": {"name": "Managua", "lat": 12.13, "lon": -86.25,
                            "source": "a fixture"}},
    },
    "geography": [{"a": "CRI", "b": "NIC", "contiguity": 1, "distance_km": 0.0,
                   "source": "a fixture"}],
    "requester": "Costa Rica",
    "adversary": "forces from Nicaragua",
    "crisis": {"id": "cri-1955", "victim": "CRI", "aggressor": "NIC",
               "threat": "interstate_attack", "request": "military",
               "aggressor_strength": 1000},
    "affinity_data": [{"a": "USA", "b": "CRI", "value": 0.6,
                       "reason": "a dataset figure [ideal-points test]"}],
    "affinity": [{"a": "MEX", "b": "NIC", "value": 0.1, "reason": "a judgement"}],
    "observed": {"decision": "collective_military", "rung": "military",
                 "contributions": {"USA": {"aircraft": 4, "source": "a fixture"}}},
    "sources": ["a fixture"],
}


def _write(tmp_path: Path, data: dict[str, Any]) -> Path:
    p = tmp_path / f"{data['id']}.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def test_a_case_in_an_inline_alliance_loads_compiles_and_has_a_design(tmp_path: Path) -> None:
    case = load_case(_write(tmp_path, CASE))
    assert case.alliance_id == "rio-test"
    sc = to_scenario(case)
    model = compile_crisis(sc, 0)
    assert model.members == ("USA", "MEX", "CRI", "NIC")
    nic = model.members.index("NIC")
    assert model.exposure[nic] == 0.3 and model.distance[nic] == 0.0  # the fixture's border
    usa = model.members.index("USA")
    assert 3000 < model.distance[usa] < 4000  # Washington to San Jose by the capitals
    d = design(model, observed=4, case_id=case.id)
    assert d.alliance == "rio-test"


def test_data_affinities_are_not_relabelled_judgement(tmp_path: Path) -> None:
    sc = to_scenario(load_case(_write(tmp_path, CASE)))
    reasons = {frozenset((p.a, p.b)): p.reason for p in sc.affinity}
    assert reasons[frozenset(("USA", "CRI"))] == "a dataset figure [ideal-points test]"
    assert reasons[frozenset(("MEX", "NIC"))].startswith("JUDGEMENT")


def test_contributions_of_aircraft_and_ships() -> None:
    from alliancesim.cases import Contribution

    c = Contribution(aircraft=4, ships=2)
    assert troops_of(c) is None and troops_of(350) == 350 and troops_of("unconfirmed") is None
    assert contribution_text(c) == "4 aircraft, 2 ships"
    assert contribution_text(1200) == "1,200" and contribution_text("unconfirmed") == "?"
    with pytest.raises(ValueError, match="troops, aircraft or ships"):
        Contribution()


def test_bad_case_files_get_precise_errors(tmp_path: Path) -> None:
    bad = {**CASE, "affinity_data": [{"a": "USA", "b": "CRI", "value": 0.6}]}
    with pytest.raises(ScenarioError, match="affinity_data pairs need their dataset"):
        load_case(_write(tmp_path, bad))
    unknown = {**CASE, "id": "x", "alliance": "rio"}
    with pytest.raises(ScenarioError, match=r"unknown alliance 'rio'.*inline"):
        load_case(_write(tmp_path, unknown))
    missing = {**CASE, "id": "y", "actors": {}}
    with pytest.raises(ScenarioError, match="CRI"):
        load_case(_write(tmp_path, missing))
