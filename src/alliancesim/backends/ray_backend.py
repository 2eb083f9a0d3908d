"""Ray: the same chunks as tasks on a Ray cluster (or a local Ray instance for tests)."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from alliancesim.backends.base import Backend, Task, run_task
from alliancesim.engine import ChunkOutput
from alliancesim.scenario.errors import UsageError

CONNECT_TIMEOUT = 5.0  # seconds to wait for a Ray head node to answer


def _check_reachable(address: str) -> None:
    """Fail within CONNECT_TIMEOUT when nothing answers at HOST:PORT (ray.init would wait for
    minutes). 'auto', 'local' and addresses without a port are left to Ray."""
    target = address.removeprefix("ray://")
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or not host:
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise UsageError(f"no Ray cluster answers there ({reason} after at most "
                         f"{CONNECT_TIMEOUT:g} s); start one with `ray start --head` or leave "
                         "the address out to run Ray locally", param="address",
                         value=address) from None


class RayBackend(Backend):
    name = "ray"

    def __init__(self, address: str | None = None, workers: int | None = None) -> None:
        import ray

        self._ray = ray
        self._started = False
        if address is not None:
            _check_reachable(address)
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
        try:
            for ref in refs:  # in task order
                yield self._ray.get(ref)
        except BaseException:  # interrupted, or a task failed: cancel the rest
            for ref in refs:
                with contextlib.suppress(Exception):
                    self._ray.cancel(ref)
            raise

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
