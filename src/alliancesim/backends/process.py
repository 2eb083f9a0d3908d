"""A pool of local processes (concurrent.futures), one chunk per task.

Ctrl-C belongs to the parent: a terminal sends SIGINT to every process of its foreground group,
workers included. Each worker is started with SIGINT blocked (the parent blocks it while the
pool spawns; a blocked signal mask survives fork and exec), and its initializer sets SIGINT to
ignored before unblocking it, so a Ctrl-C that lands while a worker is still importing is
dropped instead of ending in a traceback. The parent stops the workers: it cancels what is
queued and waits for the chunks in flight (about a second each). It waits for each chunk in
slices of POLL seconds, so that Ctrl-C is acted on even when the kernel delivers it to another
of its threads (which does not wake the main thread's wait). The hindcast's own pool of fits
is made and read the same way (worker_pool, submit_all, in_order).
"""

from __future__ import annotations

import collections
import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

from alliancesim._interrupt import held_signals
from alliancesim.backends.base import Backend, Task, run_task

if TYPE_CHECKING:
    from alliancesim.engine import ChunkOutput

J = TypeVar("J")
R = TypeVar("R")
_SIGINT = {signal.SIGINT}
POLL = 0.25  # seconds between looks at a pending Ctrl-C while a chunk is awaited


def _single_threaded() -> None:
    """Workers use one core each (no nested BLAS/OpenMP threads) and leave Ctrl-C to the
    parent. A SIGINT pending since the worker started is discarded by SIG_IGN (POSIX). A
    SIGTERM ends the worker as the default does (not through a handler inherited by fork)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
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


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` spawned processes, each single-threaded and leaving Ctrl-C to the
    parent (submit to it with `submit_all`, read with `in_order`). Used by the process
    backend and by the hindcast's fits (experiments.hindcast.pool_map)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context(
        "spawn"), initializer=_single_threaded)



def submit_all(pool: ProcessPoolExecutor, fn: Callable[[J], R], jobs: Iterable[J]
               ) -> list[Future[R]]:
    """fn(job) for every job. The pool spawns its workers (and its manager thread) as jobs are
    submitted: they start with SIGINT blocked, and a Ctrl-C meanwhile is held until every
    job is submitted (then it is acted on, and the jobs are cancelled)."""
    futures: list[Future[R]] = []
    try:
        with held_signals(), _sigint_blocked():
            futures += [pool.submit(fn, job) for job in jobs]
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return futures


def in_order(futures: list[Future[R]]) -> Iterator[R]:
    """The results in submission order, whatever order they finish in; on leaving early
    (Ctrl-C, a failed job, the caller stopped) the jobs not started are cancelled. Each future
    is let go once its result is handed on (the list is emptied into a queue): a future holds
    its result, and a run of a billion trials is ~40,000 chunks, whose tallies kept to the end
    grew the pool's memory by ~1.2 MiB per million trials (issue 23)."""
    pending = collections.deque(futures)
    futures.clear()
    try:
        while pending:
            # Waiting in slices: a Ctrl-C that the kernel hands to another thread (a progress
            # bar's) is acted on within POLL seconds, not when the job ends.
            while not wait([pending[0]], timeout=POLL).done:
                pass
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


class ProcessBackend(Backend):
    name = "process"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self._pool = worker_pool(self.workers)

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        yield from in_order(submit_all(self._pool, run_task, tasks))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
