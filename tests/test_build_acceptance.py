"""Acceptance: `data build` on the published files gives scenarios an expert can accept
(issue 19): six alliances in six years, each built, loaded, run, with its leader named and a
default crisis that is an attack on a member's territory (docs/data.md, "Building a scenario"
and "Crises worth simulating").

One data store for the module, with only the kinds the builds read.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import SHARED, needs_shared

from alliancesim import api
from alliancesim.datasets.build import build_scenario, crisis_list
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import Scenario

# about 12 s for the module (6 s of it the imports): not marked slow
pytestmark = needs_shared("datasets", "peacesciencer_derived", "ucdp_acd.csv")

KINDS = [  # kind, file under ../shared/datasets
    ("nmc", "peacesciencer_derived/cow_nmc.csv"),
    ("cow-majors", "cow_states/majors2016.csv"),
    ("cow-system", "cow_states/system2016.csv"),
    ("atop-members", "atop/atop-member-level.csv"),
    ("atop-alliances", "atop/atop-alliance-level.csv"),
    ("atop-dyads", "peacesciencer_derived/atop_alliance.csv"),
    ("mid-participants", "cow_mid/MIDB_5.0.csv"),
    ("mid-disputes", "peacesciencer_derived/cow_mid_disps.csv"),
    ("ideal-points", "unga_idealpoints/IdealpointsJuly2025.csv"),
    ("cow-contiguity", "peacesciencer_derived/cow_contdir.csv"),
    ("cow-mindist", "peacesciencer_derived/cow_mindist_1946.csv.gz"),
    ("cow-capitals", "peacesciencer_derived/cow_capitals.csv"),
    ("maoz-powers", "peacesciencer_derived/maoz_powers.csv"),
    ("td-rivalries", "peacesciencer_derived/td_rivalries.csv"),
    ("ucdp-acd", "peacesciencer_derived/ucdp_acd.csv"),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    s = DataStore(tmp_path_factory.mktemp("accept") / "datasets.duckdb")
    for kind, rel in KINDS:
        s.import_file(kind, SHARED / "datasets" / rel)
    return s


def _run(real: DataStore, tmp_path: Path, alliance: str, year: int, **kw: Any
         ) -> tuple[Scenario, dict[str, Any]]:
    """Build through the api (checked and written), load the file, run 2,000 trials."""
    out = tmp_path / f"{alliance}-{year}.yaml"
    built = api.data_build(alliance, year=year, out=out, data_store=real.path, **kw)
    sc = api.load_scenario(out)
    ens = api.simulate(sc, trials=2000, seed=7)
    assert ens.summary().crises[0].trials == 2000
    # distance enters deployment: a member not contiguous with the victim (COW conttype 0, 4
    # or 5) has its pledge shrunk and delayed by its distance; a neighbour does not
    model = compile_crisis(sc, 0)
    victim = sc.crises[0].victim
    cont = {(p["a"] if p["b"] == victim else p["b"]): p["contiguity"]
            for p in built.scenario.get("geography", []) if victim in (p["a"], p["b"])}
    for m, d in zip(model.members, model.distance, strict=True):
        if m in cont:
            assert (d > 0.0) == (cont[m] not in (1, 2, 3)), (m, cont[m], d)
    # a treaty that obliges consultation (ATOP consul) takes consultations by majority
    rule = built.scenario["alliance"]["decision_rule"]
    assert rule.get("consensus_from") == "mission" or "no consultation" in rule["source"]
    return sc, built.scenario


def _check_geography(sc: Scenario, raw: dict[str, Any]) -> None:
    """Every state has a capital with its source; every member is paired with the victim and
    with a state aggressor; non-state actors have no capital."""
    al = sc.alliance
    assert not isinstance(al, str)
    c = sc.crises[0]
    for aid in [*al.members, c.aggressor]:
        actor = raw["actors"].get(aid)
        if actor is None or actor["kind"] == "nonstate":
            assert actor is None or "capital" not in actor
            continue
        assert "[cow-capitals " in actor["capital"]["source"]
    pairs = {frozenset((p["a"], p["b"])) for p in raw["geography"]}
    for m in al.members:
        if m != c.victim:
            assert frozenset((m, c.victim)) in pairs
        if m != c.aggressor and c.aggressor in raw["actors"] and \
                raw["actors"][c.aggressor]["kind"] == "state":
            assert frozenset((m, c.aggressor)) in pairs
    assert all("[cow-contiguity " in p["source"] for p in raw["geography"])
    assert all(p["distance_km"] is None or "[cow-mindist " in p["source"]
               for p in raw["geography"])
    assert not c.exposure


def test_nato_2001_al_qaeda(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "nato", 2001, victim="USA", aggressor="ALQAEDA")
    al = sc.alliance
    assert not isinstance(al, str)
    assert len(al.members) == 19 and al.leader == "USA"
    c = sc.crises[0]
    assert (c.victim, c.aggressor, c.threat) == ("USA", "ALQAEDA", "interstate_attack")
    assert c.aggressor_strength is None  # the bundled actor's sourced strength
    assert "9/11 Commission Report" in (c.description or "")
    _check_geography(sc, raw)
    geo = {frozenset((p["a"], p["b"])): p for p in raw["geography"]}
    assert geo[frozenset(("CAN", "USA"))]["contiguity"] == 1
    assert geo[frozenset(("GBR", "USA"))]["contiguity"] == 0
    assert 3000 < geo[frozenset(("GBR", "USA"))]["distance_km"] < 6000
    # the default crisis of NATO 2001 is the al-Qaida conflict on US territory (UCDP 418)
    found, _ = crisis_list(real, "nato", 2001)
    first = next(f for f in found if f.territory)
    assert first.id == "ucdp:418" and first.member == 2


def test_anzus_2001(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "anzus", 2001)
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.members == ["USA", "AUS"]  # New Zealand left ANZUS in 1986 (ATOP)
    assert al.leader == "USA"
    c = sc.crises[0]
    # UCDP 418, the United States against al-Qaida (2001): the attack of 11 September, after
    # which ANZUS was invoked
    assert (c.victim, c.aggressor, c.threat) == ("USA", "UCDP_418", "insurgency")
    assert "a member's territory attacked" in (c.description or "")
    assert raw["actors"]["UCDP_418"]["kind"] == "nonstate"
    assert c.aggressor_strength == 10000  # the intensity rule: a war
    _check_geography(sc, raw)


def test_gcc_2011_bahrain_unrest(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "gcc", 2011, victim="BHR", aggressor="UNREST")
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.members == ["SAU", "KWT", "BHR", "QAT", "ARE", "OMN"]
    assert al.leader == "SAU"  # no COW major or Maoz regional power: 60 % of the CINC
    assert "leader (capabilities)" in al.source
    c = sc.crises[0]
    assert (c.victim, c.aggressor, c.threat) == ("BHR", "UNREST", "internal_unrest")
    assert raw["crises"][0]["aggressor_strength"] == {"dist": "uniform", "low": 1000,
                                                      "high": 5000}
    stake = [t for t in al.ties if (t.a, t.b) == ("SAU", "BHR")]
    assert stake and stake[0].strength == 1.0 and "leader's stake" in stake[0].source
    _check_geography(sc, raw)
    # the default crisis: Yemen's clash with Saudi Arabia (MID 4530, 2005)
    sc2, _ = _run(real, tmp_path, "gcc", 2011)
    c2 = sc2.crises[0]
    assert (c2.victim, c2.aggressor) == ("SAU", "YEM")
    assert "mid:4530" in (c2.description or "")
    assert "a member's territory attacked" in (c2.description or "")


def test_gcc_1981_by_hand_kuwait_1990(real: DataStore, tmp_path: Path) -> None:
    """The GCC before its Joint Defence Agreement, given by hand (data/alliance_ids.yaml,
    gcc-1981): Iraq against Kuwait, August 1990. The six signatories of 1981, Saudi Arabia the
    leader by capabilities, no defence or consultation obligation in the Charter (coverage 0),
    unanimity in the Supreme Council; the membership cites the Charter, not ATOP. Before the
    Charter, refused."""
    sc, raw = _run(real, tmp_path, "gcc-1981", 1990, victim="KWT", aggressor="IRQ",
                   date="1990-08-02")
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.members == ["SAU", "KWT", "BHR", "QAT", "ARE", "OMN"] and al.leader == "SAU"
    src = raw["alliance"]["source"]
    assert src.startswith("by hand (data/alliance_ids.yaml, gcc-1981), members in force on "
                          "1990-08-02") and "GCC Charter, Abu Dhabi, 25 May 1981" in src
    assert "leader (capabilities)" in src and "[atop-members" not in src.split("; leader")[0]
    assert raw["alliance"]["scope"]["interstate_attack"]["coverage"] == 0.0
    assert raw["alliance"]["decision_rule"]["rule"] == "consensus"
    assert "unanimous" in raw["alliance"]["decision_rule"]["source"]
    # the Arab League's defence pact (ATOP 3205) ties the leader to the other members
    assert any("atopid 3205" in t["source"] for t in raw["alliance"]["ties"])
    _check_geography(sc, raw)
    with pytest.raises(UsageError, match=r"year=1980: Gulf Cooperation Council \(Charter, "
                       r"1981\) has 0 member state\(s\) in 1980 by hand .*members from "
                       "1981-05-25"):
        build_scenario(real, "gcc-1981", 1980)


def test_warsaw_pact_1968_and_albania(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "warsaw-pact", 1968)
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.leader == "SUN"
    assert "ALB" in al.members  # 1 July 1968: before Albania's withdrawal (12 Sep 1968)
    c = sc.crises[0]
    assert (c.victim, c.aggressor) == ("SUN", "CHN")  # MID 343, the 1966 border clash
    assert "a member's territory attacked" in (c.description or "")
    _check_geography(sc, raw)
    # the crisis day decides: the invasion of Czechoslovakia (20-21 Aug) with Albania, a
    # month later without
    aug = build_scenario(real, "warsaw-pact", 1968, date=datetime.date(1968, 8, 20))
    sep = build_scenario(real, "warsaw-pact", 1968, date=datetime.date(1968, 9, 20))
    assert "ALB" in aug.scenario["alliance"]["members"]
    assert "ALB" not in sep.scenario["alliance"]["members"]
    assert len(sep.scenario["alliance"]["members"]) == 7


def test_csto_2016(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "csto", 2016)
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.members == ["RUS", "BLR", "ARM", "TJK", "KGZ", "KAZ"] and al.leader == "RUS"
    c = sc.crises[0]
    assert (c.victim, c.aggressor, c.threat) == ("RUS", "UCDP_13588", "insurgency")
    assert "a member's territory attacked" in (c.description or "")
    _check_geography(sc, raw)
    # an interstate crisis on a member's territory: the Uzbek-Kyrgyz border clash of 2012
    sc2, raw2 = _run(real, tmp_path, "csto", 2016, crisis="mid:4718")
    c2 = sc2.crises[0]
    assert (c2.victim, c2.aggressor, c2.threat) == ("KGZ", "UZB", "interstate_attack")
    assert c2.aggressor_strength is None  # a state: the model's troops x commitment x g(d)
    geo = {frozenset((p["a"], p["b"])): p for p in raw2["geography"]}
    assert geo[frozenset(("KGZ", "UZB"))]["contiguity"] == 1
    assert geo[frozenset(("RUS", "KGZ"))]["contiguity"] == 0
    stake = [t for t in sc2.alliance.ties if (t.a, t.b) == ("RUS", "KGZ")]  # type: ignore[union-attr]
    assert stake and "leader's stake" in stake[0].source
    _check_geography(sc2, raw2)


def test_rio_treaty_1982_and_the_falklands(real: DataStore, tmp_path: Path) -> None:
    sc, raw = _run(real, tmp_path, "rio-treaty", 1982)
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.leader == "USA" and "BHS" not in al.members  # the Bahamas join on 8 Nov 1982
    c = sc.crises[0]
    assert "a member's territory attacked" in (c.description or "")
    assert (c.victim, c.aggressor, c.threat) == ("SLV", "UCDP_316", "insurgency")  # civil war
    _check_geography(sc, raw)
    # the Falklands: Argentina, the member, is the revisionist initiator (MID side A); the
    # United Kingdom the other side; the islands' territory disputed
    fk, raw_fk = _run(real, tmp_path, "rio-treaty", 1982, crisis="mid:3630")
    c = fk.crises[0]
    assert (c.victim, c.aggressor, c.territory) == ("ARG", "GBR", "disputed")
    assert "not an attack on a member's territory" in (c.description or "")
    assert "BHS" not in fk.alliance.members  # type: ignore[union-attr]
    _check_geography(fk, raw_fk)
    assert yaml.safe_dump(raw_fk)


def test_bad_crisis_input(real: DataStore) -> None:
    with pytest.raises(UsageError, match="crisis='mid:4283': mid:4283 \\(2001\\) does not "
                       "involve a member against a non-member in 1972-1982"):
        build_scenario(real, "rio-treaty", 1982, crisis="mid:4283")
    with pytest.raises(UsageError, match="not in force that year"):
        build_scenario(real, "gcc", 1990)
    with pytest.raises(UsageError, match="date='1968-08-20': the crisis date must lie in the "
                       "build's year 1969"):
        build_scenario(real, "warsaw-pact", 1969, date=datetime.date(1968, 8, 20))
