"""The geography kinds (issue 19): contiguity, minimum distances, capitals, Maoz powers,
Thompson-Dreyer rivalries and the UCDP/PRIO conflicts.

Unit tests read small fixtures in the published layouts with invented figures
(tests/fixtures/geography/README.md); the tests on the real files run when
../shared/datasets/peacesciencer_derived exists.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import SHARED, needs_shared

from alliancesim.datasets import kinds as kinds_module
from alliancesim.datasets.codes import GW_COW_DIFFERENCES, cow_of_gw
from alliancesim.datasets.reading import DatasetError
from alliancesim.datasets.store import DataStore

FIX = Path(__file__).parent / "fixtures" / "geography"
PS = SHARED / "datasets" / "peacesciencer_derived"

# kind -> its fixtures, each (file, layout's first word, release the importer must find)
FIXTURES: dict[str, list[tuple[str, str, str]]] = {
    "cow-contiguity": [("contdir.csv", "COW", "3.2"), ("cow_contdir.csv", "peacesciencer", "3.2")],
    "cow-mindist": [("cow_mindist.csv", "peacesciencer", "2.0")],
    "cow-capitals": [("cow_capitals.csv", "peacesciencer", "peacesciencer fe150a2")],
    "maoz-powers": [("maoz_powers.csv", "peacesciencer", "peacesciencer fe150a2")],
    "td-rivalries": [("td_rivalries.csv", "peacesciencer", "2012")],
    "ucdp-acd": [("ucdp_acd.csv", "UCDP/PRIO", "25.1"),
                 ("ucdp_acd_peacesciencer.csv", "peacesciencer", "25.1")],
}
ORDER = {  # a table's rows in a fixed order, to compare stores
    "cow_contiguity": "ccode1, ccode2, begin", "cow_mindist": "ccode1, ccode2, year",
    "cow_capitals": "ccode, stdate", "maoz_powers": "ccode, regstdate NULLS FIRST",
    "td_rivalries": "rivalryno", "ucdp_acd": "conflict_id, year",
}


@pytest.fixture
def small_resaves(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set aside the row counts of peacesciencer's re-saves (1,874 contiguity rows, ...): the
    fixtures are small files in those layouts. (The count itself is tested on the real files.)
    """
    for name, kind in list(kinds_module.KINDS.items()):
        layouts = tuple(dataclasses.replace(lay, rows=None) for lay in kind.layouts)
        monkeypatch.setitem(kinds_module.KINDS, name, dataclasses.replace(kind, layouts=layouts))


def _rows(store: DataStore, table: str) -> list[tuple[Any, ...]]:
    return store.query(f"SELECT * FROM {table} ORDER BY {ORDER[table]}")


# --------------------------------------------------------------------------- fixtures

@pytest.mark.usefixtures("small_resaves")
@pytest.mark.parametrize(("kind", "name", "layout", "release"),
                         [(k, *f) for k, fs in FIXTURES.items() for f in fs])
def test_every_layout_reads(tmp_path: Path, kind: str, name: str, layout: str,
                            release: str) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    row = s.import_file(kind, FIX / name)
    assert row.release == release and row.layout.startswith(layout)
    assert row.table_name == kinds_module.KINDS[kind].table and row.citation
    assert row.rows == s.query(f"SELECT count(*) FROM {row.table_name}")[0][0] > 0


@pytest.mark.usefixtures("small_resaves")
def test_contiguity_layouts_give_one_directed_table(tmp_path: Path) -> None:
    cow = DataStore(tmp_path / "cow.duckdb")
    first = cow.import_file("cow-contiguity", FIX / "contdir.csv")
    ps = DataStore(tmp_path / "ps.duckdb")
    second = ps.import_file("cow-contiguity", FIX / "cow_contdir.csv")
    # COW's file gives each dyad once (low code first): the reverse is added
    assert "7 row(s) added for the reverse direction" in first.notes
    # peacesciencer's conttype 0 spells (no contiguity) are not COW's: left out
    assert "2 row(s) of conttype 0 left out" in second.notes
    assert _rows(cow, "cow_contiguity") == _rows(ps, "cow_contiguity")
    assert cow.query("SELECT column_name FROM information_schema.columns WHERE table_name = "
                     "'cow_contiguity' ORDER BY ordinal_position") == [
        ("ccode1",), ("ccode2",), ("conttype",), ("begin",), ("end",)]
    assert cow.query('SELECT conttype, "begin", "end" FROM cow_contiguity WHERE ccode1 = 640 '
                     "AND ccode2 = 371 ORDER BY 2") == [(2, 199112, 200512), (1, 200601, 201612)]
    assert (first.first_year, first.last_year) == (1920, 2016)


