"""Backends and chunking: the same scenario and seed give identical numbers everywhere."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from alliancesim import load_scenario, simulate
from alliancesim.engine import BLOCK

TRIALS = 3 * BLOCK + 77


@pytest.fixture(scope="module")
def reference():  # type: ignore[no-untyped-def]
    sc = load_scenario("csto-2021-autumn")
    return sc, simulate(sc, trials=TRIALS, seed=23, backend="local", keep_trials=True)


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert a.summary().model_dump_json() == b.summary().model_dump_json()
    for ra, rb in zip(a.results, b.results, strict=True):
        for f in dataclasses.fields(ra):
            np.testing.assert_array_equal(getattr(ra, f.name), getattr(rb, f.name), f.name)


@pytest.mark.parametrize("workers,chunk", [(1, BLOCK), (2, BLOCK), (2, 2 * BLOCK)])
def test_process_pool_is_identical(reference, workers, chunk) -> None:  # type: ignore[no-untyped-def]
    sc, ref = reference
    got = simulate(sc, trials=TRIALS, seed=23, backend="process", workers=workers,
                   chunk_size=chunk, keep_trials=True)
    assert got.backend == "process"
    _same(ref, got)


def test_summary_without_kept_trials_is_identical(reference) -> None:  # type: ignore[no-untyped-def]
    sc, ref = reference
    lean = simulate(sc, trials=TRIALS, seed=23, chunk_size=BLOCK, keep_trials=False)
    assert lean.results_ is None
    assert lean.summary().model_dump_json() == ref.summary().model_dump_json()
    with pytest.raises(ValueError, match="keep_trials"):
        lean.to_pandas()


@pytest.mark.slow
def test_ray_is_identical(reference) -> None:  # type: ignore[no-untyped-def]
    sc, ref = reference
    got = simulate(sc, trials=TRIALS, seed=23, backend="ray", workers=2, chunk_size=BLOCK,
                   keep_trials=True)
    assert got.backend == "ray"
    _same(ref, got)


def test_unknown_backend_is_a_usage_error() -> None:
    from alliancesim.scenario.errors import UsageError

    # the library names its parameter (the CLI says --backend: tests/test_bad_input.py)
    with pytest.raises(UsageError, match="backend='gpu': unknown backend"):
        simulate("csto-2021-autumn", trials=10, backend="gpu")
    with pytest.raises(UsageError, match="trials=0: must be at least 1"):
        simulate("csto-2021-autumn", trials=0)


def test_a_backend_is_a_context_manager() -> None:
    from alliancesim.backends import make_backend
    from alliancesim.results.ensemble import simulate_scenario

    sc = load_scenario("csto-2021-autumn")
    with make_backend("process", workers=2) as backend:
        a = simulate_scenario(sc, trials=5000, seed=3, backend=backend, keep_trials=True)
        b = simulate_scenario(sc, trials=5000, seed=3, backend=backend, keep_trials=True)
    _same(a, b)
    with pytest.raises(RuntimeError, match="shutdown"):  # closed on leaving the block
        simulate_scenario(sc, trials=10, seed=3, backend=backend)


def test_results_are_let_go_once_handed_on() -> None:
    """in_order (the process pool's reading of its chunks) keeps no finished future, nor so
    its result, once the result is handed on: a run of a billion trials is ~40,000 chunks,
    whose outputs kept to the end grew the pool's memory with the trials."""
    import gc
    import weakref
    from concurrent.futures import Future

    from alliancesim.backends.process import in_order

    class Output:
        pass

    futures: list[Future[Output]] = []
    alive = []
    for _ in range(3):
        f: Future[Output] = Future()
        out = Output()
        f.set_result(out)
        alive.append(weakref.ref(out))
        futures.append(f)
    del f, out
    gen = in_order(futures)
    first = next(gen)
    assert first is alive[0]()
    del first
    gc.collect()
    assert alive[0]() is None  # handed on and let go
    assert alive[1]() is not None and alive[2]() is not None  # not yet read
    assert list(gen) == [alive[1](), alive[2]()]
    gc.collect()
    assert all(ref() is None for ref in alive)
