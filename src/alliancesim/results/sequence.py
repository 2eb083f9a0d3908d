"""The record of a sequence of crises (issue 26; experiments/sequence.py runs it): each member's
belief over time (median and 90% band over the trials), the probability that it has frozen its
participation or left by each date, the alliance's credibility (the capability-weighted mean
belief of the members still taking part) over time, and each crisis's collective response.

Index 0 of every path is the prior (before the first crisis); index k the state after the k-th
crisis in date order."""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict

LEVEL = 0.90  # the bands' coverage
LOW, HIGH = (1 - LEVEL) / 2, 1 - (1 - LEVEL) / 2


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Record):
    """Median and 90% band over the trials of one quantity at each step."""

    median: list[float]
    low: list[float]
    high: list[float]

    @staticmethod
    def of(values: list[np.ndarray]) -> Band:
        """From one (T,) array per step (NaN where a trial has no value: left out)."""
        def one(v: np.ndarray) -> np.ndarray:
            finite = np.isfinite(v)
            if finite.all():
                return np.quantile(v, [0.5, LOW, HIGH])
            return (np.quantile(v[finite], [0.5, LOW, HIGH]) if finite.any()
                    else np.full(3, np.nan))

        q = [one(np.asarray(v, dtype=np.float64)) for v in values]
        return Band(median=[float(x[0]) for x in q], low=[float(x[1]) for x in q],
                    high=[float(x[2]) for x in q])


class MemberPath(_Record):
    """One member over the sequence."""

    member: str
    belief: Band  # E[p] of its Beta belief
    p_frozen: list[float]  # P(frozen or exited by then)
    p_exited: list[float]
    threshold: float  # its freeze threshold (docs/model.md §7)


class CrisisStep(_Record):
    """One crisis of the sequence."""

    crisis_id: str
    title: str
    date: str
    victim: str
    coverage: float  # the treaty's coverage of this crisis (the evidence's weight)
    forced: str | None  # the rung forced (--observed, --set), None: simulated
    rung_probabilities: dict[str, float]  # over the trials whose victim still takes part
    p_request: dict[str, float]
    p_victim_gone: float  # the victim had frozen or left: no response, no evidence


class SequenceReport(_Record):
    """A sequence run: settings, the crises in date order and every member's path."""

    kind: str = "sequence"
    scenario: str
    alliance: str
    trials: int
    seed: int
    observed: bool
    forced: dict[str, str]
    rule: str | None
    belief_parameters: dict[str, float | bool]
    steps: list[str]  # "prior", then each crisis's date
    crises: list[CrisisStep]
    members: list[MemberPath]
    credibility: Band

    def member(self, name: str) -> MemberPath:
        for m in self.members:
            if m.member == name:
                return m
        raise KeyError(name)

    def to_pandas(self) -> Any:
        """The tidy long frame: one row per (step, member) with the belief band and the
        freeze and exit probabilities, and the credibility rows (member 'credibility')."""
        import pandas as pd

        rows = []
        for m in self.members:
            for k, step in enumerate(self.steps):
                rows.append({"step": k, "date": step, "member": m.member,
                             "belief_median": m.belief.median[k], "belief_low": m.belief.low[k],
                             "belief_high": m.belief.high[k], "p_frozen": m.p_frozen[k],
                             "p_exited": m.p_exited[k]})
        for k, step in enumerate(self.steps):
            rows.append({"step": k, "date": step, "member": "credibility",
                         "belief_median": self.credibility.median[k],
                         "belief_low": self.credibility.low[k],
                         "belief_high": self.credibility.high[k], "p_frozen": np.nan,
                         "p_exited": np.nan})
        return pd.DataFrame(rows)


class PairedDifference(_Record):
    """variant - baseline, trial by trial (common random numbers), with its Monte Carlo
    standard error (sd of the paired differences / sqrt(T))."""

    member: str
    baseline: float
    variant: float
    difference: float
    se_paired: float


class SequenceComparison(_Record):
    """The same sequence under a change (a crisis's response forced, another rule), same seed:
    the end-of-sequence freeze probabilities and beliefs side by side."""

    kind: str = "sequence-comparison"
    label: str
    baseline: SequenceReport
    variant: SequenceReport
    p_frozen_end: list[PairedDifference]
    belief_end: list[PairedDifference]
    credibility_end: PairedDifference

    def to_pandas(self) -> Any:
        import pandas as pd

        base = self.baseline.to_pandas().assign(run="baseline")
        var = self.variant.to_pandas().assign(run=self.label)
        return pd.concat([base, var], ignore_index=True)


def paired(member: str, base: np.ndarray, variant: np.ndarray) -> PairedDifference:
    """The paired difference of two (T,) arrays over the same trials."""
    d = np.asarray(variant, float) - np.asarray(base, float)
    n = d.size
    return PairedDifference(member=member, baseline=float(np.mean(base)),
                            variant=float(np.mean(variant)), difference=float(np.mean(d)),
                            se_paired=float(np.std(d, ddof=1) / np.sqrt(n)) if n > 1 else 0.0)