@pytest.mark.usefixtures("small_resaves")
def test_ucdp_layouts_give_the_same_conflict_years(tmp_path: Path) -> None:
    official = DataStore(tmp_path / "u.duckdb")
    official.import_file("ucdp-acd", FIX / "ucdp_acd.csv")
    ps = DataStore(tmp_path / "p.duckdb")
    row = ps.import_file("ucdp-acd", FIX / "ucdp_acd_peacesciencer.csv")
    cols = ("conflict_id, year, gwno_a, gwno_a_2nd, gwno_b, gwno_b_2nd, ccode_a, "
            "incompatibility, intensity_level, type_of_conflict, start_date, ep_end, ep_end_date")
    both = [s.query(f"SELECT {cols} FROM ucdp_acd ORDER BY conflict_id, year")
            for s in (official, ps)]
    assert both[0] == both[1] and len(both[0]) == 7
    # one conflict-year per row, lists as UCDP writes them, the order kept
    assert ps.query("SELECT gwno_a, gwno_a_2nd FROM ucdp_acd WHERE conflict_id IN (9002, 9003) "
                    "ORDER BY conflict_id") == [("365", "370, 371"), ("2, 200", None)]
    # codes 1-4 become peacesciencer's labels
    assert official.query("SELECT incompatibility, type_of_conflict FROM ucdp_acd WHERE "
                          "conflict_id = 9002") == [("government", "II")]
    # ccode_a: the COW code of the first GW code in its year (Germany, Yemen, Hyderabad)
    assert dict(official.query("SELECT conflict_id * 10000 + year, ccode_a FROM ucdp_acd")) == {
        90012016: 371, 90022023: 365, 90031995: 2, 90042024: 255, 90051989: 678,
        90051994: 679, 90061948: None}
    assert "Gleditsch-Ward 751: no COW state" in row.notes
    # side names exist only in UCDP's own file
    assert official.query("SELECT side_a, location FROM ucdp_acd WHERE conflict_id = 9004") == [
        ("Government of Germany", "Germany")]
    assert ps.query("SELECT count(*) FROM ucdp_acd WHERE side_a IS NOT NULL OR location IS "
                    "NOT NULL")[0][0] == 0


@pytest.mark.usefixtures("small_resaves")
def test_dates_spells_and_early_years(tmp_path: Path) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    s.import_file("cow-capitals", FIX / "cow_capitals.csv")
    s.import_file("maoz-powers", FIX / "maoz_powers.csv")
    td = s.import_file("td-rivalries", FIX / "td_rivalries.csv")
    assert s.query("SELECT capital FROM cow_capitals WHERE ccode = 705 AND DATE '1998-06-01' "
                   "BETWEEN stdate AND enddate") == [("Astana",)]
    assert s.query("SELECT data_type FROM information_schema.columns WHERE table_name = "
                   "'maoz_powers' AND column_name = 'globstdate'") == [("DATE",)]
    # empty cells are no spell
    assert s.query("SELECT regstdate, globstdate FROM maoz_powers WHERE ccode = 200") == [
        (None, datetime.date(1816, 1, 1))]
    # the Handbook dates rivalries from 1494: the years run from the first styear
    assert (td.first_year, td.last_year) == (1494, 2010)


def test_a_gzipped_file_reads(tmp_path: Path) -> None:
    gz = tmp_path / "cow_mindist.csv.gz"
    gz.write_bytes(gzip.compress((FIX / "cow_mindist.csv").read_bytes()))
    s = DataStore(tmp_path / "d.duckdb")
    row = s.import_file("cow-mindist", gz)
    assert (row.rows, row.release, row.last_year) == (16, "2.0", 2019)
    assert s.query("SELECT mindist FROM cow_mindist WHERE ccode1 = 365 AND ccode2 = 371 AND "
                   "year = 2019") == [(110.5,)]
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(gz.read_bytes()[:-20])
    with pytest.raises(DatasetError, match=r"cut\.csv\.gz: not a readable CSV file"):
        s.import_file("cow-mindist", cut)


def test_gleditsch_ward_to_cow() -> None:
    assert [cow_of_gw(260, y) for y in (1960, 1990, 1991)] == [260, 260, 255]
    assert [cow_of_gw(678, y) for y in (1989, 1990)] == [678, 679]
    assert cow_of_gw(340, 1900) == cow_of_gw(340, 2010) == 345
    assert [cow_of_gw(341, y) for y in (1900, 2006)] == [None, 341]
    assert cow_of_gw(751, 1948) is None
    for same in (2, 365, 702, 703, 705, 730, 731, 732, 816, 817):
        assert cow_of_gw(same, 1995) == same
    # the differences do not overlap: one answer per code and year
    for gw, first, last, *_ in GW_COW_DIFFERENCES:
        assert sum(1 for g, f, la, *_ in GW_COW_DIFFERENCES
                   if g == gw and f <= last and first <= la) == 1


