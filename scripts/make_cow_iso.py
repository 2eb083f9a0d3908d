"""Write src/alliancesim/data/cow_iso.csv: the COW state code <-> ISO 3166 alpha-3 mapping.

A maintainer's script, run once when the mapping changes (it is not part of the package and
needs the published files, here ../shared/datasets/):

    python scripts/make_cow_iso.py ../shared/datasets

Rules (docs/data.md, "Country codes"):

1. Every state in COW's state system (states2016.csv) gets one row per period of its ISO code,
   from the start of its first COW spell to the end of its last (empty end: still a state).
2. The ISO code is the one the UN ideal-point file (Bailey, Strezhnev & Voeten, July 2025)
   pairs with that COW code, where it pairs one.
3. Where a COW code spans a change of state that ISO 3166 records as separate codes, the
   period is split at the date of the change (CHANGES below, each with its reason);
   historical ISO 3166-3 codes (SUN, DDR, CSK, YUG, SCG, YMD, VDR) are used for the old state.
4. A state that never had an ISO code (the German and Italian states before unification,
   Austria-Hungary, Zanzibar, the Korean Empire...) gets the id COW_<COW abbreviation>.
The mapping holds code numbers and names only (public identifiers, not a dataset's table).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import duckdb

# (ccode, [(iso3, start, end-or-None, note)]): splits of one COW code across ISO codes.
CHANGES: dict[int, list[tuple[str, str, str | None, str]]] = {
    365: [("RUS", "1816-01-01", "1922-12-30", "Russian Empire / Soviet Russia"),
          ("SUN", "1922-12-30", "1991-12-25", "USSR (ISO 3166-3 SUN); COW 365 throughout"),
          ("RUS", "1991-12-25", None, "Russian Federation, continuing state of the USSR")],
    345: [("SRB", "1878-07-13", "1918-12-01", "Kingdom of Serbia"),
          ("YUG", "1918-12-01", "2003-02-04", "Yugoslavia (ISO 3166-3 YUG)"),
          ("SCG", "2003-02-04", "2006-06-05", "Serbia and Montenegro (ISO 3166-3 SCG)"),
          ("SRB", "2006-06-05", None, "Serbia, continuing state of Serbia and Montenegro")],
    816: [("VDR", "1954-07-21", "1976-07-02", "Democratic Republic of Viet-Nam (ISO 3166-3 VDR)"),
          ("VNM", "1976-07-02", None, "Socialist Republic of Viet Nam")],
}
# COW codes whose single ISO code the ideal-point file lacks or mislabels.
FIXED: dict[int, tuple[str, str]] = {
    255: ("DEU", "Prussia to 1871, then Germany; COW 255 again from 1990"),
    260: ("DEU", "German Federal Republic (ISO DEU)"),
    265: ("DDR", "German Democratic Republic (ISO 3166-3 DDR)"),
    315: ("CSK", "Czechoslovakia (ISO 3166-3 CSK)"),
    347: ("XKX", "Kosovo (user-assigned XKX, as the EU and IMF use; not in ISO 3166)"),
    678: ("YEM", "Yemen Arab Republic (North Yemen; ISO YEM), to 1990"),
    679: ("YEM", "Republic of Yemen, from 1990"),
    680: ("YMD", "People's Democratic Republic of Yemen (ISO 3166-3 YMD)"),
    817: ("VNM", "Republic of Vietnam (South; ISO VNM at the time)"),
    730: ("COW_KOR", "Korean Empire, 1887-1905 (no ISO code; KOR is COW 732)"),
}


def main(datasets: Path, out: Path) -> None:
    con = duckdb.connect()
    states = con.sql(
        f"select ccode, any_value(stateabb), any_value(statenme), "
        f"min(make_date(styear, stmonth, stday)), max(make_date(endyear, endmonth, endday)) "
        f"from read_csv('{datasets / 'cow_states/states2016.csv'}') group by ccode order by ccode"
    ).fetchall()
    iso = dict(con.sql(
        f"select ccode, any_value(iso3c) from "
        f"read_csv('{datasets / 'unga_idealpoints/IdealpointsJuly2025.csv'}') "
        f"where iso3c is not null group by ccode").fetchall())
    rows = []
    for ccode, abb, name, start, end in states:
        end_s = None if end.year >= 2016 else end.isoformat()
        if ccode in CHANGES:
            for code, s, e, note in CHANGES[ccode]:
                rows.append([ccode, abb, code, name, s, e or "", note])
            continue
        if ccode in FIXED:
            code, note = FIXED[ccode]
        elif ccode in iso:
            code, note = iso[ccode], ""
        else:
            code, note = f"COW_{abb}", "no ISO 3166 code: id COW_<COW abbreviation>"
        rows.append([ccode, abb, code, name, start.isoformat(), end_s or "", note])
    with out.open("w", newline="") as fh:
        fh.write("# COW state codes and ISO 3166 alpha-3 codes, with the dates of each pairing.\n"
                 "# Built by scripts/make_cow_iso.py (rules: its docstring, docs/data.md) from\n"
                 "# COW State System Membership v2016 (codes, names, dates) and the ccode/iso3c\n"
                 "# pairs of the UN ideal points (Bailey, Strezhnev & Voeten, July 2025 release).\n"
                 "# An empty end means the state still exists (COW v2016 ends in 2016).\n")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["ccode", "cow_abb", "actor_id", "name", "start", "end", "note"])
        w.writerows(rows)
    print(f"{len(rows)} rows -> {out}")


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/datasets")
    main(root, Path(__file__).resolve().parents[1] / "src/alliancesim/data/cow_iso.csv")
