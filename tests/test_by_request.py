"""The headline by request: each crisis whose request is drawn is also run with the request fixed
at each level (common random numbers), beside the base rate of the alliance's own cases."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from alliancesim import api
from alliancesim.data import bundled
from alliancesim.model.request import REQUEST_CAP
from alliancesim.report.tables import render_summary
from alliancesim.results.bands import benchmark
from alliancesim.scenario.compile import REQUEST_LEVELS
from alliancesim.scenario.schema import RUNGS, Alliance, Scenario


def _fixed(sc: Scenario, level: str) -> Scenario:
    return sc.model_copy(update={"crises": [c.model_copy(update={"request": level})
                                            for c in sc.crises]})


def test_each_request_equals_a_run_with_the_request_fixed_in_the_scenario() -> None:
    sc = api.load_scenario("csto-2021-autumn")
    s = api.simulate(sc, trials=3000, seed=5, parameter_uncertainty="posterior").summary()
    for level in REQUEST_LEVELS:
        # another chunk size: the numbers depend on (scenario, trials, seed) only
        fixed = api.simulate(_fixed(sc, level), trials=3000, seed=5, chunk_size=1000,
                             parameter_uncertainty="posterior").summary()
        for c, f in zip(s.crises, fixed.crises, strict=True):
            assert c.by_request is not None
            got = c.by_request[level]
            assert got.request_fixed == level and f.request_fixed == level
            assert got.response == f.response and got.response_se == f.response_se
            assert got.parameter_band == f.parameter_band
            assert got.members == f.members and got.outcome_with_alliance == \
                f.outcome_with_alliance
            assert f.by_request is None  # a fixed request is run once
            cap = int(REQUEST_CAP[REQUEST_LEVELS.index(level)])
            assert all(got.response[r] == 0.0 for r in RUNGS[cap + 1:])
    # the mixture is the run without by_request, unchanged
    mixed = api.simulate(sc, trials=3000, seed=5, parameter_uncertainty="posterior",
                         by_request=False).summary()
    for c, m in zip(s.crises, mixed.crises, strict=True):
        assert c.response == m.response and m.by_request is None


def test_a_crisis_with_a_fixed_request_is_run_once_beside_drawn_ones() -> None:
    sc = api.load_scenario("csto-2021-autumn")
    crises = [sc.crises[0].model_copy(update={"request": "consultations"}), *sc.crises[1:]]
    s = api.simulate(sc.model_copy(update={"crises": crises}), trials=1500, seed=8).summary()
    fixed, drawn = s.crises[0], s.crises[1]
    assert fixed.request_fixed == "consultations" and fixed.by_request is None
    assert fixed.base_rates is not None and list(fixed.base_rates) == ["consultations"]
    assert fixed.base_rate == fixed.base_rates["consultations"].response
    assert drawn.by_request is not None and len(drawn.by_request) == 4
    # the fixed crisis is the same run as the drawn crisis's run asked for consultations would
    # be for that crisis: the other crises do not touch its streams
    alone = api.simulate(sc, trials=1500, seed=8).summary().crises[0]
    assert alone.by_request is not None
    assert alone.by_request["consultations"].response == fixed.response


def test_the_process_backend_gives_the_same_conditional_runs() -> None:
    sc = api.load_scenario("csto-2021-autumn")
    local = api.simulate(sc, trials=1500, seed=3).summary()
    pool = api.simulate(sc, trials=1500, seed=3, backend="process", workers=2,
                        chunk_size=512).summary()
    assert local.crises == pool.crises


def test_the_progress_counts_every_run() -> None:
    sc = api.load_scenario("csto-2021-autumn")
    seen: list[int] = []
    api.simulate(sc, trials=700, progress=seen.append)
    # four crises, each mixed and at each of the four requests
    assert sum(seen) == api.trials_to_run(sc, 700, by_request=True) == 700 * 4 * 5
    nato = api.load_scenario("nato-2021-baltic")  # its request is fixed: one run
    assert api.trials_to_run(nato, 700, by_request=True) == 700


def test_the_base_rate_is_the_alliances_own_record() -> None:
    from alliancesim.cases import load_cases

    cases = load_cases()
    sc = api.load_scenario("csto-2021-autumn")
    s = api.simulate(sc, trials=1000, seed=1).summary()
    c = s.crises[0]
    assert c.base_rates is not None and c.by_request is not None
    for k, level in enumerate(REQUEST_LEVELS):
        own = [x for x in cases if x.alliance == "csto" and x.crisis.request == level]
        if level not in c.base_rates:  # no case in the record asked for it (material help)
            assert not [x for x in cases if x.crisis.request == level]
            assert c.by_request[level].base_rate is None
            continue
        counts = np.bincount([x.observed_rung for x in own], minlength=5) + 0.5
        allowed = np.arange(5) <= REQUEST_CAP[k]
        expected = np.where(allowed, counts, 0.0) / np.where(allowed, counts, 0.0).sum()
        rate = c.base_rates[level]
        assert rate.alliance == "CSTO" and rate.cases == len(own)
        np.testing.assert_allclose([rate.response[r] for r in RUNGS], expected)
        assert rate.label.startswith(f"CSTO's {len(own)} case")
        conditional = c.by_request[level]
        assert conditional.base_rate == rate.response
    # CSTO's own record for a military request is not the pooled one (NATO's weighs there)
    pooled = [x for x in cases if x.crisis.request == "military"]
    assert c.base_rates["military"].cases < len(pooled)
    assert c.base_rates["military"].response["military"] < 0.3
    # the mixed base rate is the same rates mixed over the crisis's requests
    for rung in RUNGS:
        assert c.base_rate is not None
        assert c.base_rate[rung] == pytest.approx(
            sum(c.request[lv] * c.base_rates[lv].response[rung] for lv in c.base_rates))


def test_an_alliance_without_cases_gets_the_pooled_record_and_says_so() -> None:
    sc = api.load_scenario("csto-2021-autumn")
    assert isinstance(sc.alliance, Alliance)
    pact = sc.alliance.model_copy(update={"id": "eurasian-pact",
                                          "name": "Eurasian Defence Pact (EDP)"})
    s = api.simulate(sc.model_copy(update={"alliance": pact}), trials=1000, seed=1).summary()
    rates = s.crises[0].base_rates
    assert rates is not None
    everyone = benchmark(Alliance.model_validate({**pact.model_dump(), "id": "all"}))
    for level, rate in rates.items():
        assert rate.alliance == "" and rate.label.startswith("pooled: all ")
        assert "(EDP has none)" in rate.label
        assert rate.response == everyone.base_rates[level].response
    from rich.console import Console

    console = Console(width=120, record=True)
    render_summary(s, console)
    text = console.export_text()
    assert "base: 5 cases, pooled" in text and "base: 7 cases, pooled" in text
    # NATO has no case without a request: pooled for that level only
    nato = api.load_scenario("nato-2021-baltic")
    assert isinstance(nato.alliance, Alliance)
    b = benchmark(nato.alliance)
    assert b.base_rates["none"].alliance == "" and "NATO has none" in b.base_rates["none"].label
    assert b.base_rates["military"].label == "NATO's 4 cases asking for military help"


def test_the_bundled_base_rates_are_what_the_cases_give() -> None:
    """data/base_rates.yaml is written by scripts/make_base_rates.py: rerun it when a case or
    the request stage's fit changes."""
    from alliancesim.experiments.benchmark import record

    stored = yaml.safe_load(bundled.BASE_RATES.read_text(encoding="utf-8"))
    fresh = record()
    assert stored["base_rates"].keys() == fresh["base_rates"].keys()
    for level, by in fresh["base_rates"].items():
        assert stored["base_rates"][level].keys() == by.keys(), level
        for alliance, r in by.items():
            assert stored["base_rates"][level][alliance]["cases"] == r["cases"]
            np.testing.assert_allclose(stored["base_rates"][level][alliance]["response"],
                                       r["response"], rtol=1e-9)
    for k, v in fresh["request_stage"].items():
        assert stored["request_stage"][k] == pytest.approx(v, rel=1e-6), k
    # the held-out score is the request stage's own leave-one-out, not typed in
    from alliancesim.cases import load_cases
    from alliancesim.experiments import request_fit

    data = request_fit.request_cases(load_cases())
    log, _, _ = request_fit.loo_scores(data, request_fit.leave_one_out(data))
    assert stored["request_stage"]["fitted"] == pytest.approx(log["request model"], rel=1e-6)
    assert stored["request_stage"]["uniform"] == pytest.approx(np.log(1 / 3))
    # the model against the best alliance-aware baseline: the hindcast's, as documented
    for k, v in fresh["held_out"].items():
        assert stored["held_out"][k] == (pytest.approx(v, rel=1e-9) if isinstance(v, float)
                                         else v), k
    assert stored["held_out"]["baseline"] == "alliance grants"
    assert round(stored["held_out"]["model"], 3) == -0.818


