"""Who leads an alliance in a year, and the leader's stake in a crisis, by written rules.

The leader (docs/data.md, "Building a scenario"), the first branch that applies:

1. **major**: the COW major power among the members in the year (COW majors; several: the one
   with the largest military expenditure).
2. **regional**: Maoz's (2010) regional or global power among the members on the crisis day
   (`maoz_powers`: `regstdate`..`regenddate` or `globstdate`..`globenddate`; several: the
   largest military expenditure).
3. **capabilities**: the member holding at least half of the members' summed NMC composite
   index (`cinc`) in the year, and more than any other member (the last NMC year after NMC
   ends).
4. **none**: no member leads.

The leader's stake in the victim (docs/coding.md, "The leader's stake"), written as an alliance
`ties` entry leader-victim: strength 1 if the leader is land-contiguous with the victim (COW
direct contiguity type 1), or is a strategic rival of the aggressor (Thompson & Dreyer), or has
another ATOP defence pact in force with the victim; 0.5 for contiguity across up to 400 miles of
water only (types 2-5); otherwise no tie (0), said in a note.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from alliancesim.datasets.codes import actor_id, state_name
from alliancesim.datasets.context import BuildContext
from alliancesim.datasets.membership import in_force

MAJORITY_SHARE = 0.5  # the capabilities branch: a member with >= half the members' summed CINC
SEA_STAKE = 0.5  # the stake for contiguity across water (COW types 2-5) alone


@dataclass(frozen=True)
class Leader:
    ccode: int | None
    branch: str  # major | regional | capabilities | none
    source: str


def _largest(among: list[int], milex: dict[int, float | None]) -> int:
    return max(among, key=lambda m: (milex.get(m) or 0.0, -m))


def choose_leader(ctx: BuildContext, members: list[int], day: datetime.date,
                  milex: dict[int, float | None]) -> Leader:
    """The leader by the first branch of the module's rule that applies."""
    year = ctx.year
    tried: list[str] = []
    if ctx.has("cow-majors"):
        rel = ctx.use("cow-majors")
        y = min(year, ctx.last_year("cow-majors"))
        majors = {int(r[0]) for r in ctx.query(
            "SELECT ccode FROM cow_majors WHERE styear <= ? AND endyear >= ?", [y, y])}
        among = [m for m in members if m in majors]
        if among:
            lead = _largest(among, milex)
            return Leader(lead, "major", (
                f"the COW major power among the members, COW major powers v{rel} "
                f"[cow-majors {rel}], {y}: " + ", ".join(state_name(m) for m in among)
                + ("; the largest military expenditure" if len(among) > 1 else "")))
        tried.append(f"no COW major power among the members in {y} [cow-majors {rel}]")
    else:
        tried.append("cow-majors not imported")
    if ctx.has("maoz-powers"):
        rel = ctx.use("maoz-powers")
        last = ctx.query("SELECT max(greatest(coalesce(regenddate, DATE '1800-01-01'), "
                         "coalesce(globenddate, DATE '1800-01-01'))) FROM maoz_powers")[0][0]
        d = min(day, last) if isinstance(last, datetime.date) else day
        if d != day:
            ctx.note(f"Maoz's powers ({rel}) end on {last}: regional powers as of that day")
        rows = ctx.query(
            "SELECT DISTINCT ccode FROM maoz_powers WHERE (regstdate <= ? AND regenddate >= ?) "
            "OR (globstdate <= ? AND globenddate >= ?)", [d, d, d, d])
        powers = {int(r[0]) for r in rows}
        among = [m for m in members if m in powers]
        if among:
            lead = _largest(among, milex)
            return Leader(lead, "regional", "; ".join(tried) + (
                f"; Maoz's regional or global power among them on {d} [maoz-powers {rel}]: "
                + ", ".join(state_name(m) for m in among)
                + ("; the largest military expenditure" if len(among) > 1 else "")))
        tried.append(f"no Maoz regional or global power among them on {d} "
                     f"[maoz-powers {rel}]")
    else:
        tried.append("maoz-powers not imported")
    if ctx.has("nmc"):
        rel = ctx.use("nmc")
        y = min(year, ctx.last_year("nmc"))
        marks = ",".join(str(m) for m in members)
        rows = ctx.query(f"SELECT ccode, cinc FROM nmc WHERE year = ? AND ccode IN ({marks}) "
                         "AND cinc IS NOT NULL", [y])
        cinc = {int(c): float(v) for c, v in rows}
        total = sum(cinc.values())
        if total > 0:
            top = max(cinc, key=lambda c: (cinc[c], -c))
            share = cinc[top] / total
            alone = sum(1 for v in cinc.values() if v == cinc[top]) == 1
            if share >= MAJORITY_SHARE and alone:
                return Leader(top, "capabilities", "; ".join(tried) + (
                    "; the member with at least half their summed capabilities and more than "
                    f"any other: {state_name(top)} "
                    f"holds {share:.0%} of the members' CINC in {y}, NMC v{rel} [nmc {rel}]"))
            tried.append(f"no member holds half the members' CINC in {y} and more than any "
                         f"other (the largest, {state_name(top)}, {share:.0%}) [nmc {rel}]")
    ctx.note("no leader: " + "; ".join(tried))
    return Leader(None, "none", "; ".join(tried))


