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
from numba import njit


@njit(cache=True)
def trial_deployment(rung: int, decision_delay: float, unilateral_delay: float,
                     readiness: np.ndarray, transport: float, sent: np.ndarray,
                     based: np.ndarray, arrival: np.ndarray, day0: np.ndarray,
                     later: np.ndarray) -> float:
    """The deployment stage of one trial, compiled. Returns the day the first allied troops
    are in the victim (NaN when none are sent) and writes, per member (M,):

    - arrival_i = ceil(delay + readiness_i + transport), delay the alliance's decision delay
      when it decided on military help (rung 4), else the unilateral delay of members acting
      without it;
    - day0_i = min(c_i, base_i): the troops already based in the victim, there on day 0;
    - later_i = c_i - day0_i, arriving on arrival_i.
    """
    delay = decision_delay if rung == 4 else unilateral_delay
    first = np.inf
    for i in range(sent.shape[0]):
        arrival[i] = np.ceil(delay + readiness[i] + transport)
        day0[i] = min(sent[i], based[i])
        later[i] = sent[i] - day0[i]
        if day0[i] > 0.0:
            first = min(first, 0.0)
        elif sent[i] > 0.0:
            first = min(first, arrival[i])
    return first if np.isfinite(first) else np.nan
