"""The bundled data: every figure carries a source, and matches the reference sheet."""

from __future__ import annotations

import csv

import pytest

from alliancesim.data import bundled
from alliancesim.scenario.loading import bundled_actors, bundled_affinity, bundled_alliance
from conftest import SHARED, needs_shared


def test_every_actor_has_a_source() -> None:
    for aid, actor in bundled_actors().items():
        assert actor.source, aid


def test_every_alliance_provision_has_a_source() -> None:
    for name in bundled.alliance_names():
        a = bundled_alliance(name)
        assert a.source and a.decision_rule.source
        assert all(c.source for c in a.scope.values())
        assert all(f.source for f in a.standing_forces.values())
        assert all(b.source for b in a.bases)
        assert all(t.source for t in a.ties)
        assert a.decision_delay_days.source
        known = bundled_actors()
        assert set(a.members) <= set(known), set(a.members) - set(known)


def test_every_affinity_has_a_reason() -> None:
    _, pairs = bundled_affinity()
    assert all(p.reason for p in pairs)
    keys = [frozenset((p.a, p.b)) for p in pairs]
    assert len(keys) == len(set(keys)), "a pair is listed twice"


def test_csto_provisions() -> None:
    csto = bundled_alliance("csto")
    assert csto.members == ["RUS", "BLR", "ARM", "KAZ", "KGZ", "TJK"]
    assert csto.leader == "RUS" and csto.decision_rule.rule == "consensus"
    bases = {(b.owner, b.host): b.troops for b in csto.bases}
    assert bases == {("RUS", "TJK"): 7000, ("RUS", "KGZ"): 400, ("RUS", "ARM"): 3000}
    pledges = {k: v.troops for k, v in csto.standing_forces.items()}
    assert pledges["RUS"] == 8000 and pledges["BLR"] == 5000 and pledges["KAZ"] == 4000


@needs_shared("reference", "states.csv")
def test_state_figures_match_the_reference_sheet() -> None:
    actors = bundled_actors()
    with open(SHARED / "reference" / "states.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["year"] == "2021"]
    checked = 0
    for r in rows:
        a = actors.get(r["iso3"])
        if a is None:
            continue
        if r["troops_active"] != "unconfirmed":
            assert a.troops == float(r["troops_active"]), r["iso3"]
            checked += 1
        if r["milex_usd_m"] != "unconfirmed":
            assert a.milex_usd_m == pytest.approx(float(r["milex_usd_m"])), r["iso3"]
        else:
            assert a.milex_usd_m is None, r["iso3"]
    assert checked >= 9


@needs_shared("datasets", "peacesciencer_derived", "cow_nmc.csv")
def test_nato_troops_match_cow_nmc() -> None:
    """Troops cited to COW NMC v7.0 equal its milper (thousands) for the year cited."""
    import re

    actors = bundled_actors()
    milper = {}
    with open(SHARED / "datasets" / "peacesciencer_derived" / "cow_nmc.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["milper"]:
                milper[(int(float(r["ccode"])), int(float(r["year"])))] = float(r["milper"]) * 1000
    checked = 0
    for a in actors.values():
        m = re.search(r"ccode (\d+),? (?:milper )?(\d{4})", a.source)
        if m and "COW National Material Capabilities v7.0" in a.source:
            assert a.troops == milper[(int(m.group(1)), int(m.group(2)))], a.name
            checked += 1
    assert checked >= 25


def test_the_scenario_reference_shows_the_real_defaults() -> None:
    """docs/scenario.md's parameters block is the schema's defaults (docs stay true)."""
    from pathlib import Path

    import yaml

    from alliancesim.scenario.schema import Parameters

    text = (Path(__file__).resolve().parents[1] / "docs" / "scenario.md").read_text()
    block = text.split("```yaml\nparameters:")[1].split("```")[0]
    documented = yaml.safe_load("parameters:" + block)["parameters"]
    actual = Parameters().model_dump(mode="json", by_alias=True)
    for group, values in documented.items():
        for key, value in values.items():
            assert actual[group][key] == value, (group, key)


def test_the_case_file_reference_lists_every_field() -> None:
    """docs/scenario.md documents every field of a case file (docs stay true)."""
    from pathlib import Path

    from alliancesim.cases import Case, Observed

    text = (Path(__file__).resolve().parents[1] / "docs" / "scenario.md").read_text()
    section = text.split("## Case files")[1]
    for name in Case.model_fields:
        assert f"`{name}`" in section, name
    for name in Observed.model_fields:
        assert f"`observed.{name}`" in section, name
