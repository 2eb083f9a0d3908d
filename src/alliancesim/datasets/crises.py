"""The crises worth simulating for an alliance in a year: MIDs and UCDP conflicts that hit a
member, ordered by written rules (docs/data.md, "Crises worth simulating").

A **candidate** is one dispute or conflict in the window (the year and the `window` years
before it) with a member on the receiving side:

- **MID** (mid_participants, mid_disputes): a dispute with a member and a non-member on
  opposite sides. Of its member/non-member pairs the one that fits the territory rule best is
  kept (then the non-member's highest hostility). ID `mid:DISPNUM`.
- **UCDP** (ucdp_acd): an intrastate or internationalised intrastate conflict (UCDP types 3
  and 4) whose government side (`gwno_a`, `ccode_a`) is a member: the member's government
  against an armed group on its territory. ID `ucdp:CONFLICT_ID`. Interstate UCDP conflicts are
  left to the MIDs (the re-saved file has no location to tell whose territory was hit).

**Territory attacked** (the rule the default crisis needs):

- MID: the member is on side B (`sidea = 0`: the target of the dispute's first militarized
  action) from the start (`orig = 1`), the non-member is an originator on side A, reaches
  hostility 4 or 5 (use of force, war) and its highest action is one of TERRITORIAL_ACTS:
  occupation of territory (14), attack (16), clash (17), declaration of war (18), use of CBR
  weapons (19), begin or join interstate war (20, 21). Never a naval incident or a show of
  force: seizure (15: of ships, aircraft or people, mostly at sea) and blockade (13) are
  excluded, as is everything below hostility 4 (threats; displays such as 7 show of force,
  8 alert, 10 mobilisation, 12 border violation). The MID tables here carry no location, so an
  "attack" may have hit the member's forces abroad rather than its soil (docs/data.md).
- UCDP: always (the conflict is fought on the member's territory by its definition).

**Severity** (the order): 10 x hostility + fatality level. MID: the non-member's hostility
level (1-5) and the dispute's fatality level (0 none .. 6 more than 999; unknown 0). UCDP:
intensity 1 (25-999 battle deaths in the year) counts as hostility 4 with fatality level 2
(26-100, the level holding UCDP's floor of 25); intensity 2 (1,000 or more) as hostility 5 with
level 6. Candidates are listed territory first, then by severity, then the most recent.

The **default crisis** is the first candidate with territory attacked whose member is a member
on the crisis day.
"""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from alliancesim.datasets.codes import actor_id, state_name
from alliancesim.datasets.context import BuildContext
from alliancesim.scenario.errors import UsageError

CRISIS_WINDOW = 10  # years before the build's year searched for candidate crises
TERRITORIAL_ACTS = {14: "occupation of territory", 16: "attack", 17: "clash",
                    18: "declaration of war", 19: "use of CBR weapons",
                    20: "begin interstate war", 21: "join interstate war"}
HIACT = {0: "no militarized action", 1: "threat to use force", 2: "threat to blockade",
         3: "threat to occupy territory", 4: "threat to declare war",
         5: "threat to use CBR weapons", 6: "threat to join war", 7: "show of force",
         8: "alert", 9: "nuclear alert", 10: "mobilization", 11: "fortify border",
         12: "border violation", 13: "blockade", 15: "seizure", **TERRITORIAL_ACTS}
HOSTLEV = {1: "no militarized action", 2: "threat", 3: "display of force", 4: "use of force",
           5: "war"}
FATALITY = {0: "none", 1: "1-25", 2: "26-100", 3: "101-250", 4: "251-500", 5: "501-999",
            6: "more than 999"}
UCDP_LEVEL = {1: (4, 2), 2: (5, 6)}  # intensity -> (hostility, fatality level) for severity
UCDP_INTRASTATE = ("intrastate", "II", "internationalized intrastate", "3", "4")


@dataclass(frozen=True)
class Candidate:
    """One crisis a build can simulate (ids: mid:N, ucdp:N)."""

    id: str
    dataset: str  # MID or UCDP
    year: int
    date: datetime.date | None  # the start: MID the member's start day; UCDP the episode's
    member: int  # the member hit (COW code)
    other: int | None  # the other side when a state (COW code)
    other_id: str  # its actor id (ISO), or UCDP_N for an armed group
    other_name: str
    hostility: int  # MID hostlev of the other side; UCDP mapped (module docstring)
    action: str  # MID highest action of the other side; UCDP the incompatibility
    fatalities: str
    territory: bool  # a member's territory attacked (the module's rule)
    territory_rule: str
    member_revisionist: bool  # MID: the member is the revisionist initiator (side A)
    severity: int
    intensity: int | None = None  # UCDP intensity level
    threat: str = "interstate_attack"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["date"] = self.date.isoformat() if self.date else None
        out["member_id"] = actor_id(self.member, self.year)
        out["member_name"] = state_name(self.member)
        return out

    def describe(self) -> str:
        return (f"{self.id} ({self.year}): {self.other_name} against {state_name(self.member)}"
                f"; hostility {self.hostility} ({HOSTLEV.get(self.hostility, '?')}), "
                f"{self.action}; fatalities {self.fatalities}; "
                + ("a member's territory attacked" if self.territory
                   else "not an attack on a member's territory") + f" ({self.territory_rule})")


