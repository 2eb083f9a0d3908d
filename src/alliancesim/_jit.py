"""numba's `njit` for the package's kernels, with a cache that notices a change in any of them.

numba's on-disk cache (`cache=True`) keys a compiled function on its own source file: when a
kernel in `model/` changes, `engine._pass`, which calls it and is compiled with it, is loaded
from the cache as it was, with the old kernel inside, until engine.py itself changes. Every
alliancesim kernel here is cached under one stamp instead: the SHA-256 of the source of every
module that holds compiled code (`KERNEL_SOURCES`), so a change to any of them recompiles all
of them once. Where the cache goes is numba's rule, unchanged: NUMBA_CACHE_DIR if set, else
__pycache__ beside the module, else the user's cache folder. Functions of other packages keep
numba's own locators.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from numba import njit
from numba.core import caching

_ROOT = Path(__file__).resolve().parent
# the modules with compiled functions, and the folders of such modules (relative to the package)
KERNEL_SOURCES = ("engine.py", "results/tally.py", "model")


def kernel_files(root: Path = _ROOT) -> list[Path]:
    """Every source file whose compiled code may end up inside another's, sorted."""
    out: list[Path] = []
    for name in KERNEL_SOURCES:
        p = root / name
        out.extend(sorted(p.rglob("*.py")) if p.is_dir() else [p])
    return out


def kernels_stamp(root: Path = _ROOT) -> str:
    """The SHA-256 of the kernel sources (their paths and contents)."""
    h = hashlib.sha256()
    for f in kernel_files(root):
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


STAMP = kernels_stamp()


class _Stamped:
    """A numba cache locator for alliancesim's functions whose source stamp is STAMP."""

    def get_source_stamp(self) -> str:
        return STAMP

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if not str(getattr(py_func, "__module__", "")).startswith("alliancesim."):
            return None
        return super().from_function(py_func, py_file)  # type: ignore[misc]


class UserProvidedLocator(_Stamped, caching.UserProvidedCacheLocator):
    pass


class InTreeLocator(_Stamped, caching.InTreeCacheLocator):
    pass


class UserWideLocator(_Stamped, caching.UserWideCacheLocator):
    pass


_OURS = [UserProvidedLocator, InTreeLocator, UserWideLocator]
if not any(c in caching.CacheImpl._locator_classes for c in _OURS):
    caching.CacheImpl._locator_classes[:0] = _OURS

__all__ = ["STAMP", "kernels_stamp", "njit"]
