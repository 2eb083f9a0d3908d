"""The benchmark script runs and prints every section (no speed is asserted here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_benchmark_quick_run_prints_every_section() -> None:
    r = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--quick"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    for heading in ["1. Pipeline on pre-drawn inputs", "2. Full simulate()",
                    "3. Time per stage", "4. Peak memory", "5. Process pool",
                    "6. Against the peers"]:
        assert heading in r.stdout
    assert "ratio" in r.stdout and "MiB" in r.stdout and "speed-up" in r.stdout
