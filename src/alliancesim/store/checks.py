"""Output folders and files: the checks made before any work, and the conventions every writer
follows.

A run writes into a fresh temporary folder named ``.<target>.alliancesim-tmp-<pid>-<random>``
and puts it in place whole at the end, with a manifest (``run.json``: the marker
``"format": "alliancesim-output/1"``, the kind of output, and every file written with its size
and SHA-256). The temporary folder is made beside the target and swapped in by rename; where the
target cannot be renamed (``--out .`` or a folder holding the working directory, a mount point
such as a Docker volume, a folder in a parent that cannot be written) it is made inside the
target and its files are moved in one by one (store/files.py, fill_in_place).

Nothing a user points an output at is destroyed:

- a target that is not a regular file or a folder (a symlink, a FIFO, a socket, a character or
  block device such as /dev/null) is refused, never replaced: the node is not ours;
- a folder is replaced only if it is empty or holds an alliancesim output whose manifest is
  ours (the marker, or the fields every alliancesim manifest has) and lists every file there
  with the size and SHA-256 it has; anything else (a foreign run.json, an unlisted file or
  subfolder, a file changed since it was written, even to the same size) is refused with one
  line naming what would be lost. Manifests written before the hashes were compared record a
  size alone for some files: for those the size is compared (all that can be).

One run at a time writes to a target (a lock beside it, or inside it where nothing can be
written beside). A temporary folder whose process is gone (killed) is recognised by its name
and removed by the next run.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Any

from alliancesim.scenario.errors import UsageError

MANIFEST = "run.json"
MARKER = "alliancesim-output/1"  # run.json's "format": the folder is an alliancesim output
TMP_TAG = ".alliancesim-tmp-"
LOCK_INSIDE = ".alliancesim-lock"  # the lock of a folder written in place, where beside fails
MANIFEST_MAX_BYTES = 1 << 20
SHOWN = 5  # the names a refusal shows before "and N more"


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


def absolute(out: Path) -> Path:
    """`out` made absolute without following symlinks (``.`` becomes the working folder, so the
    temporary folder and the lock go beside it, not inside)."""
    return Path(os.path.abspath(out))


def _node_kind(mode: int) -> str | None:
    """What a file-system node that is neither a regular file nor a folder is; None for those."""
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR,
                       "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return None


def refuse_special(path: Path) -> os.stat_result | None:
    """The node at `path` (not followed) if it is a regular file or a folder, None if there is
    none; refuse (UsageError) a symlink, a FIFO, a socket or a device: a writer that renamed
    over it would replace the node itself (as root, /dev/null), and one that followed a
    symlink would write somewhere the user did not name."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise _error(path, "the name is too long for the file system") from None
        if exc.errno == errno.ENOTDIR:
            return None  # a parent is a file: the callers say so
        raise _error(path, f"cannot be examined ({exc.strerror or exc})") from None
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.readlink(path)
        except OSError:
            target = "?"
        raise _error(path, f"is a symlink to {target}; give the target itself (a symlink is "
                     "never written through or replaced)")
    kind = _node_kind(st.st_mode)
    if kind is not None:
        raise _error(path, f"is {kind}, not a regular file or folder; it is left as it is: "
                     "give a file or folder name")
    return st


# (device, inode, size, mtime, ctime) of a file -> its SHA-256: a folder is checked before the
# work, again under its lock and again before it is replaced; a file is hashed once while none
# of these change (any write changes its ctime, which no user can set back)
_HASHED: dict[tuple[int, int, int, int, int], str] = {}


def sha256_file(path: Path, st: os.stat_result | None = None) -> str:
    """The SHA-256 (hex) of a regular file's bytes, read in blocks of 1 MiB; `st` its lstat,
    given, the hash is remembered for the rest of the process under the file's identity and
    times (so the repeated checks of one run hash a large trials.parquet once)."""
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns) if st else None
    if key is not None and key in _HASHED:
        return _HASHED[key]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    if key is not None:
        if len(_HASHED) >= 4096:  # a long-lived process (the web app to come): stay small
            _HASHED.clear()
        _HASHED[key] = digest
    return digest


