"""Shared helpers: small scenarios built from dictionaries, loaded the way users load files."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

from alliancesim import load_scenario
from alliancesim.scenario.schema import Scenario

# CI runs the same examples every time (a red CI must be reproducible); locally hypothesis
# explores new ones on each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

SHARED = Path(__file__).resolve().parents[2] / "shared"


def needs_shared(*parts: str) -> pytest.MarkDecorator:
    """Skip unless ../shared/<parts> (the team's reference data, beside the checkout) exists."""
    rel = "/".join(parts)
    return pytest.mark.skipif(not SHARED.joinpath(*parts).exists(),
                              reason=f"needs ../shared/{rel} beside the checkout (the team's "
                              "reference data, not shipped with the project); not present here")

BASE: dict[str, Any] = {
    "name": "test",
    "alliance": "csto",
    "crises": [{
        "id": "incursion",
        "victim": "TJK",
        "aggressor": "TALIBAN",
        "threat": "cross_border_incursion",
        "aggressor_strength": 4000,
        "request": "military",
        "exposure": {"KGZ": 0.5, "KAZ": 0.3, "RUS": 0.4},
    }],
}


def deep_update(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_update(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@pytest.fixture
def write_yaml(tmp_path: Path):  # type: ignore[no-untyped-def]
    def write(data: dict[str, Any] | str, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return p

    return write


@pytest.fixture
def make_scenario(write_yaml):  # type: ignore[no-untyped-def]
    def make(over: dict[str, Any] | None = None, crisis: dict[str, Any] | None = None) -> Scenario:
        data = deep_update(BASE, over or {})
        if crisis:
            data["crises"] = [deep_update(data["crises"][0], crisis)]
        return load_scenario(write_yaml(data))

    return make
