"""Dotted paths into scenario data: parameters.council.coefficients.leader_stake,
crises.armenia-attack.aggressor_strength (a crisis by its id), parameters.council.cutpoints.2
(a list by index). Used by sweeps, variants and Scenario.with_changes; imports nothing of the
project, so that the schema may use it.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["set_path"]


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of scenario data with the value at a dotted path set, e.g.
    parameters.council.coefficients.leader_stake, crises.armenia-attack.aggressor_strength
    (a crisis by its id), parameters.council.cutpoints.2 (a list by index). Missing mappings
    are created; a missing crisis or index is an error."""
    out = copy.deepcopy(data)
    keys = path.split(".")
    cur: Any = out
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        where = ".".join(keys[: i + 1])
        if isinstance(cur, list):
            if key.isdigit() and int(key) < len(cur):
                idx = int(key)
            else:
                ids = [c.get("id") for c in cur if isinstance(c, dict)]
                if key not in ids:
                    raise ValueError(f"{where}: no item '{key}' (ids: {', '.join(map(str, ids))}"
                                     f"; or an index below {len(cur)})")
                idx = ids.index(key)
            if last:
                cur[idx] = value
            else:
                cur = cur[idx]
        elif isinstance(cur, dict):
            if last:
                cur[key] = value
            else:
                if not isinstance(cur.get(key), dict | list):
                    cur[key] = {}
                cur = cur[key]
        else:
            raise ValueError(f"{where}: cannot go inside a value ({cur!r})")
    return out
