"""Issue 21, item 1: outputs never destroy what they did not write.

A FIFO, a symlink, a device or a socket given as --out is refused and left as it is; a folder is
replaced only if its run.json is an alliancesim manifest listing what is there (a foreign
run.json beside notes.txt is refused, naming what would have been lost); `--out .` and a mount
point are written in place, all or nothing, instead of failing with EBUSY after the run.
Each reproduction of the issue through the command line, as a user runs it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import alliancesim
from alliancesim.results.sweep import SweepReport
from alliancesim.scenario.errors import UsageError
from alliancesim.store import files
from alliancesim.store.checks import check_out_dir
from alliancesim.store.files import write_folder, write_text_atomic
from alliancesim.store.runs import RunStore

EXE = [sys.executable, "-m", "alliancesim.cli"]
SRC = str(Path(alliancesim.__file__).parents[1])  # the subprocess runs the code under test
RUN_FILES = {"contributions.png", "outcomes.png", "response.png", "run.json", "scenario.yaml",
             "summary.json", "trials.parquet"}


def run(*args: str, cwd: Path | None = None, store: Path | None = None
        ) -> subprocess.CompletedProcess[str]:
    """The command line; with `store` as the results store, else keeping nothing."""
    env = {"COLUMNS": "120", "PATH": "/usr/bin:/bin", "PYTHONPATH": SRC}
    keep = ["--store", str(store)] if store is not None else ["--no-store"]
    return subprocess.run([*EXE, *keep, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env=env)


def one_line_error(r: subprocess.CompletedProcess[str], says: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("error: --out ") and says in r.stderr, r.stderr


def node(path: Path) -> tuple[int, int, str | None]:
    """What a node is: its inode, its type and mode, a symlink's target."""
    st = os.lstat(path)
    return st.st_ino, st.st_mode, os.readlink(path) if stat.S_ISLNK(st.st_mode) else None


@pytest.fixture
def store(tmp_path: Path) -> tuple[Path, str]:
    """A results store holding one small record, made without running anything."""
    path = tmp_path / "runs.duckdb"
    report = SweepReport(scenario="s", paths=[], design="grid", trials=1, seed=1,
                         version="x", points=[])
    return path, RunStore(path).record("sweep", report)


