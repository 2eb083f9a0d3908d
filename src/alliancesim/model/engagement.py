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
def trial_arrivals(day0: np.ndarray, later: np.ndarray, arrival: np.ndarray,
                   quality: np.ndarray, victim: int, horizon: int, days: np.ndarray,
                   amounts: np.ndarray, k: int) -> int:
    """The allied arrivals of one trial, in the victim's quality units (one allied soldier
    counts as q_i / q_victim of the victim's soldiers, so that the defender's side has one
    quality; actors' quality multipliers, judgement, docs/model.md): the troops based in the
    victim (day0 (M,)) on day 0, the rest (later (M,)) on their arrival day; a day past the
    horizon is dropped. Appends each arrival's day and amount at days[k:], amounts[k:] (room
    for 2M), every member's day-0 troops first, then every member's later troops, the order in
    which a schedule adds them up (trial_schedule, lay_schedule); returns the new count (k when
    nothing arrives)."""
    M = day0.shape[0]
    qv = quality[victim]
    for i in range(M):
        a = day0[i] * (quality[i] / qv)
        if a > 0.0 and 0.0 <= horizon:
            days[k] = 0
            amounts[k] = a
            k += 1
    for i in range(M):
        a = later[i] * (quality[i] / qv)
        day = arrival[i]
        if a > 0.0 and 0.0 <= day <= horizon:
            days[k] = int(day)
            amounts[k] = a
            k += 1
    return k


@njit(cache=True)
def trial_schedule(day0: np.ndarray, later: np.ndarray, arrival: np.ndarray,
                   quality: np.ndarray, victim: int, horizon: int, sched: np.ndarray) -> bool:
    """One trial's arrivals (trial_arrivals) added up by day: writes sched (horizon + 1,);
    returns whether anything arrives."""
    sched[:] = 0.0
    M = day0.shape[0]
    days, amounts = np.empty(2 * M, dtype=np.int64), np.empty(2 * M)
    k = trial_arrivals(day0, later, arrival, quality, victim, horizon, days, amounts, 0)
    for j in range(k):
        sched[days[j]] += amounts[j]
    return k > 0


