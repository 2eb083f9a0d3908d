"""Issue 23, item 3: a run's start-up. The run loads no scipy.stats (the troops' band imported
it for one normal quantile: 0.7 s of every run); `alliancesim compile` fills numba's cache at
install, so the first run does not compile. Nothing here is timed (benchmarks/startup.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from statistics import NormalDist

import pytest

ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": os.pathsep.join(sys.path)}


def test_a_run_does_not_load_scipy_stats() -> None:
    probe = ("import sys\nfrom alliancesim import api\n"
             "s = api.simulate('csto-2021-autumn', trials=2000, seed=1).summary()\n"
             "assert s.crises[0].members[0].mean_troops_band is not None\n"
             "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_the_standard_librarys_normal_quantile_is_scipys(level: float) -> None:
    from scipy.stats import norm

    q = 0.5 + level / 2
    assert NormalDist().inv_cdf(q) == pytest.approx(float(norm.ppf(q)), rel=1e-14)


def test_compile_fills_the_cache_for_every_bundled_scenario(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """In a fresh cache directory: the first `alliancesim compile` writes numba's cache files
    (index and object code of the pass and the tally); a second one only loads them."""
    env = {**ENV, "NUMBA_CACHE_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "alliancesim", "compile"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    assert "csto-2021-autumn" in r.stderr and "kernels compiled and cached" in r.stderr
    cached = {p.name.split(".")[1].split("-")[0] for p in tmp_path.rglob("*.nbi")}
    assert {"_pass", "_tally_kernel"} <= cached, cached
    before = sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.nbc"))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    assert sorted(p.stat().st_mtime_ns for p in tmp_path.rglob("*.nbc")) == before


def test_every_kernel_is_cached_under_the_stamp_of_all_kernel_sources() -> None:
    """numba keys a cached function on its own file: a changed kernel in model/ stayed inside
    the cached engine._pass until engine.py changed (found while writing issue 23's pass).
    Every alliancesim kernel is cached under one stamp of all kernel sources instead."""
    import importlib
    import pkgutil

    from numba.core.registry import CPUDispatcher

    import alliancesim
    from alliancesim import _jit

    seen = 0
    for info in pkgutil.walk_packages(alliancesim.__path__, "alliancesim."):
        if info.name.startswith(("alliancesim.web", "alliancesim.cli")):
            continue
        mod = importlib.import_module(info.name)
        for obj in vars(mod).values():
            if isinstance(obj, CPUDispatcher) and obj.__module__ == info.name and obj._cache:
                locator = obj._cache._impl._locator
                assert isinstance(locator, _jit._Stamped), (info.name, obj.__name__)
                assert locator.get_source_stamp() == _jit.STAMP
                seen += 1
    assert seen >= 20  # the pass, the tally and the stages' kernels


def test_the_stamp_changes_with_any_kernel_source(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from alliancesim import _jit

    root = tmp_path / "alliancesim"
    for f in _jit.kernel_files():
        dst = root / f.relative_to(_jit._ROOT)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dst)
    assert _jit.kernels_stamp(root) == _jit.STAMP
    forces = root / "model" / "forces.py"
    forces.write_text(forces.read_text() + "\n# changed\n")
    assert _jit.kernels_stamp(root) != _jit.STAMP
    assert {p.relative_to(root).as_posix() for p in _jit.kernel_files(root)} >= {
        "engine.py", "results/tally.py", "model/forces.py", "model/council/probit.py"}
