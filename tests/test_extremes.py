"""Values at the edges of what the schema accepts: the engine stays in bounds and in memory.

The compiled kernels run here with numba's bounds checking on (NUMBA_BOUNDSCHECK=1, a fresh
cache), in a subprocess: an index past an array's end raises instead of writing past it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

EXTREME = {
    "name": "extremes",
    "alliance": "csto",
    "alliance_changes": {"decision_delay_days": {"value": {"dist": "lognormal", "median": 3,
                                                           "sigma": 3}}},
    "actors": {"TJK": {"name": "Tajikistan", "troops": 1e8, "readiness_days": 3650,
                       "quality": 1e-3},
               "RUS": {"name": "Russia", "troops": {"dist": "lognormal", "median": 1e6,
                                                    "sigma": 8}, "readiness_days": 3650,
                       "quality": 1e3}},
    "parameters": {
        "engagement": {"horizon_days": 3650, "attrition": 1.0, "defender_break_ratio": 1e3},
        "deployment": {"transport_days": {"dist": "uniform", "low": 0, "high": 3650}},
        "council": {"cutpoints": [-1000, -999, 999, 1000],
                    "intercept": {"dist": "normal", "mean": 0, "sd": 1e12}},
        "forces": {"valuation": 1e9, "private_benefit": 1e9, "token_scale": 1e-6},
    },
    "crises": [
        {"id": "max", "victim": "TJK", "aggressor": "TALIBAN",
         "threat": "cross_border_incursion", "request": "military",
         "aggressor_strength": {"dist": "lognormal", "median": 1e4, "sigma": 9}},
        {"id": "min", "victim": "TJK", "aggressor": "AFG", "threat": "interstate_attack",
         "aggressor_strength": 0, "defender_commitment": 0, "trust": 1,
         "engagement_law": "irregular"},
    ],
}

SCRIPT = """
import sys, numpy as np
from alliancesim import simulate
from alliancesim.engine import draw_trials, run_pipeline
from alliancesim.reference import run_reference
from alliancesim.scenario.compile import compile_crisis
from alliancesim import load_scenario
ens = simulate(sys.argv[1], trials=3000, seed=1, keep_trials=True)
for c in ens.summary().crises:
    assert abs(sum(c.response.values()) - 1) < 1e-9, c.response
    assert all(np.isfinite(v) for v in c.response.values())
sc = load_scenario(sys.argv[1])
for i in range(len(sc.crises)):
    m = compile_crisis(sc, i)
    inputs = draw_trials(m, 5, 0, 1, 200)
    a, b = run_pipeline(m, inputs), run_reference(sc, i, inputs)
    assert (a.rung == b.rung).all() and (a.outcome == b.outcome).all()
print("ok")
"""


def test_extreme_values_stay_in_bounds_with_numba_bounds_checking(tmp_path: Path) -> None:
    path = tmp_path / "extremes.yaml"
    path.write_text(yaml.safe_dump(EXTREME))
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(path)], capture_output=True,
                       text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip() == "ok"
