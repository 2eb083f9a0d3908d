"""What a scenario build shares between its parts: the data store, the year and the crisis
date, the imports on hand, the notes for the user, and the releases each value came from.

`build.py` (the scenario), `leaders.py` (who leads, the leader's stake), `crises.py` (the
candidate crises) and `geography.py` (capitals, contiguity, distances) each read the store
through one `BuildContext`, so every release they use is recorded once for `data cite`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alliancesim._duckdb import duckdb
from alliancesim.datasets.store import DataStore


class BuildContext:
    """The data store, the year, and the record of what the build used and noted."""

    def __init__(self, store: DataStore, year: int) -> None:
        self.store, self.year = store, year
        self.imports = {i.kind: i for i in store.imported()}
        self.notes: list[str] = []
        self.used: dict[str, str] = {}
        self._con: duckdb.DuckDBPyConnection | None = None

    @contextmanager
    def session(self) -> Iterator[BuildContext]:
        """One read-only connection for every query of the build (a build makes hundreds)."""
        with self.store.connect(read_only=True) as con:
            self._con = con
            try:
                yield self
            finally:
                self._con = None

    def use(self, kind: str) -> str:
        """The release of `kind` in the store, recorded as used."""
        release = self.imports[kind].release
        self.used[kind] = release
        return release

    def has(self, kind: str) -> bool:
        return kind in self.imports

    def last_year(self, kind: str) -> int:
        y = self.imports[kind].last_year
        return int(y) if y is not None else self.year

    def query(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self._con is None:
            return self.store.query(sql, params)
        return self._con.execute(sql, list(params)).fetchall()

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)


def mid_year(year: int) -> datetime.date:
    """1 July of `year`: the day a build without a crisis date takes (as codes.actor_id does)."""
    return datetime.date(year, 7, 1)
