"""Bad input: exit status 2, one precise line per problem, no traceback, no partial output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXE = [sys.executable, "-m", "alliancesim.cli"]

GOOD = """\
name: mine
alliance: csto
crises:
  - id: incursion
    victim: TJK
    aggressor: TALIBAN
    threat: cross_border_incursion
    aggressor_strength: 4000
"""

LAUGHS = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in zip("abcde", "bcdef", strict=True))

CASES = {
    "huge_readiness": (GOOD.replace("crises:", "actors:\n  TJK: {name: Tajikistan, troops: 9000, "
                                    "readiness_days: 1.0e+19}\ncrises:"),
                       ":4:", "actors.TJK.readiness_days", "outside the valid range [0, 3650]"),
    "huge_delay": (GOOD.replace("alliance: csto", "alliance: csto\nalliance_changes:\n"
                                "  decision_delay_days: {value: 1.0e+9}"),
                   ":4:", "alliance_changes.decision_delay_days.value",
                   "outside the valid range [0, 3650]"),
    "huge_trials": (GOOD + "trials: 1000000000000000\n", ":9:", "trials",
                    "less than or equal to 1000000000"),
    "bool_for_a_number": (GOOD + "trials: true\n", ":1:", "", "trials: true/false"),
    "overflowing_width": (GOOD.replace("aggressor_strength: 4000", "aggressor_strength: "
                                       "{dist: uniform, low: -1.0e+308, high: 1.0e+308}"),
                          ":8:", "crises[0].aggressor_strength", "at most 1e+12"),
    "duplicate_key": (GOOD.replace("    threat:", "    victim: KGZ\n    threat:"),
                      ":7:", "crises.0.victim", "appears twice"),
    "alias_bomb": (LAUGHS + GOOD, ":", "", "expands to more than 100,000 values"),
    "recursive_alias": ("a: &a [1, *a]\n" + GOOD, ":1:", "", "recursive alias"),
    "deep_nesting": ("x: " + "[" * 3000 + "]" * 3000 + "\n" + GOOD, ":1:", "", "nest"),
    "control_characters": (GOOD.replace("victim: TJK", 'victim: "\\x1b[2J\\x07TJK"'),
                           ":5:", "crises[0].victim", "'\\x1b[2J\\x07TJK'"),
    "too_large": (GOOD + "description: " + "x" * 300_000 + "\n", "", "", "file too large"),
    "yaml_syntax": (GOOD.replace("    aggressor: TALIBAN", "     aggressor: TALIBAN"),
                    ":6:", "", "YAML syntax error"),
    "unknown_state": (GOOD.replace("victim: TJK", "victim: XXX"),
                      ":5:", "crises[0].victim", "unknown state 'XXX'"),
    "unknown_aggressor": (GOOD.replace("aggressor: TALIBAN", "aggressor: MARTIANS"),
                          ":6:", "crises[0].aggressor", "unknown actor 'MARTIANS'"),
    "negative_troops": (GOOD.replace("crises:", "actors:\n  TJK: {name: Tajikistan, "
                                     "troops: -100}\ncrises:"),
                        ":4:", "actors.TJK.troops", "outside the valid range [0, 1e+08]"),
    "threshold_out_of_range": (GOOD.replace("alliance: csto", """alliance:
  id: mine
  name: Mine
  members: [RUS, KAZ, TJK]
  decision_rule: {rule: qualified_majority, threshold: 1.5}"""),
                               ":6:", "alliance.decision_rule", "threshold must be in (0, 1]"),
    "threshold_zero": (GOOD.replace("alliance: csto", """alliance:
  id: mine
  name: Mine
  members: [RUS, KAZ, TJK]
  decision_rule: {rule: qualified_majority, threshold: 0}"""),
                       ":6:", "alliance.decision_rule", "threshold must be in (0, 1]"),
    "leader_rule_without_leader": (GOOD.replace("alliance: csto", """alliance:
  id: mine
  name: Mine
  members: [RUS, KAZ, TJK]
  decision_rule: {rule: leader}"""),
                                   ":2:", "alliance", "decision_rule 'leader' needs a leader"),
    "unknown_council_model": (GOOD + "parameters:\n  council:\n    model: eum\n",
                              ":11:", "parameters.council.model", "ordered_probit"),
    "bad_distribution": (GOOD.replace("aggressor_strength: 4000",
                                      "aggressor_strength: {dist: uniform, low: 9, high: 1}"),
                         ":8:", "crises[0].aggressor_strength", "uniform needs low < high"),
    "bad_sd": (GOOD.replace("aggressor_strength: 4000",
                            "aggressor_strength: {dist: normal, mean: 9, sd: -1}"),
               ":8:", "crises[0].aggressor_strength", "normal needs sd > 0"),
    "unknown_distribution": (GOOD.replace("aggressor_strength: 4000",
                                          "aggressor_strength: {dist: gamma, k: 2}"),
                             ":8:", "crises[0].aggressor_strength",
                             "unknown distribution 'gamma' (valid: fixed, uniform"),
    "unknown_field": (GOOD + "    colour: red\n", ":9:", "crises[0].colour",
                      "unknown field 'colour' (valid fields: aggressor,"),
    "unknown_top_field": ("seeed: 3\n" + GOOD, ":1:", "seeed",
                          "unknown field 'seeed' (valid fields: actors, affinity, "
                          "affinity_year, alliance,"),
    "bad_threat": (GOOD.replace("cross_border_incursion", "invasion"),
                   ":7:", "crises[0].threat", "got 'invasion'; must be 'interstate_attack'"),
    "commitment_above_one": (GOOD + "    defender_commitment: 1.5\n", ":9:",
                             "crises[0].defender_commitment", "outside the valid range [0, 1]"),
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_scenario_exits_2_with_one_precise_line(tmp_path: Path, case: str) -> None:
    text, line, field, message = CASES[case]
    path = tmp_path / f"{case}.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    r = run("run", str(path), "--trials", "100", "--out", str(out))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    err = lines[0]
    assert err.startswith(f"error: {path}{line}"), err
    if field:
        assert f" {field}: " in err, err
    assert message in err, err
    assert not out.exists(), "no partial output"


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("victim: TJK", "victim: XXX").replace(
        "aggressor: TALIBAN", "aggressor: MARTIANS")
    p = tmp_path / "two.yaml"
    p.write_text(text)
    r = run("run", str(p))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 2


@pytest.mark.parametrize("args,needle", [
    (["run", "nosuch-scenario"], "no bundled scenario or case of that name (bundled scenarios: "
                                "csto-2021-autumn"),
    (["run", "/nonexistent/x.yaml"], "/nonexistent/x.yaml: no such file"),
    (["run", "--trials", "0"], "--trials"),
    (["run", "--trials", "many"], "--trials"),
    (["run", "--seed", "-1"], "--seed"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["show", "nosuch"], "no bundled scenario"),
    (["run", "--backend", "gpu"], "--backend gpu: unknown backend (valid: local, process, ray)"),
    (["run", "--address", "10.0.0.1:6379"],
     "--address 10.0.0.1:6379: applies only to the ray backend"),
    (["run", "--workers", "0"], "--workers"),
    (["run", "--backend", "ray", "--address", "127.0.0.1:1"],
     "--address 127.0.0.1:1: no Ray cluster answers there"),
])
def test_bad_arguments_exit_2(args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_out_pointing_at_a_file_is_refused_before_running(tmp_path: Path) -> None:
    f = tmp_path / "file.txt"
    f.write_text("keep me")
    r = run("run", "--trials", "100", "--out", str(f))
    assert r.returncode == 2
    assert "exists and is a file, not a folder" in r.stderr
    assert f.read_text() == "keep me"


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    for name, text in [("empty.yaml", ""), ("list.yaml", "- 1\n- 2\n")]:
        p = tmp_path / name
        p.write_text(text)
        r = run("run", str(p))
        assert r.returncode == 2
        assert f"{p}:1: expected a mapping of fields" in r.stderr


def test_alliance_changes_errors_point_at_the_change(tmp_path: Path) -> None:
    text = GOOD.replace("alliance: csto\n", """alliance: csto
alliance_changes:
  decision_rule: {rule: qualified_majority, threshold: 1.5}
  colour: red
""")
    p = tmp_path / "changes.yaml"
    p.write_text(text)
    r = run("run", str(p))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    assert any(f"{p}:4: alliance_changes.decision_rule: threshold must be in (0, 1]" in ln
               for ln in lines), lines
    assert any(f"{p}:5: alliance_changes.colour: unknown field 'colour'" in ln
               for ln in lines), lines
