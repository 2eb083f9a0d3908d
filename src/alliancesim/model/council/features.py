"""The members' council features x_i, in the order of COUNCIL_FEATURES.

Member constants, set when the crisis is compiled (scenario/compile.py, docs/model.md):
exposure to spill-over, affinity with the victim, affinity with the aggressor, the leader's
stake in the victim (leader x tie to the victim), the treaty's coverage of the threat
(in_scope), and being the aggressor. One feature depends on the trial, the cost of meeting the
threat with the members' combined forces:

    cost = log(1 + S / max(1, N_others)),   N_others = sum_{j != victim} N_j

S the aggressor's strength (model/crisis.py), N_j the members' troops: a threat large relative
to what the other members field makes acting costlier (Olson & Zeckhauser 1966: what an ally
pays grows with the size of the task).
"""

from __future__ import annotations

import numpy as np

from alliancesim._jit import njit
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.schema import COUNCIL_FEATURES

__all__ = ["COUNCIL_FEATURES", "cost", "council_columns", "council_features", "council_rows",
           "member_constants", "trial_cost"]


def cost(strength: np.ndarray, troops: np.ndarray, victim: int) -> np.ndarray:
    """The cost feature (T, 1): log(1 + S / max(1, sum of the other members' troops))."""
    others = troops.sum(axis=1) - troops[:, victim]
    return np.log1p(strength / np.maximum(others, 1.0))[:, None]


def member_constants(model: CompiledCrisis) -> dict[str, np.ndarray]:
    """The features that are member constants (M,) by name: every feature but the cost."""
    return {
        "exposure": model.exposure, "affinity_victim": model.affinity_victim,
        "affinity_aggressor": model.affinity_aggressor, "leader_stake": model.leader_stake,
        "in_scope": np.full(model.n_members, model.in_scope), "is_aggressor": model.is_aggressor,
    }


def council_rows(model: CompiledCrisis) -> tuple[np.ndarray, np.ndarray]:
    """(rows (M, K), is_row (K,)): the member constants in the order of COUNCIL_FEATURES, and
    which columns they fill (the others, the cost, are the trial's own: trial_cost)."""
    static = member_constants(model)
    rows = np.zeros((model.n_members, len(COUNCIL_FEATURES)))
    is_row = np.array([f in static for f in COUNCIL_FEATURES])
    for k, f in enumerate(COUNCIL_FEATURES):
        if f in static:
            rows[:, k] = static[f]
    return rows, is_row


def council_columns(model: CompiledCrisis, strength: np.ndarray, troops: np.ndarray
                    ) -> list[np.ndarray]:
    """The council features in the order of COUNCIL_FEATURES, each broadcastable to (T, M):
    member constants are (M,) rows, the cost a (T, 1) column."""
    static = member_constants(model)
    c = cost(strength, troops, model.victim)
    return [c if f == "cost" else static[f] for f in COUNCIL_FEATURES]


def council_features(model: CompiledCrisis, strength: np.ndarray, troops: np.ndarray
                     ) -> np.ndarray:
    """x (T, M, K) in the order of COUNCIL_FEATURES (for the closed form and calibration)."""
    T, M = troops.shape
    cols = [np.broadcast_to(c, (T, M)) for c in council_columns(model, strength, troops)]
    return np.stack(cols, axis=2)


@njit(cache=True)
def trial_cost(strength: float, troops: np.ndarray, victim: int) -> float:
    """The cost feature of one trial (troops (M,)): the equation of cost."""
    total = 0.0
    for i in range(troops.shape[0]):
        total += troops[i]
    return float(np.log1p(strength / max(total - troops[victim], 1.0)))
