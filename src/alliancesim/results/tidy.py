"""Tidy long frames: the one shape every report's .to_pandas() gives.

One row per (crisis, member, headline) and the report's own keys (variant, point, the varied
paths, given_request...), with the columns

    crisis, member, headline, value, mc_se, lower, upper

member: a member's id, or ALL ("all": lower case, so never an actor id, whose pattern is
upper case) for the crisis as a whole. value: a probability (or a mean, a difference, an
index, as the headline says). mc_se: its Monte Carlo standard error. lower, upper: for a
probability (run, compare, sweep) its 90% parameter band (the spread the calibration's
posterior gives, Monte Carlo noise removed: results/bands.py), NaN where there is none
(parameter uncertainty off, too few groups, or a headline not counted per group); for a
sensitivity index its 95% interval. Each report's to_pandas says which. Column names are
Python identifiers, so that df.query and attribute access work: a dotted path becomes
`column_name(path)`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

ALL = "all"
COLUMNS = ("crisis", "member", "headline", "value", "mc_se", "lower", "upper")
NAN = float("nan")


def column_name(name: str) -> str:
    """A path or input name as a Python identifier (df.query-safe): every character that is
    not a letter, digit or underscore becomes an underscore, a leading digit gets one before
    it: crises.armenia-attack.aggressor_strength -> crises_armenia_attack_aggressor_strength."""
    out = re.sub(r"\W", "_", name, flags=re.ASCII)
    return f"_{out}" if out[:1].isdigit() or not out else out


def row(crisis: str, member: str, headline: str, value: float, mc_se: float = NAN,
        band: tuple[float, float] | None = None, **keys: Any) -> dict[str, Any]:
    """One tidy row: the report's own keys first, then the seven columns."""
    lower, upper = band if band is not None else (NAN, NAN)
    return {**keys, "crisis": crisis, "member": member, "headline": headline,
            "value": value, "mc_se": mc_se, "lower": lower, "upper": upper}


def frame(rows: list[dict[str, Any]], keys: tuple[str, ...] = ()) -> pd.DataFrame:
    """The rows as a frame with the keys and the seven columns in order (empty: the columns
    alone)."""
    import pandas as pd

    return pd.DataFrame(rows, columns=[*keys, *COLUMNS])
