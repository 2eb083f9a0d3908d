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

from alliancesim._jit import njit

REPELLED, CONTAINED, LOST = 0, 1, 2
OUTCOMES = ("repelled", "contained", "lost")


@dataclass(frozen=True)
class Engagement:
    """Per-trial results of one engagement. All arrays (T,)."""

    outcome: np.ndarray  # int8: 0 repelled, 1 contained, 2 lost
    end_day: np.ndarray  # int16: day the outcome was decided (H if contained)
    defender_losses: np.ndarray
    aggressor_losses: np.ndarray


@njit(cache=True)
def trial_schedule(day0: np.ndarray, later: np.ndarray, arrival: np.ndarray,
                   quality: np.ndarray, victim: int, horizon: int, sched: np.ndarray) -> bool:
    """The allied arrivals of one trial by day, in the victim's quality units (one allied
    soldier counts as q_i / q_victim of the victim's soldiers, so that the defender's side has
    one quality; actors' quality multipliers, judgement, docs/model.md): the troops based in
    the victim (day0 (M,)) on day 0, the rest (later (M,)) on their arrival day; a day past the
    horizon is dropped. Writes sched (horizon + 1,); returns whether anything arrives.

    The troops are added in the order of _arrive over j = 0..2M-1 (every member's day-0
    troops, then every member's later troops), written out in two loops: through _arrive the
    function cost ~280 ns a trial, most of the engagement stage (issue 23)."""
    sched[:] = 0.0
    M = day0.shape[0]
    anything = False
    qv = quality[victim]
    for i in range(M):
        a = day0[i] * (quality[i] / qv)
        if a > 0.0 and 0.0 <= horizon:
            sched[0] += a
            anything = True
    for i in range(M):
        a = later[i] * (quality[i] / qv)
        day = arrival[i]
        if a > 0.0 and 0.0 <= day <= horizon:
            sched[int(day)] += a
            anything = True
    return anything


@njit(cache=True)
def _arrive(sched: np.ndarray, amount: float, day: float, horizon: int) -> bool:
    """Add `amount` troops on `day` to the schedule; nothing when none or past the horizon.
    Compared as floats before the cast: a day past the horizon (or not a number) never becomes
    an index."""
    if amount > 0.0 and 0.0 <= day <= horizon:
        sched[int(day)] += amount
        return True
    return False


@njit(cache=True)
def trial_engage(A0: float, D0: float, qA: float, qD: float, k: float, brk: float,
                 ratio: float, eff: float, horizon: int, irregular: bool, sched: np.ndarray
                 ) -> tuple[int, int, float, float]:
    """The engagement of one trial, compiled: the daily loop of the module docstring, stopped
    as soon as the trial is decided. sched (horizon + 1,): arrivals by day (day 0 joins the
    initial force). Returns (outcome, end day, defender losses, aggressor losses)."""
    A = A0
    D = D0 + sched[0]
    arrived = D
    kd = k * qD * (eff if irregular else 1.0)
    ka = k * qA
    threshold = (1.0 - brk) * A0
    safeA0 = max(A0, 1e-12)
    result = CONTAINED
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
        if D < ratio * A:
            result = LOST
            end = day
            break
        if A <= threshold:
            result = REPELLED
            end = day
            break
    return result, end, arrived - D, A0 - A


@njit(cache=True, inline="always")
def _day(A: float, D: float, kd: float, ka: float, safeA0: float, irregular: bool
         ) -> tuple[float, float]:
    """One day of one chain without arrivals, the operations of trial_engage in its order:
    (A, D) -> (A', D'). Inlined where it is called (numba's inline="always"), so that chains
    stepped side by side keep their state in registers."""
    if irregular:
        A_new = max(A * (1.0 - kd * D / safeA0), 0.0)
    else:
        A_new = max(A - kd * D, 0.0)
    return A_new, max(D - ka * A, 0.0)


@njit(cache=True, inline="always")
def _verdict(A: float, D: float, ratio: float, threshold: float) -> int:
    """The day's break points, in trial_engage's order: LOST, REPELLED, or -1 (neither)."""
    if D < ratio * A:
        return LOST
    if A <= threshold:
        return REPELLED
    return -1


