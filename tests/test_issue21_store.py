"""Issue 21, item 2: everything that can fail is checked before the work.

The results store is opened and verified before any trial runs (a store under /proc, in a
read-only folder, a corrupt file, a foreign DuckDB file: one line naming the file, exit 2, the
file left as it was); the results are printed even when keeping them fails afterwards (said on
stderr, exit 2); seeds, workers and chunk sizes are bounded where they are stored or used.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from alliancesim import api
from alliancesim.scenario.errors import UsageError
from alliancesim.store.runs import SCHEMA, RunStore

EXE = [sys.executable, "-m", "alliancesim.cli"]
FAST = ("--mixed-only", "--parameter-uncertainty", "off")  # run: the least work per trial
ROOT = os.geteuid() == 0
# a clean environment (no default store in the user's home), with the import path kept
ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent-home",
       **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}}


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=timeout,
                          env=ENV)


def _report():  # type: ignore[no-untyped-def]
    from alliancesim.results.sweep import SweepReport

    return SweepReport(scenario="s", paths=[], design="grid", trials=1, seed=1, version="x",
                       points=[])


def _tables(path: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "ORDER BY table_name").fetchall()]
        return {n: [r[0] for r in con.execute(f"DESCRIBE {n}").fetchall()] for n in names}
    finally:
        con.close()


def _make(kind: str, tmp: Path) -> tuple[Path, str]:
    """A store that cannot keep results, and the words the error must say."""
    if kind == "proc":
        return Path("/proc/alliancesim-runs.duckdb"), "no file can be made in /proc"
    if kind == "corrupt":
        p = tmp / "corrupt.duckdb"
        p.write_bytes(os.urandom(8192))
        return p, "not a DuckDB file"
    if kind == "foreign-table":
        p = tmp / "theirs.duckdb"
        con = duckdb.connect(str(p))
        con.execute("CREATE TABLE accounts (name VARCHAR, balance DOUBLE)")
        con.execute("INSERT INTO accounts VALUES ('a', 1.5)")
        con.close()
        return p, "holds other tables (accounts;"
    if kind == "foreign-runs":
        p = tmp / "other-runs.duckdb"
        con = duckdb.connect(str(p))
        con.execute("CREATE TABLE runs (x INTEGER)")
        con.close()
        return p, "its table runs has other columns"
    if kind == "folder":
        p = tmp / "a-folder"
        p.mkdir()
        return p, "is a folder"
    if kind == "device":
        return Path("/dev/null"), "not a regular file"
    raise AssertionError(kind)


KINDS = ["proc", "corrupt", "foreign-table", "foreign-runs", "folder", "device"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_store_that_cannot_keep_results_fails_before_the_run(tmp_path: Path,
                                                                kind: str) -> None:
    store, words = _make(kind, tmp_path)
    before = store.read_bytes() if store.is_file() else None
    tables = _tables(store) if kind.startswith("foreign") else None
    start = time.monotonic()
    # a billion trials: only a check before the work returns within the timeout
    r = cli("--store", str(store), "run", "-n", "1000000000", "--json", timeout=30)
    assert r.returncode == 2, r.stderr
    assert time.monotonic() - start < 20
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"error: --store {store}: ") and words in lines[0], lines[0]
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if before is not None:
        assert store.read_bytes() == before  # never written
    if tables is not None:
        assert _tables(store) == tables  # no runs table made, no column added


@pytest.mark.parametrize("command", [
    ["compare", "csto-2021-autumn", "examples/csto-two-thirds.yaml", "-n", "1000000000"],
    ["sweep", "csto-2021-autumn", "--vary",
     "parameters.council.coefficients.leader_stake=0:2:50", "-n", "1000000000"],
    ["sensitivity", "csto-2021-autumn", "--samples", "524288"],
    ["discover", "csto-2021-autumn", "--crisis", "armenia-attack", "-n", "2000000"],
    ["hindcast", "--nested"],
], ids=lambda c: c[0])
def test_every_command_that_keeps_results_checks_the_store_first(tmp_path: Path,
                                                                 command: list[str]) -> None:
    store, words = _make("corrupt", tmp_path)
    start = time.monotonic()
    r = cli("--store", str(store), *command, timeout=60)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert time.monotonic() - start < 20
    assert r.stdout == "" and "Traceback" not in r.stderr


def test_no_store_bypasses_the_check(tmp_path: Path) -> None:
    store, _ = _make("corrupt", tmp_path)
    before = store.read_bytes()
    r = cli("--store", str(store), "--no-store", "run", "-n", "300", "--json", *FAST)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["trials"] == 300
    assert store.read_bytes() == before


@pytest.mark.skipif(ROOT, reason="root writes whatever the permission bits say")
@pytest.mark.parametrize("existing", [False, True], ids=["new", "existing"])
def test_a_read_only_folder_fails_before_the_run(tmp_path: Path, existing: bool) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    store = folder / "runs.duckdb"
    if existing:
        api.record("run", _report(), store=store)
    folder.chmod(0o500)
    try:
        r = cli("--store", str(store), "run", "-n", "1000000000", timeout=30)
    finally:
        folder.chmod(0o700)
    assert r.returncode == 2 and f"--store {store}: " in r.stderr, r.stderr
    assert "cannot" in r.stderr and r.stdout == ""


@pytest.mark.skipif(ROOT, reason="root writes whatever the permission bits say")
def test_a_read_only_store_file_fails_before_the_run(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    api.record("run", _report(), store=store)
    store.chmod(0o400)
    try:
        r = cli("--store", str(store), "run", "-n", "1000000000", timeout=30)
    finally:
        store.chmod(0o600)
    assert r.returncode == 2 and "cannot write the results store" in r.stderr, r.stderr


def test_the_check_refuses_what_os_access_calls_read_only(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """The branch a non-root user or a read-only file system takes, on any machine."""
    store = tmp_path / "runs.duckdb"
    api.record("run", _report(), store=store)
    monkeypatch.setattr(os, "access", lambda path, mode: not mode & os.W_OK)
    with pytest.raises(UsageError, match="cannot write the results store"):
        RunStore(store).check()
    store.unlink()
    with pytest.raises(UsageError, match="cannot write in its folder"):
        RunStore(store).check()
    assert not store.exists()


BREAK_AFTER_THE_RUN = """
import sys
from alliancesim import api, cli

