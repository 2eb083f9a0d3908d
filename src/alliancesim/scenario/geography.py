"""The geography of a crisis: distances, contiguity, and the written rules over them.

A scenario carries its actors' capitals (`actors.<ID>.capital`) and a list of pairs with their
COW direct contiguity and minimum distance (`geography:`); the bundled states' figures fill what
a scenario does not give (data/geography.yaml, loading.resolve). From them, for each member i
of the alliance, the victim v and the aggressor a:

- the projection distance (the loss-of-strength gradient's d, docs/model.md "Geography")

      d_i = 0                                 if i = v, i is contiguous with v (COW conttype
                                              1-3: land, or at most 24 miles of water) or i
                                              has troops based in v;
      d_i = great-circle km between capitals  otherwise (Bueno de Mesquita 1981 measures the
                                              loss of strength between capitals);
      d_i = the pair's minimum distance       when a capital is unknown; 0 when nothing is.

  The aggressor's distance d_a to the victim follows the same rule (0 for a non-state
  aggressor, which fights inside the victim);

- the spill-over exposure by rule (docs/coding.md, "Exposure"): 1 for the victim; for any
  other member the largest proximity to the victim or to the aggressor,

      p(i, j) = 0.3 if land or river border (conttype 1), 0.2 if at most 24 miles of water
                (2-3), 0.1 if at most 400 miles of water (4-5), else
                0.1 * max(0, 1 - dist_ij / 1000 km)  (dist: minimum distance, else capitals),

  unless the crisis sets the member's exposure by hand (a number, or {value, reason}).

The weights are a coding rule (JUDGEMENT, fixed before the rule's cases were rescored): the
neighbours the cases' hand codings rated 0.2-0.5 (Kazakhstan and Tajikistan in Osh 2010,
Russia in Belarus 2020) get 0.3; the council's exposure coefficient is re-estimated on them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from alliancesim.scenario.schema import Capital, ExposureOverride, GeoPair, Scenario

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)
CONTIGUOUS_UP_TO = 3  # conttype 1-3 (land, or at most 24 miles of water) cancels the gradient
EXPOSURE_BY_CONTIGUITY = {1: 0.3, 2: 0.2, 3: 0.2, 4: 0.1, 5: 0.1}
NEAR_KM = 1000.0  # beyond this minimum distance a non-contiguous state is not exposed
NEAR_EXPOSURE = 0.1  # the exposure of a non-contiguous state at distance 0


def great_circle_km(a: Capital, b: Capital) -> float:
    """The haversine distance between two capitals (km)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class PairFacts:
    """What the scenario knows of a pair: contiguity (0 when no pair is listed), the minimum
    distance (None: not given), the distance between the capitals (None: a capital unknown)."""

    contiguity: int
    distance_km: float | None
    capitals_km: float | None
    listed: bool  # the pair is in the scenario's geography

    @property
    def known(self) -> bool:
        return self.listed or self.capitals_km is not None

    @property
    def nearest_km(self) -> float | None:
        """The minimum distance when given, else the capitals' distance (an upper bound)."""
        return self.distance_km if self.distance_km is not None else self.capitals_km


class Geography:
    """The pairs and capitals of a resolved scenario, looked up by actor id."""

    def __init__(self, scenario: Scenario) -> None:
        self.pairs: dict[frozenset[str], GeoPair] = {
            frozenset((p.a, p.b)): p for p in scenario.geography}
        self.capitals = {k: a.capital for k, a in scenario.actors.items()
                         if a.capital is not None}

    def facts(self, a: str, b: str) -> PairFacts:
        pair = self.pairs.get(frozenset((a, b)))
        ca, cb = self.capitals.get(a), self.capitals.get(b)
        return PairFacts(
            contiguity=pair.contiguity if pair else 0,
            distance_km=pair.distance_km if pair else None,
            capitals_km=great_circle_km(ca, cb) if ca is not None and cb is not None else None,
            listed=pair is not None)

    def projection_km(self, origin: str, victim: str, based: bool = False) -> float:
        """d: 0 for the victim itself, a contiguous state or one with troops based in the
        victim; else the capitals' distance, else the minimum distance, else 0 (unknown)."""
        return self.projection(origin, victim, based)[0]

    def projection(self, origin: str, victim: str, based: bool = False) -> tuple[float, str]:
        """(d, why): projection_km and the branch of the rule that gave it."""
        if origin == victim:
            return 0.0, "the victim"
        if based:
            return 0.0, "troops based in the victim"
        f = self.facts(origin, victim)
        if 1 <= f.contiguity <= CONTIGUOUS_UP_TO:
            return 0.0, f"contiguous (COW conttype {f.contiguity})"
        if f.capitals_km is not None:
            return f.capitals_km, "between the capitals"
        if f.distance_km is not None:
            return f.distance_km, "minimum distance (a capital unknown)"
        return 0.0, "unknown (no capital, no pair): no loss of strength"

    def proximity(self, a: str, b: str) -> float:
        """p(a, b) of the exposure rule (module docstring)."""
        f = self.facts(a, b)
        if f.contiguity:
            return EXPOSURE_BY_CONTIGUITY[f.contiguity]
        d = f.nearest_km
        if d is None:
            return 0.0
        return NEAR_EXPOSURE * max(0.0, 1.0 - d / NEAR_KM)

    def exposure(self, member: str, victim: str, aggressor: str) -> float:
        """The exposure rule: 1 for the victim, else max(p(i, v), p(i, a))."""
        if member == victim:
            return 1.0
        near = self.proximity(member, victim)
        if member != aggressor:
            near = max(near, self.proximity(member, aggressor))
        return round(near, 6)


def exposures(scenario: Scenario, crisis_index: int) -> tuple[list[float], list[str]]:
    """Each member's exposure in a crisis and where it comes from ('rule', 'hand' or
    'hand: <reason>'): the crisis's hand value where it sets one, else the rule."""
    alliance = scenario.alliance
    assert not isinstance(alliance, str), "resolve the scenario first"
    crisis = scenario.crises[crisis_index]
    geo = Geography(scenario)
    values, origins = [], []
    for m in alliance.members:
        hand = crisis.exposure.get(m)
        if hand is None:
            values.append(geo.exposure(m, crisis.victim, crisis.aggressor))
            origins.append("rule")
        elif isinstance(hand, ExposureOverride):
            values.append(hand.value)
            origins.append(f"hand: {hand.reason}")
        else:
            values.append(float(hand))
            origins.append("hand")
    return values, origins
