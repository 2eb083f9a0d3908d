"""Sweeps: the scenario's headlines over a grid or a Latin hypercube of quantity values.

Every point keeps the scenario's seed and number of trials, so each crisis draws the same
random numbers at every point (common random numbers: engine.py) and the curves are smooth:
what moves between points is the swept quantity's effect, not sampling noise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from alliancesim._version import __version__
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.headlines import summary_headlines
from alliancesim.results.sweep import SweepPoint, SweepReport
from alliancesim.scenario.errors import Problem, ScenarioError
from alliancesim.scenario.variants import raw_scenario, scenario_from, set_path


def design(ranges: list[tuple[str, float, float, int]], lhs: int | None, seed: int
           ) -> list[dict[str, float]]:
    """The points: a full grid of `steps` values per range, or `lhs` Latin-hypercube points."""
    if lhs is not None:
        from scipy.stats import qmc

        u = qmc.LatinHypercube(d=len(ranges), seed=seed).random(lhs)
        return [{p: float(lo + (hi - lo) * x) for (p, lo, hi, _), x in zip(ranges, row,
                                                                          strict=True)}
                for row in u]
    axes = [np.linspace(lo, hi, steps) for _, lo, hi, steps in ranges]
    return [{p: float(v) for (p, *_), v in zip(ranges, combo, strict=True)}
            for combo in itertools.product(*axes)]


def sweep(scenario: str, ranges: list[tuple[str, float, float, int]], lhs: int | None,
          trials: int | None, seed: int | None,
          progress: Callable[[int, int], None] | None = None, **options: Any) -> SweepReport:
    data, source = raw_scenario(scenario)
    points = design(ranges, lhs, seed if seed is not None else int(data.get("seed", 2021)))
    rows: list[SweepPoint] = []
    n = s = 0
    for k, values in enumerate(points):
        changed = data
        for path, v in values.items():
            try:
                changed = set_path(changed, path, v)
            except ValueError as exc:
                raise ScenarioError([Problem(source, "", f"--vary {exc}")]) from None
        label = f"{source} (sweep point {k}: " + ", ".join(f"{p}={v:g}" for p, v in
                                                          values.items()) + ")"
        sc = scenario_from(changed, label)
        n = trials if trials is not None else sc.trials
        s = seed if seed is not None else sc.seed
        summary = simulate_scenario(sc, trials=n, seed=s, keep_trials=False,
                                    **options).summary()
        for c in summary.crises:
            out = summary_headlines(c)
            rows.append(SweepPoint(point=k, values=values, crisis_id=c.crisis_id,
                                   title=c.title, outcomes=out,
                                   se={h: float(np.sqrt(p * (1 - p) / n))
                                       for h, p in out.items()}))
        if progress is not None:
            progress(k + 1, len(points))
    return SweepReport(scenario=str(scenario), paths=[r[0] for r in ranges],
                       design="lhs" if lhs is not None else "grid", trials=n, seed=s,
                       version=__version__, points=rows)
