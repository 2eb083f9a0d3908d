"""Where the bundled data lives, and what is there."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent
ACTORS = DATA / "actors.yaml"
ACTORS_DATASETS = DATA / "actors_datasets.yaml"
AFFINITY = DATA / "affinity.yaml"
ALLIANCES = DATA / "alliances"
SCENARIOS = DATA / "scenarios"
CASES = DATA / "cases"
CASES_BEYOND = DATA / "cases_beyond"  # issue 20: frozen with their SHA-256 list
# the bundled sets of cases a command may name instead of a folder
CASE_SETS = {"bundled": CASES, "beyond": CASES_BEYOND}
COW_ISO = DATA / "cow_iso.csv"
BASE_RATES = DATA / "base_rates.yaml"  # written by scripts/make_base_rates.py
CALIBRATED = DATA / "calibrated.yaml"
LARGE_N_PRIOR = DATA / "large_n_prior.yaml"
ALLIANCE_IDS = DATA / "alliance_ids.yaml"
AFFINITY_YEARS = DATA / "affinity_years.yaml"
GEOGRAPHY = DATA / "geography.yaml"  # written by scripts/make_geography.py
DEFAULT_SCENARIO = "csto-2021-autumn"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def scenario_path(name: str) -> Path:
    return SCENARIOS / f"{name}.yaml"


def alliance_names() -> list[str]:
    return sorted(p.stem for p in ALLIANCES.glob("*.yaml"))


def alliance_path(name: str) -> Path:
    return ALLIANCES / f"{name}.yaml"


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.yaml"))


def case_path(name: str) -> Path:
    return CASES / f"{name}.yaml"
