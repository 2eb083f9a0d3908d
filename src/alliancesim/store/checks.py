"""Output folders: the checks made before any work, and the conventions every writer follows.

A run writes into a fresh temporary folder beside its target, named
``.<target>.alliancesim-tmp-<pid>-<random>``, and swaps it in whole at the end, with a manifest
(``run.json``). A target may be absent, empty, or hold an earlier alliancesim output (it has a
``run.json``); a folder holding anything else is refused rather than overwritten. One run at a
time writes to a target (a lock beside it). A temporary folder whose process is gone (killed)
is recognised by its name and removed by the next run.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from pathlib import Path

from alliancesim.scenario.errors import UsageError

MANIFEST = "run.json"
TMP_TAG = ".alliancesim-tmp-"


def _error(out: Path, message: str) -> UsageError:
    return UsageError(message, param="out", value=out)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale(out: Path) -> list[Path]:
    """Remove temporary folders beside `out` left by runs that were killed."""
    removed = []
    parent = out.parent if str(out.parent) else Path(".")
    for p in parent.glob(f".{out.name}{TMP_TAG}*"):
        pid = p.name.removeprefix(f".{out.name}{TMP_TAG}").split("-")[0]
        if pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def make_tmp(out: Path, where: Path | None = None) -> Path:
    """A fresh temporary folder beside `out` (or in `where`), named after it and this process."""
    parent = where or (out.parent if str(out.parent) else Path("."))
    return Path(tempfile.mkdtemp(prefix=f".{out.name}{TMP_TAG}{os.getpid()}-", dir=parent))


def check_out_dir(out: Path) -> None:
    """Fail early (before any simulation) if `out` cannot be used as an output folder: it is a
    file, it holds files that are not an alliancesim output, or nothing can be written beside
    it (a read-only or virtual file system, a parent that is a file, a name too long)."""
    if out.exists() and not out.is_dir():
        raise _error(out, "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).is_file():
        raise _error(out, f"holds files that are not an alliancesim output (no {MANIFEST}); "
                     "give a new or empty folder")
    parent = out.parent if str(out.parent) else Path(".")
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise _error(out, f"{probe} is a file, not a folder")
    try:
        tmp = make_tmp(out, probe)  # the nearest existing folder: nothing is created for good
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise _error(out, "the name is too long for the file system") from None
        raise _error(out, f"cannot write there ({exc.strerror or exc})") from None
    with contextlib.suppress(OSError):
        tmp.rmdir()


def check_out_file(path: Path) -> None:
    """Fail early if a single output file cannot be written at `path`."""
    if path.is_dir():
        raise _error(path, "is a folder; give a file name, e.g. params.yaml")
    probe = path.parent if str(path.parent) else Path(".")
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise _error(path, f"{probe} is a file, not a folder")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=probe)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise _error(path, "the name is too long for the file system") from None
        raise _error(path, f"cannot write there ({exc.strerror or exc})") from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(tmp)
