"""Writing results to a folder: per-trial Parquet, summary JSON, the scenario used, the files
the caller makes (the figures) and a manifest, put in place as one step.

Everything is written into a fresh temporary folder (store/checks.py), then put in place whole.
Beside the target, by rename: renamed into place when the target is new, exchanged with the old
folder atomically (Linux renameat2 RENAME_EXCHANGE) when it holds an earlier output, the old one
then removed. Where the target cannot be renamed (``--out .``, a mount point, a parent that
cannot be written: checks.replaced_in_place) the temporary folder is made inside it and its files
are moved in (fill_in_place): a manifest marked incomplete first, then each file by rename, then
the files the previous manifest listed and the new one does not removed, then the new manifest;
no other file is touched. Ctrl-C and SIGTERM are held for those few renames. A run that fails or
is interrupted before leaves the target as it was and removes its temporary folder; one killed
outright leaves a temporary folder that the next run recognises and removes. A lock beside the
target (inside it where nothing can be written beside) lets one run at a time write to it.

Only what alliancesim wrote is ever replaced: symlinks, FIFOs, sockets and devices are refused
as targets, and a folder holding anything its manifest does not list is refused (checks.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import errno
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Self

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from alliancesim._interrupt import held_signals
from alliancesim._version import __version__
from alliancesim.engine import TrialResults
from alliancesim.results.ensemble import Ensemble, prototype_results, trial_frame
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.errors import UsageError
from alliancesim.store.checks import (
    LOCK_INSIDE,
    MANIFEST,
    MARKER,
    absolute,
    check_out_dir,
    clean_stale,
    lost_files,
    lost_message,
    make_tmp,
    read_manifest,
    refuse_special,
    replaced_in_place,
    sha256_file,
)
from alliancesim.store.digest import scenario_digest

# a file the caller makes: given its path in the temporary folder, write it
FileMaker = Callable[[Path], object]


def scenario_yaml(ensemble: Ensemble) -> str:
    data = ensemble.scenario.model_dump(mode="json", by_alias=True)
    data["trials"], data["seed"] = ensemble.trials, ensemble.seed
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the file system cannot
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(tmp: Path, out: Path) -> None:
    """Put the folder `tmp` at `out` in one step; an earlier output there is replaced whole."""
    if not out.exists():
        os.rename(tmp, out)
        return
    if _exchange(tmp, out):
        shutil.rmtree(tmp, ignore_errors=True)  # tmp now holds the old output
        return
    old = tmp.with_name(tmp.name + "-old")
    os.rename(out, old)
    os.rename(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def _move(src: Path, dst: Path) -> None:
    """Rename `src` over `dst`; across file systems, copy it beside `dst` and rename that."""
    try:
        os.replace(src, dst)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        part = dst.with_name(f".{dst.name}.alliancesim-part")
        shutil.copyfile(src, part)
        os.replace(part, dst)
        src.unlink()


def fill_in_place(tmp: Path, out: Path, names: list[str], kind: str) -> None:
    """Put the files of the finished folder `tmp` (its `names` and its manifest) into the
    existing folder `out` without renaming `out`. First a manifest marked incomplete that lists
    the old files and the new (an interrupted fill is still recognised as ours and replaced by
    the next run), then each file by rename, then the files the previous manifest listed and
    the new one does not (regular files only), then the finished manifest. Nothing else in
    `out` is touched."""
    old = read_manifest(out)
    old_names = set(old["files"]) if old is not None else set()
    pending = {"format": MARKER, "kind": kind, "state": "incomplete",
               "files": {n: None for n in sorted(old_names | set(names))}}
    staged = tmp / f".{MANIFEST}.incomplete"
    staged.write_text(json.dumps(pending, indent=2), encoding="utf-8")
    _move(staged, out / MANIFEST)
    for name in names:
        _move(tmp / name, out / name)
    for name in sorted(old_names - set(names) - {MANIFEST}):
        if os.path.basename(name) != name or name in ("", ".", ".."):
            continue  # only a file of this folder, whatever a manifest says
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(out / name).st_mode):
                os.unlink(out / name)
    _move(tmp / MANIFEST, out / MANIFEST)



class OutputFolder:
    """A target folder being written: the lock, the temporary folder, the manifest, the swap.

    Use as a context manager; call commit() to put the finished folder in place. Leaving the
    block without commit (an error, Ctrl-C) removes the temporary folder and leaves the target
    as it was.
    """

    def __init__(self, out: Path, kind: str) -> None:
        check_out_dir(out)
        self.out, self.kind = out, kind
        self.full = absolute(out)  # `--out .`: the working folder, its lock and tmp beside it
        self.full.parent.mkdir(parents=True, exist_ok=True)
        self.in_place = replaced_in_place(self.full)
        self._lock: IO[str] | None = None
        self._lock_path = self.full.parent / f".{self.full.name}.alliancesim-lock"
        try:
            self._lock = open(self._lock_path, "a")  # noqa: SIM115 - held until close()
        except OSError:
            if not self.in_place:
                raise
            self._lock_path = self.full / LOCK_INSIDE  # nothing can be written beside it
            self._lock = open(self._lock_path, "a")  # noqa: SIM115
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise UsageError("another alliancesim run is writing to this folder; wait for it "
                             "or give another folder", param="out", value=out) from None
        clean_stale(self.full)
        check_out_dir(out)  # again, under the lock: what another run left is seen
        self.tmp = make_tmp(self.full, self.full if self.in_place else None)

    def commit(self, meta: Mapping[str, Any]) -> list[Path]:
        """Write the manifest (run.json) and put the folder in place. Returns the files
        written."""
        names = sorted(p.name for p in self.tmp.iterdir())
        manifest = {"format": MARKER, "kind": self.kind, "alliancesim": __version__, **meta,
                    "files": {n: {"bytes": (self.tmp / n).stat().st_size,
                                  "sha256": sha256_file(self.tmp / n)} for n in names},
                    "completed": datetime.datetime.now(datetime.UTC).isoformat(
                        timespec="seconds")}
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        with held_signals():
            self._put_in_place(names)
        return [self.out / n for n in [*names, MANIFEST]]

    def _put_in_place(self, names: list[str]) -> None:
        full = self.full
        try:
            st = refuse_special(full)  # a symlink or FIFO put there during the run: refused
            if st is not None and stat.S_ISDIR(st.st_mode):
                lost, why = lost_files(full)
                if lost:  # files put there during the run: they are kept, this output is not
                    raise UsageError(lost_message(lost, why) + " (they appeared during the "
                                     "run; nothing was written)", param="out", value=self.out)
            if self.in_place:
                fill_in_place(self.tmp, full, names, self.kind)
                return
            try:
                swap_in(self.tmp, full)
            except OSError as exc:
                if not full.is_dir() or exc.errno not in (errno.EBUSY, errno.EXDEV, errno.EPERM,
                                                          errno.EACCES, errno.EINVAL):
                    raise
                fill_in_place(self.tmp, full, names, self.kind)  # it cannot be renamed
        except OSError as exc:
            raise UsageError(f"cannot write there ({exc.strerror or exc})", param="out",
                             value=self.out) from None

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._lock_path)
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Rows per Parquet row group: chunks are gathered up to this many rows before they are written.
# The writer keeps every row group's metadata (about 0.8 KB per column) until the file is closed:
# one row group per chunk of NATO's 24,576 trials made 4,069 of them at 10^8 trials and a
# 1,063 MiB peak from the metadata's growth (docs/performance.md).
ROW_GROUP_ROWS = 131_072
# Rows per Parquet file: past this many a run's trials continue in trials-2.parquet,
# trials-3.parquet, ... (closing a file lets its metadata go: 1,024 row groups, about 64 MiB for
# NATO's 78 columns), so that writing 10^9 trials stays in bounded memory. Read them all with
# a glob: pandas.read_parquet(folder) / duckdb's read_parquet('folder/trials*.parquet').
FILE_ROWS = 1024 * ROW_GROUP_ROWS


def trials_file_name(part: int) -> str:
    """The name of the part-th (from 1) file of a run's trials."""
    return "trials.parquet" if part == 1 else f"trials-{part}.parquet"


