"""In-process backend: chunks run one after the other."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from alliancesim.backends.base import Backend, Task

if TYPE_CHECKING:
    from alliancesim.engine import ChunkOutput


class LocalBackend(Backend):
    name = "local"
    workers = 1

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        for task in tasks:
            yield task()

    def close(self) -> None:
        pass
