"""Stage 7's belief model (model/belief.py): the conjugate update against Bayes' rule, and the
direction of every update."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from alliancesim.model import belief
from alliancesim.model.belief import BeliefParameters


def _grid_posterior(a0: float, b0: float, successes: float, failures: float) -> np.ndarray:
    """Bayes' rule on a grid: prior density times p^s (1 - p)^f, normalised."""
    p = np.linspace(1e-4, 1 - 1e-4, 4001)
    post = stats.beta.pdf(p, a0, b0) * p ** successes * (1 - p) ** failures
    return np.asarray(post / np.trapezoid(post, p))


@pytest.mark.parametrize(("rungs", "c"), [([4, 0, 4, 4, 0], 1.0), ([0, 0, 0], 1.0), ([4, 4], 0.0),
                                          ([2, 3, 1, 4], 0.6)])
def test_update_is_the_beta_conjugate_closed_form(rungs: list[int], c: float) -> None:
    params = BeliefParameters()
    a, b = belief.prior(0.5, 3, 1, params)
    active = np.ones((1, 3), dtype=bool)
    for rung in rungs:
        w = belief.evidence_weights(0, -1, active, params)
        a, b = belief.update(a, b, np.array([rung]), w, c)
    h = np.array(rungs) / 4
    a0, b0 = 1 + 2 * 0.5, 1 + 2 * 0.5
    # the victim (weight 1): a = a0 + sum h, b = b0 + c sum(1 - h)
    assert a[0, 0] == pytest.approx(a0 + h.sum())
    assert b[0, 0] == pytest.approx(b0 + c * (1 - h).sum())
    # the others (weight 1/2)
    assert a[0, 1] == pytest.approx(a0 + 0.5 * h.sum())
    p = np.linspace(1e-4, 1 - 1e-4, 4001)
    for i, w in ((0, 1.0), (1, 0.5)):
        grid = _grid_posterior(a0, b0, w * h.sum(), w * c * (1 - h).sum())
        closed = stats.beta.pdf(p, a[0, i], b[0, i])
        assert np.max(np.abs(grid - closed)) < 1e-3 * closed.max()


def test_always_helped_never_loses_and_never_helped_never_gains() -> None:
    rng = np.random.default_rng(5)
    T, M = 200, 4
    a, b = belief.prior(0.3, M, T)
    active = rng.random((T, M)) < 0.8
    before = belief.mean(a, b)
    for k in range(6):
        victim = k % M
        c = rng.random() if k else 0.0
        w = belief.evidence_weights(victim, -1, active)
        up_a, up_b = belief.update(a, b, np.full(T, 4), w, c)
        down_a, down_b = belief.update(a, b, np.zeros(T, dtype=int), w, c)
        assert np.all(belief.mean(up_a, up_b) >= belief.mean(a, b))
        assert np.all(belief.mean(down_a, down_b) <= belief.mean(a, b))
        moved = w > 0
        assert np.all(belief.mean(up_a, up_b)[moved] > belief.mean(a, b)[moved])
        if c > 0:
            assert np.all(belief.mean(down_a, down_b)[moved] < belief.mean(a, b)[moved])
        else:  # nothing was due: withholding teaches nothing
            assert np.array_equal(belief.mean(down_a, down_b), belief.mean(a, b))
        a, b = up_a, up_b
    assert np.all(belief.mean(a, b) >= before)


def test_the_party_to_a_clash_and_inactive_members_learn_nothing() -> None:
    a, b = belief.prior(0.5, 3, 2)
    active = np.array([[True, True, True], [True, False, True]])
    w = belief.evidence_weights(0, 2, active)
    a2, b2 = belief.update(a, b, np.array([0, 0]), w, 1.0)
    assert np.all(a2[:, 2] == a[:, 2]) and np.all(b2[:, 2] == b[:, 2])
    assert a2[1, 1] == a[1, 1] and b2[1, 1] == b[1, 1]
    assert b2[0, 1] > b[0, 1]


def test_freeze_and_exit_are_absorbing_and_the_leader_never_leaves() -> None:
    theta = belief.thresholds(np.array([1.0, 0.5, -1.0]), leader=0)
    assert theta.tolist() == [0.0, 0.25, 1.0]
    status = np.zeros((1, 3), dtype=np.int8)
    status = belief.next_status(status, np.array([[0.0, 0.2, 0.6]]), theta)
    assert status.tolist() == [[belief.ACTIVE, belief.FROZEN, belief.FROZEN]]
    status = belief.next_status(status, np.array([[0.0, 0.9, 0.4]]), theta)
    assert status.tolist() == [[belief.ACTIVE, belief.FROZEN, belief.EXITED]]


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="weight_other"):
        BeliefParameters(weight_other=-1.0)
    with pytest.raises(ValueError, match="freeze_scale"):
        BeliefParameters(freeze_scale=2.0)
