"""Write the cases beyond the CSTO and NATO (issue 20) from the coded table and the datasets.

A maintainer's script (not part of the package). It needs a data store with NMC, ATOP (members,
alliances, dyads), COW majors and system, the ideal points and the geography kinds imported
(docs/data.md), and reads research/issue20/cases.yaml: one entry per case with what the written
rules of docs/coding.md gave — the crisis (victim, aggressor, day, threat, territory), the request
(Q), the aggressor's strength (F1, when a source before the decision gives it), the settled
observed rung (O, double coded: research/issue20/codes_A.yaml, codes_B.yaml, settled.yaml) —
with the sources of the fact sheets. Everything else comes from the datasets by the rules of
`alliancesim data build` for the crisis day: the alliance and its members, actors, capitals,
contiguity and distances, the leader and its stake, the treaty's scope; the affinities are the
UN ideal points of the year before the case (rule A1), kept as `affinity_data` (never relabelled).

    python scripts/make_beyond_cases.py [DATA_STORE [TABLE [OUT_FOLDER]]]

writes src/alliancesim/data/cases_beyond/<id>.yaml and prints the SHA-256 of each file.
"""

from __future__ import annotations

import datetime
import hashlib
import sys
from pathlib import Path
from typing import Any

import yaml

from alliancesim.data import bundled
from alliancesim.datasets.affinity import ideal_point_affinities
from alliancesim.datasets.build import build_scenario
from alliancesim.datasets.codes import ccode_of
from alliancesim.datasets.store import DataStore

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "research" / "issue20" / "cases.yaml"
OUT = bundled.DATA / "cases_beyond"
DECISION = {"military": "collective_military", "mission": "fact_finding",
            "consultations": "consultation_only", "statement": "declined", "none": "declined"}


def _affinity_data(store: DataStore, built: dict[str, Any], victim: str, aggressor: str,
                   year: int) -> list[dict[str, Any]]:
    """Rule A1: every member's ideal-point affinity with the victim and with a state aggressor
    in the year before the case (pairs without points in that year are left to the default)."""
    release = next(i.release for i in store.imported() if i.kind == "ideal-points")
    members = built["alliance"]["members"]
    code = {m: ccode_of(m, year) for m in {*members, aggressor}}
    pairs = [(code[m], code[o]) for m in members for o in (victim, aggressor)
             if m != o and code.get(m) is not None and code.get(o) is not None]
    found = ideal_point_affinities(store, pairs, year - 1, release)
    back = {c: a for a, c in code.items() if c is not None}
    return [{"a": back[p.a], "b": back[p.b], "value": p.value, "reason": p.reason}
            for p in found.values()]


def make_case(store: DataStore, entry: dict[str, Any]) -> dict[str, Any]:
    day = datetime.date.fromisoformat(str(entry["date"]))
    built = build_scenario(store, entry["alliance"], day.year, victim=entry["victim"],
                           aggressor=entry["aggressor"], threat=entry["threat"], date=day).scenario
    crisis = dict(built["crises"][0])
    crisis.update(id=entry["id"].replace("_", "-"), request=entry["request"],
                  territory=entry.get("territory", "undisputed"))
    for k in ("title", "description"):
        crisis.pop(k, None)
    if "aggressor_strength" in entry:
        crisis["aggressor_strength"] = entry["aggressor_strength"]
    alliance = dict(built["alliance"])
    alliance["as_of"] = str(day)
    case: dict[str, Any] = {
        "id": entry["id"], "title": entry["title"], "date": str(day),
        "alliance": alliance,
        "membership_source": alliance["source"].split(";")[0],
        "actors": built["actors"],
        "geography": built.get("geography", []),
        "requester": entry["requester"], "adversary": entry["adversary"],
        "article_invoked": entry.get("article_invoked", ""),
        "crisis": crisis,
        "affinity_data": _affinity_data(store, built, entry["victim"], entry["aggressor"],
                                        day.year),
        "coding": {
            "threat": entry["coding"]["threat"],
            "territory": entry["coding"]["territory"],
            "request": entry["coding"]["request"],
            "aggressor_strength": entry["coding"].get(
                "aggressor_strength", "rule F2/F3 (docs/coding.md): from the datasets"),
            "exposure": "rule E0-E4 (docs/coding.md) over the case's geography",
            "rung": entry["coding"]["rung"],
            "features": "alliance, members, actors, geography, scope, leader and its stake "
                        "by the rules of `alliancesim data build` for the crisis day "
                        "(docs/data.md); affinities rule A1 (the year before)",
        },
        "observed": {"decision": entry.get("decision", "no_request" if entry["request"] == "none"
                                           else DECISION[entry["rung"]]),
                     "rung": entry["rung"],
                     **({"outside_military_action": entry["outside_military_action"],
                         "outside_action_notes": entry["outside_action_notes"]}
                        if entry.get("outside_military_action") is not None else {}),
                     "notes": entry.get("notes", "")},
        "sources": entry["sources"],
    }
    return case


def main(store: DataStore, table: Path = TABLE, out: Path = OUT) -> None:
    entries = yaml.safe_load(table.read_text())["cases"]
    out.mkdir(exist_ok=True)
    for entry in entries:
        case = make_case(store, entry)
        head = (f"# {entry['title']}\n# Written by scripts/make_beyond_cases.py from "
                f"research/issue20/cases.yaml (fact sheet research/issue20/{entry['sheet']}.md)"
                "\n# and the datasets; do not edit by hand: edit the table and re-run.\n")
        path = out / f"{entry['id']}.yaml"
        path.write_text(head + yaml.safe_dump(case, sort_keys=False, allow_unicode=True,
                                              width=100))
        print(hashlib.sha256(path.read_bytes()).hexdigest(), path.name)


if __name__ == "__main__":
    args = sys.argv[1:]
    main(DataStore(Path(args[0]) if args else None), *(Path(a) for a in args[1:3]))
