"""duckdb, imported with Ctrl-C held: its native start-up (nanobind) aborts the whole process,
with a C-level traceback, when a signal handler raises inside it; the command line's handler
raises to stop the command. Held (_interrupt.held_signals), the signal is acted on just after
the import, as anywhere else. The modules that use duckdb import it from here."""

from __future__ import annotations

from alliancesim._interrupt import held_signals

with held_signals():
    import duckdb as duckdb

__all__ = ["duckdb"]
