"""Same scenario and seed give the same numbers whatever the chunk size."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alliancesim import load_scenario, simulate
from alliancesim.engine import BLOCK


@pytest.fixture(scope="module")
def default():  # type: ignore[no-untyped-def]
    return load_scenario("csto-2021-autumn")


def _assert_same(a, b) -> None:  # type: ignore[no-untyped-def]
    for ra, rb in zip(a.results, b.results, strict=True):
        for f in dataclasses.fields(ra):
            np.testing.assert_array_equal(getattr(ra, f.name), getattr(rb, f.name), f.name)


@pytest.mark.parametrize("chunk", [1, BLOCK, 3 * BLOCK, 10**6])
def test_results_do_not_depend_on_chunk_size(default, chunk) -> None:  # type: ignore[no-untyped-def]
    trials = 2 * BLOCK + 123  # not a multiple of the block
    reference = simulate(default, trials=trials, seed=11, chunk_size=BLOCK)
    _assert_same(reference, simulate(default, trials=trials, seed=11, chunk_size=chunk))


def test_a_prefix_of_trials_is_the_same_draws(default) -> None:  # type: ignore[no-untyped-def]
    """n trials are the first n of a longer run: users can extend an ensemble."""
    short = simulate(default, trials=1000, seed=5)
    long = simulate(default, trials=BLOCK + 500, seed=5)
    for rs, rl in zip(short.results, long.results, strict=True):
        np.testing.assert_array_equal(rs.rung, rl.rung[:1000])
        np.testing.assert_array_equal(rs.troops, rl.troops[:1000])


def test_different_seeds_differ(default) -> None:  # type: ignore[no-untyped-def]
    a = simulate(default, trials=2000, seed=1)
    b = simulate(default, trials=2000, seed=2)
    assert not np.array_equal(a.results[0].rung, b.results[0].rung)


def test_summary_is_identical_across_runs(default) -> None:  # type: ignore[no-untyped-def]
    a = simulate(default, trials=3000, seed=9).summary().model_dump_json()
    b = simulate(default, trials=3000, seed=9, chunk_size=BLOCK).summary().model_dump_json()
    assert a == b
