"""Issue 22, item 4: the notebook-native API.

Scenario.with_changes; api.sweep over Scenario objects and Python values (ranges, lists,
categorical values such as the decision rule), the CLI's strings mapping onto the same; designs
from the EMA Workbench's samplers; parameter uncertainty on by default in sweeps with the same
parameter draws at every point; tidy long frames from every report and an xarray.Dataset for
sweeps; the per-trial parameter-draw id; column names that work in df.query.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

from alliancesim import api
from alliancesim.experiments.sweep import Axis, design
from alliancesim.results.sweep import SweepReport
from alliancesim.results.tidy import COLUMNS, column_name
from alliancesim.scenario.errors import ScenarioError, UsageError
from alliancesim.scenario.schema import Scenario

STAKE = "parameters.council.coefficients.leader_stake"
RULES = {"consensus": {"rule": "consensus", "consensus_from": "mission"},
         "two-thirds": {"rule": "qualified_majority", "threshold": 0.667}}


@pytest.fixture(scope="module")
def csto() -> Scenario:
    return api.load_scenario("csto-2021-autumn")


# --------------------------------------------------------------------------- with_changes
def test_with_changes_gives_a_new_validated_scenario(csto: Scenario) -> None:
    sc = csto.with_changes({STAKE: 0.5, "crises.armenia-attack.aggressor_strength": 8000,
                            "alliance_changes.decision_rule": RULES["two-thirds"]})
    assert sc is not csto and isinstance(sc, Scenario)
    assert sc.parameters.council.coefficients.leader_stake == 0.5
    assert [c.aggressor_strength for c in sc.crises if c.id == "armenia-attack"] == [8000]
    # on a resolved scenario alliance_changes.X is alliance.X
    assert sc.alliance.decision_rule.rule == "qualified_majority"  # type: ignore[union-attr]
    assert csto.parameters.council.coefficients.leader_stake != 0.5  # the original untouched
    assert csto.alliance.decision_rule.rule == "consensus"  # type: ignore[union-attr]
    # a distribution as a mapping; numpy numbers as Python numbers
    sc = csto.with_changes({STAKE: {"dist": "normal", "mean": 0.0, "sd": 0.1},
                            "trials": np.int64(300)})
    assert sc.trials == 300 and type(sc.trials) is int
    assert sc.parameters.council.coefficients.leader_stake.sd == 0.1  # type: ignore[union-attr]


@pytest.mark.parametrize(("changes", "message"), [
    ({"parameters.council.coefficients.leader_stak": 1.0},
     r"no field 'leader_stak' in parameters.council.coefficients \(valid: affinity_aggressor, "),
    ({"crises.nosuch.trust": 0.1}, "no item 'nosuch'"),
    ({STAKE: 5000.0}, r"leader_stake: value 5000 is outside the valid range \[-1000, 1000\]"),
    ({"alliance.decision_rule.rule": "two-thirds"},
     r"alliance.decision_rule.rule: Input should be 'consensus', .* \(got 'two-thirds'\)"),
    ({"parameters..cost": 1.0}, "expected a dotted path"),
    ({f"{STAKE}.x": 1.0}, "cannot go inside a value"),
])
def test_with_changes_says_which_path_or_value_is_wrong(csto: Scenario, changes: dict[str, object],
                                                        message: str) -> None:
    with pytest.raises(ScenarioError, match=message) as err:
        csto.with_changes(changes)
    assert "\n" not in str(err.value)  # one line each


def test_an_unresolved_scenario_says_how_to_change_its_bundled_alliance(csto: Scenario) -> None:
    raw = csto.model_copy(update={"alliance": "csto"})
    with pytest.raises(ScenarioError, match=r"bundled 'csto': change it with "
                       r"alliance_changes\.decision_rule\.rule"):
        raw.with_changes({"alliance.decision_rule.rule": "consensus"})
    changed = raw.with_changes({"alliance_changes.decision_rule.rule": "consensus"})
    assert changed.alliance_changes == {"decision_rule": {"rule": "consensus"}}


# --------------------------------------------------------------------------- sweeps
def _military(report: SweepReport, crisis: str = "armenia-attack") -> list[float]:
    df = report.to_pandas().query(
        'crisis == @crisis and member == "all" and headline == "military help"')
    return df.sort_values("point")["value"].tolist()


def test_sweep_takes_a_scenario_object_and_python_values(csto: Scenario) -> None:
    """api.sweep(Scenario) failed ('File name too long'); each point equals a run of the
    scenario changed by with_changes, same seed and trials."""
    r = api.sweep(csto, vary={STAKE: [-0.5, 1.5]}, trials=600, seed=4,
                  parameter_uncertainty="off")
    assert r.scenario == csto.name and r.paths == [STAKE]
    for k, v in enumerate((-0.5, 1.5)):
        sc = csto.with_changes({STAKE: v, "parameters.uncertainty": "off"})
        c = {c.crisis_id: c for c in api.simulate(sc, trials=600, seed=4,
                                                  by_request=False).summary().crises}
        assert _military(r)[k] == c["armenia-attack"].response["military"]


def test_the_command_line_strings_map_onto_the_python_values(csto: Scenario) -> None:
    py = api.sweep(csto, vary={STAKE: (0, 2, 3)}, trials=300, seed=5)
    cli = api.sweep("csto-2021-autumn", vary=[f"{STAKE}=0:2:3"], trials=300, seed=5)
    assert py.points == cli.points
    assert sorted({p.values[STAKE] for p in py.points}) == [0.0, 1.0, 2.0]


def test_a_categorical_sweep_of_the_decision_rule(csto: Scenario, tmp_path: Path) -> None:
    """Labelled values in Python, YAML flow mappings on the command line: the same sweep."""
    r = api.sweep(csto, vary={"alliance.decision_rule": RULES}, trials=400, seed=6)
    labels = [p.values["alliance.decision_rule"] for p in r.points
              if p.crisis_id == "armenia-attack"]
    assert labels == ["consensus", "two-thirds"]
    # two-thirds needs fewer members than consensus: never less help, trial by trial
    lo, hi = _military(r)
    assert hi >= lo
    df = r.to_pandas()
    assert set(df["alliance_decision_rule"]) == {"consensus", "two-thirds"}
    flow = ("alliance_changes.decision_rule={rule: consensus, consensus_from: mission},"
            "{rule: qualified_majority, threshold: 0.667}")
    out = CliRunner().invoke(_app(), ["--no-store", "sweep", "csto-2021-autumn", "--vary",
                                      flow, "-n", "400", "-s", "6", "--json"])
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout[out.stdout.index("{"):])
    got = [p["outcomes"]["military help"] for p in cli["points"]
           if p["crisis_id"] == "armenia-attack"]
    assert got == [lo, hi]
    words = api.sweep(csto, vary=["crises.armenia-attack.request=none,military"], trials=200)
    assert [p.values["crises.armenia-attack.request"] for p in words.points
            if p.crisis_id == "armenia-attack"] == ["none", "military"]


def _app():  # type: ignore[no-untyped-def]
    from alliancesim.cli import app

    return app


@pytest.mark.parametrize(("vary", "message"), [
    ({STAKE: (0, 1, 2.5)}, "whole number of steps"),
    ({STAKE: (0, 1, 2, 3)}, r"\(LOW, HIGH\) or \(LOW, HIGH, STEPS\)"),
    ({STAKE: []}, "between 1 and 1000 values"),
    ({STAKE: [1.0, 1]}, "each value may be listed once"),
    ({"": [1]}, "dotted paths"),
    ({}, "at least one path"),
])
def test_bad_python_vary_is_a_precise_error(csto: Scenario, vary: dict[str, object],
                                            message: str) -> None:
    with pytest.raises(UsageError, match=message):
        api.sweep(csto, vary=vary, trials=10)


def test_designs_come_from_the_workbench_and_the_seed_fixes_them() -> None:
    axes = [Axis("a", 0.0, 1.0, 3), Axis("b", values=("x", "y"), labels=("x", "y"))]
    grid = design(axes, None, 1)
    assert [tuple(lab for _, lab in p) for p in grid] == [
        (0.0, "x"), (0.0, "y"), (0.5, "x"), (0.5, "y"), (1.0, "x"), (1.0, "y")]
    before = np.random.get_state()[1].copy()
    one, again, other = (design(axes, 8, s) for s in (7, 7, 8))
    assert np.array_equal(np.random.get_state()[1], before)  # numpy's global state put back
    assert one == again and one != other
    a = sorted(v for (v, _), _ in one)
    assert [int(v * 8) for v in a] == list(range(8))  # one point in each eighth
    assert sorted(lab for _, (_, lab) in one) == ["x"] * 4 + ["y"] * 4  # each category a half


def test_sweeps_draw_the_parameters_by_default_the_same_draws_at_every_point(
        csto: Scenario) -> None:
    """Default: parameter uncertainty on, each headline with its band. The engagement's horizon
    cannot move the council's decision; with common parameter draws (and common random
    numbers) the decision's headline and band are identical at both points."""
    r = api.sweep(csto, vary={"parameters.engagement.horizon_days": [30, 90]}, trials=1280,
                  seed=8)
    assert r.parameter_uncertainty == "posterior"
    df = r.to_pandas().query('member == "all" and headline == "military help"')
    assert df[["lower", "upper"]].notna().all().all()
    assert (df.lower <= df.value).all() and (df.value <= df.upper).all()
    for _, g in df.groupby("crisis"):
        assert g[["value", "mc_se", "lower", "upper"]].nunique().max() == 1, g
    off = api.sweep(csto, vary={"parameters.engagement.horizon_days": [30]}, trials=1280,
                    seed=8, parameter_uncertainty="off")
    assert off.to_pandas()[["lower", "upper"]].isna().all().all()
    with pytest.raises(UsageError, match="'posterior' or 'off'"):
        api.sweep(csto, vary={STAKE: [0]}, parameter_uncertainty="on")


