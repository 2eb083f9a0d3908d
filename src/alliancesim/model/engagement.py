"""Stage 6, engagement: a daily-step Lanchester model with reinforcements and break points.

State per trial: aggressor A_t and defender D_t (troops, the defender counted in units of the
victim's quality). Each day t = 1..H:

    square law (conventional):   A_t = max(0, A_{t-1} - k q_D D_{t-1})
    irregular (Deitchman):       A_t = max(0, A_{t-1} (1 - e k q_D D_{t-1} / A_0))
    both:                        D_t = max(0, D_{t-1} - k q_A A_{t-1}) + R_t

k is the daily attrition rate, q the quality multipliers, R_t the allied troops arriving on day t
(converted to the victim's quality). Under the irregular law the defender's fire is area fire on
a hidden enemy: its effect scales with the enemy's density A / A_0 and with the efficiency e of
area fire against fighters who hide among the population (default 0.1, judgement).

Break points, checked each day in this order:
- lost:      D_t < r_D A_t          (the defender is outnumbered beyond its breaking ratio);
- repelled:  A_t <= (1 - b_A) A_0   (the aggressor has lost the share b_A of its force);
- contained: neither by the horizon H.

Both updates are monotone (more D never raises A, more A never raises D), so more defending
force can only bring the repulse earlier and the defeat later: P(repelled) never falls when the
defence grows. Defaults (judgement): k = 0.01/day, b_A = 0.3 (a force that loses ~30% usually
breaks off), r_D = 0.25, H = 60 days. k = 0.005 makes a defender of 5,000 inflict 25
casualties a day on the aggressor: a low-intensity border war.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

REPELLED, CONTAINED, LOST = 0, 1, 2
OUTCOMES = ("repelled", "contained", "lost")


@dataclass(frozen=True)
class Engagement:
    """Per-trial results of one engagement. All arrays (T,)."""

    outcome: np.ndarray  # int8: 0 repelled, 1 contained, 2 lost
    end_day: np.ndarray  # int16: day the outcome was decided (H if contained)
    defender_losses: np.ndarray
    aggressor_losses: np.ndarray


def in_victim_units(quality: np.ndarray, victim: int) -> np.ndarray:
    """q_i / q_victim (T, M): one allied soldier counts as q_i / q_v of the victim's soldiers,
    so that the defender's side has one quality q_v (actors' quality multipliers, judgement,
    docs/model.md)."""
    return quality / quality[:, victim][:, None]


def reinforcements(day0: np.ndarray, later: np.ndarray, arrival: np.ndarray,
                   quality: np.ndarray, victim: int) -> tuple[np.ndarray, np.ndarray]:
    """The allied arrivals as (amounts, days), each (T, 2M), amounts in the victim's quality
    units: the troops based in the victim on day 0, the rest on their arrival day."""
    eff = in_victim_units(quality, victim)
    amounts = np.concatenate([day0 * eff, later * eff], axis=1)
    days = np.concatenate([np.zeros_like(arrival), arrival], axis=1)
    return amounts, days


@njit(cache=True)
def _engage_kernel(A0: np.ndarray, D0: np.ndarray, qA: np.ndarray, qD: np.ndarray,
                   k: np.ndarray, brk: np.ndarray, ratio: np.ndarray, eff: np.ndarray,
                   horizon: int, irregular: bool, amounts: np.ndarray, days: np.ndarray,
                   outcome: np.ndarray, end_day: np.ndarray, d_loss: np.ndarray,
                   a_loss: np.ndarray) -> None:
    """Compiled daily loop, one trial at a time, stopping when the trial is decided."""
    T = A0.shape[0]
    n_arr = amounts.shape[1]
    sched = np.zeros(horizon + 1)
    for t in range(T):
        sched[:] = 0.0
        for j in range(n_arr):
            a = amounts[t, j]
            # compare as floats before the cast: a day past the horizon (or not a number)
            # never becomes an index
            if a > 0.0 and 0.0 <= days[t, j] <= horizon:
                sched[int(days[t, j])] += a
        A = A0[t]
        D = D0[t] + sched[0]
        arrived = D
        kd = k[t] * qD[t] * (eff[t] if irregular else 1.0)
        ka = k[t] * qA[t]
        threshold = (1.0 - brk[t]) * A0[t]
        safeA0 = max(A0[t], 1e-12)
        result = CONTAINED_
        end = horizon
        for day in range(1, horizon + 1):
            if irregular:
                A_new = max(A * (1.0 - kd * D / safeA0), 0.0)
            else:
                A_new = max(A - kd * D, 0.0)
            D_new = max(D - ka * A, 0.0) + sched[day]
            arrived += sched[day]
            A = A_new
            D = D_new
            if D < ratio[t] * A:
                result = LOST_
                end = day
                break
            if A <= threshold:
                result = REPELLED_
                end = day
                break
        outcome[t] = result
        end_day[t] = end
        d_loss[t] = arrived - D
        a_loss[t] = A0[t] - A


REPELLED_, CONTAINED_, LOST_ = REPELLED, CONTAINED, LOST


def engage(
    aggressor: np.ndarray, defender: np.ndarray, q_aggressor: np.ndarray, q_defender: np.ndarray,
    attrition: np.ndarray, aggressor_break: np.ndarray, defender_break_ratio: np.ndarray,
    horizon: int, irregular: bool, reinforcements: tuple[np.ndarray, np.ndarray] | None = None,
    irregular_efficiency: np.ndarray | float = 0.1,
) -> Engagement:
    """Run the engagement for T trials. aggressor/defender: initial forces (T,).

    reinforcements: (amounts, days), both (T, K): troops arriving on each whole day (day 0 joins
    the initial force; later than the horizon is dropped). Compiled with numba: a daily loop per
    trial that stops as soon as the trial is decided.
    """
    T = aggressor.shape[0]

    def arr(x: np.ndarray | float) -> np.ndarray:
        return np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.float64), (T,)))

    if reinforcements is None:
        amounts = np.zeros((T, 0))
        days = np.zeros((T, 0))
    else:
        amounts = np.ascontiguousarray(reinforcements[0], dtype=np.float64)
        days = np.ascontiguousarray(reinforcements[1], dtype=np.float64)
    outcome = np.empty(T, dtype=np.int8)
    end_day = np.empty(T, dtype=np.int16)
    d_loss = np.empty(T)
    a_loss = np.empty(T)
    _engage_kernel(arr(aggressor), arr(defender), arr(q_aggressor), arr(q_defender),
                   arr(attrition), arr(aggressor_break), arr(defender_break_ratio),
                   arr(irregular_efficiency), horizon, irregular, amounts, days,
                   outcome, end_day, d_loss, a_loss)
    return Engagement(outcome, end_day, d_loss, a_loss)
