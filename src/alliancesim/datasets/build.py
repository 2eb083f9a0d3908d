"""Build a scenario skeleton for an alliance in a year from the imported datasets.

`build_scenario(store, "csto", 2010)` returns the scenario (a plain dict, valid against
scenario.schema.Scenario) and the notes that say what was carried or assumed. Every value
carries its source: the dataset, its release and the variable (docs/data.md, "Building a
scenario", gives each rule):

- members: ATOP member level (atopid; a member in `year` when yrent <= year <= yrexit, or
  yrexit 0), else COW Formal Alliances (mem_st_year <= year <= mem_end_year).
- capabilities: NMC milper (thousands) -> troops; milex (thousands of current US$) -> milex;
  tpop -> population. After NMC's last year, SIPRI for milex where it has the year, and the
  last NMC year for troops (said in the source).
- leader: the COW major power among the members (the one with the largest military
  expenditure if several); none if there is none.
- provisions: ATOP alliance level (defense, consul, defcon and the member-level defence
  conditions) mapped onto the alliance's scope; ATOP codes no decision rule, so consensus.
- standing forces: no dataset codes pledges: STANDING_SHARE of each member's personnel.
- ties: every other ATOP defence pact in force between the leader and a member.
- affinities: datasets.affinity (ideal points; portfolio similarity before 1946).
- the crisis: the most recent MID (within CRISIS_LOOKBACK years) between a member and a
  non-member, else the smallest member against the non-member with the lowest affinity
  among the ten largest militaries; or the victim and aggressor the user names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from alliancesim.data import bundled
from alliancesim.datasets.affinity import (
    PairAffinity,
    ideal_point_affinities,
    portfolio_similarity,
)
from alliancesim.datasets.codes import actor_id, ccode_of, state_name
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.errors import UsageError

STANDING_SHARE = 0.05  # JUDGEMENT: share of personnel deployable fast to a collective operation
CONDITIONAL_COVERAGE = 0.75  # JUDGEMENT: coverage of a defence clause with conditions
CONSULTATION_COVERAGE = 0.25  # JUDGEMENT: coverage when the treaty only promises consultation
CRISIS_LOOKBACK = 10  # years of MIDs searched for the default crisis
QUALITY, READINESS = 1.0, 2.0  # stated defaults (the datasets code neither)


@dataclass(frozen=True)
class AllianceRef:
    label: str
    name: str
    atop: int | None
    cow: int | None


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


class _Builder:
    def __init__(self, store: DataStore, ref: AllianceRef, year: int) -> None:
        self.store, self.ref, self.year = store, ref, year
        self.imports = {i.kind: i for i in store.imported()}
        self.notes: list[str] = []
        self.used: dict[str, str] = {}

    def use(self, kind: str) -> str:
        release = self.imports[kind].release
        self.used[kind] = release
        return release

    def has(self, kind: str) -> bool:
        return kind in self.imports

    def last_year(self, kind: str) -> int:
        y = self.imports[kind].last_year
        return int(y) if y is not None else self.year

    # ------------------------------------------------------------------ members
    def members(self) -> tuple[list[int], str]:
        ref, year = self.ref, self.year
        if ref.atop is not None and self.has("atop-members"):
            rel = self.use("atop-members")
            y = min(year, self.last_year("atop-members"))
            if y != year:
                self.notes.append(f"ATOP {rel} ends in {y}: members as of {y}")
            rows = self.store.query(
                "SELECT DISTINCT member FROM atop_members WHERE atopid = ? AND yrent <= ? AND "
                "(yrexit IS NULL OR yrexit = 0 OR yrexit >= ?) ORDER BY member",
                [ref.atop, y, y])
            src = (f"ATOP v{rel} member level, atopid {ref.atop}, members in {y} "
                   f"[atop-members {rel}]")
        elif ref.cow is not None and self.has("cow-alliance"):
            rel = self.use("cow-alliance")
            y = min(year, self.last_year("cow-alliance"))
            if y != year:
                self.notes.append(f"COW Formal Alliances {rel} ends in {y}: members as of {y}")
            rows = self.store.query(
                "SELECT DISTINCT ccode FROM cow_alliance WHERE version4id = ? AND mem_st_year "
                "<= ? AND (mem_end_year IS NULL OR mem_end_year >= ?) ORDER BY ccode",
                [ref.cow, y, y])
            src = (f"COW Formal Alliances v{rel}, version4id {ref.cow}, members in {y} "
                   f"[cow-alliance {rel}]")
        else:
            need = "atop-members" if ref.atop is not None else "cow-alliance"
            self.store.require(need, purpose=f"building {ref.label}")
            raise AssertionError("unreachable")
        codes = [int(r[0]) for r in rows]
        outside = [c for c in codes if c > 999]
        if outside:
            self.notes.append(f"left out member code(s) {outside}: not states of the COW system")
        codes = [c for c in codes if c <= 999]
        if len(codes) < 2:
            raise UsageError(f"{ref.name} has {len(codes)} member state(s) in {year} in the "
                             f"data ({src}); an alliance needs two. Is it in force that year?",
                             param="year", value=year)
        return codes, src

    # ------------------------------------------------------------------ capabilities
    def actor(self, ccode: int) -> dict[str, Any]:
        year = self.year
        self.store.require("nmc", purpose="actors' capabilities")
        rel = self.use("nmc")
        rows = self.store.query(
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
            hit = self.store.query("SELECT milex_usd_m FROM sipri_milex WHERE ccode = ? AND "
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

    # ------------------------------------------------------------------ leader
    def leader(self, members: list[int], actors: dict[int, dict[str, Any]]) -> int | None:
        if not self.has("cow-majors"):
            self.notes.append("no cow-majors dataset imported: no leader")
            return None
        rel = self.use("cow-majors")
        y = min(self.year, self.last_year("cow-majors"))
        majors = {int(r[0]) for r in self.store.query(
            "SELECT ccode FROM cow_majors WHERE styear <= ? AND endyear >= ?", [y, y])}
        among = [m for m in members if m in majors]
        if not among:
            self.notes.append(f"no COW major power ({rel}, {y}) among the members: no leader")
            return None
        lead = max(among, key=lambda m: actors[m].get("milex_usd_m") or 0.0)
        self.leader_source = (f"COW major powers v{rel} [cow-majors {rel}], {y}: "
                              + ", ".join(state_name(m) for m in among)
                              + ("; the largest military expenditure" if len(among) > 1 else ""))
        return lead

    # ------------------------------------------------------------------ provisions
    def provisions(self) -> tuple[dict[str, Any], str]:
        ref = self.ref
        flags: dict[str, float] = {}
        src = ""
        if ref.atop is not None and self.has("atop-alliances"):
            rel = self.use("atop-alliances")
            cur = self.store.query("SELECT defense, offense, neutral, nonagg, consul, conditio, "
                                   "defcon, milaid, base, intcom, organ1 FROM atop_alliances "
                                   "WHERE atopid = ?", [ref.atop])
            if cur:
                names = ("defense", "offense", "neutral", "nonagg", "consul", "conditio",
                         "defcon", "milaid", "base", "intcom", "organ1")
                flags = {n: float(v or 0) for n, v in zip(names, cur[0], strict=True)}
                src = f"ATOP v{rel} alliance level, atopid {ref.atop} [atop-alliances {rel}]"
            if self.has("atop-members"):
                conds = self.store.query(
                    "SELECT max(defcoadv), max(defcoloc), max(defcocon), max(defconum), "
                    "max(defcodem), max(defconpr) FROM atop_members WHERE atopid = ?",
                    [ref.atop])
                for n, v in zip(("defcoadv", "defcoloc", "defcocon", "defconum", "defcodem",
                                 "defconpr"), conds[0], strict=True):
                    flags[n] = float(v or 0)
        elif ref.cow is not None and self.has("cow-alliance"):
            rel = self.use("cow-alliance")
            cur = self.store.query("SELECT max(defense), max(neutrality), max(nonaggression), "
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
        extra = [f"{n}={flags[n]:g}" for n in ("offense", "neutral", "nonagg", "consul",
                                                "milaid", "base", "intcom", "organ1")
                 if flags.get(n)]
        return scope, f"{src}: defense={flags.get('defense', 0):g}" + (
            f"; {', '.join(extra)}" if extra else "")

    def ties(self, lead: int, members: list[int]) -> list[dict[str, Any]]:
        if self.ref.atop is None or not self.has("atop-members"):
            return []
        rel = self.use("atop-members")
        y = min(self.year, self.last_year("atop-members"))
        out = []
        for m in members:
            if m == lead:
                continue
            rows = self.store.query(
                "SELECT DISTINCT a.atopid FROM atop_members a JOIN atop_members b "
                "ON a.atopid = b.atopid WHERE a.member = ? AND b.member = ? AND a.atopid != ? "
                "AND a.defense = 1 AND b.defense = 1 AND a.yrent <= ? AND b.yrent <= ? AND "
                "(a.yrexit = 0 OR a.yrexit IS NULL OR a.yrexit >= ?) AND "
                "(b.yrexit = 0 OR b.yrexit IS NULL OR b.yrexit >= ?) ORDER BY 1",
                [lead, m, self.ref.atop, y, y, y, y])
            if rows:
                ids = ", ".join(str(r[0]) for r in rows)
                out.append({"a": actor_id(lead, self.year), "b": actor_id(m, self.year),
                            "strength": 1.0, "source": (
                                f"ATOP v{rel}: other defence pact(s) in force in {y}, "
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

    # ------------------------------------------------------------------ crisis
    def default_crisis(self, members: list[int], lead: int | None,
                       actors: dict[int, dict[str, Any]]) -> tuple[int, int, str]:
        if self.has("mid-participants"):
            rel = self.use("mid-participants")
            marks = ",".join(str(m) for m in members)
            lead_code = lead if lead is not None else -1
            rows = self.store.query(
                f"SELECT a.dispnum, a.styear, a.ccode, b.ccode, b.hostlev FROM mid_participants "
                f"a JOIN mid_participants b ON a.dispnum = b.dispnum AND a.sidea != b.sidea "
                f"WHERE a.ccode IN ({marks}) AND b.ccode NOT IN ({marks}) AND a.sidea = 0 AND "
                f"b.hostlev >= 3 AND a.styear BETWEEN ? AND ? ORDER BY (a.ccode = ?) ASC, "
                f"(b.hostlev >= 4) DESC, a.styear DESC, a.dispnum DESC LIMIT 1",
                [self.year - CRISIS_LOOKBACK, self.year, lead_code])
            if rows:
                disp, y, v, a, host = (int(x) for x in rows[0])
                return v, a, (f"the most recent militarized dispute in the {CRISIS_LOOKBACK} "
                              f"years to {self.year} in which a member (preferably not the "
                              f"leader) was targeted by a non-member that displayed or used "
                              f"force (hostility {host}, uses of force first): MID {disp} "
                              f"({y}), MID v{rel} [mid-participants {rel}]")
        smallest = min((m for m in members if m != lead), key=lambda m: actors[m]["troops"])
        y = min(self.year, self.last_year("nmc"))
        big = [int(r[0]) for r in self.store.query(
            "SELECT ccode FROM nmc WHERE year = ? AND milper IS NOT NULL ORDER BY milper DESC "
            "LIMIT 10", [y])]
        candidates = [c for c in big if c not in members] or big
        aff = self.affinities([smallest, *candidates])[1]
        score = {(p.b if p.a == smallest else p.a): p.value for p in aff
                 if smallest in (p.a, p.b)}
        aggressor = min(candidates, key=lambda c: score.get(c, 0.0))
        return smallest, aggressor, (
            "no recent militarized dispute found: the smallest member against the non-member, "
            "among the ten largest militaries, with the lowest affinity to it")


def build_scenario(store: DataStore, alliance: str, year: int, *, victim: str | None = None,
                   aggressor: str | None = None,
                   threat: str = "interstate_attack") -> Built:
    """A complete scenario for `alliance` in `year`, every value from the datasets or stated."""
    ref = alliance_ref(alliance)
    if not 1816 <= year <= 2100:
        raise UsageError("must be a year from 1816 on", param="year", value=year)
    store.require("nmc", purpose="building a scenario")
    b = _Builder(store, ref, year)
    members, member_src = b.members()
    actors = {m: b.actor(m) for m in members}
    lead = b.leader(members, actors)
    scope, prov_src = b.provisions()
    if victim is not None:
        v_code = ccode_of(victim, year)
        if v_code not in members:
            raise UsageError(f"not a member of {ref.name} in {year} (members: "
                             f"{', '.join(actor_id(m, year) for m in members)})",
                             param="victim", value=victim)
    if aggressor is not None and ccode_of(aggressor, year) is None:
        raise UsageError("not a state this tool knows (an ISO 3166 alpha-3 code, "
                         "data/cow_iso.csv)", param="aggressor", value=aggressor)
    if victim is not None and aggressor is not None:
        v, a = ccode_of(victim, year), ccode_of(aggressor, year)
        why = "victim and aggressor named by the user"
    else:
        v, a, why = b.default_crisis(members, lead, actors)
        if victim is not None:
            v = ccode_of(victim, year)
        if aggressor is not None:
            a = ccode_of(aggressor, year)
    assert v is not None and a is not None
    if v == a:
        raise UsageError("the victim and the aggressor are the same state", param="aggressor",
                         value=aggressor)
    if a not in actors:
        actors[a] = b.actor(a)
    codes = [*members, *([a] if a not in members else [])]
    pairs, _ = b.affinities(codes)
    ids = {c: actor_id(c, year) for c in codes}
    alliance_id = ref.label.replace("_", "-")
    standing = {ids[m]: {"troops": round(STANDING_SHARE * actors[m]["troops"]), "source": (
        f"JUDGEMENT: {STANDING_SHARE:.0%} of NMC personnel; no dataset codes pledges")}
        for m in members}
    body: dict[str, Any] = {
        "id": alliance_id, "name": ref.name, "as_of": str(year),
        "members": [ids[m] for m in members],
        "leader": ids[lead] if lead is not None else None,
        "source": member_src + (f"; leader: {b.leader_source}" if lead is not None else "")
        + (f"; provisions: {prov_src}" if prov_src else ""),
        "decision_rule": {"rule": "consensus", "source": (
            "JUDGEMENT: ATOP and COW code no decision rule; consensus, the norm of alliance "
            "councils")},
    }
    if body["leader"] is None:
        del body["leader"]
    if scope:
        body["scope"] = scope
    body["standing_forces"] = standing
    ties = b.ties(lead, members) if lead is not None else []
    if ties:
        body["ties"] = ties
    scenario = {
        "name": f"{alliance_id}-{year}",
        "title": f"{ref.name}, {year} (built from the datasets)",
        "description": f"Built by alliancesim data build --alliance {alliance} --year {year}.",
        "alliance": body,
        "actors": {ids[c]: actors[c] for c in codes},
        "affinity": pairs,
        "crises": [{
            "id": f"{ids[v].lower().replace('_', '-')}-{ids[a].lower().replace('_', '-')}",
            "title": (f"{state_name(a)} attacks {state_name(v)} ({year})"
                      if victim is not None and aggressor is not None else
                      f"{state_name(a)} against {state_name(v)} ({year}, from the record)"),
            "description": f"Crisis chosen as {why}.",
            "victim": ids[v], "aggressor": ids[a], "threat": threat,
        }],
    }
    return Built(scenario=scenario, notes=b.notes, datasets=dict(b.used))


def actor_from_datasets(store: DataStore, ccode: int, year: int
                        ) -> tuple[dict[str, Any], dict[str, str]]:
    """One state's actor entry for `year` from the data store (the rules of build_scenario),
    and the datasets it used."""
    b = _Builder(store, AllianceRef("actor", "actor", None, None), year)
    return b.actor(ccode), dict(b.used)
