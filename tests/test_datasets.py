"""The dataset importers, the data store, the COW-ISO mapping and scenario building.

Unit tests use the project's own fixture files (tests/fixtures/datasets: the published layouts,
invented numbers); the tests on the published files run when ../shared/datasets exists.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from tests.conftest import SHARED, needs_shared

from alliancesim import api
from alliancesim.datasets.affinity import ideal_point_affinities, portfolio_similarity
from alliancesim.datasets.build import build_scenario
from alliancesim.datasets.citations import used_datasets
from alliancesim.datasets.codes import actor_id, ccode_of, ccode_of_name, periods
from alliancesim.datasets.reading import DatasetError
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.loading import resolve, validate
from alliancesim.scenario.schema import Scenario

FIX = Path(__file__).parent / "fixtures" / "datasets"
FIXTURES = {  # kind -> (file, release the importer must find)
    "nmc": ("nmc_v5.csv", "5.0"),
    "cow-majors": ("majors2011.csv", "2011"),
    "cow-system": ("system2011.csv", "2011"),
    "cow-states": ("states2011.csv", "2011"),
    "cow-codes": ("country_codes.csv", "COW country codes"),
    "atop-members": ("atop_members.csv", "3.0"),
    "atop-alliances": ("atop_alliances.csv", "3.0"),
    "atop-dyads": ("atop_dyads.csv", "4.01"),
    "mid-participants": ("midb.csv", "4.01"),
    "mid-disputes": ("mida.csv", "4.01"),
    "ideal-points": ("idealpoints.csv", "2020"),
    "sipri": ("sipri.csv", "2019"),
    "reliability-bf2018": ("bf2018.csv", "fixture"),
    "reliability-leeds-anac": ("leeds_anac.csv", "fixture"),
}


def fixture_release(kind: str) -> str | None:
    """The release to name on import: the replication archives have one release each, known
    by its row count, so their fixtures are named as what they are."""
    return "fixture" if kind.startswith("reli") else None


def fixture_store(path: Path) -> DataStore:
    """A data store with every fixture imported."""
    s = DataStore(path)
    for kind, (name, _) in FIXTURES.items():
        s.import_file(kind, FIX / name, release=fixture_release(kind))
    return s


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    return fixture_store(tmp_path_factory.mktemp("data") / "datasets.duckdb")


def test_every_fixture_imports_with_its_release(store: DataStore) -> None:
    got = {i.kind: i for i in store.imported()}
    assert set(got) == set(FIXTURES)
    for kind, (_, release) in FIXTURES.items():
        assert got[kind].release == release, kind
        assert got[kind].citation and got[kind].sha256 and got[kind].rows > 0
    # COW country codes repeat rows in the published file: kept once
    assert store.query("SELECT count(*) FROM cow_codes")[0][0] == 5
    # -9 and NA become missing; whole numbers stay whole
    assert store.query("SELECT count(*) FROM nmc WHERE irst IS NOT NULL")[0][0] == 0
    # MID 4.x's dispnum3 is the dispute number
    assert store.query("SELECT DISTINCT dispnum FROM mid_participants ORDER BY 1") == \
        [(9100,), (9101,)]
    # SIPRI: wide to long, Windows-1252 names read, COW codes by name, unknown names said
    assert store.query("SELECT ccode FROM sipri_milex WHERE country LIKE 'C%te d%Ivoire' "
                       "LIMIT 1") == [(437,)]
    assert "Atlantis" in got["sipri"].notes
    assert store.query("SELECT milex_usd_m FROM sipri_milex WHERE ccode = 365 AND year = 2018"
                       ) == [(40026.0,)]


def test_peacesciencer_layout_and_release_named_or_found(tmp_path: Path) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    row = s.import_file("nmc", FIX / "nmc_peacesciencer.csv")
    assert row.release == "5.0" and row.layout.startswith("peacesciencer")
    with pytest.raises(DatasetError, match=r"release 7.0 runs to 2022, but the file's 'year' "
                                           r"ends at 2012"):
        s.import_file("nmc", FIX / "nmc_peacesciencer.csv", release="7.0")
    with pytest.raises(DatasetError, match=r"'9\.9' is not a release of .*known: 4\.0, 5\.0"):
        s.import_file("nmc", FIX / "nmc_peacesciencer.csv", release="9.9")


def _broken(tmp_path: Path, name: str, edit: callable) -> Path:  # type: ignore[valid-type]
    lines = (FIX / name).read_text().splitlines()
    out = tmp_path / f"broken-{name}"
    out.write_text("\n".join(edit(lines)) + "\n")
    return out


@pytest.mark.parametrize(("name", "edit", "message"), [
    ("nmc_v5.csv", lambda ls: [*ls[:10], ls[10][:12]],
     r"broken-nmc_v5.csv:11: \d+ field\(s\) where the header has 11: a truncated or damaged"),
    ("nmc_v5.csv", lambda ls: [ls[0], *(r for r in ls[1:] if ",2012," not in r)],
     r"the file's 'year' ends at 2011, which is the end of no release.*truncated"),
    ("nmc_v5.csv", lambda ls: [ls[0], ls[1].replace(",1990,", ",20o8,"), *ls[2:]],
     r"broken-nmc_v5.csv:2: column 'year': '20o8' is not a whole number"),
    ("nmc_v5.csv", lambda ls: [ls[0], ls[1].replace("USA,2,", "USA,1200,"), *ls[2:]],
     r":2: column 'ccode': 1200 is not a COW state code \(2 to 999\)"),
    ("nmc_v5.csv", lambda ls: [*ls, ls[3]],
     r"lines 4 and 117: the same row twice \(ccode=2, year=1992\)"),
    ("nmc_v5.csv", lambda ls: [ls[0], *(r[:-3] + "6.0" if i == 3 else r
                                        for i, r in enumerate(ls[1:]))],
     r"column 'version': the file mixes releases"),
    ("nmc_v5.csv", lambda ls: [ls[0], ls[1].replace(",1990,", ",1700,"), *ls[2:]],
     r":2: column 'year': year 1700 is outside 1816-"),
    ("midb.csv", lambda ls: ls, r"not a COW National Material Capabilities file: missing "
                                r"column\(s\) year, milex.*looks like a 'mid-participants' file"),
    ("nmc_v5.csv", lambda ls: ls[:1], r"no data rows"),
])
def test_bad_files_get_a_precise_error(tmp_path: Path, name: str, edit: callable,  # type: ignore[valid-type]
                                       message: str) -> None:
    path = _broken(tmp_path, name, edit)
    s = DataStore(tmp_path / "d.duckdb")
    with pytest.raises(DatasetError, match=message) as exc:
        s.import_file("nmc", path)
    assert "\n" not in str(exc.value)


def test_other_bad_paths(tmp_path: Path) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    with pytest.raises(DatasetError, match="no such file"):
        s.import_file("nmc", tmp_path / "missing.csv")
    with pytest.raises(DatasetError, match="not a regular file"):
        s.import_file("nmc", tmp_path)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DatasetError, match="the file is empty"):
        s.import_file("nmc", tmp_path / "empty.csv")
    (tmp_path / "bin.csv").write_bytes(b"\x00\x01\x02 binary \xff\n\x00")
    with pytest.raises(DatasetError):
        s.import_file("nmc", tmp_path / "bin.csv")
    (tmp_path / "bad.dta").write_bytes(b"not stata")
    with pytest.raises(DatasetError, match="not a readable Stata file"):
        s.import_file("ideal-points", tmp_path / "bad.dta")
    with pytest.raises(UsageError, match="unknown dataset kind; known: nmc, cow-states"):
        s.import_file("nmcx", FIX / "nmc_v5.csv")


def test_a_bad_file_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    good = s.import_file("nmc", FIX / "nmc_v5.csv")
    before = s.query("SELECT * FROM nmc ORDER BY ccode, year")
    bad = _broken(tmp_path, "nmc_v5.csv", lambda ls: [*ls, ls[3]])
    with pytest.raises(DatasetError):
        s.import_file("nmc", bad)
    assert s.query("SELECT * FROM nmc ORDER BY ccode, year") == before
    (after,) = s.imported()
    assert after.sha256 == good.sha256 and after.rows == good.rows


def test_store_errors_say_what_to_do(tmp_path: Path) -> None:
    s = DataStore(tmp_path / "none.duckdb")
    assert s.imported() == []
    with pytest.raises(UsageError, match=r"needs the dataset\(s\) nmc in the data store.*"
                                         r"alliancesim data import nmc PATH"):
        build_scenario(s, "csto", 2010)
    with pytest.raises(UsageError, match="no data store here yet"):
        s.query("SELECT 1")
    (tmp_path / "junk.duckdb").write_text("not a database")
    with pytest.raises(UsageError, match="not a data store"):
        DataStore(tmp_path / "junk.duckdb").imported()


# --------------------------------------------------------------------------- codes
def test_cow_iso_mapping_follows_state_changes() -> None:
    assert actor_id(365, 1900) == "RUS"
    assert actor_id(365, 1968) == "SUN"
    assert actor_id(365, 2000) == "RUS"
    assert actor_id(345, 1980) == "YUG" and actor_id(345, 2010) == "SRB"
    assert actor_id(260, 1970) == "DEU" and actor_id(265, 1970) == "DDR"
    assert actor_id(816, 1970) == "VDR" and actor_id(816, 1990) == "VNM"
    assert actor_id(245, 1850) == "COW_BAV"
    assert ccode_of("SUN", 1968) == 365 and ccode_of("RUS", 2010) == 365
    assert ccode_of("VNM", 1970) == 817 and ccode_of("VNM", 1990) == 816
    assert ccode_of("TALIBAN", 2021) is None
    assert ccode_of_name("Kyrgyz Republic") == 703 and ccode_of_name("Russia") == 365
    # periods of one code never overlap
    by_code: dict[int, list] = {}
    for p in periods():
        by_code.setdefault(p.ccode, []).append(p)
    for spans in by_code.values():
        spans.sort(key=lambda p: p.start)
        for a, b in itertools.pairwise(spans):
            assert a.end is not None and a.end <= b.start
    # every id is a valid actor id
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]{1,15}", p.actor_id) for p in periods())


@needs_shared("datasets", "cow_states", "states2016.csv")
def test_every_cow_state_has_an_actor_id() -> None:
    import csv

    with (SHARED / "datasets/cow_states/states2016.csv").open() as fh:
        codes = {int(r["ccode"]) for r in csv.DictReader(fh)}
    mapped = {p.ccode for p in periods()}
    assert codes <= mapped


# --------------------------------------------------------------------------- affinity
def test_ideal_point_affinity_follows_its_formula(store: DataStore) -> None:
    import numpy as np

    pts = {2: 2.0, 365: -0.2, 370: -0.6, 371: -0.1, 373: -0.3}
    x = np.array(list(pts.values()))
    d95 = np.quantile(np.abs(x[:, None] - x[None, :])[np.triu_indices(5, 1)], 0.95)
    got = ideal_point_affinities(store, [(365, 371), (2, 370)], 2009, "2020")
    assert got[(365, 371)].value == pytest.approx(1 - 2 * 0.1 / d95, abs=1e-3)
    assert got[(2, 370)].value == -1.0  # the farthest pair, clipped at -1
    # Belarus has no point in 2010: its 2009 point, said in the reason
    lagged = ideal_point_affinities(store, [(365, 370)], 2010, "2020")
    assert "370's point from 2009" in lagged[(365, 370)].reason
    assert "[ideal-points 2020]" in lagged[(365, 370)].reason


def test_portfolio_similarity_by_hand(store: DataStore) -> None:
    # 1935: USA and RUS have a defence pact (3 each way); the system is USA and RUS (fixture).
    # USA: t(USA,USA)=3, t(USA,RUS)=3; RUS: t(RUS,USA)=3, t(RUS,RUS)=3 -> S = 1
    got = portfolio_similarity(store, [(2, 365)], 1935, "4.01")
    assert got[(2, 365)].value == 1.0
    # 1950: no pact; t(USA,USA)=3, t(USA,RUS)=0 vs t(RUS,USA)=0, t(RUS,RUS)=3 -> S = 1 - 2*6/6
    got = portfolio_similarity(store, [(2, 365)], 1950, "4.01")
    assert got[(2, 365)].value == -1.0


# --------------------------------------------------------------------------- build
def _load(built: dict) -> Scenario:
    return resolve(validate(Scenario, built, {}, "<built>"))


def test_build_a_scenario_from_the_fixtures(store: DataStore) -> None:
    built = build_scenario(store, "atop:9001", 2009)
    sc = _load(built.scenario)
    al = sc.alliance
    assert not isinstance(al, str)
    assert al.members == ["RUS", "BLR", "ARM"]  # AZE left in 1999
    assert al.leader == "RUS"  # the COW major power
    assert al.scope["interstate_attack"].coverage == 1.0  # defense=1, unconditional
    assert [(t.a, t.b) for t in al.ties] == [("RUS", "ARM")]  # the other pact, 9002
    assert sc.actors["RUS"].troops == 1_000_000 + 1000 * 19  # NMC milper 2009
    assert "NMC ends before" not in sc.actors["RUS"].source
    assert al.standing_forces["ARM"].troops == round(0.05 * sc.actors["ARM"].troops)
    # the crisis: the 2008 dispute, Azerbaijan using force against Armenia
    (c,) = sc.crises
    assert (c.victim, c.aggressor) == ("ARM", "AZE")
    assert "mid:9100 (2008)" in (c.description or "")
    assert "a member's territory attacked" in (c.description or "")
    # every pair has an affinity with its source and formula
    assert {(p.a, p.b) for p in sc.affinity} >= {("RUS", "BLR"), ("ARM", "AZE")}
    assert all("[ideal-points 2020]" in p.reason for p in sc.affinity
               if {p.a, p.b} <= {"RUS", "BLR", "ARM", "AZE"})
    # sources name dataset and release; the citation collects them
    text = yaml.safe_dump(built.scenario)
    assert set(used_datasets(text)) >= {("nmc", "5.0"), ("atop-members", "3.0"),
                                        ("cow-majors", "2011"), ("ideal-points", "2020"),
                                        ("mid-participants", "4.01")}
    assert "atop-members 3.0 ends in 2003: the members as of 2003-12-31" in " ".join(built.notes)


def test_build_after_the_data_end_says_so_and_user_crisis(store: DataStore) -> None:
    built = build_scenario(store, "atop:9001", 2015, victim="ARM", aggressor="USA")
    assert any("atop-members 3.0 ends in 2003: the members as of 2003-12-31" in n
               for n in built.notes)
    assert "the data end in 2003: the last membership" in built.scenario["alliance"]["source"]
    sc = _load(built.scenario)
    assert "NMC ends before 2015" in sc.actors["ARM"].source
    assert sc.actors["ARM"].milex_usd_m == 323.0  # SIPRI 2015, where NMC has ended
    assert (sc.crises[0].victim, sc.crises[0].aggressor) == ("ARM", "USA")


def test_build_membership_by_year_and_the_fallback_crisis(store: DataStore) -> None:
    built = build_scenario(store, "atop:9001", 1995)
    assert built.scenario["alliance"]["members"] == ["RUS", "BLR", "ARM", "AZE"]
    # no attack in 1985-1995: the smallest member against the non-member with the lowest
    # affinity to it among the largest militaries (here the only non-member, the USA)
    sc = _load(built.scenario)
    assert (sc.crises[0].victim, sc.crises[0].aggressor) == ("ARM", "USA")
    assert "no attack on a member's territory in the window" in (sc.crises[0].description or "")
    assert "HYPOTHETICAL" in (sc.crises[0].description or "")
    # (a build before the UN, on portfolio similarity, is in the real-file tests: 1936)


def test_build_errors(store: DataStore) -> None:
    with pytest.raises(UsageError, match="not an alliance this tool knows"):
        build_scenario(store, "no such pact", 2001)
    with pytest.raises(UsageError, match="has 0 member state\\(s\\) in 1980"):
        build_scenario(store, "atop:9001", 1980)
    with pytest.raises(UsageError, match="victim='USA': not a member"):
        build_scenario(store, "atop:9001", 2001, victim="USA", aggressor="AZE")
    with pytest.raises(UsageError, match=r"aggressor='ZZZ': not an actor this tool knows: a "
                       r"state .* a bundled non-state actor .*UNREST.* or UCDP_N"):
        build_scenario(store, "atop:9001", 2001, victim="ARM", aggressor="ZZZ")
    with pytest.raises(UsageError, match="crisis='mid:1': no such dispute"):
        build_scenario(store, "atop:9001", 2001, crisis="mid:1")
    with pytest.raises(UsageError, match=r"crisis='mid:9101': mid:9101 \(2010\) does not "
                       "involve a member against a non-member in 1991-2001"):
        build_scenario(store, "atop:9001", 2001, crisis="mid:9101")
    with pytest.raises(UsageError, match="crisis='war:3': a crisis id is mid:DISPNUM"):
        build_scenario(store, "atop:9001", 2001, crisis="war:3")


def test_api_build_writes_a_runnable_scenario(store: DataStore, tmp_path: Path) -> None:
    out = tmp_path / "built.yaml"
    api.data_build("atop:9001", year=2001, out=out, data_store=store.path)
    text = out.read_text()
    assert text.startswith("# Built by `alliancesim data build`")
    sc = api.load_scenario(out)
    ens = api.simulate(sc, trials=500, seed=1)
    assert ens.summary().crises[0].trials == 500
    bib = api.data_cite(out)
    assert "@incollection{singer1972nmc_50" in bib and "@article{bailey2017idealpoints_2020" in bib
    assert "@software{alliancesim" in bib


# --------------------------------------------------------------------------- the real files
REAL = [
    ("nmc", "peacesciencer_derived/cow_nmc.csv", "7.0"),
    ("nmc", "cow_nmc/NMC-60-abridged.csv", "6.0"),
    ("cow-states", "cow_states/states2016.csv", "2016"),
    ("cow-system", "cow_states/system2016.csv", "2016"),
    ("cow-majors", "cow_states/majors2016.csv", "2016"),
    ("cow-codes", "cow_states/COW-country-codes.csv", "COW country codes"),
    ("cow-alliance", "cow_alliance/alliance_v4.1_by_member.csv", "4.1"),
    ("atop-members", "atop/atop-member-level.csv", "4.01"),
    ("atop-alliances", "atop/atop-alliance-level.csv", "4.01"),
    ("atop-dyads", "peacesciencer_derived/atop_alliance.csv", "5.1"),
    ("mid-participants", "cow_mid/MIDB_4.2.csv", "4.2"),
    ("mid-participants", "cow_mid/MIDB_5.0.csv", "5.0"),
    ("mid-disputes", "cow_mid/MIDA_4.2.csv", "4.2"),
    ("mid-disputes", "peacesciencer_derived/cow_mid_disps.csv", "5.0"),
    ("ideal-points", "unga_idealpoints/IdealpointsJuly2025.dta", "July 2025"),
    ("ideal-points", "unga_idealpoints/IdealpointsJuly2025.csv", "July 2025"),
    ("sipri", "sipri/sipri-milex-data.csv", "2019"),
    ("reliability-bf2018", "alliance_reliability/BerkemeierFuhrmannRAP2018_0303.csv",
     "2018-03-03"),
    ("reliability-leeds-anac", "alliance_reliability/LeedsAnacIIrep.csv", "2005"),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    s = DataStore(tmp_path_factory.mktemp("real") / "datasets.duckdb")
    for kind, rel, release in REAL:
        t0 = time.perf_counter()
        row = s.import_file(kind, SHARED / "datasets" / rel)
        assert row.release == release, rel
        assert time.perf_counter() - t0 < 60
    return s


@needs_shared("datasets", "atop", "atop-member-level.csv")
def test_real_files_import_and_truncation_is_caught(real: DataStore, tmp_path: Path) -> None:
    have = {i.kind: i for i in real.imported()}
    assert have["nmc"].release == "6.0" and have["atop-dyads"].rows == 273296
    assert "no COW code" not in have["sipri"].notes
    src = SHARED / "datasets" / "cow_nmc" / "NMC-60-abridged.csv"
    lines = src.read_text().splitlines()
    cut = tmp_path / "nmc-cut.csv"
    cut.write_text("\n".join(lines[:9000]))  # ends on a whole line
    with pytest.raises(DatasetError, match=r"8999 data rows, but .* v6\.0 has 15951"):
        real.import_file("nmc", cut)
    mislabelled = tmp_path / "atop.csv"
    shutil.copy(SHARED / "datasets" / "cow_mid" / "MIDB_5.0.csv", mislabelled)
    with pytest.raises(DatasetError, match="looks like a 'mid-participants' file"):
        real.import_file("atop-members", mislabelled)
    assert real.query("SELECT count(*) FROM nmc")[0][0] == 15951  # the v6 import stands


@needs_shared("datasets", "atop", "atop-member-level.csv")
@pytest.mark.parametrize(("alliance", "year", "members", "leader"), [
    ("csto", 2010, ["RUS", "BLR", "ARM", "TJK", "KGZ", "UZB", "KAZ"], "RUS"),
    ("csto", 2016, ["RUS", "BLR", "ARM", "TJK", "KGZ", "KAZ"], "RUS"),
    ("csto", 2022, ["RUS", "BLR", "ARM", "TJK", "KGZ", "KAZ"], "RUS"),
    ("nato", 2001, 19, "USA"),
    ("nato", 2016, 29, "USA"),
    ("warsaw-pact", 1968, ["DDR", "POL", "HUN", "CSK", "ALB", "BGR", "ROU", "SUN"], "SUN"),
    ("baltic-entente", 1936, ["EST", "LVA", "LTU"], None),
])
def test_real_builds(real: DataStore, alliance: str, year: int, members: list[str] | int,
                     leader: str | None) -> None:
    built = build_scenario(real, alliance, year)
    sc = _load(built.scenario)
    al = sc.alliance
    assert not isinstance(al, str)
    if isinstance(members, int):
        assert len(al.members) == members
    else:
        assert al.members == members
    assert al.leader == leader
    if year < 1946:
        assert all("portfolio similarity" in p.reason for p in sc.affinity)
    else:
        assert any("UN ideal points" in p.reason for p in sc.affinity)
    for aid in al.members:
        assert "[nmc " in sc.actors[aid].source


# --------------------------------------------------------------------------- bundled figures
def test_states_beyond_the_hand_entered_actors_load_without_hand_entry() -> None:
    crises = [{"id": f"c{i}", "victim": "KAZ", "aggressor": a, "threat": "interstate_attack"}
              for i, a in enumerate(["CHN", "IND", "PAK", "IRN", "UKR", "GEO", "UZB", "MNG"])]
    sc = resolve(validate(Scenario, {"name": "t", "alliance": "csto", "crises": crises}, {},
                          "<t>"))
    for a in ("CHN", "IND", "PAK", "IRN", "UKR", "GEO", "MNG"):
        assert "[nmc 7.0]" in sc.actors[a].source and sc.actors[a].troops > 0
        assert "stated defaults" in sc.actors[a].judgement


@needs_shared("datasets", "peacesciencer_derived", "cow_nmc.csv")
def test_bundled_dataset_figures_match_their_source(real: DataStore) -> None:
    """Each bundled figure taken from a dataset equals the dataset's value (NMC 7.0 actors,
    the year-specific ideal-point affinities)."""
    s = DataStore(real.path.with_name("nmc7.duckdb"))
    s.import_file("nmc", SHARED / "datasets/peacesciencer_derived/cow_nmc.csv")
    s.import_file("ideal-points", SHARED / "datasets/unga_idealpoints/IdealpointsJuly2025.csv")
    from alliancesim.data import bundled

    actors = yaml.safe_load(bundled.ACTORS_DATASETS.read_text())["actors"]
    for aid, entry in actors.items():
        (row,) = s.query("SELECT milper, milex, tpop FROM nmc WHERE ccode = ? AND year = 2021",
                         [ccode_of(aid, 2021)])
        assert entry["troops"] == round(row[0] * 1000), aid
        if row[1] is None:
            assert "milex_usd_m" not in entry, aid
        else:
            assert entry["milex_usd_m"] == round(row[1] / 1000, 1), aid
    years = yaml.safe_load(bundled.AFFINITY_YEARS.read_text())["years"]
    for year, rows in years.items():
        got = ideal_point_affinities(s, [(ccode_of(r["a"], year), ccode_of(r["b"], year))
                                         for r in rows], year, "July 2025")
        for r in rows:
            assert got[(ccode_of(r["a"], year), ccode_of(r["b"], year))].value == r["value"]


# --------------------------------------------------------------------------- command line
def _cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alliancesim.cli", *args], capture_output=True,
                          text=True, timeout=300,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin",
                               "ALLIANCESIM_DATA": str(store), "HOME": str(store.parent),
                               # the checkout under test, when it is not the installed one
                               "PYTHONPATH": os.environ.get("PYTHONPATH", "")})


def test_cli_data_commands(tmp_path: Path) -> None:
    store = tmp_path / "d.duckdb"
    r = _cli("data", "list", store=store)
    assert r.returncode == 0 and "the data store is empty" in r.stdout
    r = _cli("data", "build", "--alliance", "atop:9001", "--year", "2001", store=store)
    assert r.returncode == 2 and "alliancesim data import nmc PATH" in r.stderr
    for kind, (name, _) in FIXTURES.items():
        release = fixture_release(kind)
        extra = ["--release", release] if release else []
        r = _cli("data", "import", kind, str(FIX / name), *extra, store=store)
        assert r.returncode == 0, r.stderr
        assert f"imported {kind}" in r.stdout
    r = _cli("data", "import", "nmc", str(FIX / "midb.csv"), store=store)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "looks like a 'mid-participants' file" in r.stderr
    r = _cli("data", "list", "--json", store=store)
    assert {row["kind"] for row in json.loads(r.stdout)} == set(FIXTURES)
    out = tmp_path / "built.yaml"
    r = _cli("data", "build", "--alliance", "atop:9001", "--year", "2009", "--out", str(out),
             store=store)
    assert r.returncode == 0, r.stderr
    said = " ".join(r.stderr.split())  # rich wraps long lines
    assert "run it with" in said and "members as of 2003" in said
    r = _cli("--no-store", "run", str(out), "-n", "300", "-q", store=store)
    assert r.returncode == 0, r.stderr
    r = _cli("data", "cite", str(out), store=store)
    assert r.returncode == 0 and "@incollection{singer1972nmc_50" in r.stdout
    r = _cli("data", "crises", "--alliance", "atop:9001", "--year", "2009", "--json",
             store=store)
    assert r.returncode == 0, r.stderr
    (listed,) = json.loads(r.stdout)  # one dispute in the fixtures' window with a member
    assert (listed["id"], listed["member_id"], listed["other_id"]) == ("mid:9100", "ARM", "AZE")
    assert listed["territory"] is True
    r = _cli("data", "crises", "--alliance", "atop:9001", "--year", "2009", store=store)
    assert r.returncode == 0 and "mid:9100 *" in r.stdout
    r = _cli("data", "build", "--alliance", "atop:9001", "--year", "2008", "--crisis",
             "mid:9100", "--date", "2008-03-04", store=store)
    assert r.returncode == 0 and "victim: ARM" in r.stdout and "aggressor: AZE" in r.stdout
    r = _cli("data", "build", "--alliance", "atop:9001", "--year", "2009", "--crisis",
             "mid:77", store=store)
    assert r.returncode == 2 and "no such dispute" in r.stderr and "Traceback" not in r.stderr
    r = _cli("data", "build", "--alliance", "atop:9001", "--year", "2009", "--threat", "war",
             store=store)
    assert r.returncode == 2 and "--threat" in r.stderr and "interstate_attack" in r.stderr
    r = _cli("data", "--data-store", str(tmp_path), "list", store=store)
    assert r.returncode == 2 and "--data-store" in r.stderr and "Traceback" not in r.stderr
    r = _cli("show", "csto_2022_arm_september", store=store)
    assert "# Affinities the model uses" in r.stdout
    assert "ARM-AZE (aggressor) -0.90 JUDGEMENT" in r.stdout and "data 2021" in r.stdout
