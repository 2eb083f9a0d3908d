"""Where the user's own files live, beside the bundled data (data/bundled.py): the stores."""

from __future__ import annotations

import os
from pathlib import Path


def user_data_file(env: str, name: str) -> Path:
    """``$env`` if set, else ``$XDG_DATA_HOME/alliancesim/name``
    (``~/.local/share/alliancesim/name``)."""
    given = os.environ.get(env)
    if given:
        return Path(given)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "alliancesim" / name
