"""The headline events every experiment reports, defined once: per trial (from the trial's
results) and as probabilities (from a crisis summary)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from alliancesim.engine import TrialResults
from alliancesim.results.groups import GroupCounts

# event -> its indicator per trial
TRIAL_HEADLINES: dict[str, Callable[[TrialResults], np.ndarray]] = {
    "military help": lambda r: r.rung == 4,
    "mission or more": lambda r: r.rung >= 3,
    "acts without the alliance": lambda r: r.fallback,
    "troops sent": lambda r: np.asarray((r.troops > 0).any(axis=1)),
    "repelled, with the alliance": lambda r: r.outcome == 0,
    "lost, with the alliance": lambda r: r.outcome == 2,
}

# the events the analyses over inputs use (sensitivity, discover, the EMA Workbench adapter)
ANALYSED = {h: f for h, f in TRIAL_HEADLINES.items() if h != "lost, with the alliance"}


def summary_headlines(c: Any) -> dict[str, float]:
    """The same events' probabilities from a crisis summary (results.summary.CrisisSummary)."""
    r = c.response
    return {"military help": r["military"], "mission or more": r["mission"] + r["military"],
            "acts without the alliance": c.p_acts_without_alliance,
            "troops sent": c.p_troops_sent,
            "repelled, with the alliance": c.outcome_with_alliance["repelled"],
            "lost, with the alliance": c.outcome_with_alliance["lost"]}


# headline -> the quantity of the tally's group counts (results/groups.py: per group of trials
# sharing a parameter draw) that counts it. "lost, with the alliance" is not counted per group.
GROUP_QUANTITIES: dict[str, str] = {
    "military help": "military", "mission or more": "mission or more",
    "acts without the alliance": "acts without the alliance", "troops sent": "troops sent",
    "repelled, with the alliance": "repelled"}


def headline_errors(values: dict[str, float], groups: GroupCounts, n: int
                    ) -> dict[str, tuple[float, tuple[float, float] | None]]:
    """Each headline's Monte Carlo standard error and 90% parameter band (results/bands.py).
    With the parameters drawn (two groups or more) and the headline counted per group: the
    cluster standard error, and the band once there are MIN_GROUPS groups. Else the binomial
    error sqrt(p (1 - p) / n) and no band (parameters fixed, or not counted per group)."""
    from alliancesim.results.bands import MIN_GROUPS, band, cluster_se

    out: dict[str, tuple[float, tuple[float, float] | None]] = {}
    for h, p in values.items():
        quantity = GROUP_QUANTITIES.get(h)
        if quantity is None or groups.count < 2:
            out[h] = (float(np.sqrt(p * (1 - p) / n)), None)
            continue
        k, size, w = groups.counts(quantity)
        out[h] = (cluster_se(k, size, w),
                  band(k, size, w=w) if groups.count >= MIN_GROUPS else None)
    return out
