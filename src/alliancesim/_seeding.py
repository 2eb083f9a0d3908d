"""numpy's SeedSequence for many spawn keys at once: the engine's named streams, seeded in batches.

Every random input of a block has its own generator, ``default_rng(SeedSequence(seed,
spawn_key=key))`` (engine.stream). Made one at a time that costs ~8 µs a stream (4.5 to build
the SeedSequence, most of it turning Python ints into uint32 words, and 3 for PCG64 to ask it
for its seed), and a block of 4,096 trials asks for a dozen: ~20 ns a trial, 6% of a full run of
the flagship (issue 23). `seed_words` computes what those SeedSequences would hand PCG64 for a
whole chunk's keys in a few array operations, and `Seeded` hands the words over, so that
``Generator(PCG64(Seeded(words)))`` is the same generator as numpy's (PCG64 seeds itself from
them as from any SeedSequence, numpy's ISeedSequence interface) in ~0.7 µs.

The hashing is numpy's (numpy/random/bit_generator.pyx, after M. E. O'Neill's seed_seq, which
numpy's stream-compatibility policy keeps fixed): the entropy (the seed's uint32 words, zero-
padded to the pool's four when there is a spawn key, then the key's words) hashed into a pool
of four words (mix_entropy), then the state words drawn from the pool (generate_state).
tests/test_seeding.py holds it to numpy's own SeedSequence on random seeds and keys.
"""

from __future__ import annotations

import numpy as np
from numpy.random.bit_generator import ISeedSequence

POOL = 4  # numpy's DEFAULT_POOL_SIZE
INIT_A, MULT_A = np.uint32(0x43B0D7E5), np.uint32(0x931E8875)
INIT_B, MULT_B = np.uint32(0x8B51F9DD), np.uint32(0x58F38DED)
MIX_L, MIX_R = np.uint32(0xCA01F9DD), np.uint32(0x4973F715)
SHIFT = np.uint32(16)


def int_words(n: int) -> list[int]:
    """A non-negative int's uint32 words, lowest first ([0] for 0): numpy's
    _int_to_uint32_array."""
    if n < 0:
        raise ValueError("expected a non-negative integer")
    words = [n & 0xFFFFFFFF]
    n >>= 32
    while n > 0:
        words.append(n & 0xFFFFFFFF)
        n >>= 32
    return words


def _run(seed: int) -> list[int]:
    """The seed's words, zero-padded to the pool's size (as when there is a spawn key)."""
    run = int_words(seed)
    return run + [0] * (POOL - len(run)) if len(run) < POOL else run


def entropy_words(seed: int, key: tuple[int, ...], run: list[int] | None = None) -> list[int]:
    """SeedSequence(seed, spawn_key=key)'s assembled entropy (get_assembled_entropy); run:
    _run(seed), when the caller has it."""
    spawn = (list(key) if all(0 <= k <= 0xFFFFFFFF for k in key)  # one word each
             else [w for k in key for w in int_words(k)])
    if not spawn:
        return int_words(seed)
    return (_run(seed) if run is None else run) + spawn


def _hashmix(value: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    value = value ^ h
    h = h * MULT_A
    value = value * h
    return value ^ (value >> SHIFT), h


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r: np.ndarray = MIX_L * x - MIX_R * y  # uint32, wrapping as numpy's C code
    return r ^ (r >> SHIFT)


def seed_words(seed: int, keys: list[tuple[int, ...]]) -> np.ndarray:
    """(len(keys), 4) uint64: SeedSequence(seed, spawn_key=k).generate_state(4, np.uint64) for
    every key k, computed together: the keys whose entropies have the same number of words
    (all of them, when every element of every key fits in one word: the engine's) hashed as
    one array."""
    run = _run(seed)
    entropies = [entropy_words(seed, k, run) for k in keys]
    by_length: dict[int, list[int]] = {}
    for i, e in enumerate(entropies):
        by_length.setdefault(len(e), []).append(i)
    out = np.empty((len(keys), POOL), dtype=np.uint64)
    for rows in by_length.values():
        ent = np.array([entropies[i] for i in rows], dtype=np.uint32).T  # (words, keys)
        out[rows] = _generate_state(_pool(ent))
    return out


def _pool(ent: np.ndarray) -> np.ndarray:
    """mix_entropy: the pool (4, S) of entropies ent (L, S)."""
    S = ent.shape[1]
    h = np.full(S, INIT_A, dtype=np.uint32)
    zero = np.zeros(S, dtype=np.uint32)
    pool = []
    for i in range(POOL):
        v, h = _hashmix(ent[i] if i < ent.shape[0] else zero, h)
        pool.append(v)
    for src in range(POOL):
        for dst in range(POOL):
            if src != dst:
                v, h = _hashmix(pool[src], h)
                pool[dst] = _mix(pool[dst], v)
    for src in range(POOL, ent.shape[0]):
        for dst in range(POOL):
            v, h = _hashmix(ent[src], h)
            pool[dst] = _mix(pool[dst], v)
    return np.stack(pool)


def _generate_state(pool: np.ndarray) -> np.ndarray:
    """generate_state(4, np.uint64) of each pool (4, S): (S, 4) uint64 (the eight uint32 words,
    pairs read little-endian)."""
    h = np.full(pool.shape[1], INIT_B, dtype=np.uint32)
    words = []
    for i in range(2 * POOL):
        v = pool[i % POOL] ^ h
        h = h * MULT_B
        v = v * h
        words.append(v ^ (v >> SHIFT))
    w = np.stack(words, axis=1).astype(np.uint64)  # (S, 8)
    return np.asarray(w[:, 0::2] | (w[:, 1::2] << np.uint64(32)))


class Seeded(ISeedSequence):
    """A seed sequence that hands over precomputed state words (seed_words' rows): PCG64 asks
    for four uint64 words, as from numpy's SeedSequence with the same key."""

    __slots__ = ("words",)

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: object = np.uint32) -> np.ndarray:
        if n_words != POOL or np.dtype(dtype) != np.dtype(np.uint64):  # type: ignore[call-overload]
            raise ValueError("precomputed for PCG64: 4 uint64 words")
        return self.words


def generator(words: np.ndarray) -> np.random.Generator:
    """The Generator numpy's default_rng(SeedSequence(seed, spawn_key=key)) makes, from that
    key's seed_words row."""
    # numpy's stubs list only its own SeedSequence; PCG64 takes any ISeedSequence
    return np.random.Generator(np.random.PCG64(Seeded(words)))  # type: ignore[arg-type]
