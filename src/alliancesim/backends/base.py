"""The backend interface: map chunks of trials, in order; a context manager.

The engine (numba, numpy) is imported when a task runs, not with this module: the command
line names the backends (and their limits) in its --help without loading the model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alliancesim.engine import ChunkOutput, Reducer
    from alliancesim.scenario.compile import CompiledCrisis


@dataclass(frozen=True)
class Task:
    """One chunk of one crisis, and what to reduce each block to."""

    model: CompiledCrisis
    seed: int
    first_block: int
    stop_block: int
    trials: int
    keep_trials: bool
    reduce: Reducer | None = None

    def __call__(self) -> ChunkOutput:
        from alliancesim.engine import run_chunk

        return run_chunk(self.model, self.seed, self.first_block, self.stop_block, self.trials,
                         self.keep_trials, self.reduce)


def run_task(task: Task) -> ChunkOutput:
    """A task as the process pool's and Ray's workers run it: in a process alliancesim owns,
    whose allocator it tunes for chunks first (_malloc.tune_allocator)."""
    from alliancesim._malloc import tune_allocator

    tune_allocator()
    return task()


class Backend:
    """Where chunks run. Subclasses implement map (outputs in task order) and close.

    Use as a context manager (``with make_backend("process") as b: ...``): it is closed on
    exit, workers and all.
    """

    name: str = "?"
    workers: int = 1

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        """Run the tasks; yield their outputs in task order. (Any picklable zero-argument
        callable is run the same way: the sensitivity analysis maps chunks of its design.)"""
        raise NotImplementedError

    def close(self) -> None:
        """Release workers (idempotent)."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
