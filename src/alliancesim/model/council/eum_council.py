"""The expected-utility model as a council (issue 25, item 3): the written rule from a crisis's
member features to stakeholders, and from the bargaining's outcome to the rung ladder.

The engine's pass calls `trial_council` per trial when the crisis's council model is
expected_utility (engine.COUNCIL_CODES); the array functions below are the same rule over many
trials (tests, checks). docs/eum.md, "As a council".

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

import math
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from alliancesim._jit import njit
from alliancesim.model.council.eum import (
    OFFER_CODES,
    Bargaining,
    EUMSettings,
    bargain,
    bargain_compiled,
    trial_bargain,
)
from alliancesim.model.council.rules import DecisionRule
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
        settings = replace(settings, span=SCALE)
    return bargain(np.array(c), np.array(x), np.array(s), settings)


def simulated_probabilities(x: np.ndarray, troops: np.ndarray, values: Mapping[str, float],
                            rule: DecisionRule, victim: int, cap: int,
                            noise: str = "independent", victim_pref: int | None = None,
                            settings: EUMSettings | None = None, trials: int = 4000,
                            seed: int = 0) -> np.ndarray:
    """P(L = l), l = 0..4, by simulation (the EUM council has no closed form): `trials` games
    of the members with features x (M, K) and troops (M,) at the parameter values (scenario
    names: council.coefficients.X, council.intercept, council.alliance_intercept,
    council.cutpoints.k, council.shock_correlation, council.leader_weight), the member noise
    and common shock drawn from `seed` (the same seed: common random numbers across values),
    the victim supporting the rungs up to victim_pref (default: cap), the rule mixed with the
    leader's preference by the leader's weight, as the engine decides. The Monte Carlo error
    of each entry is sqrt(p (1 - p) / trials). The rounds are trial_bargain's, the engine's."""
    rng = np.random.default_rng(seed)
    m = x.shape[0]
    e = rng.standard_normal((trials, m))
    z = rng.standard_normal(trials)
    draw = rng.random(trials)
    beta = np.array([values[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES])
    intercept = values.get("council.intercept", 0.0) + values.get("council.alliance_intercept",
                                                                  0.0)
    tau = np.array([values[f"council.cutpoints.{k}"] for k in range(1, 5)])
    if noise == "common_shock":
        rho = values.get("council.shock_correlation", 0.0)
        eps = math.sqrt(rho) * z[:, None] + math.sqrt(1.0 - rho) * e
    else:
        eps = e
    position = positions(x, beta, intercept, eps)
    settings = settings or EUMSettings()
    if settings.span is None:
        settings = replace(settings, span=SCALE)
    final, _ = bargain_compiled(np.broadcast_to(capabilities(x, troops), position.shape),
                                position, np.broadcast_to(saliences(x), position.shape),
                                settings)
    pref = rungs(final, tau)
    pref[:, victim] = cap if victim_pref is None else victim_pref
    caps = np.full(trials, cap, dtype=np.int8)
    weight = np.full(trials, float(values.get("council.leader_weight", 0.0)))
    rung = rule.decide_weighted(pref, caps, victim, draw, weight)[0]
    return np.bincount(rung, minlength=5) / trials


def preferred_rungs(game: Bargaining, cutpoints: np.ndarray) -> np.ndarray:
    """(T, M) int8: each member's preferred rung after the last round (the decision rule's
    input, as the probit's preferred rungs are)."""
    return rungs(game.final, cutpoints)


def median_rung(game: Bargaining, cutpoints: np.ndarray) -> np.ndarray:
    """(T,) int8: the rung of the final weighted median (the EUM's own forecast)."""
    return rungs(game.median[-1], cutpoints)


# --------------------------------------------------------------------------- the engine's form
# settings_codes(settings) packs EUMSettings for trial_council: the integers (in this order)
# and the reals (q, t, span)
CODES = ("rounds", "fixed_t", "all_pairs", "add", "offer_rule", "no_move", "mover", "risk_votes")


def settings_codes(settings: EUMSettings) -> tuple[np.ndarray, np.ndarray]:
    """(codes int64 (len(CODES),), reals (q, t, span)) of `settings` for trial_council; the
    span is the response scale's length, 100, unless the settings give one."""
    codes = np.array([settings.rounds, settings.t is not None,
                      settings.denominator == "all_pairs", settings.no_challenge == "add",
                      OFFER_CODES[settings.offers], settings.conflict == "no_move",
                      settings.perspective == "mover", settings.votes == "risk"],
                     dtype=np.int64)
    reals = np.array([float(settings.q), 0.0 if settings.t is None else float(settings.t),
                      SCALE if settings.span is None else float(settings.span)])
    return codes, reals


@njit(cache=True)
def trial_phi(z: float) -> float:
    """Phi(z), the standard normal distribution function, by the complementary error
    function: 0.5 erfc(-z / sqrt 2) (the scalar reference computes it the same way)."""
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


@njit(cache=True)
def trial_council(head: np.ndarray, terms: np.ndarray, is_row: np.ndarray, first: int,
                  beta: np.ndarray, cols: np.ndarray, a: float, b: float, bar: float,
                  srt: np.ndarray, common: bool, e: np.ndarray, z: float, troops: np.ndarray,
                  voting: np.ndarray, salience: np.ndarray, codes: np.ndarray,
                  reals: np.ndarray, x: np.ndarray, c: np.ndarray, scratch: np.ndarray,
                  r: np.ndarray, new: np.ndarray, preferred: np.ndarray,
                  unilateral: np.ndarray) -> float:
    """The council stage's member model for one trial under the expected-utility model, given
    the probit's trial_constants (the same parameters, the same features, the same noise):

    - the latent support s_i = mu_i + eps_i, summed as probit.trial_given sums it;
    - positions x_i = 100 Phi(s_i), capabilities c_i = troops_i / max(sum troops, 1) (0 when
      not voting: the member that attacked another), saliences as given (`saliences`, member
      constants);
    - the rounds of trial_bargain with the settings (settings_codes), x moved in place;
    - each member's preferred rung: the cuts 100 Phi(tau_l) strictly below its final position;
      unilateral: its final position above 100 Phi(tau_4 + delta).

    Returns the final weighted median. With 0 rounds the rungs are the probit's (Phi is
    increasing). Scratch: x, c, r, new (M,), scratch (4, M, M)."""
    M = e.shape[0]
    K = beta.shape[0]
    total = 0.0
    for i in range(M):
        total += troops[i]
    total = max(total, 1.0)
    for i in range(M):
        mu = head[i]
        for k in range(first, K):
            mu += terms[i, k] if is_row[k] else beta[k] * cols[k]
        eps = a * z + b * e[i] if common else e[i]
        x[i] = SCALE * trial_phi(mu + eps)
        c[i] = troops[i] / total if voting[i] else 0.0
    median = trial_bargain(c, x, salience, codes[0], reals[0], reals[1], codes[1] != 0,
                           reals[2], codes[2] != 0, codes[3] != 0, codes[4], codes[5] != 0,
                           codes[6] != 0, codes[7] != 0, scratch, r, new)
    top = SCALE * trial_phi(bar)
    for i in range(M):
        n = 0
        for j in range(4):
            if x[i] > SCALE * trial_phi(srt[j]):
                n += 1
        preferred[i] = n
        unilateral[i] = x[i] > top
    return median
