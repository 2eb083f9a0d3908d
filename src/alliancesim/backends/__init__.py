"""Where chunks of trials run: in-process, a local process pool, or a Ray cluster.

Every backend maps the same pure task (alliancesim.engine.run_chunk) over the same chunks and
returns the outputs in chunk order, so results are identical on every backend and worker count.
"""

from __future__ import annotations

from alliancesim.backends.base import Backend, Task, check_backend, make_backend

__all__ = ["Backend", "Task", "check_backend", "make_backend"]
