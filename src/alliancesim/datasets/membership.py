"""Which states an alliance has, and on which day: the alliance's ids (data/alliance_ids.yaml)
and its members from ATOP's entry and exit dates (else COW Formal Alliances' start and end), or
from the entry's own members when it gives the alliance by hand (`by_hand`: an alliance ATOP
does not code, with its members' dates and its provisions in ATOP's terms, each with a source).

A state is a member on day D when it entered on or before D (ATOP `yrent`/`moent`/`dayent`; a
missing month or day counts as the first) and has not left by D (`yrexit` 0 or missing: still a
member; else the exit day `yrexit`/`moexit`/`dayexit`, a missing month or day counting as the
year's or month's end). After the dataset's last year, the members on its last day (a note, and
the alliance's source says so). ATOP codes above 999 (non-system members) are left out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from alliancesim.data import bundled
from alliancesim.datasets.codes import periods, state_name
from alliancesim.datasets.context import BuildContext
from alliancesim.scenario.errors import Problem, ScenarioError, UsageError, one_line

BY_HAND = "by-hand"  # the membership "kind" of an alliance given by hand

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# The provisions a by-hand entry gives, in ATOP's terms (Leeds et al. 2002; ATOP v4.01 codebook)
# and with the values ATOP uses (the ranges of ../shared/datasets/atop: 0/1 for the obligations,
# the conditions and intcom; milaid 0-4, base 0-3, organ1 0-3). The five obligations are required;
# the rest default to 0 (not coded), as an ATOP row with a missing value reads in the builder.
OBLIGATIONS = ("defense", "offense", "neutral", "nonagg", "consul")
PROVISION_RANGE: dict[str, int] = {
    **dict.fromkeys(OBLIGATIONS, 1), "conditio": 1, "defcon": 1, "intcom": 1,
    "milaid": 4, "base": 3, "organ1": 3,
    **dict.fromkeys(("defcoadv", "defcoloc", "defcocon", "defconum", "defcodem", "defconpr"), 1),
}


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Provision(_Entry):
    """One provision, coded as ATOP would, and how it was read from which source."""

    value: int = Field(ge=0, le=4)
    source: Text


class ByHandMember(_Entry):
    """A member state: its COW code, the day it entered, the day it left (none: still in)."""

    ccode: int = Field(ge=2, le=999)
    entered: datetime.date
    left: datetime.date | None = None
    source: Text

    @model_validator(mode="after")
    def _check(self) -> ByHandMember:
        if not any(p.ccode == self.ccode for p in periods()):
            raise ValueError(f"ccode {self.ccode} is not a COW state code (data/cow_iso.csv)")
        if self.left is not None and self.left <= self.entered:
            raise ValueError(f"left ({self.left}) must come after entered ({self.entered})")
        return self


class ByHandRule(_Entry):
    """The council's decision rule as the treaty writes it (ATOP codes none)."""

    rule: Literal["consensus", "qualified_majority", "simple_majority", "leader"]
    source: Text


class ByHand(_Entry):
    """An alliance ATOP does not code: its members with their dates, its provisions in ATOP's
    terms, optionally its decision rule; every value with its source."""

    source: Text
    members: list[ByHandMember] = Field(min_length=2)
    provisions: dict[str, Provision]
    decision_rule: ByHandRule | None = None

    @model_validator(mode="after")
    def _check(self) -> ByHand:
        codes = [m.ccode for m in self.members]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"members: ccode {', '.join(map(str, twice))} listed twice (one "
                             "entry per state: entered, left)")
        unknown = sorted(set(self.provisions) - set(PROVISION_RANGE))
        if unknown:
            raise ValueError(f"provisions: unknown {', '.join(unknown)} (valid, ATOP's names: "
                             f"{', '.join(PROVISION_RANGE)})")
        missing = [n for n in OBLIGATIONS if n not in self.provisions]
        if missing:
            raise ValueError(f"provisions: {', '.join(missing)} missing (the five obligations "
                             f"{', '.join(OBLIGATIONS)} are required, each 0 or 1 with its "
                             "source)")
        for n, p in self.provisions.items():
            if p.value > PROVISION_RANGE[n]:
                raise ValueError(f"provisions.{n}.value: {p.value} is not an ATOP value of {n} "
                                 f"(0 to {PROVISION_RANGE[n]})")
        return self

    def flags(self) -> dict[str, float]:
        """The provisions as the builder reads ATOP's: every name, 0 where not given."""
        return {n: float(self.provisions[n].value) if n in self.provisions else 0.0
                for n in PROVISION_RANGE}


class AllianceEntry(_Entry):
    """One name of data/alliance_ids.yaml: ATOP and/or COW ids, or the alliance by hand."""

    name: Text
    atop: int | None = Field(default=None, ge=1000, le=99999)
    cow: int | None = Field(default=None, ge=1, le=9999)
    by_hand: ByHand | None = None
    check: Text

    @model_validator(mode="after")
    def _check(self) -> AllianceEntry:
        if self.by_hand is not None and (self.atop is not None or self.cow is not None):
            raise ValueError("give the alliance either by its ids (atop, cow) or by_hand, not "
                             "both (an alliance ATOP codes is read from ATOP)")
        if self.by_hand is None and self.atop is None and self.cow is None:
            raise ValueError("needs atop, cow or by_hand (members with dates and provisions)")
        return self


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(x) for x in loc)


