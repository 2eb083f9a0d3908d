"""The allocator tuning of processes alliancesim owns (alliancesim._malloc)."""

from __future__ import annotations

import ctypes
import subprocess
import sys

import pytest

from alliancesim import _malloc
from alliancesim.backends.base import run_task


def _has_glibc_mallopt() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallopt")
    except OSError:
        return False


@pytest.mark.skipif(not _has_glibc_mallopt(), reason="glibc's mallopt only")
def test_glibc_takes_both_settings_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_malloc, "_tuned", [])
    calls: list[int] = []
    real = _malloc._mallopt
    monkeypatch.setattr(_malloc, "_mallopt", lambda: calls.append(1) or real())
    assert _malloc.tune_allocator() is True
    assert _malloc.tune_allocator() is True
    assert calls == [1]  # tried once per process


def test_nothing_is_changed_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_malloc, "_tuned", [])
    monkeypatch.setattr(sys, "platform", "darwin")
    assert _malloc.tune_allocator() is False


def test_workers_tune_their_process_and_run_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_malloc, "_tuned", [])
    seen: list[str] = []
    monkeypatch.setattr(_malloc, "_mallopt", lambda: seen.append("tuned") or True)
    assert run_task(lambda: seen.append("ran") or 7) == 7  # type: ignore[arg-type]
    assert seen == ["tuned", "ran"]


@pytest.mark.skipif(not _has_glibc_mallopt(), reason="glibc's mallopt only")
def test_the_command_line_tunes_its_process() -> None:
    """The command line's callback tunes the process before a command runs (a command that
    does no work: `alliancesim scenarios`)."""
    code = ("import sys; from alliancesim import _malloc; from alliancesim.cli import app; "
            "sys.argv = ['alliancesim', '--no-store', 'scenarios']\n"
            "try:\n    app()\nexcept SystemExit:\n    pass\n"
            "print('TUNED', _malloc._tuned)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert "TUNED [True]" in out.stdout
