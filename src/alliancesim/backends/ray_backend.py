"""Ray: the same chunks as tasks on a Ray cluster (or a local Ray instance for tests)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from alliancesim.backends.base import Backend, Task, run_task
from alliancesim.engine import ChunkOutput
from alliancesim.scenario.errors import UsageError


class RayBackend(Backend):
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        import ray

        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            if address is None:
                kwargs["num_cpus"] = workers or os.cpu_count() or 1
            try:
                ray.init(address=address, **kwargs)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                raise UsageError(f"cannot connect to Ray ({exc})", param="address",
                                 value=address) from None
            self._started = True
        self.workers = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        self._remote = ray.remote(num_cpus=1)(run_task)

    def map(self, tasks: list[Task]) -> Iterator[ChunkOutput]:
        refs = [self._remote.remote(t) for t in tasks]
        for ref in refs:  # in task order
            yield self._ray.get(ref)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
