"""Where the record does not reach (results/reach.py): the rules on the bundled cases, the
bundled scenarios, a third alliance and out-of-range features; the line in `run` and `compare`,
the JSON and the HTML page."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from alliancesim import api
from alliancesim.cases import load_cases, to_scenario
from alliancesim.cli import app
from alliancesim.data import bundled
from alliancesim.report.comparison_tables import render_comparison
from alliancesim.results.comparison import ComparisonReport
from alliancesim.results.reach import (
    MARGIN,
    Extrapolation,
    RecordSpan,
    beyond_record,
    record_line,
    span,
    span_of,
    voting_features,
)
from alliancesim.scenario.compile import CompiledCrisis, compile_crisis
from alliancesim.scenario.schema import COUNCIL_FEATURES, Scenario

GCC = Path(__file__).parent / "fixtures" / "scenarios" / "gcc-unrest.yaml"


def _compiled(scenario: Scenario | str | Path, crisis: str) -> object:
    sc = api.load_scenario(scenario) if not isinstance(scenario, Scenario) else scenario
    return compile_crisis(sc, [c.id for c in sc.crises].index(crisis))


def _kinds(reasons: list[Extrapolation]) -> list[str]:
    return [r.kind for r in reasons]


def _flat(text: str) -> str:
    """The terminal's text with its wrapping undone."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- the record
@pytest.fixture(scope="module")
def case_models() -> list[CompiledCrisis]:
    return [compile_crisis(to_scenario(c), 0) for c in load_cases()]


def test_the_span_is_what_the_case_files_say(case_models: list[CompiledCrisis]) -> None:
    """Counted from the case files' own YAML (not through the loader): alliances, threats,
    requests, members; every case's voting members lie inside the feature span, which each end
    attains."""
    raw = [yaml.safe_load(p.read_text()) for p in sorted(bundled.CASES.glob("*.yaml"))]
    record = span()
    assert record == span_of(case_models)
    assert record.cases == {a: sum(c["alliance"] == a for c in raw)
                            for a in {c["alliance"] for c in raw}}
    for threat in {c["crisis"]["threat"] for c in raw}:
        assert record.threats[threat] == {c["alliance"] for c in raw
                                          if c["crisis"]["threat"] == threat}
    for level in {c["crisis"]["request"] for c in raw}:
        assert record.requests[level] == {c["alliance"] for c in raw
                                          if c["crisis"]["request"] == level}
    x = np.concatenate([voting_features(m)[1] for m in case_models])
    for k, f in enumerate(COUNCIL_FEATURES):
        assert record.features[f] == (x[:, k].min(), x[:, k].max()), f
    listed = [len(c.get("members") or yaml.safe_load(bundled.alliance_path(c["alliance"])
                                                     .read_text())["members"]) for c in raw]
    assert record.members == (min(listed), max(listed))


def test_the_victim_is_not_a_voter() -> None:
    m = _compiled("csto-2021-autumn", "armenia-attack")
    voters, x = voting_features(m)
    assert "ARM" not in voters and len(voters) == m.n_members - 1
    assert x.shape == (m.n_members - 1, len(COUNCIL_FEATURES))


# --------------------------------------------------------------------------- the rules
def test_the_bundled_scenarios_are_inside_but_the_csto_insurgency() -> None:
    """The CSTO's cases never met an insurgency (NATO's did); everything else in the bundled
    scenarios is inside the record."""
    sc = api.load_scenario("csto-2021-autumn")
    for c in sc.crises:
        reasons = beyond_record(_compiled(sc, c.id))
        if c.id == "afghan-border-insurgency":
            assert _kinds(reasons) == ["threat"]
            assert reasons[0].seen_in == ["nato"]
            assert reasons[0].text == "no CSTO case with threat insurgency (only NATO's)"
        else:
            assert reasons == [], (c.id, reasons)
    assert beyond_record(_compiled("nato-2021-baltic", "est-attack")) == []


