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

MILITARY = 4


def may_act_alone(tie_to_victim: np.ndarray, tie_to_aggressor: np.ndarray, victim: int,
                  aggressor_member: int) -> np.ndarray:
    """(M,) bool: tied to the victim more closely than to the aggressor, and neither of them."""
    tied = (tie_to_victim > 0) & (tie_to_victim > tie_to_aggressor)
    tied[victim] = False
    if aggressor_member >= 0:
        tied[aggressor_member] = False
    return np.asarray(tied)


def participants(
    preferred: np.ndarray, rung: np.ndarray, cap: np.ndarray, tie_to_victim: np.ndarray,
    tie_to_aggressor: np.ndarray, victim: int, aggressor_member: int, unilateral: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Who sends forces. Returns (participant (T, M) bool, fallback (T,) bool).

    preferred (T, M) int, rung (T,) int, cap (T,) the highest rung the request allows,
    tie_to_victim, tie_to_aggressor (M,) strengths in [0, 1]; unilateral (T, M) bool: support
    above tau_4 + delta (delta = 0: the members preferring military help). No troops go where
    they were not asked for.
    """
    willing = preferred == MILITARY
    willing[:, victim] = False
    if aggressor_member >= 0:
        willing[:, aggressor_member] = False
    collective = (rung == MILITARY)[:, None] & willing
    asked = (rung < MILITARY) & (cap == MILITARY)
    tied = may_act_alone(tie_to_victim, tie_to_aggressor, victim, aggressor_member)
    alone = asked[:, None] & willing & tied[None, :] & unilateral
    return collective | alone, alone.any(axis=1)
