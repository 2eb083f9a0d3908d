"""The results store: every run, comparison, sweep and analysis, kept in an embedded DuckDB file.

One table, ``runs``: an id, the kind (run, compare, sweep, sensitivity, discover, hindcast,
reliability, calibrate), the time, the scenario's name, its resolved YAML and its SHA-256
(store.digest: the one definition, which a run's run.json uses too), the seed and trials, the
package version, the parameters used (JSON) and the full report (JSON). Each record is one
transaction: a writer killed before it commits leaves nothing behind. DuckDB lets one process
write at a time; a writer that finds the file locked waits and retries (up to LOCK_WAIT
seconds), so two processes writing at once both land.

Every connection verifies the file before using it: a file that is not DuckDB (corrupt, or some
other kind), a DuckDB file holding other tables, or a ``runs`` table with other columns is
refused with a UsageError naming the file and what is wrong, and is never changed. A command
that keeps its results calls ``RunStore.check`` before its work, so that a store that cannot keep
them fails the command at once (not after the simulation).

The default file is ``$ALLIANCESIM_STORE``, else ``$XDG_DATA_HOME/alliancesim/runs.duckdb``
(``~/.local/share/alliancesim/runs.duckdb``).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from alliancesim._duckdb import duckdb
from alliancesim._version import __version__
from alliancesim.data.user_files import user_data_file
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import MAX_SEED, Scenario
from alliancesim.store.digest import scenario_digest, scenario_text

LOCK_WAIT = 60.0  # seconds a writer waits for another to finish
T = TypeVar("T")

# The table `runs` as SCHEMA makes it: column -> DuckDB type. scenario_yaml came later: a store
# without it is an older one of ours (the column is added when it is next written).
COLUMNS = {"id": "VARCHAR", "kind": "VARCHAR", "created": "TIMESTAMP", "scenario": "VARCHAR",
           "scenario_sha256": "VARCHAR", "seed": "BIGINT", "trials": "BIGINT",
           "version": "VARCHAR", "parameters": "JSON", "report": "JSON",
           "scenario_yaml": "VARCHAR"}
ADDED_LATER = {"scenario_yaml"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,
    scenario VARCHAR,
    scenario_sha256 VARCHAR,
    seed BIGINT,
    trials BIGINT,
    version VARCHAR NOT NULL,
    parameters JSON,
    report JSON NOT NULL
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS scenario_yaml VARCHAR;
"""


def default_path() -> Path:
    return user_data_file("ALLIANCESIM_STORE", "runs.duckdb")


class RunRow(BaseModel):
    id: str
    kind: str
    created: datetime.datetime
    scenario: str | None
    scenario_sha256: str | None
    seed: int | None
    trials: int | None
    version: str


