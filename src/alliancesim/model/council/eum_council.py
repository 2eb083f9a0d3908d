"""The expected-utility model as a council (issue 25, item 3): the written rule from a crisis's
member features to stakeholders, and from the bargaining's outcome to the rung ladder.

Not yet wired into the engine (engine._pass calls the probit's per-trial function; item 4 gives
it a seam). These are the pure functions that seam will call; docs/eum.md, "As a council".

The rule (every input is a feature the ordered probit already uses, model/council/features.py,
in the order of COUNCIL_FEATURES; the victim is a member like the others):

- position on the 0-100 response scale: x_i = 100 Phi(b_0 + sum_k beta_k f_ik + eps_i), the
  probit's own latent support pushed through the normal distribution function: the same
  features, weighed by the same coefficients, and with eps_i the same per-trial member noise.
  Without bargaining (0 rounds) every member's preferred rung is then the probit's.
- the rung ladder: x > 100 Phi(tau_l) is rung l or more (tau the cut-points), so the ladder
  cuts the 0-100 scale where the probit's cut-points cut the latent support.
- salience s_i = clip(exposure_i + leader_stake_i + max(|aff(i, v)|, |aff(i, a)|) / 2,
  SALIENCE_FLOOR, 1): how much the crisis matters to i, whichever side it leans to (spill-over,
  the leader's stake, a strong tie to either party); the victim's exposure is 1, so its salience
  is 1. Judgement, stated: the weights are 1, 1 and 1/2; SALIENCE_FLOOR keeps an unexposed,
  indifferent member at the table with a small voice.
- capability c_i: the member's share of the members' troops (the same N_j the cost feature
  uses), so only ratios matter, as in the model.
- a member that attacked another (is_aggressor) has no vote (rules.rule_of drops it): its
  capability is 0.
- the outcome: each member's preferred rung is the rung of its final position; the alliance's
  decision rule (rules.DecisionRule) is applied to those rungs, as it is to the probit's. The
  weighted median's rung is reported beside it (the EUM's own forecast).
"""

from __future__ import annotations

import numpy as np

from alliancesim.model.council.eum import Bargaining, EUMSettings, bargain
from alliancesim.scenario.schema import COUNCIL_FEATURES

SALIENCE_FLOOR = 0.05
SCALE = 100.0


def _phi(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(z))


def _feature(features: np.ndarray, name: str) -> np.ndarray:
    return np.asarray(features[..., COUNCIL_FEATURES.index(name)])


def positions(features: np.ndarray, beta: np.ndarray, intercept: float,
              noise: np.ndarray | None = None) -> np.ndarray:
    """x = 100 Phi(b_0 + f . beta + eps): features (T, M, K) or (M, K) in the order of
    COUNCIL_FEATURES, beta (K,), noise (T, M) or None -> (T, M) (or (M,))."""
    z = intercept + features @ beta
    if noise is not None:
        z = z + noise
    return SCALE * _phi(z)


def saliences(features: np.ndarray) -> np.ndarray:
    """s = clip(exposure + leader_stake + max(|aff_victim|, |aff_aggressor|) / 2, floor, 1)."""
    raw = _feature(features, "exposure") + _feature(features, "leader_stake") \
        + 0.5 * np.maximum(np.abs(_feature(features, "affinity_victim")),
                           np.abs(_feature(features, "affinity_aggressor")))
    return np.asarray(np.clip(raw, SALIENCE_FLOOR, 1.0))


def capabilities(features: np.ndarray, troops: np.ndarray) -> np.ndarray:
    """c = the member's share of the members' troops; 0 for a member that attacked another.
    troops (T, M) or (M,), broadcast with the features' (T, M)."""
    troops = np.asarray(troops, dtype=float)
    voting = _feature(features, "is_aggressor") < 0.5
    share = troops / np.maximum(troops.sum(axis=-1, keepdims=True), 1.0)
    return np.asarray(np.where(voting, share, 0.0))


def rungs(position: np.ndarray, cutpoints: np.ndarray) -> np.ndarray:
    """The rung of each position: the number of the ladder's cuts 100 Phi(tau_l) below it
    (0 none ... 4 military assistance; strictly below, as the probit counts the cut-points
    below the support), int8 of the positions' shape."""
    cuts = SCALE * _phi(np.sort(np.asarray(cutpoints, dtype=float)))
    return np.asarray((position[..., None] > cuts).sum(axis=-1), dtype=np.int8)


def council_bargaining(features: np.ndarray, troops: np.ndarray, beta: np.ndarray,
                       intercept: float, noise: np.ndarray | None = None,
                       settings: EUMSettings | None = None) -> Bargaining:
    """The members' bargaining over the response, per trial: (T, M) stakeholders by the rule
    above, played with `settings` on the 0-100 scale (span 100)."""
    x = positions(features, beta, intercept, noise)
    shape = x.shape
    s = np.broadcast_to(saliences(features), shape)
    c = np.broadcast_to(capabilities(features, troops), shape)
    settings = settings or EUMSettings()
    if settings.span is None:
        from dataclasses import replace

        settings = replace(settings, span=SCALE)
    return bargain(np.array(c), np.array(x), np.array(s), settings)


def preferred_rungs(game: Bargaining, cutpoints: np.ndarray) -> np.ndarray:
    """(T, M) int8: each member's preferred rung after the last round (the decision rule's
    input, as the probit's preferred rungs are)."""
    return rungs(game.final, cutpoints)


def median_rung(game: Bargaining, cutpoints: np.ndarray) -> np.ndarray:
    """(T,) int8: the rung of the final weighted median (the EUM's own forecast)."""
    return rungs(game.median[-1], cutpoints)
