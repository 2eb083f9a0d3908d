"""Stage 4, force generation: voluntary contributions to a joint-product public good.

Each participant i chooses troops c_i in [0, cap_i] to maximise (in soldier units)

    u_i = V_i S log(1 + C / S) + pi s0 log(1 + c_i / s0) - c_i,      C = sum_j c_j

- the shared benefit grows with the total force C relative to the threat S (Olson & Zeckhauser
  1966): V_i = valuation * stake_i * N_i / N_ref is the member's valuation, larger for members
  with a bigger stake and a bigger army N_i (a soldier is a smaller share of a big army);
- the private (joint-product) benefit pi s0 log(1 + c_i / s0) rewards a member's own visible
  contingent: standing with the leader, side payments, training (Sandler & Hartley 1995);
  s0 is the size of a token contingent (a company, ~100);
- cap_i is what i can deploy fast: its standing-force pledge, projected over its distance to
  the victim, plus its base in the victim: cap_i = standing_i g(d_i) + base_i, g(d) = 1 /
  (1 + d / d_half) (Boulding's loss-of-strength gradient, model/crisis.projection; d_i = 0
  for a member contiguous with the victim or based in it: scenario/geography.py).

Interior first-order condition: V_i S / (S + C) + pi s0 / (s0 + c_i) = 1. Given the total C
each member's best share is

    c_i(C) = clip(pi s0 / (1 - V_i S / (S + C)) - s0, 0, cap_i)   (cap_i if V_i S/(S+C) >= 1),

non-increasing in C, so the Nash equilibrium is the unique root of sum_i c_i(C) = C (an
aggregative game), found per trial by Newton's method safeguarded by bisection (compiled).
With pi = 0 only the member with the highest valuation contributes (the "exploitation of the
great by the small"); it takes whatever the others leave up to C* = S (V_max - 1).
"""

from __future__ import annotations

import numpy as np

from alliancesim._jit import njit
from alliancesim.model.crisis import projection

EQUILIBRIUM_ITERATIONS = 60  # Newton steps at most (a handful are typical), bisection fallback


def stake(exposure: np.ndarray, affinity_victim: np.ndarray, affinity_aggressor: np.ndarray,
          leader_stake: np.ndarray) -> np.ndarray:
    """stake_i = max(0, exposure_i + max(0, aff_iv) - max(0, aff_ia) + leader_stake_i). (M,)."""
    raw = (exposure + np.maximum(affinity_victim, 0.0) - np.maximum(affinity_aggressor, 0.0)
           + leader_stake)
    return np.asarray(np.maximum(raw, 0.0))


@njit(cache=True, error_model="numpy")
def trial_equilibrium(V: np.ndarray, S: float, pi: float, s0: float, cap: np.ndarray,
                      iterations: int, out: np.ndarray, on: np.ndarray) -> None:
    """The equilibrium of one trial, compiled (V, cap, out: (M,)): root finding on the total C
    by Newton's method safeguarded by a bracket; out is written. The Newton steps sum over the
    members with a cap other than 0 only (a member with cap 0 adds exactly 0 to g and to its
    slope, so the sums are the same numbers); on (M,) int: scratch for their indices."""
    M = V.shape[0]
    hi = 0.0
    n_on = 0
    for i in range(M):
        out[i] = 0.0
        hi += cap[i]
        if cap[i] != 0.0:
            on[n_on] = i
            n_on += 1
    if hi <= 0.0:
        return
    ps = pi * s0
    lo = 0.0
    # safeguarded Newton on g(C) = sum_i c_i(C) - C (decreasing), bisection as fallback,
    # started at the root of the dominant member's own equation (_newton_start)
    x = _newton_start(V, S, ps, s0, cap, on, n_on, hi)
    for _ in range(iterations):
        g = -x
        dg = -1.0
        w = S + x
        for j in range(n_on):
            i = on[j]
            c, dc = _share_and_slope(w, V[i] * S, ps, s0, cap[i])
            g += c
            dg += dc
        if abs(g) <= 1e-11 * (1.0 + x):
            lo = hi = x
            break
        if g > 0.0:
            lo = x
        else:
            hi = x
        if hi - lo <= 1e-12 * (1.0 + hi):
            break
        step = x - g / dg
        x = step if lo < step < hi else 0.5 * (lo + hi)
    C = 0.5 * (lo + hi)
    residual = C
    for i in range(M):  # the shares at hi, by the Newton steps' own formula (g(hi) <= 0)
        out[i] = _share_and_slope(S + hi, V[i] * S, ps, s0, cap[i])[0]
        residual -= out[i]
    # members on the step of their best reply (no private benefit) take what is left,
    # highest valuation first (ties: alliance order), each up to its cap; a residual within
    # the root's own tolerance is no one's contribution (else a game whose root is C = 0 could
    # hand 1e-11 soldiers to a member, which would then count as sending troops)
    while residual > 1e-9 * (1.0 + C):
        pivot = -1
        best = -np.inf
        for i in range(M):
            if cap[i] - out[i] > 1e-12 and V[i] > best:
                best = V[i]
                pivot = i
        if pivot < 0:
            break
        add = min(residual, cap[pivot] - out[pivot])
        out[pivot] += add
        residual -= add


