"""Per-trial results of one crisis."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TrialResults:
    """Per-trial outputs of one crisis. Arrays are trial-major; (T, M) by alliance member."""

    request: np.ndarray  # int8 (T,): 0 none, 1 consultations, 2 military
    rung: np.ndarray  # int8 (T,): collective rung 0..4
    preferred: np.ndarray  # int8 (T, M)
    holds_out: np.ndarray  # bool (T, M)
    sole_veto: np.ndarray  # bool (T, M)
    fallback: np.ndarray  # bool (T,): members acted without the alliance
    troops: np.ndarray  # float (T, M): troops sent
    first_arrival: np.ndarray  # float (T,): day of first allied troops, NaN if none
    outcome: np.ndarray  # int8 (T,): with the alliance (0 repelled, 1 contained, 2 lost)
    end_day: np.ndarray  # int16 (T,)
    defender_losses: np.ndarray
    aggressor_losses: np.ndarray
    outcome_alone: np.ndarray  # int8 (T,): the same crisis without any allied help
    end_day_alone: np.ndarray
    defender_losses_alone: np.ndarray
    aggressor_losses_alone: np.ndarray

    @property
    def n(self) -> int:
        return int(self.rung.shape[0])

    @staticmethod
    def concat(parts: list[TrialResults]) -> TrialResults:
        if len(parts) == 1:
            return parts[0]
        fields = TrialResults.__dataclass_fields__
        return TrialResults(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in fields})

    def slice(self, start: int, stop: int) -> TrialResults:
        fields = TrialResults.__dataclass_fields__
        return TrialResults(**{f: getattr(self, f)[start:stop] for f in fields})
