"""Sequences of crises (issue 26, experiments/sequence.py): the sequence adds nothing it should
not, a member taken out equals a scenario without it, the vectorised sequence equals the
scalar reference, common random numbers, and precise errors."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from alliancesim import api
from alliancesim.engine import BLOCK, draw_trials, run_pipeline, run_trials
from alliancesim.experiments.sequence import (
    compare_sequences,
    ordered,
    run_sequence,
    without_members,
)
from alliancesim.model.belief import BeliefParameters
from alliancesim.reference import sequence_trial
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.errors import ScenarioError, UsageError

ROOT = Path(__file__).resolve().parents[1]
SEQUENCE = ROOT / "examples" / "csto-sequence-2020-2023.yaml"
INERT = BeliefParameters(council_weight=0.0, request=False, freeze_scale=0.0)


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return api.load_scenario(SEQUENCE)


def test_crises_run_in_date_order(scenario) -> None:  # type: ignore[no-untyped-def]
    ids = [scenario.crises[k].id for k in ordered(scenario)]
    assert ids == ["karabakh-2020", "kok-tash-2021", "syunik-2021", "kazakhstan-2022",
                   "armenia-2022", "batken-2022", "karabakh-2023"]


def test_beliefs_feeding_nothing_equal_the_crises_run_one_by_one(scenario) -> None:  # type: ignore[no-untyped-def]
    trials, seed = 700, 11
    run = run_sequence(scenario, trials=trials, seed=seed, params=INERT, keep=True)
    assert np.all(run.status_end == 0)
    for k, step in zip(ordered(scenario), run.steps, strict=True):
        alone = run_trials(compile_crisis(scenario, k), trials, seed)
        assert np.array_equal(step.rung, alone.rung)
        assert np.array_equal(step.request, alone.request)
        assert np.array_equal(step.troops, alone.troops)


def test_a_member_taken_out_equals_the_scenario_without_it(scenario) -> None:  # type: ignore[no-untyped-def]
    k = [c.id for c in scenario.crises].index("armenia-2022")
    model = compile_crisis(scenario, k)
    keep = np.array([m not in ("BLR", "KAZ") for m in model.members])
    fewer = scenario.with_changes({"alliance.members": [m for m in model.members
                                                        if m not in ("BLR", "KAZ")]})
    direct = compile_crisis(fewer, k)
    inputs = draw_trials(model, 3, 0, 1, 500, fixed=False)
    taken = without_members(model, keep)
    assert taken.members == direct.members
    cut = inputs.take(np.arange(inputs.n))
    cut = type(cut)(cut.values, cut.eta, np.ascontiguousarray(cut.e[:, keep]), cut.z,
                    cut.leader_draw)
    a, b = run_pipeline(taken, cut), run_pipeline(direct, draw_trials(direct, 3, 0, 1, 500,
                                                                      fixed=False))
    for field in ("request", "rung", "preferred", "troops", "outcome", "fallback"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field


@pytest.mark.parametrize("uncertainty", ["off", "posterior"])
def test_the_vectorised_sequence_equals_the_scalar_reference(scenario, uncertainty: str  # type: ignore[no-untyped-def]
                                                             ) -> None:
    """Under the posterior (the default of api.sequence) too: the council's parameters reach
    the pass once per group of trials (TrialInputs.groups), and the beliefs' inputs must keep
    them (after issue 23 they were dropped, silently running the posterior's sequence with
    the parameters fixed)."""
    scenario = scenario.model_copy(update={"parameters": scenario.parameters.model_copy(
        update={"uncertainty": uncertainty})})
    trials, seed = (48, 5) if uncertainty == "off" else (300, 5)
    # a weak prior and two refusals to Armenia, so that some trials freeze members and some not
    params = BeliefParameters(prior_strength=0.0, council_weight=1.5, freeze_scale=1.0,
                              exit_ratio=0.85, weight_other=0.7)
    forced = {"armenia-2022": "none", "syunik-2021": "none"}
    run = run_sequence(scenario, trials=trials, seed=seed, params=params, keep=True,
                       forced=forced)
    order = ordered(scenario)
    models = [compile_crisis(scenario, k) for k in order]
    blocks = -(-trials // BLOCK)
    # what the sequence runs on: the parameter draws per group under the posterior
    assert all(bool(draw_trials(m, seed, 0, blocks, trials, fixed=False).groups)
               == (uncertainty == "posterior") for m in models)
    inputs = [draw_trials(m, seed, 0, blocks, trials) for m in models]  # all per trial
    settings = {"prior_strength": params.prior_strength, "weight_self": params.weight_self,
                "weight_other": params.weight_other, "council_weight": params.council_weight,
                "request": 1.0, "freeze_scale": params.freeze_scale,
                "exit_ratio": params.exit_ratio}
    M = run.belief_end.shape[1]
    frozen = 0
    for t in range(trials):
        ref = sequence_trial(scenario, order, inputs, t, settings,
                             {"armenia-2022": 0, "syunik-2021": 0})
        beliefs = np.array(ref["belief"]).reshape(len(order), M)
        statuses = np.array(ref["status"]).reshape(len(order), M)
        for k in range(len(order)):
            np.testing.assert_allclose(run.beliefs[k][t], beliefs[k], rtol=0, atol=1e-12)
        assert [int(s.rung[t]) for s in run.steps] == ref["rungs"]
        assert np.array_equal(run.status_end[t], statuses[-1])
        frozen += int(np.any(statuses[-1] > 0))
    assert 0 < frozen < trials  # the check covers trials with members out and without


def test_a_counterfactual_pairs_trial_by_trial(scenario) -> None:  # type: ignore[no-untyped-def]
    kw = dict(trials=400, seed=9, keep=True, params=BeliefParameters(freeze_scale=1.0))
    base = run_sequence(scenario, **kw)  # type: ignore[arg-type]
    alt = run_sequence(scenario, forced={"armenia-2022": "military"}, **kw)  # type: ignore[arg-type]
    at = [scenario.crises[k].id for k in ordered(scenario)].index("armenia-2022")
    for k in range(at):  # identical before the change
        assert np.array_equal(base.beliefs[k], alt.beliefs[k])
    assert np.all(alt.steps[at].rung[alt.steps[at].rung >= 0] == 4)
    arm = [m.member for m in base.report.members].index("ARM")
    assert np.all(alt.beliefs[at][:, arm] >= base.beliefs[at][:, arm])
    cmp = compare_sequences(base, alt, "armenia-2022=military")
    row = next(d for d in cmp.belief_end if d.member == "ARM")
    assert row.difference > 0 and row.se_paired >= 0


def test_observed_forces_every_recorded_rung(scenario) -> None:  # type: ignore[no-untyped-def]
    run = run_sequence(scenario, trials=100, seed=1, observed=True, params=INERT)
    for step, k in zip(run.report.crises, ordered(scenario), strict=True):
        assert step.forced == scenario.crises[k].observed
        assert step.rung_probabilities[str(step.forced)] == 1.0


def test_bad_requests_are_refused_precisely(scenario) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match=r"no crisis 'armenia-2099'.*armenia-2022"):
        run_sequence(scenario, trials=10, seed=1, forced={"armenia-2099": "military"})
    with pytest.raises(UsageError, match=r"unknown rung 'troops'.*military"):
        run_sequence(scenario, trials=10, seed=1, forced={"armenia-2022": "troops"})
    undated = api.load_scenario("csto-2021-autumn")
    with pytest.raises(UsageError, match=r"date on every crisis.*tjk-incursion"):
        run_sequence(undated, trials=10, seed=1)
    with pytest.raises(UsageError, match="--observed needs"):
        run_sequence(undated.with_changes({f"crises.{c.id}.date": "2021-09"
                                           for c in undated.crises}),
                     trials=10, seed=1, observed=True)


def test_a_bad_date_is_refused_with_both_forms(tmp_path: Path) -> None:
    text = SEQUENCE.read_text(encoding="utf-8").replace("date: 2023-09", "date: 2023-13",
                                                        1)
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"YYYY-MM-DD.*YYYY-MM"):
        api.load_scenario(path)


def test_the_command_runs_writes_keeps_and_refuses(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from alliancesim.cli import app

    store, out = tmp_path / "runs.duckdb", tmp_path / "seq"
    r = CliRunner().invoke(app, ["--store", str(store), "sequence", str(SEQUENCE), "-n", "100",
                                 "-s", "4", "--set", "armenia-2022=military", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout[r.stdout.index("{"):])
    assert got["kind"] == "sequence-comparison" and got["label"] == "armenia-2022=military"
    assert got["variant"]["forced"] == {"armenia-2022": "military"}
    assert not out.exists()
    kept = api.results_list(store=store)
    assert [k.kind for k in kept] == ["sequence-comparison"]
    # the same numbers from the library, and the table in the terminal
    same = api.sequence(SEQUENCE, trials=100, seed=4, set=["armenia-2022=military"])
    assert same.model_dump(mode="json") == got
    r = CliRunner().invoke(app, ["--no-store", "sequence", str(SEQUENCE), "-n", "200",
                                 "--observed"])
    assert r.exit_code == 0, r.output
    assert "P(frozen or exited by then)" in r.stdout and "kazakhstan-2022" in r.stdout
    # bad requests raise the errors main() prints in one line with exit status 2
    for bad, says in ((["--set", "armenia-2022"], "CRISIS=RUNG"),
                      (["--set", "nowhere=military"], "no crisis 'nowhere'"),
                      (["--rule", "dictator"], "consensus")):
        r = CliRunner().invoke(app, ["--no-store", "sequence", str(SEQUENCE), "-n", "50",
                                     *bad])
        assert isinstance(r.exception, UsageError | ScenarioError), r.output
        assert says in str(r.exception)


@pytest.mark.slow  # matplotlib's figures: about 2 s
def test_out_writes_the_record_and_the_figures(tmp_path: Path) -> None:
    out = tmp_path / "seq"
    report = api.sequence(SEQUENCE, trials=100, seed=4, rule="simple_majority", out=out)
    names = {p.name for p in out.iterdir()}
    assert {"sequence.json", "sequence.csv", "beliefs.png", "freeze.png"} <= names
    assert (out / "sequence.json").read_text(encoding="utf-8") == report.model_dump_json(
        indent=2)
    assert report.label == "rule=simple_majority"  # type: ignore[union-attr]


@pytest.mark.slow  # the page's figures: about 2 s
def test_a_kept_sequence_has_its_page(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    report = api.sequence(SEQUENCE, trials=200, seed=4, set=["armenia-2022=military"])
    rid = api.record(report.kind, report, scenario=api.load_scenario(SEQUENCE), store=store)
    page = tmp_path / "page.html"
    api.report(rid, out=page, store=store)
    html = page.read_text(encoding="utf-8")
    assert "Sequence of crises" in html and html.count("<img") == 2
    assert "armenia-2022=military" in html and ">None<" not in html


@pytest.mark.parametrize("rung", ["military", "none"])
def test_a_sequence_always_helping_never_lowers_belief_and_never_helping_never_raises_it(
        scenario, rung: str) -> None:  # type: ignore[no-untyped-def]
    forced = {c.id: rung for c in scenario.crises}
    run = run_sequence(scenario, trials=300, seed=2, forced=forced, keep=True)
    steps = [np.full_like(run.beliefs[0], 0.5), *run.beliefs]  # the CSTO's prior mean is 1/2
    for before, after in itertools.pairwise(steps):
        assert np.all(after >= before) if rung == "military" else np.all(after <= before)
    moved = steps[-1] != steps[0]
    assert moved.any()
