"""--out: swapped in whole with a manifest; one writer at a time; interrupted runs leave the
target as it was; leftovers of killed runs are cleaned; unusable targets are refused."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from alliancesim import simulate
from alliancesim.scenario.errors import UsageError
from alliancesim.store.files import OutputFolder

EXE = [sys.executable, "-m", "alliancesim.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=300,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})


def test_a_second_run_replaces_the_first_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    simulate("csto-2021-autumn", trials=500, seed=1, out=out)
    first = json.loads((out / "run.json").read_text())
    simulate("csto-2021-autumn", trials=700, seed=2, out=out)
    second = json.loads((out / "run.json").read_text())
    assert (first["seed"], second["seed"]) == (1, 2)
    assert "seed: 2" in (out / "scenario.yaml").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no temporary folder, no lock


def test_a_folder_with_other_files_is_not_overwritten(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not an alliancesim output"):
        simulate("csto-2021-autumn", trials=100, out=tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with OutputFolder(out, "run"), pytest.raises(UsageError, match="another alliancesim run"):
        simulate("csto-2021-autumn", trials=100, out=out)


def test_a_killed_run_s_temporary_folder_is_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".out.alliancesim-tmp-{dead}-abc123"
    stale.mkdir()
    (stale / "trials.parquet").write_bytes(b"half")
    simulate("csto-2021-autumn", trials=100, out=out)
    assert not stale.exists()


@pytest.mark.parametrize("target", ["/proc/alliancesim-out", "{file}/sub", "{tmp}/" + "x" * 250])
def test_unusable_targets_are_refused_with_exit_2(tmp_path: Path, target: str) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = run("run", "-n", "100", "--out", target.format(file=f, tmp=tmp_path))
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: --out ") and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _pool_workers(pid: int) -> int:
    """How many pool workers `pid` has started (Linux: its children whose command line is
    multiprocessing's spawn_main)."""
    n = 0
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                with contextlib.suppress(OSError):
                    n += b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()
    return n


def _wait_until(started: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    """Until the run has got as far as `started` says (no fixed sleep: a busy machine takes
    longer to load and to start the pool, never less far)."""
    deadline = time.monotonic() + 240
    while not started():
        assert proc.poll() is None, "the run ended before it was interrupted"
        assert time.monotonic() < deadline, "the run did not start within 240 s"
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
@pytest.mark.parametrize("backend", ["local", "process"])
def test_ctrl_c_stops_a_run_and_leaves_the_old_output(tmp_path: Path, backend: str) -> None:
    """Ctrl-C once the run is under way: its temporary output folder exists and, with the
    process backend, its two workers have been started. Issue 22:
    this waited a fixed 6 s, which on a busy machine fell while the pool started."""
    out = tmp_path / "out"
    simulate("csto-2021-autumn", trials=200, seed=1, out=out)
    before = (out / "run.json").read_text()
    env = {"PATH": "/usr/bin:/bin", **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}
    proc = subprocess.Popen([*EXE, "run", "-n", "50000000", "--backend", backend, "--workers",
                             "2", "--out", str(out), "-q"], stderr=subprocess.PIPE, text=True,
                            env=env, start_new_session=True)
    try:
        _wait_until(lambda: any(tmp_path.glob(".out.alliancesim-tmp-*")) and (
            backend == "local" or _pool_workers(proc.pid) >= 2), proc)
    except BaseException:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    start = time.monotonic()
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - start < 20
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert (out / "run.json").read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_sigterm_stops_a_run_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = subprocess.Popen([*EXE, "run", "-n", "50000000", "--out", str(out), "-q"],
                            stderr=subprocess.PIPE, text=True, env={"PATH": "/usr/bin:/bin"})
    time.sleep(5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not out.exists() and "interrupted" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize("target", ["/proc/params.yaml", "{file}/params.yaml", "{tmp}"])
def test_calibrate_refuses_an_unusable_file_before_fitting(tmp_path: Path, target: str) -> None:
    f = tmp_path / "file.txt"
    f.write_text("x")
    r = run("calibrate", "--out", target.format(file=f, tmp=tmp_path))
    assert r.returncode == 2 and r.stderr.startswith("error: --out "), r.stderr
    assert r.stdout == ""


def test_trials_are_gathered_into_row_groups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """Chunks are written as row groups of at least ROW_GROUP_ROWS (the writer keeps each row
    group's metadata until it closes: one group per chunk grew past 1 GiB at 10^8 trials), and
    the file holds every trial in order."""
    import pyarrow.parquet as pq

    from alliancesim.store import files

    monkeypatch.setattr(files, "ROW_GROUP_ROWS", 3 * 4096)
    simulate("csto-2021-autumn", trials=10 * 4096 + 7, seed=1, out=tmp_path / "run",
             chunk_size=4096)
    f = pq.ParquetFile(tmp_path / "run" / "trials.parquet")
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)]
    crises = len(simulate("csto-2021-autumn", trials=1, seed=1).summary().crises)
    assert sum(sizes) == crises * (10 * 4096 + 7)
    assert all(n >= 3 * 4096 for n in sizes[:-1]) and len(sizes) < crises * 11
    trial = f.read(columns=["crisis", "trial"]).to_pandas()
    for _, group in trial.groupby("crisis"):
        assert list(group["trial"]) == list(range(10 * 4096 + 7))


def test_trials_continue_in_further_files_past_file_rows(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Past FILE_ROWS rows a run's trials continue in trials-2.parquet, ...: closing a file lets
    its row groups' metadata go (about 64 KiB per row group for NATO), so 10^9 trials are
    written in bounded memory (issue 23). Together the files hold every trial once, in order
    (read with one glob), and the manifest lists each."""
    import json

    import duckdb

    from alliancesim.store import files

    monkeypatch.setattr(files, "ROW_GROUP_ROWS", 4096)
    monkeypatch.setattr(files, "FILE_ROWS", 3 * 4096)
    n = 4 * 4096 + 5
    ens = simulate("csto-2021-autumn", trials=n, seed=2, out=tmp_path / "run", chunk_size=4096,
                   by_request=False)
    rows = len(ens.summary().crises) * n
    names = sorted(p.name for p in (tmp_path / "run").glob("trials*.parquet"))
    parts = [files.trials_file_name(k) for k in range(1, len(names) + 1)]
    assert sorted(parts) == names and len(names) == -(-rows // (3 * 4096))
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert set(names) <= set(manifest["files"])
    glob = str(tmp_path / "run" / "trials*.parquet")
    frame = duckdb.sql(f"select crisis, trial, filename from read_parquet('{glob}', "
                       "filename = true)").df()
    assert len(frame) == rows
    frame["part"] = frame["filename"].map(lambda f: parts.index(Path(f).name))
    frame = frame.sort_values("part", kind="stable")
    for _, group in frame.groupby("crisis", observed=True):
        assert list(group["trial"]) == list(range(n))


def test_crises_with_different_drawn_inputs_share_one_trials_file(tmp_path: Path) -> None:
    """One crisis's aggressor strength drawn, another's a number: the trials file has the
    union of the crises' columns, nulls where a crisis has none (was an internal error:
    the second crisis's chunk could not be cast to the first's columns; found by the web
    app's form)."""
    import pyarrow.parquet as pq

    from alliancesim import api

    sc = api.load_scenario("csto-2021-autumn")
    fixed = sc.crises[2].model_copy(update={"aggressor_strength": 12000.0})
    sc = sc.model_copy(update={"crises": [sc.crises[0], fixed]})
    ens = simulate(sc, trials=3000, seed=1, out=tmp_path / "run", by_request=False)
    t = pq.read_table(tmp_path / "run" / "trials.parquet").to_pandas()
    assert len(t) == 2 * 3000
    col = "input_aggressor_strength"
    first, second = (t[t["crisis"] == c.crisis_id] for c in ens.summary().crises)
    assert first[col].notna().all() and second[col].isna().all()
    assert first[col].between(2000, 8000).all()