def _day(y: Any, m: Any, d: Any) -> datetime.date | None:
    try:
        yy = int(y)
        mm = int(m) if m is not None and 1 <= int(m) <= 12 else 1
        dd = int(d) if d is not None and 1 <= int(d) <= 31 else 1
        return datetime.date(yy, mm, min(dd, 28 if mm == 2 else 30 if mm in (4, 6, 9, 11)
                                           else 31))
    except (TypeError, ValueError):
        return None


def _mid_candidates(ctx: BuildContext, members: list[int], y0: int, y1: int
                    ) -> list[Candidate]:
    rel = ctx.use("mid-participants")
    marks = ",".join(str(m) for m in members)
    disp = ctx.has("mid-disputes")
    if disp:
        drel = ctx.use("mid-disputes")
    rows = ctx.query(
        "SELECT a.dispnum, a.ccode, a.styear, a.stmon, a.stday, a.sidea, a.orig, a.revstate, "
        "a.fatality, b.ccode, b.sidea, b.orig, b.hostlev, b.hiact, b.fatality, "
        + ("d.fatality " if disp else "NULL ") + "FROM mid_participants a JOIN mid_participants "
        "b ON a.dispnum = b.dispnum AND a.sidea != b.sidea "
        + ("LEFT JOIN mid_disputes d ON d.dispnum = a.dispnum " if disp else "")
        + f"WHERE a.ccode IN ({marks}) AND b.ccode NOT IN ({marks}) AND a.styear BETWEEN ? "
        "AND ?", [y0, y1])
    best: dict[int, Candidate] = {}
    for (dn, m, sy, sm, sd, m_side, m_orig, m_rev, m_fat, o, o_side, o_orig, o_host, o_act,
         o_fat, d_fat) in rows:
        host = int(o_host or 0)
        act = int(o_act) if o_act is not None else None
        act_ok = act in TERRITORIAL_ACTS
        terr = (int(m_side) == 0 and m_orig == 1 and int(o_side) == 1 and o_orig == 1
                and host >= 4 and act_ok)
        if terr:
            why = (f"the member a target from the start (side B, originator); the other side "
                   f"an originator using force: {HIACT[act or 0]} ({act})")
        elif host < 4:
            why = f"the other side's hostility {host} is below a use of force"
        elif not act_ok:
            why = (f"the other side's highest action is {HIACT.get(act or 0, '?')} ({act}): "
                   "not an attack on territory (naval incident, seizure or blockade)")
        elif int(m_side) != 0:
            why = "the member is on side A (it took the first militarized action)"
        else:
            why = "the member or the other side joined the dispute later (not an originator)"
        fat_code = d_fat if d_fat is not None else (o_fat if o_fat is not None else m_fat)
        fat = int(fat_code) if fat_code is not None and int(fat_code) >= 0 else None
        sev = 10 * host + (fat or 0)
        c = Candidate(
            id=f"mid:{int(dn)}", dataset="MID", year=int(sy), date=_day(sy, sm, sd),
            member=int(m), other=int(o), other_id=actor_id(int(o), int(sy)),
            other_name=state_name(int(o)), hostility=host,
            action=f"{HIACT.get(act, 'unknown')} ({act})" if act is not None else "unknown",
            fatalities=FATALITY.get(fat, "unknown") if fat is not None else "unknown",
            territory=terr, territory_rule=why + (
                f"; MID v{drel if disp else rel} [mid-participants {rel}]"),
            member_revisionist=int(m_side) == 1 and m_rev == 1, severity=sev,
            threat="interstate_attack")
        old = best.get(int(dn))
        if old is None or (c.territory, c.hostility, c.severity, -c.member) > (
                old.territory, old.hostility, old.severity, -old.member):
            best[int(dn)] = c
    return list(best.values())


def ucdp_label(conflict: int, side_b: str | None, incompatibility: str | None) -> str:
    if side_b:
        return str(side_b)
    return f"UCDP conflict {conflict} ({incompatibility or 'incompatibility unknown'})"


