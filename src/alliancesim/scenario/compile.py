"""Compile a resolved scenario's crisis into the arrays and quantities the engine needs.

The compiled crisis holds what is fixed (member order, indices, rule, deterministic features)
and an ordered list of the quantities drawn once per trial. The order is part of the
reproducibility contract: the same scenario draws the same numbers in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from alliancesim.scenario.distributions import Quantity, is_uncertain, point
from alliancesim.scenario.geography import Geography, exposures
from alliancesim.scenario.loading import bundled_posterior
from alliancesim.scenario.schema import (
    COUNCIL_FEATURES,
    MAX_COEFFICIENT,
    MAX_DAYS,
    MAX_QUALITY,
    MAX_SCALE,
    MAX_TROOPS,
    MIN_QUALITY,
    RUNGS,
    BargainingParameters,
    Parameters,
    Scenario,
    ThreatType,
)

INF = math.inf
AFFINITY_DEFAULT = 0.0  # pairs not listed in data/affinity.yaml or the scenario

# Engagement law by threat type when a crisis says engagement_law: auto.
IRREGULAR_THREATS = {ThreatType.insurgency, ThreatType.internal_unrest}
REQUEST_LEVELS = ("none", "consultations", "military", "material")  # model/request.py


@dataclass(frozen=True)
class QuantitySpec:
    """One quantity drawn per trial: its name, its value or distribution, its valid range."""

    name: str
    value: Quantity
    low: float = -INF
    high: float = INF


@dataclass(frozen=True)
class Posterior:
    """The calibration's posterior as stored draws (MCMC, data/calibrated.yaml) and the
    scenario's own values they are laid around: engine.parameter_draws takes one stored draw
    for each GROUP of trials and shifts the scenario's value by the draw's deviation from the
    MAP (on each quantity's own scale: see engine.lay_around)."""

    council_model: str
    council_map: np.ndarray  # (P,) the MAP in the council model's own parametrisation
    council_draws: np.ndarray  # (N, P) the posterior's draws, same parametrisation
    alliances: tuple[str, ...]  # the alliances with their own intercept in theta
    alliance_prior_sd: float  # an alliance without cases: its intercept drawn from N(0, sd)
    request_map: np.ndarray  # (3,) threat, cutpoints.1, cutpoints.2
    request_draws: np.ndarray  # (N, 3)
    centre: dict[str, float]  # scenario values of the fixed council.* and request.* quantities
    high: dict[str, float]  # each of those quantities' upper bound (its range's top)


@dataclass(frozen=True)
class CompiledCrisis:
    """Everything the engine needs for one crisis. Arrays are indexed by member (alliance order)."""

    crisis_id: str
    title: str
    alliance: str
    members: tuple[str, ...]
    victim: int
    leader: int  # -1: no leader
    aggressor: str
    aggressor_member: int  # -1: the aggressor is not a member
    threat: str
    rule: str
    threshold: float | None  # share of members needed under qualified_majority
    consensus_from: int  # consensus applies from this rung up; simple majority below it
    council_model: str  # parameters.council.model (model/council/__init__.py MODELS)
    noise: str
    request_fixed: int  # -1: auto; else index into REQUEST_LEVELS
    irregular: bool
    horizon_days: int
    # deterministic member features (M,)
    exposure: np.ndarray
    affinity_victim: np.ndarray
    affinity_aggressor: np.ndarray
    leader_stake: np.ndarray
    is_aggressor: np.ndarray
    tie_to_victim: np.ndarray
    tie_to_aggressor: np.ndarray
    in_scope: float
    # geography (scenario/geography.py): the loss-of-strength distance of each member to the
    # victim (km; 0 contiguous, based there or unknown) and of the aggressor
    distance: np.ndarray = field(default_factory=lambda: np.zeros(0))
    aggressor_distance: float = 0.0
    exposure_origin: tuple[str, ...] = ()  # per member: 'rule', 'hand' or 'hand: <reason>'
    quantities: tuple[QuantitySpec, ...] = field(default_factory=tuple)
    # parameter uncertainty (parameters.uncertainty: posterior). Unset compiles as off: the
    # default (posterior) is the front door's, which writes it into the scenario first
    # (scenario.params.with_uncertainty)
    posterior: Posterior | None = None
    # the expected-utility council's rounds and readings (council_model expected_utility)
    bargaining: BargainingParameters | None = None

    @property
    def n_members(self) -> int:
        return len(self.members)

    @property
    def uncertain(self) -> tuple[str, ...]:
        """Names of the quantities drawn per trial (those given as distributions), in order."""
        return tuple(q.name for q in self.quantities if is_uncertain(q.value))



def compile_crisis(scenario: Scenario, crisis_index: int) -> CompiledCrisis:
    """Compile one crisis of a resolved scenario (see scenario.loading.resolve)."""
    alliance = scenario.alliance
    assert not isinstance(alliance, str), "resolve the scenario first"
    crisis = scenario.crises[crisis_index]
    actors = scenario.actors
    members = tuple(alliance.members)
    M = len(members)
    index = {m: i for i, m in enumerate(members)}
    v = index[crisis.victim]
    leader = index[alliance.leader] if alliance.leader else -1
    agg_member = index.get(crisis.aggressor, -1)

    aff = {frozenset((p.a, p.b)): p.value for p in scenario.affinity}

    member_default = alliance.member_affinity.value

    def affinity(a: str, b: str) -> float:
        if a == b:
            return 1.0
        default = member_default if (a in index and b in index) else AFFINITY_DEFAULT
        return aff.get(frozenset((a, b)), default)

    exposure_list, exposure_origin = exposures(scenario, crisis_index)
    exposure = np.array(exposure_list)
    geo = Geography(scenario)
    aff_v = np.array([affinity(m, crisis.victim) for m in members])
    aff_a = np.array([affinity(m, crisis.aggressor) for m in members])
    ties = {frozenset((t.a, t.b)): t.strength for t in alliance.ties}
    tie_v = np.array([ties.get(frozenset((m, crisis.victim)), 0.0) for m in members])
    tie_a = np.array([ties.get(frozenset((m, crisis.aggressor)), 0.0) for m in members])
    base_in_victim: dict[str, Quantity] = {}
    for b in alliance.bases:
        if b.host == crisis.victim and b.owner in index:
            base_in_victim[b.owner] = b.troops
            tie_v[index[b.owner]] = max(tie_v[index[b.owner]], 1.0)
        if b.host == crisis.aggressor and b.owner in index:
            tie_a[index[b.owner]] = max(tie_a[index[b.owner]], 1.0)
    distance = np.array([geo.projection_km(m, crisis.victim, based=m in base_in_victim)
                         for m in members])
    aggressor_distance = (geo.projection_km(crisis.aggressor, crisis.victim)
                          if actors[crisis.aggressor].kind == "state" else 0.0)
    is_leader = np.array([1.0 if i == leader else 0.0 for i in range(M)])
    leader_stake = is_leader * tie_v
    is_agg = np.array([1.0 if i == agg_member else 0.0 for i in range(M)])
    coverage = alliance.scope[crisis.threat].coverage
    if crisis.territory == "disputed":
        d = alliance.disputed_territory_coverage.value
        coverage *= float(d) if isinstance(d, float | int) else d.mean()
    if crisis.engagement_law == "auto":
        irregular = crisis.threat in IRREGULAR_THREATS
    else:
        irregular = crisis.engagement_law == "irregular"

    p = scenario.parameters
    qs: list[QuantitySpec] = []

    def add(name: str, value: Quantity, low: float = -INF, high: float = INF) -> None:
        qs.append(QuantitySpec(name, value, low, high))

    # crisis
    agg = actors[crisis.aggressor]
    if crisis.aggressor_strength is not None:
        add("aggressor_strength", crisis.aggressor_strength, 1.0, MAX_TROOPS)
    else:
        add("aggressor_troops", agg.troops, 0.0, MAX_TROOPS)
        add("aggressor_commitment", crisis.aggressor_commitment, 0.0, 1.0)
    add("aggressor_quality", agg.quality, MIN_QUALITY, MAX_QUALITY)
    add("defender_commitment", crisis.defender_commitment, 0.0, 1.0)
    add("trust", crisis.trust, 0.0, 1.0)
    add("decision_delay_days", alliance.decision_delay_days.value, 0.0, MAX_DAYS)
    # members
    for m in members:
        a = actors[m]
        add(f"troops.{m}", a.troops, 0.0, MAX_TROOPS)
        add(f"quality.{m}", a.quality, MIN_QUALITY, MAX_QUALITY)
        add(f"readiness_days.{m}", a.readiness_days, 0.0, MAX_DAYS)
        sf = alliance.standing_forces.get(m)
        add(f"standing_forces.{m}", sf.troops if sf else 0.0, 0.0, MAX_TROOPS)
        add(f"base_in_victim.{m}", base_in_victim.get(m, 0.0), 0.0, MAX_TROOPS)
    # council
    c = p.council
    add("council.intercept", c.intercept, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    add("council.alliance_intercept", c.alliance_intercepts.get(alliance.id, 0.0),
        -MAX_COEFFICIENT, MAX_COEFFICIENT)
    add("council.leader_weight", c.leader_weight if leader >= 0 else 0.0, 0.0, 1.0)
    for f in COUNCIL_FEATURES:
        add(f"council.coefficients.{f}", getattr(c.coefficients, f), -MAX_COEFFICIENT,
            MAX_COEFFICIENT)
    for k, tau in enumerate(c.cutpoints):
        add(f"council.cutpoints.{k + 1}", tau, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    add("council.shock_correlation", c.shock_correlation, 0.0, 0.99)
    add("council.unilateral_margin", c.unilateral_margin, 0.0, MAX_COEFFICIENT)
    r = p.request
    add("request.intercept", r.intercept, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    add("request.threat", r.threat, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    add("request.trust_weight", r.trust_weight, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    for k, rho in enumerate(r.cutpoints):
        add(f"request.cutpoints.{k + 1}", rho, -MAX_COEFFICIENT, MAX_COEFFICIENT)
    fp = p.forces
    add("forces.valuation", fp.valuation, 0.0, MAX_SCALE)
    add("forces.private_benefit", fp.private_benefit, 0.0, MAX_SCALE)
    add("forces.token_scale", fp.token_scale, 1e-6, MAX_SCALE)
    add("forces.reference_army", fp.reference_army, 1e-6, MAX_SCALE)
    add("deployment.transport_days", p.deployment.transport_days, 0.0, MAX_DAYS)
    add("deployment.unilateral_delay_days", p.deployment.unilateral_delay_days, 0.0,
        MAX_DAYS)
    add("geography.half_strength_km", p.geography.half_strength_km, 1.0, 1e6)
    add("geography.km_per_day", p.geography.km_per_day, 1.0, 1e6)
    e = p.engagement
    add("engagement.attrition", e.attrition, 1e-9, 1.0)
    add("engagement.irregular_efficiency", e.irregular_efficiency, 1e-9, 100.0)
    add("engagement.aggressor_break", e.aggressor_break, 0.0, 1.0)
    add("engagement.defender_break_ratio", e.defender_break_ratio, 0.0, 1e3)

    rd = alliance.decision_rule
    return CompiledCrisis(
        crisis_id=crisis.id,
        title=crisis.title or crisis.id,
        alliance=alliance.id,
        members=members,
        victim=v,
        leader=leader,
        aggressor=crisis.aggressor,
        aggressor_member=agg_member,
        threat=crisis.threat.value,
        rule=rd.rule,
        threshold=rd.threshold,
        consensus_from=RUNGS.index(rd.consensus_from.value),
        council_model=c.model,
        noise=c.noise,
        request_fixed=-1 if crisis.request == "auto" else REQUEST_LEVELS.index(crisis.request),
        irregular=irregular,
        horizon_days=e.horizon_days,
        exposure=exposure,
        affinity_victim=aff_v,
        affinity_aggressor=aff_a,
        leader_stake=leader_stake,
        is_aggressor=is_agg,
        tie_to_victim=tie_v,
        tie_to_aggressor=tie_a,
        in_scope=float(coverage),
        distance=distance,
        aggressor_distance=float(aggressor_distance),
        exposure_origin=tuple(exposure_origin),
        quantities=tuple(qs),
        posterior=_posterior(p, qs) if p.uncertainty == "posterior" else None,
        bargaining=c.bargaining if c.model == "expected_utility" else None,
    )


def _posterior(p: Parameters, qs: list[QuantitySpec]) -> Posterior:
    post = bundled_posterior()
    council, request = post["council"], post["request"]
    # the expected-utility council has the probit's parameters (its positions are the probit's
    # latent support, cut at the same cut-points) and no posterior of its own yet: the
    # probit's draws are laid around its values (docs/eum.md, "Uncertainty")
    shares = council["model"] == "ordered_probit" and p.council.model == "expected_utility"
    if council["model"] != p.council.model and not shares:
        raise ValueError(f"parameter uncertainty: the bundled posterior is of the "
                         f"{council['model']} council model, not {p.council.model}")
    fixed = [q for q in qs if q.name.startswith(("council.", "request."))
             and not is_uncertain(q.value)]
    council_draws = np.asarray(council["draws"], dtype=float)
    request_draws = np.asarray(request["draws"], dtype=float)
    if len(council_draws) != len(request_draws):
        raise ValueError("parameter uncertainty: the posterior's council and request draws "
                         "differ in number")
    return Posterior(council_model=council["model"],
                     council_map=np.asarray(council["map"], dtype=float),
                     council_draws=council_draws,
                     alliances=tuple(council.get("alliances", ())),
                     alliance_prior_sd=float(council.get("alliance_prior_sd", 1.0)),
                     request_map=np.asarray(request["map"], dtype=float),
                     request_draws=request_draws,
                     centre={q.name: float(point(q.value)) for q in fixed},
                     high={q.name: float(q.high) for q in fixed})
