"""The large-N record of allies and disputes: every militarized dispute 1946-2014 in which a
state with a defence pact with the target could join (docs/validation.md, "The member model on
the large-N record", specification frozen 2026-11-29).

Unit: (dispute, target, ally). Every originator on side B of a dispute (MID participants) is a
**target**; the dispute's **aggressor** is the originator on side A with the most military
personnel (NMC) that year. A target's potential allies are the states with an ATOP defence
obligation (dyad-year `defense = 1`) towards it in the dispute's first year, other than side A's
originators and the dispute's other originators. The outcome is the ally's highest action on
the target's side: 0 did not join it (or joined the aggressor's), 1 joined without using force
(hostility 1-3: none, threat or display), 2 joined using force (hostility 4-5). States on the
target's side from the first day are co-targets, not allies that chose to join, and are left
out: counting them as joins (the issue's first count: about 18,900 observations, 1,097
disputes, 656 joins) makes most "joins" co-targets of a few multilateral disputes (the
report gives that count too).

Features, built by `ally_features` (the one function for this record; the council's scenario
features are built by model/council/features.py from the same ingredients — affinities from the
same ideal-point mapping, datasets.affinity):

- affinity_victim, affinity_aggressor: UN ideal-point affinity (1 - 2 d / d95) of the ally with
  the target and with the aggressor that year;
- capability: log(ally's military personnel / aggressor's), NMC;
- major_power: the ally is a COW major power that year;
- unconditional: the pact's defence obligation has no conditions (every ATOP alliance linking
  the two with defense = 1 has defcon = 0 in at least one case: 1; else 0);
- pact_with_aggressor: the ally also has a defence pact with the aggressor that year.
Contiguity is not in the datasets this tool imports and is left out (said in the report).
Observations without ideal points for the three states are dropped (counted).

Disputes overlapping the bundled cases (the same pair of states within a year of a case) are
excluded, so the record and the cases share no event.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliancesim.datasets.affinity import ideal_point_affinities
from alliancesim.datasets.store import DataStore

FIRST_YEAR, LAST_YEAR = 1946, 2014
FEATURES = ("affinity_victim", "affinity_aggressor", "capability", "major_power",
            "unconditional", "pact_with_aggressor")
NEEDS = ("mid-participants", "atop-dyads", "atop-members", "atop-alliances", "nmc",
         "cow-majors", "ideal-points")


@dataclass(frozen=True)
class AllyRecord:
    dispute: np.ndarray  # (N,) dispute number
    year: np.ndarray  # (N,)
    ally: np.ndarray  # (N,) COW code
    target: np.ndarray
    aggressor: np.ndarray
    x: np.ndarray  # (N, K) ally_features
    y: np.ndarray  # (N,) 0, 1, 2
    dropped_no_ideal_points: int
    excluded_for_cases: int
    releases: dict[str, str]


def ally_features(affinity_victim: float, affinity_aggressor: float, ally_troops: float,
                  aggressor_troops: float, major_power: bool, unconditional: bool,
                  pact_with_aggressor: bool) -> list[float]:
    """The member model's features of one ally in one crisis (FEATURES, in order)."""
    capability = float(np.log(max(ally_troops, 1.0) / max(aggressor_troops, 1.0)))
    return [affinity_victim, affinity_aggressor, capability, float(major_power),
            float(unconditional), float(pact_with_aggressor)]


def _case_pairs() -> set[tuple[int, int, int]]:
    """(year, ccode, ccode) of the bundled cases' victim and aggressor (states only)."""
    from alliancesim.cases import load_cases
    from alliancesim.datasets.codes import ccode_of

    out = set()
    for c in load_cases():
        y = int(c.year)
        v, a = ccode_of(c.crisis.victim, y), ccode_of(c.crisis.aggressor, y)
        if v is not None and a is not None:
            for yy in (y - 1, y, y + 1):
                out.add((yy, min(v, a), max(v, a)))
    return out