def alliance_entries(path: Path | None = None) -> dict[str, AllianceEntry]:
    """data/alliance_ids.yaml, validated: every problem at once, each naming the entry and the
    field (`gcc-1981.by_hand.members.2.left: ...`), as a ScenarioError."""
    path = path or bundled.ALLIANCE_IDS
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(str(path), "", one_line(f"not valid YAML: {exc}"))]) \
            from None
    if not isinstance(raw, dict):
        raise ScenarioError([Problem(str(path), "", "must map alliance names to entries")])
    problems: list[Problem] = []
    out: dict[str, AllianceEntry] = {}
    for key, value in raw.items():
        if not isinstance(key, str) or key != key.strip().lower() or not key:
            problems.append(Problem(str(path), str(key), "a name is lower case, e.g. gcc-1981"))
            continue
        try:
            out[key] = AllianceEntry.model_validate(value)
        except ValidationError as exc:
            for e in exc.errors():
                loc = _where((key, *e["loc"]))
                msg = str(e["msg"]).removeprefix("Value error, ")
                if e["type"] == "missing":
                    msg = "required: " + _HINTS.get(str(e["loc"][-1]), "missing")
                elif e["type"] == "extra_forbidden":
                    msg = (f"unknown field (an entry has {', '.join(AllianceEntry.model_fields)}"
                           "; by_hand has source, members, provisions, decision_rule)")
                problems.append(Problem(str(path), loc, one_line(msg)))
    if problems:
        raise ScenarioError(problems)
    return out


_HINTS = {
    "name": "the alliance's name and its treaty", "check": "how the ids or values were checked",
    "source": "where the value comes from (the treaty's text, an official or scholarly source)",
    "ccode": "the COW state code", "entered": "the day the state entered (YYYY-MM-DD)",
    "members": "the member states with their dates", "provisions": (
        "the provisions in ATOP's terms (defense, offense, neutral, nonagg, consul)"),
    "value": "the ATOP value (0 or 1; milaid 0-4, base and organ1 0-3)",
    "rule": "consensus, qualified_majority, simple_majority or leader",
}


@dataclass(frozen=True)
class AllianceRef:
    label: str
    name: str
    atop: int | None
    cow: int | None
    by_hand: ByHand | None = None


def alliance_ref(spec: str) -> AllianceRef:
    """NAME (data/alliance_ids.yaml), atop:ID, cow:ID, or a bare number (>= 1000: ATOP)."""
    known = alliance_entries()
    key = spec.strip().lower()
    if key in known:
        e = known[key]
        return AllianceRef(key, e.name, e.atop, e.cow, e.by_hand)
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
    if ref.by_hand is not None:
        return BY_HAND
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
    if ref.by_hand is not None:
        codes = sorted(m.ccode for m in ref.by_hand.members if m.entered.year <= ctx.year
                       and (m.left is None or m.left > datetime.date(ctx.year, 1, 1)))
        if len(codes) < 2:
            raise UsageError(f"{ref.name} has {len(codes)} member state(s) in {ctx.year} "
                             f"{_by_hand_where(ref)}{_span(ctx, ref, kind)}; an alliance "
                             "needs two: not in force that year", param="year", value=ctx.year)
        return codes
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

def _by_hand_where(ref: AllianceRef) -> str:
    return f"by hand (data/alliance_ids.yaml, {ref.label})"


def _span(ctx: BuildContext, ref: AllianceRef, kind: str) -> str:
    if ref.by_hand is not None:
        first = min(m.entered for m in ref.by_hand.members)
        lefts = [m.left for m in ref.by_hand.members]
        end = "today" if any(x is None for x in lefts) else str(max(x for x in lefts if x))
        return f" (members from {first} to {end})"
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
    dates; a by-hand entry's `entered` and `left`, in force from the one and until the other,
    exclusive), their source, and the day used (the dataset's last day after it ends)."""
    kind = _membership_kind(ctx, ref)
    if ref.by_hand is not None:
        return _members_by_hand(ref, ref.by_hand, day)
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


def _members_by_hand(ref: AllianceRef, hand: ByHand, day: datetime.date
                     ) -> tuple[list[int], str, datetime.date]:
    codes = sorted(m.ccode for m in hand.members
                   if m.entered <= day and (m.left is None or day < m.left))
    src = (f"{_by_hand_where(ref)}, members in force on {day} (entry and exit dates; each "
           f"member's own source in the entry): {hand.source}")
    if len(codes) < 2:
        raise UsageError(f"{ref.name} has {len(codes)} member state(s) on {day} "
                         f"{_by_hand_where(ref)}{_span_of(hand)}; an alliance needs two: not "
                         "in force that day", param="date", value=str(day))
    return codes, src, day


def _span_of(hand: ByHand) -> str:
    names = ", ".join(f"{state_name(m.ccode)} from {m.entered}"
                      + (f" to {m.left}" if m.left else "") for m in hand.members)
    return f" (members: {names})"

