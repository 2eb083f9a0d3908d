"""Write src/alliancesim/data/geography.yaml: the bundled states' capitals and nearby pairs.

A maintainer's script (not part of the package). It reads a data store with the geography
kinds imported (`alliancesim data import cow-capitals|cow-contiguity|cow-mindist FILE`, from
peacesciencer's re-saves in the team's ../shared/datasets/peacesciencer_derived/):

    python scripts/make_geography.py [DATA_STORE]

- capitals (cow_capitals: COW capitals with coordinates) of every state in actors.yaml and
  actors_datasets.yaml, the capital in force in YEAR;
- every pair of those states that is directly contiguous (COW Direct Contiguity 3.2, the
  conttype in force at the end of its last year, 2016) or whose minimum distance is below the
  exposure rule's reach (CShapes 2.0 minimum distance via cow_mindist, DISTANCE_YEAR).

Individual figures, each cited, as the datasets' README allows; not the tables. Pairs not
listed are neither contiguous nor within the reach (the model then uses the capitals).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from alliancesim.data import bundled
from alliancesim.datasets.codes import ccode_of
from alliancesim.datasets.geography import CAPITAL_ERRATA
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.geography import NEAR_KM

YEAR = 2021
CONTIGUITY_YEAR = 2016  # COW Direct Contiguity 3.2 ends in 2016
DISTANCE_YEAR = 2019  # peacesciencer's cow_mindist (CShapes 2.0) ends in 2019
HEAD = """\
# The bundled states' geography, written by scripts/make_geography.py (do not edit by hand).
# capitals: COW capitals with coordinates as peacesciencer keeps them (cow_capitals; peacesciencer
#   fe150a2, Miller 2022), the capital in force in {year}.
# pairs: COW Direct Contiguity v3.2 (Stinnett et al. 2002), conttype in force in {cy} (1 land or
#   river border; 2-5 at most 12, 24, 150, 400 miles of water; 0 none), and the minimum distance
#   between the two states in {dy} (CShapes 2.0, Schvitz et al. 2022, via peacesciencer's
#   cow_mindist), km. Listed: every contiguous pair and every pair closer than {near:g} km.
# Individual figures cited to their datasets (../shared/datasets/README.md); used by the model's
# geography (docs/model.md "Geography", docs/coding.md "Exposure").
"""


def main(store: DataStore) -> None:
    ids: list[str] = []
    for path in (bundled.ACTORS, bundled.ACTORS_DATASETS):
        for aid, a in yaml.safe_load(path.read_text())["actors"].items():
            if a.get("kind", "state") == "state" and aid not in ids:
                ids.append(aid)
    code = {aid: ccode_of(aid, YEAR) for aid in ids}
    code = {k: v for k, v in code.items() if v is not None}
    back = {v: k for k, v in code.items()}
    marks = ",".join(str(c) for c in code.values())
    for kind in ("cow-capitals", "cow-contiguity", "cow-mindist"):
        store.require(kind, purpose="the bundled geography")
    caps = store.query(
        f"SELECT ccode, capital, lat, lng FROM cow_capitals WHERE ccode IN ({marks}) AND "
        f"year(stdate) <= {YEAR} AND year(enddate) >= {YEAR} ORDER BY ccode")
    capitals = {back[c]: {"name": n, "lat": round(lat, 4), "lon": round(lng, 4)}
                for c, n, lat, lng in caps}
    cont = {(a, b): t for a, b, t in store.query(
        f"SELECT ccode1, ccode2, conttype FROM cow_contiguity WHERE ccode1 IN ({marks}) AND "
        f"ccode2 IN ({marks}) AND ccode1 < ccode2 AND begin <= {CONTIGUITY_YEAR * 100 + 12} "
        f'AND "end" >= {CONTIGUITY_YEAR * 100 + 12}')}
    dist = {(a, b): d for a, b, d in store.query(
        f"SELECT ccode1, ccode2, mindist FROM cow_mindist WHERE ccode1 IN ({marks}) AND "
        f"ccode2 IN ({marks}) AND ccode1 < ccode2 AND year = {DISTANCE_YEAR}")}
    pairs = []
    for (a, b) in sorted(set(cont) | {k for k, d in dist.items() if d < NEAR_KM},
                         key=lambda k: (back[k[0]], back[k[1]])):
        d = dist.get((a, b))
        pairs.append({"a": back[a], "b": back[b], "contiguity": int(cont.get((a, b), 0)),
                      "distance_km": None if d is None else round(float(d), 1)})
    for (ccode, name), (lat, lon, why) in CAPITAL_ERRATA.items():
        aid = back.get(ccode)
        if aid in capitals and capitals[aid]["name"] == name:
            capitals[aid].update(lat=lat, lon=lon, corrected=why)
    missing = sorted(set(code) - set(capitals))
    body = {"year": YEAR, "capitals": capitals, "pairs": pairs}
    text = HEAD.format(year=YEAR, cy=CONTIGUITY_YEAR, dy=DISTANCE_YEAR, near=NEAR_KM)
    if missing:
        text += f"# no capital in the file for: {', '.join(missing)}\n"
    text += yaml.safe_dump(body, sort_keys=False, allow_unicode=True, width=100,
                           default_flow_style=None)
    (bundled.DATA / "geography.yaml").write_text(text)
    print(f"{len(capitals)} capitals, {len(pairs)} pairs -> {bundled.DATA / 'geography.yaml'}")


if __name__ == "__main__":
    main(DataStore(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