def make_target(tmp_path: Path, what: str) -> Path:
    """A node that is not a regular file: a FIFO, a symlink to a file, a character device
    (as /dev/null: needs root), a socket."""
    target = tmp_path / what
    if what == "fifo":
        os.mkfifo(target)
    elif what == "symlink":
        (tmp_path / "real.json").write_text("the user's own")
        target.symlink_to(tmp_path / "real.json")
    elif what == "device":
        try:
            os.mknod(target, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        except PermissionError:
            pytest.skip("making a device node needs root")
    elif what == "socket":
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(str(target))
        except OSError as exc:
            pytest.skip(f"cannot make a socket here: {exc}")
        finally:
            s.close()
    return target


SAYS = {"fifo": "is a FIFO", "symlink": "is a symlink to ", "device": "is a character device",
        "socket": "is a socket"}


@pytest.mark.parametrize("what", ["fifo", "symlink", "device", "socket"])
@pytest.mark.parametrize("command", ["export", "report"])
def test_a_file_output_never_replaces_a_node_it_did_not_write(
        tmp_path: Path, store: tuple[Path, str], what: str, command: str) -> None:
    """results export / report --out at a FIFO, a symlink, a device, a socket: refused in one
    line, exit 2; the node is the same one (a symlink still points where it did, its target
    unchanged). Before: replaced by rename."""
    target = make_target(tmp_path, what)
    before = node(target)
    path, run_id = store
    args = (["results", "export", run_id] if command == "export" else ["report", run_id])
    r = run(*args, "--out", str(target), store=path)
    one_line_error(r, SAYS[what])
    assert node(target) == before
    if what == "symlink":
        assert "give the target itself" in r.stderr
        assert (tmp_path / "real.json").read_text() == "the user's own"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_regular_file_is_still_replaced(tmp_path: Path, store: tuple[Path, str]) -> None:
    path, run_id = store
    out = tmp_path / "record.json"
    out.write_text("an earlier export")
    r = run("results", "export", run_id, "--out", str(out), store=path)
    assert r.returncode == 0, r.stderr
    assert json.loads(out.read_text())["id"] == run_id


@pytest.mark.parametrize("what", ["fifo", "symlink"])
def test_every_file_writer_refuses_a_node(tmp_path: Path, what: str) -> None:
    """write_text_atomic (data build, calibrate, results export and report --out) refuses
    whatever the caller checked before: a node that appeared after the check is not replaced."""
    target = make_target(tmp_path, what)
    before = node(target)
    with pytest.raises(UsageError, match=SAYS[what]):
        write_text_atomic(target, "text")
    assert node(target) == before


@pytest.mark.parametrize("what", ["fifo", "symlink"])
def test_a_folder_output_never_replaces_a_node(tmp_path: Path, what: str) -> None:
    """run --out at a FIFO or at a symlink to an empty folder: refused before the run, the node
    left as it is. Before: the symlink was replaced by a folder."""
    if what == "symlink":
        (tmp_path / "real").mkdir()
        target = tmp_path / "link"
        target.symlink_to(tmp_path / "real")
    else:
        target = make_target(tmp_path, what)
    before = node(target)
    r = run("run", "-n", "100", "--out", str(target))
    one_line_error(r, SAYS[what])
    assert r.stdout == ""  # refused before any work
    assert node(target) == before
    if what == "symlink":
        assert list((tmp_path / "real").iterdir()) == []


def test_a_foreign_run_json_does_not_make_a_folder_ours(tmp_path: Path) -> None:
    """The issue's reproduction: mkdir p; echo '{"tool": "other"}' > p/run.json; echo keep >
    p/notes.txt; run --out p. Refused before the run, naming what would be lost; nothing
    touched. Before: notes.txt and every subfolder deleted."""
    p = tmp_path / "p"
    p.mkdir()
    (p / "run.json").write_text('{"tool": "other"}\n')
    (p / "notes.txt").write_text("keep\n")
    (p / "sub").mkdir()
    (p / "sub" / "data.csv").write_text("1,2\n")
    r = run("run", "-n", "100", "--out", str(p))
    one_line_error(r, "holds 3 files that are not an alliancesim output")
    assert "its run.json was not written by alliancesim" in r.stderr
    assert "notes.txt, run.json, sub/" in r.stderr
    assert (p / "notes.txt").read_text() == "keep\n"
    assert (p / "run.json").read_text() == '{"tool": "other"}\n'
    assert (p / "sub" / "data.csv").read_text() == "1,2\n"


def test_our_output_with_a_file_added_or_changed_is_refused(tmp_path: Path) -> None:
    """An alliancesim output is replaced whole only while it holds exactly the files its
    manifest lists, at the sizes it records."""
    out = tmp_path / "out"
    write_folder(out, {"summary.json": lambda p: p.write_text("{}"),
                       "figure.png": lambda p: p.write_bytes(b"png")}, kind="test")
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["format"] == "alliancesim-output/1"
    check_out_dir(out)  # ours: it would be replaced
    (out / "my-notes.md").write_text("analysis")
    with pytest.raises(UsageError, match=r"holds 1 file .*\(not listed in its alliancesim "
                       r"run\.json\) and would be lost: my-notes\.md; move it"):
        check_out_dir(out)
    (out / "my-notes.md").unlink()
    with (out / "summary.json").open("a") as f:
        f.write(" ")
    with pytest.raises(UsageError, match=r"summary.json \(changed\)"):
        check_out_dir(out)


def test_a_refusal_names_the_first_few_and_counts(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"f{i:02}.txt").write_text("x")
    with pytest.raises(UsageError, match=r"holds 12 files .*: f00.txt, f01.txt, f02.txt, "
                       r"f03.txt, f04.txt and 7 more; move them"):
        write_folder(tmp_path, {"a.txt": lambda p: p.write_text("a")}, kind="test")
    assert len(list(tmp_path.iterdir())) == 12


def test_an_earlier_manifest_without_the_marker_is_still_ours(tmp_path: Path) -> None:
    """Outputs of 0.3 (no "format" field, but "alliancesim" and "kind") are replaced as before."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old")
    (out / "run.json").write_text(json.dumps({"kind": "test", "alliancesim": "0.3.0",
                                              "files": {"a.txt": {"bytes": 3}}}))
    write_folder(out, {"b.txt": lambda p: p.write_text("new")}, kind="test")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt", "run.json"]


def test_out_dot_is_written_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An output folder given as `.`: written in place, again replaced in place (before:
    OSError EBUSY from the rename of '.'); with a file of the user's: refused, kept. Nothing
    is left beside it or inside it (no temporary folder, no lock)."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    write_folder(Path("."), {"a.txt": lambda p: p.write_text("1")}, kind="test")
    written = write_folder(Path("."), {"b.txt": lambda p: p.write_text("2")}, kind="test")
    assert written == [Path("b.txt"), Path("run.json")]
    assert sorted(p.name for p in here.iterdir()) == ["b.txt", "run.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["here"]
    (here / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match=r"would be lost: notes\.txt"):
        write_folder(Path("."), {"b.txt": lambda p: p.write_text("3")}, kind="test")
    assert (here / "notes.txt").read_text() == "mine" and (here / "b.txt").read_text() == "2"


@pytest.mark.slow
def test_run_out_dot_through_the_cli(tmp_path: Path) -> None:
    """The issue's reproduction: `run --out .` from a fresh folder. Before: EBUSY after the
    whole run, 'internal error', exit 1, nothing written. Now written there; with a file of
    the user's, refused before the run."""
    here = tmp_path / "here"
    here.mkdir()
    r = run("run", "-n", "100", "--seed", "1", "--out", ".", cwd=here)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in here.iterdir()} == RUN_FILES
    assert json.loads((here / "run.json").read_text())["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["here"]
    (here / "notes.txt").write_text("mine")
    r = run("run", "-n", "100", "--out", ".", cwd=here)
    one_line_error(r, "would be lost: notes.txt")
    assert r.stdout == "" and (here / "notes.txt").read_text() == "mine"


def test_in_place_removes_only_what_the_last_manifest_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.chdir(out)  # the working folder: written in place
    write_folder(out, {"a.txt": lambda p: p.write_text("1"), "b.txt": lambda p: p.write_text("1")},
                 kind="test")
    ino = os.stat(out).st_ino
    write_folder(out, {"a.txt": lambda p: p.write_text("2"), "c.txt": lambda p: p.write_text("2")},
                 kind="test")
    assert os.stat(out).st_ino == ino  # the same folder, never renamed
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "c.txt", "run.json"]
    assert (out / "a.txt").read_text() == "2"
    manifest = json.loads((out / "run.json").read_text())
    assert sorted(manifest["files"]) == ["a.txt", "c.txt"] and "state" not in manifest