# --------------------------------------------------------------------------- frames
def _tidy(df: pd.DataFrame) -> None:
    assert list(df.columns[-len(COLUMNS):]) == list(COLUMNS)
    assert all(c.isidentifier() for c in df.columns), list(df.columns)


def test_sweep_frames_are_long_and_query_safe_and_an_xarray(csto: Scenario) -> None:
    arm = "crises.armenia-attack.aggressor_strength"
    r = api.sweep(csto, vary={STAKE: (0, 1, 2), arm: [3000, 9000]}, trials=200, seed=9)
    df = r.to_pandas()
    _tidy(df)
    assert list(df.columns[:3]) == ["point", column_name(STAKE),
                                    "crises_armenia_attack_aggressor_strength"]
    q = df.query("crises_armenia_attack_aggressor_strength == 3000 and member == 'ARM'")
    # 4 crises x 2 values of the stake (0 and 1: LOW, HIGH, STEPS) x 2 member headlines
    assert set(q.headline) == {"sends troops", "prefers military help"} and len(q) == 16
    ds = r.to_xarray()
    assert dict(ds.sizes) == {column_name(STAKE): 2, "crises_armenia_attack_aggressor_strength": 2,
                              "crisis": 4, "member": 7, "headline": 8}
    v = ds["value"].sel(crisis="armenia-attack", member="all", headline="military help")
    assert v.sel({column_name(STAKE): 1.0, "crises_armenia_attack_aggressor_strength": 9000}
                 ).item() == df.query(f"{column_name(STAKE)} == 1 and "
                                      "crises_armenia_attack_aggressor_strength == 9000 and "
                                      "crisis == 'armenia-attack' and member == 'all' and "
                                      "headline == 'military help'").value.item()
    lhs = api.sweep(csto, vary={STAKE: (0, 1)}, lhs=3, trials=100, seed=9).to_xarray()
    assert dict(lhs.sizes)["point"] == 3 and column_name(STAKE) in lhs.coords


