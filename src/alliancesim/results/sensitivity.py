"""Global sensitivity indices of a scenario's headlines (pydantic records)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from alliancesim.results.tidy import ALL, NAN, frame, row

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
        """The tidy long frame (results/tidy.py): one row per crisis, headline (the outcome),
        input and index (s1, st: Sobol's or FAST's first-order and total; mu_star, sigma:
        Morris's); member "all". value: the index; mc_se: its bootstrap standard error
        (SALib's 95% half-width / 1.96); lower, upper: its 95% interval (NaN where SALib gives
        none: sigma)."""
        rows = []
        for c in self.crises:
            for i in c.indices:
                for name, conf in (("s1", i.s1_conf), ("st", i.st_conf),
                                   ("mu_star", i.mu_star_conf), ("sigma", None)):
                    value = getattr(i, name)
                    if value is None:
                        continue
                    rows.append(row(c.crisis_id, ALL, i.outcome, value,
                                    NAN if conf is None else conf / 1.96,
                                    None if conf is None else (value - conf, value + conf),
                                    input=i.input, index=name))
        return frame(rows, ("input", "index"))