@njit(cache=True, error_model="numpy")
def _newton_start(V: np.ndarray, S: float, ps: float, s0: float, cap: np.ndarray,
                  on: np.ndarray, n_on: int, hi: float) -> float:
    """Newton's starting point: the equilibrium if only the member d with the highest
    valuation (the first of equals) responded and the others gave what they would at
    C0 = clip(S (V_d - 1), 0, hi) (d's total without a private benefit), K = sum_{j != d}
    c_j(C0). With w = S + C and a = V_d S, d's interior share makes g(C) = 0 the quadratic
    ps a / (w - a) = w - B, B = ps - s0 + K + S, whose root above a is
    w = ((a + B) + sqrt((a - B)^2 + 4 ps a)) / 2; where d's share there exceeds its cap, d is
    capped and C = K + cap_d. Clipped to [0, hi]. Exact when d is the only member with a cap;
    on the flagship, 2.4 Newton steps a trial instead of 8.5 from the bracket's midpoint
    (issue 23). Only the start changes: the root is found to the same tolerance."""
    d = on[0]
    for j in range(1, n_on):
        if V[on[j]] > V[d]:
            d = on[j]
    C0 = min(max(S * (V[d] - 1.0), 0.0), hi)
    K = 0.0
    for j in range(n_on):
        if on[j] != d:
            K += _share_and_slope(S + C0, V[on[j]] * S, ps, s0, cap[on[j]])[0]
    a = V[d] * S
    B = ps - s0 + K + S
    w = 0.5 * ((a + B) + np.sqrt((a - B) * (a - B) + 4.0 * ps * a))
    C = w - S
    if w <= a or ps * w / (w - a) - s0 > cap[d]:
        C = K + cap[d]
    return min(max(C, 0.0), hi)


# the trials whose equilibria are solved side by side (equilibrium_lanes): the pass buffers
# this many trials with participants before solving them (issue 23)
EQUILIBRIUM_LANES = 256


