"""Compare scenario variants with common random numbers.

Every variant is simulated with the same seed and number of trials; a crisis keeps its id, so
each of its random streams (engine.py: one per quantity, noise term and member) draws the same
numbers in every variant. For a headline event E (military help, ...) and trial t the paired
difference is d_t = 1[E in variant, t] - 1[E in base, t], reported as mean(d) with the standard
error sd(d) / sqrt(n); beside it, the standard error two independent runs would have,
sqrt(p_v (1 - p_v) / n + p_b (1 - p_b) / n). Where the variants differ in one input, most
trials are decided the same way in both and the paired error is far smaller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from alliancesim._version import __version__
from alliancesim.engine import TrialResults
from alliancesim.results.comparison import ComparisonReport, CrisisComparison, Difference
from alliancesim.results.ensemble import simulate_scenario
from alliancesim.results.headlines import TRIAL_HEADLINES as HEADLINES
from alliancesim.results.reach import Extrapolation, beyond_record
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.schema import Scenario


@dataclass(frozen=True)
class _Run:
    """One variant's run: per crisis id, per headline, the (trials,) boolean indicator in
    trial order; each crisis's title and where it lies outside the record."""

    indicators: dict[str, dict[str, np.ndarray]]
    titles: dict[str, str]
    outside: dict[str, list[Extrapolation]]


def _indicators(scenario: Scenario, trials: int, seed: int, **options: Any) -> _Run:
    """Simulate one variant, keeping each headline's indicator per trial."""
    parts: dict[str, dict[str, list[np.ndarray]]] = {}
    titles: dict[str, str] = {}
    outside: dict[str, list[Extrapolation]] = {}

    def collect(model: CompiledCrisis, r: TrialResults, first: int) -> None:
        if model.crisis_id not in titles:
            outside[model.crisis_id] = beyond_record(model)
        titles[model.crisis_id] = model.title
        mine = parts.setdefault(model.crisis_id, {h: [] for h in HEADLINES})
        for h, f in HEADLINES.items():
            mine[h].append(np.asarray(f(r), dtype=bool))

    simulate_scenario(scenario, trials=trials, seed=seed, keep_trials=False,
                      on_trials=collect, **options)
    return _Run({c: {h: np.concatenate(v) for h, v in hs.items()} for c, hs in parts.items()},
                titles, outside)


def compare(variants: list[tuple[str, Scenario]], trials: int, seed: int,
            progress: Callable[[str], None] | None = None, **options: Any) -> ComparisonReport:
    """Simulate every variant (the first is the base) and difference each against the base."""
    runs = []
    for name, sc in variants:
        if progress is not None:
            progress(name)
        runs.append(_indicators(sc, trials, seed, **options))
    base_name, base = variants[0][0], runs[0]
    crises = []
    skipped: dict[str, list[str]] = {}
    for cid, base_ind in base.indicators.items():
        values = {base_name: {h: float(x.mean()) for h, x in base_ind.items()}}
        outside = {base_name: base.outside[cid]} if base.outside[cid] else {}
        diffs = []
        for (name, _), run in zip(variants[1:], runs[1:], strict=True):
            ind = run.indicators
            if cid not in ind:
                skipped.setdefault(name, []).append(cid)
                continue
            if run.outside[cid]:
                outside[name] = run.outside[cid]
            values[name] = {h: float(x.mean()) for h, x in ind[cid].items()}
            for h in HEADLINES:
                d = ind[cid][h].astype(float) - base_ind[h].astype(float)
                pv, pb = values[name][h], values[base_name][h]
                diffs.append(Difference(
                    variant=name, headline=h, difference=float(d.mean()),
                    se_paired=float(d.std(ddof=1) / np.sqrt(trials)) if trials > 1 else 0.0,
                    se_independent=float(np.sqrt((pv * (1 - pv) + pb * (1 - pb)) / trials))))
        crises.append(CrisisComparison(crisis_id=cid, title=base.titles[cid], values=values,
                                       differences=diffs, outside_record=outside))
    return ComparisonReport(base=base_name, variants=[n for n, _ in variants], trials=trials,
                            seed=seed, version=__version__, crises=crises, skipped=skipped)
