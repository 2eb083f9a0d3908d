"""Agreement between two coders of the same cases (docs/coding.md, "Double coding").

Two coders code each case's observed rung (and request) independently from the written rules;
the agreement is Cohen's kappa over the five rungs,

    kappa = (p_o - p_e) / (1 - p_e),

p_o the share of cases coded alike, p_e the share expected by chance from the two coders'
marginal frequencies (Cohen 1960), with its asymptotic standard error and 95% interval
(statsmodels.stats.inter_rater.cohens_kappa). Only cases both coders found codable enter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from statsmodels.stats.inter_rater import cohens_kappa

from alliancesim.scenario.schema import RUNGS

REQUESTS = ("none", "consultations", "material", "military")


@dataclass(frozen=True)
class Agreement:
    """Two coders' agreement on one coded field."""

    field: str
    categories: tuple[str, ...]
    cases: tuple[str, ...]  # coded by both
    table: np.ndarray  # (K, K): rows coder A, columns coder B
    kappa: float
    se: float
    low: float
    high: float
    disagreements: tuple[tuple[str, str, str], ...]  # (case, A's code, B's code)
    not_codable: tuple[str, ...]  # cases at least one coder found not codable

    @property
    def observed(self) -> float:
        """p_o: the share of cases coded alike."""
        return float(np.trace(self.table) / max(self.table.sum(), 1))


def agreement(a: dict[str, Any], b: dict[str, Any], field: str = "rung") -> Agreement:
    """Cohen's kappa of two coders' codes of `field` ('rung' or 'request'), keyed by case."""
    categories = tuple(RUNGS) if field == "rung" else REQUESTS
    index = {c: i for i, c in enumerate(categories)}
    both = sorted(set(a) & set(b))
    codable = [k for k in both if a[k].get("codable", True) and b[k].get("codable", True)]
    bad = [f"{k}: {c[k].get(field)!r}" for k in codable for c in (a, b)
           if c[k].get(field) not in index]
    if bad:
        raise ValueError(f"codes outside {', '.join(categories)}: {'; '.join(bad)}")
    table = np.zeros((len(categories), len(categories)), dtype=int)
    for k in codable:
        table[index[a[k][field]], index[b[k][field]]] += 1
    if not codable:
        raise ValueError("no case both coders found codable")
    with np.errstate(invalid="ignore", divide="ignore"):  # one category only: kappa is NaN
        k_ = cohens_kappa(table)
    return Agreement(
        field=field, categories=categories, cases=tuple(codable), table=table,
        kappa=float(k_.kappa), se=float(k_.std_kappa), low=float(k_.kappa_low),
        high=float(k_.kappa_upp),
        disagreements=tuple((k, a[k][field], b[k][field]) for k in codable
                            if a[k][field] != b[k][field]),
        not_codable=tuple(k for k in both if k not in codable))
