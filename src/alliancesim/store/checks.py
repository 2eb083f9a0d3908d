"""Checks on an output folder, before any work is done (no heavy imports)."""

from __future__ import annotations

import os
from pathlib import Path

from alliancesim.scenario.errors import UsageError


def check_out_dir(out: Path) -> None:
    """Fail early (before any simulation) if `out` cannot be used as an output folder."""
    if out.exists() and not out.is_dir():
        raise UsageError("exists and is not a directory", param="out", value=out)
    parent = out.parent if str(out.parent) else Path(".")
    probe = out if out.exists() else parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise UsageError(f"{probe} is not writable", param="out", value=out)
