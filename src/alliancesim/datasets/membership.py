"""Which states an alliance has, and on which day: the alliance's ids (data/alliance_ids.yaml)
and its members from ATOP's entry and exit dates (else COW Formal Alliances' start and end).

A state is a member on day D when it entered on or before D (ATOP `yrent`/`moent`/`dayent`; a
missing month or day counts as the first) and has not left by D (`yrexit` 0 or missing: still a
member; else the exit day `yrexit`/`moexit`/`dayexit`, a missing month or day counting as the
year's or month's end). After the dataset's last year, the members on its last day (a note, and
the alliance's source says so). ATOP codes above 999 (non-system members) are left out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import yaml

from alliancesim.data import bundled
from alliancesim.datasets.context import BuildContext
from alliancesim.scenario.errors import UsageError


@dataclass(frozen=True)
class AllianceRef:
    label: str
    name: str
    atop: int | None
    cow: int | None


def alliance_ref(spec: str) -> AllianceRef:
    """NAME (data/alliance_ids.yaml), atop:ID, cow:ID, or a bare number (>= 1000: ATOP)."""
    known = yaml.safe_load(bundled.ALLIANCE_IDS.read_text())
    key = spec.strip().lower()
    if key in known:
        e = known[key]
        return AllianceRef(key, e["name"], e.get("atop"), e.get("cow"))
    prefix, _, num = key.partition(":")
    if not num:
        prefix, num = ("atop" if key.isdigit() and int(key) >= 1000 else "cow"), key
    if prefix in ("atop", "cow") and num.isdigit():
        n = int(num)
        return AllianceRef(f"{prefix}-{n}", f"{prefix.upper()} alliance {n}",
                           n if prefix == "atop" else None, n if prefix == "cow" else None)
    raise UsageError(f"not an alliance this tool knows; give a name ({', '.join(known)}), "
                     "atop:ID, cow:ID or a number", param="alliance", value=spec)


def in_force(t: str) -> str:
    """SQL: ATOP member row `t` in force on a day (two parameters: the day, twice, for entry and
    exit). Entry on (yrent, moent or 1, dayent or 1); in force until the exit day (exclusive);
    yrexit 0 or missing: still in force. Missing exit month or day: the year's or month's end."""
    entry = (f"make_date(CAST({t}.yrent AS INTEGER), CAST(coalesce(nullif({t}.moent, 0), 1) AS "
             f"INTEGER), CAST(coalesce(nullif({t}.dayent, 0), 1) AS INTEGER))")
    exit_ = (f"(CASE WHEN nullif({t}.moexit, 0) IS NULL THEN make_date(CAST({t}.yrexit AS "
             f"INTEGER), 12, 31) + 1 WHEN nullif({t}.dayexit, 0) IS NULL THEN last_day("
             f"make_date(CAST({t}.yrexit AS INTEGER), CAST({t}.moexit AS INTEGER), 1)) + 1 ELSE "
             f"make_date(CAST({t}.yrexit AS INTEGER), CAST({t}.moexit AS INTEGER), "
             f"CAST({t}.dayexit AS INTEGER)) END)")
    return f"({entry} <= ? AND (coalesce({t}.yrexit, 0) = 0 OR {exit_} > ?))"


def _membership_kind(ctx: BuildContext, ref: AllianceRef) -> str:
    if ref.atop is not None and ctx.has("atop-members"):
        return "atop-members"
    if ref.cow is not None and ctx.has("cow-alliance"):
        return "cow-alliance"
    need = "atop-members" if ref.atop is not None else "cow-alliance"
    ctx.store.require(need, purpose=f"building {ref.label}")
    raise AssertionError("unreachable")

def members_in_year(ctx: BuildContext, ref: AllianceRef) -> list[int]:
    """Every member at any time in the year (or the dataset's last year): the states whose
    crises are searched."""
    kind = _membership_kind(ctx, ref)
    y = min(ctx.year, ctx.last_year(kind))
    if kind == "atop-members":
        rows = ctx.query(
            "SELECT DISTINCT member FROM atop_members WHERE atopid = ? AND yrent <= ? AND "
            "(yrexit IS NULL OR yrexit = 0 OR yrexit >= ?) ORDER BY member",
            [ref.atop, y, y])
    else:
        rows = ctx.query(
            "SELECT DISTINCT ccode FROM cow_alliance WHERE version4id = ? AND mem_st_year "
            "<= ? AND (mem_end_year IS NULL OR mem_end_year >= ?) ORDER BY ccode",
            [ref.cow, y, y])
    codes = [int(r[0]) for r in rows if int(r[0]) <= 999]
    if len(codes) < 2:
        span = _span(ctx, ref, kind)
        raise UsageError(f"{ref.name} has {len(codes)} member state(s) in {ctx.year} "
                         f"in {kind} {ctx.use(kind)}{span}; an alliance needs two: not in "
                         "force that year", param="year", value=ctx.year)
    return codes

def _span(ctx: BuildContext, ref: AllianceRef, kind: str) -> str:
    if kind == "atop-members":
        r = ctx.query("SELECT min(yrent), max(CASE WHEN coalesce(yrexit, 0) = 0 THEN NULL "
                       "ELSE yrexit END), bool_or(coalesce(yrexit, 0) = 0) FROM "
                       "atop_members WHERE atopid = ?", [ref.atop])[0]
    else:
        r = ctx.query("SELECT min(mem_st_year), max(mem_end_year), false FROM "
                       "cow_alliance WHERE version4id = ?", [ref.cow])[0]
    if r[0] is None:
        return " (no such alliance id in the data)"
    return f" (members from {r[0]} to " + ("the data's end" if r[2] else f"{r[1]}") + ")"

def members_on(ctx: BuildContext, ref: AllianceRef, day: datetime.date
               ) -> tuple[list[int], str, datetime.date]:
    """The members in force on `day` (ATOP entry and exit dates; COW's start and end
    dates), their source, and the day used (the dataset's last day after it ends)."""
    kind = _membership_kind(ctx, ref)
    rel = ctx.use(kind)
    last = datetime.date(ctx.last_year(kind), 12, 31)
    d = min(day, last)
    flag = ""
    if d != day:
        ctx.note(f"{kind} {rel} ends in {last.year}: the members as of {d} (the last "
                  f"membership the data give), not of {day}")
        flag = f" (the data end in {last.year}: the last membership, not {day}'s)"
    if kind == "atop-members":
        rows = ctx.query(
            "SELECT DISTINCT member FROM atop_members m WHERE atopid = ? AND "
            f"{in_force('m')} ORDER BY member", [ref.atop, d, d])
        src = (f"ATOP v{rel} member level, atopid {ref.atop}, members in force on {d} "
               f"(entry and exit dates){flag} [atop-members {rel}]")
    else:
        start = ("make_date(mem_st_year, CAST(coalesce(nullif(mem_st_month, -9), 1) AS "
                 "INTEGER), CAST(coalesce(nullif(mem_st_day, -9), 1) AS INTEGER))")
        rows = ctx.query(
            f"SELECT DISTINCT ccode FROM cow_alliance WHERE version4id = ? AND {start} <= ? "
            "AND (mem_end_year IS NULL OR mem_end_year > ? OR (mem_end_year = ? AND "
            "coalesce(mem_end_month, 12) * 100 + coalesce(mem_end_day, 31) >= ?)) "
            "ORDER BY ccode", [ref.cow, d, d.year, d.year, d.month * 100 + d.day])
        src = (f"COW Formal Alliances v{rel}, version4id {ref.cow}, members on {d}{flag} "
               f"[cow-alliance {rel}]")
    codes = [int(r[0]) for r in rows]
    outside = [c for c in codes if c > 999]
    if outside:
        ctx.note(f"left out member code(s) {outside}: not states of the COW system")
    codes = [c for c in codes if c <= 999]
    if len(codes) < 2:
        raise UsageError(f"{ref.name} has {len(codes)} member state(s) on {d} in the "
                         f"data ({src}){_span(ctx, ref, kind)}; an alliance needs two: not in "
                         "force that day", param="date", value=str(day))
    return codes, src, d
