"""A sweep over scenario quantities: one row of headlines per point and crisis (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from alliancesim.results.tidy import ALL, column_name, frame, row

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr


class SweepPoint(BaseModel):
    point: int
    values: dict[str, float | str]  # path -> value at this point (a label for a categorical)
    crisis_id: str
    title: str
    outcomes: dict[str, float]  # headline -> probability
    se: dict[str, float]  # headline -> Monte Carlo standard error
    # headline -> 90% parameter band (parameter uncertainty on; results/bands.py)
    band: dict[str, tuple[float, float]] = Field(default_factory=dict)
    # member -> its own headlines (sends troops, prefers military help), with binomial errors
    members: dict[str, dict[str, float]] = Field(default_factory=dict)
    member_se: dict[str, dict[str, float]] = Field(default_factory=dict)


class SweepReport(BaseModel):
    scenario: str
    paths: list[str]
    design: str  # grid or lhs
    trials: int
    seed: int
    version: str
    points: list[SweepPoint]
    parameter_uncertainty: str = "off"  # posterior: common parameter draws at every point

    def columns(self) -> dict[str, str]:
        """Each varied path's column in the frames (tidy.column_name: df.query-safe)."""
        return {p: column_name(p) for p in self.paths}

    def to_pandas(self) -> pd.DataFrame:
        """The tidy long frame (results/tidy.py): one row per point, crisis, member and
        headline; columns point, one per varied path (its dots and dashes as underscores:
        parameters_council_coefficients_leader_stake), then crisis, member ("all" for the
        crisis as a whole), headline, value, mc_se, lower, upper (the parameter band; NaN when
        parameter uncertainty is off)."""
        cols = self.columns()
        rows = []
        for p in self.points:
            keys = {"point": p.point, **{cols[k]: v for k, v in p.values.items()}}
            for h, v in p.outcomes.items():
                rows.append(row(p.crisis_id, ALL, h, v, p.se.get(h, float("nan")),
                                p.band.get(h), **keys))
            for m, heads in p.members.items():
                for h, v in heads.items():
                    rows.append(row(p.crisis_id, m, h, v,
                                    p.member_se.get(m, {}).get(h, float("nan")), None, **keys))
        return frame(rows, ("point", *cols.values()))

    def to_xarray(self) -> xr.Dataset:
        """The sweep as an xarray.Dataset with variables value, mc_se, lower, upper. A grid:
        dims the varied paths (as to_pandas names them), crisis, member, headline. A Latin
        hypercube: dims point, crisis, member, headline, with each path a coordinate along
        point. Members' headlines are NaN under member "all" and the other way round."""
        df = self.to_pandas()
        paths = list(self.columns().values())
        if self.design == "grid":
            return df.drop(columns="point").set_index(
                [*paths, "crisis", "member", "headline"]).to_xarray()
        ds = df.drop(columns=paths).set_index(["point", "crisis", "member", "headline"]
                                              ).to_xarray()
        coords = df.drop_duplicates("point").set_index("point")[paths]
        return ds.assign_coords({c: ("point", coords[c].to_numpy()) for c in paths})
