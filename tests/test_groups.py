"""The groups' counts as histograms (results/groups.py): the same bands and errors as one row
per group, in memory that does not grow with the trials (issue 23, item 2)."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim import engine
from alliancesim.results import bands
from alliancesim.results.groups import GROUP, QUANTITIES, GroupCounts, weighted_quantile


def _rows(rng: np.random.Generator, G: int, partial: int = 0) -> np.ndarray:
    """G random group rows (n, rung counts, troops sent, outside, repelled, lost) with shares
    that vary between groups; the last `partial` groups have fewer trials."""
    n = np.full(G, GROUP)
    if partial:
        n[-partial:] = rng.integers(1, GROUP, partial)
    p = rng.dirichlet(np.ones(5) * 2, G)
    rungs = np.stack([rng.multinomial(n[g], p[g]) for g in range(G)])
    sent = rng.binomial(n, rng.uniform(0, 1, G))
    outside = rng.binomial(n, 0.1)
    ends = np.stack([rng.multinomial(n[g], [0.3, 0.5, 0.2]) for g in range(G)])
    return np.column_stack([n, rungs, sent, outside, ends[:, 0], ends[:, 2]]).astype(np.int64)


def test_group_is_the_engines() -> None:
    assert GROUP == engine.GROUP


@pytest.mark.parametrize("seed", range(5))
def test_weighted_quantile_is_numpys_quantile_of_the_repeated_sample(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.choice(rng.normal(size=7), 12)  # ties included
    w = rng.integers(1, 40, values.size)
    for q in (0.0, 0.05, 0.3, 0.5, 0.77, 0.95, 1.0):
        assert weighted_quantile(values, w, q) == np.quantile(np.repeat(values, w), q)


def _old_counts(rows: np.ndarray, quantity: str) -> tuple[np.ndarray, np.ndarray]:
    k = rows @ np.asarray(QUANTITIES[quantity])
    return k.astype(float), rows[:, 0].astype(float)


@pytest.mark.parametrize("partial", [0, 1, 3])
def test_bands_and_errors_equal_those_of_one_row_per_group(partial: int) -> None:
    rows = _rows(np.random.default_rng(partial), 300, partial)
    counts = GroupCounts.of_rows(rows)
    assert counts.count == 300 and counts.trials == rows[:, 0].sum()
    assert counts.sum_n2() == float((rows[:, 0].astype(float) ** 2).sum())
    for q in QUANTITIES:
        k, n = _old_counts(rows, q)
        assert bands.cluster_se(*counts.counts(q)) == pytest.approx(bands.cluster_se(k, n),
                                                                    rel=1e-12)
        kk, nn, w = counts.counts(q)
        assert bands.band(kk, nn, w=w) == pytest.approx(bands.band(k, n), rel=1e-12, abs=1e-15)
    # contained is what neither repelled nor lost
    k, _ = _old_counts(rows, "contained")
    np.testing.assert_array_equal(k, rows[:, 0] - rows[:, 8] - rows[:, 9])


def test_adding_is_exact_and_memory_does_not_grow() -> None:
    rng = np.random.default_rng(9)
    rows = [_rows(rng, 32) for _ in range(200)]
    parts = [GroupCounts.of_rows(r) for r in rows]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    assert total.equals(GroupCounts.of_rows(np.concatenate(rows)))
    assert total.count == 6400 and total.full.shape == parts[0].full.shape
    assert total.full.nbytes + total.partial.nbytes < 16_000  # 6,400 groups (was 512,000 bytes)
    backwards = parts[-1]
    for p in parts[-2::-1]:
        backwards = backwards + p
    assert backwards.equals(total)
    assert GroupCounts().count == 0 and bands.headline_bands(GroupCounts()) is None