# --------------------------------------------------------------------------- bad files

def _edit(name: str, edit: Callable[[list[str]], list[str]], tmp_path: Path) -> Path:
    lines = (FIX / name).read_text().splitlines()
    out = tmp_path / f"broken-{name}"
    out.write_text("\n".join(edit(lines)) + "\n")
    return out


def _sub(line_no: int, old: str, new: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        assert old in lines[line_no - 1], (old, lines[line_no - 1])
        return [*lines[:line_no - 1], lines[line_no - 1].replace(old, new, 1), *lines[line_no:]]
    return edit


BAD = [  # (kind, fixture, edit, message)
    ("cow-mindist", "contdir.csv", lambda ls: ls,
     r"not a Minimum distance .* file: missing column\(s\) ccode1, ccode2, year, mindist.*"
     r"looks like a 'cow-contiguity' file"),
    ("cow-contiguity", "contdir.csv", _sub(2, ",1,192001,", ",7,192001,"),
     r"broken-contdir\.csv:2: column 'conttype': 7: expected 1 \(land or river border\) to 5"),
    ("cow-contiguity", "cow_contdir.csv", _sub(2, "2,20,1,", "2,20,7,"),
     r":2: column 'conttype': 7: expected 1"),
    ("cow-contiguity", "contdir.csv", _sub(3, "195901", "195913"),
     r":3: column 'begin': 195913: expected yyyymm, month 01-12"),
    ("cow-contiguity", "cow_contdir.csv", _sub(5, "1920-01-01", "1920-13-01"),
     r":5: column 'stdate': '1920-13-01' is not a date \(YYYY-MM-DD\)"),
    ("cow-contiguity", "contdir.csv", lambda ls: [*ls, ls[1]],
     r"lines 2 and 9: the same row twice \(ccode1=2, ccode2=20, begin=192001\)"),
    ("cow-contiguity", "contdir.csv", lambda ls: [*ls[:4], ls[4][:20]],
     r":5: \d field\(s\) where the header has 9: a truncated or damaged file"),
    ("cow-contiguity", "contdir.csv", lambda ls: [ls[0], *(r.replace("201612", "201512")
                                                           for r in ls[1:])],
     r"'end' ends at 2015, which is the end of no release .*3\.1: to 2006, 3\.2: to 2016"),
    ("cow-capitals", "cow_capitals.csv", _sub(4, ",55.8,", ",95,"),
     r"broken-cow_capitals\.csv:4: column 'lat': 95\.0: expected a latitude in degrees"),
    ("cow-capitals", "cow_capitals.csv", _sub(2, ",-77.0", ",-187.5"),
     r":2: column 'lng': -187\.5: expected a longitude"),
    ("cow-capitals", "cow_capitals.csv", _sub(3, "1918-03-11", "1815-12-31"),
     r":3: column 'enddate': .*expected a date on or after stdate"),
    ("cow-mindist", "cow_mindist.csv", _sub(10, ",110.5", ",110 km"),
     r"broken-cow_mindist\.csv:10: column 'mindist': '110 km' is not a number"),
    ("cow-mindist", "cow_mindist.csv", _sub(10, ",110.5", ",-3"),
     r":10: column 'mindist': -3\.0: expected a distance in km, 0 or more"),
    ("cow-mindist", "cow_mindist.csv", lambda ls: [*ls, ls[5]],
     r"lines 6 and 18: the same row twice \(ccode1=365, ccode2=370, year=2018\)"),
    ("cow-mindist", "cow_mindist.csv", lambda ls: [r for r in ls if ",2019," not in r],
     r"the file's 'year' ends at 2018, which is the end of no release"),
    ("maoz-powers", "maoz_powers.csv", _sub(5, "1975-01-01,", ","),
     r":5: column 'regenddate': .*expected empty with regstdate"),
    ("td-rivalries", "td_rivalries.csv", _sub(2, ",1494,", ",1300,"),
     r":2: column 'styear': year 1300 is outside 1494-"),
    ("td-rivalries", "td_rivalries.csv", _sub(3, ",spatial,,", ",territorial,,"),
     r":3: column 'type1': 'territorial': expected one of"),
    ("ucdp-acd", "ucdp_acd.csv", _sub(2, ",1,2,2016-04-02,", ",1,5,2016-04-02,"),
     r":2: column 'type_of_conflict': '5': expected 1/extrasystemic"),
    ("ucdp-acd", "ucdp_acd.csv", _sub(4, '"2, 200"', '"2; 200"'),
     r":4: column 'gwno_a': '2; 200': expected a Gleditsch-Ward code or a list"),
    ("ucdp-acd", "ucdp_acd_peacesciencer.csv", _sub(4, ",government,1,II,", ",government,2,II,"),
     r"lines 3 to 4: the rows of one \(conflict_id=9002, year=2023\) differ in "
     r"intensity_level; they may differ only in gwno_a, gwno_a_2nd"),
    ("ucdp-acd", "ucdp_acd_peacesciencer.csv", lambda ls: [*ls, ls[2]],
     r"lines 3 and 11: the same row twice \(conflict_id=9002, year=2023, gwno_a=365, "
     r"gwno_a_2nd=370"),
]


@pytest.mark.usefixtures("small_resaves")
@pytest.mark.parametrize(("kind", "name", "edit", "message"), BAD)
def test_a_bad_file_is_refused_and_the_store_stays_as_it_was(
        tmp_path: Path, kind: str, name: str, edit: Callable[[list[str]], list[str]],
        message: str) -> None:
    s = DataStore(tmp_path / "d.duckdb")
    good_file = FIXTURES[kind][0][0]
    good = s.import_file(kind, FIX / good_file)
    table = kinds_module.KINDS[kind].table
    before = _rows(s, table)
    with pytest.raises(DatasetError, match=message) as exc:
        s.import_file(kind, _edit(name, edit, tmp_path))
    assert "\n" not in str(exc.value)
    assert _rows(s, table) == before
    (after,) = s.imported()
    assert after.model_dump() == good.model_dump()


def test_the_years_decide_the_release(tmp_path: Path) -> None:
    """UCDP's own file names its release; as for every kind, the years it reaches decide."""
    path = _edit("ucdp_acd.csv", lambda ls: [r.replace(",25.1", ",24.1") for r in ls], tmp_path)
    row = DataStore(tmp_path / "d.duckdb").import_file("ucdp-acd", path)
    # the years decide (24.1 ends 2023); the file's own claim is kept in the notes
    assert row.release == "25.1" and "version column says 24.1" in row.notes


def test_a_resave_must_have_its_published_rows(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"16 data rows, but peacesciencer cow_contdir .* has "
                                           r"1874: a truncated or altered file"):
        DataStore(tmp_path / "d.duckdb").import_file("cow-contiguity", FIX / "cow_contdir.csv")


# --------------------------------------------------------------------------- CLI

def _cli(*args: str, store: Path) -> subprocess.CompletedProcess[str]:
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "ALLIANCESIM_DATA": str(store),
           "HOME": str(store.parent)}
    if "PYTHONPATH" in os.environ:  # the checkout under test, when it is not installed
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([sys.executable, "-m", "alliancesim.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env)


def test_cli_cite(tmp_path: Path) -> None:
    store = tmp_path / "d.duckdb"
    gz = tmp_path / "cow_mindist.csv.gz"
    gz.write_bytes(gzip.compress((FIX / "cow_mindist.csv").read_bytes()))
    DataStore(store).import_file("cow-mindist", gz)
    DataStore(store).import_file("cow-contiguity", FIX / "contdir.csv")
    r = _cli("data", "cite", store=store)
    assert r.returncode == 0
    assert "@article{stinnett2002contiguity_32," in r.stdout
    assert "@article{schvitz2022cshapes_20," in r.stdout
    assert r.stdout.count("@article{miller2022peacesciencer,") == 1


def test_a_file_of_another_kind_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"not a Capitals .* file: missing column\(s\) ccode, "
                                           r"statenme.*looks like a 'td-rivalries' file"):
        DataStore(tmp_path / "d.duckdb").import_file("cow-capitals", FIX / "td_rivalries.csv")


def test_data_kinds_lists_the_geography() -> None:
    from alliancesim import api

    names = {k.name: k for k in api.data_kinds()}
    for kind in FIXTURES:
        assert names[kind].cite and names[kind].bibtex and names[kind].url
    assert names["cow-contiguity"].releases["3.2"] == 2016
    assert names["ucdp-acd"].releases["25.1"] == 2024


# --------------------------------------------------------------------------- real files

REAL = [  # kind, file, release, rows in the table
    ("cow-contiguity", "cow_contdir.csv", "3.2", 1694),
    ("cow-mindist", "cow_mindist_1946.csv.gz", "2.0", 875215),
    ("cow-capitals", "cow_capitals.csv", "peacesciencer fe150a2", 242),
    ("maoz-powers", "maoz_powers.csv", "peacesciencer fe150a2", 20),
    ("td-rivalries", "td_rivalries.csv", "2012", 197),
    ("ucdp-acd", "ucdp_acd.csv", "25.1", 2752),
]


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> DataStore:
    s = DataStore(tmp_path_factory.mktemp("geo") / "datasets.duckdb")
    for kind, name, release, rows in REAL:
        t0 = time.perf_counter()
        row = s.import_file(kind, PS / name)
        took = time.perf_counter() - t0
        assert (row.release, row.rows) == (release, rows), name
        assert took < 20, f"{name}: {took:.1f} s"  # the 875,215 distances take about 1-2 s
    return s


@needs_shared("datasets", "peacesciencer_derived", "ucdp_acd.csv")
def test_real_geography(real: DataStore) -> None:
    q = real.query
    # USA-Canada share a land border from 1920 (both directions)
    assert q('SELECT ccode1, conttype FROM cow_contiguity WHERE ((ccode1 = 2 AND ccode2 = 20) '
             'OR (ccode1 = 20 AND ccode2 = 2)) AND 201612 BETWEEN "begin" AND "end" '
             "ORDER BY 1") == [(2, 1), (20, 1)]
    # Russia-Kazakhstan: land contiguity in 2016
    assert q('SELECT conttype FROM cow_contiguity WHERE ccode1 = 365 AND ccode2 = 705 AND '
             '201601 BETWEEN "begin" AND "end"') == [(1,)]
    assert q("SELECT count(*) FROM cow_contiguity WHERE conttype NOT BETWEEN 1 AND 5") == [(0,)]
    assert q("SELECT mindist FROM cow_mindist WHERE ccode1 = 365 AND ccode2 = 705 AND "
             "year = 2016") == [(0.0,)]
    assert q("SELECT min(year), max(year) FROM cow_mindist") == [(1946, 2019)]
    ((lat, lng),) = q("SELECT lat, lng FROM cow_capitals WHERE capital = 'Dushanbe'")
    assert lat == pytest.approx(38.576, abs=0.01) and lng == pytest.approx(68.786, abs=0.01)
    # Maoz: Russia a global power 1922-1990 and a regional one after; Saudi Arabia (670) is
    # not among the file's 20 rows
    assert q("SELECT year(globstdate), year(globenddate) FROM maoz_powers WHERE ccode = 365 AND "
             "globstdate IS NOT NULL") == [(1922, 1990)]
    assert q("SELECT count(*) FROM maoz_powers WHERE ccode = 670") == [(0,)]
    assert q("SELECT styear, endyear, type1, type2 FROM td_rivalries WHERE ccode1 = 750 AND "
             "ccode2 = 770") == [(1947, 2010, "positional", "spatial")]
    assert q("SELECT min(styear) FROM td_rivalries") == [(1494,)]
    # UCDP: Tajikistan's civil war (395) with Uzbekistan and Russia as secondary side A
    assert q("SELECT gwno_a, ccode_a, gwno_a_2nd, type_of_conflict FROM ucdp_acd WHERE "
             "conflict_id = 395 AND year = 1993") == [("702", 702, "365, 704", "II")]
    # Kyrgyzstan-Tajikistan border conflict, ended 2022
    assert q("SELECT gwno_a, gwno_b, type_of_conflict, incompatibility, ep_end FROM ucdp_acd "
             "WHERE conflict_id = 13324 AND year = 2022") == [
        ("703", "702", "interstate", "territory", 1)]
    # GW 678 after unification is COW 679; Hyderabad (GW 751) has no COW code
    assert q("SELECT DISTINCT ccode_a FROM ucdp_acd WHERE gwno_a = '678' AND year >= 1991") == [
        (679,)]
    assert q("SELECT count(*) FROM ucdp_acd WHERE ccode_a IS NULL") == [(3,)]


@needs_shared("datasets", "peacesciencer_derived", "cow_contdir.csv")
def test_a_cut_resave_is_refused(tmp_path: Path) -> None:
    lines = (PS / "cow_contdir.csv").read_text().splitlines()
    cut = tmp_path / "cow_contdir.csv"
    cut.write_text("\n".join(lines[:-1]) + "\n")  # one whole line short
    with pytest.raises(DatasetError, match=r"1873 data rows, but peacesciencer cow_contdir .* "
                                           r"has 1874"):
        DataStore(tmp_path / "d.duckdb").import_file("cow-contiguity", cut)
