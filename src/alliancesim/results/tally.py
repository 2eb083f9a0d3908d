"""Tallies: the sufficient statistics of a set of trials, from which every summary is computed.

A tally holds counts, sums and integer histograms (days are whole days), never per-trial
arrays, so an ensemble of any size summarises in bounded memory. Tallies are made per block of
trials and added in block order, which makes the floating-point sums, and so every reported
number, independent of the chunk size, the backend and the number of workers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from alliancesim.engine import GROUP, TrialResults
from alliancesim.scenario.compile import CompiledCrisis


def _hist(values: np.ndarray) -> np.ndarray:
    v = values[np.isfinite(values)].astype(np.int64) if values.dtype.kind == "f" else values
    if v.size == 0:
        return np.zeros(1, dtype=np.int64)
    return np.bincount(v.astype(np.int64), minlength=1)


def _add_hist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = max(a.size, b.size)
    return np.pad(a, (0, n - a.size)) + np.pad(b, (0, n - b.size))


GROUP_COLUMNS = 9  # n, rung 0..4, troops sent, outside action, repelled


def _groups(r: TrialResults, n_sending: np.ndarray, size: int) -> np.ndarray:
    g = np.arange(r.n) // size
    G = int(g[-1]) + 1 if r.n else 0
    out = np.zeros((G, GROUP_COLUMNS), dtype=np.int64)
    out[:, 0] = np.bincount(g, minlength=G)
    for level in range(5):
        out[:, 1 + level] = np.bincount(g, weights=r.rung == level, minlength=G)
    out[:, 6] = np.bincount(g, weights=n_sending > 0, minlength=G)
    out[:, 7] = np.bincount(g, weights=r.fallback, minlength=G)
    out[:, 8] = np.bincount(g, weights=r.outcome == 0, minlength=G)
    return out


@dataclass(frozen=True)
class Tally:
    n: int
    request: np.ndarray  # (3,) counts: none, consultations, military
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
    # under parameter uncertainty, per group of trials sharing one parameter set (in order):
    # trials, rung counts (5), trials with troops sent, with action outside the alliance,
    # repelled with the alliance. (0, 9) when parameters are fixed.
    groups: np.ndarray = field(default_factory=lambda: np.zeros((0, GROUP_COLUMNS), np.int64))

    @staticmethod
    def of(r: TrialResults, leader: int, group: int = 0) -> Tally:
        """The tally of a set of trials (one block, by convention); with group > 0, also the
        counts of each group of `group` trials (parameter uncertainty)."""
        sent = r.troops > 0
        n_sending = sent.sum(axis=1)
        leader_alone = (r.fallback & sent[:, leader] & (n_sending == 1) if leader >= 0
                        else np.zeros(r.n, dtype=bool))
        return Tally(
            n=r.n,
            request=np.bincount(r.request, minlength=3).astype(np.int64),
            rung=np.bincount(r.rung, minlength=5).astype(np.int64),
            preferred_military=(r.preferred == 4).sum(axis=0).astype(np.int64),
            holds_out=r.holds_out.sum(axis=0).astype(np.int64),
            sole_veto=r.sole_veto.sum(axis=0).astype(np.int64),
            sends=sent.sum(axis=0).astype(np.int64),
            troops=r.troops.sum(axis=0),
            fallback=int(r.fallback.sum()),
            leader_alone=int(leader_alone.sum()),
            other_member_alone=int((r.fallback & (n_sending == 1) & ~leader_alone).sum()),
            coalition=int((r.fallback & (n_sending >= 2)).sum()),
            any_troops=int((n_sending > 0).sum()),
            first_arrival=_hist(r.first_arrival),
            outcome=np.bincount(r.outcome, minlength=3).astype(np.int64),
            outcome_alone=np.bincount(r.outcome_alone, minlength=3).astype(np.int64),
            end_day=_hist(r.end_day),
            end_day_alone=_hist(r.end_day_alone),
            defender_losses=float(r.defender_losses.sum()),
            defender_losses_alone=float(r.defender_losses_alone.sum()),
            groups=_groups(r, n_sending, group) if group > 0 else
            np.zeros((0, GROUP_COLUMNS), dtype=np.int64),
        )

    def __add__(self, other: Tally) -> Tally:
        return self._plus(other, concatenate_groups=True)

    def _plus(self, other: Tally, concatenate_groups: bool) -> Tally:
        out: dict[str, Any] = {}
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if f.name in ("first_arrival", "end_day", "end_day_alone"):
                out[f.name] = _add_hist(a, b)
            elif f.name == "groups":
                out[f.name] = np.concatenate([a, b]) if concatenate_groups else a
            else:
                out[f.name] = a + b
        return Tally(**out)

    @staticmethod
    def total(tallies: list[Tally]) -> Tally:
        """Sum in the given (block) order; the groups' rows concatenated once at the end (adding
        them pairwise copied them again at every block: quadratic, minutes at 10^8 trials)."""
        it = iter(tallies)
        acc = next(it)
        groups = [acc.groups]
        for t in it:
            acc = acc._plus(t, concatenate_groups=False)
            groups.append(t.groups)
        return dataclasses.replace(acc, groups=np.concatenate(groups))


def block_tally(model: CompiledCrisis, r: TrialResults) -> Tally:
    """The engine's per-block reducer (engine.run_chunk): the block's tally."""
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
