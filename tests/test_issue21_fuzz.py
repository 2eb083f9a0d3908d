"""Issue 21, item 6: what the grown fuzzers (tests/fuzzing.py) found, and a small sample of
every surface in the fast suite (`make fuzz` runs 10,000 per surface)."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from alliancesim import api
from alliancesim.datasets.reading import DatasetError
from fuzzing import SURFACES, fuzz

FIX = Path(__file__).parent / "fixtures" / "datasets"


def test_a_damaged_deflate_stream_is_a_dataset_error(tmp_path: Path) -> None:
    """A .gz file whose gzip header is sound but whose compressed data is not raised zlib.error
    (not an OSError) out of the import: 'internal error: error: Error -3 while decompressing
    data' (found by the datasets surface)."""
    path = tmp_path / "members.csv.gz"
    path.write_bytes(gzip.compress(b"atopid,member\n9001,365\n", mtime=0)[:11] + b"\x00garbage")
    with pytest.raises(DatasetError, match=r"members\.csv\.gz.*damaged gzip stream") as exc:
        api.data_import("atop-members", path, data_store=tmp_path / "d.duckdb")
    assert "\n" not in str(exc.value)


def test_a_whole_number_too_large_for_its_column_is_a_dataset_error(tmp_path: Path) -> None:
    """'99999999999999999999999' passed the whole-number check (it is one, as a double) and
    then failed DuckDB's cast to BIGINT: 'internal error: ConversionException' (found by the
    datasets surface)."""
    text = (FIX / "atop_members.csv").read_text().splitlines()
    text[2] = "99999999999999999999999" + text[2][text[2].index(","):]
    path = tmp_path / "members.csv"
    path.write_text("\n".join(text) + "\n")
    with pytest.raises(DatasetError, match=r"members\.csv:3: column 'atopid': "
                       r"'9{23}' is out of range \(a whole number here has at most 15 digits\)"):
        api.data_import("atop-members", path, data_store=tmp_path / "d.duckdb")
    text[2] = "999999999999999" + text[2][text[2].index(","):]  # 15 digits: imported
    path.write_text("\n".join(text) + "\n")
    row = api.data_import("atop-members", path, data_store=tmp_path / "d.duckdb")
    assert row.rows == len(text) - 1


def test_a_file_out_ending_in_a_slash_is_refused_and_the_file_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`results export ID --out target/` with a file `target` replaced the file: the slash, which
    names a folder, was lost when typer made the value a Path (found by the out surface)."""
    from fuzzing import _cli

    monkeypatch.setenv("ALLIANCESIM_STORE", str(tmp_path / "runs.duckdb"))
    ens = api.simulate("csto-2021-autumn", trials=20, seed=1)
    run_id = api.record("run", ens.summary(), store=tmp_path / "runs.duckdb")
    target = tmp_path / "target"
    target.write_text("the user's own file\n")
    code, err = _cli(["results", "export", run_id, "--out", f"{target}/"], None)
    assert (code, err) == (2, f"error: --out {target}/: ends in '/', which names a folder; "
                              "give a file name\n")
    assert target.read_text() == "the user's own file\n"
    for argv in (["report", run_id], ["calibrate"], ["data", "build", "--alliance", "nato",
                                                      "--year", "2000"]):
        code, err = _cli([*argv, "--out", f"{tmp_path}/new/"], None)
        assert code == 2 and "ends in '/'" in err, (argv, err)
    assert not (tmp_path / "new").exists()


def test_a_sweep_range_whose_width_overflows_is_refused() -> None:
    """--vary PATH=-1e308:1e308:3: both ends finite, their difference not; numpy's linspace
    warned of an overflow and the points were nan ('sweep point 0: ...=nan: got nan'),
    found by the vary surface."""
    from alliancesim.scenario.errors import UsageError

    with pytest.raises(UsageError, match=r"HIGH - LOW must be a finite number"):
        api.sweep("csto-2021-autumn", vary=["parameters.forces.valuation=-1e308:1e308:3"],
                  trials=8, seed=1)


@pytest.mark.parametrize("surface", [s for s in SURFACES if s != "files"])
def test_a_sample_of_every_surface_runs_or_is_refused(surface: str) -> None:
    """30 mutated inputs of the surface: each imported/run/written correctly, or refused with
    one line and (for --out) the target untouched. The files surface has tests/test_fuzz.py."""
    failures: list[str] = []
    t = time.perf_counter()
    counts = fuzz(30, seed=2021, report=failures.append, surface=surface)
    print(surface, dict(counts), f"{time.perf_counter() - t:.1f} s")
    assert not failures, failures
    assert counts["rejected"] > 0  # the sample reaches the checks
