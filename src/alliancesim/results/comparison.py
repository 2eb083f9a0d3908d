"""A comparison of scenario variants under common random numbers (and, with parameter
uncertainty, common parameter draws): the records (pydantic).

Every probability and paired difference carries two parts of its uncertainty, apart: the Monte
Carlo error (`se_paired`, `value_se`: the standard error of the estimate, counting the
128-trial groups that share a parameter draw, not the trials) and the parameter part (
`parameter_band`, `parameter_sd`, `value_band`: how much the figure moves over the
calibration's posterior draws, with the Monte Carlo noise taken out; experiments/compare.py).
Without parameter uncertainty the parameter part is None."""

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
    # the Monte Carlo part: the standard error with common random numbers (and common parameter
    # draws); under parameter uncertainty the cluster standard error over the groups of trials
    # that share a draw
    se_paired: float
    se_independent: float  # what two independent runs of the same size would give
    # the parameter part (None when the parameters are fixed): the central 90% of the
    # difference over the posterior's draws and its standard deviation over them, the Monte
    # Carlo noise of each group taken out
    parameter_band: tuple[float, float] | None = None
    parameter_sd: float | None = None


class CrisisComparison(BaseModel):
    crisis_id: str
    title: str
    values: dict[str, dict[str, float]]  # variant -> headline -> probability
    # variant -> headline -> the probability's Monte Carlo standard error, and (under parameter
    # uncertainty, with at least 10 groups) its 90% band over the parameter draws
    value_se: dict[str, dict[str, float]] = Field(default_factory=dict)
    value_band: dict[str, dict[str, tuple[float, float]]] = Field(default_factory=dict)
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
    # variant -> "posterior" (the calibration's posterior drawn for every 128 trials, the same
    # draw for every variant: common parameter draws) or "off" (parameters as given)
    parameter_uncertainty: dict[str, str] = Field(default_factory=dict)

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py): one row per crisis, variant (the base first)
        and headline; member "all". value: the variant's probability; mc_se: its Monte Carlo
        error (value_se: the cluster one under parameter uncertainty); lower, upper: its 90%
        band over the parameter draws where it has one (NaN otherwise). Beside them, the
        difference from the base with its Monte Carlo part (se_paired, se_independent) and
        its parameter part (parameter_low, parameter_high: the difference's 90% band over the
        draws; parameter_sd), NaN on the base's rows and where the parameters are fixed."""
        import math

        rows = []
        for c in self.crises:
            diffs = {(d.variant, d.headline): d for d in c.differences}
            for v in self.variants:
                for h, p in c.values.get(v, {}).items():
                    d = diffs.get((v, h))
                    band = d.parameter_band if d is not None else None
                    extra = {
                        "difference": d.difference if d else math.nan,
                        "se_paired": d.se_paired if d else math.nan,
                        "se_independent": d.se_independent if d else math.nan,
                        "parameter_low": band[0] if band else math.nan,
                        "parameter_high": band[1] if band else math.nan,
                        "parameter_sd": (d.parameter_sd if d is not None
                                         and d.parameter_sd is not None else math.nan)}
                    se = c.value_se.get(v, {}).get(h, math.sqrt(p * (1 - p) / self.trials))
                    rows.append({**row(c.crisis_id, ALL, h, p, se,
                                       c.value_band.get(v, {}).get(h), variant=v), **extra})
        return frame(rows, ("variant",)) if not rows else pd_frame(rows)


def pd_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Rows as a frame, the tidy columns first in their order, other columns after."""
    import pandas as pd

    first = ["variant", *COLUMNS]
    rest = [k for k in rows[0] if k not in first]
    return pd.DataFrame(rows)[[*first, *rest]]