class RunStore:
    """The store at `path` (default: default_path())."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def _refuse(self, message: str) -> UsageError:
        return UsageError(message, param="store", value=self.path)

    def check(self) -> None:
        """Before the work: raise UsageError unless a record could be written here now.

        The file (created if missing, as `record` would) must be a regular file that this
        process may write, in a folder it may write (DuckDB keeps a write-ahead log beside it),
        and an alliancesim results store (see `_verify`). A store another process is writing
        is waited for, as `record` waits. Nothing in an existing file is changed.
        """
        def probe() -> None:
            with self._connect():
                pass

        self._retry(probe)

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise self._refuse("no results store here yet (nothing recorded)")
        self._check_place(read_only)
        if not read_only and not self.path.exists():
            self._create()
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if self._verify(con) and not read_only:
                con.execute(SCHEMA)
            yield con
        finally:
            con.close()

    def _check_place(self, read_only: bool) -> None:
        """The path names a regular file (or nothing yet) in a folder that can hold it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise self._refuse(f"cannot create its folder ({exc.strerror or exc})") from None
        if not self.path.parent.is_dir():
            raise self._refuse(f"{self.path.parent} is not a folder")
        if self.path.exists() and not self.path.is_file():
            kind = "a folder" if self.path.is_dir() else "not a regular file (a device, FIFO " \
                "or socket)"
            raise self._refuse(f"is {kind}; give a DuckDB file (new or an earlier store)")
        if read_only:
            return
        # os.access answers for this process: permission bits (not for root) and a read-only
        # file system (for everyone)
        if self.path.exists() and not os.access(self.path, os.R_OK | os.W_OK):
            raise self._refuse("cannot write the results store (no permission, or a read-only "
                               "file system); give a writable file or --no-store")
        if not os.access(self.path.parent, os.W_OK | os.X_OK):
            raise self._refuse(f"cannot write in its folder {self.path.parent} (no permission, "
                               "or a read-only file system); give a writable place or "
                               "--no-store")

    def _verify(self, con: duckdb.DuckDBPyConnection) -> bool:
        """Raise UsageError unless the open file is a results store of ours (or empty).

        Returns whether SCHEMA may be applied (an empty file, or our table without the
        columns added later). A DuckDB file holding any other table or view, or a `runs` table
        with other columns or types, is someone else's: it is refused, never written.
        """
        tables = dict(con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = current_database() ORDER BY table_name").fetchall())
        others = sorted(t for t in tables if t != "runs")
        if others:
            shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5
                                              else "")
            raise self._refuse(f"not an alliancesim results store: the DuckDB file holds "
                               f"other tables ({shown}; a results store holds only the table "
                               "runs); give another file or --no-store")
        if not tables:
            return True
        if tables["runs"] != "BASE TABLE":
            raise self._refuse("not an alliancesim results store: runs is a view, not a "
                               "table; give another file or --no-store")
        found = dict(con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_name = 'runs'").fetchall())
        wrong = [f"{c} {t}" for c, t in found.items() if COLUMNS.get(c) != t]
        missing = [c for c in COLUMNS if c not in found and c not in ADDED_LATER]
        if wrong or missing:
            what = "; ".join(x for x in (
                f"unexpected column(s) {', '.join(wrong)}" if wrong else "",
                f"missing {', '.join(missing)}" if missing else "") if x)
            raise self._refuse(f"not an alliancesim results store: its table runs has other "
                               f"columns ({what}); give another file or --no-store")
        return len(found) < len(COLUMNS)

    def _create(self) -> None:
        """Make a new store whole before any other process can see it.

        The file is built under a temporary name beside its place and linked there with
        ``os.link``, which refuses to replace a file: if another process created the store
        first, its file stays and this one is thrown away. A process never opens a store
        that another is still creating (DuckDB would call it "not a valid database file").
        """
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
        try:
            con = duckdb.connect(str(tmp))
            try:
                con.execute(SCHEMA)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            with suppress(FileExistsError):
                os.link(tmp, self.path)
        except (OSError, duckdb.Error) as exc:
            # the reason without the temporary file's name ("...": Permission denied)
            why = (exc.strerror if isinstance(exc, OSError) and exc.strerror
                   else str(exc).rsplit(": ", 1)[-1])
            raise self._refuse(f"cannot create the results store: no file can be made in "
                               f"{self.path.parent} ({why}); give a writable place or "
                               "--no-store") from None
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def _retry(self, work: Callable[[], T]) -> T:
        """Run `work`, waiting while another process holds the file; any other failure of
        DuckDB's is a UsageError naming the file."""
        deadline = time.monotonic() + LOCK_WAIT
        delay = 0.02
        while True:
            try:
                return work()
            except duckdb.IOException as exc:
                text = str(exc)
                if "lock" in text.lower() and time.monotonic() <= deadline:
                    time.sleep(delay * (1 + random.random()))
                    delay = min(delay * 2, 0.5)
                    continue
                if "not a valid DuckDB database" in text:
                    raise self._refuse("not a DuckDB file (corrupt, or some other kind of "
                                       "file); give another file or --no-store") from None
                raise self._refuse(f"cannot open the results store ({text})") from None
            except duckdb.Error as exc:
                raise self._refuse(f"cannot use the results store ({type(exc).__name__}: "
                                   f"{exc})") from None
            except OSError as exc:
                raise self._refuse(f"cannot use the results store ({exc.strerror or exc})"
                                   ) from None

    def record(self, kind: str, report: BaseModel, *, scenario: Scenario | None = None,
               seed: int | None = None, trials: int | None = None,
               parameters: dict[str, Any] | None = None) -> str:
        """Keep a report; returns its id. One transaction: all of it or nothing.

        seed and trials are stored as BIGINT: each must be in 0..MAX_SEED (2^63 - 1)."""
        for name, value in (("seed", seed), ("trials", trials)):
            if value is not None and not 0 <= value <= MAX_SEED:
                raise UsageError(f"must be in 0..{MAX_SEED} (2^63 - 1, the results store's "
                                 "BIGINT)", param=name, value=value)
        run_id = uuid.uuid4().hex[:12]
        params = parameters if parameters is not None else (
            scenario.parameters.model_dump(mode="json") if scenario is not None else None)
        row = (run_id, kind, datetime.datetime.now(datetime.UTC).replace(tzinfo=None),
               scenario.name if scenario is not None else None,
               scenario_digest(scenario) if scenario is not None else None, seed, trials,
               __version__, json.dumps(params) if params is not None else None,
               report.model_dump_json(),
               scenario_text(scenario) if scenario is not None else None)

        def write() -> None:
            with self._connect() as con:
                con.execute("BEGIN TRANSACTION")
                con.execute("INSERT INTO runs (id, kind, created, scenario, scenario_sha256, "
                            "seed, trials, version, parameters, report, scenario_yaml) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
                con.execute("COMMIT")

        self._retry(write)
        return run_id

    def list(self) -> list[RunRow]:
        """Every record, newest first (without the reports)."""
        def read() -> list[RunRow]:
            with self._connect(read_only=True) as con:
                rows = con.execute("SELECT id, kind, created, scenario, scenario_sha256, seed, "
                                   "trials, version FROM runs ORDER BY created DESC").fetchall()
            keys = list(RunRow.model_fields)
            return [RunRow(**dict(zip(keys, r, strict=True))) for r in rows]

        return self._retry(read)

    def get(self, run_id: str) -> dict[str, Any]:
        """One record with its parameters and report (parsed)."""
        def read() -> dict[str, Any]:
            with self._connect(read_only=True) as con:
                row = con.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
                cols = [d[0] for d in con.description or []]
            if row is None:
                raise UsageError(f"no run '{run_id}' in the results store {self.path} (see "
                                 "`alliancesim results list`)")
            out = dict(zip(cols, row, strict=True))
            out["created"] = out["created"].isoformat()
            out["parameters"] = json.loads(out["parameters"]) if out["parameters"] else None
            out["report"] = json.loads(out["report"])
            return out

        return self._retry(read)

    def delete(self, run_id: str) -> None:
        self.get(run_id)  # a precise error for an unknown id

        def write() -> None:
            with self._connect() as con:
                con.execute("DELETE FROM runs WHERE id = ?", (run_id,))

        self._retry(write)
