"""Write src/alliancesim/data/actors_datasets.yaml: states beyond the hand-entered actors.

A maintainer's script (not part of the package); it needs a data store with NMC 7.0 imported:

    python scripts/make_dataset_actors.py [DATA_STORE]

Which states: the 40 largest militaries of 2021 by NMC personnel, and Georgia, Moldova,
Mongolia, Finland and Sweden (neighbours of the bundled alliances), minus the states
`actors.yaml` already has (its hand-entered figures win). Each entry is built by the same rule
as `alliancesim data build` (datasets.build.actor_from_datasets): troops from NMC milper,
military expenditure from NMC milex, population from NMC tpop, all for 2021, each cited with
its release; quality 1.0 and readiness 2 days are stated defaults. Individual figures, cited,
as the datasets' README allows; not the table.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from alliancesim.data import bundled
from alliancesim.datasets.build import actor_from_datasets
from alliancesim.datasets.codes import actor_id, ccode_of
from alliancesim.datasets.store import DataStore

YEAR = 2021
EXTRA = ["GEO", "MDA", "MNG", "FIN", "SWE"]


def main(store: DataStore) -> None:
    have = set(yaml.safe_load(bundled.ACTORS.read_text())["actors"])
    largest = [int(r[0]) for r in store.query(
        "SELECT ccode FROM nmc WHERE year = ? AND milper IS NOT NULL ORDER BY milper DESC "
        "LIMIT 40", [YEAR])]
    codes = largest + [c for c in (ccode_of(a, YEAR) for a in EXTRA) if c is not None]
    out = {}
    for c in codes:
        aid = actor_id(c, YEAR)
        if aid in have or aid in out:
            continue
        entry, _ = actor_from_datasets(store, c, YEAR)
        out[aid] = entry
    (nmc,) = [i for i in store.imported() if i.kind == "nmc"]
    header = ("# States beyond the hand-entered actors.yaml, built from COW National Material\n"
              f"# Capabilities v{nmc.release} for {YEAR} by scripts/make_dataset_actors.py (the "
              "rules of\n# `alliancesim data build`, docs/data.md). actors.yaml wins where both "
              "have a state.\n"
              "# quality and readiness_days are stated defaults (no dataset codes them).\n")
    body = yaml.safe_dump({"actors": dict(sorted(out.items()))}, sort_keys=False,
                          allow_unicode=True, width=100)
    (bundled.DATA / "actors_datasets.yaml").write_text(header + body)
    print(f"{len(out)} actors -> actors_datasets.yaml: {', '.join(sorted(out))}")


if __name__ == "__main__":
    main(DataStore(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