def test_run_says_what_it_adds_over_the_best_alliance_baseline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    s = api.simulate("csto-2021-autumn", trials=1000, seed=2).summary()
    assert s.held_out is not None and s.held_out.baseline == "alliance grants"
    console = Console(width=200, record=True)
    render_summary(s, console)
    text = " ".join(console.export_text().split())
    assert ("What the model adds: held out on the 17 bundled cases, its response probabilities "
            "score -0.818 per case against -0.857") in text
    assert "'the alliance grants what was asked'" in text and "no more accurate" in text
    from alliancesim.report import html

    page = html.render({"id": "x", "kind": "run", "created": "2026-01-01T00:00:00",
                        "version": "0", "report": s.model_dump(mode="json")})
    assert "What the model adds: held out on the 17 bundled cases" in page


def test_the_tables_show_each_request_then_the_mixture() -> None:
    from rich.console import Console

    s = api.simulate("csto-2021-autumn", trials=2000, seed=2).summary()
    console = Console(width=120, record=True)
    render_summary(s, console)
    text = console.export_text()
    first = text[:text.index("Low-level infiltration")]
    order = [first.index(x) for x in ("asked for military help", "asked for consultations",
                                      "no request", "mixed (request stage)")]
    assert order == sorted(order)
    assert "base: 3 CSTO cases" in first and "base: 1 CSTO case " in first
    assert "base: mixed likewise" in first
    score = s.request_stage
    assert score is not None and score.fitted < score.uniform  # worse than a uniform third
    assert (f"held-out log score is {score.fitted:.3f} per case against {score.uniform:.3f} "
            "for a uniform third (worse than chance") in " ".join(first.split())
    assert "Members, if TJK asks for military help" in first
    assert "How it ends, if TJK asks for military help" in first
    nato = api.simulate("nato-2021-baltic", trials=2000, seed=2).summary()
    console = Console(width=120, record=True)
    render_summary(nato, console)
    text = console.export_text()
    assert "EST asks for military help (the scenario says so)" in text
    assert "base: 4 NATO cases" in text and "mixed" not in text.split("wants mil.")[0]


def test_a_request_for_material_help_caps_the_response_at_a_mission() -> None:
    """Material help (model/request.py, rule Q2) opens a mission but not troops: with the same
    seed (common random numbers), its run is the run asked for military help with every trial
    that reached military help stopped at a mission, and no troops go under the alliance."""
    sc = api.load_scenario("csto-2021-autumn")
    c = api.simulate(sc, trials=1500, seed=3).summary().crises[0]
    assert c.by_request is not None
    material, military = c.by_request["material"], c.by_request["military"]
    assert material.request_fixed == "material" and material.response["military"] == 0.0
    assert military.response["military"] > 0.1
    assert material.response["mission"] == pytest.approx(
        military.response["mission"] + military.response["military"])
    for rung in ("none", "statement", "consultations"):
        assert material.response[rung] == military.response[rung]
    assert material.outside_record and any("material" in x.text for x in material.outside_record)
