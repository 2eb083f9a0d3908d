"""Scenario discovery: under which drawn inputs is an outcome likely? (PRIM)

Friedman & Fisher's Patient Rule Induction Method, as implemented by the EMA Workbench
(ema_workbench.analysis.prim; Kwakkel 2017), over one crisis's trials: the inputs are every
quantity the scenario gives as a distribution (each trial's draws, engine.TrialResults.drawn),
the outcome a headline event of the trial. Coverage: the share of all the trials with the
event that fall in the box; density: the share of the box's trials with the event; mass: the
share of all trials in the box.

PRIM peels the input space towards boxes where the event is dense, down to boxes holding 5% of
the trials (the Workbench's `mass_min`); its own rule then returns the whole input space (a
"dump box") when the last box's density falls short of the threshold. Here PRIM peels without
that rule (a threshold just above 0, which counts the same trials as cases of interest), and
the threshold is applied to the peeling trajectory: the box kept is the one with the largest
coverage among those whose density reaches it.

The threshold. The trial's own randomness (the members' moods, the request, the parameter
draws) caps what any box of inputs can reach: in the Armenia example no box reaches 80%
military help when the posterior's draws are on. So by default (threshold None) it is
relative to what the trajectory reaches: halfway from the share of all trials with the event
(the base rate) to the densest box PRIM finds. A given threshold that no box reaches gives no
box and a note naming the densest. Either way, when the densest box is not above the base rate
by more than WHOLE_SPACE_Z binomial standard errors of its own density (sqrt(p(1 - p)/n) at the
base rate p over the box's n trials), no box beats the whole input space: the report has no box
and a note that says so (the inputs do not move the outcome enough to tell in these trials).

With max_boxes > 1 PRIM's covering approach looks for further boxes among the trials the
earlier boxes left out (coverage and density of a later box are measured on those trials), each
kept only if it reaches the threshold and restricts some input.
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

WHOLE_SPACE_Z = 3.0  # how many standard errors above the base rate a box must be
PEEL_ALL = 1e-12  # PRIM's threshold when peeling: every box reaches it, coi stays y == 1


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


def beats_whole_space(density: float, mass: float, base: float, n: int) -> bool:
    """Whether a box of `mass * n` trials with `density` is above the base rate by more than
    WHOLE_SPACE_Z binomial standard errors (at the base rate)."""
    inside = max(mass * n, 1.0)
    se = float(np.sqrt(base * (1.0 - base) / inside))
    return density - base > WHOLE_SPACE_Z * se


def default_threshold(base: float, densest: float) -> float:
    """Halfway from the base rate to the densest box the peeling reaches."""
    return base + 0.5 * (densest - base)


def find_boxes(x: Any, y: np.ndarray, outcome: str, threshold: float | None,
               max_boxes: int = 1) -> tuple[list[Box], float, float, str]:
    """PRIM over inputs `x` (a DataFrame, one column per input) and the event `y` (bool per
    trial): the boxes kept, the threshold used, the densest box's density and a note ("" when
    a box was found). See the module docstring for the rules."""
    names = [str(c) for c in x.columns]
    base = float(y.mean())
    n = int(y.size)
    if not 0 < y.sum() < y.size:
        return [], threshold if threshold is not None else base, base, (
            f"no box: {outcome} happens in {'all' if y.all() else 'none'} of the trials")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        p = prim.Prim(x, y, threshold=PEEL_ALL)
        boxes: list[Box] = []
        used, densest = threshold, base
        for k in range(max_boxes):
            try:
                box = p.find_box()
            except Exception:  # nothing left to find: PRIM stops on its own terms
                break
            if box is None:
                break
            traj = box.peeling_trajectory
            if k == 0:
                top = int(traj["density"].idxmax())
                densest = float(traj.loc[top, "density"])
                if not beats_whole_space(densest, float(traj.loc[top, "mass"]), base, n):
                    return [], used if used is not None else base, densest, (
                        f"no box of inputs beats the whole space: the densest box PRIM finds "
                        f"has {outcome} in {densest:.0%} of its trials against {base:.0%} "
                        f"overall, within {WHOLE_SPACE_Z:g} standard errors; these inputs do "
                        f"not move {outcome} enough to tell in {n:,} trials")
                if used is None:
                    used = default_threshold(base, densest)
                elif densest < used:
                    return [], used, densest, (
                        f"no box reaches the threshold {used:.0%}: the densest box PRIM finds "
                        f"has {outcome} in {densest:.0%} of its trials (against {base:.0%} "
                        f"overall); lower --threshold, or leave it out for the default")
            assert used is not None
            ok = traj.index[traj["density"] >= used]
            if not len(ok):
                break
            i = int(traj.loc[ok, "coverage"].idxmax())
            box.select(i)
            found = _box(box.box_lim, traj.loc[i], x, names, outcome, base, traj)
            if not found.limits:  # the whole space reaches the threshold
                if k == 0:
                    return [], used, densest, (
                        f"no box: the whole input space already has {outcome} in {base:.0%} "
                        f"of the trials, above the threshold {used:.0%}; raise --threshold, or "
                        "leave it out for the default")
                break
            boxes.append(found)
    assert used is not None
    return boxes, used, densest, ""


def discover(scenario: Scenario, crisis: str, outcome: str, trials: int, seed: int,
             threshold: float | None = None, max_boxes: int = 1,
             **options: Any) -> DiscoveryReport:
    """PRIM boxes over one crisis's drawn inputs (see the module docstring): `threshold` the
    density a box must reach, None for the default relative to the base rate and the densest
    box."""
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
    import pandas as pd

    y = np.asarray(OUTCOMES[outcome](r), dtype=bool)
    x = pd.DataFrame(r.drawn, columns=names)
    boxes, used, densest, note = find_boxes(x, y, outcome, threshold, max_boxes)
    return DiscoveryReport(scenario=scenario.name, crisis_id=crisis, title=model.title,
                           outcome=outcome, trials=trials, seed=seed, version=__version__,
                           inputs=names, base_rate=float(y.mean()), threshold=used,
                           threshold_default=threshold is None, densest=densest,
                           boxes=boxes, note=note)