def _changed(path: Path, st: os.stat_result, record: object) -> bool:
    """Whether the regular file at `path` (its lstat `st`) differs from what the manifest
    records of it: its SHA-256 where recorded ({"bytes": n, "sha256": hex}; the size first, a
    cheap difference), else its size alone (an earlier manifest's {"bytes": n}: a change to the
    same size cannot be seen there); a record without either (an incomplete manifest's None)
    tells nothing."""
    if not isinstance(record, dict):
        return False
    size, digest = record.get("bytes"), record.get("sha256")
    if isinstance(size, int) and not isinstance(size, bool) and st.st_size != size:
        return True
    if isinstance(digest, str):
        return sha256_file(path, st) != digest.lower()
    return False


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The folder's run.json if it is an alliancesim manifest (the marker, or the "alliancesim"
    version and "kind" every earlier manifest has, and a "files" mapping); else None."""
    p = out / MANIFEST
    try:
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MANIFEST_MAX_BYTES:
            return None
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    ours = data.get("format") == MARKER or (isinstance(data.get("alliancesim"), str)
                                            and isinstance(data.get("kind"), str))
    return data if ours else None


def is_working_file(out: Path, name: str) -> bool:
    """A name alliancesim itself puts inside a folder written in place: its temporary folder
    (``.<folder>.alliancesim-tmp-...``) or its lock."""
    return name.startswith(f".{out.name}{TMP_TAG}") or name == LOCK_INSIDE


def lost_files(out: Path) -> tuple[list[str], str]:
    """What replacing the folder `out` would lose, and why: every entry but alliancesim's own
    working files when its run.json is missing or not an alliancesim manifest; else the
    entries the manifest does not list, those that are not regular files, and those whose
    content differs from what it records (changed since: the SHA-256, or the size where an
    earlier manifest records no hash; _changed). Names of folders end in '/'."""
    entries = sorted((e for e in os.scandir(out) if not is_working_file(out, e.name)),
                     key=lambda e: e.name)
    if not entries:
        return [], ""
    manifest = read_manifest(out)

    def shown(e: os.DirEntry[str]) -> str:
        return e.name + ("/" if e.is_dir(follow_symlinks=False) else "")

    if manifest is None:
        why = (f"its {MANIFEST} was not written by alliancesim"
               if any(e.name == MANIFEST for e in entries) else f"no alliancesim {MANIFEST}")
        return [shown(e) for e in entries], why
    listed: dict[str, Any] = manifest["files"]
    pending = manifest.get("state") == "incomplete"  # written in place, interrupted
    unlisted, changed = [], []
    for e in entries:
        if e.name == MANIFEST:
            continue
        record = listed.get(e.name, False)
        if record is False or not e.is_file(follow_symlinks=False):
            unlisted.append(shown(e))
        elif not pending and _changed(Path(e.path), e.stat(follow_symlinks=False), record):
            changed.append(e.name + " (changed)")
    why = ("not listed in its alliancesim run.json" if not changed else
           "changed since alliancesim wrote them" if not unlisted else
           "not listed in its alliancesim run.json, or changed since")
    return unlisted + changed, why


def lost_message(lost: list[str], why: str) -> str:
    """One line naming what an output would destroy: the first few names and the count."""
    names = ", ".join(lost[:SHOWN]) + (f" and {len(lost) - SHOWN} more" if len(lost) > SHOWN
                                       else "")
    count, them = (("1 file that is", "it") if len(lost) == 1
                   else (f"{len(lost)} files that are", "them"))
    return (f"holds {count} not an alliancesim output ({why}) and would be lost: {names}; "
            f"move {them}, or give a new or empty folder")


def replaced_in_place(out: Path) -> bool:
    """Whether the existing folder `out` (absolute) must be written in place rather than
    renamed: it is a mount point (a Docker volume; renaming it: EBUSY), the working folder or
    one holding it (``--out .``: renaming it would move the user's shell along, and remove it),
    or its parent cannot be written (nothing can be made or renamed beside it)."""
    if not out.is_dir():
        return False
    try:
        cwd = Path(os.getcwd())
    except OSError:  # the working folder was removed: it is not this one
        cwd = None
    return (os.path.ismount(out) or (cwd is not None and (out == cwd or out in cwd.parents))
            or not os.access(out.parent, os.W_OK | os.X_OK))


def clean_stale(out: Path) -> list[Path]:
    """Remove temporary folders beside `out` (and inside it: those of a run in place) left by
    runs that were killed."""
    out = absolute(out)
    removed = []
    places = [out.parent, out] if out.is_dir() else [out.parent]
    for parent in places:
        for p in parent.glob(f".{out.name}{TMP_TAG}*"):
            pid = p.name.removeprefix(f".{out.name}{TMP_TAG}").split("-")[0]
            if pid.isdigit() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def make_tmp(out: Path, where: Path | None = None) -> Path:
    """A fresh temporary folder beside `out` (or in `where`), named after it and this process."""
    out = absolute(out)
    parent = where or out.parent
    return Path(tempfile.mkdtemp(prefix=f".{out.name}{TMP_TAG}{os.getpid()}-", dir=parent))


def check_out_dir(out: Path) -> None:
    """Fail early (before any simulation) if `out` cannot be used as an output folder: it is a
    symlink, a file or another node (refuse_special), it holds files that are not an
    alliancesim output (lost_files), or nothing can be written where the output is made (a
    read-only or virtual file system, a parent that is a file, a name too long)."""
    st = refuse_special(out)
    if st is not None and not stat.S_ISDIR(st.st_mode):
        raise _error(out, "exists and is a file, not a folder; give a folder name")
    full = absolute(out)
    if st is not None:
        try:
            lost, why = lost_files(full)
        except OSError as exc:
            raise _error(out, f"cannot be read ({exc.strerror or exc})") from None
        if lost:
            raise _error(out, lost_message(lost, why))
    probe = full if replaced_in_place(full) else full.parent
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
    """Fail early if a single output file cannot be written at `path`: it is a folder, a
    symlink, a FIFO, a socket or a device (refuse_special), or nothing can be written in its
    folder."""
    st = refuse_special(path)
    if st is not None and stat.S_ISDIR(st.st_mode):
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
