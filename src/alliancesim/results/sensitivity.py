"""Global sensitivity indices of a scenario's headlines (pydantic records)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

if TYPE_CHECKING:
    import pandas as pd


class Index(BaseModel):
    """One input's indices for one outcome. Sobol and FAST: first-order (s1) and total (st)
    indices with 95 % confidence half-widths; Morris: mu* (with its confidence) and sigma."""

    outcome: str
    input: str
    s1: float | None = None
    s1_conf: float | None = None
    st: float | None = None
    st_conf: float | None = None
    mu_star: float | None = None
    mu_star_conf: float | None = None
    sigma: float | None = None


class CrisisSensitivity(BaseModel):
    crisis_id: str
    title: str
    inputs: list[str]  # the crisis's uncertain quantities
    evaluations: int  # trials run
    indices: list[Index]


class SensitivityReport(BaseModel):
    scenario: str
    method: str  # sobol, morris or fast
    samples: int
    seed: int
    version: str
    crises: list[CrisisSensitivity]
    skipped: list[str]  # crises with no uncertain quantity

    def to_pandas(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{"crisis": c.crisis_id, **i.model_dump()} for c in self.crises
                             for i in c.indices])
