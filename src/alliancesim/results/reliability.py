"""The record of the large-N member model (experiments/reliability.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd


class Coefficient(BaseModel):
    name: str
    value: float
    se: float
    low: float  # 90% interval
    high: float


class HeldOut(BaseModel):
    scheme: str  # "5-fold by dispute", "leave one decade out"
    log_score: dict[str, float]  # model, base rate
    brier: dict[str, float]
    auc: dict[str, float]


class Fulfilment(BaseModel):
    what: str
    rate: float
    n: int


class CaseJoin(BaseModel):
    """A bundled case forecast by the frozen large-N model: P(some ally joins at all)."""

    case_id: str
    allies: int
    joined: bool
    probabilities: dict[str, float]  # forecast -> P(some ally joins)


class ReliabilityReport(BaseModel):
    observations: int
    disputes: int
    outcomes: dict[str, int]  # did not join, joined (no force), joined (force)
    dropped_no_ideal_points: int
    excluded_for_cases: int
    datasets: dict[str, str]  # kind -> release
    log_likelihood: float
    coefficients: list[Coefficient]
    held_out: list[HeldOut]
    fulfilment: list[Fulfilment]
    specification: str  # where the frozen specification is written
    cases: list[CaseJoin] = []  # the bundled cases scored by the frozen model
    case_log_score: dict[str, float] = {}  # forecast -> mean log score over the cases
    case_brier: dict[str, float] = {}

    def to_pandas(self) -> pd.DataFrame:
        """One row per coefficient of the member model: parameter, value, se and its 90%
        interval (lower, upper). Coefficients are not crises: no crisis or member column."""
        import pandas as pd

        return pd.DataFrame([{"parameter": c.name, "value": c.value, "se": c.se,
                              "lower": c.low, "upper": c.high} for c in self.coefficients],
                            columns=["parameter", "value", "se", "lower", "upper"])