def test_the_summary_frame_is_long_with_members_and_runs_by_request() -> None:
    ens = api.simulate("csto-2021-autumn", trials=1280, seed=10,
                       parameter_uncertainty="posterior")
    summary = ens.summary()
    df = summary.to_pandas()
    _tidy(df)
    c = summary.crises[2]
    mine = df.query("crisis == @c.crisis_id and request_given == 'drawn'")
    mil = mine.query("member == 'all' and headline == 'military help'").iloc[0]
    assert mil.value == c.response["military"]
    assert (mil.lower, mil.upper) == c.parameter_band["military"]  # type: ignore[index]
    assert mil.mc_se == c.response_se["military"]
    arm = {m.id: m for m in c.members}["ARM"]
    assert mine.query("member == 'ARM' and headline == 'sends troops'").value.item() == \
        arm.p_sends
    assert set(df.request_given) == {"drawn", "none", "consultations", "military", "material"}
    by = c.by_request["military"]  # type: ignore[index]
    assert df.query("crisis == @c.crisis_id and request_given == 'military' and "
                    "member == 'all' and headline == 'troops sent'").value.item() == \
        by.p_troops_sent


def test_compare_and_sensitivity_frames_are_tidy(csto: Scenario) -> None:
    two = csto.with_changes({"alliance_changes.decision_rule": RULES["two-thirds"]})
    cmp = api.compare([csto, two], names=["base", "two-thirds"], trials=300, seed=11)
    df = cmp.to_pandas()
    _tidy(df[["variant", *COLUMNS]])
    assert df.columns[0] == "variant" and {"difference", "se_paired"} <= set(df.columns)
    assert df.query("variant == 'base'").difference.isna().all()
    d = cmp.crises[0].differences[0]
    got = df.query("variant == @d.variant and crisis == @cmp.crises[0].crisis_id and "
                   "headline == @d.headline")
    assert got.difference.item() == d.difference
    sc = csto.with_changes({"crises.armenia-attack.aggressor_strength":
                            {"dist": "uniform", "low": 2000, "high": 9000}})
    sens = api.sensitivity(sc, method="morris", samples=8, seed=1).to_pandas()
    _tidy(sens)
    assert set(sens["index"]) == {"mu_star", "sigma"}
    assert (sens.query("index == 'mu_star'").lower <= sens.query("index == 'mu_star'").value
            ).all()


