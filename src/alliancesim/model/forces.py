"""Stage 4, force generation: voluntary contributions to a joint-product public good.

Each participant i chooses troops c_i in [0, cap_i] to maximise (in soldier units)

    u_i = V_i S log(1 + C / S) + pi s0 log(1 + c_i / s0) - c_i,      C = sum_j c_j

- the shared benefit grows with the total force C relative to the threat S (Olson & Zeckhauser
  1966): V_i = valuation * stake_i * N_i / N_ref is the member's valuation, larger for members
  with a bigger stake and a bigger army N_i (a soldier is a smaller share of a big army);
- the private (joint-product) benefit pi s0 log(1 + c_i / s0) rewards a member's own visible
  contingent: standing with the leader, side payments, training (Sandler & Hartley 1995);
  s0 is the size of a token contingent (a company, ~100);
- cap_i is what i can deploy fast: its standing-force pledge plus its base in the victim.

Interior first-order condition: V_i S / (S + C) + pi s0 / (s0 + c_i) = 1. Given the total C
each member's best share is

    c_i(C) = clip(pi s0 / (1 - V_i S / (S + C)) - s0, 0, cap_i)   (cap_i if V_i S/(S+C) >= 1),

non-increasing in C, so the Nash equilibrium is the unique root of sum_i c_i(C) = C, found by
vectorised bisection on C (an aggregative game). With pi = 0 only the member with the highest
valuation contributes (the "exploitation of the great by the small"); it takes whatever the
others leave up to C* = S (V_max - 1).
"""

from __future__ import annotations

import numpy as np


def stake(exposure: np.ndarray, affinity_victim: np.ndarray, affinity_aggressor: np.ndarray,
          leader_stake: np.ndarray) -> np.ndarray:
    """stake_i = max(0, exposure_i + max(0, aff_iv) - max(0, aff_ia) + leader_stake_i). (M,)."""
    raw = (exposure + np.maximum(affinity_victim, 0.0) - np.maximum(affinity_aggressor, 0.0)
           + leader_stake)
    return np.asarray(np.maximum(raw, 0.0))


def share_response(C: np.ndarray, V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray,
                   cap: np.ndarray) -> np.ndarray:
    """c_i(C): each member's best contribution when the total is C.

    C, S, pi, s0: (T,); V, cap: (T, M). Returns (T, M).
    """
    gap = 1.0 - V * (S / (S + C))[:, None]
    safe = np.where(gap > 0, gap, 1.0)
    interior = np.where(gap > 0, (pi * s0)[:, None] / safe - s0[:, None], np.inf)
    return np.clip(interior, 0.0, cap)


def equilibrium(V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray, cap: np.ndarray,
                iterations: int = 60) -> np.ndarray:
    """Nash equilibrium contributions (T, M) by bisection on the total C.

    Members with cap 0 (non-participants) contribute nothing. When the root falls on a member's
    step (pi = 0), that member takes the residual C* - sum of the others (capped).
    """
    T, _M = V.shape
    lo = np.zeros(T)
    hi = cap.sum(axis=1)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        excess = share_response(mid, V, S, pi, s0, cap).sum(axis=1) - mid
        up = excess > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    total = 0.5 * (lo + hi)
    c = share_response(hi, V, S, pi, s0, cap)
    residual = total - c.sum(axis=1)
    room = cap - c
    # the pivotal member: the highest valuation among those not at their cap
    pivot = np.argmax(np.where(room > 1e-12, V, -np.inf), axis=1)
    rows = np.arange(T)
    has_room = room[rows, pivot] > 1e-12
    add = np.where(has_room & (residual > 0), np.minimum(residual, room[rows, pivot]), 0.0)
    c[rows, pivot] += add
    return c


def utility(c: np.ndarray, V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray
            ) -> np.ndarray:
    """u_i for contributions c (T, M). Used by tests to check the equilibrium property."""
    C = c.sum(axis=1)
    return (V * (S * np.log1p(C / S))[:, None] + (pi * s0)[:, None] * np.log1p(c / s0[:, None])
            - c)
