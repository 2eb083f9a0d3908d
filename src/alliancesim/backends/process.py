"""A pool of local processes (concurrent.futures), one chunk per task.

Ctrl-C belongs to the parent: a terminal sends SIGINT to every process of its foreground group,
workers included. Each worker is started with SIGINT blocked (the parent blocks it while the
pool spawns; a blocked signal mask survives fork and exec), and its initializer sets SIGINT to
ignored before unblocking it, so a Ctrl-C that lands while a worker is still importing is
dropped instead of ending in a traceback. The parent stops the workers: it cancels what is
queued and waits for the chunks in flight (about a second each). It waits for each chunk in
slices of POLL seconds, so that Ctrl-C is acted on even when the kernel delivers it to another
of its threads (which does not wake the main thread's wait).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, wait
from typing import TYPE_CHECKING

from alliancesim.backends.base import Backend, Task, run_task

if TYPE_CHECKING:
    from alliancesim.engine import ChunkOutput

_SIGINT = {signal.SIGINT}
POLL = 0.25  # seconds between looks at a pending Ctrl-C while a chunk is awaited


def _single_threaded() -> None:
    """Workers use one core each (no nested BLAS/OpenMP threads) and leave Ctrl-C to the
    parent. A SIGINT pending since the worker started is discarded by SIG_IGN (POSIX)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGINT)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread (the processes and threads it starts inherit the mask); a
    Ctrl-C meanwhile is held and delivered, to the parent only, on leaving."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGINT)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class ProcessBackend(Backend):
    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        ctx = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx,
                                         initializer=_single_threaded)

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        # The pool spawns its workers (and its manager thread) as tasks are submitted.
        with _sigint_blocked():
            futures = [self._pool.submit(run_task, t) for t in tasks]
        try:
            for future in futures:  # in task order, whatever order they finish in
                # Waiting in slices: a Ctrl-C that the kernel hands to another thread (a
                # progress bar's) is acted on within POLL seconds, not when the chunk ends.
                while not wait([future], timeout=POLL).done:
                    pass
                yield future.result()
        finally:  # interrupted, a task failed, or the caller stopped early: drop the queue
            for future in futures:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
