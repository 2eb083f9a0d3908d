"""The cases beyond the CSTO and NATO (issue 20): they load, and they are the files whose SHA-256
list was committed before any score on them (data/cases_beyond/SHA256SUMS)."""

from __future__ import annotations

import hashlib

import pytest

from alliancesim.cases import load_cases
from alliancesim.data import bundled

FOLDER = bundled.DATA / "cases_beyond"
pytestmark = pytest.mark.skipif(not (FOLDER / "SHA256SUMS").is_file(),
                                reason="no frozen cases beyond the CSTO and NATO yet")


def test_the_frozen_files_are_unchanged() -> None:
    listed = {}
    for line in (FOLDER / "SHA256SUMS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            listed[name] = digest
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(FOLDER.glob("*.yaml"))}
    assert files == listed


def test_they_load_beyond_two_alliances() -> None:
    cases = load_cases(FOLDER)
    assert len({c.alliance_id for c in cases} - {"csto", "nato"}) >= 6
    for c in cases:
        assert c.sources and c.coding.get("rung") and c.coding.get("request")


def test_score_the_frozen_cases_from_the_command_line() -> None:
    """`alliancesim score --cases data/cases_beyond` is the frozen test (docs/validation.md):
    alliances the parameters give no intercept have it integrated over its prior, inputs given
    as distributions are taken at their point values, and the model is set against the best
    baseline that knows the alliance."""
    import json

    from test_cli import run

    r = run("--no-store", "score", "--cases", str(FOLDER), "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert len(data["cases"]) == len(list(FOLDER.glob("*.yaml")))
    notes = {c["case_id"]: c["notes"] for c in data["cases"]}
    assert any("integrated over its prior" in n for n in notes["sadc_2021_mozambique"])
    assert notes["nato_1991_turkey_gulf"] == []  # NATO has a fitted intercept
    assert any("aggressor_strength" in n for n in notes["seato_1962_thailand"])
    best = data["against_best"]
    assert best["b"] in ("alliance base rate", "alliance grants", "alliance probit")
    assert best["low"] <= best["mean"] <= best["high"]
    assert set(data["by_alliance"]) >= {"rio-treaty", "gcc-1981", "sadc"}


def test_a_known_intercept_replaces_the_prior() -> None:
    from alliancesim import score_cases

    case = [c for c in load_cases(FOLDER) if c.id == "sadc_2021_mozambique"]
    prior = score_cases(case)
    known = score_cases(case, params={"council": {"alliance_intercepts": {"sadc": 0.0}}})
    assert prior.cases[0].notes and not known.cases[0].notes
    p, q = prior.cases[0].probabilities["model"], known.cases[0].probabilities["model"]
    assert sum(p) == pytest.approx(1.0) and sum(q) == pytest.approx(1.0)
    assert p != pytest.approx(q, abs=1e-3)  # the prior's spread moves the forecast


def test_case_sets_join_and_refuse_repeats() -> None:
    from alliancesim.cases import load_case_sets
    from alliancesim.scenario.errors import ScenarioError

    both = load_case_sets(["bundled", "beyond"])
    assert len(both) == len(load_cases()) + len(load_cases(FOLDER))
    with pytest.raises(ScenarioError, match="more than one folder"):
        load_case_sets(["bundled", str(bundled.CASES)])
    with pytest.raises(ScenarioError, match="nor a bundled set: bundled, beyond"):
        load_case_sets(["nowhere"])


@pytest.mark.slow
def test_leave_one_alliance_out_in_the_hindcast() -> None:
    """`hindcast --by-alliance`: every alliance's cases forecast by fits on the others' only;
    on a few cases of three alliances, against a direct computation."""
    from alliancesim import api
    from alliancesim.cases import load_case_sets
    from alliancesim.experiments import hindcast, validation
    from alliancesim.scenario.errors import UsageError

    cases = [c for c in load_case_sets(["bundled", "beyond"])
             if c.alliance_id in ("nato", "rio-treaty", "ecowas")][::2]
    r = api.hindcast(cases, ablation=False, codings=False, by_alliance=True,
                     contingent_trials=200)
    a = r.alliance_out
    assert a is not None and a.alliances == 3
    direct = hindcast.score(hindcast.leave_one_alliance_out(validation.designs(cases)))
    assert a.log_score["model"] == pytest.approx(direct.log_score["model"], abs=1e-12)
    assert sum(g.cases for g in a.by_alliance.values()) == len(cases)
    assert a.against_best.b in hindcast.ALLIANCE_AWARE
    with pytest.raises(UsageError, match="at least two alliances"):
        api.hindcast([c for c in cases if c.alliance_id == "nato"], ablation=False,
                     codings=False, by_alliance=True, contingent_trials=200)