@njit(cache=True, error_model="numpy")
def equilibrium_lanes(V: np.ndarray, S: np.ndarray, ps: np.ndarray, s0: np.ndarray,
                      cap: np.ndarray, n: int, iterations: int, out: np.ndarray) -> None:
    """trial_equilibrium for n trials side by side, bit for bit: V, cap, out (M, lanes),
    member-major, one column per trial (the first n used); S, ps = pi s0, s0 (lanes,).

    Every lane takes trial_equilibrium's steps in the same order (the start of _newton_start,
    the safeguarded Newton steps, the shares at the bracket's end, the residual handed to the
    members on their steps), but the Newton steps of all lanes are taken together, a lane
    that has converged held where it is, so that each step's loops run over the lanes and
    compile to vector code: one trial at a time, the steps' divisions waited on each other
    (~120 ns an equilibrium on the flagship; ~30 here, issue 23). A member with cap 0 is
    summed as the exact 0 it adds (trial_equilibrium skips it: the same numbers)."""
    M = V.shape[0]
    # the lanes' state, one array each (rows of one array would keep LLVM from proving that
    # they do not overlap, and the loops from being vector code: 2x slower)
    hi, lo, x, live, g, dg = (np.empty(n), np.empty(n), np.empty(n), np.empty(n),
                              np.empty(n), np.empty(n))
    C0, K, vd, capd, dd, none = (np.empty(n), np.empty(n), np.empty(n), np.empty(n),
                                 np.empty(n), np.empty(n))
    a_ = np.empty((M, n))
    for l in range(n):
        hi[l] = 0.0
        lo[l] = 0.0
        K[l] = 0.0
        vd[l] = -np.inf
        capd[l] = 0.0
        dd[l] = -1.0
    for i in range(M):
        for l in range(n):
            hi[l] += cap[i, l]
            a_[i, l] = V[i, l] * S[l]
            # _newton_start's dominant member d: the highest valuation among those with a cap,
            # the first of equals
            take = cap[i, l] != 0.0 and (dd[l] < 0.0 or V[i, l] > vd[l])
            vd[l] = V[i, l] if take else vd[l]
            capd[l] = cap[i, l] if take else capd[l]
            dd[l] = i if take else dd[l]
    for l in range(n):
        none[l] = 1.0 if hi[l] <= 0.0 else 0.0
        C0[l] = min(max(S[l] * (vd[l] - 1.0), 0.0), hi[l])
    for i in range(M):
        for l in range(n):
            c = _share_select(S[l] + C0[l], a_[i, l], ps[l], s0[l], cap[i, l])[0]
            K[l] += c if (i != dd[l] and cap[i, l] != 0.0) else 0.0
    n_live = 0
    for l in range(n):
        a = vd[l] * S[l]
        B = ps[l] - s0[l] + K[l] + S[l]
        root = 0.5 * ((a + B) + np.sqrt((a - B) * (a - B) + 4.0 * ps[l] * a))
        C = root - S[l]
        capped = root <= a or ps[l] * root / (root - a) - s0[l] > capd[l]
        C = K[l] + capd[l] if capped else C
        x[l] = min(max(C, 0.0), hi[l])
        live[l] = 0.0 if none[l] > 0.0 else 1.0
        n_live += 1 if none[l] == 0.0 else 0
    for _ in range(iterations):
        if n_live == 0:
            break
        for l in range(n):
            g[l] = -x[l]
            dg[l] = -1.0
        for i in range(M):
            for l in range(n):
                c, dc = _share_select(S[l] + x[l], a_[i, l], ps[l], s0[l], cap[i, l])
                g[l] += c
                dg[l] += dc
        n_live = 0
        for l in range(n):
            xl, gl = x[l], g[l]
            done = abs(gl) <= 1e-11 * (1.0 + xl)
            nlo = xl if (done or gl > 0.0) else lo[l]
            nhi = xl if (done or not gl > 0.0) else hi[l]
            done = done or nhi - nlo <= 1e-12 * (1.0 + nhi)
            step = xl - gl / dg[l]
            nx = step if (nlo < step and step < nhi) else 0.5 * (nlo + nhi)
            on = live[l] > 0.0
            lo[l] = nlo if on else lo[l]
            hi[l] = nhi if on else hi[l]
            x[l] = nx if (on and not done) else xl
            still = on and not done
            live[l] = 1.0 if still else 0.0
            n_live += 1 if still else 0
    for i in range(M):  # the shares at hi, by the Newton steps' own formula
        for l in range(n):
            c = _share_select(S[l] + hi[l], a_[i, l], ps[l], s0[l], cap[i, l])[0]
            out[i, l] = 0.0 if none[l] > 0.0 else c
    for l in range(n):
        g[l] = 0.5 * (lo[l] + hi[l])  # C, then the residual
        C0[l] = g[l]
    for i in range(M):
        for l in range(n):
            g[l] -= out[i, l]
    for l in range(n):  # the residual to the members on their steps (trial_equilibrium)
        residual, C = g[l], C0[l]
        if none[l] > 0.0:
            continue
        while residual > 1e-9 * (1.0 + C):
            pivot = -1
            best = -np.inf
            for i in range(M):
                if cap[i, l] - out[i, l] > 1e-12 and V[i, l] > best:
                    best = V[i, l]
                    pivot = i
            if pivot < 0:
                break
            add = min(residual, cap[pivot, l] - out[pivot, l])
            out[pivot, l] += add
            residual -= add


@njit(cache=True)
def trial_reach(distance: np.ndarray, half_strength: float, out: np.ndarray) -> None:
    """g(d_i) for every member (M,): the share of its pledge that reaches the victim,
    1 / (1 + d_i / d_half) (model/crisis.projection). Written once per chunk when d_half is
    fixed, per trial when it is drawn."""
    for i in range(distance.shape[0]):
        out[i] = projection(distance[i], half_strength)