def _yyyymm(day: datetime.date) -> int:
    return day.year * 100 + day.month


def contiguity(ctx: BuildContext, a: int, b: int, day: datetime.date) -> tuple[int, str] | None:
    """COW direct contiguity type (1 land .. 5 up to 400 miles of water; 0 none) of a and b in
    force on `day` (the last coded month after the dataset ends), with its source; None when
    cow-contiguity is not imported."""
    if not ctx.has("cow-contiguity"):
        return None
    rel = ctx.use("cow-contiguity")
    last = ctx.query("SELECT max(\"end\") FROM cow_contiguity")[0][0]
    ym = _yyyymm(day)
    if last is not None and ym > int(last):
        ym = int(last)
    rows = ctx.query(
        "SELECT min(conttype) FROM cow_contiguity WHERE ((ccode1 = ? AND ccode2 = ?) OR "
        "(ccode1 = ? AND ccode2 = ?)) AND begin <= ? AND \"end\" >= ?", [a, b, b, a, ym, ym])
    ct = rows[0][0]
    when = f"{ym // 100}-{ym % 100:02d}"
    src = f"COW Direct Contiguity v{rel}, in force {when} [cow-contiguity {rel}]"
    return (int(ct), src) if ct is not None else (0, src + ": not contiguous")


def _rivals(ctx: BuildContext, a: int, b: int) -> str | None:
    if not ctx.has("td-rivalries"):
        return None
    rel = ctx.use("td-rivalries")
    last = ctx.query("SELECT max(endyear) FROM td_rivalries")[0][0]
    y = min(ctx.year, int(last)) if last is not None else ctx.year
    rows = ctx.query(
        "SELECT rivalryname, styear, endyear FROM td_rivalries WHERE ((ccode1 = ? AND ccode2 = "
        "?) OR (ccode1 = ? AND ccode2 = ?)) AND styear <= ? AND endyear >= ?",
        [a, b, b, a, y, y])
    if not rows:
        return None
    name, s, e = rows[0]
    return (f"strategic rivalry {name} ({s}-{e}), Thompson & Dreyer [td-rivalries {rel}]"
            + (f" (the rivalries end in {y})" if y != ctx.year else ""))


def _other_pacts(ctx: BuildContext, a: int, b: int, day: datetime.date,
                 atopid: int | None) -> str | None:
    if not ctx.has("atop-members"):
        return None
    rel = ctx.use("atop-members")
    d = _clip_to(ctx, day, "atop-members")
    rows = ctx.query(
        "SELECT DISTINCT x.atopid FROM atop_members x JOIN atop_members y ON x.atopid = "
        "y.atopid WHERE x.member = ? AND y.member = ? AND x.atopid != ? AND x.defense = 1 AND "
        f"y.defense = 1 AND {in_force('x')} AND {in_force('y')} ORDER BY 1",
        [a, b, atopid if atopid is not None else -1, d, d, d, d])
    if not rows:
        return None
    return (f"another ATOP defence pact in force on {d}: atopid "
            + ", ".join(str(r[0]) for r in rows) + f" [atop-members {rel}]")


def _clip_to(ctx: BuildContext, day: datetime.date, kind: str) -> datetime.date:
    last = ctx.last_year(kind)
    return min(day, datetime.date(last, 12, 31))


def leader_stake(ctx: BuildContext, lead: int, victim: int, aggressor: int | None,
                 day: datetime.date, atopid: int | None) -> dict[str, Any] | None:
    """The leader-victim tie by the module's stake rule, or None (with a note) when no branch
    applies or the leader is the victim."""
    year = ctx.year
    if lead == victim:
        ctx.note("the leader is the victim: no stake tie (its stake is its own territory)")
        return None
    reasons: list[tuple[float, str]] = []
    cont = contiguity(ctx, lead, victim, day)
    if cont is not None and cont[0] == 1:
        reasons.append((1.0, f"land-contiguous with the victim (type 1), {cont[1]}"))
    if aggressor is not None:
        riv = _rivals(ctx, lead, aggressor)
        if riv:
            reasons.append((1.0, f"rival of the aggressor: {riv}"))
    pact = _other_pacts(ctx, lead, victim, day, atopid)
    if pact:
        reasons.append((1.0, pact))
    if cont is not None and 2 <= cont[0] <= 5:
        reasons.append((SEA_STAKE, f"contiguous with the victim across water only (type "
                                   f"{cont[0]}), {cont[1]}"))
    if not reasons:
        looked = [k for k in ("cow-contiguity", "td-rivalries", "atop-members") if ctx.has(k)]
        ctx.note(f"the leader's stake in {state_name(victim)} is 0: no land or sea contiguity, "
                 "no rivalry with the aggressor and no other defence pact (looked in "
                 + (", ".join(looked) or "nothing: import cow-contiguity, td-rivalries, "
                    "atop-members") + "); no leader-victim tie")
        return None
    strength = max(s for s, _ in reasons)
    return {"a": actor_id(lead, year), "b": actor_id(victim, year), "strength": strength,
            "source": "the leader's stake (docs/coding.md rule; the strongest branch "
                      f"applies): {strength:g}; " + "; ".join(r for _, r in reasons)}
