"""COW state codes <-> the actor ids scenarios use (ISO 3166 alpha-3), with dates.

The mapping is bundled (data/cow_iso.csv; rules in scripts/make_cow_iso.py and docs/data.md):
one row per period in which a COW code pairs with one ISO code. Russia is COW 365 throughout,
but RUS before 30 Dec 1922, SUN (USSR) to 25 Dec 1991 and RUS after; states that never had an
ISO code get COW_<COW abbreviation>.
"""

from __future__ import annotations

import csv
import datetime
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from alliancesim.data import bundled


@dataclass(frozen=True)
class CodePeriod:
    ccode: int
    cow_abb: str
    actor_id: str
    name: str
    start: datetime.date
    end: datetime.date | None
    note: str

    def covers(self, day: datetime.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@cache
def periods() -> tuple[CodePeriod, ...]:
    with bundled.COW_ISO.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return tuple(CodePeriod(
            ccode=int(r["ccode"]), cow_abb=r["cow_abb"], actor_id=r["actor_id"], name=r["name"],
            start=datetime.date.fromisoformat(r["start"]),
            end=datetime.date.fromisoformat(r["end"]) if r["end"] else None, note=r["note"])
            for r in rows)


def _mid_year(year: int) -> datetime.date:
    return datetime.date(year, 7, 1)


def actor_id(ccode: int, year: int) -> str:
    """The actor id of COW state `ccode` in mid-`year` (COW_<code> if COW has no such state)."""
    day = _mid_year(year)
    spans = [p for p in periods() if p.ccode == ccode]
    for p in spans:
        if p.covers(day):
            return p.actor_id
    if spans:  # outside its spells: the nearest period's id
        return min(spans, key=lambda p: abs((p.start - day).days)).actor_id
    return f"COW_{ccode}"


def state_name(ccode: int) -> str:
    for p in periods():
        if p.ccode == ccode:
            return p.name
    return f"COW state {ccode}"


def ccode_of(actor: str, year: int) -> int | None:
    """The COW code of actor id `actor` in `year` (None for non-state actors and unknown ids)."""
    day = _mid_year(year)
    hits = [p for p in periods() if p.actor_id == actor]
    for p in hits:
        if p.covers(day):
            return p.ccode
    return hits[-1].ccode if hits else None


# Names that publishers spell differently from COW (SIPRI, World Bank), normalised.
ALIASES = {
    "russian federation": 365, "ussr": 365, "soviet union": 365, "kyrgyz republic": 703,
    "korea south": 732, "korea republic of": 732, "south korea": 732, "korea north": 731,
    "north korea": 731, "dprk": 731, "uk": 200, "united kingdom": 200, "usa": 2,
    "united states": 2, "united states of america": 2, "czech republic": 316, "czechia": 316,
    "czechoslovakia": 315, "german dr": 265, "german democratic republic": 265,
    "germany fr": 260, "german federal republic": 260, "cote divoire": 437,
    "ivory coast": 437, "congo dr": 490, "congo dem rep": 490,
    "congo republic of": 484, "congo democratic republic": 490,
    "democratic republic of the congo": 490, "congo republic": 484, "congo": 484,
    "bosnia herzegovina": 346, "bosnia and herzegovina": 346, "macedonia fyr": 343,
    "north macedonia": 343, "macedonia": 343, "moldova": 359, "iran": 630, "syria": 652,
    "yemen north": 678, "yemen south": 680, "viet nam": 816, "vietnam": 816,
    "timor leste": 860, "east timor": 860, "eswatini": 572, "swaziland": 572,
    "cabo verde": 402, "cape verde": 402, "myanmar": 775, "burma": 775, "turkiye": 640,
    "turkey": 640, "belarus": 370, "lao pdr": 812, "laos": 812, "brunei": 835,
    "gambia the": 420, "gambia": 420, "uae": 696, "united arab emirates": 696,
    "central african rep": 482, "central african republic": 482, "dominican rep": 42,
    "dominican republic": 42, "trinidad and tobago": 52, "trinidad & tobago": 52,
    "papua new guinea": 910, "serbia": 345, "yugoslavia": 345, "montenegro": 341,
}


def normalise(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower().replace("&", " and ")).strip()


@cache
def _by_name() -> dict[str, int]:
    table = {normalise(p.name): p.ccode for p in periods()}
    table.update({normalise(k): v for k, v in ALIASES.items()})
    return table


def ccode_of_name(name: str) -> int | None:
    """The COW code of a country as a publisher names it (None if unknown)."""
    return _by_name().get(normalise(name))


# Gleditsch & Ward (1999), 'A Revised List of Independent States since the Congress of
# Vienna', International Interactions 25(4): 393-413, number states as COW does except where
# their list of states differs. UCDP/PRIO uses their codes (gwno_*). The differences, as
# (GW code, first year, last year, COW code or None, why); a year is read at mid-year (1 July),
# as elsewhere in this module. Every other GW code is the same state's COW code (e.g. GW 816
# Vietnam (Democratic Republic) = COW 816, GW 817 Republic of Vietnam = COW 817, GW 730 Korea,
# 731 North and 732 South Korea = COW 730/731/732, GW 265 GDR = COW 265, GW 365 = COW 365).
GW_COW_DIFFERENCES: tuple[tuple[int, int, int, int | None, str], ...] = (
    (260, 1816, 1990, 260, "German Federal Republic (COW 260 to 2 Oct 1990)"),
    (260, 1991, 9999, 255, "GW 260 continues as united Germany after 3 Oct 1990; COW 255"),
    (678, 1816, 1989, 678, "Yemen Arab Republic (COW 678 to 21 May 1990)"),
    (678, 1990, 9999, 679, "GW 678 continues as united Yemen after 22 May 1990; COW 679"),
    (340, 1816, 9999, 345, "Serbia (GW 340, 1878-1915 and from 2006); COW 345 throughout"),
    (341, 1816, 2005, None, "Montenegro 1868-1915: not a COW state (COW 341 from 2006)"),
    (751, 1816, 9999, None, "Hyderabad 1947-1948: not a COW state"),
    (711, 1816, 9999, None, "Tibet 1913-1950: not a COW state"),
    (563, 1816, 9999, None, "Transvaal 1852-1902: not a COW state"),
    (564, 1816, 9999, None, "Orange Free State 1854-1910: not a COW state"),
    (89, 1816, 9999, None, "United Provinces of Central America 1823-1839: not a COW state"),
    (99, 1816, 9999, None, "Great Colombia 1821-1830: not a COW state"),
    (815, 1816, 9999, None, "Vietnam (Annam) 1816-1893: not a COW state"),
)


def cow_of_gw(gwno: int, year: int) -> int | None:
    """The COW code of Gleditsch-Ward state `gwno` in `year` (None: no COW state).

    Rules: GW_COW_DIFFERENCES, else the same number (Gleditsch & Ward 1999 keep COW's numbers
    for the states both lists hold)."""
    for gw, first, last, cow, _ in GW_COW_DIFFERENCES:
        if gw == gwno and first <= year <= last:
            return cow
    return gwno
