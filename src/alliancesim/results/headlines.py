"""The headline events every experiment reports, defined once: per trial (from the trial's
results) and as probabilities (from a crisis summary)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from alliancesim.engine import TrialResults

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
