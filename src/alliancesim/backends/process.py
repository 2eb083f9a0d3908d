"""A pool of local processes (concurrent.futures), one chunk per task."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from alliancesim.backends.base import Backend, Task, run_task
from alliancesim.engine import ChunkOutput


def _single_threaded() -> None:
    """Workers use one core each (no nested BLAS/OpenMP threads) and leave Ctrl-C to the
    parent, which cancels what is queued and waits for the chunks in flight (about a second)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


class ProcessBackend(Backend):
    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                         initializer=_single_threaded)

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        # executor.map yields results in task order, whatever order they finish in
        yield from self._pool.map(run_task, tasks)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
