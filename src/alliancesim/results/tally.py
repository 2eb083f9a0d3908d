"""Tallies: the sufficient statistics of a set of trials, from which every summary is computed.

A tally holds counts, sums and integer histograms (days are whole days), never per-trial
arrays, so an ensemble of any size summarises in bounded memory. Tallies are made per block of
trials and added in block order, which makes the floating-point sums, and so every reported
number, independent of the chunk size, the backend and the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np

from alliancesim._jit import njit
from alliancesim.engine import BLOCK, GROUP, TrialResults
from alliancesim.results.groups import ROW_COLUMNS, GroupCounts
from alliancesim.scenario.compile import CompiledCrisis


def _add_hist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = max(a.size, b.size)
    return np.pad(a, (0, n - a.size)) + np.pad(b, (0, n - b.size))


GROUP_COLUMNS = ROW_COLUMNS  # n, rung 0..4, troops sent, outside action, repelled, lost (with
# the alliance): a group's row as the kernel counts it, reduced to histograms (results/groups.py)
# per member, over the groups of trials sharing a parameter draw (S_g, Q_g: the group's sum of
# troops and of their squares, n_g its trials): sum S_g^2/n_g, sum S_g^2, sum n_g S_g,
# sum Q_g/n_g, sum S_g^2/n_g^2; what the troops' cluster standard error and parameter band
# need (bands.troops_se, bands.troops_band), kept as sums so memory stays bounded
TROOP_GROUP_SUMS = 5


@njit(cache=True)
def _tally_kernel(request: np.ndarray, rung: np.ndarray, preferred: np.ndarray,
                  holds_out: np.ndarray, sole_veto: np.ndarray, fallback: np.ndarray,
                  troops: np.ndarray, first_arrival: np.ndarray, outcome: np.ndarray,
                  outcome_alone: np.ndarray, end_day: np.ndarray, end_day_alone: np.ndarray,
                  defender_losses: np.ndarray, defender_losses_alone: np.ndarray, leader: int,
                  group: int, block: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                   np.ndarray, np.ndarray, np.ndarray]:
    """One pass over a set of trials (one or more blocks of `block` trials): the counts and
    sums of Tally.of. Returns (ints, members, hists, groups, (first arrival, end day, end day
    alone) histogram lengths, floats): ints = request (4), rung (5), outcome (3), outcome alone
    (3), fallback, leader alone, other member alone, coalition, any troops; members (4, M) =
    preferred military, holds out, sole veto, sends; the three histograms concatenated; the
    groups' rows; floats (B, FLOATS(M)): each block's own float sums (FLOAT_LAYOUT), summed in
    trial order from 0 within the block, so that adding the rows in block order gives the
    numbers of one tally per block added in block order, whatever the chunk."""
    T, M = preferred.shape
    ints = np.zeros(20, dtype=np.int64)
    members = np.zeros((4, M), dtype=np.int64)
    n_blocks = (T + block - 1) // block
    F = (2 + TROOP_GROUP_SUMS) * M + 2
    floats = np.zeros((n_blocks, F))
    g_sum = np.zeros(M)
    g_sq = np.zeros(M)
    g_n = 0
    n_groups = (T + group - 1) // group if group > 0 else 0
    groups = np.zeros((n_groups, GROUP_COLUMNS), dtype=np.int64)
    sizes = np.ones(3, dtype=np.int64)  # histogram lengths (at least one bin, as bincount)
    for t in range(T):
        if np.isfinite(first_arrival[t]):
            sizes[0] = max(sizes[0], np.int64(first_arrival[t]) + 1)
        sizes[1] = max(sizes[1], np.int64(end_day[t]) + 1)
        sizes[2] = max(sizes[2], np.int64(end_day_alone[t]) + 1)
    hists = np.zeros(sizes[0] + sizes[1] + sizes[2], dtype=np.int64)
    for t in range(T):
        b = t // block  # the trial's block: its row of floats (indexed, not a view per trial)
        ints[request[t]] += 1
        ints[4 + rung[t]] += 1
        ints[9 + outcome[t]] += 1
        ints[12 + outcome_alone[t]] += 1
        n_sending = 0
        for i in range(M):
            members[0, i] += preferred[t, i] == 4
            members[1, i] += holds_out[t, i]
            members[2, i] += sole_veto[t, i]
            v = troops[t, i]
            if v > 0.0:  # (a member that sends none adds 0 to every sum: skipped)
                members[3, i] += 1
                n_sending += 1
                floats[b, i] += v
                floats[b, M + i] += v * v
                if group > 0:
                    g_sum[i] += v
                    g_sq[i] += v * v
        alone_leader = (fallback[t] and leader >= 0 and troops[t, leader] > 0.0
                        and n_sending == 1)
        ints[15] += fallback[t]
        ints[16] += alone_leader
        ints[17] += fallback[t] and n_sending == 1 and not alone_leader
        ints[18] += fallback[t] and n_sending >= 2
        ints[19] += n_sending > 0
        if np.isfinite(first_arrival[t]):
            hists[np.int64(first_arrival[t])] += 1
        hists[sizes[0] + end_day[t]] += 1
        hists[sizes[0] + sizes[1] + end_day_alone[t]] += 1
        floats[b, F - 2] += defender_losses[t]
        floats[b, F - 1] += defender_losses_alone[t]
        if group > 0:
            g = t // group
            groups[g, 0] += 1
            groups[g, 1 + rung[t]] += 1
            groups[g, 6] += n_sending > 0
            groups[g, 7] += fallback[t]
            groups[g, 8] += outcome[t] == 0
            groups[g, 9] += outcome[t] == 2
            g_n += 1
            if (t + 1) % group == 0 or t == T - 1:  # the group's last trial
                for i in range(M):  # by group (TROOP_GROUP_SUMS, M) from column 2M
                    floats[b, 2 * M + i] += g_sum[i] * g_sum[i] / g_n
                    floats[b, 3 * M + i] += g_sum[i] * g_sum[i]
                    floats[b, 4 * M + i] += g_n * g_sum[i]
                    floats[b, 5 * M + i] += g_sq[i] / g_n
                    floats[b, 6 * M + i] += g_sum[i] * g_sum[i] / (g_n * g_n)
                    g_sum[i] = 0.0
                    g_sq[i] = 0.0
                g_n = 0
    return ints, members, hists, groups, sizes, floats


@dataclass(frozen=True)
class Tally:
    n: int
    request: np.ndarray  # (4,) counts: none, consultations, military, material (request.py)
    rung: np.ndarray  # (5,) counts of the collective rung
    preferred_military: np.ndarray  # (M,) counts
    holds_out: np.ndarray  # (M,)
    sole_veto: np.ndarray  # (M,)
    sends: np.ndarray  # (M,) trials in which the member sent troops
    troops: np.ndarray  # (M,) sum of troops sent
    fallback: int
    leader_alone: int
    other_member_alone: int
    coalition: int
    any_troops: int
    first_arrival: np.ndarray  # histogram over whole days, trials with troops only
    outcome: np.ndarray  # (3,) with the alliance
    outcome_alone: np.ndarray  # (3,)
    end_day: np.ndarray  # histogram over days
    end_day_alone: np.ndarray
    defender_losses: float
    defender_losses_alone: float
    # under parameter uncertainty, the counts of the groups of trials sharing one parameter set
    # (trials, rung counts, trials with troops sent, with action outside the alliance, repelled
    # and lost with the alliance) as histograms over the full groups (results/groups.py):
    # bounded memory. No groups when parameters are fixed.
    groups: GroupCounts = field(default_factory=GroupCounts)
    troops_sq: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (M,) sum of squares
    # (TROOP_GROUP_SUMS, M): the troops' sums over the groups (zeros when parameters are fixed)
    troops_groups: np.ndarray = field(default_factory=lambda: np.zeros((TROOP_GROUP_SUMS, 0)))

    # The float sums of each block of trials, unfolded (B, FLOATS(M) columns: FLOAT_LAYOUT),
    # when the tally covers several blocks (Tally.of): adding it to a running total then adds
    # its blocks one by one in order, so the sums are those of one tally per block added in
    # block order (the numbers do not depend on the chunk size). None once folded.
    block_floats: np.ndarray | None = field(default=None, compare=False)

    @staticmethod
    def of(r: TrialResults, leader: int, group: int = 0, block: int = BLOCK) -> Tally:
        """The tally of a set of trials (one or more blocks of `block` trials, the first
        starting a block); with group > 0, also the counts of each group of `group` trials
        (parameter uncertainty). One compiled pass (_tally_kernel): the counts over every
        trial, the float sums per block (kept unfolded in block_floats, folded in order into
        the tally's own float fields)."""
        ints, members, hists, groups, sizes, floats = _tally_kernel(
            r.request, r.rung, r.preferred, r.holds_out, r.sole_veto, r.fallback, r.troops,
            r.first_arrival, r.outcome, r.outcome_alone, r.end_day, r.end_day_alone,
            r.defender_losses, r.defender_losses_alone, leader, group, block)
        a, b = int(sizes[0]), int(sizes[0] + sizes[1])
        m = r.troops.shape[1]
        folded = _fold(None, floats)
        return Tally(
            n=r.n, request=ints[0:4], rung=ints[4:9], preferred_military=members[0],
            holds_out=members[1], sole_veto=members[2], sends=members[3],
            troops=folded[:m].copy(), fallback=int(ints[15]), leader_alone=int(ints[16]),
            other_member_alone=int(ints[17]), coalition=int(ints[18]),
            any_troops=int(ints[19]), first_arrival=hists[:a], outcome=ints[9:12],
            outcome_alone=ints[12:15], end_day=hists[a:b], end_day_alone=hists[b:],
            defender_losses=float(folded[-2]), defender_losses_alone=float(folded[-1]),
            groups=GroupCounts.of_rows(groups), troops_sq=folded[m:2 * m].copy(),
            troops_groups=folded[2 * m:-2].reshape(TROOP_GROUP_SUMS, m).copy(),
            block_floats=floats if floats.shape[0] > 1 else None)

    def floats(self) -> np.ndarray:
        """The float sums in FLOAT_LAYOUT order (troops, troops_sq, troops_groups, losses)."""
        return np.concatenate([self.troops, self.troops_sq, self.troops_groups.ravel(),
                               [self.defender_losses, self.defender_losses_alone]])

    def blocks(self) -> np.ndarray:
        """(B, FLOATS(M)): the float sums of each block of the tally, in order (one row when
        it was folded)."""
        return self.block_floats if self.block_floats is not None else self.floats()[None, :]

    def __add__(self, other: Tally) -> Tally:
        """The tally of both sets of trials: counts added (exact); the float sums of other's
        blocks added to self's one block at a time, in order."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in FLOAT_FIELDS or f.name == "block_floats":
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("first_arrival", "end_day", "end_day_alone"):
                out[f.name] = _add_hist(a, b)
            else:
                out[f.name] = a + b
        return Tally(**out, **_float_fields(_fold(self.floats(), other.blocks()),
                                            self.troops.shape[0]))

    @staticmethod
    def total(tallies: list[Tally]) -> Tally:
        """Sum in the given (block) order."""
        running = RunningTotal()
        for t in tallies:
            running.add(t)
        return running.result()


# FLOAT_LAYOUT: the float sums of a tally as one row, in this order (M members): troops (M),
# troops_sq (M), troops_groups (TROOP_GROUP_SUMS x M, row-major), defender_losses,
# defender_losses_alone
FLOAT_FIELDS = ("troops", "troops_sq", "troops_groups", "defender_losses",
                "defender_losses_alone")


def _fold(acc: np.ndarray | None, rows: np.ndarray) -> np.ndarray:
    """acc + rows[0] + rows[1] + ..., added left to right (np.add.accumulate is sequential:
    the same numbers as a loop); rows[0] itself when acc is None."""
    stacked = rows if acc is None else np.vstack([acc[None, :], rows])
    return np.asarray(np.add.accumulate(stacked, axis=0)[-1])


def _float_fields(row: np.ndarray, m: int) -> dict[str, Any]:
    return {"troops": row[:m].copy(), "troops_sq": row[m:2 * m].copy(),
            "troops_groups": row[2 * m:-2].reshape(TROOP_GROUP_SUMS, m).copy(),
            "defender_losses": float(row[-2]), "defender_losses_alone": float(row[-1])}


class RunningTotal:
    """Tally.total folded as the tallies arrive (in block order): the same sums, in the same
    order, while each tally is let go once added, so memory does not grow with the trials (the
    groups' counts are histograms: results/groups.py). A tally of several blocks (a chunk's)
    adds its blocks' float sums one by one."""

    def __init__(self) -> None:
        self._acc: Tally | None = None

    def add(self, t: Tally) -> None:
        if self._acc is None:
            self._acc = replace(t, block_floats=None)
        else:
            self._acc = self._acc + t

    def result(self) -> Tally:
        if self._acc is None:
            raise ValueError("no tally was added")
        return self._acc


def chunk_tally(model: CompiledCrisis, r: TrialResults) -> Tally:
    """The engine's reducer (engine.run_chunk): the tally of a chunk's trials, with its blocks'
    float sums kept apart (Tally.of) so that the running total adds them block by block."""
    return Tally.of(r, model.leader, GROUP if model.posterior is not None else 0)


def hist_quantile(hist: np.ndarray, q: float) -> float:
    """The q-quantile of integer data given as a histogram (inverted-CDF definition).

    The smallest value d with P(X <= d) >= q.
    """
    n = hist.sum()
    if n == 0:
        return float("nan")
    cum = np.cumsum(hist)
    return float(np.searchsorted(cum, q * n - 1e-9 * n, side="left"))