def build_record(store: DataStore) -> AllyRecord:
    imports = store.require(*NEEDS, purpose="the large-N member model")
    rows = store.query(f"""
        WITH first AS (
            SELECT dispnum, min(styear) AS year FROM mid_participants GROUP BY dispnum
            HAVING min(styear) BETWEEN {FIRST_YEAR} AND {LAST_YEAR}),
        target AS (
            SELECT DISTINCT p.dispnum, p.ccode AS target FROM mid_participants p
            WHERE p.sidea = 0 AND p.orig = 1),
        agg AS (
            SELECT p.dispnum, arg_max(p.ccode, coalesce(n.milper, 0)) AS aggressor
            FROM mid_participants p JOIN first f USING (dispnum)
            LEFT JOIN nmc n ON n.ccode = p.ccode AND n.year = f.year
            WHERE p.sidea = 1 AND p.orig = 1 GROUP BY p.dispnum),
        origins AS (
            SELECT DISTINCT dispnum, ccode FROM mid_participants WHERE orig = 1),
        allies AS (
            SELECT f.dispnum, f.year, t.target, g.aggressor, d.ccode2 AS ally
            FROM first f JOIN target t USING (dispnum) JOIN agg g USING (dispnum)
            JOIN atop_dyads d ON d.ccode1 = t.target AND d.year = f.year AND d.defense = 1
            WHERE d.ccode2 <> g.aggressor AND NOT EXISTS (
                SELECT 1 FROM origins o WHERE o.dispnum = f.dispnum AND o.ccode = d.ccode2)),
        joined AS (
            SELECT dispnum, ccode,
                   max(CASE WHEN sidea = 0 THEN coalesce(hostlev, 1) ELSE 0 END) AS host_b
            FROM mid_participants GROUP BY dispnum, ccode),
        pacts AS (
            SELECT a.member AS c1, b.member AS c2, y.year,
                   max(CASE WHEN coalesce(al.defcon, 0) = 0 THEN 1 ELSE 0 END) AS uncond
            FROM atop_members a JOIN atop_members b ON a.atopid = b.atopid
            JOIN atop_alliances al ON al.atopid = a.atopid
            JOIN (SELECT DISTINCT year FROM first) y
              ON a.yrent <= y.year AND (a.yrexit = 0 OR a.yrexit IS NULL OR a.yrexit >= y.year)
             AND b.yrent <= y.year AND (b.yrexit = 0 OR b.yrexit IS NULL OR b.yrexit >= y.year)
            WHERE a.defense = 1 AND b.defense = 1 AND a.member <> b.member
            GROUP BY 1, 2, 3)
        SELECT l.dispnum, l.year, l.ally, l.target, l.aggressor,
               CASE WHEN j.host_b >= 4 THEN 2 WHEN j.host_b >= 1 THEN 1 ELSE 0 END AS y,
               coalesce(na.milper, 0), coalesce(ng.milper, 0),
               EXISTS (SELECT 1 FROM cow_majors m WHERE m.ccode = l.ally
                       AND m.styear <= l.year AND m.endyear >= l.year) AS major,
               coalesce(p.uncond, 1) AS uncond,
               EXISTS (SELECT 1 FROM atop_dyads d2 WHERE d2.ccode1 = l.ally
                       AND d2.ccode2 = l.aggressor AND d2.year = l.year AND d2.defense = 1)
        FROM allies l
        LEFT JOIN joined j ON j.dispnum = l.dispnum AND j.ccode = l.ally
        LEFT JOIN nmc na ON na.ccode = l.ally AND na.year = l.year
        LEFT JOIN nmc ng ON ng.ccode = l.aggressor AND ng.year = l.year
        LEFT JOIN pacts p ON p.c1 = l.ally AND p.c2 = l.target AND p.year = l.year
        ORDER BY l.dispnum, l.target, l.ally""")
    cases = _case_pairs()
    excluded = 0
    by_year: dict[int, list[tuple]] = {}  # type: ignore[type-arg]
    for r in rows:
        year, target, aggressor = int(r[1]), int(r[3]), int(r[4])
        if (year, min(target, aggressor), max(target, aggressor)) in cases:
            excluded += 1
            continue
        by_year.setdefault(year, []).append(r)
    release = imports["ideal-points"].release
    out: list[tuple[int, int, int, int, int, int, list[float]]] = []
    dropped = 0
    for year, rs in sorted(by_year.items()):
        pairs = sorted({(int(r[2]), int(r[3])) for r in rs} | {(int(r[2]), int(r[4]))
                                                                for r in rs})
        aff = ideal_point_affinities(store, pairs, year, release)
        for r in rs:
            av, aa = aff.get((int(r[2]), int(r[3]))), aff.get((int(r[2]), int(r[4])))
            if av is None or aa is None:
                dropped += 1
                continue
            out.append((int(r[0]), year, int(r[2]), int(r[3]), int(r[4]), int(r[5]),
                        ally_features(av.value, aa.value, float(r[6]), float(r[7]),
                                      bool(r[8]), bool(r[9]), bool(r[10]))))
    if not out:
        raise ValueError("no ally-dispute observations: are the datasets complete?")
    cols = list(zip(*out, strict=True))
    return AllyRecord(
        dispute=np.array(cols[0]), year=np.array(cols[1]), ally=np.array(cols[2]),
        target=np.array(cols[3]), aggressor=np.array(cols[4]), y=np.array(cols[5]),
        x=np.array(cols[6], dtype=float), dropped_no_ideal_points=dropped,
        excluded_for_cases=excluded, releases={k: v.release for k, v in imports.items()})


