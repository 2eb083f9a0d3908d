"""Scenario discovery: boxes of drawn inputs where an outcome is likely (pydantic records)."""

from __future__ import annotations

from pydantic import BaseModel


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
    threshold: float  # the density PRIM peels towards
    boxes: list[Box]
