"""The results store: every run, comparison, sweep and analysis, kept in an embedded DuckDB file.

One table, ``runs``: an id, the kind (run, compare, sweep, sensitivity, discover, hindcast), the
time, the scenario's name, its resolved YAML and that YAML's SHA-256, the seed and trials, the
package version, the parameters used (JSON) and the full report (JSON). Each record is one
transaction: a writer killed before it commits leaves nothing behind. DuckDB lets one process
write at a time; a writer that finds the file locked waits and retries (up to LOCK_WAIT
seconds), so two processes writing at once both land.

The default file is ``$ALLIANCESIM_STORE``, else ``$XDG_DATA_HOME/alliancesim/runs.duckdb``
(``~/.local/share/alliancesim/runs.duckdb``).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import yaml
from pydantic import BaseModel

from alliancesim._version import __version__
from alliancesim.data.user_files import user_data_file
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import Scenario

LOCK_WAIT = 60.0  # seconds a writer waits for another to finish
T = TypeVar("T")

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


def scenario_text(scenario: Scenario) -> str:
    """The resolved scenario as YAML (what the record's hash is of)."""
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=True,
                          allow_unicode=True)


def scenario_digest(scenario: Scenario) -> str:
    return hashlib.sha256(scenario_text(scenario).encode()).hexdigest()


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

    @contextmanager
    def _connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise UsageError("no results store here yet (nothing recorded)", param="store",
                             value=self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot create its folder ({exc.strerror or exc})",
                             param="store", value=self.path) from None
        if not read_only and not self.path.exists():
            self._create()
        con = duckdb.connect(str(self.path), read_only=read_only)
        try:
            if not read_only:
                con.execute(SCHEMA)
            yield con
        finally:
            con.close()

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
        except OSError as exc:
            raise UsageError(f"cannot create the results store ({exc.strerror or exc})",
                             param="store", value=self.path) from None
        finally:
            for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
                leftover.unlink(missing_ok=True)

    def _retry(self, work: Callable[[], T]) -> T:
        """Run `work`, waiting while another process holds the file."""
        deadline = time.monotonic() + LOCK_WAIT
        delay = 0.02
        while True:
            try:
                return work()
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise UsageError(f"cannot open the results store ({exc})", param="store",
                                     value=self.path) from None
                time.sleep(delay * (1 + random.random()))
                delay = min(delay * 2, 0.5)

    def record(self, kind: str, report: BaseModel, *, scenario: Scenario | None = None,
               seed: int | None = None, trials: int | None = None,
               parameters: dict[str, Any] | None = None) -> str:
        """Keep a report; returns its id. One transaction: all of it or nothing."""
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
