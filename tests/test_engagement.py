"""Engagement: more defending force never lowers the probability of repelling."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from alliancesim.model.engagement import LOST, REPELLED, engage


def _run(A, D, irregular, extra=None, horizon=60, k=0.005):  # type: ignore[no-untyped-def]
    T = A.shape[0]
    ones = np.ones(T)
    return engage(A, D, 1.2 * ones, ones, k * ones, 0.3 * ones, 0.25 * ones, horizon, irregular,
                  reinforcements=extra, irregular_efficiency=0.1)


@settings(max_examples=80, deadline=None)
@given(
    A=st.lists(st.floats(100, 50_000), min_size=20, max_size=20),
    D=st.lists(st.floats(100, 50_000), min_size=20, max_size=20),
    more=st.floats(0.0, 3.0),
    irregular=st.booleans(),
)
def test_more_defenders_never_lower_p_repelled(A, D, more, irregular) -> None:  # type: ignore[no-untyped-def]
    A, D = np.array(A), np.array(D)
    base = _run(A, D, irregular)
    stronger = _run(A, D * (1 + more), irregular)
    # trial by trial: a repulse stays a repulse, a defence that held never breaks
    assert np.all(stronger.outcome[base.outcome == REPELLED] == REPELLED)
    assert np.all(stronger.outcome[base.outcome != LOST] != LOST)
    assert (stronger.outcome == REPELLED).mean() >= (base.outcome == REPELLED).mean()


@settings(max_examples=60, deadline=None)
@given(
    amounts=st.lists(st.floats(0, 10_000), min_size=3, max_size=3),
    days=st.lists(st.integers(0, 80), min_size=3, max_size=3),
    irregular=st.booleans(),
)
def test_reinforcements_never_hurt(amounts, days, irregular) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    T = 50
    A = rng.uniform(1000, 20000, T)
    D = rng.uniform(1000, 20000, T)
    sched = (np.tile(np.asarray(amounts, float), (T, 1)), np.tile(np.asarray(days, float), (T, 1)))
    base = _run(A, D, irregular)
    helped = _run(A, D, irregular, extra=sched)
    assert np.all(helped.outcome[base.outcome == REPELLED] == REPELLED)
    won = base.outcome == REPELLED
    assert np.all(helped.end_day[won] <= base.end_day[won])


def test_a_hopeless_defence_is_lost_and_a_crushing_one_repels() -> None:
    lost = _run(np.array([50_000.0]), np.array([1_000.0]), False)
    won = _run(np.array([1_000.0]), np.array([50_000.0]), False)
    assert lost.outcome[0] == LOST and won.outcome[0] == REPELLED
    assert won.end_day[0] <= 2


def test_square_law_day_by_day() -> None:
    """One hand-computed day: A1 = A0 - k qD D0, D1 = D0 - k qA A0."""
    out = engage(np.array([1000.0]), np.array([2000.0]), np.array([1.0]), np.array([1.0]),
                 np.array([0.01]), np.array([0.9]), np.array([0.0]), 1, False)
    assert out.aggressor_losses[0] == 20.0 and out.defender_losses[0] == 10.0


def test_arrivals_after_the_horizon_are_dropped() -> None:
    A, D = np.array([5000.0]), np.array([4000.0])
    base = _run(A, D, False, horizon=10)
    late = _run(A, D, False, horizon=10,
                extra=(np.array([[1e6]]), np.array([[11.0]])))
    assert late.outcome[0] == base.outcome[0] and late.end_day[0] == base.end_day[0]
