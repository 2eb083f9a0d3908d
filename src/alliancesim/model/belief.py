"""Stage 7, credibility: each member's belief that the alliance will help it, carried from one
crisis to the next (DESIGN.md §3.7; docs/model.md, "7. Credibility").

In every trial each member i holds a Beta(a_i, b_i) belief about p_i, the probability that the
alliance helps it when it is hit. Its point belief is the Beta's mean, E_i = a_i / (a_i + b_i).

Prior (before the first crisis of a sequence), from the treaty's scope:

    a_0 = 1 + n_0 c,   b_0 = 1 + n_0 (1 - c)

c the mean of the alliance's coverage over the five threat types (`scope`, written rules S1-S4 of
docs/coding.md: what the treaty text promises), n_0 = PRIOR_STRENGTH pseudo-observations on the
uniform Beta(1, 1). JUDGEMENT: the text is worth two observed crises.

Evidence from a crisis k with collective rung L_k (0 none ... 4 military):

    h_k = L_k / 4                                   (HELP: the ladder's position)
    w_ik = WEIGHT_SELF if i is the victim else WEIGHT_OTHER
    a_i += w_ik h_k,   b_i += w_ik c_k (1 - h_k)

c_k the crisis's own coverage (the treaty's coverage of its threat, times the coverage of
disputed territory: CompiledCrisis.in_scope). Help given counts in full; help withheld counts
only as far as the treaty promised it: withholding what was not due is not reneging (Gibler
2008: reputations are lost by reneging on commitments that were due), while help beyond the
treaty's letter is still evidence that the alliance helps (Kazakhstan, January 2022: unrest,
coverage 0). The party to a member clash (the aggressor member) and members no longer taking
part learn nothing. With h_k in {0, 1}, w = 1 and c_k = 1 this is the Beta-Bernoulli conjugate
update; fractional pseudo-counts s = w h, f = w c (1 - h) give the power likelihood
p^s (1 - p)^f, conjugate as well (tests/test_belief.py checks both against Bayes' rule on a
grid).

Freeze and exit (absorbing: a member that froze does not return within a sequence):

    theta_i = FREEZE_SCALE * (1 - aff(i, leader))   (the leader: never)
    freeze when E_i < theta_i,   exit when E_i < EXIT_RATIO * theta_i

aff(i, leader) the member's affinity with the leader in [-1, 1] (the scenario's affinities, the
same table the council's features use): JUDGEMENT, a member far from the leader has an outside
option (another patron) and needs less disappointment to walk away; a member at affinity 1 never
freezes.

How a belief acts in a later crisis (the sequence runner, experiments/sequence.py):

- the request (stage 1): the victim's `trust` is the crisis's own trust moved by the change of
  its belief since the prior, trust + (E_v - E_v0), within [0, 1];
- the council (stage 2): member i's latent support moves by COUNCIL_WEIGHT * (E_i - E_i0).

Both are zero at the prior, so the first crisis of a sequence is the crisis run alone.
Every function here works on whole arrays of trials (T,) or (T, M): no loop over trials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ACTIVE, FROZEN, EXITED = 0, 1, 2
STATUS = ("active", "frozen", "exited")
N_RUNGS = 4  # the top rung's index (military)

PRIOR_STRENGTH = 2.0  # JUDGEMENT: the treaty's text is worth two crises
WEIGHT_SELF = 1.0  # one crisis of one's own = one Bernoulli observation (conjugate update)
WEIGHT_OTHER = 0.5  # JUDGEMENT: another member's crisis counts half (docs/model.md, §7)
COUNCIL_WEIGHT = 1.0  # JUDGEMENT: latent support per unit of belief (council noise sd is 1)
FREEZE_SCALE = 0.5  # JUDGEMENT: theta = 0.5 (1 - affinity with the leader)
EXIT_RATIO = 0.5  # JUDGEMENT: exit at half the freeze threshold


@dataclass(frozen=True)
class BeliefParameters:
    """The credibility stage's parameters (the module's defaults; docs/model.md §7).

    prior_strength n_0 >= 0; weight_self, weight_other >= 0 (0 and 0: beliefs never move);
    council_weight and request (True: the victim's trust follows its belief) say whether and
    how much beliefs feed the next crises; freeze_scale in [0, 1] (0: no member ever freezes);
    exit_ratio in [0, 1]."""

    prior_strength: float = PRIOR_STRENGTH
    weight_self: float = WEIGHT_SELF
    weight_other: float = WEIGHT_OTHER
    council_weight: float = COUNCIL_WEIGHT
    request: bool = True
    freeze_scale: float = FREEZE_SCALE
    exit_ratio: float = EXIT_RATIO

    def __post_init__(self) -> None:
        for name in ("prior_strength", "weight_self", "weight_other", "council_weight"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise ValueError(f"belief parameter {name} must be a finite number >= 0 "
                                 f"(got {value})")
        for name in ("freeze_scale", "exit_ratio"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"belief parameter {name} must be in [0, 1] (got {value})")


def prior(coverage: float, n_members: int, trials: int,
          params: BeliefParameters = BeliefParameters()) -> tuple[np.ndarray, np.ndarray]:
    """(a, b), each (trials, n_members): the prior Beta(1 + n_0 c, 1 + n_0 (1 - c)) of every
    member in every trial; coverage c in [0, 1] (the mean of the alliance's scope)."""
    if not 0.0 <= coverage <= 1.0:
        raise ValueError(f"coverage must be in [0, 1] (got {coverage})")
    a = np.full((trials, n_members), 1.0 + params.prior_strength * coverage)
    b = np.full((trials, n_members), 1.0 + params.prior_strength * (1.0 - coverage))
    return a, b


def mean(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """E[p] of Beta(a, b): a / (a + b)."""
    return a / (a + b)


def help_score(rung: np.ndarray) -> np.ndarray:
    """h = L / 4: the collective rung's position on the ladder (none 0 ... military 1)."""
    return np.asarray(rung, dtype=np.float64) / N_RUNGS


def evidence_weights(victim: int, aggressor_member: int, active: np.ndarray,
                     params: BeliefParameters = BeliefParameters()) -> np.ndarray:
    """w (T, M): weight_self for the victim, weight_other for the others, 0 for the aggressor
    member and for members not active (active (T, M) bool)."""
    M = active.shape[1]
    role = np.full(M, params.weight_other)
    role[victim] = params.weight_self
    if aggressor_member >= 0:
        role[aggressor_member] = 0.0
    return role[None, :] * active


def update(a: np.ndarray, b: np.ndarray, rung: np.ndarray, weights: np.ndarray,
           coverage: float) -> tuple[np.ndarray, np.ndarray]:
    """The conjugate update: a + w h, b + w c (1 - h), with h = help_score(rung) (T,), the
    weights (T, M) and the crisis's coverage c in [0, 1]. Returns new arrays."""
    if not 0.0 <= coverage <= 1.0:
        raise ValueError(f"coverage must be in [0, 1] (got {coverage})")
    h = help_score(rung)[:, None]
    return a + weights * h, b + weights * coverage * (1.0 - h)


def thresholds(affinity_with_leader: np.ndarray, leader: int,
               params: BeliefParameters = BeliefParameters()) -> np.ndarray:
    """theta (M,): freeze_scale * (1 - aff(i, leader)), clipped to [0, 1]; 0 for the leader."""
    theta = np.clip(params.freeze_scale * (1.0 - np.asarray(affinity_with_leader, float)),
                    0.0, 1.0)
    if leader >= 0:
        theta[leader] = 0.0
    return theta


def next_status(status: np.ndarray, belief: np.ndarray, theta: np.ndarray,
                params: BeliefParameters = BeliefParameters()) -> np.ndarray:
    """The members' status after a crisis (T, M int8): exited when E < exit_ratio * theta,
    else frozen when E < theta, else as before; absorbing (never lower than before)."""
    new = np.where(belief < params.exit_ratio * theta[None, :], EXITED,
                   np.where(belief < theta[None, :], FROZEN, ACTIVE))
    return np.maximum(status, new).astype(np.int8)
