"""Pairwise affinity for a year, from the datasets (docs/data.md, "Affinity").

UN ideal points (Bailey, Strezhnev & Voeten): the distance d = |x_i - x_j| between two states'
ideal points in year y is mapped, in the same form as the S score below, to

    affinity = max(-1, 1 - 2 d / d95_y),

where d95_y is the 95th percentile of the distances between all pairs of states with an ideal
point that year: identical positions +1, a pair half that far apart 0, a pair as far apart as
the most distant 5 % of the year's pairs -1. A percentile rather than the range keeps one
outlying state from setting the scale, and the year's own percentile keeps the scale
comparable across years (the ideal points drift; docs/data.md shows benchmark pairs).
A state without an ideal point that year (not yet a UN member, absent) takes its
point from the nearest earlier year, at most MAX_LAG years back, and the reason says so.

Before 1946 (or for a state with no ideal point at all) affinity falls back to alliance-portfolio
similarity, Signorino & Ritter's (1999) S with absolute distances: each state's ties to every
member k of the COW state system in year y are coded 3 (defence or offence pact), 2 (neutrality
or non-aggression), 1 (consultation), 0 (none; ATOP dyad-years), a state's tie to itself 3, and

    S = 1 - 2 * sum_k |t_ik - t_jk| / (3 N),

already in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alliancesim.datasets.store import DataStore

MAX_LAG = 3  # years an ideal point may be carried forward
D_QUANTILE = 0.95  # the year's pairwise distance that maps to affinity -1


@dataclass(frozen=True)
class PairAffinity:
    a: int
    b: int
    value: float
    reason: str
    measure: str  # "ideal points" or "portfolio similarity"


def _points(store: DataStore, year: int) -> dict[int, tuple[float, int]]:
    """Each state's ideal point in `year`, or from the nearest earlier year within MAX_LAG."""
    rows = store.query(
        "SELECT ccode, arg_max(idealpoint, year), max(year) FROM ideal_points "
        "WHERE year BETWEEN ? AND ? AND idealpoint IS NOT NULL GROUP BY ccode",
        [year - MAX_LAG, year])
    return {int(c): (float(x), int(y)) for c, x, y in rows}


def ideal_point_affinities(store: DataStore, pairs: list[tuple[int, int]], year: int,
                           release: str) -> dict[tuple[int, int], PairAffinity]:
    """Affinity of each pair from ideal-point distances (pairs without points are left out)."""
    exact = {int(c): float(x) for c, x in store.query(
        "SELECT ccode, idealpoint FROM ideal_points WHERE year = ? AND idealpoint IS NOT NULL",
        [year])}
    if len(exact) < 2:
        return {}
    x = np.asarray(list(exact.values()))
    d_max = float(np.quantile(np.abs(x[:, None] - x[None, :])[np.triu_indices(len(x), 1)],
                              D_QUANTILE))
    if d_max <= 0:
        return {}
    points = _points(store, year)
    out: dict[tuple[int, int], PairAffinity] = {}
    for a, b in pairs:
        if a not in points or b not in points:
            continue
        (xa, ya), (xb, yb) = points[a], points[b]
        d = abs(xa - xb)
        value = round(max(-1.0, 1.0 - 2.0 * d / d_max), 3)
        lag = "".join(f"; {c}'s point from {y}" for c, y in ((a, ya), (b, yb)) if y != year)
        out[(a, b)] = PairAffinity(a, b, value, (
            f"UN ideal points ({release}, idealpointall) {year}: distance d = {d:.2f}; "
            f"95th percentile of the year's {len(x)} states' pairs {d_max:.2f}; "
            f"affinity = 1 - 2 d / d95 = "
            f"{value:+.2f}{lag} [ideal-points {release}]"), "ideal points")
    return out


def portfolio_similarity(store: DataStore, pairs: list[tuple[int, int]], year: int,
                         release: str) -> dict[tuple[int, int], PairAffinity]:
    """Signorino-Ritter S from ATOP dyad-year ties over the year's COW state system."""
    last = store.query("SELECT max(year) FROM cow_system")[0][0]
    sys_year = min(year, int(last))
    system = [int(r[0]) for r in store.query("SELECT ccode FROM cow_system WHERE year = ?",
                                             [sys_year])]
    if not system:
        return {}
    ties = store.query(
        "SELECT ccode1, ccode2, CASE WHEN defense = 1 OR offense = 1 THEN 3 WHEN neutral = 1 "
        "OR nonagg = 1 THEN 2 WHEN consul = 1 THEN 1 ELSE 0 END FROM atop_dyads WHERE year = ?",
        [year])
    tie: dict[tuple[int, int], int] = {(int(a), int(b)): int(t) for a, b, t in ties}
    n = len(system)
    out: dict[tuple[int, int], PairAffinity] = {}
    for a, b in pairs:
        def level(i: int, k: int) -> int:
            return 3 if i == k else tie.get((i, k), 0)
        total = sum(abs(level(a, k) - level(b, k)) for k in system)
        value = round(1.0 - 2.0 * total / (3.0 * n), 3)
        out[(a, b)] = PairAffinity(a, b, value, (
            f"alliance-portfolio similarity S (Signorino & Ritter 1999) {year} over the "
            f"{n} states of the COW system{'' if sys_year == year else f' of {sys_year}'}: "
            f"sum |t_ak - t_bk| = {total}, S = 1 - 2 x {total}/(3 x {n}) = {value:+.2f} "
            f"[atop-dyads {release}]"), "portfolio similarity")
    return out
