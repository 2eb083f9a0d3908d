"""The scenario schema: actors, alliances, crises and model parameters (pydantic).

Every model parameter has a default here, with its source or the stated judgement behind it
(see docs/model.md and docs/scenario.md). Any quantity may be a distribution
(alliancesim.scenario.distributions); ranges are checked at load time.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from alliancesim.scenario.distributions import Quantity, check_range
from alliancesim.scenario.errors import Problem, ScenarioError, middle_cut
from alliancesim.scenario.limits import MAX_SEED as MAX_SEED  # re-exported: the bounds
from alliancesim.scenario.limits import MAX_TRIALS as MAX_TRIALS
from alliancesim.scenario.paths import set_path
from alliancesim.scenario.strict import StrictModel

INF = math.inf


def _in_range(low: float, high: float) -> Callable[[Any], Any]:
    def check(q: Any) -> Any:
        msg = check_range(q, low, high)
        if msg:
            raise ValueError(msg)
        return q

    return check


# Bounds the model can compute with (docs/scenario.md, "Bounds"): every value a user can give is
# checked against them at load, and the engine clips draws of distributions to them, so no
# array is sized and no index is computed from an unbounded number.
MAX_TROOPS = 1e8  # fifty times the largest army; keeps sums, ratios and logs finite
MAX_DAYS = 3650.0  # ten years: delays, readiness, transport (the horizon's own limit)
MAX_COEFFICIENT = 1e3  # coefficients and cut-points on the latent (probit) scale
MAX_SCALE = 1e9  # any other non-negative model parameter
MIN_QUALITY, MAX_QUALITY = 1e-3, 1e3  # quality multipliers

NonNegative = Annotated[Quantity, AfterValidator(_in_range(0.0, MAX_SCALE))]
Positive = Annotated[Quantity, AfterValidator(_in_range(1e-12, MAX_SCALE))]
UnitInterval = Annotated[Quantity, AfterValidator(_in_range(0.0, 1.0))]
AnyReal = Annotated[Quantity, AfterValidator(_in_range(-MAX_COEFFICIENT, MAX_COEFFICIENT))]
Correlation = Annotated[Quantity, AfterValidator(_in_range(0.0, 0.99))]
Troops = Annotated[Quantity, AfterValidator(_in_range(0.0, MAX_TROOPS))]
Days = Annotated[Quantity, AfterValidator(_in_range(0.0, MAX_DAYS))]
Quality = Annotated[Quantity, AfterValidator(_in_range(MIN_QUALITY, MAX_QUALITY))]
ActorId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]{1,15}$")]


class _Strict(StrictModel):
    pass


class ThreatType(StrEnum):
    """What hit the victim. Coverage by the defence clause is set per alliance (scope)."""

    interstate_attack = "interstate_attack"
    cross_border_incursion = "cross_border_incursion"
    insurgency = "insurgency"
    internal_unrest = "internal_unrest"
    member_clash = "member_clash"


class Rung(StrEnum):
    none = "none"
    statement = "statement"
    consultations = "consultations"
    mission = "mission"
    military = "military"


RUNGS: tuple[str, ...] = tuple(r.value for r in Rung)


# --------------------------------------------------------------------------- actors
class Capital(_Strict):
    """Where a state's forces start from: its capital (COW capitals with coordinates, as
    peacesciencer keeps them; data/geography.yaml for the bundled states)."""

    name: str = ""
    lat: float = Field(ge=-90.0, le=90.0)
    lon: float = Field(ge=-180.0, le=180.0)
    source: str = ""


class Actor(_Strict):
    name: str
    kind: Literal["state", "nonstate"] = "state"
    troops: Troops
    milex_usd_m: float | None = Field(default=None, ge=0, le=1e8)
    gdp_usd_b: float | None = Field(default=None, ge=0, le=1e6)
    population_m: float | None = Field(default=None, ge=0, le=1e5)
    quality: Quality = 1.0
    readiness_days: Days = 2.0
    capital: Capital | None = None
    source: str = ""
    judgement: str = ""


class GeoPair(_Strict):
    """The geography of a pair of actors: COW direct contiguity (conttype 1 land or river
    border; 2-5 separated by at most 12, 24, 150 or 400 miles of water; 0 none) and the minimum
    distance between their territories in km (CShapes 2.0 via peacesciencer's cow_mindist; null
    when not known: the distance between the capitals is used). docs/model.md, "Geography"."""

    a: ActorId
    b: ActorId
    contiguity: int = Field(ge=0, le=5)
    distance_km: float | None = Field(default=None, ge=0.0, le=20_100.0)
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> GeoPair:
        if self.a == self.b:
            raise ValueError(f"a pair needs two different actors (got {self.a} twice)")
        return self


class AffinityPair(_Strict):
    a: ActorId
    b: ActorId
    value: float = Field(ge=-1.0, le=1.0)
    reason: str = ""


# --------------------------------------------------------------------------- alliance
class DecisionRule(_Strict):
    rule: Literal["consensus", "qualified_majority", "simple_majority", "leader"] = "consensus"
    threshold: float | None = Field(
        default=None, description="share of members needed under qualified_majority, in (0, 1]"
    )
    consensus_from: Rung = Field(
        default=Rung.statement,
        description="under consensus, the lowest rung that needs every member; rungs below it "
        "are taken by simple majority (statement: consensus for everything)",
    )
    source: str = ""

    @model_validator(mode="after")
    def _check(self) -> DecisionRule:
        if self.rule == "qualified_majority":
            if self.threshold is None:
                raise ValueError("qualified_majority needs a threshold in (0, 1], e.g. 0.667")
            if not 0.0 < self.threshold <= 1.0:
                raise ValueError(
                    f"threshold must be in (0, 1] (got {self.threshold}); "
                    "e.g. 0.667 for two thirds"
                )
        elif self.threshold is not None:
            raise ValueError(f"threshold applies only to rule qualified_majority, not {self.rule}")
        if self.consensus_from != Rung.statement and self.rule != "consensus":
            raise ValueError(f"consensus_from applies only to rule consensus, not {self.rule}")
        if self.consensus_from == Rung.none:
            raise ValueError("consensus_from must be a rung above none (statement, "
                             "consultations, mission or military)")
        return self


class Coverage(_Strict):
    coverage: float = Field(ge=0.0, le=1.0)
    source: str = ""


class SourcedValue(_Strict):
    value: UnitInterval
    source: str = ""


class SourcedDays(_Strict):
    value: Days
    source: str = ""


class Affinity(_Strict):
    value: float = Field(ge=-1.0, le=1.0)
    source: str = ""


class StandingForce(_Strict):
    troops: Troops
    source: str = ""


class Base(_Strict):
    owner: ActorId
    host: ActorId
    troops: Troops
    source: str = ""


class Tie(_Strict):
    a: ActorId
    b: ActorId
    strength: float = Field(ge=0.0, le=1.0)
    source: str = ""


def _default_scope() -> dict[ThreatType, Coverage]:
    return {
        ThreatType.interstate_attack: Coverage(coverage=1.0, source="default"),
        ThreatType.cross_border_incursion: Coverage(coverage=1.0, source="default"),
        ThreatType.insurgency: Coverage(coverage=0.5, source="default"),
        ThreatType.internal_unrest: Coverage(coverage=0.0, source="default"),
        ThreatType.member_clash: Coverage(coverage=0.0, source="default"),
    }


class Alliance(_Strict):
    id: str
    name: str
    as_of: str = ""
    members: list[ActorId] = Field(min_length=2)
    leader: ActorId | None = None
    source: str = ""
    decision_rule: DecisionRule = DecisionRule()
    scope: dict[ThreatType, Coverage] = Field(default_factory=_default_scope)
    disputed_territory_coverage: SourcedValue = SourcedValue(value=0.0)
    standing_forces: dict[ActorId, StandingForce] = Field(default_factory=dict)
    bases: list[Base] = Field(default_factory=list)
    ties: list[Tie] = Field(default_factory=list)
    decision_delay_days: SourcedDays = SourcedDays(value=1.0)
    member_affinity: Affinity = Affinity(value=0.0)

    @model_validator(mode="after")
    def _check(self) -> Alliance:
        dup = sorted({m for m in self.members if self.members.count(m) > 1})
        if dup:
            raise ValueError(f"members listed twice: {', '.join(dup)}")
        if self.decision_rule.rule == "leader" and self.leader is None:
            raise ValueError("decision_rule 'leader' needs a leader (add leader: ID)")
        if self.leader is not None and self.leader not in self.members:
            raise ValueError(
                f"leader '{self.leader}' is not a member (members: {', '.join(self.members)})"
            )
        missing = [t.value for t in ThreatType if t not in self.scope]
        if missing:
            raise ValueError(
                f"scope must give a coverage for every threat type; missing: {missing}"
            )
        return self


# --------------------------------------------------------------------------- parameters
def _quantities(*values: float) -> list[Quantity]:
    return list(values)


def _increasing(values: list[Quantity], n: int) -> list[Quantity]:
    """Cut-points: exactly n values, strictly increasing where fixed.

    Uncertain cut-points are sorted within each trial after drawing.
    """
    if len(values) != n:
        raise ValueError(f"needs exactly {n} increasing values (got {len(values)})")
    fixed = [float(c) for c in values if isinstance(c, float | int)]
    if len(fixed) == n and not all(a < b for a, b in itertools.pairwise(fixed)):
        raise ValueError(f"must be strictly increasing (got {fixed})")
    return values


class CouncilCoefficients(_Strict):
    """Coefficients beta of the member model s_i = intercept + x_i . beta + eps_i.

    Defaults: the calibrated set (`alliancesim calibrate` on the 17 bundled cases, prior sd 1,
    the affinity coefficients' prior from the large-N member model, data/large_n_prior.yaml;
    data/calibrated.yaml, docs/validation.md). tests/test_calibration.py checks they match.
    """

    exposure: AnyReal = 0.8794
    affinity_victim: AnyReal = 0.415
    affinity_aggressor: AnyReal = -0.152
    leader_stake: AnyReal = -0.1846
    in_scope: AnyReal = 1.5328
    cost: AnyReal = -0.5
    is_aggressor: AnyReal = -6.0


COUNCIL_FEATURES: tuple[str, ...] = tuple(CouncilCoefficients.model_fields)


MAX_BARGAINING_ROUNDS = 50


class BargainingParameters(_Strict):
    """The expected-utility council's bargaining (model: expected_utility; docs/eum.md): the
    rounds and every contested reading of the model (model/council/eum.py, EUMSettings; the
    names and values are that class's, checked equal by tests/test_issue25_council.py). The
    positions are on the 0-100 response scale, so the span is 100."""

    rounds: int = Field(default=8, ge=0, le=MAX_BARGAINING_ROUNDS,
                        description="bargaining rounds per trial (0: the members' own "
                                    "positions, the probit's rungs)")
    q: float = Field(default=1.0, ge=0.0, le=1.0,
                     description="Q: the probability that the status quo holds when a member "
                                 "does not challenge another")
    t: float | None = Field(default=None, ge=0.0, le=1.0,
                            description="T: the probability that the change without a "
                                        "challenge is for the better; null: 1 or 0 by Scholz "
                                        "et al.'s cases")
    denominator: Literal["dyad", "all_pairs"] = "dyad"
    no_challenge: Literal["subtract", "add"] = "subtract"
    offers: Literal["least_move", "most_enforceable", "by_kind", "scholz_code"] = "least_move"
    conflict: Literal["loser_moves", "no_move"] = "loser_moves"
    perspective: Literal["own", "mover"] = "own"
    votes: Literal["linear", "risk"] = "linear"


class CouncilParameters(_Strict):
    model: Literal["ordered_probit", "expected_utility"] = Field(
        default="ordered_probit",
        description="the member model of the council (alliancesim.model.council): "
                    "ordered_probit, s_i = intercept + x_i . beta + eps_i cut at the cut-points; "
                    "expected_utility, the members bargain (Bueno de Mesquita's model) from "
                    "positions 100 Phi(s_i) before the cut-points cut them (docs/eum.md)",
    )
    bargaining: BargainingParameters = Field(
        default_factory=BargainingParameters,
        description="the expected-utility council's rounds and readings (model: "
                    "expected_utility only)")
    intercept: AnyReal = 0.0  # not identified apart from the cut-points; calibration fixes it
    alliance_intercepts: dict[str, AnyReal] = Field(
        default_factory=lambda: dict[str, Quantity](csto=-1.0001, nato=1.0173),  # calibrated
        description="b_a by alliance id, added to the intercept for that alliance's members: "
                    "how willing its members are on the whole, beyond their features "
                    "(calibrated on each alliance's cases; an alliance not listed takes 0)",
    )
    coefficients: CouncilCoefficients = CouncilCoefficients()
    cutpoints: list[AnyReal] = Field(
        default_factory=lambda: _quantities(-1.5172, -0.9228, -0.4072, 0.2085),  # calibrated
        description="tau_1 < tau_2 < tau_3 < tau_4 between the five rungs",
    )
    # the common shock did not earn its place out of sample (docs/validation.md, "Ablation"):
    # the calibrated model's members' noise is independent
    noise: Literal["independent", "common_shock"] = "independent"
    shock_correlation: Correlation = Field(
        default=0.3,  # the 0.1 judgement; used only with noise: common_shock
        description="rho: eps_i = sqrt(rho) z + sqrt(1 - rho) e_i under the common shock")
    leader_weight: UnitInterval = Field(
        default=0.5,  # held at its prior centre: fitting it did not earn its place (ablation)
        description="omega: the share of crises in which the leader's preference alone decides "
                    "(the alliance's own rule in the others); 0 for an alliance without a leader")
    unilateral_margin: Annotated[Quantity, AfterValidator(_in_range(0.0, MAX_COEFFICIENT))] = Field(
        default=0.4985,  # calibrated
        description="delta >= 0: a member acts without the alliance (fallback) only when its "
                    "latent support exceeds tau_4 + delta",
    )

    @field_validator("cutpoints")
    @classmethod
    def _check_cutpoints(cls, v: list[Quantity]) -> list[Quantity]:
        return _increasing(v, 4)

    @model_serializer(mode="wrap")
    def _bargaining_only_with_its_model(self, handler: SerializerFunctionWrapHandler
                                        ) -> dict[str, Any]:
        """The probit's council is written without `bargaining`: its dumps (the scenario.yaml
        a run writes, the scenario's SHA-256 of store/digest.py) stay as they were before the
        expected-utility council, and load again (bargaining is refused with the probit)."""
        data: dict[str, Any] = handler(self)
        if self.model != "expected_utility":
            data.pop("bargaining", None)
        return data

    @model_validator(mode="after")
    def _bargaining_needs_its_model(self) -> CouncilParameters:
        if "bargaining" in self.model_fields_set and self.model != "expected_utility":
            raise ValueError(f"bargaining applies only to model: expected_utility (the model "
                             f"is {self.model}; set model: expected_utility or remove "
                             f"bargaining)")
        return self


class RequestParameters(_Strict):
    """r = intercept + threat * log(S / D0) + trust_weight * (trust - 0.5) + eta, eta ~ N(0, 1).

    Defaults: fitted by `alliancesim calibrate` on the 17 bundled cases' requests (penalised
    maximum likelihood, prior sd 1 around the judgement 0.5, 1, 2, (-1, 0) with the intercept
    folded into the cut-points; experiments/request_fit.py, docs/validation.md). The threat
    coefficient comes out at 0: on the record, the force ratio does not predict the request.
    trust_weight is not informed (no case codes a trust) and stays at the judgement 2.
    """

    intercept: AnyReal = 0.0
    threat: AnyReal = -0.0002
    trust_weight: AnyReal = 2.0
    cutpoints: list[AnyReal] = Field(
        default_factory=lambda: _quantities(-0.6605, 0.1203),
        description="rho_1 < rho_2: below rho_1 no request, above rho_2 military help",
    )

    @field_validator("cutpoints")
    @classmethod
    def _check_cutpoints(cls, v: list[Quantity]) -> list[Quantity]:
        return _increasing(v, 2)


class ForceParameters(_Strict):
    """Voluntary contributions: u_i = V_i S log(1 + C/S) + pi s0 log(1 + c_i/s0) - c_i."""

    valuation: NonNegative = 1.5
    # 1 + mean recorded NATO token contingent (370, 350, 350, 350) / token_scale: docs/model.md
    private_benefit: NonNegative = 4.55
    token_scale: Positive = 100.0
    reference_army: Positive = 1_000_000.0


class DeploymentParameters(_Strict):
    transport_days: Days = 1.0
    unilateral_delay_days: Days = 0.5


class GeographyParameters(_Strict):
    """Power projection over distance (docs/model.md, "Geography").

    The loss-of-strength gradient (Boulding 1962, Conflict and Defense, ch. 12): of a force
    based d km from the theatre the share g(d) = 1 / (1 + d / half_strength_km) can be brought
    to bear fast; contiguity (COW conttype 1-3) or a base in the victim cancels it (d = 0).
    Travel adds d / km_per_day days to a contingent's arrival.
    """

    half_strength_km: Annotated[Quantity, AfterValidator(_in_range(1.0, 1e6))] = Field(
        default=5000.0,
        description="d_half: the distance at which half of a member's fast-deployable force "
                    "(or of the aggressor's committed force) reaches the theatre. JUDGEMENT: "
                    "the United States projected about half its rapid-reaction pledges across "
                    "the Atlantic in the first weeks (docs/model.md)")
    km_per_day: Annotated[Quantity, AfterValidator(_in_range(1.0, 1e6))] = Field(
        default=2000.0,
        description="v: the pace of moving a contingent by air and road, km per day. "
                    "JUDGEMENT: Belarusian and Armenian contingents (3,800 and 2,900 km) reached "
                    "Kazakhstan one to two days after the decision in January 2022")


class EngagementParameters(_Strict):
    attrition: Annotated[Quantity, AfterValidator(_in_range(1e-9, 1.0))] = 0.005
    irregular_efficiency: Annotated[Quantity, AfterValidator(_in_range(1e-9, 100.0))] = 0.1
    aggressor_break: UnitInterval = 0.3
    defender_break_ratio: Annotated[Quantity, AfterValidator(_in_range(0.0, 1e3))] = 0.25
    horizon_days: int = Field(default=60, ge=1, le=3650)


class Parameters(_Strict):
    uncertainty: Literal["off", "posterior"] | None = Field(
        default=None,
        description="posterior: draw the council's and the request stage's parameters from the "
        "calibration's posterior (MCMC draws, data/calibrated.yaml): one draw for every group "
        "of 128 trials, around this scenario's own values; off: use the values as given. "
        "Unset: the default of every command and api function that simulates (run, compare, "
        "sweep, reports: posterior); a value written here wins over that default, and "
        "`--parameter-uncertainty` (api: parameter_uncertainty=) wins over the file "
        "(scenario.params.with_uncertainty).")
    council: CouncilParameters = CouncilParameters()
    request: RequestParameters = RequestParameters()
    forces: ForceParameters = ForceParameters()
    deployment: DeploymentParameters = DeploymentParameters()
    geography: GeographyParameters = GeographyParameters()
    engagement: EngagementParameters = EngagementParameters()


# --------------------------------------------------------------------------- crisis
class ExposureOverride(_Strict):
    """A hand value of a member's exposure, with its reason (shown as a judgement)."""

    value: float = Field(ge=0.0, le=1.0)
    reason: str = Field(min_length=1)


