"""BibTeX for the datasets a scenario (or the store) used.

Every value built from a dataset carries a tag `[KIND RELEASE]` in its source (datasets.build,
data/affinity_years.yaml), e.g. `[nmc 7.0]` or `[ideal-points July 2025]`; `alliancesim data
cite SCENARIO` collects the tags of the resolved scenario and prints each dataset's BibTeX with
its release, then alliancesim's own entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from alliancesim._version import __version__
from alliancesim.datasets.kinds import KINDS
from alliancesim.datasets.store import Imported
from alliancesim.scenario.schema import Scenario

TAG = re.compile(r"\[(" + "|".join(re.escape(k) for k in KINDS) + r")\s+([^\]]+)\]")

SELF = ("@software{alliancesim,\n  title = {alliancesim: simulating collective-security "
        "alliances in crises},\n  version = {" + __version__ + "},\n  note = {see CITATION.cff}"
        "\n}")


def _entry(kind: str, release: str) -> str:
    k = KINDS[kind]
    key_suffix = re.sub(r"[^A-Za-z0-9]+", "", release)
    text = k.bibtex.replace("{release}", release)
    return re.sub(r"^(@\w+\{[^,]+)", lambda m: f"{m.group(1)}_{key_suffix}", text, count=1,
                  flags=re.M)


def _bibtex(used: Iterable[tuple[str, str]], also: Iterable[str] = ()) -> str:
    """The entries of the datasets used; an entry that several kinds share (the second and
    later entries of a kind's BibTeX, e.g. peacesciencer's) is given once."""
    entries = []
    seen: set[str] = set()
    for kind, release in sorted(set(used)):
        first, *rest = re.split(r"\n(?=@)", _entry(kind, release))
        if first in seen:
            continue
        seen.add(first)
        shared = [e for e in rest if e not in seen]
        seen.update(shared)
        bib = "\n".join([first, *shared])
        entries.append(f"% {KINDS[kind].title}, release {release}\n{bib}")
    for bib in also:
        if bib not in seen:
            seen.add(bib)
            entries.append(f"% the package that re-saved a dataset above\n{bib}")
    entries.append(SELF)
    return "\n\n".join(entries) + "\n"


def used_datasets(text: str) -> list[tuple[str, str]]:
    """The (kind, release) tags in a text (line breaks inside a tag allowed)."""
    return sorted({(m.group(1), " ".join(m.group(2).split())) for m in TAG.finditer(text)})


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def bibtex_for_used(used: Iterable[tuple[str, str]]) -> str:
    """The entries of these (kind, release) datasets, then alliancesim's own (as `data cite`);
    the HTML reports cite with it."""
    return _bibtex(used)


def bibtex_for_scenario(scenario: Scenario) -> str:
    return _bibtex(used_datasets("\n".join(_strings(scenario.model_dump(mode="json")))))


def bibtex_for_store(imported: list[Imported]) -> str:
    """The entries of every imported dataset, and of the package that re-saved a file when its
    layout says so (Layout.also_cite)."""
    also = [lay.also_cite[1] for i in imported if i.kind in KINDS
            for lay in KINDS[i.kind].layouts if lay.name == i.layout and lay.also_cite]
    return _bibtex(((i.kind, i.release) for i in imported), also)