def test_a_third_alliance_is_outside() -> None:
    """An inline GCC: no cases (its intercept from the prior under parameter uncertainty), an
    internal unrest only the CSTO's cases met, five members, and Iran's strength against the
    Gulf's troops a cost far beyond any case's."""
    sc = api.load_scenario(GCC)
    unrest = beyond_record(_compiled(sc, "bahrain-unrest"))
    assert _kinds(unrest) == ["alliance", "threat", "members"]
    assert "alliance 'gcc' has no cases" in unrest[0].text
    assert "the scenario's 0, not fitted" in unrest[0].text
    assert unrest[1].seen_in == ["csto"] and "seen only in CSTO's cases" in unrest[1].text
    assert (unrest[2].value, unrest[2].low, unrest[2].high) == (5.0, *map(float, span().members))
    attack = beyond_record(_compiled(sc, "iran-attacks-kuwait"))
    assert _kinds(attack) == ["alliance", "members", "feature"]  # the attack: met by both
    cost = attack[2]
    assert cost.feature == "cost" and cost.member is None
    assert cost.value is not None and cost.high is not None and cost.value > cost.high
    drawn = sc.model_copy(update={"parameters": sc.parameters.model_copy(
        update={"uncertainty": "posterior"})})
    assert ("its intercept is drawn from the prior N(0, 1)"
            in beyond_record(_compiled(drawn, "bahrain-unrest"))[0].text)


def test_a_feature_beyond_the_span_names_member_value_and_range() -> None:
    """Armenia's allies made hostile to it (affinity -1, below every case's voter) are named,
    farthest first; a value within MARGIN of the span is not flagged."""
    sc = api.load_scenario("csto-2021-autumn")
    low, high = span().features["affinity_victim"]
    assert low > -1.0 + MARGIN * (high - low)  # the test's premise
    near = low - 0.5 * MARGIN * (high - low)  # beyond the span, but within the margin
    pairs = [{"a": m, "b": "ARM", "value": v, "reason": "test"}
             for m, v in [("KAZ", -1.0), ("BLR", -0.95), ("KGZ", near)]]
    data = sc.model_dump(mode="json", by_alias=True)
    data["affinity"] = [p for p in data["affinity"]
                        if not ({p["a"], p["b"]} & {"ARM"} and {p["a"], p["b"]} & {"KAZ", "BLR",
                                                                                     "KGZ"})]
    data["affinity"] += pairs
    changed = Scenario.model_validate(data)
    reasons = beyond_record(_compiled(changed, "armenia-attack"))
    feats = [r for r in reasons if r.kind == "feature"]
    assert [(r.feature, r.member, r.value) for r in feats] == [
        ("affinity_victim", "KAZ", -1.0), ("affinity_victim", "BLR", -0.95)]
    assert (feats[0].low, feats[0].high) == (low, high)
    assert feats[0].text == f"affinity_victim of KAZ -1 beyond the cases' {low:.3g} to {high:.3g}"
    line = record_line(reasons)
    assert line is not None and "affinity_victim of KAZ -1 (and 1 other member) beyond" in line


def test_request_and_rule_outside_the_alliances_record() -> None:
    """NATO never met a crisis without a request (only the CSTO's cases did); a two-thirds
    majority decided no case."""
    sc = api.load_scenario("nato-2021-baltic")
    crisis = sc.crises[0].model_copy(update={"request": "none"})
    reasons = beyond_record(_compiled(sc.model_copy(update={"crises": [crisis]}), crisis.id))
    assert _kinds(reasons) == ["request"] and reasons[0].seen_in == ["csto"]
    assert reasons[0].text == "no NATO case with request none (only CSTO's)"
    two_thirds = beyond_record(_compiled("examples/csto-two-thirds.yaml", "armenia-attack"))
    assert _kinds(two_thirds) == ["rule"]
    assert "qualified_majority 0.667" in two_thirds[0].text


def test_an_alliance_without_cases_borrows_a_threat_two_alliances_met() -> None:
    """The threat rule on a made-up record: an alliance without cases is told about a threat
    only one alliance (or none) met, an alliance with cases about a threat its own did not."""
    record = RecordSpan(cases={"a": 2, "b": 1}, names={"a": "A", "b": "B"},
                        threats={"interstate_attack": frozenset({"a", "b"}),
                                 "insurgency": frozenset({"a"})},
                        requests={}, rules=frozenset({"consensus from mission"}),
                        members=(2, 40),
                        features={f: (-10.0, 10.0) for f in COUNCIL_FEATURES})
    base = _compiled("csto-2021-autumn", "afghan-border-insurgency")

    def threats(alliance: str, threat: str) -> list[str]:
        m = dataclasses.replace(base, alliance=alliance, threat=threat)
        return [r.text for r in beyond_record(m, record) if r.kind == "threat"]

    assert threats("c", "interstate_attack") == []
    assert threats("c", "insurgency") == ["threat insurgency seen only in A's cases"]
    assert threats("c", "member_clash") == ["no case with threat member_clash"]
    assert threats("b", "insurgency") == ["no B case with threat insurgency (only A's)"]
    assert threats("a", "insurgency") == []


