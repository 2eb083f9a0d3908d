"""A sweep over scenario quantities: one row of headlines per point and crisis (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd


class SweepPoint(BaseModel):
    point: int
    values: dict[str, float]  # path -> value at this point
    crisis_id: str
    title: str
    outcomes: dict[str, float]  # headline -> probability
    se: dict[str, float]  # headline -> Monte Carlo standard error


class SweepReport(BaseModel):
    scenario: str
    paths: list[str]
    design: str  # grid or lhs
    trials: int
    seed: int
    version: str
    points: list[SweepPoint]

    def to_pandas(self) -> pd.DataFrame:
        """One row per point and crisis: the varied values, then every headline and its SE."""
        import pandas as pd

        rows = []
        for p in self.points:
            row: dict[str, object] = {"point": p.point, **p.values, "crisis": p.crisis_id}
            row.update(p.outcomes)
            row.update({f"{k} (se)": v for k, v in p.se.items()})
            rows.append(row)
        return pd.DataFrame(rows)
