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

REPELLED, CONTAINED, LOST = 0, 1, 2
OUTCOMES = ("repelled", "contained", "lost")


@dataclass(frozen=True)
class Engagement:
    """Per-trial results of one engagement. All arrays (T,)."""

    outcome: np.ndarray  # int8: 0 repelled, 1 contained, 2 lost
    end_day: np.ndarray  # int16: day the outcome was decided (H if contained)
    defender_losses: np.ndarray
    aggressor_losses: np.ndarray


def reinforcement_schedule(amount: np.ndarray, day: np.ndarray, horizon: int) -> np.ndarray:
    """R[t, d]: troops arriving on day d (T, H + 1) from amounts and days (T, M).

    Arrivals after the horizon are dropped.
    """
    T = amount.shape[0]
    d = day.astype(np.int64)
    keep = (amount > 0) & (d <= horizon)
    rows = np.broadcast_to(np.arange(T)[:, None], amount.shape)
    flat = rows[keep] * (horizon + 1) + d[keep]
    sched = np.bincount(flat, weights=amount[keep], minlength=T * (horizon + 1))
    return sched.reshape(T, horizon + 1)


def engage(
    aggressor: np.ndarray, defender: np.ndarray, q_aggressor: np.ndarray, q_defender: np.ndarray,
    attrition: np.ndarray, aggressor_break: np.ndarray, defender_break_ratio: np.ndarray,
    horizon: int, irregular: bool, reinforcements: np.ndarray | None = None,
    irregular_efficiency: np.ndarray | float = 0.1,
) -> Engagement:
    """Run the engagement for T trials. aggressor/defender: initial forces (T,).

    reinforcements: (T, H + 1) troops arriving on each day (day 0 is added to the initial force).
    """
    T = aggressor.shape[0]
    A0 = aggressor.astype(float)
    A = A0.copy()
    D = defender.astype(float).copy()
    arrived = D.copy()
    if reinforcements is not None:
        D += reinforcements[:, 0]
        arrived += reinforcements[:, 0]
    outcome = np.full(T, CONTAINED, dtype=np.int8)
    end_day = np.full(T, horizon, dtype=np.int16)
    open_ = np.ones(T, dtype=bool)
    kd = attrition * q_defender * (irregular_efficiency if irregular else 1.0)
    ka = attrition * q_aggressor
    threshold = (1.0 - aggressor_break) * A0
    safeA0 = np.maximum(A0, 1e-12)
    for t in range(1, horizon + 1):
        if irregular:
            A_new = np.maximum(A * (1.0 - kd * D / safeA0), 0.0)
        else:
            A_new = np.maximum(A - kd * D, 0.0)
        D_new = np.maximum(D - ka * A, 0.0)
        if reinforcements is not None:
            D_new += reinforcements[:, t]
            arrived = np.where(open_, arrived + reinforcements[:, t], arrived)
        A = np.where(open_, A_new, A)
        D = np.where(open_, D_new, D)
        lost = open_ & (defender_break_ratio * A > D)
        repelled = open_ & ~lost & (threshold >= A)
        outcome[lost] = LOST
        outcome[repelled] = REPELLED
        done = lost | repelled
        end_day[done] = t
        open_ &= ~done
        if not open_.any():
            break
    return Engagement(outcome, end_day, arrived - D, A0 - A)
