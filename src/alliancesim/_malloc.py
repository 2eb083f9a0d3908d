"""glibc's malloc tuned for runs of chunks: a chunk's arrays (~30 MB on the flagship: the draws,
their layout, the results) are freed when the chunk is tallied and the next chunk asks for the
same sizes again. Left as it is, glibc serves such arrays with mmap, or trims them off the top of
its heap when they are freed, and the next chunk's arrays come back as fresh pages that the
kernel must fault in: ~3,700 page faults a chunk, 45-60 ns of system time a trial on the
flagship (~10% of a run; benchmarks/engine.py, issue 23). Served from the heap and kept there
(MMAP_THRESHOLD, TRIM_THRESHOLD), the same pages are reused, and the system time is ~0.

The settings are the process's: they decide where every later allocation comes from, and how
much freed memory (up to TRIM_THRESHOLD at the top of the heap) the process keeps rather than
hands back to the system; a run's peak memory is that of its largest chunk either way
(docs/performance.md). So alliancesim tunes them only in processes it owns: the command line
(and the web application it starts) and the process pool's and Ray's workers (backends.base.
run_task). A Python user may call tune_allocator() to get the same in their own process.

On a system without glibc's mallopt (macOS, musl) nothing is changed.
"""

from __future__ import annotations

import ctypes
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's <malloc.h>
MMAP_THRESHOLD = 32 * 1024 * 1024  # glibc's largest (HEAP_MAX_SIZE / 2 on 64-bit systems)
TRIM_THRESHOLD = 512 * 1024 * 1024

_tuned: list[bool] = []  # the outcome, once tried in this process


def tune_allocator() -> bool:
    """Serve arrays up to MMAP_THRESHOLD from malloc's heap and keep up to TRIM_THRESHOLD of
    freed memory at its top (see the module docstring). Idempotent; returns whether glibc took
    both settings (False on a system without glibc's mallopt)."""
    if not _tuned:
        _tuned.append(_mallopt())
    return _tuned[0]


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                and mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)


__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "tune_allocator"]
