"""Stage 3, fallback: acting without the alliance.

When the victim asked for military help but the collective rung is below it (L < 4), a member
with a tie to the victim (a bilateral treaty, a base in it) whose support clears a higher bar,
s_i > tau_4 + delta, acts alone or with other such members as a coalition of the willing
("Russia will defend the border, CSTO or not"). delta >= 0 (parameters.council.
unilateral_margin) is the extra support that acting without the alliance's cover takes;
delta = 0 means every member preferring military help (l_i = 4) acts on it. It is calibrated
with the council on the cases that record whether anyone acted outside the alliance. The victim
and a member that is itself the aggressor never act alone, nor does a member tied at least as
closely to the aggressor as to the victim (Russia, with bases in both Kyrgyzstan and Tajikistan,
mediates between them rather than fight one for the other).

When the alliance decides on military help (L = 4), the participants are the members whose own
preference is military (under consensus: all of them; under a majority rule the outvoted opt
out, as NATO members do).
"""

from __future__ import annotations

import numpy as np

from alliancesim._jit import njit

MILITARY = 4


def may_act_alone(tie_to_victim: np.ndarray, tie_to_aggressor: np.ndarray, victim: int,
                  aggressor_member: int) -> np.ndarray:
    """(M,) bool: tied to the victim more closely than to the aggressor, and neither of them."""
    tied = (tie_to_victim > 0) & (tie_to_victim > tie_to_aggressor)
    tied[victim] = False
    if aggressor_member >= 0:
        tied[aggressor_member] = False
    return np.asarray(tied)


@njit(cache=True)
def trial_participants(preferred: np.ndarray, rung: int, cap: int, tied: np.ndarray, victim: int,
                       aggressor_member: int, unilateral: np.ndarray, participant: np.ndarray
                       ) -> bool:
    """Who sends forces in one trial, compiled; returns whether members acted without the
    alliance. preferred, unilateral (M,); tied (M,) bool (may_act_alone); participant (M,) bool
    is written: under a collective decision for military help (rung 4) the members preferring
    it; when the victim asked for it (cap 4) and the alliance decided less, the tied members
    preferring it whose support clears tau_4 + delta. Never the victim or the aggressor."""
    fell_back = False
    for i in range(preferred.shape[0]):
        willing = preferred[i] == MILITARY and i != victim and i != aggressor_member
        alone = rung < MILITARY and cap == MILITARY and willing and tied[i] and unilateral[i]
        participant[i] = (rung == MILITARY and willing) or alone
        fell_back = fell_back or alone
    return fell_back


@njit(cache=True)
def _participants_kernel(preferred: np.ndarray, rung: np.ndarray, cap: np.ndarray,
                         tied: np.ndarray, victim: int, aggressor_member: int,
                         unilateral: np.ndarray, participant: np.ndarray, fell_back: np.ndarray
                         ) -> None:
    for t in range(preferred.shape[0]):
        fell_back[t] = trial_participants(preferred[t], rung[t], cap[t], tied, victim,
                                          aggressor_member, unilateral[t], participant[t])


def participants(
    preferred: np.ndarray, rung: np.ndarray, cap: np.ndarray, tie_to_victim: np.ndarray,
    tie_to_aggressor: np.ndarray, victim: int, aggressor_member: int, unilateral: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Who sends forces. Returns (participant (T, M) bool, fallback (T,) bool).

    preferred (T, M) int, rung (T,) int, cap (T,) the highest rung the request allows,
    tie_to_victim, tie_to_aggressor (M,) strengths in [0, 1]; unilateral (T, M) bool: support
    above tau_4 + delta (delta = 0: the members preferring military help). No troops go where
    they were not asked for. trial_participants for every trial.
    """
    T, M = preferred.shape
    part = np.empty((T, M), dtype=np.bool_)
    fell = np.empty(T, dtype=np.bool_)
    _participants_kernel(np.ascontiguousarray(preferred, dtype=np.int8),
                         np.ascontiguousarray(rung, dtype=np.int64),
                         np.ascontiguousarray(cap, dtype=np.int64),
                         may_act_alone(tie_to_victim, tie_to_aggressor, victim, aggressor_member),
                         victim, aggressor_member, np.ascontiguousarray(unilateral, dtype=np.bool_),
                         part, fell)
    return part, fell
