"""The ensemble: every trial of every crisis of a scenario, with the settings that made it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alliancesim.engine import DEFAULT_CHUNK, TrialResults, run_crisis
from alliancesim.model.engagement import OUTCOMES
from alliancesim.results.summary import EnsembleSummary, summarise
from alliancesim.scenario.compile import REQUEST_LEVELS, CompiledCrisis, compile_crisis
from alliancesim.scenario.schema import RUNGS, Alliance, Scenario


@dataclass(frozen=True)
class Ensemble:
    """Results of simulating a (resolved) scenario."""

    scenario: Scenario
    trials: int
    seed: int
    chunk_size: int
    crises: tuple[CompiledCrisis, ...]
    results: tuple[TrialResults, ...]

    def __getitem__(self, crisis_id: str) -> TrialResults:
        for c, r in zip(self.crises, self.results, strict=True):
            if c.crisis_id == crisis_id:
                return r
        raise KeyError(f"no crisis '{crisis_id}' (have: {[c.crisis_id for c in self.crises]})")

    def summary(self) -> EnsembleSummary:
        from alliancesim import __version__

        names = {k: a.name for k, a in self.scenario.actors.items()}
        alliance = self.scenario.alliance
        assert isinstance(alliance, Alliance)
        return EnsembleSummary(
            scenario=self.scenario.name, title=self.scenario.title, alliance=alliance.name,
            trials=self.trials, seed=self.seed, version=__version__,
            crises=[summarise(c, r, names) for c, r in zip(self.crises, self.results, strict=True)],
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per crisis and trial; troops_<ID> and preferred_<ID> per member."""
        frames = []
        for c, r in zip(self.crises, self.results, strict=True):
            cols: dict[str, object] = {
                "crisis": c.crisis_id,
                "trial": np.arange(r.n),
                "request": _cat(r.request, REQUEST_LEVELS),
                "response": _cat(r.rung, RUNGS),
                "acts_without_alliance": r.fallback,
            }
            for i, m in enumerate(c.members):
                cols[f"preferred_{m}"] = _cat(r.preferred[:, i], RUNGS)
            for i, m in enumerate(c.members):
                cols[f"troops_{m}"] = r.troops[:, i]
            cols.update({
                "troops_total": r.troops.sum(axis=1),
                "first_arrival_day": r.first_arrival,
                "outcome": _cat(r.outcome, OUTCOMES),
                "end_day": r.end_day,
                "defender_losses": r.defender_losses,
                "aggressor_losses": r.aggressor_losses,
                "outcome_alone": _cat(r.outcome_alone, OUTCOMES),
                "end_day_alone": r.end_day_alone,
                "defender_losses_alone": r.defender_losses_alone,
                "aggressor_losses_alone": r.aggressor_losses_alone,
            })
            frames.append(pd.DataFrame(cols))
        df = pd.concat(frames, ignore_index=True)
        df["crisis"] = df["crisis"].astype("category")
        for col in df.columns:
            if col.startswith("troops_") and df[col].isna().any():
                df[col] = df[col].fillna(0.0)  # not a member in another crisis's alliance
        return df


def _cat(codes: np.ndarray, labels: tuple[str, ...]) -> pd.Categorical[str]:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(list(labels)))


def simulate_scenario(scenario: Scenario, trials: int | None = None, seed: int | None = None,
                      chunk_size: int | None = None,
                      progress: Callable[[int], None] | None = None) -> Ensemble:
    n = scenario.trials if trials is None else trials
    s = scenario.seed if seed is None else seed
    chunk = DEFAULT_CHUNK if chunk_size is None else chunk_size
    if n < 1:
        raise ValueError(f"trials must be at least 1 (got {n})")
    models = tuple(compile_crisis(scenario, i) for i in range(len(scenario.crises)))
    results = tuple(run_crisis(m, n, s, chunk, on_chunk=progress) for m in models)
    return Ensemble(scenario, n, s, chunk, models, results)
