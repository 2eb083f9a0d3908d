"""Where the states of a built scenario are: capitals, contiguity and distances.

- capital: COW capitals with coordinates (`cow_capitals`), the capital in force on the crisis
  day (`stdate <= day <= enddate`; after the file's last day, the last capital).
- geography pairs: every member with the victim and every member with the (state) aggressor,
  each with the COW direct contiguity type in force on the crisis day (1 land .. 5 up to 400
  miles of water; 0 not contiguous; the last coded month after the dataset ends) and the
  minimum distance in km (CShapes 2.0 via peacesciencer, `cow_mindist`) of min(year, the last
  year); null before 1946, where CShapes has no distances.
Non-state actors get neither: they are inside the victim.
"""

from __future__ import annotations

import datetime
from typing import Any

from alliancesim.datasets.codes import actor_id
from alliancesim.datasets.context import BuildContext
from alliancesim.datasets.leaders import contiguity

MINDIST_FIRST_YEAR = 1946
# Capitals that peacesciencer's cow_capitals geocodes at the country's centre (checked against
# GeoNames, geonames.org): (COW code, capital) -> (lat, lon, what was corrected). Used by the
# build and by scripts/make_geography.py.
CAPITAL_ERRATA: dict[tuple[int, str], tuple[float, float, str]] = {
    (140, "Brasilia"): (-15.7797, -47.9297, "GeoNames 3469058 (the file has Brazil's centre)"),
    (670, "Riyadh"): (24.6877, 46.7219, "GeoNames 108410 (the file has Saudi Arabia's centre)"),
}


def capital(ctx: BuildContext, ccode: int, day: datetime.date) -> dict[str, Any] | None:
    """The state's capital on `day` with its source, or None (not imported, or not listed)."""
    if not ctx.has("cow-capitals"):
        return None
    rel = ctx.use("cow-capitals")
    rows = ctx.query(
        "SELECT capital, lat, lng, stdate, enddate FROM cow_capitals WHERE ccode = ? ORDER BY "
        "(stdate <= ? AND (enddate IS NULL OR enddate >= ?)) DESC, enddate DESC NULLS FIRST "
        "LIMIT 1", [ccode, day, day])
    if not rows or rows[0][1] is None or rows[0][2] is None:
        ctx.note(f"no capital for COW {ccode} in cow-capitals {rel}: the model places it by "
                 "default")
        return None
    name, lat, lng, st, en = rows[0]
    inside = (st is None or st <= day) and (en is None or en >= day)
    fix = CAPITAL_ERRATA.get((ccode, str(name)))
    if fix is not None:
        lat, lng = fix[0], fix[1]
    return {"name": str(name), "lat": round(float(lat), 4), "lon": round(float(lng), 4),
            "source": f"COW capitals ({st}-{en}" + ("" if inside else f"; the last listed, "
                                                     f"{day} is outside it")
                      + f") [cow-capitals {rel}]"
                      + (f"; coordinates corrected: {fix[2]}" if fix is not None else "")}


def _distance(ctx: BuildContext, a: int, b: int) -> tuple[float | None, str]:
    if ctx.year < MINDIST_FIRST_YEAR:
        return None, f"no distance before {MINDIST_FIRST_YEAR} (CShapes starts in 1946)"
    if not ctx.has("cow-mindist"):
        return None, "cow-mindist not imported"
    rel = ctx.use("cow-mindist")
    y = min(ctx.year, ctx.last_year("cow-mindist"))
    rows = ctx.query("SELECT min(mindist) FROM cow_mindist WHERE year = ? AND ((ccode1 = ? AND "
                     "ccode2 = ?) OR (ccode1 = ? AND ccode2 = ?))", [y, a, b, b, a])
    if rows[0][0] is None:
        return None, f"no minimum distance for the pair in {y} [cow-mindist {rel}]"
    return round(float(rows[0][0]), 1), (f"minimum distance {y}, CShapes 2.0 via "
                                         f"peacesciencer [cow-mindist {rel}]")


def pairs(ctx: BuildContext, members: list[int], victim: int, aggressor: int | None,
          day: datetime.date) -> list[dict[str, Any]]:
    """The scenario's geography list: every member with the victim and with the aggressor."""
    if not ctx.has("cow-contiguity") and not ctx.has("cow-mindist"):
        ctx.note("no geography (import cow-contiguity and cow-mindist): the model's defaults "
                 "for distance and transport")
        return []
    wanted: list[tuple[int, int]] = []
    for m in members:
        for other in (victim, aggressor):
            if other is None or other == m:
                continue
            if (m, other) not in wanted and (other, m) not in wanted:
                wanted.append((m, other))
    out = []
    for a, b in wanted:
        cont = contiguity(ctx, a, b, day)
        dist, dsrc = _distance(ctx, a, b)
        ctype, csrc = cont if cont is not None else (0, "cow-contiguity not imported: 0")
        out.append({"a": actor_id(a, ctx.year), "b": actor_id(b, ctx.year),
                    "contiguity": ctype, "distance_km": dist,
                    "source": f"contiguity: {csrc}; distance: {dsrc}"})
    return out
