"""Stage 2, the council: each member's preferred rung and the collective decision.

Member model (ordered probit):

    s_i = b_0 + x_i . beta + eps_i,   eps_i ~ N(0, 1)
    l_i = #{k : s_i > tau_k}          (0 none, 1 statement, 2 consultations, 3 mission, 4 military)

Features x_i (see docs/model.md): exposure to spill-over, affinity with the victim, affinity with
the aggressor, the leader's stake in the victim (leader x tie to the victim), the treaty's
coverage of the threat (in_scope), the cost log(1 + S / N_others) of meeting a threat S with the
combined forces N_others of the members other than the victim, and being the aggressor.
The victim's own preference is the highest rung its request allows.

Noise: "independent" draws eps_i independently; "common_shock" uses
eps_i = sqrt(rho) z + sqrt(1 - rho) e_i with one z per trial, so members' moods move together.

Decision rules (the collective rung L, then capped by the request):
- consensus: L = min_i l_i (every member can block); with consensus_from = c, only rungs from c
  up need every member and lower rungs a simple majority, L = max(min_i l_i, min(L_maj, c - 1))
  (treaty consultations happen on any member's request: CSC Treaty art. 2, NATO art. 4);
- qualified / simple majority: the highest rung that at least q members support, i.e. the
  q-th largest l_i (q = ceil(threshold * n), or floor(n / 2) + 1);
- leader: L = l_leader.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def member_noise(e: np.ndarray, z: np.ndarray, noise: str, rho: np.ndarray) -> np.ndarray:
    """eps (T, M) from independent normals e (T, M) and a common normal z (T,)."""
    if noise == "independent":
        return e
    r = rho[:, None]
    return np.sqrt(r) * z[:, None] + np.sqrt(1.0 - r) * e


def latent_support(features: list[np.ndarray], beta: list[np.ndarray], intercept: np.ndarray
                   ) -> np.ndarray:
    """Mean latent support mu_i = b_0 + sum_k beta_k x_ik.

    features: K arrays broadcastable to (T, M) (member rows (M,) or trial columns (T, 1));
    beta: K arrays (T,); intercept: (T,). Returns (T, M).
    """
    T = intercept.shape[0]
    M = max(x.shape[-1] for x in features if x.ndim == 1)  # member rows give the width
    mu = np.empty((T, M))
    mu[:] = intercept[:, None]
    for x, b in zip(features, beta, strict=True):
        mu += b[:, None] * x
    return mu


def preferred_rung(support: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """l_i = number of cut-points below s_i. support (T, M); cutpoints (T, 4). Returns int8."""
    return (support[:, :, None] > cutpoints[:, None, :]).sum(axis=2).astype(np.int8)


def consensus_rung(preferred: np.ndarray) -> np.ndarray:
    """Collective rung under consensus: the least ambitious member decides. L = min_i l_i."""
    return preferred.min(axis=1)


def majority_rung(preferred: np.ndarray, quota: int) -> np.ndarray:
    """Highest rung supported by at least `quota` members: the quota-th largest l_i."""
    n = preferred.shape[1]
    return np.partition(preferred, n - quota, axis=1)[:, n - quota]


def collective_rung(preferred: np.ndarray, rule: str, quota: int, leader: int,
                    consensus_from: int = 1) -> np.ndarray:
    """The decision rule applied to preferred rungs (T, M). Returns (T,) int8.

    Under consensus with consensus_from c > 1, rungs below c need only a simple majority:
    L = max(min_i l_i, min(majority rung, c - 1)).
    """
    if rule == "consensus":
        if consensus_from > 1:
            n = preferred.shape[1]
            low = np.minimum(majority_rung(preferred, n // 2 + 1), consensus_from - 1)
            return np.maximum(consensus_rung(preferred), low).astype(np.int8)
        return consensus_rung(preferred)
    if rule in ("qualified_majority", "simple_majority"):
        return majority_rung(preferred, quota)
    if rule == "leader":
        return preferred[:, leader].copy()
    raise ValueError(f"unknown decision rule {rule!r}")


def blocking(
    preferred: np.ndarray, rung: np.ndarray, cap: np.ndarray, rule: str, quota: int,
    leader: int, victim: int, consensus_from: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Who blocks. Returns (holds_out, sole_veto), both (T, M) bool.

    holds_out_i: the decision fell short of the request (L < cap) and i did not support more
    than was decided (l_i <= L): i is among those who held the alliance back.
    sole_veto_i: i alone is pivotal: had i supported the request, the rule would have given
    more than L.
    """
    T, M = preferred.shape
    short = rung < cap
    holds_out = short[:, None] & (preferred <= rung[:, None])
    holds_out[:, victim] = False
    if rule == "consensus" and consensus_from == 1:
        # i alone is pivotal iff it is the unique lowest and the next lowest is above L
        others_min = np.partition(preferred, 1, axis=1)[:, 1]
        alt_rung = np.minimum(others_min, cap)
        sole = (preferred == rung[:, None]) & (alt_rung > rung)[:, None]
        sole[:, victim] = False
        return holds_out, sole
    sole = np.zeros((T, M), dtype=bool)
    for i in range(M):
        if i == victim:
            continue
        alt = preferred.copy()
        alt[:, i] = cap
        alt_rung = np.minimum(collective_rung(alt, rule, quota, leader, consensus_from), cap)
        sole[:, i] = alt_rung > rung
    return holds_out, sole


