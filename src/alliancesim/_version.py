"""The package version, from the installed metadata (pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alliancesim")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0+unknown"
