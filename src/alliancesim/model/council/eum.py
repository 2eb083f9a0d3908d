"""Bueno de Mesquita's expected-utility model (EUM) of a collective decision, exact and vectorised.

Stakeholders i = 1..n hold a position x_i on one issue continuum, a capability c_i >= 0 and a
salience s_i in [0, 1]. Each round every actor weighs challenging every other; the offers that
follow move positions; the weighted median is the forecast. The specification is the one
Scholz, Calbert & Smith made explicit from Bueno de Mesquita's papers:

- Bueno de Mesquita, B. (1985). The war trap revisited: a revised expected utility model.
  American Political Science Review 79(1): 156-177 (the risk exponents).
- Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
  Bueno de Mesquita & Stokman (eds.), European Community Decision Making, ch. 4, pp. 71-104
  (the EU emission-standards example, Table 4.1).
- Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno de Mesquita's group
  decision model. Journal of Theoretical Politics 23(4): 510-531; the conference text of the
  same name, ICAART 2011, pp. 18-30 (its equations and Appendix algorithm; numbers below are
  that text's, as transcribed equation by equation in hamzagul07/schelling,
  docs/papers/scholz_extract.md).

The public replications this module was checked against, and where they differ (each
difference is a named switch of `EUMSettings`):

- D. Masad, dmasad/BDM_DecisionModel_Replication, GroupDecisionModel.py (its README: "does
  not fully reproduce the results in Scholz et al."): subtracts `Q U_sq - (1-Q)(...)`, i.e.
  *adds* the no-challenge better/worse term when Q < 1 (`no_challenge="add"`); each mover
  takes the offer of highest expected utility (`offers="most_enforceable"`).
- J. McKibben, jmckib/bdm-scholz-expected-utility-model, bdm_scholz_model.py, following
  Scholz et al.'s own code: the probability's denominator sums the absolute votes over every
  actor and every pair of positions (`denominator="all_pairs"`); movers prefer a
  confrontation, then a compromise, then a capitulation (`offers="by_kind"`).
- hamzagul07/schelling, DECISIONS.md D2.6: a conflict (both expect to gain) has an uncertain
  outcome and moves no one (BDM 1997, International Interactions 23: 235-266, p. 244;
  `conflict="no_move"`).

The equations (Scholz et al. numbering), for actors i, j, k; every array is trial-major,
(trials, n) or (trials, n, n) with axis 1 the actor i and axis 2 the other actor j:

- votes (26-29): v^{jk} = sum_i c_i s_i (|x_i - x_k| - |x_i - x_j|) / span;
  the weighted median mu is the Condorcet winner among the actors' positions (the position
  whose smallest margin over every other is largest; the lower one on a tie).
- utilities (15, 16, 22-24), with d = |x_i - x_j| / span, m = |x_i - mu| / span:
  U_s = 2 - 4 (0.5 - 0.5 d)^r_i,  U_f = 2 - 4 (0.5 + 0.5 d)^r_i,
  U_b = 2 - 4 (0.5 - 0.25 (m + d))^r_i,  U_w = 2 - 4 (0.5 + 0.25 (m + d))^r_i,
  U_sq = 2 - 4 (0.5)^r_i.
- probability that i prevails over j (30, 31): P^i = sum_{k: a_k > 0} c_k s_k a_k /
  sum_k c_k s_k |a_k|, a_k = |x_k - x_j| - |x_k - x_i| (so P^i + P^j = 1).
- expected utility of i challenging j (5-7):
  E^i(U_ij) = s_j (P^i U_s + (1 - P^i) U_f) + (1 - s_j) U_s - Q U_sq - (1 - Q)(T U_b + (1 - T) U_w).
  T (figs. 1-4): 1 when j's expected move to the median brings it closer to i
  (|x_i - mu| < |x_i - x_j|: cases 1 and 3A), else 0 (cases 2 and 3B); or a fixed number.
- risk (32-34, BDM 1985): security Sec_i = sum_{j != i} E^j(U_ji) (what i's adversaries expect
  from challenging i), R_i = (2 Sec_i - max_k Sec_k - min_k Sec_k) / (max - min),
  r_i = (1 - R_i / 3) / (1 + R_i / 3), in [0.5, 2]. Each round: the expected utilities with
  r = 1, then r from them, then the expected utilities again with r (Appendix steps 2-10).
- offers (section 6, fig. 6), for the mover i and the proposer j, a = E^i(U_ij),
  b = E^j(U_ji), the proposer expecting to gain (b > 0):
  confrontation a > 0 and b > a: i moves to x_j;
  compromise a < 0 and b > |a|: i moves to x_i + (x_j - x_i) |a / b| (eq. 36);
  capitulation a < 0 and |a| > b: i moves to x_j.
  Ties (a = b, |a| = b, a = 0) make no offer. Every actor then takes one of its offers
  (`offers`), all at once; a round ends when every actor has moved or stayed.

Two forms: `bargain` (numpy, every trial at once, every round's record) and `trial_bargain`
(numba, one trial, in place, with scratch arrays passed in: the form the engine's pass will
call), which the tests check against each other under every switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np

from alliancesim._jit import njit
from alliancesim.scenario.errors import UsageError

Denominator = Literal["dyad", "all_pairs"]
NoChallenge = Literal["subtract", "add"]
OfferChoice = Literal["least_move", "most_enforceable", "by_kind", "scholz_code"]
ConflictRule = Literal["loser_moves", "no_move"]
Perspective = Literal["own", "mover"]
Votes = Literal["linear", "risk"]

NO_OFFER, CONFRONTATION, COMPROMISE, CAPITULATION = 0, 1, 2, 3
OFFER_KINDS = ("none", "confrontation", "compromise", "capitulation")
MAX_ROUNDS = 1000


@dataclass(frozen=True)
class EUMSettings:
    """The model's settings; every contested reading is a named switch (defaults: Scholz et al.).

    rounds: bargaining rounds (Scholz et al. print eight for the EU example).
    q: Q, the probability that the status quo holds when i does not challenge j, in [0, 1]
        (Scholz et al. chose Q = 1 for the EU example, "no value for Q was given").
    t: T, the probability that the no-challenge change is for the better; None (default): 1 or
        0 by Scholz et al.'s four cases (see the module's docstring).
    span: x_max - x_min in every distance; None (default): the spread of the initial positions
        (the data's range, fixed over the rounds); a number, e.g. 100 on a 0-100 scale, must
        be at least that spread.
    denominator: "dyad" (eq. 30-31: the absolute votes in this contest, P^i + P^j = 1) or
        "all_pairs" (Scholz et al.'s code as McKibben transcribes it: the absolute votes over
        every actor and every pair of positions, so the probabilities are small).
    no_challenge: "subtract" (eq. 5, 7: minus Q U_sq minus (1-Q)(T U_b + (1-T) U_w)) or "add"
        (Masad's replication: minus Q U_sq plus that term). Equal when Q = 1.
    offers: how an actor with several offers chooses: "least_move" (section 6.2: it moves
        the least it can; ties to the proposer with the larger expected utility),
        "most_enforceable" (it concedes to the proposer with the largest expected utility;
        ties to the least move), "by_kind" (a confrontation before a compromise before a
        capitulation, each the least move), "scholz_code" (as "by_kind", but among
        compromises the one whose weighted position (|a| x_i + |b| x_j) / (|a| + |b|) is
        lowest: Scholz et al.'s code, per McKibben, who calls it a mistake against their
        text). Ties left after these go to the earlier actor.
    conflict: "loser_moves" (section 6.1: in a confrontation the actor with the smaller
        expected utility moves to the other's position) or "no_move" (BDM 1997: a conflict's
        outcome is uncertain and moves no one).
    perspective: whose risk exponent the proposer's expected utility b = E^j(U_ji) uses when
        the mover i weighs an offer: "own" (r_j, the paper) or "mover" (r_i: every utility
        "from the actor's perspective", Scholz et al.'s code per McKibben).
    votes: the votes in the probability of prevailing: "linear" (eq. 28) or "risk"
        (((|x_k - x_j| / span)^r_k - (|x_k - x_i| / span)^r_k) with the voter's exponent,
        Scholz et al.'s code per McKibben). Equal while every r = 1.
    """

    rounds: int = 8
    q: float = 1.0
    t: float | None = None
    span: float | None = None
    denominator: Denominator = "dyad"
    no_challenge: NoChallenge = "subtract"
    offers: OfferChoice = "least_move"
    conflict: ConflictRule = "loser_moves"
    perspective: Perspective = "own"
    votes: Votes = "linear"

    @classmethod
    def scholz_code(cls, rounds: int = 8) -> EUMSettings:
        """The variant of Scholz et al.'s own program as McKibben transcribes it
        (jmckib/bdm-scholz-expected-utility-model): all-pairs denominator, votes with the
        voters' risk exponents, every expected utility from the mover's exponent, offers by
        kind with compromises ordered by their weighted position. For the EU example it gives
        the medians Scholz et al. print for rounds 1 and 3-8, not round 2, and the same rounds
        as McKibben's program (tests/test_issue25_eum.py). One difference from that program:
        its capitulation test (`eu_ji < abs(eu_ji)`) can never hold, a slip; here an actor
        can capitulate (it does not, in the EU example)."""
        return cls(rounds=rounds, denominator="all_pairs", offers="scholz_code",
                   perspective="mover", votes="risk")

    def __post_init__(self) -> None:
        if isinstance(self.rounds, bool) or not isinstance(self.rounds, int) \
                or not 0 <= self.rounds <= MAX_ROUNDS:
            raise UsageError(f"must be a whole number from 0 to {MAX_ROUNDS}", param="rounds",
                             value=self.rounds)
        for name, value in (("q", self.q), ("t", self.t)):
            if value is not None and not (isinstance(value, int | float)
                                          and not isinstance(value, bool) and 0 <= value <= 1):
                raise UsageError("must be a number from 0 to 1", param=name, value=value)
        if self.span is not None and not (isinstance(self.span, int | float)
                                          and np.isfinite(self.span) and self.span > 0):
            raise UsageError("must be a positive number (the issue scale's length)",
                             param="span", value=self.span)
        for name, kind in (("denominator", Denominator), ("no_challenge", NoChallenge),
                           ("offers", OfferChoice), ("conflict", ConflictRule),
                           ("perspective", Perspective), ("votes", Votes)):
            valid = get_args(kind)
            if getattr(self, name) not in valid:
                raise UsageError(f"unknown; valid: {', '.join(valid)}", param=name,
                                 value=getattr(self, name))


@dataclass(frozen=True)
class Bargaining:
    """The rounds of one or many bargaining games (trials), trial-major.

    positions: (rounds + 1, trials, n), row 0 the initial positions, row k after round k.
    median, mean: (rounds + 1, trials), the weighted median and the capability x salience
        weighted mean of each row of positions.
    risk: (rounds, trials, n), the risk exponents r_i used in each round.
    expected: (rounds, trials, n, n), E^i(U_ij) with those exponents (the diagonal 0); (0,
        trials, n, n) when bargain was told not to keep it.
    proposer: (rounds, trials, n), whose offer actor i took in each round (-1: none).
    kind: (rounds, trials, n), which offer (NO_OFFER, CONFRONTATION, COMPROMISE,
        CAPITULATION).
    """

    positions: np.ndarray
    median: np.ndarray
    mean: np.ndarray
    risk: np.ndarray
    expected: np.ndarray
    proposer: np.ndarray
    kind: np.ndarray
    span: np.ndarray = field(repr=False)

    @property
    def final(self) -> np.ndarray:
        """(trials, n): the positions after the last round."""
        return self.positions[-1]

    def settled(self) -> np.ndarray:
        """(trials,) int: the first round after which no position changes again (0: none ever
        moved); -1 where positions still moved in the last round."""
        moved = np.any(self.positions[1:] != self.positions[:-1], axis=2)  # (rounds, trials)
        rounds = moved.shape[0]
        if rounds == 0:
            return np.zeros(self.positions.shape[1], dtype=np.int64)
        last_moved = np.where(moved.any(axis=0), rounds - np.argmax(moved[::-1], axis=0), 0)
        return np.where(moved[-1], -1, last_moved)


def _trials(a: np.ndarray) -> np.ndarray:
    """An (n,) or (trials, n) array as (trials, n) floats."""
    a = np.asarray(a, dtype=float)
    return a[None, :] if a.ndim == 1 else a


def weighted_mean(position: np.ndarray, capability: np.ndarray, salience: np.ndarray
                  ) -> np.ndarray:
    """The mean position weighted by capability x salience: sum c s x / sum c s.

    (trials, n) arrays (or (n,)) -> (trials,). BDM (1994), the "mean voter" beside the median.
    """
    x, w = _trials(position), _trials(capability) * _trials(salience)
    return np.asarray((w * x).sum(axis=1) / w.sum(axis=1))


def pairwise_votes(position: np.ndarray, weight: np.ndarray, span: np.ndarray) -> np.ndarray:
    """v[t, j, k] = sum_i w_i (|x_i - x_k| - |x_i - x_j|) / span: the votes for x_j over x_k.

    position, weight (c s): (trials, n); span: (trials,). Scholz et al. eq. 28-29 (their
    factor 2 omitted: it changes no winner and cancels in every ratio).
    """
    dist = np.abs(position[:, :, None] - position[:, None, :])  # [t, i, j] = |x_i - x_j|
    votes = np.einsum("ti,tik->tk", weight, dist)[:, None, :] \
        - np.einsum("ti,tij->tj", weight, dist)[:, :, None]
    return np.asarray(votes / span[:, None, None])


def weighted_median(position: np.ndarray, capability: np.ndarray, salience: np.ndarray
                    ) -> np.ndarray:
    """The Condorcet winner among the actors' positions by capability x salience votes.

    The position x_j whose smallest margin min_k v^{jk} is largest (with distance utilities
    this is the weighted median: Black 1948, as Scholz et al. section 3.2 use it); of two
    positions tied (weight exactly half each side), the lower. (trials, n) -> (trials,).
    """
    x = _trials(position)
    w = _trials(capability) * _trials(salience)
    worst = pairwise_votes(x, w, np.ones(x.shape[0])).min(axis=2)  # (trials, n)
    best = worst.max(axis=1, keepdims=True)
    tol = 1e-12 * np.maximum(1.0, np.abs(w).sum(axis=1, keepdims=True) * np.ptp(x, axis=1,
                                                                              keepdims=True))
    candidates = np.where(worst >= best - tol, x, np.inf)
    return np.asarray(candidates.min(axis=1))


def win_probability(position: np.ndarray, weight: np.ndarray,
                    denominator: Denominator = "dyad", risk: np.ndarray | None = None,
                    span: np.ndarray | None = None) -> np.ndarray:
    """P[t, i, j]: the probability that i prevails when it challenges j (eq. 30-31).

    a_k = |x_k - x_j| - |x_k - x_i| (k's vote for i over j, per unit of weight);
    numerator sum_{k: a_k > 0} w_k a_k; denominator "dyad": sum_k w_k |a_k| (then
    P^i + P^j = 1), "all_pairs": sum_k sum_{a, b} w_k |a_k(a, b)| over every ordered pair of
    positions (McKibben's transcription of Scholz et al.'s code). 0 where x_i = x_j (no
    contest; there U_s = U_f, so P does not enter the expected utility). With `risk` (trials,
    n) and `span` (trials,), k's distances are (|x_k - x| / span)^r_k (votes="risk").
    """
    dist = np.abs(position[:, :, None] - position[:, None, :])  # [t, k, j] = |x_k - x_j|
    same = dist == 0.0  # [t, i, j]: x_i = x_j
    if risk is not None and span is not None:
        dist = (dist / span[:, None, None]) ** risk[:, :, None]
    trials, n = weight.shape
    num = np.zeros((trials, n, n))
    den = np.zeros((trials, n, n))
    for k in range(n):  # one voter at a time: memory O(trials n^2), not n^3
        arg = dist[:, k, None, :] - dist[:, k, :, None]  # [t, i, j] = d(k, j) - d(k, i)
        w = weight[:, k, None, None]
        num += w * np.maximum(arg, 0.0)
        den += w * np.abs(arg)
    if denominator == "all_pairs":
        den = np.broadcast_to(den.sum(axis=(1, 2))[:, None, None], den.shape)
    return np.asarray(np.where(same | (den <= 0), 0.0, num / np.where(den > 0, den, 1.0)))


def _power(base: np.ndarray, r: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(base, 0.0) ** r)


def utilities(position: np.ndarray, median: np.ndarray, risk: np.ndarray, span: np.ndarray
              ) -> dict[str, np.ndarray]:
    """The basic utilities of i against j (eq. 15, 16, 22-24), from i's risk exponent r_i.

    position: (trials, n); median, span: (trials,); risk: (trials, n) for r_i, or (trials, n,
    n) for an exponent per pair [t, i, j]. Returns "success", "failure", "better", "worse":
    (trials, n, n) [t, i, j], and "status_quo" broadcastable to them.
    """
    d = np.abs(position[:, :, None] - position[:, None, :]) / span[:, None, None]
    m = (np.abs(position - median[:, None]) / span[:, None])[:, :, None]
    r = risk[:, :, None] if risk.ndim == 2 else risk
    return {
        "success": 2 - 4 * _power(0.5 - 0.5 * d, r),
        "failure": 2 - 4 * _power(0.5 + 0.5 * d, r),
        "better": 2 - 4 * _power(0.5 - 0.25 * (m + d), r),
        "worse": 2 - 4 * _power(0.5 + 0.25 * (m + d), r),
        "status_quo": 2 - 4 * 0.5 ** r,
    }


def better_chance(position: np.ndarray, median: np.ndarray, t: float | None) -> np.ndarray:
    """T[t, i, j]: 1 when j's expected move to the median brings it closer to i
    (|x_i - mu| < |x_i - x_j|, Scholz et al.'s cases 1 and 3A), else 0 (cases 2 and 3B); or
    the fixed number t. (trials, n, n)."""
    if t is not None:
        return np.full(position.shape + position.shape[1:], float(t))
    to_median = np.abs(position - median[:, None])[:, :, None]
    to_other = np.abs(position[:, :, None] - position[:, None, :])
    return (to_median < to_other).astype(float)


def expected_utility(probability: np.ndarray, u: dict[str, np.ndarray], salience: np.ndarray,
                     q: float, better: np.ndarray, no_challenge: NoChallenge = "subtract"
                     ) -> np.ndarray:
    """E^i(U_ij) (eq. 5-7), (trials, n, n); the diagonal (no self-challenge) is 0.

    s_j (P U_s + (1 - P) U_f) + (1 - s_j) U_s - Q U_sq -/+ (1 - Q)(T U_b + (1 - T) U_w):
    minus for no_challenge "subtract" (Scholz et al.), plus for "add" (Masad).
    """
    s_j = salience[:, None, :]
    challenge = s_j * (probability * u["success"] + (1 - probability) * u["failure"]) \
        + (1 - s_j) * u["success"]
    changed = better * u["better"] + (1 - better) * u["worse"]
    sign = -1.0 if no_challenge == "subtract" else 1.0
    eu = challenge - q * u["status_quo"] + sign * (1 - q) * changed
    n = eu.shape[1]
    eu[:, np.arange(n), np.arange(n)] = 0.0
    return np.asarray(eu)


def risk_exponents(expected: np.ndarray) -> np.ndarray:
    """r_i = (1 - R_i/3) / (1 + R_i/3) (eq. 33), in [0.5, 2], (trials, n).

    Security Sec_i = sum_{j != i} E^j(U_ji), the column sums of `expected` (what i's
    adversaries expect from challenging it; section 5, as both public replications read it);
    R_i = (2 Sec_i - max Sec - min Sec) / (max Sec - min Sec) (eq. 34, BDM 1985), 0 when every
    actor is equally secure (one actor, or all at one position): then r_i = 1.
    """
    security = expected.sum(axis=1)  # column sums: [t, i] = sum_j E^j(U_ji)
    top = security.max(axis=1, keepdims=True)
    bottom = security.min(axis=1, keepdims=True)
    spread = top - bottom
    flat = spread <= 1e-12 * np.maximum(1.0, np.abs(top))
    big_r = np.where(flat, 0.0, (2 * security - top - bottom) / np.where(flat, 1.0, spread))
    big_r = np.clip(big_r, -1.0, 1.0)
    return np.asarray((1 - big_r / 3) / (1 + big_r / 3))


def offers(position: np.ndarray, expected: np.ndarray, conflict: ConflictRule = "loser_moves",
           proposed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The offer each proposer j makes to each mover i: (kind, target), both (trials, n, n)
    [t, i, j], from a = E^i(U_ij) and b = E^j(U_ji) (fig. 6; see the module's docstring);
    `proposed`: b [t, i, j] where it is not the transpose of `expected` (perspective "mover")."""
    a = expected
    b = np.swapaxes(expected, 1, 2) if proposed is None else proposed
    xi = position[:, :, None]
    xj = position[:, None, :]
    moves = xi != xj
    confront = (a > 0) & (b > a) & moves & (conflict == "loser_moves")
    compromise = (a < 0) & (b > 0) & (b > -a) & moves
    capitulate = (a < 0) & (b > 0) & (-a > b) & moves
    kind = np.where(confront, CONFRONTATION,
                    np.where(compromise, COMPROMISE, np.where(capitulate, CAPITULATION,
                                                              NO_OFFER)))
    ratio = np.abs(a) / np.where(b > 0, b, 1.0)
    target = np.where(kind == COMPROMISE, xi + (xj - xi) * ratio,
                      np.where(kind == NO_OFFER, xi, xj))
    return kind.astype(np.int8), np.asarray(target)


def choose(position: np.ndarray, expected: np.ndarray, kind: np.ndarray, target: np.ndarray,
           rule: OfferChoice = "least_move", proposed: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray]:
    """Each mover's chosen offer: (proposer, new position), (trials, n) each; proposer -1 and
    the position unchanged where it has no offer. `rule` as in EUMSettings.offers."""
    move = np.abs(target - position[:, :, None])
    enforce = np.swapaxes(expected, 1, 2) if proposed is None else proposed  # b = E^j(U_ji)
    index = np.broadcast_to(np.arange(kind.shape[2]), kind.shape)
    none = kind == NO_OFFER
    if rule == "least_move":
        keys: tuple[np.ndarray, ...] = (index, -enforce, move)
    elif rule == "most_enforceable":
        keys = (index, move, -enforce)
    elif rule == "by_kind":
        keys = (index, move, kind.astype(float))
    else:  # scholz_code: by kind; compromises by their weighted position
        a = np.abs(expected)
        b = np.abs(enforce)
        x_j = np.broadcast_to(position[:, None, :], kind.shape)
        weighted = (a * position[:, :, None] + b * x_j) / np.where(a + b > 0, a + b, 1.0)
        keys = (index, np.where(kind == COMPROMISE, weighted, move), kind.astype(float))
    order = np.lexsort((*keys, none), axis=-1)
    best = order[..., 0]  # (trials, n)
    chosen_kind = np.take_along_axis(kind, best[..., None], axis=2)[..., 0]
    new = np.take_along_axis(target, best[..., None], axis=2)[..., 0]
    has = chosen_kind != NO_OFFER
    return np.where(has, best, -1), np.where(has, new, position)


def _spans(x: np.ndarray, span: float | None) -> np.ndarray:
    spread = np.ptp(x, axis=1)
    if span is None:
        return np.where(spread > 0, spread, 1.0)
    if np.any(spread > span * (1 + 1e-12)):
        raise UsageError(f"is smaller than the positions' spread ({float(spread.max()):g})",
                         param="span", value=span)
    return np.full(x.shape[0], float(span))


def check_inputs(capability: np.ndarray, position: np.ndarray, salience: np.ndarray) -> None:
    """Shapes equal (n,) or (trials, n) with n >= 1; every number finite; capability >= 0;
    salience in [0, 1]; some capability x salience positive in each trial (UsageError)."""
    shapes = {np.shape(capability), np.shape(position), np.shape(salience)}
    if len(shapes) != 1:
        raise UsageError(f"capability, position and salience differ in shape ({shapes})")
    shape = shapes.pop()
    if len(shape) not in (1, 2) or shape[-1] < 1:
        raise UsageError(f"needs (actors,) or (trials, actors) arrays with one actor or more, "
                         f"got shape {shape}")
    for name, a in (("capability", capability), ("position", position),
                    ("salience", salience)):
        if not np.all(np.isfinite(np.asarray(a, dtype=float))):
            raise UsageError("has a value that is not a finite number", param=name)
    if np.any(np.asarray(capability, dtype=float) < 0):
        raise UsageError("has a negative value (valid: 0 or more)", param="capability")
    s = np.asarray(salience, dtype=float)
    if np.any((s < 0) | (s > 1)):
        raise UsageError("has a value outside [0, 1]", param="salience")
    w = _trials(capability) * _trials(salience)
    if np.any(w.sum(axis=1) <= 0):
        raise UsageError("every actor has capability x salience 0: no one has a say",
                         param="capability")


def bargain(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
            settings: EUMSettings | None = None, keep_expected: bool = True) -> Bargaining:
    """Run the rounds of the expected-utility model (Scholz et al., Appendix steps 1-13).

    capability, position, salience: (n,) for one game or (trials, n) for many at once (the
    same actors, inputs drawn per trial). Each round: r = 1; the weighted median mu; the
    expected utilities; the risk exponents from them; the expected utilities again with
    those exponents; the offers; every actor takes one (settings.offers), all at once.
    keep_expected=False leaves `expected` empty (0, trials, n, n): many trials need not keep
    every round's n x n matrix. Memory otherwise O(trials n^2) per round.
    """
    settings = settings or EUMSettings()
    check_inputs(capability, position, salience)
    c, x, s = _trials(capability), _trials(position).copy(), _trials(salience)
    trials, n = x.shape
    w = c * s
    span = _spans(x, settings.span)
    rounds = settings.rounds
    positions = np.empty((rounds + 1, trials, n))
    median = np.empty((rounds + 1, trials))
    mean = np.empty((rounds + 1, trials))
    risk = np.empty((rounds, trials, n))
    expected = np.empty((rounds if keep_expected else 0, trials, n, n))
    proposer = np.empty((rounds, trials, n), dtype=np.int64)
    kinds = np.empty((rounds, trials, n), dtype=np.int8)
    positions[0] = x
    median[0] = weighted_median(x, c, s)
    mean[0] = weighted_mean(x, c, s)
    for k in range(rounds):
        mu = median[k]
        t = better_chance(x, mu, settings.t)

        def eu(r: np.ndarray, exponent: np.ndarray, x: np.ndarray = x, mu: np.ndarray = mu,
               t: np.ndarray = t) -> np.ndarray:
            """E^i(U_ij), the votes with exponents r, the utilities with `exponent`."""
            p = win_probability(x, w, settings.denominator,
                                r if settings.votes == "risk" else None, span)
            return expected_utility(p, utilities(x, mu, exponent, span), s, settings.q, t,
                                    settings.no_challenge)

        ones = np.ones_like(x)
        r = risk_exponents(eu(ones, ones))
        e = eu(r, r)
        if settings.perspective == "mover":  # b[i, j] = E^j(U_ji) with the mover i's exponent
            b = np.swapaxes(eu(r, np.broadcast_to(r[:, None, :], e.shape)), 1, 2)
        else:
            b = np.swapaxes(e, 1, 2)
        kind, target = offers(x, e, settings.conflict, b)
        who, x = choose(x, e, kind, target, settings.offers, b)
        risk[k], proposer[k] = r, who
        if keep_expected:
            expected[k] = e
        kinds[k] = np.where(who >= 0, np.take_along_axis(kind, np.maximum(who, 0)[..., None],
                                                         axis=2)[..., 0], NO_OFFER)
        positions[k + 1] = x
        median[k + 1] = weighted_median(x, c, s)
        mean[k + 1] = weighted_mean(x, c, s)
    return Bargaining(positions=positions, median=median, mean=mean, risk=risk,
                      expected=expected, proposer=proposer, kind=kinds, span=span)


# --------------------------------------------------------------------------- compiled form
OFFER_CODES = {"least_move": 0, "most_enforceable": 1, "by_kind": 2, "scholz_code": 3}


@njit(cache=True)
def _trial_median(x: np.ndarray, w: np.ndarray) -> float:
    """The weighted median of one trial: the position minimising sum_i w_i |x_i - x_j| (the
    Condorcet winner of weighted_median: v^{jk} = D_k - D_j), the lower one on a tie."""
    n = x.shape[0]
    best = np.inf
    total_w = 0.0
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        total_w += abs(w[i])
        lo = min(lo, x[i])
        hi = max(hi, x[i])
    tol = 1e-12 * max(1.0, total_w * (hi - lo))
    dist = np.empty(n)
    for j in range(n):
        d = 0.0
        for i in range(n):
            d += w[i] * abs(x[i] - x[j])
        dist[j] = d
        best = min(best, d)
    out = np.inf
    for j in range(n):
        if dist[j] <= best + tol and x[j] < out:
            out = x[j]
    return out


@njit(cache=True)
def _trial_probability(x: np.ndarray, w: np.ndarray, r: np.ndarray, span: float,
                       all_pairs: bool, risk_votes: bool, p: np.ndarray) -> None:
    """win_probability for one trial into p (n, n)."""
    n = x.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            num = 0.0
            den = 0.0
            for k in range(n):
                dj = abs(x[k] - x[j])
                di = abs(x[k] - x[i])
                if risk_votes:
                    dj = (dj / span) ** r[k]
                    di = (di / span) ** r[k]
                a = dj - di
                if a > 0.0:
                    num += w[k] * a
                den += w[k] * abs(a)
            p[i, j] = num
            if all_pairs:
                total += den
            else:
                p[i, j] = 0.0 if (x[i] == x[j] or den <= 0.0) else num / den
    if all_pairs:
        for i in range(n):
            for j in range(n):
                p[i, j] = 0.0 if (x[i] == x[j] or total <= 0.0) else p[i, j] / total


@njit(cache=True)
def _trial_eu(x: np.ndarray, s: np.ndarray, p: np.ndarray, mu: float, span: float, q: float,
              t: float, fixed_t: bool, add: bool, i: int, j: int, r: float) -> float:
    """E^i(U_ij) of one trial with the exponent r (expected_utility of utilities)."""
    if i == j:
        return 0.0
    d = abs(x[i] - x[j]) / span
    m = abs(x[i] - mu) / span
    us = 2.0 - 4.0 * max(0.5 - 0.5 * d, 0.0) ** r
    uf = 2.0 - 4.0 * max(0.5 + 0.5 * d, 0.0) ** r
    ub = 2.0 - 4.0 * max(0.5 - 0.25 * (m + d), 0.0) ** r
    uw = 2.0 - 4.0 * max(0.5 + 0.25 * (m + d), 0.0) ** r
    usq = 2.0 - 4.0 * 0.5 ** r
    tt = t if fixed_t else (1.0 if abs(x[i] - mu) < abs(x[i] - x[j]) else 0.0)
    pij = p[i, j]
    challenge = s[j] * (pij * us + (1.0 - pij) * uf) + (1.0 - s[j]) * us
    changed = tt * ub + (1.0 - tt) * uw
    sign = 1.0 if add else -1.0
    return challenge - q * usq + sign * (1.0 - q) * changed


@njit(cache=True)
def trial_bargain(c: np.ndarray, x: np.ndarray, s: np.ndarray, rounds: int, q: float,
                  t: float, fixed_t: bool, span: float, all_pairs: bool, add: bool,
                  offer_rule: int, no_move: bool, mover: bool, risk_votes: bool,
                  scratch: np.ndarray, r: np.ndarray, new: np.ndarray) -> float:
    """The rounds of one game, compiled: x (n,) is moved in place to the final positions;
    returns the final weighted median. The same equations, in the same order, as `bargain`
    (tests/test_issue25_eum.py checks they agree). Switch codes: offer_rule as OFFER_CODES;
    the others True for all_pairs, "add", "no_move", "mover", "risk". scratch: (4, n, n);
    r, new: (n,)."""
    n = x.shape[0]
    p = scratch[0]
    e = scratch[1]
    b = scratch[2]
    w = scratch[3, 0]
    for i in range(n):
        w[i] = c[i] * s[i]
    for _ in range(rounds):
        mu = _trial_median(x, w)
        for i in range(n):
            r[i] = 1.0
        _trial_probability(x, w, r, span, all_pairs, risk_votes, p)
        for i in range(n):
            for j in range(n):
                e[i, j] = _trial_eu(x, s, p, mu, span, q, t, fixed_t, add, i, j, 1.0)
        top = -np.inf
        bottom = np.inf
        for i in range(n):
            sec = 0.0
            for j in range(n):
                sec += e[j, i]
            new[i] = sec
            top = max(top, sec)
            bottom = min(bottom, sec)
        spread = top - bottom
        flat = spread <= 1e-12 * max(1.0, abs(top))
        for i in range(n):
            big_r = 0.0 if flat else min(1.0, max(-1.0, (2.0 * new[i] - top - bottom) / spread))
            r[i] = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)
        if risk_votes:
            _trial_probability(x, w, r, span, all_pairs, risk_votes, p)
        for i in range(n):
            for j in range(n):
                e[i, j] = _trial_eu(x, s, p, mu, span, q, t, fixed_t, add, i, j, r[i])
        for i in range(n):  # b[i, j] = E^j(U_ji), with r_j (own) or the mover's r_i
            for j in range(n):
                b[i, j] = _trial_eu(x, s, p, mu, span, q, t, fixed_t, add, j, i,
                                    r[i] if mover else r[j])
        for i in range(n):
            new[i] = x[i]
            have = False
            k0 = 0.0
            k1 = 0.0
            k2 = 0.0
            for j in range(n):
                a = e[i, j]
                bj = b[i, j]
                if x[i] == x[j] or not bj > 0.0:
                    continue
                if a > 0.0 and bj > a and not no_move:
                    kind = CONFRONTATION
                    target = x[j]
                elif a < 0.0 and bj > -a:
                    kind = COMPROMISE
                    target = x[i] + (x[j] - x[i]) * (abs(a) / bj)
                elif a < 0.0 and -a > bj:
                    kind = CAPITULATION
                    target = x[j]
                else:
                    continue
                move = abs(target - x[i])
                if offer_rule == 0:
                    key0, key1, key2 = move, -bj, 0.0
                elif offer_rule == 1:
                    key0, key1, key2 = -bj, move, 0.0
                elif offer_rule == 2:
                    key0, key1, key2 = float(kind), move, 0.0
                else:
                    aa = abs(a)
                    weighted = (aa * x[i] + bj * x[j]) / (aa + bj) if aa + bj > 0 else 0.0
                    key0 = float(kind)
                    key1 = weighted if kind == COMPROMISE else move
                    key2 = 0.0
                if not have or key0 < k0 or (key0 == k0 and (key1 < k1 or (
                        key1 == k1 and key2 < k2))):
                    have = True
                    k0, k1, k2 = key0, key1, key2
                    new[i] = target
        for i in range(n):
            x[i] = new[i]
    return _trial_median(x, w)


def bargain_compiled(capability: np.ndarray, position: np.ndarray, salience: np.ndarray,
                     settings: EUMSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(final positions (trials, n), final weighted median (trials,)) by trial_bargain, one
    trial at a time: the engine's form of `bargain` (same inputs and settings)."""
    settings = settings or EUMSettings()
    check_inputs(capability, position, salience)
    c, x, s = _trials(capability), _trials(position).copy(), _trials(salience)
    trials, n = x.shape
    span = _spans(x, settings.span)
    scratch = np.zeros((4, n, n))
    r = np.empty(n)
    new = np.empty(n)
    median = np.empty(trials)
    for k in range(trials):
        median[k] = trial_bargain(
            c[k], x[k], s[k], settings.rounds, float(settings.q),
            0.0 if settings.t is None else float(settings.t), settings.t is not None,
            float(span[k]), settings.denominator == "all_pairs",
            settings.no_challenge == "add", OFFER_CODES[settings.offers],
            settings.conflict == "no_move", settings.perspective == "mover",
            settings.votes == "risk", scratch, r, new)
    return x, median
