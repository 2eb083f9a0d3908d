"""Scenario discovery: under which drawn inputs is an outcome likely? (PRIM)

Friedman & Fisher's Patient Rule Induction Method, as implemented by the EMA Workbench
(ema_workbench.analysis.prim; Kwakkel 2017), over one crisis's trials: the inputs are every
quantity the scenario gives as a distribution (each trial's draws, engine.TrialResults.drawn),
the outcome a headline event of the trial. PRIM peels the input space towards boxes where the
event is dense; of the peeling trajectory the box kept is the one with the largest coverage
among those whose density reaches the threshold (else the densest). Coverage: the share of all
the trials with the event that fall in the box; density: the share of the box's trials with
the event; mass: the share of all trials in the box. With max_boxes > 1 PRIM's covering
approach looks for further boxes among the trials the earlier boxes left out (coverage and
density of a later box are measured on those trials).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from alliancesim._version import __version__
from alliancesim.results.discovery import Box, DiscoveryReport, Limit, Step
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.headlines import ANALYSED as OUTCOMES
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import Scenario


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def sentence(outcome: str, density: float, coverage: float, base: float,
             limits: list[Limit]) -> str:
    conds = []
    for lim in limits:
        if lim.restricted_low and lim.restricted_high:
            conds.append(f"{lim.input} is between {_fmt(lim.low)} and {_fmt(lim.high)}")
        elif lim.restricted_low:
            conds.append(f"{lim.input} is above {_fmt(lim.low)}")
        else:
            conds.append(f"{lim.input} is below {_fmt(lim.high)}")
    where = " and ".join(conds) if conds else "whatever the inputs"
    return (f"{outcome} in {density:.0%} of trials when {where} (against {base:.0%} overall); "
            f"these trials hold {coverage:.0%} of all the trials with {outcome}.")


def _box(lim: Any, stats: Any, x: Any, names: list[str], outcome: str, base: float,
         traj: Any = None) -> Box:
    limits = []
    for n in names:
        low, high = float(lim[n].iloc[0]), float(lim[n].iloc[1])
        lo_r, hi_r = low > float(x[n].min()), high < float(x[n].max())
        if lo_r or hi_r:
            limits.append(Limit(input=n, low=low, high=high, restricted_low=lo_r,
                                restricted_high=hi_r))
    density, coverage = float(stats["density"]), float(stats["coverage"])
    steps = [] if traj is None else [
        Step(coverage=float(t["coverage"]), density=float(t["density"]), mass=float(t["mass"]))
        for _, t in traj.iterrows()]
    return Box(coverage=coverage, density=density, mass=float(stats["mass"]), limits=limits,
               sentence=sentence(outcome, density, coverage, base, limits), trajectory=steps)


def discover(scenario: Scenario, crisis: str, outcome: str, trials: int, seed: int,
             threshold: float, max_boxes: int = 1, **options: Any) -> DiscoveryReport:
    ids = [c.id for c in scenario.crises]
    if crisis not in ids:
        raise UsageError(f"no such crisis (crises: {', '.join(ids)})", param="crisis",
                         value=crisis)
    one = scenario.model_copy(update={"crises": [scenario.crises[ids.index(crisis)]]})
    ens = simulate_scenario(one, trials=trials, seed=seed, keep_trials=True, **options)
    model, r = ens.crises[0], ens.results[0]
    names = list(model.uncertain)
    if not names:
        raise UsageError("this crisis has no uncertain quantity to search over: give some as "
                         "distributions ({dist: uniform, low: ..., high: ...})",
                         param="crisis", value=crisis)
    y = np.asarray(OUTCOMES[outcome](r), dtype=bool)
    base = float(y.mean())
    boxes: list[Box] = []
    if 0 < y.sum() < y.size:
        import pandas as pd

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim

            x = pd.DataFrame(r.drawn, columns=names)
            p = prim.Prim(x, y, threshold=threshold)
            for _ in range(max_boxes):
                try:
                    box = p.find_box()
                except Exception:  # nothing left to find: PRIM stops on its own terms
                    break
                if box is None:
                    break
                traj = box.peeling_trajectory
                ok = traj.index[traj["density"] >= threshold]
                i = int(traj.loc[ok, "coverage"].idxmax()) if len(ok) else int(
                    traj["density"].idxmax())
                box.select(i)
                found = _box(box.box_lim, traj.loc[i], x, names, outcome, base, traj)
                if boxes and (not len(ok) or not found.limits):
                    break  # a later box must reach the threshold and restrict something
                boxes.append(found)
                if not len(ok):
                    break  # the first box is the best this data allows
    return DiscoveryReport(scenario=scenario.name, crisis_id=crisis, title=model.title,
                           outcome=outcome, trials=trials, seed=seed, version=__version__,
                           inputs=names, base_rate=base, threshold=threshold, boxes=boxes)
