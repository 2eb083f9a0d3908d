"""Ctrl-C and SIGTERM before the command line has loaded: one line, exit 128 + the signal.

Importing the command line (typer, rich, numpy, numba, the model) takes about a second; a
KeyboardInterrupt raised inside an import would end in a traceback. The entry points
(`alliancesim`, `python -m alliancesim`, `python -m alliancesim.cli`) call `guard_imports`
first, with nothing heavier than the standard library loaded; `alliancesim.cli.main` then
replaces the handler with its own, which also stops the work in flight. This module imports
nothing from alliancesim, so that every entry point can load it first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator

EXIT_BASE = 128  # a shell's exit status for a process ended by signal N is 128 + N


def interrupted_line(signum: int) -> str:
    """The one line printed on stderr when a signal stops a command."""
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    return f"interrupted ({name}): stopped; nothing was written (an --out folder is as it was)"


def stop_now(signum: int, frame: object) -> None:
    """Say so in one line and leave at once (exit 128 + signum), without unwinding: used while
    nothing has started (no file is open for writing, no worker runs), and by the command line
    for a second signal while the first one's clean-up runs."""
    with contextlib.suppress(OSError, ValueError):  # a closed stderr: the status says it
        sys.stderr.write(interrupted_line(signum) + "\n")
        sys.stderr.flush()
    os._exit(EXIT_BASE + signum)


def guard_imports() -> None:
    """Install the loading-time handler for SIGINT and SIGTERM (main thread only)."""
    signal.signal(signal.SIGINT, stop_now)
    signal.signal(signal.SIGTERM, stop_now)


@contextlib.contextmanager
def held_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM recorded, not acted on, for the duration; then the first is delivered
    to the handler that was there before. Used where stopping half-way would leave a mess: an
    output put in place (a few renames: the target is left as it was or with the new output,
    not half of each), pool workers being spawned (a signal blocked in this thread can still
    reach Python's handler inside fork_exec, leaving the new worker without its start-up data,
    which it reported with an EOFError traceback; held, the spawn completes). Outside the main
    thread nothing is held (Python runs handlers in the main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []
    old = {s: signal.signal(s, lambda n, _f: got.append(n))
           for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
        if got:
            signal.raise_signal(got[0])
