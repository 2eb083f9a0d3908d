"""Sweeps: the scenario's headlines over a grid or a Latin hypercube of quantity values.

Every point keeps the scenario's seed and number of trials, so each crisis draws the same
random numbers at every point (common random numbers: engine.py) and the curves are smooth:
what moves between points is the swept quantity's effect, not sampling noise. Under parameter
uncertainty (parameters.uncertainty: posterior, the default of api.sweep) each group of
engine.GROUP trials draws its parameter set from the same stream at every point as well
(common parameter draws): the posterior draw index depends on (seed, crisis, block) only.

The designs come from the EMA Workbench's samplers (Kwakkel 2017, "The Exploratory Modeling
Workbench", Environmental Modelling & Software 96): the full factorial
(FullFactorialSampler, one integer level per value of each axis, the first axis varying
slowest) and the Latin hypercube (LHSSampler, one unit-interval parameter per axis: a range
takes low + (high - low) u, a list of values the value in the u-th k-quantile). The
Workbench draws from numpy's global generator; the design seeds it from the sweep's seed and
puts its state back, so the same seed gives the same design and nothing else is disturbed.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim._version import __version__
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.headlines import summary_headlines
from alliancesim.results.sweep import SweepPoint, SweepReport
from alliancesim.scenario.loading import resolve
from alliancesim.scenario.schema import Scenario


@dataclass(frozen=True)
class Axis:
    """One varied path: a numeric range (low, high, steps: `steps` evenly spaced values on
    the grid, the whole interval in a Latin hypercube) or a list of values (numbers or
    categorical values such as a decision rule's mapping), each with its label."""

    path: str
    low: float = 0.0
    high: float = 0.0
    steps: int = 0
    values: tuple[Any, ...] = ()
    labels: tuple[float | str, ...] = ()

    @property
    def size(self) -> int:
        """The number of levels on a full grid."""
        return len(self.values) if self.values else self.steps

    def level(self, i: int) -> tuple[Any, float | str]:
        """The grid's i-th value and its label."""
        if self.values:
            return self.values[i], self.labels[i]
        v = float(np.linspace(self.low, self.high, self.steps)[i])
        return v, v

    def at(self, u: float) -> tuple[Any, float | str]:
        """The value at the unit-interval point u of a Latin hypercube, and its label."""
        if self.values:
            i = min(int(u * len(self.values)), len(self.values) - 1)
            return self.values[i], self.labels[i]
        v = float(self.low + (self.high - self.low) * u)
        return v, v


def label_of(value: Any) -> float | str:
    """A value's label in the report: a number as a float, a string as itself, anything else
    (a mapping such as a decision rule) as compact JSON-like text, key=value pairs."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={label_of(v)}" for k, v in value.items())
    return json.dumps(value, default=str)


def _seeded(seed: int) -> Any:
    """Seed numpy's global generator from a 64-bit seed (two 32-bit words); its old state."""
    state = np.random.get_state()
    np.random.seed([seed & 0xFFFFFFFF, seed >> 32])
    return state


def design(axes: list[Axis], lhs: int | None, seed: int) -> list[list[tuple[Any, float | str]]]:
    """The points, each a (value, label) per axis: the full factorial of every axis's levels
    (the first axis slowest), or `lhs` Latin-hypercube points, from the EMA Workbench's
    samplers (see the module doc); the same seed gives the same design."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Workbench warns about optional extras on import
        from ema_workbench.em_framework.parameters import IntegerParameter, RealParameter
        from ema_workbench.em_framework.samplers import FullFactorialSampler, LHSSampler

    names = [f"p{k:03d}" for k in range(len(axes))]  # sorted as the axes: the Workbench sorts
    if lhs is None:
        params = [IntegerParameter(n, 0, a.size - 1, resolution=list(range(a.size)))
                  for n, a in zip(names, axes, strict=True)]
        grid = FullFactorialSampler().generate_designs(params, 0)
        return [[a.level(int(i)) for a, i in zip(axes, row, strict=True)]
                for row in grid.designs]
    state = _seeded(seed)
    try:
        unit = LHSSampler().generate_designs(
            [RealParameter(n, 0.0, 1.0) for n in names], lhs)
        rows = list(unit.designs)
    finally:
        np.random.set_state(state)
    assert [p.name for p in unit.parameters] == names and len(rows) == lhs
    return [[a.at(float(u)) for a, u in zip(axes, row, strict=True)] for row in rows]


def sweep(scenario: Scenario, axes: list[Axis], lhs: int | None, trials: int | None,
          seed: int | None, progress: Callable[[int, int], None] | None = None,
          label: str | None = None, **options: Any) -> SweepReport:
    """Run the scenario at every point of the design (Scenario.with_changes, then resolved
    and checked as any scenario), same seed and trials at each. Each point's headlines carry
    their Monte Carlo standard error (se) and, under parameter uncertainty, their 90%
    parameter band (band); each member its chance of sending troops and of preferring
    military help (binomial standard errors: members are not counted per parameter group)."""
    n = trials if trials is not None else scenario.trials
    s = seed if seed is not None else scenario.seed
    points = design(axes, lhs, s)
    rows: list[SweepPoint] = []
    for k, values in enumerate(points):
        changed = scenario.with_changes({a.path: v for a, (v, _) in zip(axes, values,
                                                                       strict=True)})
        sc = resolve(changed, f"{label or scenario.name} (sweep point {k})")
        summary = simulate_scenario(sc, trials=n, seed=s, keep_trials=False,
                                    **options).summary()
        for c in summary.crises:
            members = {m.id: {"sends troops": m.p_sends,
                              "prefers military help": m.preferred_military}
                       for m in c.members}
            rows.append(SweepPoint(
                point=k, values={a.path: lab for a, (_, lab) in zip(axes, values, strict=True)},
                crisis_id=c.crisis_id, title=c.title, outcomes=summary_headlines(c),
                se=c.headline_se, band=c.headline_band,
                members=members,
                member_se={m: {h: math.sqrt(p * (1 - p) / n) for h, p in hs.items()}
                           for m, hs in members.items()}))
        if progress is not None:
            progress(k + 1, len(points))
    return SweepReport(scenario=label or scenario.name, paths=[a.path for a in axes],
                       design="lhs" if lhs is not None else "grid", trials=n, seed=s,
                       version=__version__, points=rows,
                       parameter_uncertainty=scenario.parameters.uncertainty)
