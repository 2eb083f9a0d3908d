"""The local data store: the imported datasets, in one embedded DuckDB file.

One table per dataset kind (datasets.kinds: `nmc`, `atop_members`, `ideal_points`, ...) and a
table `imports` saying, for each, the file it came from (path, size, SHA-256), its layout and
release, its row count and year range, when it was imported and the citation its publisher
asks for. An import is one transaction: the file is read and checked into temporary tables
first, and the kind's table and its `imports` row are replaced together at commit, so a wrong,
truncated or interrupted import leaves the previous state of the store as it was.

DuckDB spills what does not fit in MEMORY_LIMIT to a temporary folder beside the store,
``<store>.tmp`` (``datasets.duckdb.tmp``). Each process spills into its own subfolder,
``<store>.tmp/<pid>`` (DuckDB shares one database, with one configuration, among a process's
connections), removed when its last connection closes (normally, on an error, on Ctrl-C or
SIGTERM). A process killed outright (SIGKILL, out of memory) cannot remove its own:
the next command that opens the store removes every subfolder whose process is gone, and
anything else in ``<store>.tmp`` when it holds the store for writing (then no other process
has it open).

The default file is ``$ALLIANCESIM_DATA``, else
``$XDG_DATA_HOME/alliancesim/datasets.duckdb`` (``~/.local/share/alliancesim/...``).
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from alliancesim._duckdb import duckdb
from alliancesim.data.user_files import user_data_file
from alliancesim.datasets.kinds import KINDS, Kind
from alliancesim.datasets.reading import DatasetError, recognise, stage
from alliancesim.scenario.errors import UsageError

MEMORY_LIMIT = "1GB"  # DuckDB spills to disk beyond this: imports run in bounded memory
LOCK_WAIT = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS imports (
    kind VARCHAR PRIMARY KEY,
    table_name VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    release VARCHAR NOT NULL,
    layout VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    bytes BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    rows BIGINT NOT NULL,
    first_year INTEGER,
    last_year INTEGER,
    imported TIMESTAMP NOT NULL,
    citation VARCHAR NOT NULL,
    notes VARCHAR NOT NULL
);
"""


COLUMNS = ("kind", "table_name", "title", "release", "layout", "path", "bytes", "sha256", "rows",
           "first_year", "last_year", "imported", "citation", "notes")


def spill_folder(store: Path) -> Path:
    """The folder DuckDB spills into for the store at `store`: ``<store>.tmp``."""
    return store.with_name(store.name + ".tmp")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _owner(name: str) -> int | None:
    """The process id a spill subfolder's name (``<pid>``) gives, else None."""
    return int(name) if name.isdigit() and len(name) < 12 else None


_OPEN: dict[Path, int] = {}  # this process's open connections per spill subfolder


