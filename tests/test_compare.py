"""compare: variants under common random numbers, paired differences and their errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from alliancesim import api
from alliancesim.scenario.errors import ScenarioError

EXE = [sys.executable, "-m", "alliancesim.cli"]


def _variants(tmp_path: Path, variants: dict[str, object], base: str = "csto-2021-autumn"
              ) -> Path:
    p = tmp_path / "variants.yaml"
    p.write_text(yaml.safe_dump({"base": base, "variants": variants}, sort_keys=False))
    return p


def test_paired_errors_are_smaller_than_independent_ones() -> None:
    r = api.compare(["csto-2021-autumn", "examples/csto-two-thirds.yaml"], trials=8000)
    diffs = [d for c in r.crises for d in c.differences if d.se_independent > 0.002]
    assert len(diffs) >= 6
    ratio = np.array([d.se_paired / d.se_independent for d in diffs])
    assert np.all(ratio < 1.0) and np.median(ratio) < 0.7, ratio
    # the example has two of the base's four crises; the others are reported, not compared
    assert sorted(r.skipped["examples/csto-two-thirds.yaml"]) == ["afghan-border-insurgency",
                                                                  "kgz-tjk-clash"]
    # the paired difference is the difference of the two runs' own frequencies
    for c in r.crises:
        for d in c.differences:
            assert d.difference == pytest.approx(
                c.values[d.variant][d.headline] - c.values[r.base][d.headline], abs=1e-12)


def test_a_variant_equal_to_its_base_differs_by_exactly_nothing(tmp_path: Path) -> None:
    r = api.compare(_variants(tmp_path, {"same": {"title": "the same scenario"}}), trials=3000)
    for c in r.crises:
        for d in c.differences:
            assert d.difference == 0.0 and d.se_paired == 0.0


def test_removing_a_member_and_changing_the_rule(tmp_path: Path) -> None:
    base = api.load_scenario("csto-2021-autumn")
    crises = [c.model_dump(mode="json") for c in base.crises if c.victim != "ARM"]
    path = _variants(tmp_path, {
        "without-armenia": {"alliance_changes": {"members": {"ARM": None}}, "crises": crises},
        "majority": {"alliance_changes": {"decision_rule": {"rule": "simple_majority"}}},
    })
    r = api.compare(path, trials=4000)
    assert r.variants == ["csto-2021-autumn", "without-armenia", "majority"]
    assert r.skipped == {"without-armenia": ["armenia-attack"]}
    arm = next(c for c in r.crises if c.crisis_id == "armenia-attack")
    # a simple majority instead of consensus never lowers the rung, trial by trial
    d = next(d for d in arm.differences if d.variant == "majority"
             and d.headline == "mission or more")
    assert d.difference > 5 * d.se_paired > 0


@pytest.mark.parametrize(("variants", "message"), [
    ({"x": {"alliance_changes": {"members": {"XXX": None}}}}, "to remove a member"),
    ({"x": {"trials": 0}}, "trials"),
    ({"x": "not a mapping"}, "expected a mapping of changes"),
])
def test_bad_variants_are_precise_errors(tmp_path: Path, variants: dict[str, object],
                                         message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        api.compare(_variants(tmp_path, variants), trials=100)
    assert "variants.yaml" in str(err.value)


def test_compare_command(tmp_path: Path) -> None:
    path = _variants(tmp_path, {"two-thirds": {"alliance_changes": {"decision_rule": {
        "rule": "qualified_majority", "threshold": 0.667}}}})
    r = subprocess.run([*EXE, "compare", str(path), "-n", "3000"], capture_output=True,
                       text=True, timeout=300, env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert "two-thirds" in r.stdout and "common random numbers" in r.stdout
    bad = subprocess.run([*EXE, "compare", "csto-2021-autumn"], capture_output=True, text=True,
                         timeout=300, env={"PATH": "/usr/bin:/bin"})
    assert bad.returncode == 2 and bad.stderr.startswith("error: --scenarios"), bad.stderr
