"""Writing results to a folder: per-trial Parquet, summary JSON, the scenario used, the files
the caller makes (the figures) and a manifest, swapped in as one step.

Everything is written into a fresh temporary folder beside the target (store/checks.py), then
the folder is swapped in whole: renamed into place when the target is new, exchanged with the
old folder atomically (Linux renameat2 RENAME_EXCHANGE) when it holds an earlier output, the
old one then removed. A run that fails or is interrupted leaves the target as it was and
removes its temporary folder; one killed outright leaves a temporary folder that the next run
recognises and removes. A lock beside the target lets one run at a time write to it.
"""

from __future__ import annotations

import contextlib
import ctypes
import datetime
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Self

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from alliancesim._version import __version__
from alliancesim.engine import TrialResults
from alliancesim.results.ensemble import Ensemble, trial_frame
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.errors import UsageError
from alliancesim.store.checks import MANIFEST, check_out_dir, clean_stale, make_tmp

# a file the caller makes: given its path in the temporary folder, write it
FileMaker = Callable[[Path], object]


def scenario_yaml(ensemble: Ensemble) -> str:
    data = ensemble.scenario.model_dump(mode="json", by_alias=True)
    data["trials"], data["seed"] = ensemble.trials, ensemble.seed
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


class OutputFolder:
    """A target folder being written: the lock, the temporary folder, the manifest, the swap.

    Use as a context manager; call commit() to swap the finished folder in. Leaving the block
    without commit (an error, Ctrl-C) removes the temporary folder and leaves the target as it
    was.
    """

    def __init__(self, out: Path, kind: str) -> None:
        check_out_dir(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.out, self.kind = out, kind
        lock = out.parent / f".{out.name}.alliancesim-lock"
        self._lock: IO[str] | None = open(lock, "a")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock.close()
            self._lock = None
            raise UsageError("another alliancesim run is writing to this folder; wait for it "
                             "or give another folder", param="out", value=out) from None
        clean_stale(out)
        self.tmp = make_tmp(out)

    def commit(self, meta: Mapping[str, Any]) -> list[Path]:
        """Write the manifest (run.json) and swap the folder in. Returns the files written."""
        names = sorted(p.name for p in self.tmp.iterdir())
        manifest = {"kind": self.kind, "alliancesim": __version__, **meta,
                    "files": {n: {"bytes": (self.tmp / n).stat().st_size,
                                  "sha256": _sha256(self.tmp / n)} for n in names},
                    "completed": datetime.datetime.now(datetime.UTC).isoformat(
                        timespec="seconds")}
        (self.tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        swap_in(self.tmp, self.out)
        return [self.out / n for n in [*names, MANIFEST]]

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        if self._lock is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._lock.name)
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


class ResultsWriter(OutputFolder):
    """A run's outputs. Per-trial results are streamed to Parquet chunk by chunk
    (write_trials), gathered into row groups of ROW_GROUP_ROWS, so an ensemble of any size is
    written in bounded memory."""

    def __init__(self, out: Path) -> None:
        super().__init__(out, "run")
        self._parquet: pq.ParquetWriter | None = None
        self._pending: list[pa.Table] = []
        self._pending_rows = 0

    def write_trials(self, model: CompiledCrisis, results: TrialResults, first_trial: int
                     ) -> None:
        table = pa.Table.from_pandas(trial_frame(model, results, first_trial),
                                     preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.tmp / "trials.parquet", table.schema)
        self._pending.append(table.cast(self._parquet.schema))
        self._pending_rows += table.num_rows
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._parquet is not None and self._pending:
            self._parquet.write_table(pa.concat_tables(self._pending),
                                      row_group_size=max(self._pending_rows, 1))
        self._pending, self._pending_rows = [], 0

    def finish(self, ensemble: Ensemble, extra: Mapping[str, FileMaker] | None = None
               ) -> list[Path]:
        """Write the summary, the scenario and the `extra` files; swap the folder in."""
        if self._parquet is not None:
            self._flush()
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
            "scenario_sha256": hashlib.sha256(text.encode()).hexdigest(),
            "seed": ensemble.seed, "trials": ensemble.trials, "backend": ensemble.backend,
        })

    def close(self) -> None:
        self._pending, self._pending_rows = [], 0  # not finished: the folder is discarded
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        super().close()


def write_text_atomic(path: Path, text: str) -> None:
    """Write a text file via a temporary file in the same folder and a rename."""
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # as an ordinary file would be, not mkstemp's 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_folder(out: Path, files: Mapping[str, FileMaker], kind: str,
                 meta: Mapping[str, Any] | None = None) -> list[Path]:
    """Make every file in a temporary folder beside `out`, then swap the folder in."""
    with OutputFolder(out, kind) as folder:
        for name, make in files.items():
            make(folder.tmp / name)
        return folder.commit(meta or {})