class ResultsWriter(OutputFolder):
    """A run's outputs. Per-trial results are streamed to Parquet chunk by chunk
    (write_trials), gathered into row groups of ROW_GROUP_ROWS, so an ensemble of any size is
    written in bounded memory."""

    def __init__(self, out: Path, models: tuple[CompiledCrisis, ...] = ()) -> None:
        """models: the run's crises, so that the file's columns are the union of theirs
        (crises may differ in their drawn inputs or their members; a crisis without one of the
        columns has nulls there). Without them, the first chunk's columns are the file's."""
        # before the temporary folder exists: a Ctrl-C in here leaves nothing behind
        self._schema: pa.Schema | None = pa.unify_schemas([
            pa.Table.from_pandas(trial_frame(m, prototype_results(m)),
                                 preserve_index=False).schema for m in models]) if models else None
        super().__init__(out, "run")
        self._parquet: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._part = 0  # the file being written (trials_file_name)
        self._file_rows = 0  # rows written to it

    def write_trials(self, model: CompiledCrisis, results: TrialResults, first_trial: int
                     ) -> None:
        table = pa.Table.from_pandas(trial_frame(model, results, first_trial),
                                     preserve_index=False)
        if self._schema is None:
            self._schema = table.schema
        self._pending.append(_conform(table, self._schema))
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self._pending or self._schema is None:
            return
        if self._parquet is not None and self._file_rows >= FILE_ROWS:
            self._parquet.close()  # its row groups' metadata goes with it
            self._parquet = None
        if self._parquet is None:
            self._part += 1
            self._file_rows = 0
            self._parquet = pq.ParquetWriter(self.tmp / trials_file_name(self._part),
                                             self._schema)
        self._parquet.write_table(pa.concat_tables(self._pending),
                                  row_group_size=max(self._pending_rows, 1))
        self._file_rows += self._pending_rows
        self._pending, self._pending_rows = [], 0

    def finish(self, ensemble: Ensemble, extra: Mapping[str, FileMaker] | None = None
               ) -> list[Path]:
        """Write the summary, the scenario and the `extra` files; swap the folder in."""
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        summary = ensemble.summary()
        (self.tmp / "summary.json").write_text(summary.model_dump_json(indent=2),
                                               encoding="utf-8")
        text = scenario_yaml(ensemble)
        (self.tmp / "scenario.yaml").write_text(text, encoding="utf-8")
        for name, make in (extra or {}).items():
            make(self.tmp / name)
        return self.commit({
            "scenario": ensemble.scenario.name,
            "scenario_sha256": scenario_digest(ensemble.scenario),  # as the results store
            "seed": ensemble.seed, "trials": ensemble.trials, "backend": ensemble.backend,
        })

    def close(self) -> None:
        self._pending, self._pending_rows = [], 0  # not finished: the folder is discarded
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        super().close()


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A chunk's table with the file's columns, in its order: nulls where it has none."""
    if table.schema.names != schema.names:
        table = pa.table({f.name: table[f.name] if f.name in table.column_names
                          else pa.nulls(table.num_rows, f.type) for f in schema})
    return table.cast(schema)


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file via a temporary file in the same folder and a rename. Only a regular
    file is ever replaced: a symlink, FIFO, socket or device at `path` is refused
    (checks.refuse_special), never renamed over."""
    import tempfile

    refuse_special(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        refuse_special(path)  # again, just before the rename: nothing appeared meanwhile
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_folder(out: Path, files: Mapping[str, FileMaker], kind: str,
                 meta: Mapping[str, Any] | None = None,
                 folder: OutputFolder | None = None) -> list[Path]:
    """Make every file in a temporary folder beside `out`, then swap the folder in. `folder`:
    one already opened (its lock taken before the work, held_folder), else opened here."""
    if folder is not None:
        for name, make in files.items():
            make(folder.tmp / name)
        return folder.commit(meta or {})
    with OutputFolder(out, kind) as opened:
        return write_folder(out, files, kind, meta, opened)


@contextlib.contextmanager
def held_folder(out: Path | None, kind: str) -> Iterator[OutputFolder | None]:
    """The output folder `out` opened (its lock taken, so another run's folder is refused)
    before a computation that writes to it at the end; None when there is no `out`."""
    if out is None:
        yield None
        return
    with OutputFolder(out, kind) as folder:
        yield folder
