"""Build a scenario skeleton for an alliance in a year from the imported datasets.

`build_scenario(store, "csto", 2010)` returns the scenario (a plain dict, valid against
scenario.schema.Scenario) and the notes that say what was carried or assumed. Every value
carries its source: the dataset, its release and the variable (docs/data.md, "Building a
scenario", gives each rule):

- the crisis (crises.py): `--crisis ID` (a MID or UCDP conflict of `data crises`), else the
  most severe attack on a member's territory in the window (the year and the ten before), else a
  stated HYPOTHETICAL (the smallest member against the non-member, among the ten largest
  militaries, with the lowest affinity to it); the user's victim and aggressor (a state, a
  bundled non-state actor, or UCDP_N) override its sides. The crisis day is the crisis's start
  when it lies in the year, else the date given, else 1 July.
- members (membership.py): in force on the crisis day by ATOP's entry and exit dates, else COW
  Formal Alliances; after the dataset's end, its last membership (a note; the source says so).
  An alliance ATOP does not code is given by hand in data/alliance_ids.yaml (`by_hand`: members
  with their dates, provisions in ATOP's terms, each with its source); its members and
  provisions are used exactly where ATOP's would be, and its sources cited instead of ATOP.
- capabilities: NMC milper (thousands) -> troops; milex (thousands of current US$) -> milex;
  tpop -> population. After NMC's last year, SIPRI for milex where it has the year, and the
  last NMC year for troops (said in the source).
- leader and the leader's stake (leaders.py): COW major power, else Maoz regional power, else
  the member with half the members' capabilities, else none; the stake as a leader-victim tie.
- provisions: ATOP alliance level (defense, consul, defcon and the member-level defence
  conditions) mapped onto the alliance's scope; ATOP codes no decision rule, so consensus (a
  by-hand entry may give the treaty's own rule, with its source).
- standing forces: no dataset codes pledges: STANDING_SHARE of each member's personnel.
- ties: every other ATOP defence pact in force between the leader and a member.
- affinities: datasets.affinity (ideal points; portfolio similarity before 1946).
- geography (geography.py): capitals of the states; contiguity and distance of every member
  with the victim and with a state aggressor. Crisis exposure is left to the model's rule, and a
  state aggressor's strength to the model (troops x commitment discounted by distance); a
  non-state aggressor's strength is written by crises.py's rules.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import yaml

from alliancesim.datasets import crises
from alliancesim.datasets.affinity import (
    PairAffinity,
    ideal_point_affinities,
    portfolio_similarity,
)
from alliancesim.datasets.codes import actor_id, ccode_of, state_name
from alliancesim.datasets.context import BuildContext, mid_year
from alliancesim.datasets.geography import capital
from alliancesim.datasets.geography import pairs as geo_pairs
from alliancesim.datasets.leaders import choose_leader, leader_stake
from alliancesim.datasets.membership import (
    AllianceRef,
    alliance_ref,
    in_force,
    members_in_year,
    members_on,
)
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.errors import UsageError

STANDING_SHARE = 0.05  # JUDGEMENT: share of personnel deployable fast to a collective operation
CONDITIONAL_COVERAGE = 0.75  # JUDGEMENT: coverage of a defence clause with conditions
CONSULTATION_COVERAGE = 0.25  # JUDGEMENT: coverage when the treaty only promises consultation
QUALITY, READINESS = 1.0, 2.0  # stated defaults (the datasets code neither)


@dataclass
class Built:
    scenario: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    datasets: dict[str, str] = field(default_factory=dict)  # kind -> release used

    def to_yaml(self) -> str:
        head = ["# Built by `alliancesim data build` from the datasets in the local store "
                "(docs/data.md).", "# Datasets used: " + ", ".join(
                    f"{k} {v}" for k, v in sorted(self.datasets.items())) + ".",
                "# Every value says its source; JUDGEMENT marks a stated default no dataset "
                "gives.", *(f"# NOTE: {n}" for n in self.notes)]
        body = yaml.safe_dump(self.scenario, sort_keys=False, allow_unicode=True, width=100)
        return "\n".join(head) + "\n" + body


class _Builder(BuildContext):
    def __init__(self, store: DataStore, ref: AllianceRef, year: int) -> None:
        super().__init__(store, year)
        self.ref = ref
        self.consults = False  # the treaty obliges consultation (ATOP consul, COW entente)
        self.provisions_from = ""  # where the provisions came from (cited by the decision rule)

    # ------------------------------------------------------------------ members
    def members_in_year(self) -> list[int]:
        return members_in_year(self, self.ref)

    def members(self, day: datetime.date) -> tuple[list[int], str, datetime.date]:
        return members_on(self, self.ref, day)

    # ------------------------------------------------------------------ capabilities
    def actor(self, ccode: int) -> dict[str, Any]:
        year = self.year
        self.store.require("nmc", purpose="actors' capabilities")
        rel = self.use("nmc")
        rows = self.query(
            "SELECT year, milper, milex, tpop FROM nmc WHERE ccode = ? AND year <= ? AND "
            "milper IS NOT NULL ORDER BY year DESC LIMIT 1", [ccode, year])
        name = state_name(ccode)
        if not rows:
            raise UsageError(f"NMC v{rel} has no military personnel for {name} (COW {ccode}) "
                             f"in or before {year}", param="year", value=year)
        y, milper, milex, tpop = rows[0]
        troops = round(float(milper) * 1000)
        sources = [f"troops: NMC v{rel} milper {y} = {milper:g} thousand [nmc {rel}]"]
        milex_m = float(milex) / 1000 if milex is not None else None
        if y != year:
            sources[0] += f" (NMC ends before {year})"
        if milex_m is not None and y == year:
            sources.append(f"milex: NMC v{rel} {y} (thousands of current US$) [nmc {rel}]")
        elif self.has("sipri"):
            srel = self.imports["sipri"].release
            hit = self.query("SELECT milex_usd_m FROM sipri_milex WHERE ccode = ? AND "
                                   "year = ?", [ccode, year])
            if hit:
                self.used["sipri"] = srel
                milex_m = float(hit[0][0])
                sources.append(f"milex: SIPRI {srel} edition {year} (current US$ m) "
                               f"[sipri {srel}]")
            elif milex_m is not None:
                sources.append(f"milex: NMC v{rel} {y}")
        elif milex_m is not None:
            sources.append(f"milex: NMC v{rel} {y}")
        out: dict[str, Any] = {"name": name, "kind": "state", "troops": troops}
        if milex_m is not None:
            out["milex_usd_m"] = round(milex_m, 1)
        if tpop is not None:
            out["population_m"] = round(float(tpop) / 1000, 3)
            sources.append(f"population: NMC v{rel} tpop {y}")
        out.update(quality=QUALITY, readiness_days=READINESS, source="; ".join(sources),
                   judgement=f"quality {QUALITY} and readiness {READINESS:g} days: stated "
                             "defaults (no dataset codes them); override in the scenario")
        return out

    # ------------------------------------------------------------------ provisions
    def provisions(self) -> tuple[dict[str, Any], str]:
        ref = self.ref
        flags: dict[str, float] = {}
        src = ""
        cites = ""
        if ref.by_hand is not None:
            flags = ref.by_hand.flags()
            src = f"by hand (data/alliance_ids.yaml, {ref.label})"
            cites = " (read from: " + "; ".join(
                f"{n}, {p.source}" for n, p in ref.by_hand.provisions.items()) + ")"
        elif ref.atop is not None and self.has("atop-alliances"):
            rel = self.use("atop-alliances")
            cur = self.query("SELECT defense, offense, neutral, nonagg, consul, conditio, "
                                   "defcon, milaid, base, intcom, organ1 FROM atop_alliances "
                                   "WHERE atopid = ?", [ref.atop])
            if cur:
                names = ("defense", "offense", "neutral", "nonagg", "consul", "conditio",
                         "defcon", "milaid", "base", "intcom", "organ1")
                flags = {n: float(v or 0) for n, v in zip(names, cur[0], strict=True)}
                src = f"ATOP v{rel} alliance level, atopid {ref.atop} [atop-alliances {rel}]"
            if self.has("atop-members"):
                conds = self.query(
                    "SELECT max(defcoadv), max(defcoloc), max(defcocon), max(defconum), "
                    "max(defcodem), max(defconpr) FROM atop_members WHERE atopid = ?",
                    [ref.atop])
                for n, v in zip(("defcoadv", "defcoloc", "defcocon", "defconum", "defcodem",
                                 "defconpr"), conds[0], strict=True):
                    flags[n] = float(v or 0)
        elif ref.cow is not None and self.has("cow-alliance"):
            rel = self.use("cow-alliance")
            cur = self.query("SELECT max(defense), max(neutrality), max(nonaggression), "
                                   "max(entente) FROM cow_alliance WHERE version4id = ?",
                                   [ref.cow])
            values = [float(v or 0) for v in cur[0]]
            flags = dict(zip(("defense", "neutral", "nonagg", "consul"), values, strict=True))
            src = f"COW Formal Alliances v{rel}, version4id {ref.cow} [cow-alliance {rel}]"
        if not flags:
            self.notes.append("no provisions found: the schema's default scope")
            return {}, ""
        conditions = [n for n in ("defcoadv", "defcoloc", "defcocon", "defconum", "defcodem",
                                  "defconpr") if flags.get(n, 0) > 0]
        if flags.get("defense") == 1 and not flags.get("defcon") and not conditions:
            cov, why = 1.0, "defense=1, unconditional (defcon=0)"
        elif flags.get("defense") == 1:
            cov = CONDITIONAL_COVERAGE
            why = (f"defense=1 with conditions (defcon={flags.get('defcon', 0):g}"
                   + (f"; {', '.join(conditions)}" if conditions else "")
                   + f"): JUDGEMENT {CONDITIONAL_COVERAGE} for a conditional clause")
        elif flags.get("consul") == 1:
            cov, why = CONSULTATION_COVERAGE, (f"defense=0, consul=1: JUDGEMENT "
                                               f"{CONSULTATION_COVERAGE} for consultation only")
        else:
            cov, why = 0.0, "no defence or consultation obligation (defense=0, consul=0)"
        scope = {
            "interstate_attack": {"coverage": cov, "source": f"{src}: {why}"},
            "cross_border_incursion": {"coverage": cov, "source": f"{src}: {why}"},
            "insurgency": {"coverage": round(cov / 2, 3), "source": (
                f"JUDGEMENT: half the defence coverage ({cov:g}); no ATOP variable codes "
                "insurgency")},
            "internal_unrest": {"coverage": 0.0, "source": (
                "JUDGEMENT: ATOP codes obligations against outside attack; domestic unrest is "
                "outside unless the treaty says so (set it by hand)")},
            "member_clash": {"coverage": 0.0, "source": (
                "JUDGEMENT: defence obligations are against non-members")},
        }
        self.consults = flags.get("consul") == 1
        self.provisions_from = src
        extra = [f"{n}={flags[n]:g}" for n in ("offense", "neutral", "nonagg", "consul",
                                                "milaid", "base", "intcom", "organ1")
                 if flags.get(n)]
        return scope, f"{src}: defense={flags.get('defense', 0):g}" + (
            f"; {', '.join(extra)}" if extra else "") + cites

    def ties(self, lead: int, members: list[int], victim: int, day: datetime.date
             ) -> list[dict[str, Any]]:
        """Leader-member ties from other ATOP defence pacts in force on `day` (the dataset's
        last day after it ends); the victim's tie is the leader's stake (leaders.py). A by-hand
        alliance is in no ATOP pact: every ATOP defence pact between the two counts."""
        if (self.ref.atop is None and self.ref.by_hand is None) or not self.has("atop-members"):
            return []
        own = self.ref.atop if self.ref.atop is not None else -1
        rel = self.use("atop-members")
        d = min(day, datetime.date(self.last_year("atop-members"), 12, 31))
        out = []
        for m in members:
            if m in (lead, victim):
                continue
            rows = self.query(
                "SELECT DISTINCT a.atopid FROM atop_members a JOIN atop_members b "
                "ON a.atopid = b.atopid WHERE a.member = ? AND b.member = ? AND a.atopid != ? "
                f"AND a.defense = 1 AND b.defense = 1 AND {in_force('a')} AND {in_force('b')} "
                "ORDER BY 1", [lead, m, own, d, d, d, d])
            if rows:
                ids = ", ".join(str(r[0]) for r in rows)
                out.append({"a": actor_id(lead, self.year), "b": actor_id(m, self.year),
                            "strength": 1.0, "source": (
                                f"ATOP v{rel}: other defence pact(s) in force on {d}, "
                                f"atopid {ids} [atop-members {rel}]")})
        return out

    # ------------------------------------------------------------------ affinities
    def affinities(self, codes: list[int]) -> tuple[list[dict[str, Any]], list[PairAffinity]]:
        pairs = [(a, b) for i, a in enumerate(codes) for b in codes[i + 1:]]
        found: dict[tuple[int, int], PairAffinity] = {}
        if self.year >= 1946 and self.has("ideal-points"):
            rel = self.use("ideal-points")
            y = min(self.year, self.last_year("ideal-points"))
            if y != self.year:
                self.notes.append(f"ideal points ({rel}) end in {y}: affinities of {y}")
            found = ideal_point_affinities(self.store, pairs, y, rel)
        rest = [p for p in pairs if p not in found]
        if rest and self.has("atop-dyads") and self.has("cow-system"):
            rel = self.use("atop-dyads")
            self.use("cow-system")
            y = min(self.year, self.last_year("atop-dyads"))
            found.update(portfolio_similarity(self.store, rest, y, rel))
            if self.year >= 1946:
                self.notes.append(f"{len(rest)} pair(s) without ideal points: alliance-portfolio "
                                  "similarity instead")
        missing = [p for p in pairs if p not in found]
        if missing:
            self.notes.append(f"{len(missing)} pair(s) without any affinity measure (import "
                              "ideal-points, or atop-dyads and cow-system): they take 0")
        out = [{"a": actor_id(a, self.year), "b": actor_id(b, self.year), "value": v.value,
                "reason": v.reason} for (a, b), v in sorted(found.items())]
        return out, list(found.values())


    # ------------------------------------------------------------------ fallback crisis
    def fallback_crisis(self, members: list[int], lead: int | None,
                        actors: dict[int, dict[str, Any]], victim: int | None = None
                        ) -> tuple[int, int, str]:
        """No attack on a member's territory in the window: the smallest member (or `victim`)
        against the non-member, among the ten largest militaries, with the lowest affinity to
        it."""
        smallest = victim if victim is not None else min(
            (m for m in members if m != lead), key=lambda m: actors[m]["troops"])
        y = min(self.year, self.last_year("nmc"))
        big = [int(r[0]) for r in self.query(
            "SELECT ccode FROM nmc WHERE year = ? AND milper IS NOT NULL ORDER BY milper DESC "
            "LIMIT 10", [y])]
        candidates = [c for c in big if c not in members] or big
        aff = self.affinities([smallest, *candidates])[1]
        score = {(p.b if p.a == smallest else p.a): p.value for p in aff
                 if smallest in (p.a, p.b)}
        aggressor = min(candidates, key=lambda c: score.get(c, 0.0))
        return smallest, aggressor, (
            "no attack on a member's territory in the window (docs/data.md, 'Crises worth "
            "simulating'): a HYPOTHETICAL crisis, the smallest member against the non-member, "
            "among the ten largest militaries, with the lowest affinity to it")


def _default_candidate(b: _Builder, found: list[crises.Candidate], victim: int | None
                       ) -> crises.Candidate | None:
    """The first candidate with a member's territory attacked (for `victim` when given) whose
    member is a member on the crisis day (its start, in the build's year; else mid-year)."""
    for c in found:
        if not c.territory or (victim is not None and c.member != victim):
            continue
        day = c.date if c.date is not None and c.date.year == b.year else mid_year(b.year)
        try:
            on_day, _, _ = b.members(day)
        except UsageError:
            continue
        if c.member in on_day:
            return c
    return None


def _crisis_day(b: _Builder, found: crises.Candidate | None,
                date: datetime.date | None) -> tuple[datetime.date, str]:
    if date is not None:
        if date.year != b.year:
            raise UsageError(f"the crisis date must lie in the build's year {b.year}",
                             param="date", value=str(date))
        return date, "the date given"
    if found is not None and found.date is not None and found.date.year == b.year:
        return found.date, f"the start of {found.id}"
    return mid_year(b.year), "1 July of the year: no crisis date in the year"


def _by_hand_rule(b: _Builder) -> dict[str, Any]:
    """The treaty's own decision rule from a by-hand entry, cited; under consensus with a
    consultation obligation (consul=1), consultations take a simple majority as for an ATOP
    alliance (the build's rule for consul)."""
    hand = b.ref.by_hand
    assert hand is not None and hand.decision_rule is not None
    rule = hand.decision_rule
    out: dict[str, Any] = {"rule": rule.rule}
    src = f"by hand (data/alliance_ids.yaml, {b.ref.label}): {rule.source}"
    if rule.rule == "consensus" and b.consults:
        out["consensus_from"] = "mission"
        src += ("; consultations at a member's request by simple majority: the treaty obliges "
                "consultation (consul=1)")
    elif rule.rule == "consensus":
        src += "; the treaty codes no consultation obligation (consul=0): consensus on every rung"
    out["source"] = src
    return out


def build_scenario(store: DataStore, alliance: str, year: int, *, victim: str | None = None,
                   aggressor: str | None = None, threat: str | None = None,
                   crisis: str | None = None, window: int = crises.CRISIS_WINDOW,
                   date: datetime.date | None = None) -> Built:
    """A complete scenario for `alliance` in `year`, every value from the datasets or stated.

    The crisis: `crisis` (an id of `alliancesim data crises`), else the most severe attack on a
    member's territory in the window (crises.py), else a stated hypothetical; `victim` and
    `aggressor` override its sides. Members are those in force on the crisis day."""
    ref = alliance_ref(alliance)
    if not 1816 <= year <= 2100:
        raise UsageError("must be a year from 1816 on", param="year", value=year)
    store.require("nmc", purpose="building a scenario")
    b = _Builder(store, ref, year)
    with b.session():
        return _build(b, victim=victim, aggressor=aggressor, threat=threat, crisis=crisis,
                      window=window, date=date)


def _build(b: _Builder, *, victim: str | None, aggressor: str | None, threat: str | None,
           crisis: str | None, window: int, date: datetime.date | None) -> Built:
    ref, year = b.ref, b.year
    year_members = b.members_in_year()
    v_code = None
    if victim is not None:
        v_code = ccode_of(victim, year)
        if v_code is None or v_code not in year_members:
            raise UsageError(f"not a member of {ref.name} in {year} (members: "
                             f"{', '.join(actor_id(m, year) for m in year_members)})",
                             param="victim", value=victim)
    found: crises.Candidate | None = None
    if crisis is not None:
        found = crises.find(b, year_members, crisis, window)
    elif aggressor is None:
        found = _default_candidate(b, crises.candidates(b, year_members, window), v_code)
    day, day_why = _crisis_day(b, found, date)
    members, member_src, member_day = b.members(day)
    actors = {m: b.actor(m) for m in members}
    leader = choose_leader(b, members, member_day,
                           {m: actors[m].get("milex_usd_m") for m in members})
    lead = leader.ccode
    scope, prov_src = b.provisions()

    # the sides
    nonstate: crises.NonStateSide | None = None
    a_code: int | None = None
    if aggressor is not None:
        a_code = ccode_of(aggressor, year)
        if a_code is None:
            nonstate = crises.nonstate_side(b, aggressor, found)
            if nonstate is None:
                raise UsageError(
                    "not an actor this tool knows: a state (ISO 3166 alpha-3, data/cow_iso.csv),"
                    " a bundled non-state actor (" + ", ".join(crises.bundled_nonstate())
                    + ") or UCDP_N for the armed group of UCDP conflict N", param="aggressor",
                    value=aggressor)
    elif found is not None:
        a_code = found.other
        if a_code is None:
            nonstate = crises.nonstate_side(b, found.other_id, found)
    if v_code is None and found is not None:
        v_code = found.member
    why = ("the crisis " + found.describe()) if found is not None else ""
    if found is None and (v_code is None or (a_code is None and nonstate is None)):
        v_fb, a_fb, why = b.fallback_crisis(members, lead, actors,
                                            v_code if v_code in members else None)
        if aggressor is not None:  # only the victim is missing
            why = (f"the aggressor {aggressor} named by the user; the victim, none being named, "
                   "the smallest member other than the leader")
        elif victim is not None:
            why = (f"the victim {victim} named by the user; no attack on its territory in the "
                   "window: a HYPOTHETICAL aggressor, the non-member among the ten largest "
                   "militaries with the lowest affinity to it")
        b.note(why)
        v_code = v_code if v_code is not None else v_fb
        if a_code is None and nonstate is None:
            a_code = a_fb
    elif found is None:
        why = "victim and aggressor named by the user"
    elif victim is not None or aggressor is not None:
        why += "; " + " and ".join(x for x in (
            f"the victim {victim}" if victim is not None else "",
            f"the aggressor {aggressor}" if aggressor is not None else "") if x) + \
            " named by the user"
    assert v_code is not None
    if v_code not in members:
        raise UsageError(f"{state_name(v_code)} is not a member of {ref.name} on {member_day} "
                         f"({member_src}); members: "
                         f"{', '.join(actor_id(m, year) for m in members)}",
                         param="victim" if victim is not None else "crisis",
                         value=victim or (found.id if found else ""))
    if a_code is not None and a_code == v_code:
        raise UsageError("the victim and the aggressor are the same state", param="aggressor",
                         value=aggressor)
    if a_code is not None and a_code in members:
        b.note(f"the aggressor {state_name(a_code)} is a member: a clash between members")
    if a_code is not None and a_code not in actors:
        actors[a_code] = b.actor(a_code)

    # threat
    if threat is None:
        if nonstate is not None:
            threat = nonstate.threat
        elif found is not None:
            threat = found.threat
        else:
            threat = "member_clash" if a_code in members else "interstate_attack"
    codes = [*members, *([a_code] if a_code is not None and a_code not in members else [])]
    ids = {c: actor_id(c, year) for c in codes}
    for c in codes:
        cap = capital(b, c, member_day)
        if cap is not None:
            actors[c]["capital"] = cap
    pairs, _ = b.affinities(codes)
    geography = geo_pairs(b, members, v_code, a_code, member_day)
    alliance_id = ref.label.replace("_", "-")
    standing = {ids[m]: {"troops": round(STANDING_SHARE * actors[m]["troops"]), "source": (
        f"JUDGEMENT: {STANDING_SHARE:.0%} of NMC personnel; no dataset codes pledges")}
        for m in members}
    body: dict[str, Any] = {
        "id": alliance_id, "name": ref.name, "as_of": str(member_day),
        "members": [ids[m] for m in members],
        "leader": ids[lead] if lead is not None else None,
        "source": member_src + f" (the crisis day: {day_why})"
        + (f"; leader ({leader.branch}): {leader.source}" if lead is not None
           else "; no leader: " + leader.source)
        + (f"; provisions: {prov_src}" if prov_src else ""),
        "decision_rule": _by_hand_rule(b) if ref.by_hand and ref.by_hand.decision_rule else (
            {"rule": "consensus", "consensus_from": "mission", "source": (
            f"consultations at a member's request: the treaty obliges consultation (consul=1, "
            f"{b.provisions_from}), as the CSTO's art. 2 and NATO's art. 4 do, so they "
            "take a simple majority; consensus from missions up: JUDGEMENT, the norm of "
            "alliance councils (ATOP and COW code no decision rule)")}
            if b.consults else {"rule": "consensus", "source": (
                "JUDGEMENT: ATOP and COW code no decision rule; consensus, the norm of alliance "
                "councils (the treaty codes no consultation obligation: consensus on every "
                "rung)")}),
    }
    if body["leader"] is None:
        del body["leader"]
    if scope:
        body["scope"] = scope
    body["standing_forces"] = standing
    ties = b.ties(lead, members, v_code, member_day) if lead is not None else []
    if lead is not None:
        stake = leader_stake(b, lead, v_code, a_code, member_day, ref.atop)
        if stake is not None:
            ties.append(stake)
    if ties:
        body["ties"] = ties
    a_id = ids[a_code] if a_code is not None else (nonstate.id if nonstate else "")
    a_name = state_name(a_code) if a_code is not None else (nonstate.name if nonstate else "")
    out_actors = {ids[c]: actors[c] for c in codes}
    if nonstate is not None and nonstate.actor is not None:
        out_actors[nonstate.id] = nonstate.actor
    the_crisis: dict[str, Any] = {
        "id": f"{ids[v_code].lower().replace('_', '-')}-{a_id.lower().replace('_', '-')}",
        "title": (f"{a_name} against {state_name(v_code)} ("
                  + (f"{found.id}, {found.year}; " if found is not None else "")
                  + f"the alliance as of {member_day})"),
        "description": f"Crisis chosen as {why}. Crisis day {day} ({day_why})" + (
            f"; the members as of {member_day}, the last day the membership data give"
            if member_day != day else "") + ".",
        "victim": ids[v_code], "aggressor": a_id, "threat": threat,
    }
    if found is not None and found.member_revisionist and found.member == v_code:
        the_crisis["territory"] = "disputed"
        the_crisis["description"] += (" Territory disputed: the member is the revisionist "
                                      "initiator of the dispute (MID side A, revstate 1).")
    if nonstate is not None and nonstate.strength is not None:
        the_crisis["aggressor_strength"] = nonstate.strength
        the_crisis["description"] += f" Aggressor strength: {nonstate.strength_why}."
    elif nonstate is not None:
        the_crisis["description"] += f" Aggressor strength: {nonstate.strength_why}."
    scenario: dict[str, Any] = {
        "name": f"{alliance_id}-{year}",
        "title": f"{ref.name}, {year} (built from the datasets)",
        "description": f"Built by alliancesim data build --alliance {ref.label} --year {year}"
                       + (f" --crisis {crisis}" if crisis else "") + ".",
        "alliance": body,
        "actors": out_actors,
        "affinity": pairs,
    }
    if geography:
        scenario["geography"] = geography
    scenario["crises"] = [the_crisis]
    return Built(scenario=scenario, notes=b.notes, datasets=dict(b.used))


def crisis_list(store: DataStore, alliance: str, year: int,
                window: int = crises.CRISIS_WINDOW) -> tuple[list[crises.Candidate], Built]:
    """The candidate crises of `alliance` in `year` (crises.py's order) and the notes."""
    ref = alliance_ref(alliance)
    b = _Builder(store, ref, year)
    if not b.has("mid-participants") and not b.has("ucdp-acd"):
        store.require("mid-participants", "ucdp-acd", purpose="listing crises")
    with b.session():
        found = crises.candidates(b, b.members_in_year(), window)
    return found, Built(scenario={}, notes=b.notes, datasets=dict(b.used))


def actor_from_datasets(store: DataStore, ccode: int, year: int
                        ) -> tuple[dict[str, Any], dict[str, str]]:
    """One state's actor entry for `year` from the data store (the rules of build_scenario),
    and the datasets it used."""
    b = _Builder(store, AllianceRef("actor", "actor", None, None), year)
    return b.actor(ccode), dict(b.used)
