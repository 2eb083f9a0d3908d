"""The Python API: load_scenario, simulate, summary, to_pandas."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim import Ensemble, ScenarioError, load_scenario, simulate
from alliancesim.results.summary import EnsembleSummary


def test_api_end_to_end() -> None:
    sc = load_scenario("csto-2021-autumn")
    ens = simulate(sc, trials=3000, seed=3)
    assert isinstance(ens, Ensemble)
    s = ens.summary()
    assert isinstance(s, EnsembleSummary)
    assert s.trials == 3000 and len(s.crises) == 4
    df = ens.to_pandas()
    assert len(df) == 4 * 3000
    assert df.groupby("crisis", observed=True).size().eq(3000).all()
    r = ens["tjk-incursion"]
    assert r.troops.shape == (3000, 6)


def test_simulate_accepts_a_name_and_uses_the_scenario_defaults() -> None:
    ens = simulate("csto-2021-autumn", trials=500)
    assert ens.seed == 2021


def test_unknown_name_raises_scenario_error() -> None:
    with pytest.raises(ScenarioError, match="no bundled scenario"):
        load_scenario("nope")


def test_invariants_over_trials() -> None:
    ens = simulate("csto-2021-autumn", trials=4000, seed=8)
    for c, r in zip(ens.crises, ens.results, strict=True):
        cap = np.array([2, 2, 4])[r.request]
        assert np.all(r.rung <= cap)  # never more than was asked for
        sent = r.troops.sum(axis=1) > 0
        # troops only go when the alliance decided on military help or members fell back
        assert np.all((r.rung[sent] == 4) | r.fallback[sent])
        assert np.all(r.troops[:, c.victim] == 0)
        assert np.all(np.isnan(r.first_arrival[~sent]))
        assert np.all(r.first_arrival[sent] >= 0)
        # without any allied troops, the outcome is the victim-alone outcome
        np.testing.assert_array_equal(r.outcome[~sent], r.outcome_alone[~sent])


def test_consensus_military_means_everyone_wanted_it_or_the_leader_decided() -> None:
    sc = load_scenario("csto-2021-autumn")
    ens = simulate(sc, trials=4000, seed=8)
    c, r = ens.crises[0], ens.results[0]
    mil = r.rung == 4
    assert mil.any()
    assert c.rule == "consensus" and c.leader >= 0
    everyone = np.all(r.preferred == 4, axis=1)
    # under the leader's weight some trials are the leader's alone: it wanted military help
    assert np.all(everyone[mil] | (r.preferred[mil, c.leader] == 4))
    assert (~everyone[mil]).any()  # and the weight (0.56) does decide some
    # without the leader's weight, military help under consensus means every member wanted it
    council = sc.parameters.council.model_copy(update={"leader_weight": 0.0})
    params = sc.parameters.model_copy(update={"council": council})
    ens0 = simulate(sc.model_copy(update={"parameters": params}), trials=4000, seed=8)
    r0 = ens0.results[0]
    assert (r0.rung == 4).any() and np.all(r0.preferred[r0.rung == 4] == 4)


def test_distributions_are_drawn_per_trial(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario(crisis={"aggressor_strength": {"dist": "uniform", "low": 1000,
                                                      "high": 9000}})
    ens = simulate(sc, trials=5000, seed=1)
    losses = ens.results[0].aggressor_losses_alone
    assert np.unique(losses).size > 100


def test_every_bundled_scenario_runs() -> None:
    from alliancesim.data import bundled

    names = bundled.scenario_names()
    assert {"csto-2021-autumn", "nato-2021-baltic"} <= set(names)
    for name in names:
        s = simulate(name, trials=1000, seed=1).summary()
        for c in s.crises:
            assert sum(c.response.values()) == pytest.approx(1.0)


def test_examples_run_and_two_thirds_majority_changes_the_answer() -> None:
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "examples"
    for path in sorted(examples.glob("*.yaml")):
        if "variants" in path.name:  # a variants file runs through compare
            from alliancesim import api

            assert api.compare(path, trials=500).crises
            continue
        assert simulate(load_scenario(path), trials=2000, seed=1).summary().crises
    qmv = simulate(load_scenario(examples / "csto-two-thirds.yaml"), trials=8000, seed=3)
    assert qmv.scenario.alliance.decision_rule.rule == "qualified_majority"  # type: ignore[union-attr]
    consensus = simulate("csto-2021-autumn", trials=8000, seed=3)
    # Armenia: a two-thirds majority gets military help more often than consensus (by more than
    # five times the Monte Carlo error of the difference, about 0.006 at 8,000 trials; the
    # rule decides only the trials the leader's weight leaves to it)
    arm_qmv = next(c for c in qmv.summary().crises if c.crisis_id == "armenia-attack")
    arm_con = next(c for c in consensus.summary().crises if c.crisis_id == "armenia-attack")
    assert arm_qmv.response["military"] > arm_con.response["military"] + 0.03


def test_options_are_keyword_only() -> None:
    from alliancesim import api

    with pytest.raises(TypeError):
        api.simulate("csto-2021-autumn", 500)  # type: ignore[misc]
    with pytest.raises(TypeError):
        api.calibrate(None, 2.0)  # type: ignore[misc]


def test_simulate_writes_its_outputs_through_the_api(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    ens = simulate("csto-2021-autumn", trials=1000, seed=2, out=tmp_path / "run")
    names = sorted(p.name for p in ens.files)
    assert "trials.parquet" in names and "summary.json" in names and "response.png" in names
    assert len(pd.read_parquet(tmp_path / "run" / "trials.parquet")) == 4 * 1000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_score_cases_uses_the_given_parameters_without_refitting() -> None:
    from alliancesim import score_cases

    default = score_cases()
    assert len(default.cases) == 17
    assert set(default.log_score) == {"model", "alliance base rate", "alliance grants",
                                      "alliance probit", "leader decides", "request base rate",
                                      "frequency", "uniform over allowed", "always decline"}
    for c in default.cases:
        for name in default.log_score:
            assert sum(c.probabilities[name]) == pytest.approx(1.0), name
    # the base rates leave the scored case out: the hindcast's leave-one-out base rates
    from alliancesim.cases import load_cases
    from alliancesim.experiments.hindcast import request_base_rate
    from alliancesim.experiments.validation import designs

    ds = designs(load_cases())
    loo = [np.log(request_base_rate(ds[:k] + ds[k + 1 :], d.request, d.cap)[d.observed])
           for k, d in enumerate(ds)]
    assert default.log_score["request base rate"] == pytest.approx(np.mean(loo), abs=1e-12)
    assert default.log_score["request base rate"] == pytest.approx(-1.026, abs=5e-4)
    # the alliance-aware baselines are the hindcast's too (docs/validation.md)
    assert default.log_score["alliance grants"] == pytest.approx(-0.857, abs=5e-4)
    assert default.log_score["alliance probit"] == pytest.approx(-0.948, abs=5e-4)
    assert default.log_score["alliance base rate"] == pytest.approx(-1.012, abs=5e-4)
    # a different parameter set gives different scores, and reports the set it used
    other = score_cases(params={"council": {"coefficients": {"in_scope": 0.0}}})
    assert other.parameters["coefficients"]["in_scope"] == 0.0
    assert other.log_score["model"] != pytest.approx(default.log_score["model"])
    # the baselines need no fit: the same under any parameters
    for name in ("request base rate", "frequency", "uniform over allowed", "always decline",
                 "alliance base rate", "alliance grants", "alliance probit"):
        assert other.log_score[name] == default.log_score[name], name
    assert other.log_score["leader decides"] != pytest.approx(default.log_score["leader decides"])


def test_ray_missing_says_how_to_install_it(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib.util

    from alliancesim.scenario.errors import UsageError

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(UsageError, match=r"alliancesim\[ray\]"):
        simulate("csto-2021-autumn", trials=10, backend="ray")
