"""Stage 5, deployment: when each contingent arrives.

Troops based in the victim are there on day 0. The rest arrive after the decision delay
(collective action) or the unilateral delay (fallback), plus the member's readiness and the
transport time:

    arrival_i = delay + readiness_i + transport      (days, rounded up to whole days)

The CSTO decided on Kazakhstan within a day and Russian advance units were in Almaty on
6 January 2022 (tass.com/defense/1384419): the defaults reproduce a day-1 to day-3 arrival.
"""

from __future__ import annotations

import numpy as np


def delay(rung: np.ndarray, decision_delay: np.ndarray, unilateral_delay: np.ndarray
          ) -> np.ndarray:
    """Days before anyone moves (T,): the alliance's decision delay when it decided on military
    help (rung 4), else the unilateral delay of members acting without it."""
    return np.where(rung == 4, decision_delay, unilateral_delay)


def arrival_days(delay: np.ndarray, readiness: np.ndarray, transport: np.ndarray) -> np.ndarray:
    """Arrival day of non-based troops. delay (T,), readiness (T, M), transport (T,) -> (T, M)."""
    return np.ceil(delay[:, None] + readiness + transport[:, None])


def split_based(troops: np.ndarray, based: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(on day 0, arriving later): the first min(c_i, base_i) troops are already there."""
    day0 = np.minimum(troops, based)
    return day0, troops - day0


def first_arrival(troops: np.ndarray, day0: np.ndarray, arrival: np.ndarray) -> np.ndarray:
    """Day the first allied troops are in the victim (NaN when none are sent). (T,)."""
    d = np.where(day0 > 0, 0.0, np.where(troops > 0, arrival, np.inf))
    first = d.min(axis=1)
    return np.where(np.isfinite(first), first, np.nan)
