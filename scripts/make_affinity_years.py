"""Write src/alliancesim/data/affinity_years.yaml: year-specific affinities from UN ideal points.

A maintainer's script (not part of the package). It needs a data store with the UN ideal
points imported (`alliancesim data import ideal-points IdealpointsJuly2025.dta`):

    python scripts/make_affinity_years.py [DATA_STORE]

Which figures (docs/data.md, "Year-specific affinities"):
- each bundled case: every member's affinity with the victim and with the aggressor (when the
  aggressor is a state), for the year BEFORE the case (what was known before the decision);
- each bundled scenario (autumn 2021): every member's affinity with each crisis's victim
  and aggressor, for 2020.
Each figure is computed by datasets.affinity.ideal_point_affinities (1 - 2 d / d95 of the year)
and carries its reason and the tag [ideal-points RELEASE]. Individual figures, cited to the
dataset and release, as the dataset README allows; the table itself is not bundled.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from alliancesim.cases import load_cases
from alliancesim.cases.case import to_scenario
from alliancesim.data import bundled
from alliancesim.datasets.affinity import ideal_point_affinities
from alliancesim.datasets.codes import ccode_of
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.loading import load_scenario

SCENARIO_YEAR = 2020  # the bundled scenarios are set in autumn 2021: the year before


def main(store: DataStore) -> None:
    (ip,) = [i for i in store.imported() if i.kind == "ideal-points"]
    wanted: dict[int, set[tuple[str, str]]] = {}
    for case in load_cases():
        year = int(case.year) - 1
        sc = to_scenario(case)
        alliance = sc.alliance
        assert not isinstance(alliance, str)
        c = case.crisis
        for m in alliance.members:
            for other in (c.victim, c.aggressor):
                if m != other:
                    wanted.setdefault(year, set()).add(tuple(sorted((m, other))))  # type: ignore[arg-type]
    for name in bundled.scenario_names():
        sc = load_scenario(name)
        alliance = sc.alliance
        assert not isinstance(alliance, str)
        for c in sc.crises:
            for m in alliance.members:
                for other in (c.victim, c.aggressor):
                    if m != other:
                        wanted.setdefault(SCENARIO_YEAR, set()).add(tuple(sorted((m, other))))  # type: ignore[arg-type]
    out: dict[int, list[dict[str, object]]] = {}
    for year in sorted(wanted):
        pairs = sorted(wanted[year])
        codes = [(ccode_of(a, year), ccode_of(b, year)) for a, b in pairs]
        known = [(ca, cb) for ca, cb in codes if ca is not None and cb is not None]
        found = ideal_point_affinities(store, known, year, ip.release)  # type: ignore[arg-type]
        rows = []
        for (a, b), (ca, cb) in zip(pairs, codes, strict=True):
            hit = found.get((ca, cb)) if ca is not None and cb is not None else None  # type: ignore[arg-type]
            if hit is not None:
                rows.append({"a": a, "b": b, "value": hit.value, "reason": hit.reason})
        out[year] = rows
    header = (
        "# Year-specific affinities from UN General Assembly ideal points (Bailey, Strezhnev &\n"
        f"# Voeten, {ip.release} release, idealpointall; Harvard Dataverse hdl:1902.1/12379).\n"
        "# affinity = max(-1, 1 - 2 d / d95): d the distance between the two ideal points that\n"
        "# year, d95 the 95th percentile of the year's distances between all pairs of states\n"
        "# (docs/data.md). Written by scripts/make_affinity_years.py: for each bundled case the\n"
        "# members' affinity with the victim and the aggressor in the year before the case; for\n"
        f"# the bundled 2021 scenarios the same pairs for each crisis, in {SCENARIO_YEAR}.\n"
        "# Pairs missing here (non-state actors, states without ideal points) keep the\n"
        "# judgements of affinity.yaml; JUDGEMENT overrides in cases and scenarios win.\n")
    body = yaml.safe_dump({"release": ip.release, "years": out}, sort_keys=False,
                          allow_unicode=True, width=200)
    bundled.AFFINITY_YEARS.write_text(header + body)
    print(f"{sum(len(v) for v in out.values())} figures for years {sorted(out)} -> "
          f"{bundled.AFFINITY_YEARS}")


if __name__ == "__main__":
    main(DataStore(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
