"""A comparison of scenario variants under common random numbers: the records (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from alliancesim.results.reach import Extrapolation
from alliancesim.results.tidy import ALL, COLUMNS, frame, row

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
        """The tidy long frame (results/tidy.py): one row per crisis, variant (the base first)
        and headline; member "all". value: the variant's probability; mc_se: its binomial
        Monte Carlo error; lower, upper: its parameter band where the record has one (NaN
        otherwise). Beside them, the difference from the base with its paired and
        independent standard errors (NaN on the base's rows) and any other field of the
        Difference record, under its own name."""
        import math

        rows = []
        for c in self.crises:
            diffs = {(d.variant, d.headline): d for d in c.differences}
            for v in self.variants:
                for h, p in c.values.get(v, {}).items():
                    d = diffs.get((v, h))
                    extra = ({k: x for k, x in d.model_dump().items()
                              if k not in ("variant", "headline")} if d is not None
                             else {"difference": math.nan, "se_paired": math.nan,
                                   "se_independent": math.nan})
                    rows.append({**row(c.crisis_id, ALL, h, p,
                                       math.sqrt(p * (1 - p) / self.trials), None, variant=v),
                                 **extra})
        return frame(rows, ("variant",)) if not rows else pd_frame(rows)


def pd_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows as a frame, the tidy columns first in their order, other columns after."""
    import pandas as pd

    first = ["variant", *COLUMNS]
    rest = [k for k in rows[0] if k not in first]
    return pd.DataFrame(rows)[[*first, *rest]]