def test_the_line_is_one_line_with_the_rest_counted() -> None:
    reasons = [Extrapolation(kind="alliance", text=f"clause {k}") for k in range(6)]
    line = record_line(reasons)
    assert line == ("Outside the record: clause 0; clause 1; clause 2; clause 3; and 2 more - "
                    "the forecast extrapolates.")
    assert "\n" not in line
    assert record_line([]) is None


# --------------------------------------------------------------------------- the faces
@pytest.fixture(scope="module")
def gcc_run() -> object:
    return CliRunner().invoke(app, ["--no-store", "run", str(GCC), "-n", "500"])


def test_run_prints_the_line_under_each_crisis(gcc_run: object) -> None:
    r = gcc_run
    assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
    out = _flat(r.output)  # type: ignore[attr-defined]
    assert out.count("Outside the record: alliance 'gcc' has no cases (its intercept is drawn "
                     "from the prior N(0, 1))") == 2
    first, second = out.index("Unrest in Bahrain"), out.index("Iran attacks Kuwait")
    assert first < out.index("Outside the record", first) < out.index("Collective response",
                                                                      first) < second
    assert "threat internal_unrest seen only in CSTO's cases" in out[first:second]
    assert "cost 0." in out[second:] and "the forecast extrapolates." in out[second:]


def test_run_of_a_bundled_scenario_warns_once() -> None:
    r = CliRunner().invoke(app, ["--no-store", "run", "-n", "500", "--mixed-only"])
    assert r.exit_code == 0, r.output
    out = _flat(r.output)
    assert out.count("Outside the record") == 1
    assert "Outside the record: no CSTO case with threat insurgency (only NATO's)" in out


def test_the_json_holds_the_reasons() -> None:
    r = CliRunner().invoke(app, ["--no-store", "run", str(GCC), "-n", "500", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.stdout)
    by_id = {c["crisis_id"]: c["outside_record"] for c in s["crises"]}
    assert [x["kind"] for x in by_id["bahrain-unrest"]] == ["alliance", "threat", "members"]
    cost = by_id["iran-attacks-kuwait"][-1]
    assert cost["kind"] == "feature" and cost["feature"] == "cost" and cost["value"] > cost["high"]


def test_compare_and_its_page_say_it(tmp_path: Path) -> None:
    """Per variant: the base's insurgency, the two-thirds variant's rule (twice: two crises)."""
    r = CliRunner().invoke(app, ["--no-store", "compare", "csto-2021-autumn",
                                 "examples/csto-two-thirds.yaml", "-n", "500", "--json"])
    assert r.exit_code == 0, r.output
    report = ComparisonReport.model_validate_json(r.stdout)
    by_id = {c.crisis_id: c.outside_record for c in report.crises}
    assert set(by_id["armenia-attack"]) == {"examples/csto-two-thirds.yaml"}
    assert set(by_id["afghan-border-insurgency"]) == {"csto-2021-autumn"}
    console = Console(record=True, width=400)
    render_comparison(report, console)
    out = console.export_text()
    assert out.count("Outside the record (examples/csto-two-thirds.yaml): decision rule "
                     "qualified_majority 0.667") == 2
    assert "Outside the record (csto-2021-autumn): no CSTO case with threat insurgency" in out
    store = tmp_path / "runs.duckdb"
    page = api.report(api.record("compare", report, store=store), out=tmp_path / "c.html",
                      store=store).read_text()
    assert len(re.findall(r"<p class=\"outside\">Outside the record \(examples/csto-two-thirds"
                          r"\.yaml\): decision rule qualified_majority", page)) == 2


def test_the_run_page_says_it(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    ens = api.simulate(GCC, trials=500, seed=1)
    run_id = api.record("run", ens.summary(), scenario=ens.scenario, seed=1, trials=500,
                        store=store)
    page = api.report(run_id, out=tmp_path / "r.html", store=store,
                      parameter_draws=0).read_text()
    notes = re.findall(r'<p class="outside">(.*?)</p>', page)  # the template's markup
    assert len(notes) == 2 and all("alliance &#39;gcc&#39; has no cases" in n for n in notes)
    assert page.index(notes[0]) < page.index("Collective response")
