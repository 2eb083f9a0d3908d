"""The forces a crisis opens with: the aggressor's strength and the victim's committed forces.

    S  = aggressor_strength                              when the crisis gives it, else
    S  = max(1, N_aggressor * c_aggressor)               (troops x the share committed)
    D0 = c_defender * N_victim                           (the victim's committed troops)

N are active military personnel (actors.yaml: IISS Military Balance, COW NMC), c the shares
committed to the theatre (crisis fields aggressor_commitment, defender_commitment; default 0.3,
judgement: a state commits part of its army to one border). The floor of one soldier keeps the
request's and the cost's log-ratios finite.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numba import njit


def aggressor_strength(values: Mapping[str, np.ndarray]) -> np.ndarray:
    """S (T,): the crisis's aggressor_strength if drawn, else troops x commitment (at least 1)."""
    if "aggressor_strength" in values:
        return values["aggressor_strength"]
    return np.maximum(values["aggressor_troops"] * values["aggressor_commitment"], 1.0)


def committed_forces(values: Mapping[str, np.ndarray], victim_troops: np.ndarray) -> np.ndarray:
    """D0 (T,) = defender_commitment x the victim's troops."""
    return values["defender_commitment"] * victim_troops


@njit(cache=True)
def trial_opening_forces(strength_given: bool, strength: float, aggressor_troops: float,
                         aggressor_commitment: float, defender_commitment: float,
                         victim_troops: float) -> tuple[float, float]:
    """(S, D0) of one trial: the equations of aggressor_strength and committed_forces."""
    S = strength if strength_given else max(aggressor_troops * aggressor_commitment, 1.0)
    return S, defender_commitment * victim_troops
