"""Case designs: what the council's likelihood needs from a historical case.

The features are built by the same functions the engine uses (model/crisis.py,
model/council/features.py), at every quantity's point value: a case is one crisis as it was.
"""

from __future__ import annotations

import numpy as np

from alliancesim.model.council.base import CaseDesign
from alliancesim.model.council.features import council_features
from alliancesim.model.council.rules import rule_of, voter_index, voters
from alliancesim.model.crisis import aggressor_strength
from alliancesim.model.fallback import may_act_alone
from alliancesim.model.request import REQUEST_CAP
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import point


def point_values(model: CompiledCrisis) -> dict[str, np.ndarray]:
    """Every quantity at its point value, as 1-trial arrays."""
    return {q.name: np.array([np.clip(point(q.value), q.low, q.high)]) for q in model.quantities}


def point_troops(model: CompiledCrisis) -> np.ndarray:
    """The members' troops N_j (M,) at the point values (the cost feature's, and the
    expected-utility council's capabilities)."""
    v = point_values(model)
    return np.array([float(v[f"troops.{m}"][0]) for m in model.members])


def point_features(model: CompiledCrisis) -> np.ndarray:
    """The members' council features x (M, K) at the point values."""
    v = point_values(model)
    troops = np.stack([v[f"troops.{m}"] for m in model.members], axis=1)
    return council_features(model, aggressor_strength(v, model.aggressor_distance), troops)[0]


def design(model: CompiledCrisis, observed: int, case_id: str = "", outside: int = -1
           ) -> CaseDesign:
    """The design of a compiled one-crisis case whose request is fixed: the council's members
    (rules.voters) with their features, troops, rule, cap and observation."""
    if model.request_fixed < 0:
        raise ValueError(f"{case_id or model.crisis_id}: the request must be fixed")
    tied = may_act_alone(model.tie_to_victim, model.tie_to_aggressor, model.victim,
                         model.aggressor_member)
    keep, party = voters(model), model.aggressor_member  # the council's members (rule_of)
    return CaseDesign(case_id or model.crisis_id, point_features(model)[keep],
                      voter_index(model.victim, party), voter_index(model.leader, party),
                      rule_of(model), int(REQUEST_CAP[model.request_fixed]), observed,
                      tied[keep], outside, int(model.request_fixed), model.alliance,
                      point_troops(model)[keep])