RULE_CODES = {"consensus": 0, "qualified_majority": 1, "simple_majority": 1, "leader": 2}


@njit(cache=True)
def _decide_kernel(preferred: np.ndarray, cap: np.ndarray, rule: int, quota: int, leader: int,
                   victim: int, consensus_from: int, rung: np.ndarray, holds_out: np.ndarray,
                   sole_veto: np.ndarray) -> None:
    T, M = preferred.shape
    cnt = np.zeros(5, dtype=np.int64)
    need = np.zeros(5, dtype=np.int64)
    for level in range(1, 5):
        if rule == 0:
            need[level] = M if level >= consensus_from else M // 2 + 1
        else:
            need[level] = quota
    for t in range(T):
        c = cap[t]
        cnt[:] = 0
        for i in range(M):
            for level in range(1, preferred[t, i] + 1):
                cnt[level] += 1
        L = 0
        if rule == 2:
            L = preferred[t, leader]
        else:
            for level in range(4, 0, -1):
                if cnt[level] >= need[level]:
                    L = level
                    break
        L = min(L, c)
        rung[t] = L
        for i in range(M):
            p = preferred[t, i]
            if i == victim:
                holds_out[t, i] = False
                sole_veto[t, i] = False
                continue
            holds_out[t, i] = L < c and p <= L
            # the rule's outcome had i alone supported the request (p_i := cap)
            if rule == 2:
                alt = c if i == leader else L
            else:
                alt = 0
                for level in range(4, 0, -1):
                    extra = 1 if p < level <= c else 0
                    if cnt[level] + extra >= need[level]:
                        alt = level
                        break
                alt = min(alt, c)
            sole_veto[t, i] = alt > L


def decide(preferred: np.ndarray, cap: np.ndarray, rule: str, quota: int, leader: int,
           victim: int, consensus_from: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The collective rung (capped), holds_out and sole_veto in one compiled pass.

    Same definitions as collective_rung and blocking above (which stay as the plain numpy
    statement of the rules; tests check the two agree). The rule at rung l holds when enough
    members prefer l or more: all of them (consensus, from consensus_from up), a simple
    majority (consensus below consensus_from), the quota (majority rules); or the leader's own
    preference. The rules are nested, so L is the highest rung whose rule holds.
    """
    T, M = preferred.shape
    rung = np.empty(T, dtype=np.int8)
    holds = np.empty((T, M), dtype=np.bool_)
    sole = np.empty((T, M), dtype=np.bool_)
    _decide_kernel(np.ascontiguousarray(preferred, dtype=np.int8),
                   np.ascontiguousarray(cap, dtype=np.int8), RULE_CODES[rule], quota, leader,
                   victim, consensus_from, rung, holds, sole)
    return rung, holds, sole