@njit(cache=True)
def lay_schedule(sched: np.ndarray, days: np.ndarray, amounts: np.ndarray, lanes: np.ndarray,
                 k: int, clear: bool) -> None:
    """The arrivals of buffered trials (entries [0, k) of days, amounts, and each one's trial
    in lanes, as trial_arrivals appends them) added up by day in engage_lanes' layout, trial
    i's day d at sched[i // LANES, d, i % LANES], into a schedule that is zero elsewhere; or,
    clear, the same cells set back to zero once they are stepped. Only the cells of arrivals
    are touched: a trial's days are a cache line apart, so that writing each trial's whole
    schedule (horizon + 1 lines) cost ~90 ns a trial, and clearing the buffer's blocks ~9."""
    for j in range(k):
        i = lanes[j]
        if clear:
            sched[i // LANES, days[j], i % LANES] = 0.0
        else:
            sched[i // LANES, days[j], i % LANES] += amounts[j]


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


LANES = 512  # chains stepped in lockstep by engage_lanes (measured best of 8 to 4,096: issue 23)
SKEW = 40  # doubles between engage_lanes' arrays' offsets in a page (320 bytes)


@njit(cache=True, inline="always")
def _lockstep(A: np.ndarray, D: np.ndarray, arrived: np.ndarray, code: np.ndarray,
              kd: np.ndarray, ka: np.ndarray, safe: np.ndarray, ratio: np.ndarray,
              threshold: np.ndarray, sched: np.ndarray, horizon: int, irregular: bool,
              arrivals: bool) -> None:
    """Days 1..horizon of m chains in lockstep (every array (m,), views; sched (horizon + 1, m)
    their arrivals by day, or (0, m): none). Each chain takes trial_engage's operations in its
    order; a chain that is decided keeps its state (A, D, arrived) and its code, day * 4 +
    outcome (-1 while undecided), is written on the day. The day's loop over the chains has no
    branch (each step a select), so that it is compiled to vector instructions across chains;
    numba's error model "numpy" lets a division by zero give inf instead of raising (it
    cannot occur: safe >= 1e-12), which is what lets the loop be vectorised. Stops when every
    chain is decided.

    Inlined (numba's inline="always") into four functions, one per law and whether anything
    arrives (_LOCKSTEP), where the two flags are constants: with the flags' branches left
    inside the day's loop, it was not vectorised (~130 ns a trial against ~25)."""
    m = A.shape[0]
    for day in range(1, horizon + 1):
        alive = 0
        for j in range(m):
            a = A[j]
            d = D[j]
            if irregular:
                an = max(a * (1.0 - kd[j] * d / safe[j]), 0.0)
            else:
                an = max(a - kd[j] * d, 0.0)
            dn = max(d - ka[j] * a, 0.0)
            if arrivals:  # + 0.0 leaves dn (>= +0.0) as it is
                s = sched[day, j]
                dn = dn + s
                arr = arrived[j] + s
            else:
                arr = arrived[j]
            c = code[j]
            live = c < 0
            lost = dn < ratio[j] * an
            repelled = an <= threshold[j]
            decided = lost | repelled
            A[j] = an if live else a
            D[j] = dn if live else d
            arrived[j] = arr if live else arrived[j]
            verdict = day * 4 + (LOST if lost else REPELLED)
            code[j] = verdict if (live & decided) else c
            alive += live & (not decided)
        if alive == 0:
            break


@njit(cache=True, error_model="numpy")
def _lockstep_irregular(A: np.ndarray, D: np.ndarray, arrived: np.ndarray, code: np.ndarray,
                        kd: np.ndarray, ka: np.ndarray, safe: np.ndarray, ratio: np.ndarray,
                        threshold: np.ndarray, sched: np.ndarray, horizon: int) -> None:
    _lockstep(A, D, arrived, code, kd, ka, safe, ratio, threshold, sched, horizon, True, False)


@njit(cache=True, error_model="numpy")
def _lockstep_irregular_arrivals(A: np.ndarray, D: np.ndarray, arrived: np.ndarray,
                                 code: np.ndarray, kd: np.ndarray, ka: np.ndarray,
                                 safe: np.ndarray, ratio: np.ndarray, threshold: np.ndarray,
                                 sched: np.ndarray, horizon: int) -> None:
    _lockstep(A, D, arrived, code, kd, ka, safe, ratio, threshold, sched, horizon, True, True)


@njit(cache=True, error_model="numpy")
def _lockstep_square(A: np.ndarray, D: np.ndarray, arrived: np.ndarray, code: np.ndarray,
                     kd: np.ndarray, ka: np.ndarray, safe: np.ndarray, ratio: np.ndarray,
                     threshold: np.ndarray, sched: np.ndarray, horizon: int) -> None:
    _lockstep(A, D, arrived, code, kd, ka, safe, ratio, threshold, sched, horizon, False, False)


@njit(cache=True, error_model="numpy")
def _lockstep_square_arrivals(A: np.ndarray, D: np.ndarray, arrived: np.ndarray,
                              code: np.ndarray, kd: np.ndarray, ka: np.ndarray,
                              safe: np.ndarray, ratio: np.ndarray, threshold: np.ndarray,
                              sched: np.ndarray, horizon: int) -> None:
    _lockstep(A, D, arrived, code, kd, ka, safe, ratio, threshold, sched, horizon, False, True)


@njit(cache=True, error_model="numpy")
def engage_lanes(A0: np.ndarray, D0: np.ndarray, qA: np.ndarray, qD: np.ndarray, k: np.ndarray,
                 brk: np.ndarray, ratio: np.ndarray, eff: np.ndarray, sched: np.ndarray,
                 horizon: int, irregular: bool, at: np.ndarray, outcome: np.ndarray,
                 end_day: np.ndarray, d_loss: np.ndarray, a_loss: np.ndarray) -> None:
    """trial_engage for m trials (inputs (m,)), LANES at a time in lockstep (_lockstep), the
    same numbers as one by one: trial i's results are written at row at[i] of the outputs.
    sched (blocks, horizon + 1, LANES): the trials' arrivals by day, trial i's at
    [i // LANES, :, i % LANES] (day 0 joins the initial force; a block's days contiguous over
    its lanes, so that the lanes' loads are vectorised: lay_schedule), or (blocks, 0, LANES):
    no arrivals (an all-zero schedule, whose additions are left out: x + 0.0 is x but for the
    sign of a zero, and D0 + 0.0 makes that sign +)."""
    m = A0.shape[0]
    # the chains' state and constants, each array SKEW doubles further along a 4 KiB page
    # than the one before: arrays at the same offset in their pages made the lanes' loads
    # wait on the stores before them to other arrays (4K aliasing), by up to 15%
    stride = m + SKEW
    work = np.empty(8 * stride)
    A, D, arrived = work[:m], work[stride:stride + m], work[2 * stride:2 * stride + m]
    kd, ka = work[3 * stride:3 * stride + m], work[4 * stride:4 * stride + m]
    safe, threshold = work[5 * stride:5 * stride + m], work[6 * stride:6 * stride + m]
    rt = work[7 * stride:7 * stride + m]
    code = np.full(m + 4 * SKEW, -1, dtype=np.int64)[4 * SKEW:]
    arrivals = sched.shape[1] > 0
    for i in range(m):
        rt[i] = ratio[i]
        A[i] = A0[i]
        D[i] = D0[i] + (sched[i // LANES, 0, i % LANES] if arrivals else 0.0)
        arrived[i] = D[i]
        kd[i] = k[i] * qD[i] * (eff[i] if irregular else 1.0)
        ka[i] = k[i] * qA[i]
        safe[i] = max(A0[i], 1e-12)
        threshold[i] = (1.0 - brk[i]) * A0[i]
    for lo in range(0, m, LANES):
        hi = min(lo + LANES, m)
        args = (A[lo:hi], D[lo:hi], arrived[lo:hi], code[lo:hi], kd[lo:hi], ka[lo:hi],
                safe[lo:hi], rt[lo:hi], threshold[lo:hi], sched[lo // LANES], horizon)
        if irregular and arrivals:
            _lockstep_irregular_arrivals(*args)
        elif irregular:
            _lockstep_irregular(*args)
        elif arrivals:
            _lockstep_square_arrivals(*args)
        else:
            _lockstep_square(*args)
    for i in range(m):
        t = at[i]
        c = code[i]
        outcome[t] = CONTAINED if c < 0 else c & 3
        end_day[t] = horizon if c < 0 else c >> 2
        d_loss[t] = arrived[i] - D[i]
        a_loss[t] = A0[i] - A[i]


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
