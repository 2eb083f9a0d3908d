"""Stage 5, deployment: when each contingent arrives.

Troops based in the victim are there on day 0. The rest arrive after the decision delay
(collective action) or the unilateral delay (fallback), plus the member's readiness and the
transport time:

    arrival_i = delay + readiness_i + transport + d_i / v      (days, rounded up)

d_i is the member's distance to the victim (km; 0 when contiguous or based there:
scenario/geography.py), v the pace of a move (parameters.geography.km_per_day, default 2,000
km a day, judgement: the Belarusian and Armenian contingents, 3,800 and 2,900 km away, were in
Kazakhstan one to two days after the decision of 6 January 2022).

The CSTO decided on Kazakhstan within a day and Russian advance units were in Almaty on
6 January 2022 (tass.com/defense/1384419): the defaults reproduce a day-1 to day-3 arrival.
"""

from __future__ import annotations

import numpy as np

from alliancesim._jit import njit


@njit(cache=True)
def trial_travel(distance: np.ndarray, km_per_day: float, out: np.ndarray) -> None:
    """d_i / v for every member (M,): the days of travel from its capital to the victim.
    Written once per chunk when v is fixed, per trial when it is drawn."""
    for i in range(distance.shape[0]):
        out[i] = distance[i] / km_per_day


@njit(cache=True)
def trial_deployment(rung: int, decision_delay: float, unilateral_delay: float,
                     readiness: np.ndarray, transport: float, travel: np.ndarray,
                     sent: np.ndarray, based: np.ndarray,
                     arrival: np.ndarray, day0: np.ndarray, later: np.ndarray) -> float:
    """The deployment stage of one trial, compiled. Returns the day the first allied troops
    are in the victim (NaN when none are sent) and writes, per member (M,):

    - arrival_i = ceil(delay + readiness_i + transport + d_i / v), delay the alliance's
      decision delay when it decided on military help (rung 4), else the unilateral delay of
      members acting without it; travel_i = d_i / v (trial_travel), d_i the member's
      distance to the victim (km), v the pace (km a day);
    - day0_i = min(c_i, base_i): the troops already based in the victim, there on day 0;
    - later_i = c_i - day0_i, arriving on arrival_i.
    """
    delay = decision_delay if rung == 4 else unilateral_delay
    first = np.inf
    for i in range(sent.shape[0]):
        arrival[i] = np.ceil(delay + readiness[i] + transport + travel[i])
        day0[i] = min(sent[i], based[i])
        later[i] = sent[i] - day0[i]
        if day0[i] > 0.0:
            first = min(first, 0.0)
        elif sent[i] > 0.0:
            first = min(first, arrival[i])
    return first if np.isfinite(first) else np.nan