def _unused(store: Path) -> bool:
    """Whether no process has the store open: DuckDB holds an fcntl lock on the file while it
    is open (shared read-only, exclusive for writing), so an exclusive probe succeeds only then.
    Probed before this process opens it (closing the probe would drop this process's locks)."""
    import fcntl

    try:
        fd = os.open(store, os.O_RDWR | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return True
    finally:
        os.close(fd)


def clean_spill(store: Path, *, unused: bool, keep: str = "") -> None:
    """Remove what killed processes left in the store's spill folder: each subfolder whose
    owner process is gone; when the store is `unused` (no process has it open) everything in
    it but `keep`. The folder itself goes once it is empty."""
    tmp = spill_folder(store)
    try:
        entries = list(os.scandir(tmp))
    except OSError:  # none, or not a folder we can read: nothing of ours to remove
        return
    for entry in entries:
        if entry.name == keep:
            continue
        pid = _owner(entry.name)
        if not unused and (pid is None or pid == os.getpid() or _pid_alive(pid)):
            continue  # perhaps in use: by a live process, or by one that does not say
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
    if not keep:  # else the folder DuckDB is about to spill into is kept
        with contextlib.suppress(OSError):
            tmp.rmdir()


def default_path() -> Path:
    return user_data_file("ALLIANCESIM_DATA", "datasets.duckdb")


class Imported(BaseModel):
    """One imported dataset, as `alliancesim data list` shows it."""

    kind: str
    table_name: str
    title: str
    release: str
    layout: str
    path: str
    bytes: int
    sha256: str
    rows: int
    first_year: int | None
    last_year: int | None
    imported: datetime.datetime
    citation: str
    notes: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class DataStore:
    """The data store at `path` (default: default_path())."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if read_only and not self.path.exists():
            raise UsageError("no data store here yet: import the datasets first "
                             "(alliancesim data import KIND PATH; see docs/data.md)",
                             param="data-store", value=self.path)
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create its folder ({exc.strerror or exc})",
                                 param="data-store", value=self.path) from None
        deadline = time.monotonic() + LOCK_WAIT
        spill = spill_folder(self.path).absolute() / str(os.getpid())
        if spill not in _OPEN:  # not while this process has it open (the probe would unlock)
            clean_spill(self.path, unused=self.path.exists() and _unused(self.path))
        with contextlib.suppress(OSError):  # DuckDB makes the subfolder, not its parent
            spill.parent.mkdir(exist_ok=True)
        try:
            while True:
                try:
                    con = duckdb.connect(str(self.path), read_only=read_only,
                                         config={"memory_limit": MEMORY_LIMIT,
                                                 "temp_directory": str(spill)})
                    break
                except duckdb.IOException as exc:
                    if "lock" not in str(exc).lower():
                        raise UsageError(f"not a data store, or not readable ("
                                         f"{str(exc).splitlines()[0][:200]})",
                                         param="data-store", value=self.path) from None
                    if time.monotonic() > deadline:
                        raise UsageError(f"the data store is in use by another process "
                                         f"({LOCK_WAIT:.0f} s waited)", param="data-store",
                                         value=self.path) from None
                    time.sleep(0.2)
                except duckdb.Error as exc:
                    raise UsageError(f"not a data store ({str(exc).splitlines()[0][:200]})",
                                     param="data-store", value=self.path) from None
        except BaseException:
            self._release(spill, opened=False)
            raise
        _OPEN[spill] = _OPEN.get(spill, 0) + 1
        try:
            if not read_only:  # held for writing: no other process has it open
                clean_spill(self.path, unused=True, keep=spill.name)
            if not read_only:
                con.execute(SCHEMA)
            self._check_schema(con)
            yield con
        finally:
            con.close()
            self._release(spill, opened=True)

    @staticmethod
    def _release(spill: Path, *, opened: bool) -> None:
        """Close this process's hold on its spill subfolder; the last one removes it, and the
        spill folder too when no other process spills there."""
        if opened:
            _OPEN[spill] -= 1
        if _OPEN.get(spill, 0) > 0:
            return
        _OPEN.pop(spill, None)
        shutil.rmtree(spill, ignore_errors=True)
        with contextlib.suppress(OSError):
            spill.parent.rmdir()

    def _check_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refuse a DuckDB file whose `imports` table is not alliancesim's (one line)."""
        have = tuple(r[0] for r in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'imports' "
            "AND table_schema = 'main' ORDER BY ordinal_position").fetchall())
        if have and have != COLUMNS:
            raise UsageError(f"not an alliancesim data store: its table 'imports' has the "
                             f"columns {', '.join(have[:8])}{' ...' if len(have) > 8 else ''}"
                             f" (an alliancesim data store's has {', '.join(COLUMNS[:4])} "
                             "...); give another --data-store or $ALLIANCESIM_DATA",
                             param="data-store", value=self.path)

    def import_file(self, kind_name: str, path: str | Path, *,
                    release: str | None = None) -> Imported:
        """Check `path` as a `kind_name` file and replace that kind's table with it, atomically.
        """
        kind = kind_of(kind_name)
        path = Path(path)
        with self.connect() as con:
            staged = stage(con, kind, path, release)
            stat = path.stat()
            citation = kind.cite.replace("{release}", staged.release)
            if staged.layout.also_cite:
                citation += " " + staged.layout.also_cite[0]
            row = Imported(
                kind=kind.name, table_name=kind.table, title=kind.title, release=staged.release,
                layout=staged.layout.name, path=str(path.resolve()), bytes=stat.st_size,
                sha256=_sha256(path), rows=staged.rows, first_year=staged.first_year,
                last_year=staged.last_year, imported=datetime.datetime.now(datetime.UTC)
                .replace(tzinfo=None, microsecond=0), citation=citation,
                notes="; ".join(staged.notes))
            con.execute("BEGIN TRANSACTION")
            try:
                con.execute(f'CREATE OR REPLACE TABLE "{kind.table}" AS '
                            f"SELECT * EXCLUDE (_line) FROM staged")
                con.execute("DELETE FROM imports WHERE kind = ?", [kind.name])
                con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            list(row.model_dump().values()))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            return row

    def import_folder(self, folder: str | Path,
                      done: Callable[[FolderEntry, int, int], None] | None = None
                      ) -> list[FolderEntry]:
        """Import every recognised file of a folder (not its subfolders; names in order), each
        as `import_file` does, in one transaction of its own: a bad file is reported and the
        others are imported. A file whose header fits no kind (reading.recognise), a second
        file of a kind already imported from this folder, hidden files and subfolders are
        skipped and listed with the reason. done(entry, k, n) after the k-th of n files."""
        folder = Path(folder)
        if not folder.is_dir():
            raise UsageError("not a folder", param="folder", value=str(folder))
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        entries: list[FolderEntry] = []
        seen: dict[str, Path] = {}
        for k, path in enumerate(files, 1):
            entry = self._import_one(path, seen)
            entries.append(entry)
            if done:
                done(entry, k, len(files))
        return entries

    def _import_one(self, path: Path, seen: dict[str, Path]) -> FolderEntry:
        if not path.is_file():
            return FolderEntry(path=str(path), skipped="not a regular file (subfolders are "
                               "not searched)")
        try:
            kind, why = recognise(path)
        except DatasetError as exc:
            return FolderEntry(path=str(path), skipped=exc.problems[0].message)
        if kind is None:
            return FolderEntry(path=str(path), skipped=why)
        if kind in seen:
            return FolderEntry(path=str(path), kind=kind, skipped=(
                f"a second {kind} file: {seen[kind].name} was imported from this folder; "
                f"import this one alone with alliancesim data import {kind} {path}"))
        try:
            row = self.import_file(kind, path)
        except DatasetError as exc:
            return FolderEntry(path=str(path), kind=kind, error="; ".join(
                str(p) for p in exc.problems))
        seen[kind] = path
        return FolderEntry(path=str(path), kind=kind, imported=row)

    def imported(self) -> list[Imported]:
        if not self.path.exists():
            return []
        with self.connect(read_only=True) as con:
            if not con.execute("SELECT count(*) FROM information_schema.tables WHERE "
                               "table_name = 'imports'").fetchone()[0]:  # type: ignore[index]
                return []
            cur = con.execute("SELECT * FROM imports ORDER BY kind")
            names = [d[0] for d in cur.description]
            return [Imported(**dict(zip(names, r, strict=True))) for r in cur.fetchall()]

    def has(self, *kinds: str) -> bool:
        have = {i.kind for i in self.imported()}
        return all(k in have for k in kinds)

    def require(self, *kinds: str, purpose: str) -> dict[str, Imported]:
        """The imports of `kinds`, or a precise error naming what to import."""
        have = {i.kind: i for i in self.imported()}
        missing = [k for k in kinds if k not in have]
        if missing:
            raise UsageError(
                f"{purpose} needs the dataset(s) {', '.join(missing)} in the data store "
                f"{self.path}; import them with: "
                + "; ".join(f"alliancesim data import {k} PATH" for k in missing)
                + " (docs/data.md says where each file is published)")
        return {k: have[k] for k in kinds}

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.connect(read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


class FolderEntry(BaseModel):
    """One file of `data import --folder`: imported, skipped (not recognised; why) or refused
    (recognised, but the import's checks failed; the error)."""

    path: str
    kind: str | None = None
    imported: Imported | None = None
    skipped: str | None = None
    error: str | None = None


def kind_of(name: str) -> Kind:
    if name not in KINDS:
        raise UsageError(f"unknown dataset kind; known: {', '.join(KINDS)}", param="kind",
                         value=name)
    return KINDS[name]


__all__ = ["DataStore", "DatasetError", "Imported", "default_path", "kind_of"]
