"""The results store: every command's report kept, listed, shown, exported, deleted; atomic
records; two writers at once both land."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alliancesim import api
from alliancesim.scenario.errors import UsageError
from alliancesim.store.runs import RunStore

EXE = [sys.executable, "-m", "alliancesim.cli"]


def cli(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, "--store", str(store), *args], capture_output=True, text=True,
                          timeout=300, env={"COLUMNS": "150", "PATH": "/usr/bin:/bin"})


def test_commands_keep_their_results(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    r = cli(store, "run", "-n", "1000", "--json")
    assert r.returncode == 0 and "kept as" in r.stderr, r.stderr
    summary = json.loads(r.stdout)
    assert cli(store, "--no-store", "run", "-n", "100").returncode == 0
    assert cli(store, "compare", "csto-2021-autumn", "examples/csto-two-thirds.yaml",
               "-n", "500").returncode == 0
    rows = json.loads(cli(store, "results", "list", "--json").stdout)
    assert [r["kind"] for r in rows] == ["compare", "run"]  # newest first; --no-store kept none
    run = rows[1]
    assert run["scenario"] == "csto-2021-autumn" and run["seed"] == 2021 and run["trials"] == 1000
    shown = json.loads(cli(store, "results", "show", run["id"]).stdout)
    assert shown["report"] == summary and len(shown["scenario_sha256"]) == 64
    assert shown["parameters"]["council"]["model"] == "ordered_probit"
    out = tmp_path / "run.json"
    assert cli(store, "results", "export", run["id"], "--out", str(out)).returncode == 0
    assert json.loads(out.read_text())["id"] == run["id"]
    assert cli(store, "results", "delete", run["id"]).returncode == 0
    gone = cli(store, "results", "show", run["id"])
    assert gone.returncode == 2 and "no run" in gone.stderr


def test_two_writers_at_once_both_land(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    script = ("import sys; from alliancesim.store.runs import RunStore; "
              "from alliancesim.results.sweep import SweepReport as R\n"
              "s = RunStore(sys.argv[1])\n"
              "for k in range(15):\n"
              "    s.record('test', R(scenario=f'w{sys.argv[2]}-{k}', paths=[], design='grid', "
              "trials=1, seed=k, version='x', points=[]))\n")
    procs = [subprocess.Popen([sys.executable, "-c", script, str(store), str(w)])
             for w in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    rows = RunStore(store).list()
    assert len(rows) == 30 and len({r.id for r in rows}) == 30


def test_a_killed_writer_leaves_no_half_record(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    api.record("first", _report(), store=store)
    script = ("import os, sys, duckdb; from alliancesim.store.runs import SCHEMA\n"
              "con = duckdb.connect(sys.argv[1]); con.execute(SCHEMA)\n"
              "con.execute('BEGIN TRANSACTION')\n"
              "con.execute(\"INSERT INTO runs VALUES ('half', 'run', now(), NULL, NULL, NULL, "
              "NULL, 'x', NULL, '{}', NULL)\")\n"
              "os._exit(9)  # killed before the commit\n")
    assert subprocess.run([sys.executable, "-c", script, str(store)]).returncode == 9
    rows = RunStore(store).list()
    assert [r.kind for r in rows] == ["first"]
    api.record("second", _report(), store=store)  # and the store still takes records
    assert len(RunStore(store).list()) == 2


def _report():  # type: ignore[no-untyped-def]
    from alliancesim.results.sweep import SweepReport

    return SweepReport(scenario="s", paths=[], design="grid", trials=1, seed=1, version="x",
                       points=[])


def test_an_empty_or_unusable_store_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no results store here yet"):
        api.results_list(store=tmp_path / "none.duckdb")
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(UsageError, match="store"):
        api.record("run", _report(), store=f / "runs.duckdb")
    bad = tmp_path / "garbage.duckdb"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(UsageError, match="not a DuckDB file"):
        api.results_list(store=bad)