def test_an_interrupted_fill_in_place_is_recognised(tmp_path: Path) -> None:
    """A fill in place killed between its first and last rename leaves a manifest marked
    incomplete listing the old files and the new: the next run replaces it, a file it does
    not list is still refused."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("new")
    (out / "b.txt").write_text("old, longer")
    (out / "run.json").write_text(json.dumps({
        "format": "alliancesim-output/1", "kind": "test", "state": "incomplete",
        "files": {"a.txt": None, "b.txt": None, "c.txt": None}}))
    check_out_dir(out)
    (out / "d.txt").write_text("the user's")
    with pytest.raises(UsageError, match=r"would be lost: d\.txt"):
        check_out_dir(out)


def test_a_folder_that_cannot_be_renamed_is_filled_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the rename fails (EBUSY, as for a mount point the checks did not recognise), the
    files are moved in instead of an internal error."""
    out = tmp_path / "out"
    write_folder(out, {"a.txt": lambda p: p.write_text("1")}, kind="test")

    def busy(tmp: Path, target: Path) -> None:
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY), str(target))

    monkeypatch.setattr(files, "swap_in", busy)
    write_folder(out, {"b.txt": lambda p: p.write_text("2")}, kind="test")
    assert sorted(p.name for p in out.iterdir()) == ["b.txt", "run.json"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.fixture
def mount_point(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A tmpfs mounted in the scratch folder (as a Docker volume is), where the machine lets
    the test mount one (root, a mount binary, the capability); else the test is skipped."""
    vol = tmp_path / "vol"
    vol.mkdir()
    mount = shutil.which("mount") or "/bin/mount"
    if os.geteuid() != 0:
        pytest.skip("mounting a file system needs root")
    r = subprocess.run([mount, "-t", "tmpfs", "-o", "size=64m", "none", str(vol)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield vol
    finally:
        subprocess.run([shutil.which("umount") or "/bin/umount", str(vol)], check=True)


def test_a_mount_point_is_written_in_place(mount_point: Path) -> None:
    """An output folder at a mount point (a Docker volume): written, then replaced, in place.
    Before: EBUSY from the rename."""
    assert os.path.ismount(mount_point)
    write_folder(mount_point, {"a.txt": lambda p: p.write_text("1")}, kind="test")
    write_folder(mount_point, {"b.txt": lambda p: p.write_text("2")}, kind="test")
    assert sorted(p.name for p in mount_point.iterdir()) == ["b.txt", "run.json"]
    assert [p.name for p in mount_point.parent.iterdir()] == ["vol"]


@pytest.mark.slow
def test_run_out_at_a_mount_point_through_the_cli(mount_point: Path) -> None:
    """--out at a mount point. Before: EBUSY after the whole run, 'internal error', exit 1,
    nothing written."""
    r = run("run", "-n", "100", "--seed", "3", "--out", str(mount_point))
    assert r.returncode == 0, r.stderr
    assert {p.name for p in mount_point.iterdir()} == RUN_FILES
    assert json.loads((mount_point / "run.json").read_text())["seed"] == 3
    assert [p.name for p in mount_point.parent.iterdir()] == ["vol"]


def test_a_killed_in_place_run_s_temporary_folder_is_cleaned(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run in place killed outright leaves its temporary folder inside the target: the next
    run does not count it as the user's, and removes it."""
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = out / f".out.alliancesim-tmp-{dead}-abc123"
    stale.mkdir()
    (stale / "trials.parquet").write_bytes(b"half")
    monkeypatch.chdir(out)
    write_folder(Path("."), {"a.txt": lambda p: p.write_text("1")}, kind="test")
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "run.json"]


def test_a_manifest_naming_files_elsewhere_removes_nothing_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Filling in place removes only files of the folder itself, whatever names the previous
    manifest lists ('../x', absolute paths)."""
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's")
    (out / "run.json").write_text(json.dumps({
        "format": "alliancesim-output/1", "kind": "test",
        "files": {"../victim.txt": None, str(victim): None}}))
    monkeypatch.chdir(out)
    write_folder(Path("."), {"a.txt": lambda p: p.write_text("1")}, kind="test")
    assert victim.read_text() == "the user's"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "run.json"]


def test_files_put_in_the_folder_during_the_run_are_kept(tmp_path: Path) -> None:
    """A file the user saves into the target while the run works is not swapped away: the
    output is refused at the end, naming it."""
    out = tmp_path / "out"

    def and_meanwhile(p: Path) -> None:
        p.write_text("1")
        out.mkdir(exist_ok=True)
        (out / "notes.txt").write_text("written during the run")

    with pytest.raises(UsageError, match=r"notes\.txt; .*appeared during the run"):
        write_folder(out, {"a.txt": and_meanwhile}, kind="test")
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
