"""Scenario discovery: boxes of drawn inputs where an outcome is likely (pydantic records)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from alliancesim.results.tidy import ALL, frame, row

if TYPE_CHECKING:
    import pandas as pd


class Limit(BaseModel):
    input: str
    low: float  # the box's bounds on this input
    high: float
    restricted_low: bool  # the box excludes values of the input below `low`
    restricted_high: bool


class Step(BaseModel):
    """One step of PRIM's peeling trajectory: the box after that many peels."""

    coverage: float
    density: float
    mass: float


class Box(BaseModel):
    coverage: float  # share of all the trials with the outcome that fall in the box
    density: float  # share of the box's trials with the outcome
    mass: float  # share of all trials in the box
    limits: list[Limit]  # the inputs the box restricts
    sentence: str
    # PRIM's peeling trajectory, the trade-off between coverage and density the box was
    # chosen from (empty in a record kept before 0.4)
    trajectory: list[Step] = []


class DiscoveryReport(BaseModel):
    scenario: str
    crisis_id: str
    title: str
    outcome: str
    trials: int
    seed: int
    version: str
    inputs: list[str]
    base_rate: float  # share of all trials with the outcome
    threshold: float  # the density a box had to reach (experiments/discover.py)
    boxes: list[Box]
    threshold_default: bool = False  # the threshold was the default, relative to base and densest
    densest: float | None = None  # the density of the densest box PRIM's peeling reaches
    note: str = ""  # why there is no box, when there is none

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py): per box (numbered from 1), its coverage,
        density and mass (input empty), then each input it restricts, its low and high bound;
        headline: the outcome, member "all"; no standard error or band (NaN)."""
        rows = []
        for k, b in enumerate(self.boxes, start=1):
            for stat in ("coverage", "density", "mass"):
                rows.append(row(self.crisis_id, ALL, self.outcome, getattr(b, stat), box=k,
                                input="", statistic=stat))
            for lim in b.limits:
                for stat in ("low", "high"):
                    rows.append(row(self.crisis_id, ALL, self.outcome, getattr(lim, stat),
                                    box=k, input=lim.input, statistic=stat))
        return frame(rows, ("box", "input", "statistic"))
