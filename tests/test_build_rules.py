"""The rules of `data build` and `data crises` on small invented fixtures: the leader's
branches, membership by entry and exit dates, the territory rule and the order of crises,
non-state aggressors, the leader's stake and the geography (docs/data.md, "Building a
scenario" and "Crises worth simulating"; fixtures: tests/fixtures/build/README.md).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from alliancesim import api
from alliancesim.data import bundled
from alliancesim.datasets import crises
from alliancesim.datasets import kinds as kinds_module
from alliancesim.datasets.build import build_scenario, crisis_list
from alliancesim.datasets.context import BuildContext
from alliancesim.datasets.geography import capital, pairs
from alliancesim.datasets.leaders import choose_leader, leader_stake
from alliancesim.datasets.membership import (
    OBLIGATIONS,
    alliance_entries,
    alliance_ref,
    in_force,
    members_on,
)
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.errors import ScenarioError, UsageError

FIX = Path(__file__).parent / "fixtures"
FILES = [
    ("nmc", "datasets/nmc_v5.csv"), ("cow-majors", "datasets/majors2011.csv"),
    ("atop-members", "datasets/atop_members.csv"),
    ("atop-alliances", "datasets/atop_alliances.csv"),
    ("mid-participants", "build/midb.csv"), ("ucdp-acd", "build/ucdp_acd.csv"),
    ("cow-contiguity", "geography/contdir.csv"), ("cow-capitals", "geography/cow_capitals.csv"),
    ("maoz-powers", "geography/maoz_powers.csv"), ("td-rivalries", "geography/td_rivalries.csv"),
    ("cow-mindist", "geography/cow_mindist.csv"),
]
D = datetime.date


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataStore]:
    """The fixtures imported; peacesciencer re-saves' fixed row counts set aside for the small
    files (the counts are tested on the real files in test_geography_import.py)."""
    s = DataStore(tmp_path_factory.mktemp("rules") / "datasets.duckdb")
    with pytest.MonkeyPatch.context() as mp:
        for name, kind in list(kinds_module.KINDS.items()):
            layouts = tuple(dataclasses.replace(lay, rows=None) for lay in kind.layouts)
            mp.setitem(kinds_module.KINDS, name, dataclasses.replace(kind, layouts=layouts))
        for name, rel in FILES:
            s.import_file(name, FIX / rel)
    yield s


def _ctx(store: DataStore, year: int) -> BuildContext:
    return BuildContext(store, year)


# --------------------------------------------------------------------------- membership
def test_in_force_reads_entry_and_exit_days() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE m (member INT, yrent INT, moent INT, dayent INT, yrexit INT, "
                "moexit INT, dayexit INT)")
    con.execute("INSERT INTO m VALUES (1, 1955, 5, 14, 1968, 9, 12), (2, 1982, 11, 8, 0, 0, 0), "
                "(3, 1990, NULL, NULL, 1995, NULL, NULL), (4, 2000, 3, NULL, 2001, 6, NULL)")

    def on(day: D) -> list[int]:
        return [r[0] for r in con.execute(f"SELECT member FROM m WHERE {in_force('m')} ORDER "
                                          "BY 1", [day, day]).fetchall()]

    assert on(D(1968, 8, 20)) == [1]  # Albania-like: in force until its exit day
    assert on(D(1968, 9, 12)) == []  # ... and out on it
    assert on(D(1982, 4, 2)) == []  # the Bahamas-like entry of 8 Nov not yet
    assert on(D(1982, 11, 8)) == [2]
    assert on(D(1990, 1, 1)) == [2, 3]  # a missing entry month counts as January 1
    assert on(D(1995, 12, 31)) == [2, 3] and on(D(1996, 1, 1)) == [2]  # a missing exit month
    assert on(D(2001, 6, 30)) == [2, 4] and on(D(2001, 7, 1)) == [2]  # missing exit day: month end


def test_members_follow_the_dates_and_the_data_end(store: DataStore) -> None:
    ref = alliance_ref("atop:9001")
    ctx = _ctx(store, 1999)
    assert members_on(ctx, ref, D(1999, 4, 1))[0] == [365, 370, 371, 373]
    assert members_on(ctx, ref, D(1999, 4, 2))[0] == [365, 370, 371]  # Azerbaijan's exit day
    ctx = _ctx(store, 1993)
    assert members_on(ctx, ref, D(1993, 5, 14))[0] == [365, 371, 373]  # Belarus enters 15 May
    ctx = _ctx(store, 2008)
    codes, src, day = members_on(ctx, ref, D(2008, 3, 4))
    assert day == D(2003, 12, 31) and codes == [365, 370, 371]
    assert "the data end in 2003: the last membership" in src
    assert any("ends in 2003" in n for n in ctx.notes)
    with pytest.raises(UsageError, match=r"has 0 member state\(s\) on 1980-07-01 .*members "
                       "from 1992 to the data's end"):
        members_on(_ctx(store, 1980), ref, D(1980, 7, 1))


# --------------------------------------------------------------------------- leaders
def test_leader_branches(store: DataStore) -> None:
    milex: dict[int, float | None] = {}
    # 1. the COW major power
    lead = choose_leader(_ctx(store, 2009), [365, 370, 371], D(2009, 7, 1), milex)
    assert (lead.ccode, lead.branch) == (365, "major")
    # 2. no major: Maoz's regional power (Turkey, 1975-2019 in the fixture)
    lead = choose_leader(_ctx(store, 2009), [371, 373, 640], D(2009, 7, 1), milex)
    assert (lead.ccode, lead.branch) == (640, "regional")
    assert "[maoz-powers " in lead.source
    # 4. three members with equal capabilities: no one holds half; no leader, said in a note
    ctx = _ctx(store, 2009)
    lead = choose_leader(ctx, [370, 371, 373], D(2009, 7, 1), milex)
    assert (lead.ccode, lead.branch) == (None, "none")
    assert any("no member holds half" in n for n in ctx.notes)
    # two members with equal capabilities: half each, but neither more than the other
    assert choose_leader(_ctx(store, 2009), [370, 371], D(2009, 7, 1), milex).ccode is None


def test_leader_by_capabilities(store: DataStore, tmp_path: Path) -> None:
    copy = tmp_path / "d.duckdb"
    copy.write_bytes(Path(store.path).read_bytes())
    s = DataStore(copy)
    with s.connect() as con:
        con.execute("UPDATE nmc SET cinc = 0.03 WHERE ccode = 370 AND year = 2009")
    lead = choose_leader(_ctx(s, 2009), [370, 371, 373], D(2009, 7, 1), {})
    assert (lead.ccode, lead.branch) == (370, "capabilities")
    assert "holds 60% of the members' CINC in 2009" in lead.source


# --------------------------------------------------------------------------- crises
def test_crises_territory_rule_and_order(store: DataStore) -> None:
    found = crises.candidates(_ctx(store, 2010), [365, 370, 371], window=10)
    assert [c.id for c in found] == ["ucdp:9300", "mid:9200", "mid:9204", "mid:9202",
                                     "mid:9205", "mid:9201", "mid:9203"]
    by = {c.id: c for c in found}
    # the civil war: intensity 2 in 2009 (the worst year of the window) = war, level 6
    assert by["ucdp:9300"].territory and by["ucdp:9300"].severity == 56
    assert by["ucdp:9300"].other_name == "Invented Front" and by["ucdp:9300"].year == 2009
    assert by["ucdp:9300"].threat == "insurgency"
    assert by["mid:9200"].territory and by["mid:9200"].severity == 42
    assert by["mid:9200"].date == D(2008, 3, 4)
    assert by["mid:9204"].territory and by["mid:9204"].date == D(2005, 7, 1)  # day unknown
    assert not by["mid:9202"].territory and "joined" in by["mid:9202"].territory_rule
    assert by["mid:9202"].severity == 56  # the most severe, but not on a member's territory
    assert not by["mid:9201"].territory and "seizure (15)" in by["mid:9201"].territory_rule
    assert not by["mid:9203"].territory and "below a use of force" in \
        by["mid:9203"].territory_rule
    assert by["mid:9205"].member_revisionist and not by["mid:9205"].territory
    # a window of two years keeps 2008-2010
    assert {c.id for c in crises.candidates(_ctx(store, 2010), [365, 370, 371], window=2)} \
        == {"ucdp:9300", "mid:9200", "mid:9201", "mid:9203"}


def test_default_crisis_and_named_crises(store: DataStore) -> None:
    built = build_scenario(store, "atop:9001", 2010)
    c = built.scenario["crises"][0]
    assert (c["victim"], c["aggressor"], c["threat"]) == ("BLR", "UCDP_9300", "insurgency")
    actor = built.scenario["actors"]["UCDP_9300"]
    assert actor["kind"] == "nonstate" and actor["troops"] == 10000 and "capital" not in actor
    assert c["aggressor_strength"] == 10000 and "JUDGEMENT by rule over UCDP" in \
        c["description"]
    # the Azerbaijani clash, by id: a state aggressor, no aggressor_strength, a capital each
    built = build_scenario(store, "atop:9001", 2008, crisis="mid:9200")
    c = built.scenario["crises"][0]
    assert (c["victim"], c["aggressor"], c["threat"]) == ("ARM", "AZE", "interstate_attack")
    assert "aggressor_strength" not in c and not c.get("exposure")
    assert built.scenario["actors"]["ARM"]["capital"]["name"] == "Yerevan"
    # the member as revisionist initiator: its territory is disputed
    built = build_scenario(store, "atop:9001", 2006, crisis="mid:9205")
    assert built.scenario["crises"][0]["territory"] == "disputed"
    # --threat overrides the crisis's
    built = build_scenario(store, "atop:9001", 2010, crisis="ucdp:9300",
                           threat="internal_unrest")
    assert built.scenario["crises"][0]["threat"] == "internal_unrest"
    with pytest.raises(UsageError, match="crisis='ucdp:9301': ucdp:9301 \\(2008\\) does not "
                       "involve a member"):
        build_scenario(store, "atop:9001", 2010, crisis="ucdp:9301")
    found, _ = crisis_list(store, "atop:9001", 2010)
    assert found[0].id == "ucdp:9300"


def test_nonstate_aggressors(store: DataStore) -> None:
    built = build_scenario(store, "atop:9001", 2009, victim="ARM", aggressor="UNREST")
    c = built.scenario["crises"][0]
    assert (c["aggressor"], c["threat"]) == ("UNREST", "internal_unrest")
    assert c["aggressor_strength"] == crises.UNREST_STRENGTH
    assert "UNREST" not in built.scenario["actors"]  # the bundled actor
    assert all(p["b"] != "UNREST" and p["a"] != "UNREST"
               for p in built.scenario.get("geography", []))
    built = build_scenario(store, "atop:9001", 2009, victim="RUS", aggressor="ALQAEDA")
    c = built.scenario["crises"][0]
    assert (c["aggressor"], c["threat"]) == ("ALQAEDA", "interstate_attack")
    assert "aggressor_strength" not in c  # the bundled actor's sourced strength
    built = build_scenario(store, "atop:9001", 2010, victim="BLR", aggressor="UCDP_9300")
    c = built.scenario["crises"][0]
    assert (c["aggressor"], c["threat"], c["aggressor_strength"]) == ("UCDP_9300",
                                                                      "insurgency", 1000)
    built = build_scenario(store, "atop:9001", 2010, aggressor="UNREST")  # no victim named
    c = built.scenario["crises"][0]
    assert (c["victim"], c["aggressor"]) == ("ARM", "UNREST")  # the smallest non-leader
    assert "the aggressor UNREST named by the user; the victim" in c["description"]
    built = build_scenario(store, "atop:9001", 2010, victim="RUS")  # no attack on Russia
    c = built.scenario["crises"][0]
    assert c["victim"] == "RUS" and "the victim RUS named by the user; no attack" in \
        c["description"] and "HYPOTHETICAL" in c["description"]
    with pytest.raises(UsageError, match="no UCDP conflict 9399 in or before 2010"):
        build_scenario(store, "atop:9001", 2010, victim="BLR", aggressor="UCDP_9399")


def test_the_crisis_day_decides_membership(store: DataStore) -> None:
    with pytest.raises(UsageError, match="Azerbaijan is not a member of ATOP alliance 9001 on "
                       "1999-04-02"):
        build_scenario(store, "atop:9001", 1999, victim="AZE", aggressor="USA",
                       date=D(1999, 4, 2))
    built = build_scenario(store, "atop:9001", 1999, victim="AZE", aggressor="USA",
                           date=D(1999, 4, 1))
    assert "AZE" in built.scenario["alliance"]["members"]
    assert "1999-04-01 (the date given)" in built.scenario["crises"][0]["description"]


# --------------------------------------------------------------------------- stake, geography
def test_the_leaders_stake(store: DataStore) -> None:
    day = D(2009, 7, 1)
    tie = leader_stake(_ctx(store, 2009), 365, 370, 373, day, 9001)
    assert tie is not None and tie["strength"] == 1.0 and "land-contiguous" in tie["source"]
    tie = leader_stake(_ctx(store, 2009), 365, 371, 373, day, 9001)  # the other pact, 9002
    assert tie is not None and tie["strength"] == 1.0 and "atopid 9002" in tie["source"]
    tie = leader_stake(_ctx(store, 2009), 371, 2, 373, day, 9001)  # rivals: Armenia-Azerbaijan
    assert tie is not None and tie["strength"] == 1.0 and "Armenia-Azerbaijan" in tie["source"]
    tie = leader_stake(_ctx(store, 2009), 2, 365, None, day, 9001)  # across water only
    assert tie is not None and tie["strength"] == 0.5 and "type 4" in tie["source"]
    ctx = _ctx(store, 2009)
    assert leader_stake(ctx, 2, 371, 640, day, 9001) is None
    assert any("stake in Armenia is 0" in n for n in ctx.notes)


def test_geography_and_capitals(store: DataStore) -> None:
    ctx = _ctx(store, 2019)
    geo = pairs(ctx, [365, 370, 371], 371, 373, D(2019, 7, 1))
    got = {(p["a"], p["b"]): (p["contiguity"], p["distance_km"]) for p in geo}
    assert got == {("RUS", "ARM"): (0, 110.5), ("RUS", "AZE"): (1, None),
                   ("BLR", "ARM"): (0, None), ("BLR", "AZE"): (0, None),
                   ("ARM", "AZE"): (1, 0.0)}
    assert all("[cow-contiguity 3.2]" in p["source"] for p in geo)
    # contiguity in force on the day: Armenia-Turkey across water to 2005, by land after
    early = pairs(_ctx(store, 2004), [371], 371, 640, D(2004, 7, 1))
    assert early[0]["contiguity"] == 2 and early[0]["distance_km"] is None
    assert pairs(_ctx(store, 2008), [371], 371, 640, D(2008, 7, 1))[0]["contiguity"] == 1
    # before 1946 CShapes has no distances
    old = pairs(_ctx(store, 1930), [2], 2, 20, D(1930, 7, 1))
    assert old[0]["distance_km"] is None and "before 1946" in old[0]["source"]
    # capitals in force on the day
    assert capital(_ctx(store, 1900), 365, D(1900, 1, 1))["name"] == "Saint Petersburg"  # type: ignore[index]
    assert capital(_ctx(store, 2000), 705, D(2000, 1, 1))["name"] == "Astana"  # type: ignore[index]
    assert capital(_ctx(store, 1995), 705, D(1995, 1, 1))["name"] == "Almaty"  # type: ignore[index]


def test_api_and_cli_crises(store: DataStore, tmp_path: Path) -> None:
    found, _ = api.data_crises("atop:9001", year=2010, window=2, data_store=store.path)
    assert [c.id for c in found][:2] == ["ucdp:9300", "mid:9200"]
    assert found[0].as_dict()["member_id"] == "BLR"
    out = tmp_path / "b.yaml"
    api.data_build("atop:9001", year=2008, crisis="mid:9200", out=out, data_store=store.path)
    sc = api.load_scenario(out)
    assert sc.crises[0].aggressor == "AZE"
    with pytest.raises(UsageError, match="date='2008-13-01': a date is YYYY-MM-DD"):
        api.data_build("atop:9001", year=2008, date="2008-13-01", data_store=store.path)


# --------------------------------------------------------------------------- by hand
BY_HAND_IDS = FIX / "build" / "alliance_ids_by_hand.yaml"


def test_a_by_hand_alliance_builds_from_its_own_members_and_provisions(
        store: DataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """An alliance ATOP does not code, given by hand (the invented entry of
    tests/fixtures/build/alliance_ids_by_hand.yaml): members on the crisis day by its own
    entry and exit dates, its provisions and decision rule with their sources, and ties from
    every ATOP defence pact (here 9001) since the alliance is in none."""
    monkeypatch.setattr(bundled, "ALLIANCE_IDS", BY_HAND_IDS)
    with pytest.raises(UsageError, match=r"Armenia is not a member of Invented Pact \(by hand, "
                       r"1995\) on 1996-06-14 \(by hand \(data/alliance_ids.yaml, "
                       r"invented-1995\), members in force on 1996-06-14"):
        build_scenario(store, "invented-1995", 1996, victim="ARM", aggressor="AZE",
                       date=D(1996, 6, 14))
    built = build_scenario(store, "invented-1995", 1996, victim="ARM", aggressor="AZE",
                           date=D(1996, 6, 15))
    al = built.scenario["alliance"]
    assert al["id"] == "invented-1995" and al["members"] == ["RUS", "BLR", "ARM"]
    assert al["leader"] == "RUS"  # the existing rule: the COW major power
    assert al["source"].startswith("by hand (data/alliance_ids.yaml, invented-1995), members "
                                   "in force on 1996-06-15")
    assert "Invented Pact, art. 1" in al["source"] and "atopid" not in al["source"].split(
        "; leader")[0]
    assert "consul, invented art. 2" in al["source"]  # each provision's source is cited
    assert al["scope"]["interstate_attack"]["coverage"] == 1.0
    assert "defense=1, unconditional" in al["scope"]["interstate_attack"]["source"]
    assert al["decision_rule"] == {
        "rule": "consensus", "consensus_from": "mission", "source": (
            "by hand (data/alliance_ids.yaml, invented-1995): invented art. 9: decisions by "
            "consensus; consultations at a member's request by simple majority: the treaty "
            "obliges consultation (consul=1)")}
    ties = {(t["a"], t["b"]): t["source"] for t in al["ties"]}
    assert "atopid 9001" in ties[("RUS", "BLR")]
    # Armenia leaves on 2002-01-01: out on the day, in on the day before
    assert build_scenario(store, "invented-1995", 2001, victim="BLR", aggressor="AZE",
                          date=D(2001, 12, 31)).scenario["alliance"]["members"] == \
        ["RUS", "BLR", "ARM"]
    assert build_scenario(store, "invented-1995", 2002, victim="BLR", aggressor="AZE",
                          date=D(2002, 1, 1)).scenario["alliance"]["members"] == ["RUS", "BLR"]


def test_a_by_hand_alliance_is_refused_before_it_begins(
        store: DataStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bundled, "ALLIANCE_IDS", BY_HAND_IDS)
    with pytest.raises(UsageError, match=r"year=1994: Invented Pact \(by hand, 1995\) has 0 "
                       r"member state\(s\) in 1994 by hand \(data/alliance_ids.yaml, "
                       r"invented-1995\) \(members from 1995-03-01 to today\); an alliance "
                       "needs two: not in force that year"):
        build_scenario(store, "invented-1995", 1994)
    with pytest.raises(UsageError, match=r"has 0 member state\(s\) on 1995-02-28 by hand .*"
                       r"Russia from 1995-03-01"):
        members_on(_ctx(store, 1995), alliance_ref("invented-1995"), D(1995, 2, 28))
    ref = alliance_ref("nato")  # an id entry beside it still resolves to its ids
    assert (ref.atop, ref.cow, ref.by_hand) == (3180, 227, None)


def test_the_builds_of_atop_alliances_are_unchanged(store: DataStore) -> None:
    """Byte-identical to the build before by-hand alliances existed: the golden file was
    written by the code of commit 48be66e (tests/fixtures/build/golden_atop9001_2008.yaml)."""
    built = build_scenario(store, "atop:9001", 2008, crisis="mid:9200")
    assert built.to_yaml() == (FIX / "build" / "golden_atop9001_2008.yaml").read_text()


GOOD = yaml.safe_load(BY_HAND_IDS.read_text())["invented-1995"]


@pytest.mark.parametrize(("change", "where", "message"), [
    (lambda e: e["by_hand"]["members"][2].update(left=D(1996, 1, 1)),
     "bad.by_hand.members.2", "left (1996-01-01) must come after entered (1996-06-15)"),
    (lambda e: e["by_hand"]["members"][0].update(ccode=999),
     "bad.by_hand.members.0", "ccode 999 is not a COW state code"),
    (lambda e: e["by_hand"]["members"][1].update(ccode=365),
     "bad.by_hand", "ccode 365 listed twice"),
    (lambda e: e["by_hand"].update(members=e["by_hand"]["members"][:1]),
     "bad.by_hand.members", "at least 2 items"),
    (lambda e: e["by_hand"]["provisions"].pop("consul"),
     "bad.by_hand", "consul missing (the five obligations defense, offense, neutral, nonagg, "
     "consul are required"),
    (lambda e: e["by_hand"]["provisions"].update(defense={"value": 2, "source": "x"}),
     "bad.by_hand", "provisions.defense.value: 2 is not an ATOP value of defense (0 to 1)"),
    (lambda e: e["by_hand"]["provisions"].update(pledge={"value": 1, "source": "x"}),
     "bad.by_hand", "provisions: unknown pledge (valid, ATOP's names: defense"),
    (lambda e: e["by_hand"]["provisions"]["defense"].pop("source"),
     "bad.by_hand.provisions.defense.source", "required: where the value comes from"),
    (lambda e: e["by_hand"]["members"][0].update(entered="soon"),
     "bad.by_hand.members.0.entered", "date"),
    (lambda e: e["by_hand"]["decision_rule"].update(rule="unanimity"),
     "bad.by_hand.decision_rule.rule", "'consensus', 'qualified_majority'"),
    (lambda e: e.update(atop=4965),
     "bad", "either by its ids (atop, cow) or by_hand, not both"),
    (lambda e: e.update(by_hand=None),
     "bad", "needs atop, cow or by_hand"),
    (lambda e: e.update(members=[365]),
     "bad.members", "unknown field (an entry has name, atop, cow, by_hand, check"),
])
def test_bad_by_hand_entries_are_refused_precisely(
        tmp_path: Path, change: Callable[[dict[str, Any]], object], where: str,
        message: str) -> None:
    entry = copy.deepcopy(GOOD)
    change(entry)
    path = tmp_path / "ids.yaml"
    path.write_text(yaml.safe_dump({"bad": entry}))
    with pytest.raises(ScenarioError) as err:
        alliance_entries(path)
    assert len(err.value.problems) == 1, err.value.problems
    problem = err.value.problems[0]
    assert problem.source == str(path) and problem.field == where, problem
    assert message in problem.message, problem


def test_the_bundled_gcc_1981_entry() -> None:
    """The GCC Charter of 25 May 1981 (data/alliance_ids.yaml): the six signatories from that
    day, the obligations coded from the Charter's words (no defence or consultation pledge),
    unanimity in the Supreme Council; every value with a source."""
    ref = alliance_ref("gcc-1981")
    hand = ref.by_hand
    assert hand is not None and (ref.atop, ref.cow) == (None, None)
    assert sorted(m.ccode for m in hand.members) == [670, 690, 692, 694, 696, 698]
    assert {m.entered for m in hand.members} == {D(1981, 5, 25)}
    assert {n: p.value for n, p in hand.provisions.items() if n in OBLIGATIONS} == \
        dict.fromkeys(OBLIGATIONS, 0)
    assert hand.decision_rule is not None and hand.decision_rule.rule == "consensus"
    assert "Peninsula Shield Force" in hand.provisions["intcom"].source
    assert all("http" in hand.provisions[n].source or "as for defense" in
               hand.provisions[n].source for n in OBLIGATIONS)
