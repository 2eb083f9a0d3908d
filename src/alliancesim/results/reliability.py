"""The record of the large-N member model (experiments/reliability.py)."""

from __future__ import annotations

from pydantic import BaseModel


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