@dataclass(frozen=True)
class CaseAllies:
    """The bundled case as the large-N record would code it: each member other than the victim
    (and an aggressor member) as a potential ally, with its features, and whether any of them
    joined on the victim's side."""

    case_id: str
    year: int
    allies: tuple[str, ...]
    x: np.ndarray  # (A, K) ally_features
    joined: bool  # the observed outcome, by the rule in case_allies' docstring


def _latest(store: DataStore, table: str, column: str, year: int) -> int:
    """`year`, or the last year the table covers if it ends before (ATOP to 2018, COW majors
    to 2016): the status then is the last known."""
    last = store.query(f"SELECT max({column}) FROM {table}")[0][0]
    return min(year, int(last)) if last is not None else year


def case_allies(store: DataStore) -> list[CaseAllies]:
    """The 17 bundled cases coded as the large-N record codes a dispute, by the same feature
    function (ally_features):

    - affinities with the victim and the aggressor: the case's own (the UN ideal-point figures
      of the year before by the same mapping; its written JUDGEMENTs where the data have none);
    - capability: log(member's troops / aggressor's troops) from the case's actors (the large-N
      record takes NMC military personnel, which ends before most cases);
    - major_power: COW major powers in the case's year (the last year of the file if later);
    - unconditional, pact_with_aggressor: ATOP, as in the record (the last year ATOP covers if
      the case is later);
    - joined (the outcome, "joined at all", y >= 1): the alliance decided military help, or a
      member acted outside it. Statements, consultations and fact-finding missions are not MID
      actions.
    """
    from alliancesim.cases import load_cases, to_scenario
    from alliancesim.cases.designs import point_values
    from alliancesim.datasets.codes import ccode_of
    from alliancesim.scenario.compile import compile_crisis

    store.require("atop-dyads", "atop-members", "atop-alliances", "cow-majors",
                  purpose="scoring the cases with the large-N member model")
    out = []
    for c in load_cases():
        model = compile_crisis(to_scenario(c), 0)
        v = point_values(model)
        agg_troops = float(v["aggressor_strength"][0] if "aggressor_strength" in v
                           else v["aggressor_troops"][0])
        year = int(c.year)
        y_major = _latest(store, "cow_majors", "endyear", year)
        y_atop = _latest(store, "atop_dyads", "year", year)
        majors = {int(r[0]) for r in store.query(
            f"SELECT ccode FROM cow_majors WHERE styear <= {y_major} AND endyear >= {y_major}")}
        victim_cc = ccode_of(c.crisis.victim, year)
        agg_cc = ccode_of(c.crisis.aggressor, year)
        allies, rows = [], []
        for i, m in enumerate(model.members):
            if i == model.victim or i == model.aggressor_member:
                continue
            cc = ccode_of(m, year)
            uncond = 1
            pact_agg = False
            if cc is not None and victim_cc is not None:
                r = store.query(f"""
                    SELECT max(CASE WHEN coalesce(al.defcon, 0) = 0 THEN 1 ELSE 0 END)
                    FROM atop_members a JOIN atop_members b ON a.atopid = b.atopid
                    JOIN atop_alliances al ON al.atopid = a.atopid
                    WHERE a.member = {cc} AND b.member = {victim_cc} AND a.defense = 1
                      AND b.defense = 1 AND a.yrent <= {y_atop} AND b.yrent <= {y_atop}
                      AND (a.yrexit = 0 OR a.yrexit IS NULL OR a.yrexit >= {y_atop})
                      AND (b.yrexit = 0 OR b.yrexit IS NULL OR b.yrexit >= {y_atop})""")
                uncond = 1 if r[0][0] is None else int(r[0][0])
            if cc is not None and agg_cc is not None:
                pact_agg = bool(store.query(
                    f"SELECT count(*) FROM atop_dyads WHERE ccode1 = {cc} AND ccode2 = {agg_cc}"
                    f" AND year = {y_atop} AND defense = 1")[0][0])
            allies.append(m)
            rows.append(ally_features(
                float(model.affinity_victim[i]), float(model.affinity_aggressor[i]),
                float(v[f"troops.{m}"][0]), agg_troops, cc is not None and cc in majors,
                bool(uncond), pact_agg))
        joined = c.observed_rung == 4 or c.observed_outside == 1
        out.append(CaseAllies(c.id, year, tuple(allies), np.array(rows, dtype=float), joined))
    return out