def _ucdp_candidates(ctx: BuildContext, members: list[int], y0: int, y1: int
                     ) -> list[Candidate]:
    rel = ctx.use("ucdp-acd")
    marks = ",".join(str(m) for m in members)
    types = ",".join(f"'{t}'" for t in UCDP_INTRASTATE)
    rows = ctx.query(
        "SELECT conflict_id, year, ccode_a, side_b, incompatibility, intensity_level, "
        "type_of_conflict, start_date FROM ucdp_acd WHERE ccode_a IN "
        f"({marks}) AND year BETWEEN ? AND ? AND CAST(type_of_conflict AS VARCHAR) IN ({types}) "
        "ORDER BY conflict_id, intensity_level DESC, year DESC", [y0, y1])
    best: dict[int, Candidate] = {}
    for cid, yr, ca, side_b, incomp, inten, typ, start in rows:
        cid = int(cid)
        if cid in best:
            continue
        level = int(inten)
        host, fat = UCDP_LEVEL.get(level, (4, 2))
        start_day = start if isinstance(start, datetime.date) else None
        day = start_day if start_day is not None and start_day.year == int(yr) else None
        best[cid] = Candidate(
            id=f"ucdp:{cid}", dataset="UCDP", year=int(yr), date=day, member=int(ca),
            other=None, other_id=f"UCDP_{cid}", other_name=ucdp_label(cid, side_b, incomp),
            hostility=host, action=f"armed conflict over {incomp or 'unknown'} ({typ})",
            fatalities=("1,000 or more battle deaths" if level == 2 else
                        "25-999 battle deaths"),
            territory=True, territory_rule=(
                f"an intrastate conflict with the member's government as side A is fought on "
                f"its territory; UCDP/PRIO ACD [ucdp-acd {rel}]"),
            member_revisionist=False, severity=10 * host + fat, intensity=level,
            threat="insurgency")
    return list(best.values())


def candidates(ctx: BuildContext, members: list[int], window: int = CRISIS_WINDOW
               ) -> list[Candidate]:
    """Every candidate crisis in the years `year - window` .. `year`, in the module's order."""
    if window < 0 or window > 100:
        raise UsageError("the window is a number of years from 0 to 100", param="window",
                         value=window)
    y0, y1 = ctx.year - window, ctx.year
    out: list[Candidate] = []
    if ctx.has("mid-participants"):
        out += _mid_candidates(ctx, members, y0, y1)
    if ctx.has("ucdp-acd"):
        out += _ucdp_candidates(ctx, members, y0, y1)
    out.sort(key=lambda c: (not c.territory, -c.severity, -c.year, c.id))
    return out


def find(ctx: BuildContext, members: list[int], crisis_id: str, window: int
         ) -> Candidate:
    """The candidate `crisis_id` (mid:N or ucdp:N), or a precise error."""
    key = crisis_id.strip().lower()
    prefix, _, num = key.partition(":")
    if prefix not in ("mid", "ucdp") or not num.isdigit():
        raise UsageError("a crisis id is mid:DISPNUM or ucdp:CONFLICT_ID (alliancesim data "
                         "crises lists them)", param="crisis", value=crisis_id)
    need = "mid-participants" if prefix == "mid" else "ucdp-acd"
    ctx.store.require(need, purpose=f"crisis {crisis_id}")
    found = [c for c in candidates(ctx, members, window) if c.id == key]
    if found:
        return found[0]
    if prefix == "mid":
        exists = ctx.query("SELECT min(styear), max(styear) FROM mid_participants WHERE "
                           "dispnum = ?", [int(num)])[0]
    else:
        exists = ctx.query("SELECT min(year), max(year) FROM ucdp_acd WHERE conflict_id = ?",
                           [int(num)])[0]
    if exists[0] is None:
        raise UsageError(f"no such {'dispute' if prefix == 'mid' else 'conflict'} in the data "
                         f"store's {need}", param="crisis", value=crisis_id)
    span = str(exists[0]) if exists[0] == exists[1] else f"{exists[0]}-{exists[1]}"
    raise UsageError(
        f"{key} ({span}) does not involve a member against a "
        f"non-member in {ctx.year - window}-{ctx.year} (MID: a member and a non-member on "
        "opposite sides; UCDP: an intrastate conflict of a member's government); see "
        "alliancesim data crises", param="crisis", value=crisis_id)


# --------------------------------------------------------------------------- non-state sides
# The strength a build writes for a non-state aggressor (the crisis's aggressor_strength), by
# rule; every figure is a JUDGEMENT and says so in the crisis description.
UNREST_STRENGTH: dict[str, Any] = {"dist": "uniform", "low": 1000, "high": 5000}
UNREST_STRENGTH_WHY = ("JUDGEMENT: the armed part of unrest, 1,000-5,000, the span of the "
                       "bundled cases' judgements (Belarus 2020: 1,000; Osh 2010: 3,000; "
                       "Kazakhstan 2022: 5,000)")