@njit(cache=True)
def trial_engage_pair(A0: float, D0: float, qA: float, qD: float, k: float, brk: float,
                      ratio: float, eff: float, horizon: int, irregular: bool,
                      sched: np.ndarray) -> tuple[int, int, float, float, int, int, float, float]:
    """trial_engage with the arrivals of sched and again without any (an all-zero schedule),
    stepped side by side: two independent chains of days, so that the processor overlaps
    them; each with the same operations in the same order as trial_engage, but the zero
    schedule's additions left out (x + 0.0 is x but for the sign of a zero: the same values,
    and 4 cycles less a day on the chain's critical path). Returns both results, with then
    without."""
    kd = k * qD * (eff if irregular else 1.0)
    ka = k * qA
    threshold = (1.0 - brk) * A0
    safeA0 = max(A0, 1e-12)
    A1 = A0
    D1 = D0 + sched[0]
    arrived1 = D1
    A2 = A0
    D2 = D0 + 0.0
    arrived2 = D2
    r1 = CONTAINED
    r2 = CONTAINED
    end1 = horizon
    end2 = horizon
    live1 = True
    live2 = True
    for day in range(1, horizon + 1):
        if live1:
            A1, D1 = _day(A1, D1, kd, ka, safeA0, irregular)
            if sched[day] != 0.0:  # arrivals are a few days: off the chain on the others
                D1 += sched[day]
                arrived1 += sched[day]
            v = _verdict(A1, D1, ratio, threshold)
            if v >= 0:
                r1, end1, live1 = v, day, False
        if live2:
            A2, D2 = _day(A2, D2, kd, ka, safeA0, irregular)
            v = _verdict(A2, D2, ratio, threshold)
            if v >= 0:
                r2, end2, live2 = v, day, False
        if not (live1 or live2):
            break
    return r1, end1, arrived1 - D1, A0 - A1, r2, end2, arrived2 - D2, A0 - A2


@njit(cache=True)
def trial_engage_two(A0: float, D0: float, qA: float, qD: float, k: float, brk: float,
                     ratio: float, eff: float, B0: float, E0: float, qB: float, qE: float,
                     k2: float, brk2: float, ratio2: float, eff2: float, horizon: int,
                     irregular: bool) -> tuple[int, int, float, float, int, int, float, float]:
    """trial_engage for two trials without arrivals (an all-zero schedule), stepped side by
    side: the first trial's aggressor A0 and defender D0 with its parameters, the second's B0
    and E0 with its own (suffix 2). Two independent chains of days that the processor overlaps
    (engine._pass pairs the trials no ally reaches, most of them: each alone was a serial
    chain of ~13 cycles a day); each with the operations of trial_engage in its order but the
    zero schedule's additions (x + 0.0 is x but for the sign of a zero: the same values).
    Returns both results, first then second."""
    kd = k * qD * (eff if irregular else 1.0)
    ka = k * qA
    threshold = (1.0 - brk) * A0
    safeA0 = max(A0, 1e-12)
    kd2 = k2 * qE * (eff2 if irregular else 1.0)
    ka2 = k2 * qB
    threshold2 = (1.0 - brk2) * B0
    safeB0 = max(B0, 1e-12)
    A1 = A0
    D1 = D0 + 0.0
    arrived1 = D1
    A2 = B0
    D2 = E0 + 0.0
    arrived2 = D2
    r1 = CONTAINED
    r2 = CONTAINED
    end1 = horizon
    end2 = horizon
    live1 = True
    live2 = True
    for day in range(1, horizon + 1):
        if live1:
            A1, D1 = _day(A1, D1, kd, ka, safeA0, irregular)
            v = _verdict(A1, D1, ratio, threshold)
            if v >= 0:
                r1, end1, live1 = v, day, False
        if live2:
            A2, D2 = _day(A2, D2, kd2, ka2, safeB0, irregular)
            v = _verdict(A2, D2, ratio2, threshold2)
            if v >= 0:
                r2, end2, live2 = v, day, False
        if not (live1 or live2):
            break
    return r1, end1, arrived1 - D1, A0 - A1, r2, end2, arrived2 - D2, B0 - A2


@njit(cache=True)
def _engage_kernel(A0: np.ndarray, D0: np.ndarray, qA: np.ndarray, qD: np.ndarray,
                   k: np.ndarray, brk: np.ndarray, ratio: np.ndarray, eff: np.ndarray,
                   horizon: int, irregular: bool, amounts: np.ndarray, days: np.ndarray,
                   outcome: np.ndarray, end_day: np.ndarray, d_loss: np.ndarray,
                   a_loss: np.ndarray) -> None:
    """trial_engage for every trial, the arrivals given as (amounts, days) (T, K)."""
    T = A0.shape[0]
    n_arr = amounts.shape[1]
    sched = np.zeros(horizon + 1)
    for t in range(T):
        sched[:] = 0.0
        for j in range(n_arr):
            _arrive(sched, amounts[t, j], days[t, j], horizon)
        outcome[t], end_day[t], d_loss[t], a_loss[t] = trial_engage(
            A0[t], D0[t], qA[t], qD[t], k[t], brk[t], ratio[t], eff[t], horizon, irregular,
            sched)



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
