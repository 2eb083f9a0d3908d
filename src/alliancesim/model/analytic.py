"""Closed forms of the council stage, for calibration and to check the Monte Carlo.

With independent member noise and mean supports mu_i, member i supports rung l or more with
p_i(l) = Phi(mu_i - tau_l). The victim supports every rung up to the cap its request allows.

- consensus:      P(L >= l) = prod_{i != victim} p_i(l)   (for l >= consensus_from; below it
                  the simple-majority tail)
- q-majority:     P(L >= l) = P(1 + sum_{i != victim} B_i >= q),  B_i ~ Bernoulli(p_i(l)),
                  a Poisson-binomial tail (computed by dynamic programming);
- leader:         P(L >= l) = p_leader(l)  (1 if the leader is the victim);
- and P(L >= l) = 0 for l above the cap.

Common shock (eps_i = sqrt(rho) z + sqrt(1 - rho) e_i): conditional on z the members are
independent with p_i(l | z) = Phi((mu_i + sqrt(rho) z - tau_l) / sqrt(1 - rho)); the result is
integrated over z ~ N(0, 1) by Gauss-Hermite quadrature (one dimension).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from alliancesim.model.request import REQUEST_CAP


def poisson_binomial_tail(p: np.ndarray, k: int) -> np.ndarray:
    """P(sum_i B_i >= k) for independent B_i ~ Bernoulli(p[..., i]). p: (..., n)."""
    n = p.shape[-1]
    if k <= 0:
        return np.ones(p.shape[:-1])
    if k > n:
        return np.zeros(p.shape[:-1])
    dist = np.zeros((*p.shape[:-1], n + 1))
    dist[..., 0] = 1.0
    for i in range(n):
        pi = p[..., i : i + 1]
        shifted = np.concatenate([np.zeros_like(dist[..., :1]), dist[..., :-1]], axis=-1)
        dist = dist * (1.0 - pi) + shifted * pi
    return np.asarray(dist[..., k:].sum(axis=-1))


def _tail_given_probs(
    p: np.ndarray, rule: str, quota: int, victim: int, leader: int, consensus_from: int = 1
) -> np.ndarray:
    """P(L >= l) for l = 1..4 before the cap. p: (..., M, 4) member support probabilities."""
    others = np.delete(p, victim, axis=-2)
    if rule == "consensus":
        tail = np.asarray(others.prod(axis=-2))
        if consensus_from > 1:
            # rungs below consensus_from: a simple majority (the events stay nested)
            M = p.shape[-2]
            maj = poisson_binomial_tail(np.moveaxis(others, -2, -1), M // 2 + 1 - 1)
            low = np.arange(1, 5) < consensus_from
            tail = np.where(low, maj, tail)
        return tail
    if rule in ("qualified_majority", "simple_majority"):
        moved = np.moveaxis(others, -2, -1)  # (..., 4, M-1)
        return poisson_binomial_tail(moved, quota - 1)
    if rule == "leader":
        if leader == victim:
            return np.ones((*p.shape[:-2], 4))
        return np.asarray(p[..., leader, :])
    raise ValueError(f"unknown decision rule {rule!r}")


def rung_tail(
    mu: np.ndarray, cutpoints: np.ndarray, cap: int, rule: str, quota: int, victim: int,
    leader: int, noise: str = "independent", rho: float = 0.0, nodes: int = 64,
    consensus_from: int = 1,
) -> np.ndarray:
    """P(L >= l) for l = 1..4 given mean supports mu (M,) and cut-points (4,). Returns (4,)."""
    mu = np.asarray(mu, dtype=float)
    tau = np.asarray(cutpoints, dtype=float)
    if noise == "independent" or rho == 0.0:
        p = ndtr(mu[:, None] - tau[None, :])
        tail = _tail_given_probs(p, rule, quota, victim, leader, consensus_from)
    elif noise == "common_shock":
        x, w = np.polynomial.hermite_e.hermegauss(nodes)
        w = w / w.sum()
        s = np.sqrt(1.0 - rho)
        p = ndtr((mu[None, :, None] + np.sqrt(rho) * x[:, None, None] - tau[None, None, :]) / s)
        tail = (w[:, None] * _tail_given_probs(p, rule, quota, victim, leader,
                                                consensus_from)).sum(axis=0)
    else:
        raise ValueError(f"unknown noise {noise!r}")
    levels = np.arange(1, 5)
    return np.where(levels <= cap, tail, 0.0)


def rung_probabilities(tail: np.ndarray) -> np.ndarray:
    """P(L = l), l = 0..4, from the tail P(L >= l), l = 1..4."""
    full = np.concatenate([[1.0], tail, [0.0]])
    return full[:-1] - full[1:]


def request_probabilities(latent: float, rho1: float, rho2: float) -> np.ndarray:
    """P(request = none, consultations, military) for the request latent's mean."""
    a, b = float(ndtr(rho1 - latent)), float(ndtr(rho2 - latent))
    return np.array([a, b - a, 1.0 - b])


def response_probabilities(
    mu: np.ndarray, cutpoints: np.ndarray, request_probs: np.ndarray, rule: str, quota: int,
    victim: int, leader: int, noise: str = "independent", rho: float = 0.0,
    consensus_from: int = 1,
) -> np.ndarray:
    """P(L = l), l = 0..4, mixing over the request level (independent of the council noise)."""
    out = np.zeros(5)
    for level, pr in enumerate(request_probs):
        if pr == 0.0:
            continue
        cap = int(REQUEST_CAP[level])
        tail = rung_tail(mu, cutpoints, cap, rule, quota, victim, leader, noise, rho,
                         consensus_from=consensus_from)
        out += pr * rung_probabilities(tail)
    return out