@njit(cache=True)
def trial_inputs(participant: np.ndarray, standing: np.ndarray, based: np.ndarray,
                 reach: np.ndarray, troops: np.ndarray, stake_: np.ndarray, valuation: float,
                 reference_army: float, V: np.ndarray, cap: np.ndarray, lane: int) -> bool:
    """The force stage's game of one trial, compiled, written in column `lane` of V and cap
    (M, lanes) for equilibrium_lanes; returns whether the trial has a participant (when not,
    nothing is written: no one contributes).

    V_i = valuation * stake_i * N_i / N_ref is a member's value of the shared benefit:
    valuation (parameters.forces.valuation, default 1.5, judgement), stake_i (stake), N_i its
    troops, N_ref (parameters.forces.reference_army, default 10^6: an army of a million counts
    at face value). A bigger army values the common defence more per soldier sent (Olson &
    Zeckhauser 1966: the larger ally's larger valuation of the collective good). cap_i =
    standing_i g(d_i) + based_i (its standing-force pledge projected over its distance d_i to
    the victim, km, and its troops based in the victim) for a participant, 0 for the others;
    reach_i = g(d_i) = 1 / (1 + d_i / d_half) (trial_reach), d_half =
    parameters.geography.half_strength_km."""
    M = participant.shape[0]
    anyone = False
    for i in range(M):
        anyone = anyone or participant[i]
    if anyone:  # (most trials have no participant: nothing to compute)
        for i in range(M):
            V[i, lane] = valuation * stake_[i] * troops[i] / reference_army
            cap[i, lane] = standing[i] * reach[i] + based[i] if participant[i] else 0.0
    return anyone


@njit(cache=True)
def _equilibrium_kernel(V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray,
                        cap: np.ndarray, iterations: int, out: np.ndarray) -> None:
    """trial_equilibrium for every trial."""
    on = np.empty(V.shape[1], dtype=np.int64)
    for t in range(V.shape[0]):
        trial_equilibrium(V[t], S[t], pi[t], s0[t], cap[t], iterations, out[t], on)


@njit(cache=True, error_model="numpy")
def _share_and_slope(w: float, a: float, ps: float, s0: float, cap: float
                     ) -> tuple[float, float]:
    """c_i(C) and its derivative in C, written with w = S + C and a = V_i S: the public term
    V_i S / (S + C) >= 1 when w <= a (the cap); else c_i = ps w / (w - a) - s0 and
    dc_i/dC = -ps a / (w - a)^2, both from one reciprocal of w - a (one division per member
    and Newton step, none shared in the step's chain but g / dg: issue 23)."""
    if w <= a:
        return cap, 0.0
    r = 1.0 / (w - a)
    c = ps * w * r - s0
    if c <= 0.0:
        return 0.0, 0.0
    if c >= cap:
        return cap, 0.0
    return c, -ps * a * r * r
@njit(cache=True, error_model="numpy", inline="always")
def _share_select(w: float, a: float, ps: float, s0: float, cap: float) -> tuple[float, float]:
    """_share_and_slope's numbers, written with selects instead of branches (so that a loop
    over lanes can be vector code: equilibrium_lanes); where w <= a the reciprocal is
    computed and dropped."""
    r = 1.0 / (w - a)
    c = ps * w * r - s0
    slope = -ps * a * r * r
    c, slope = (0.0, 0.0) if c <= 0.0 else (c, slope)
    c, slope = (cap, 0.0) if c >= cap else (c, slope)
    return (c, slope) if w > a else (cap, 0.0)


def equilibrium(V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray, cap: np.ndarray,
                iterations: int = EQUILIBRIUM_ITERATIONS) -> np.ndarray:
    """Nash equilibrium contributions (T, M): the root of sum_i c_i(C) = C.

    Members with cap 0 (non-participants) contribute nothing. When the root falls on members'
    steps (pi = 0), the residual C* - sum of the others goes to them, highest valuation first,
    each up to its cap. Compiled with numba; one trial per loop step.
    """
    out = np.zeros(V.shape)
    _equilibrium_kernel(np.ascontiguousarray(V, dtype=np.float64),
                        np.ascontiguousarray(S, dtype=np.float64),
                        np.ascontiguousarray(pi, dtype=np.float64),
                        np.ascontiguousarray(s0, dtype=np.float64),
                        np.ascontiguousarray(cap, dtype=np.float64), iterations, out)
    return out