UCDP_STRENGTH = {1: 1000, 2: 10000}  # UCDP intensity level -> fighters (JUDGEMENT)
UCDP_STRENGTH_WHY = ("JUDGEMENT by rule over UCDP intensity: 1,000 fighters for a minor "
                     "conflict (25-999 battle deaths in the year), 10,000 for a war (1,000 or "
                     "more), about one fighter for each battle death a year, an order of "
                     "magnitude, not a count")
# The threat a non-state aggressor makes by default (`--threat` overrides). al-Qaeda: the rule T1
# of docs/coding.md (an armed attack from abroad on the scale of a state's: the NATO 2001 case).
NONSTATE_THREAT = {"UNREST": "internal_unrest", "ALQAEDA": "interstate_attack"}
NONSTATE_QUALITY = 0.7  # JUDGEMENT: an armed group fighting a state on its territory


@dataclass(frozen=True)
class NonStateSide:
    """A non-state aggressor: its id, what the scenario must carry for it, and its threat."""

    id: str
    name: str
    actor: dict[str, Any] | None  # an actor entry to write (UCDP groups); None: bundled
    strength: Any | None  # aggressor_strength to write; None: the bundled actor's troops
    strength_why: str
    threat: str


def bundled_nonstate() -> dict[str, dict[str, Any]]:
    """The bundled non-state actors (data/actors.yaml, kind: nonstate) by id."""
    import yaml

    from alliancesim.data import bundled

    doc = yaml.safe_load(bundled.ACTORS.read_text(encoding="utf-8"))["actors"]
    return {k: v for k, v in doc.items() if v.get("kind") == "nonstate"}


def _positive(troops: Any) -> bool:
    if isinstance(troops, int | float):
        return troops > 0
    return isinstance(troops, dict) and float(troops.get("high") or troops.get("mean") or 0) > 0


def nonstate_side(ctx: BuildContext, aid: str, found: Candidate | None) -> NonStateSide | None:
    """The non-state aggressor `aid` (a bundled non-state actor, or UCDP_N for the armed group
    of UCDP conflict N), or None when `aid` is not one."""
    bundled_ = bundled_nonstate()
    if aid in bundled_:
        entry = bundled_[aid]
        threat = NONSTATE_THREAT.get(aid, "insurgency")
        if _positive(entry.get("troops")):
            return NonStateSide(aid, entry["name"], None, None, (
                f"the bundled actor's strength ({entry.get('source', '')})"), threat)
        if aid == "UNREST":
            return NonStateSide(aid, entry["name"], None, UNREST_STRENGTH, UNREST_STRENGTH_WHY,
                                threat)
        return NonStateSide(aid, entry["name"], None, UCDP_STRENGTH[1],
                            "the bundled actor has no sourced strength: " + UCDP_STRENGTH_WHY
                            + " (a minor conflict)", threat)
    if not aid.startswith("UCDP_") or not aid[5:].isdigit():
        return None
    cid = int(aid[5:])
    if found is not None and found.id == f"ucdp:{cid}":
        name, level = found.other_name, found.intensity or 1
        year = found.year
    else:
        ctx.store.require("ucdp-acd", purpose=f"the armed group {aid}")
        rows = ctx.query("SELECT year, side_b, incompatibility, intensity_level FROM ucdp_acd "
                         "WHERE conflict_id = ? AND year <= ? ORDER BY year DESC LIMIT 1",
                         [cid, ctx.year])
        if not rows:
            raise UsageError(f"no UCDP conflict {cid} in or before {ctx.year} in the data "
                             "store's ucdp-acd", param="aggressor", value=aid)
        year, side_b, incomp, level = rows[0]
        name, level, year = ucdp_label(cid, side_b, incomp), int(level), int(year)
    rel = ctx.use("ucdp-acd")
    strength = UCDP_STRENGTH.get(level, UCDP_STRENGTH[1])
    actor = {"name": name[:120], "kind": "nonstate", "troops": strength,
             "quality": NONSTATE_QUALITY, "readiness_days": 1.0,
             "source": f"UCDP/PRIO ACD conflict {cid}, intensity {level} in {year} "
                       f"[ucdp-acd {rel}]; troops: {UCDP_STRENGTH_WHY}",
             "judgement": f"quality {NONSTATE_QUALITY}: an armed group fighting a state on its "
                          "territory (JUDGEMENT)"}
    return NonStateSide(aid, name, actor, strength, UCDP_STRENGTH_WHY, "insurgency")
