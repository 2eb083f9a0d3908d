"""Historical cases: schema and loading (case.py), and their designs for calibration
(designs.py)."""

from __future__ import annotations

from alliancesim.cases.case import (
    Case,
    Contribution,
    Observed,
    case_names,
    case_path,
    contribution_text,
    load_case,
    load_case_sets,
    load_cases,
    load_scenario_or_case,
    to_scenario,
    troops_of,
)
from alliancesim.cases.designs import design, point_features, point_troops, point_values

__all__ = ["Case", "Contribution", "Observed", "case_names", "case_path", "contribution_text",
           "design", "load_case", "load_case_sets", "load_cases", "load_scenario_or_case",
           "point_features", "point_troops", "point_values", "to_scenario", "troops_of"]
