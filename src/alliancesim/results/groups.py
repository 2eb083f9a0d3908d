"""The groups of trials that share one parameter draw, reduced to histograms: bounded memory.

Under parameter uncertainty every group of engine.GROUP trials shares one draw of the
parameters (engine.parameter_draws), and the parameter bands and cluster standard errors
(results/bands.py) need, for each headline, the count k_g it reached in each group g of n_g
trials. Kept as one row per group, that grew with the trials (80 bytes per group of 128: 0.6
GB at 10^9 trials). But a full group's count is an integer 0..GROUP, so every statistic the
bands use is a function of how many full groups reached each count: a histogram of GROUP + 1
bins per quantity, whatever the number of trials. Groups of fewer trials (the end of a run cut
short of a group's size) are few and are kept as rows.

Every statistic is then a weighted sum over distinct (k, n) pairs, with weight w the number of
groups having them (results/bands.py), and a quantile over the groups is the quantile of the
expanded sample (`weighted_quantile`, equal to numpy's linear quantile of np.repeat(values, w)).
Histograms are integers, so adding them is exact and independent of the order of the blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from alliancesim.scenario.schema import RUNGS

GROUP = 128  # engine.GROUP (checked by tests/test_groups.py; this module stays below the engine)
ROW_COLUMNS = 10  # a group's row: n, rung 0..4, troops sent, outside action, repelled, lost

# Each quantity as a linear combination of a group's row (ROW_COLUMNS integers).
QUANTITIES: dict[str, tuple[int, ...]] = {
    **{rung: tuple(int(c == 1 + j) for c in range(ROW_COLUMNS)) for j, rung in enumerate(RUNGS)},
    "troops sent": tuple(int(c == 6) for c in range(ROW_COLUMNS)),
    "acts without the alliance": tuple(int(c == 7) for c in range(ROW_COLUMNS)),
    "repelled": tuple(int(c == 8) for c in range(ROW_COLUMNS)),
    "lost": tuple(int(c == 9) for c in range(ROW_COLUMNS)),
    # neither repelled nor lost: n - repelled - lost
    "contained": (1, 0, 0, 0, 0, 0, 0, 0, -1, -1),
    # the top two rungs together
    "mission or more": tuple(int(c in (1 + len(RUNGS) - 2, 1 + len(RUNGS) - 1))
                             for c in range(ROW_COLUMNS)),
}
_NAMES = tuple(QUANTITIES)
_COEF = np.array([QUANTITIES[q] for q in _NAMES], dtype=np.int64)  # (Q, ROW_COLUMNS)


def _empty_full() -> np.ndarray:
    return np.zeros((len(_NAMES), GROUP + 1), dtype=np.int64)


def _empty_rows() -> np.ndarray:
    return np.zeros((0, ROW_COLUMNS), dtype=np.int64)


@dataclass(frozen=True)
class GroupCounts:
    """The groups' counts: full[q, k] = the number of full groups (GROUP trials) in which
    quantity q was counted k times; partial: the rows (ROW_COLUMNS) of the groups of fewer
    trials, in block order. No groups when the parameters are fixed."""

    full: np.ndarray = field(default_factory=_empty_full)
    partial: np.ndarray = field(default_factory=_empty_rows)

    @staticmethod
    def of_rows(rows: np.ndarray) -> GroupCounts:
        """Reduce groups given one row each (n, rung counts, troops sent, outside action,
        repelled, lost) to histograms; rows of groups of fewer than GROUP trials are kept."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1, ROW_COLUMNS)
        is_full = rows[:, 0] == GROUP
        k = rows[is_full] @ _COEF.T  # (full groups, Q)
        Q = len(_NAMES)
        flat = np.bincount((np.arange(Q) * (GROUP + 1) + k).ravel(),
                           minlength=Q * (GROUP + 1))
        return GroupCounts(full=flat.reshape(Q, GROUP + 1).astype(np.int64),
                           partial=rows[~is_full & (rows[:, 0] > 0)].copy())

    def __add__(self, other: GroupCounts) -> GroupCounts:
        return GroupCounts(full=self.full + other.full,
                           partial=np.concatenate([self.partial, other.partial]))

    @property
    def count(self) -> int:
        """The number of groups, G."""
        return int(self.full[0].sum()) + int(self.partial.shape[0])

    @property
    def trials(self) -> int:
        return int(self.full[0].sum()) * GROUP + int(self.partial[:, 0].sum())

    def sum_n2(self) -> float:
        """sum_g n_g^2 over the groups."""
        return float(self.full[0].sum()) * GROUP * GROUP + float((self.partial[:, 0]
                                                                  .astype(float) ** 2).sum())

    def counts(self, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(k, n, w): the distinct (count, group size) pairs of a quantity and how many groups
        have each; the full groups' first, by count, then the partial groups' rows, one each."""
        q = _NAMES.index(quantity)
        hist = self.full[q]
        present = np.flatnonzero(hist)
        k = np.concatenate([present, self.partial @ _COEF[q]]).astype(float)
        n = np.concatenate([np.full(present.size, GROUP), self.partial[:, 0]]).astype(float)
        w = np.concatenate([hist[present], np.ones(self.partial.shape[0], dtype=np.int64)])
        return k, n, w.astype(float)

    def equals(self, other: GroupCounts) -> bool:
        return bool(np.array_equal(self.full, other.full)
                    and np.array_equal(self.partial, other.partial))


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """numpy's default (linear) quantile of np.repeat(values, weights), without the repeat:
    the virtual index h = (W - 1) q between order statistics floor(h) and floor(h) + 1 of the
    expanded sample (W = sum of the integer weights), interpolated as numpy's _lerp does."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    cw = np.cumsum(np.asarray(weights, dtype=np.int64)[order])
    total = int(cw[-1])
    h = (total - 1) * q
    lo = int(np.floor(h))
    t = h - lo
    a = float(v[np.searchsorted(cw, lo, side="right")])
    b = float(v[np.searchsorted(cw, min(lo + 1, total - 1), side="right")])
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t