def exposure_value(v: float | ExposureOverride) -> float:
    """The number of a crisis's exposure entry."""
    return float(v.value if isinstance(v, ExposureOverride) else v)


def crisis_date(value: datetime.date | str) -> datetime.date:
    """A crisis's date as a calendar date: YYYY-MM-DD as it is, YYYY-MM as the month's first
    day. Raises ValueError naming both valid forms."""
    if isinstance(value, datetime.date):
        return value
    for form in ("%Y-%m-%d", "%Y-%m"):
        try:
            return datetime.datetime.strptime(value, form).date()
        except ValueError:
            continue
    raise ValueError(f"date {value!r} is neither a date (YYYY-MM-DD) nor a year and month "
                     f"(YYYY-MM)")


class Crisis(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    title: str = ""
    description: str = ""
    victim: ActorId
    aggressor: ActorId
    threat: ThreatType
    territory: Literal["undisputed", "disputed"] = "undisputed"
    aggressor_strength: Troops | None = None
    aggressor_commitment: UnitInterval = 0.3
    defender_commitment: UnitInterval = 0.3
    request: Literal["auto", "none", "consultations", "material", "military"] = "auto"
    trust: UnitInterval = 0.5
    exposure: dict[ActorId, float | ExposureOverride] = Field(
        default_factory=dict,
        description="a member's spill-over exposure set by hand, overriding the rule over the "
                    "geography (docs/coding.md, 'Exposure'): a number in [0, 1] or "
                    "{value, reason}")
    engagement_law: Literal["auto", "square", "irregular"] = "auto"
    date: datetime.date | str | None = Field(
        default=None,
        description="when the crisis began: YYYY-MM-DD, or YYYY-MM when the day is not known "
                    "(`alliancesim sequence` runs the crises in date order)")
    observed: Rung | None = Field(
        default=None,
        description="the collective response the record shows (a bundled case's observed "
                    "rung): `alliancesim sequence --observed` forces it")

    @field_validator("date")
    @classmethod
    def _check_date(cls, value: datetime.date | str | None) -> datetime.date | str | None:
        """A calendar date, or a year and month (YYYY-MM)."""
        if value is None or isinstance(value, datetime.date):
            return value
        crisis_date(value)
        return value

    @model_validator(mode="after")
    def _check(self) -> Crisis:
        if self.victim == self.aggressor:
            raise ValueError(f"victim and aggressor are both '{self.victim}'")
        bad = {k: v for k, v in self.exposure.items()
               if isinstance(v, float | int) and not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(f"exposure values must be in [0, 1] (got {bad})")
        return self


# --------------------------------------------------------------------------- scenario
class Scenario(_Strict):
    name: str
    title: str = ""
    description: str = ""
    alliance: str | Alliance
    alliance_changes: dict[str, Any] = Field(
        default_factory=dict,
        description="changes laid over a bundled alliance (e.g. its decision_rule), merged key "
        "by key; the result is validated as an alliance",
    )
    actors: dict[ActorId, Actor] = Field(default_factory=dict)
    affinity: list[AffinityPair] = Field(default_factory=list)
    geography: list[GeoPair] = Field(
        default_factory=list,
        description="contiguity and distance between pairs of actors; the bundled geography "
                    "(data/geography.yaml) fills the pairs not given here")
    affinity_year: int | None = Field(
        default=None, ge=1946, le=2100,
        description="take affinities from data/affinity_years.yaml (UN ideal points of that "
        "year) where it has the pair; the scenario's own affinity list still wins")
    parameters: Parameters = Parameters()
    crises: list[Crisis] = Field(min_length=1)
    trials: int = Field(default=20_000, ge=1, le=MAX_TRIALS)
    seed: int = Field(default=2021, ge=0, le=MAX_SEED)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        if self.alliance_changes and not isinstance(self.alliance, str):
            raise ValueError("alliance_changes applies to a bundled alliance (alliance: csto); "
                             "with an inline alliance, edit it directly")
        ids = [c.id for c in self.crises]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"crisis ids must be unique; repeated: {', '.join(dup)}")
        return self

    def with_changes(self, changes: Mapping[str, Any]) -> Scenario:
        """A new, validated scenario with the value at each dotted path replaced::

            sc.with_changes({"parameters.council.coefficients.leader_stake": 0.5,
                             "crises.armenia-attack.aggressor_strength": 8000,
                             "alliance.decision_rule": {"rule": "qualified_majority",
                                                        "threshold": 0.667}})

        Paths as in sweeps and variants files (scenario/paths.py): fields by name, a crisis by
        its id, a list item by its index. On a resolved scenario (alliance inline),
        `alliance_changes.X` means `alliance.X`, so the same path serves a scenario file that
        names a bundled alliance. Values: numbers, strings, mappings, lists, distributions as
        mappings ({"dist": "normal", "mean": 0, "sd": 1}) or pydantic models (taken as their
        dump). The changes are applied in order to the scenario's full dump and the result is
        validated by the schema; a resolved scenario stays resolved (api functions check its
        ids again when they run it).

        Raises ScenarioError, one Problem per change that cannot be made (an unknown field,
        with the valid ones; no such crisis) or per value the schema refuses (with its bounds).
        """
        source = f"<{self.name} with changes>"
        data: dict[str, Any] = self.model_dump(mode="json", by_alias=True)
        problems: list[Problem] = []
        for path, value in changes.items():
            if not isinstance(path, str) or not path or any(not k for k in path.split(".")):
                problems.append(Problem(source, str(path), "expected a dotted path such as "
                                        "parameters.council.coefficients.leader_stake"))
                continue
            if not isinstance(self.alliance, str) and path.startswith("alliance_changes."):
                path = "alliance." + path.removeprefix("alliance_changes.")
            unknown = unknown_field(self, path)
            if unknown:
                problems.append(Problem(source, path, unknown))
                continue
            try:
                data = set_path(data, path, plain_value(value))
            except ValueError as exc:
                problems.append(Problem(source, path, str(exc)))
        if problems:
            raise ScenarioError(problems)
        try:
            return Scenario.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(_problems(exc, source)) from None


def _problems(exc: ValidationError, source: str) -> list[Problem]:
    """The schema's errors as Problems: the field's dotted path (pydantic's union and
    validator tags left out), the message and, where the message does not give it, the value."""
    out: list[Problem] = []
    for e in exc.errors():
        if e["loc"][:2] == ("alliance", "str") and e["type"] == "string_type":
            continue  # the other branch of alliance: str | Alliance, which the data did not take
        loc = [str(k) for k in e["loc"] if "[" not in str(k) and str(k) != "Alliance"]
        msg = e["msg"].removeprefix("Value error, ")
        got = middle_cut(repr(e.get("input")))
        out.append(Problem(source, ".".join(loc), msg if got in msg or str(e.get("input"))
                           in msg else f"{msg} (got {got})"))
    return out


def plain_value(value: Any) -> Any:
    """A Python value as scenario data: models dumped, tuples as lists, numpy scalars as
    Python numbers (anything with .item() and no length)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, Mapping):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "item") and not hasattr(value, "__len__"):
        return value.item()
    return value


def unknown_field(scenario: Scenario, path: str) -> str | None:
    """Why a dotted path names no field of the scenario's models (the valid names at the
    first wrong step), or None. Mappings (actors, exposure, alliance_intercepts...) accept
    new keys; lists are checked by set_path (an index or a crisis id)."""
    cur: Any = scenario
    keys = path.split(".")
    for i, key in enumerate(keys):
        if isinstance(cur, BaseModel):
            fields = type(cur).model_fields
            names = {f.alias or n: n for n, f in fields.items()} | {n: n for n in fields}
            if key not in names:
                where = ".".join(keys[:i]) or "the scenario"
                return (f"no field '{key}' in {where} (valid: "
                        f"{', '.join(sorted(f.alias or n for n, f in fields.items()))})")
            cur = getattr(cur, names[key])
        elif isinstance(cur, Mapping):
            cur = cur.get(key, cur.get(ThreatType(key)) if key in ThreatType.__members__
                          else None)
        elif isinstance(cur, list):
            match = [c for c in cur if getattr(c, "id", None) == key]
            cur = (match[0] if match else cur[int(key)] if key.isdigit() and int(key) < len(cur)
                   else None)
        elif keys[0] == "alliance" and i == 1 and isinstance(cur, str):
            return (f"the alliance is the bundled '{middle_cut(cur)}': change it with "
                    f"alliance_changes.{'.'.join(keys[1:])}, or resolve the scenario first "
                    "(api.load_scenario gives it resolved)")
        elif cur is not None:
            return (f"cannot go inside a value: {'.'.join(keys[:i])} is "
                    f"{middle_cut(repr(cur))}")
        else:
            return None  # a new entry or an empty field: set_path and the schema judge the rest
    return None