def test_per_trial_data_carry_the_parameter_draw() -> None:
    """Trials with the same parameter_draw id ran with the same parameters (the engine's own
    draws, engine.draw_trials); ids change between groups of engine.GROUP trials."""
    from alliancesim.engine import GROUP, draw_trials

    ens = api.simulate("csto-2021-autumn", trials=5000, seed=12, keep_trials=True,
                       parameter_uncertainty="posterior", by_request=False)
    df = ens.to_pandas()
    assert {"parameter_draw", "parameter_group"} <= set(df.columns)
    assert not any(":" in c for c in df.columns)
    m = ens.crises[0]
    mine = df[df.crisis == m.crisis_id]
    drawn = pd.Series(draw_trials(m, 12, 0, 2, 5000).values["council.coefficients.exposure"])
    assert drawn.groupby(mine.parameter_draw.to_numpy()).nunique().max() == 1
    assert mine.parameter_draw.nunique() > 20
    assert (mine.parameter_group == mine.trial // GROUP).all()
    off = api.simulate("csto-2021-autumn", trials=300, seed=12, keep_trials=True,
                       parameter_uncertainty="off", by_request=False).to_pandas()
    assert "parameter_draw" not in off.columns


@pytest.mark.slow  # scoring compiles the closed forms: seconds on a busy machine
def test_the_scored_cases_give_a_long_frame() -> None:
    """Each forecast's probability of each rung sums to one per case; the model's log score
    of the observed rung is negative."""
    sc = api.score_cases(api.load_cases()[:2]).to_pandas()
    _tidy(sc)
    rungs = sc[sc.headline.str.startswith("response: ")]
    assert np.allclose(rungs.groupby(["crisis", "forecast"]).value.sum(), 1.0)
    assert sc.query("headline == 'log_score' and forecast == 'model'").value.lt(0).all()


def test_the_calibration_gives_a_frame_of_its_estimates() -> None:
    """The MAP with its Laplace error, and the posterior's 5-95% interval where sampled."""
    from alliancesim.results.validation import CalibrationReport, Estimate, PosteriorEstimate

    report = CalibrationReport(
        cases=["a"], prior_sd=1.0, log_likelihood=-1.0, mean_log_score_in_sample=-1.0,
        converged=True, council={},
        estimates=[Estimate(name="coefficients.cost", value=-0.5, se=0.1, prior=-0.5)],
        request_estimates=[Estimate(name="threat", value=0.0, se=0.2, prior=1.0)],
        posterior=[PosteriorEstimate(name="request.threat", map=0.0, mean=0.01, sd=0.2,
                                     q05=-0.3, q95=0.35, rhat=1.0, ess_bulk=900.0,
                                     ess_tail=800.0)])
    df = report.to_pandas()
    assert df.parameter.tolist() == ["coefficients.cost", "threat"]
    assert np.isnan(df.lower[0]) and (df.lower[1], df.upper[1]) == (-0.3, 0.35)


def test_the_hindcast_gives_a_long_frame_of_its_forecasts() -> None:
    from alliancesim.results.validation import CasePrediction, HindcastReport

    case = CasePrediction(case_id="csto_2022_kaz", title="Kazakhstan", request="military",
                          observed="mission", model=[0.1, 0.1, 0.2, 0.4, 0.2],
                          p_observed={"model": 0.4, "base rate": 0.3})
    report = HindcastReport(cases=[case], log_score={}, brier={}, reliability={}, prior_sd=1.0,
                            contingents=[], burden_sharing=[], outside_action=[],
                            differences=[], decline_eps=0.01)
    df = report.to_pandas()
    _tidy(df)
    assert df.query("headline == 'response: mission'").value.item() == 0.4
    assert df.query("headline == 'p_observed'").set_index("forecast").value.to_dict() == {
        "model": 0.4, "base rate": 0.3}
    assert set(df.observed) == {"mission"} and set(df.member) == {"all"}


@pytest.mark.slow  # a 5 x 2 sweep of 2,000 trials and a comparison: ten seconds or so
def test_the_readme_s_notebook_example_runs() -> None:
    """The README's notebook block, run as written after the Python block before it (whose
    scenario and summary it uses, made here with fewer trials)."""
    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = text.index("In a notebook, scenarios are edited by path")
    block = text[text.index("```python\n", start) + len("```python\n"):]
    block = block[:block.index("```")]
    scenario = api.load_scenario("csto-2021-autumn")
    space = {"api": api, "scenario": scenario,
             "summary": api.simulate(scenario, trials=1280, seed=1).summary()}
    exec(compile(block, "README.md", "exec"), space)  # the README's own code
    assert isinstance(space["ds"], xr.Dataset)
    assert len(space["df"].point.unique()) == 10
