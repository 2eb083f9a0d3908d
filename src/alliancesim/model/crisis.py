"""The forces a crisis opens with: the aggressor's strength and the victim's committed forces.

    S  = aggressor_strength                              when the crisis gives it, else
    S  = max(1, N_aggressor * c_aggressor * g(d_a))      (troops x the share committed,
                                                          projected over the distance d_a)
    D0 = c_defender * N_victim                           (the victim's committed troops)
    g(d) = 1 / (1 + d / d_half)                          (Boulding's loss-of-strength gradient)

N are active military personnel (actors.yaml: IISS Military Balance, COW NMC), c the shares
committed to the theatre (crisis fields aggressor_commitment, defender_commitment; default 0.3,
judgement: a state commits part of its army to one border). d_a is the aggressor's distance to
the victim (scenario/geography.py: 0 when contiguous or a non-state aggressor, else between the
capitals), d_half the half-strength distance (parameters.geography.half_strength_km, default
5,000 km, judgement; Boulding 1962, Conflict and Defense, ch. 12: strength falls with the
distance from its base). The floor of one soldier keeps the request's and the cost's
log-ratios finite.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from alliancesim._jit import njit


@njit(cache=True)
def projection(distance: float, half_strength: float) -> float:
    """g(d) = 1 / (1 + d / d_half): the share of a force based d km away that can be brought
    to bear (Boulding's loss-of-strength gradient in hyperbolic form; g(0) = 1)."""
    return 1.0 / (1.0 + distance / half_strength)


def aggressor_strength(values: Mapping[str, np.ndarray], distance: float = 0.0) -> np.ndarray:
    """S (T,): the crisis's aggressor_strength if drawn, else troops x commitment x g(d_a) (at
    least 1); d_a the aggressor's distance to the victim (km)."""
    if "aggressor_strength" in values:
        return values["aggressor_strength"]
    g = 1.0 / (1.0 + distance / values["geography.half_strength_km"])
    return np.maximum(values["aggressor_troops"] * values["aggressor_commitment"] * g, 1.0)


def committed_forces(values: Mapping[str, np.ndarray], victim_troops: np.ndarray) -> np.ndarray:
    """D0 (T,) = defender_commitment x the victim's troops."""
    return values["defender_commitment"] * victim_troops


@njit(cache=True)
def trial_opening_forces(strength_given: bool, strength: float, aggressor_troops: float,
                         aggressor_commitment: float, aggressor_distance: float,
                         half_strength: float, defender_commitment: float,
                         victim_troops: float) -> tuple[float, float]:
    """(S, D0) of one trial: the equations of aggressor_strength and committed_forces."""
    if strength_given:
        S = strength
    else:
        S = max(aggressor_troops * aggressor_commitment
                * projection(aggressor_distance, half_strength), 1.0)
    return S, defender_commitment * victim_troops
