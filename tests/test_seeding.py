"""The engine's streams seeded in batches (alliancesim._seeding, engine.chunk_streams) are
numpy's: the same state words as numpy's SeedSequence, the same generators, the same draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alliancesim import load_scenario
from alliancesim._seeding import Seeded, generator, seed_words
from alliancesim.engine import BLOCK, TrialInputs, draw_block, draw_trials, stream
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.params import with_uncertainty


def _numpy_words(seed: int, key: tuple[int, ...]) -> np.ndarray:
    return np.random.SeedSequence(seed, spawn_key=key).generate_state(4, np.uint64)


@pytest.mark.parametrize("seed", [0, 1, 20211, 2**32 - 1, 2**32, 2**64 + 5, 2**130 + 7])
def test_seed_words_are_numpys(seed: int) -> None:
    """Random three-word keys (the engine's: crisis, block, name) and every other shape
    numpy takes: elements of 0, of 2^32 - 1 and past one word, one element, no key at all,
    mixed in one call (hashed by length, written back in the keys' order)."""
    rng = np.random.default_rng(seed % 1000)
    keys: list[tuple[int, ...]] = [
        (int(rng.integers(0, 2**32)), int(rng.integers(0, 2**18)), int(rng.integers(0, 2**32)))
        for _ in range(150)]
    keys += [(0, 0, 0), (2**32 - 1, 2**32 - 1, 2**32 - 1), (2**32, 5, 2**70 + 1), (9,), (),
             (1, 2, 3, 4, 5, 6), (2**33,)]
    rng.shuffle(keys)
    words = seed_words(seed, keys)
    assert words.dtype == np.uint64 and words.shape == (len(keys), 4)
    for key, row in zip(keys, words, strict=True):
        np.testing.assert_array_equal(row, _numpy_words(seed, key), err_msg=str(key))


def test_generators_draw_numpys_numbers() -> None:
    key = (123, 45, 678)
    ours = generator(seed_words(7, [key])[0])
    theirs = np.random.default_rng(np.random.SeedSequence(7, spawn_key=key))
    np.testing.assert_array_equal(ours.standard_normal(1000), theirs.standard_normal(1000))
    np.testing.assert_array_equal(ours.integers(0, 10**9, 100), theirs.integers(0, 10**9, 100))
    with pytest.raises(ValueError, match="4 uint64"):
        Seeded(seed_words(7, [key])[0]).generate_state(8, np.uint32)


def _same_inputs(a: TrialInputs, b: TrialInputs) -> None:
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                np.testing.assert_array_equal(x[k], y[k], err_msg=f"{f.name}.{k}")
        else:
            np.testing.assert_array_equal(x, y, err_msg=f.name)


@pytest.mark.parametrize("name", ["csto-2021-autumn", "nato-2021-baltic"])
def test_chunks_draw_what_each_stream_draws_alone(name: str) -> None:
    """draw_trials (a chunk's streams seeded together) draws, block by block, what draw_block
    draws with each stream made by numpy's SeedSequence (stream): every quantity, the
    parameter draws, every noise; from a chunk that does not start at block 0."""
    model = compile_crisis(with_uncertainty(load_scenario(name)), 0)
    assert model.posterior is not None
    chunk = draw_trials(model, seed=11, start_block=2, stop_block=5, trials=5 * BLOCK,
                        fixed=False)
    alone = TrialInputs.concat([draw_block(model, 11, b) for b in range(2, 5)])
    _same_inputs(chunk, alone)
    # and draw_block's own streams are stream()'s
    assert np.array_equal(
        stream(11, model.crisis_id, 3, "council.shock").standard_normal(BLOCK),
        draw_block(model, 11, 3).z)