store = sys.argv[1]
real = getattr(api, sys.argv[2])

def work(*args, **kwargs):
    result = real(*args, **kwargs)
    with open(store, "wb") as f:  # the store breaks after the check, during the work
        f.write(b"not a database" * 512)
    return result

setattr(api, sys.argv[2], work)
sys.argv = ["alliancesim", "--store", store, *sys.argv[3:]]
cli.main()
"""


@pytest.mark.parametrize("json_", [True, False], ids=["json", "tables"])
def test_results_are_printed_when_keeping_them_fails_afterwards(tmp_path: Path,
                                                                json_: bool) -> None:
    store = tmp_path / "runs.duckdb"
    args = ["run", "-n", "400", *FAST, *(["--json"] if json_ else [])]
    r = subprocess.run([sys.executable, "-c", BREAK_AFTER_THE_RUN, str(store), "simulate",
                        *args], capture_output=True, text=True, timeout=120,
                       env=ENV)
    assert r.returncode == 2, r.stderr
    if json_:
        assert json.loads(r.stdout)["trials"] == 400
    else:
        assert "Azerbaijan attacks Armenia" in r.stdout
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --store {store}: the results "
                                                   "were printed but not kept"), r.stderr
    assert "Traceback" not in r.stderr


def test_compare_results_are_printed_when_keeping_them_fails(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    r = subprocess.run([sys.executable, "-c", BREAK_AFTER_THE_RUN, str(store), "compare",
                        "compare", "csto-2021-autumn", "examples/csto-two-thirds.yaml", "-n",
                        "300", "--json"], capture_output=True, text=True, timeout=120,
                       env=ENV)
    assert r.returncode == 2 and "printed but not kept" in r.stderr, r.stderr
    assert json.loads(r.stdout)["trials"] == 300


def test_a_store_of_ours_passes_the_check_and_an_older_one_is_upgraded(tmp_path: Path
                                                                        ) -> None:
    new = tmp_path / "new" / "runs.duckdb"
    RunStore(new).check()  # created, as record would
    assert list(_tables(new)) == ["runs"]
    api.record("run", _report(), store=new)
    RunStore(new).check()
    old = tmp_path / "old.duckdb"  # a store from before scenario_yaml
    con = duckdb.connect(str(old))
    con.execute(SCHEMA.split("ALTER")[0])
    con.close()
    assert "scenario_yaml" not in _tables(old)["runs"]
    RunStore(old).check()
    api.record("run", _report(), store=old)
    assert "scenario_yaml" in _tables(old)["runs"]
    assert len(RunStore(old).list()) == 1


def test_a_foreign_file_is_refused_by_every_use_not_just_the_check(tmp_path: Path) -> None:
    store, words = _make("foreign-table", tmp_path)
    for use in (lambda: api.record("run", _report(), store=store),
                lambda: api.results_list(store=store),
                lambda: api.results_show("abc", store=store)):
        with pytest.raises(UsageError, match=re.escape(words)):
            use()
    assert list(_tables(store)) == ["accounts"]


BIG = str(2**63)


@pytest.mark.parametrize(("args", "flag", "bound"), [
    (["run", "-n", "200", *FAST, "--seed", BIG], "--seed", str(2**63 - 1)),
    (["compare", "csto-2021-autumn", "examples/csto-two-thirds.yaml", "-n", "200", "--seed",
      BIG], "--seed", str(2**63 - 1)),
    (["sweep", "csto-2021-autumn", "--vary",
      "parameters.council.coefficients.leader_stake=0:2:2", "-n", "200", "--seed", BIG],
     "--seed", str(2**63 - 1)),
    (["sensitivity", "csto-2021-autumn", "--samples", "8", "--method", "morris", "--seed",
      BIG], "--seed", str(2**63 - 1)),
    (["discover", "csto-2021-autumn", "--crisis", "armenia-attack", "-n", "500", "--seed",
      BIG], "--seed", str(2**63 - 1)),
    (["run", "-n", "200", *FAST, "--workers", "257"], "--workers", "256"),
    (["compare", "csto-2021-autumn", "examples/csto-two-thirds.yaml", "-n", "200",
      "--workers", "257"], "--workers", "256"),
    (["sweep", "csto-2021-autumn", "--vary",
      "parameters.council.coefficients.leader_stake=0:2:2", "-n", "200", "--workers", "257"],
     "--workers", "256"),
    (["sensitivity", "csto-2021-autumn", "--samples", "8", "--method", "morris",
      "--workers", "257"], "--workers", "256"),
    (["discover", "csto-2021-autumn", "--crisis", "armenia-attack", "-n", "500",
      "--workers", "257"], "--workers", "256"),
    (["hindcast", "--no-ablation", "--no-codings", "--workers", "257"], "--workers", "256"),
    (["run", "-n", "200", *FAST, "--chunk-size", "1000001"], "--chunk-size", "1000000"),
    (["discover", "csto-2021-autumn", "--crisis", "armenia-attack", "-n", "2000001"],
     "--trials", "2,000,000"),
    (["run", "-n", "1000000001", *FAST], "--trials", "1000000000"),
], ids=lambda a: a[0] if isinstance(a, list) else None)
def test_integers_are_bounded_before_the_work(tmp_path: Path, args: list[str], flag: str,
                                              bound: str) -> None:
    store = tmp_path / "runs.duckdb"
    r = cli("--store", str(store), *args)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert flag in r.stderr and bound in r.stderr, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert not store.exists() or api.results_list(store=store) == []


def test_the_largest_seed_is_kept(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    r = cli("--store", str(store), "run", "-n", "200", *FAST, "--seed", str(2**63 - 1),
            "--json")
    assert r.returncode == 0, r.stderr
    assert [row.seed for row in RunStore(store).list()] == [2**63 - 1]


def test_a_scenario_seed_beyond_the_store_is_a_scenario_error(tmp_path: Path) -> None:
    text = Path("examples/csto-two-thirds.yaml").read_text()
    assert "\nseed: 2021\n" in text
    f = tmp_path / "big-seed.yaml"
    f.write_text(text.replace("\nseed: 2021\n", f"\nseed: {BIG}\n"))
    r = cli("--store", str(tmp_path / "runs.duckdb"), "run", str(f), "-n", "200")
    assert r.returncode == 2 and f"{f}:16: seed: got {BIG}" in r.stderr, r.stderr


def test_the_library_bounds_the_same_integers() -> None:
    with pytest.raises(UsageError, match=r"seed=9223372036854775808: must be in 0\.\."):
        api.simulate(api.DEFAULT_SCENARIO, trials=10, seed=2**63)
    with pytest.raises(UsageError, match=r"chunk_size=1000001: must be in 1\.\.1,000,000"):
        api.simulate(api.DEFAULT_SCENARIO, trials=10, chunk_size=api.MAX_CHUNK + 1)
    with pytest.raises(UsageError, match=r"workers=257: must be in 1\.\.256"):
        api.check_options(backend="process", workers=api.MAX_WORKERS + 1)
    with pytest.raises(UsageError, match=r"workers=257: must be in 1\.\.256"):
        api.hindcast(workers=257)
    with pytest.raises(UsageError, match="the results store's BIGINT"):
        RunStore("/nonexistent/never-created.duckdb").record("run", _report(), seed=2**63)
    assert not Path("/nonexistent").exists()
