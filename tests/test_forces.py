"""Force generation: the voluntary-contribution Nash equilibrium (Olson & Zeckhauser 1966)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.model.forces import equilibrium


# Independent statements of the game (docs/model.md), to check the compiled equilibrium.
def share_response(C: np.ndarray, V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray,
                   cap: np.ndarray) -> np.ndarray:
    """c_i(C): each member's best contribution when the total is C.

    C, S, pi, s0: (T,); V, cap: (T, M). Returns (T, M).
    """
    gap = 1.0 - V * (S / (S + C))[:, None]
    safe = np.where(gap > 0, gap, 1.0)
    interior = np.where(gap > 0, (pi * s0)[:, None] / safe - s0[:, None], np.inf)
    return np.clip(interior, 0.0, cap)


def utility(c: np.ndarray, V: np.ndarray, S: np.ndarray, pi: np.ndarray, s0: np.ndarray
            ) -> np.ndarray:
    """u_i for contributions c (T, M). The payoff the equilibrium maximises."""
    C = c.sum(axis=1)
    return (V * (S * np.log1p(C / S))[:, None] + (pi * s0)[:, None] * np.log1p(c / s0[:, None])
            - c)


def _arrays(V, S, pi, s0, cap):  # type: ignore[no-untyped-def]
    V = np.atleast_2d(np.asarray(V, float))
    T = V.shape[0]
    return (V, np.full(T, float(S)), np.full(T, float(pi)), np.full(T, float(s0)),
            np.broadcast_to(np.asarray(cap, float), V.shape).copy())


def best_response(i: int, c: np.ndarray, V, S, pi, s0, cap) -> np.ndarray:  # type: ignore[no-untyped-def]
    """i's best reply to the others, by maximising u_i on a fine grid plus the corners.

    An independent check of the equilibrium: no use of the share function.
    """
    T = c.shape[0]
    grid = np.linspace(0.0, 1.0, 4001)[None, :] * cap[:, i : i + 1]
    others = c.sum(axis=1, keepdims=True) - c[:, i : i + 1]
    C = others + grid
    u = (V[:, i : i + 1] * S[:, None] * np.log1p(C / S[:, None])
         + (pi * s0)[:, None] * np.log1p(grid / s0[:, None]) - grid)
    return grid[np.arange(T), u.argmax(axis=1)]


def test_without_private_benefit_only_the_highest_valuation_contributes() -> None:
    """Olson-Zeckhauser: pi = 0, the member with the highest V pays C* = S (V_max - 1)."""
    V, S, pi, s0, cap = _arrays([[3.0, 1.5, 0.5, 1.2]], 1000.0, 0.0, 100.0, 1e6)
    c = equilibrium(V, S, pi, s0, cap)
    assert c[0, 0] == pytest.approx(1000.0 * (3.0 - 1.0), rel=1e-6)
    assert np.all(c[0, 1:] == 0.0)


def test_the_leader_order_does_not_matter() -> None:
    V, S, pi, s0, cap = _arrays([[0.5, 1.2, 3.0, 1.5]], 1000.0, 0.0, 100.0, 1e6)
    c = equilibrium(V, S, pi, s0, cap)
    assert c[0, 2] == pytest.approx(2000.0, rel=1e-6)
    assert np.count_nonzero(c) == 1


def test_with_private_benefit_small_members_send_token_forces() -> None:
    """Joint products: small members send a token (about s0 (pi - 1)), the leader the bulk."""
    V, S, pi, s0, cap = _arrays([[3.0, 0.02, 0.03, 0.01]], 4000.0, 2.5, 100.0, 1e6)
    c = equilibrium(V, S, pi, s0, cap)
    small = c[0, 1:]
    assert np.all(small > 0) and np.all(small < 200)
    assert c[0, 0] / c.sum() > 0.9  # the exploitation of the great by the small


def test_caps_bind() -> None:
    V, S, pi, s0, cap = _arrays([[3.0, 0.02]], 4000.0, 2.5, 100.0, [[1000.0, 50.0]])
    c = equilibrium(V, S, pi, s0, cap)
    np.testing.assert_allclose(c, [[1000.0, 50.0]])


@settings(max_examples=60, deadline=None)
@given(
    V=st.lists(st.floats(0.0, 5.0), min_size=1, max_size=6),
    S=st.floats(10.0, 50_000.0),
    pi=st.floats(0.0, 6.0),
    s0=st.floats(10.0, 500.0),
    caps=st.lists(st.floats(0.0, 20_000.0), min_size=6, max_size=6),
)
def test_equilibrium_is_nash_and_respects_caps(V, S, pi, s0, caps) -> None:  # type: ignore[no-untyped-def]
    M = len(V)
    Va, Sa, pia, s0a, cap = _arrays([V], S, pi, s0, [caps[:M]])
    c = equilibrium(Va, Sa, pia, s0a, cap)
    assert np.all(c >= 0) and np.all(c <= cap + 1e-9)
    u = utility(c, Va, Sa, pia, s0a)
    for i in range(M):
        dev = c.copy()
        dev[:, i] = best_response(i, c, Va, Sa, pia, s0a, cap)
        gain = utility(dev, Va, Sa, pia, s0a)[0, i] - u[0, i]
        # no member gains by deviating (beyond the grid's resolution)
        assert gain <= 1e-6 * (1 + abs(u[0, i])) + 1e-6, (i, gain, c, dev)


def test_share_response_is_non_increasing_in_the_total() -> None:
    V, S, pi, s0, cap = _arrays([[3.0, 0.5, 0.02]], 2000.0, 2.0, 100.0, 1e5)
    totals = np.linspace(0, 50_000, 200)
    shares = np.stack([share_response(np.array([t]), V, S, pi, s0, cap)[0] for t in totals])
    assert np.all(np.diff(shares, axis=0) <= 1e-9)
