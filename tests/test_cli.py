"""The command line, through a subprocess, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

EXE = [sys.executable, "-m", "alliancesim.cli"]
CRISES = ["tjk-incursion", "afghan-border-insurgency", "armenia-attack", "kgz-tjk-clash"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EXE, *args], capture_output=True, text=True, cwd=cwd, timeout=300,
                          env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})


def test_run_default_prints_every_table() -> None:
    r = run("run", "--trials", "4000")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for heading in ["Taliban-linked fighters cross into Tajikistan",
                    "Low-level infiltration and insurgency", "Azerbaijan attacks Armenia",
                    "Armed clash on the Kyrgyz-Tajik border"]:
        assert heading in out
    for label in ["Collective response, by what TJK asks for", "asked for military help",
                  "asked for consultations", "mixed (request stage)",
                  "base: 3 CSTO cases", "Members, if TJK asks for military help",
                  "held-out log score", "holds out", "veto",
                  "Acts without the alliance", "leader's share", "First allied troops",
                  "with alliance", "victim alone", "repelled", "contained", "lost"]:
        assert label in out, label
    assert "Traceback" not in r.stderr


def test_run_json_is_machine_readable_and_consistent() -> None:
    r = run("run", "--trials", "3000", "--seed", "4", "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["trials"] == 3000 and s["seed"] == 4
    assert [c["crisis_id"] for c in s["crises"]] == CRISES
    for c in s["crises"]:
        assert sum(c["response"].values()) == pytest.approx(1.0)
        assert sum(c["outcome_with_alliance"].values()) == pytest.approx(1.0)
        assert sum(c["outcome_alone"].values()) == pytest.approx(1.0)
        assert {m["id"] for m in c["members"]} == {"RUS", "BLR", "ARM", "KAZ", "KGZ", "TJK"}
        # the request is drawn: each request level run too, beside the CSTO's own base rate
        assert c["request_fixed"] is None
        assert set(c["by_request"]) == {"none", "consultations", "material", "military"}
        assert c["by_request"]["military"]["request"] == {"none": 0.0, "consultations": 0.0,
                                                           "military": 1.0, "material": 0.0}
        assert c["base_rates"]["military"]["label"] == "CSTO's 3 cases asking for military help"
    assert s["request_stage"]["fitted"] < s["request_stage"]["uniform"]
    # the clash between two members: the member that attacked does not vote (rules.rule_of),
    # so it neither wants help for its victim nor holds the alliance back; the others decide,
    # rarely for troops (the mixture; asked for military help, about one in ten)
    clash = s["crises"][3]
    tjk = next(m for m in clash["members"] if m["id"] == "TJK")
    assert tjk["role"] == "aggressor" and tjk["preferred_military"] == 0.0
    assert tjk["holds_out"] == 0.0 and tjk["sole_veto"] == 0.0
    assert 0.0 < clash["response"]["military"] + clash["response"]["mission"] < 0.15
    asked = clash["by_request"]["military"]
    assert 0.0 < asked["response"]["military"] < 0.25
    rus = next(m for m in asked["members"] if m["id"] == "RUS")
    assert rus["holds_out"] == max(m["holds_out"] for m in asked["members"])


def test_run_out_writes_parquet_json_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "results"
    # several chunks: the per-trial file is streamed chunk by chunk
    r = run("run", "--trials", "9000", "--chunk-size", "4096", "--out", str(out))
    assert r.returncode == 0, r.stderr
    names = {p.name for p in out.iterdir()}
    assert names == {"trials.parquet", "summary.json", "scenario.yaml", "response.png",
                     "contributions.png", "outcomes.png", "run.json"}
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["kind"] == "run" and manifest["seed"] == 2021 and manifest["trials"] == 9000
    assert set(manifest["files"]) == names - {"run.json"}
    import hashlib

    for name, meta in manifest["files"].items():
        data = (out / name).read_bytes()
        assert meta["bytes"] == len(data) and meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # nothing left
    df = pd.read_parquet(out / "trials.parquet")
    assert len(df) == 4 * 9000
    for _, group in df.groupby("crisis"):
        assert sorted(group.trial) == list(range(9000))
    assert {"crisis", "trial", "response", "troops_RUS", "outcome", "outcome_alone"} <= set(df)
    for png in ["response.png", "contributions.png", "outcomes.png"]:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((out / "summary.json").read_text())
    first = summary["crises"][0]
    freq = (df[df.crisis == CRISES[0]].response == "military").mean()
    assert first["response"]["military"] == pytest.approx(freq)
    # the scenario written beside the results reproduces them
    again = run("run", str(out / "scenario.yaml"), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["crises"] == summary["crises"]


def test_scenarios_lists_the_default() -> None:
    r = run("scenarios")
    assert r.returncode == 0, r.stderr
    assert "csto-2021-autumn" in r.stdout and "(default)" in r.stdout


def test_show_prints_yaml_a_user_can_edit_and_run(tmp_path: Path) -> None:
    r = run("show", "csto-2021-autumn")
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load(r.stdout)
    assert data["alliance"] == "csto" and len(data["crises"]) == 4
    data["crises"] = data["crises"][:1]
    data["crises"][0]["aggressor_strength"] = 20000
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump(data))
    r = run("run", str(mine), "--trials", "2000", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["crisis_id"] for c in json.loads(r.stdout)["crises"]] == ["tjk-incursion"]


def test_show_resolved_is_self_contained(tmp_path: Path) -> None:
    r = run("show", "csto-2021-autumn", "--resolved")
    assert r.returncode == 0, r.stderr
    data = yaml.safe_load(r.stdout)
    assert data["alliance"]["leader"] == "RUS"
    assert data["actors"]["TJK"]["troops"] == 9500
    assert data["parameters"]["uncertainty"] == "posterior"  # as a run uses it (was null)
    p = tmp_path / "full.yaml"
    p.write_text(r.stdout)
    a = run("run", str(p), "-n", "1500", "--json")
    b = run("run", "-n", "1500", "--json")
    assert json.loads(a.stdout)["crises"] == json.loads(b.stdout)["crises"]


def test_help_works() -> None:
    r = run("--help")
    assert r.returncode == 0 and "run" in r.stdout and "scenarios" in r.stdout


def test_process_backend_from_the_cli_gives_the_same_numbers() -> None:
    a = run("run", "-n", "9000", "--json")
    b = run("run", "-n", "9000", "--json", "--backend", "process", "--workers", "2",
            "--chunk-size", "4096")
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    assert json.loads(a.stdout) == json.loads(b.stdout)


def test_version() -> None:
    from alliancesim import __version__

    r = run("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"alliancesim {__version__}"
    assert __version__ != "0+unknown"


def test_score_command() -> None:
    r = run("score", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert len(data["cases"]) == 17 and "model" in data["log_score"]
    r = run("score")
    assert r.returncode == 0 and "in-sample" in r.stdout and "leader decides" in r.stdout
