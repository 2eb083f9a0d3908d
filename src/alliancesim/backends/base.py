"""The backend interface and its factory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from alliancesim.engine import ChunkOutput, run_chunk
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.errors import UsageError

BACKENDS = ("local", "process", "ray")


@dataclass(frozen=True)
class Task:
    """One chunk of one crisis."""

    model: CompiledCrisis
    seed: int
    first_block: int
    stop_block: int
    trials: int
    keep_trials: bool

    def __call__(self) -> ChunkOutput:
        return run_chunk(self.model, self.seed, self.first_block, self.stop_block, self.trials,
                         self.keep_trials)


def run_task(task: Task) -> ChunkOutput:
    return task()


class Backend(Protocol):
    name: str
    workers: int

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        """Run the tasks; yield their outputs in task order."""
        ...

    def close(self) -> None: ...


def check_backend(name: str, workers: int | None = None, address: str | None = None) -> None:
    """Raise UsageError for a backend choice that cannot work (before any work is done)."""
    if name not in BACKENDS:
        raise UsageError(f"--backend {name}: unknown backend (valid: {', '.join(BACKENDS)})")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {workers})")
    if address is not None and name != "ray":
        raise UsageError("--address applies only to --backend ray")


def make_backend(name: str = "local", workers: int | None = None,
                 address: str | None = None) -> Backend:
    """A backend by name: local (in-process), process (a pool of `workers` processes; default
    all cores), ray (a Ray cluster at `address`, or a local Ray instance)."""
    check_backend(name, workers, address)
    if name == "local":
        from alliancesim.backends.local import LocalBackend

        return LocalBackend()
    if name == "process":
        from alliancesim.backends.process import ProcessBackend

        return ProcessBackend(workers)
    if name == "ray":
        from alliancesim.backends.ray_backend import RayBackend

        return RayBackend(address, workers)
    raise AssertionError(name)  # check_backend accepted it
