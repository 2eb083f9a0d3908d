"""Where chunks of trials run: in-process, a local process pool, or a Ray cluster.

Every backend maps the same pure task (alliancesim.engine.run_chunk) over the same chunks and
returns the outputs in chunk order, so results are identical on every backend and worker count.
A new backend is one module with a Backend subclass, named in make_backend.
"""

from __future__ import annotations

import importlib.util

from alliancesim.backends.base import Backend, Task, run_task
from alliancesim.scenario.errors import UsageError

BACKENDS = ("local", "process", "ray")
# Processes (or Ray tasks in flight) one run may ask for: each holds a copy of the compiled
# crises and a chunk's arrays (32 took 6.4 GiB on 2 cores); more than the largest machines'
# cores only costs memory.
MAX_WORKERS = 256
RAY_HINT = ("Ray is an optional extra: pip install 'alliancesim[ray]' (from a checkout: "
            "make install-all)")


def check_backend(name: str, workers: int | None = None, address: str | None = None) -> None:
    """Raise UsageError for a backend choice that cannot work (before any work is done)."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend (valid: {', '.join(BACKENDS)})", param="backend",
                         value=name)
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise UsageError(f"must be in 1..{MAX_WORKERS}", param="workers", value=workers)
    if address is not None and name != "ray":
        raise UsageError("applies only to the ray backend", param="address", value=address)
    if name == "ray" and importlib.util.find_spec("ray") is None:
        raise UsageError(f"Ray is not installed. {RAY_HINT}", param="backend", value=name)


def make_backend(name: str = "local", workers: int | None = None,
                 address: str | None = None) -> Backend:
    """A backend by name: local (in-process), process (a pool of `workers` processes; default
    all cores), ray (a Ray cluster at `address`, or a local Ray instance)."""
    check_backend(name, workers, address)
    if name == "process":
        from alliancesim.backends.process import ProcessBackend

        return ProcessBackend(workers)
    if name == "ray":
        from alliancesim.backends.ray_backend import RayBackend

        return RayBackend(address, workers)
    from alliancesim.backends.local import LocalBackend

    return LocalBackend()


__all__ = ["BACKENDS", "Backend", "Task", "check_backend", "make_backend", "run_task"]
