"""A comparison of scenario variants under common random numbers: the records (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from alliancesim.results.reach import Extrapolation

if TYPE_CHECKING:
    import pandas as pd


class Difference(BaseModel):
    """variant minus base, for one headline of one crisis."""

    variant: str
    headline: str
    difference: float
    se_paired: float  # standard error with common random numbers (trial by trial)
    se_independent: float  # what two independent runs of the same size would give


class CrisisComparison(BaseModel):
    crisis_id: str
    title: str
    values: dict[str, dict[str, float]]  # variant -> headline -> probability
    differences: list[Difference]
    # variant -> where that variant's crisis lies outside the record (results/reach.py); only
    # the variants with something to say
    outside_record: dict[str, list[Extrapolation]] = Field(default_factory=dict)


class ComparisonReport(BaseModel):
    base: str
    variants: list[str]  # the base first
    trials: int
    seed: int
    version: str
    crises: list[CrisisComparison]
    skipped: dict[str, list[str]]  # variant -> crisis ids of the base it does not have

    def to_pandas(self) -> pd.DataFrame:
        """One row per crisis, headline and variant other than the base."""
        import pandas as pd

        rows = [{"crisis": c.crisis_id, "headline": d.headline, "variant": d.variant,
                 "base_value": c.values[self.base][d.headline],
                 "variant_value": c.values[d.variant][d.headline],
                 "difference": d.difference, "se_paired": d.se_paired,
                 "se_independent": d.se_independent}
                for c in self.crises for d in c.differences]
        return pd.DataFrame(rows)
