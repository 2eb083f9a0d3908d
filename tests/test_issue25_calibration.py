"""Issue 25, items 3 and 5: the expected-utility council's likelihood by simulation with common
random numbers (model/council/eum_likelihood.py), its calibration, and its hindcast beside the
probit (hindcast / calibrate --council expected_utility)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from rich.console import Console

import alliancesim
from alliancesim import api
from alliancesim.data import bundled
from alliancesim.experiments import calibration, hindcast
from alliancesim.model.council import MODELS, CaseDesign, EUMCouncil, OrderedProbit
from alliancesim.model.council.eum import EUMSettings
from alliancesim.model.council.eum_council import simulated_probabilities
from alliancesim.model.council.eum_likelihood import FORECAST, case_draws, case_seed
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.rules import DecisionRule
from alliancesim.model.request import VICTIM_PREF
from alliancesim.report.validation_tables import render_hindcast
from alliancesim.results.validation import HindcastReport
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.params import apply_parameters

K = len(COUNCIL_FEATURES)
SRC = str(Path(alliancesim.__file__).parents[1])  # the code under test, in the subprocesses


def _design(seed: int, m: int = 4, cap: int = 4, observed: int = 2, alliance: str = "a",
            leader: int = -1, case_id: str | None = None, outside: int = -1) -> CaseDesign:
    rng = np.random.default_rng(seed)
    x = np.zeros((m, K))
    x[:, 0] = rng.uniform(0, 1, m)  # exposure
    x[0, 0] = 1.0  # the victim
    x[:, 1] = rng.uniform(-1, 1, m)  # affinity with the victim
    x[:, 2] = rng.uniform(-1, 1, m)  # affinity with the aggressor
    x[:, 4] = 1.0  # in scope
    tied = np.zeros(m, dtype=bool)
    tied[1] = True
    rule = (DecisionRule.of("consensus", m, leader=leader, consensus_from=3) if leader >= 0
            else DecisionRule.of("consensus", m))
    return CaseDesign(case_id or f"syn{seed}", x, 0, leader, rule, cap, observed, tied,
                      outside, 2 if cap == 4 else 1, alliance,
                      rng.uniform(1_000, 100_000, m))


def _model(**kw: object) -> EUMCouncil:
    return EUMCouncil(trials=16, **kw).for_alliances(("a",))  # type: ignore[arg-type]


def _values(model: EUMCouncil, theta: np.ndarray) -> dict[str, float]:
    v = model.natural(theta)
    v["council.alliance_intercept"] = v.pop("council.alliance_intercepts.a", 0.0)
    return v


def test_registered_and_written_as_a_scenario_block() -> None:
    assert isinstance(MODELS["expected_utility"], EUMCouncil)
    m = _model()
    block = m.parameters(m.prior_theta())
    assert block["model"] == "expected_utility"
    assert block["bargaining"]["rounds"] == 8
    sc = apply_parameters(api.load_scenario("csto-2021-autumn"), {"council": block})
    assert sc.parameters.council.model == "expected_utility"
    assert sc.parameters.council.bargaining.offers == "least_move"
    # the probit's names and parametrisation
    probit = OrderedProbit().for_alliances(("a",))
    assert m.natural(m.prior_theta()) == probit.natural(probit.prior_theta())


def test_the_crn_objective_is_deterministic_and_smooth() -> None:
    ds = [_design(s, observed=s % 5) for s in range(3)]
    theta = _model().prior_theta()
    a = calibration.loglik(theta, ds, model=_model())
    b = calibration.loglik(theta, ds, model=_model())  # a fresh model: no cache shared
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    # the draws depend on the case id and the seed only
    e1, _ = case_draws(ds[0], 16)
    e2, _ = case_draws(replace(ds[0], observed=0), 16)
    assert np.array_equal(e1, e2) and case_seed("x") != case_seed("y")
    # small steps, small changes: in a cut-point (smoothing only) and in a coefficient
    # (through the rounds)
    m = _model()
    for j in (0, K):
        values = []
        for k in range(6):
            t = theta.copy()
            t[j] += 1e-5 * k
            values.append(calibration.loglik(t, ds, model=m)[0])
        steps = np.abs(np.diff(values))
        assert steps.max() < 1e-3, (j, steps)
        assert steps.max() > 0.0, j  # it does move


def test_the_gradient_is_the_forward_difference_of_the_objective() -> None:
    m = _model()
    d = _design(4, observed=3)
    theta = m.prior_theta() + 0.1
    ll, g = m.case_loglik(theta, d)
    for j in range(m.n_params):
        t = theta.copy()
        t[j] += m.step
        expected = (m.case_loglik(t, d)[0] - ll) / m.step if j in m.directions(d) else 0.0
        assert g[j] == pytest.approx(expected, abs=1e-12), j
    assert np.count_nonzero(g) > 5


@pytest.mark.parametrize("cap", [2, 4])
def test_probabilities_sum_to_one_and_vanish_above_the_cap(cap: int) -> None:
    m = _model()
    d = _design(5, cap=cap, observed=1)
    p = m.probabilities(m.prior_theta(), d)
    assert p.sum() == pytest.approx(1.0)
    assert np.all(p >= -1e-12) and np.all(p[cap + 1 :] == 0.0)


def test_the_smoothed_probabilities_approach_the_simulated_ones() -> None:
    d = _design(6, m=5)
    theta = _model().prior_theta()
    exact = simulated_probabilities(d.x, d.troops, _values(_model(), theta), d.rule, d.victim,
                                    d.cap, "common_shock", int(VICTIM_PREF[d.request]),
                                    EUMSettings(span=100.0),
                                    trials=16, seed=case_seed(d.case_id))
    gaps = []
    for h in (0.5, 0.05, 1e-4, 1e-9):
        m = _model(bandwidth=h)
        np.testing.assert_allclose(m.limit_probabilities(theta, d), exact, atol=1e-12)
        gaps.append(np.abs(m.probabilities(theta, d) - exact).max())
    assert gaps[0] > 0.01 and gaps[-1] < 1e-9
    assert gaps == sorted(gaps, reverse=True)


def test_without_rounds_it_is_the_probit() -> None:
    d = _design(7, m=5, leader=1)
    probit = OrderedProbit().for_alliances(("a",))
    m = replace(_model(settings=EUMSettings(rounds=0, span=100.0)), trials=20_000,
                bandwidth=1e-3)
    theta = m.prior_theta()
    np.testing.assert_allclose(m.probabilities(theta, d), probit.probabilities(theta, d),
                               atol=0.02)


def test_a_fit_improves_the_likelihood_of_simulated_data() -> None:
    truth = _model().prior_theta()
    truth[:K] += np.array([1.0, 1.5, -1.0, 0.0, 0.5, 0.0, 0.0])
    gen = _model(bandwidth=1e-6)
    rng = np.random.default_rng(3)
    ds = []
    for s in range(10):
        d = _design(100 + s, m=3, cap=4)
        p = gen.limit_probabilities(truth, d)
        ds.append(replace(d, observed=int(rng.choice(5, p=p / p.sum()))))
    m = EUMCouncil(trials=16)
    f = calibration.fit(ds, 1.0, standard_errors=False, model=m, prior="judgement",
                        maxiter=6)
    start = calibration.loglik(f.model.prior_theta(), ds, model=f.model)[0]
    assert f.log_likelihood > start + 0.5
    assert f.model.name == "expected_utility"


def test_a_held_out_outcome_leaves_its_own_eum_forecast_unchanged() -> None:
    ds = [_design(20 + s, observed=(s * 2) % 5, alliance="ab"[s % 2]) for s in range(4)]
    m = EUMCouncil(trials=8, max_iterations=2)
    train, held = ds[1:], ds[0]
    first = hindcast.forecast_case(train, held, eum=m)
    assert FORECAST in first.probs and first.probs[FORECAST].sum() == pytest.approx(1.0)
    for rung in (0, 4):
        other = hindcast.forecast_case(train, replace(held, observed=rung), eum=m)
        np.testing.assert_array_equal(other.probs[FORECAST], first.probs[FORECAST])
    # the converse: the training outcomes are used
    moved = hindcast.forecast_case([replace(d, observed=4) for d in train], held, eum=m)
    assert not np.array_equal(moved.probs[FORECAST], first.probs[FORECAST])
    assert set(hindcast.score([first]).log_score) == {*hindcast.FORECASTS, FORECAST}


def test_bad_options_get_a_precise_error() -> None:
    with pytest.raises(UsageError, match="council='bdm': unknown council model; one of "
                                         "ordered_probit, expected_utility"):
        api.hindcast(council="bdm")
    with pytest.raises(UsageError, match="council_trials=8: applies only with council "
                                         "expected_utility"):
        api.hindcast(council_trials=8)
    with pytest.raises(UsageError, match="council_trials=0: must be a whole number"):
        api.hindcast(council="expected_utility", council_trials=0)
    with pytest.raises(UsageError, match="nested=True: the nested selection"):
        api.hindcast(council="expected_utility", nested=True)
    with pytest.raises(UsageError, match="posterior=True: the expected-utility council has no"):
        api.calibrate(council="expected_utility", posterior=True)
    with pytest.raises(ValueError, match="trials must be a whole number"):
        EUMCouncil(trials=0)
    with pytest.raises(ValueError, match="needs the members' troops"):
        _model().case_loglik(_model().prior_theta(), replace(_design(1), troops=None))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alliancesim.cli", *args],
                          capture_output=True, text=True, timeout=600,
                          env={"COLUMNS": "160", "PATH": "/usr/bin:/bin", "PYTHONPATH": SRC})


def test_bad_values_from_the_command_line() -> None:
    r = _run("hindcast", "--council", "bdm", "--no-ablation", "--no-codings")
    assert r.returncode == 2 and "--council bdm: unknown council model" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_hindcast_and_calibrate_from_the_command_line(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    for case in ("csto_2020_nagorno_karabakh_war", "csto_2021_arm_may",
                 "csto_2021_kgz_tjk_april", "csto_2023_nagorno_karabakh_offensive"):
        shutil.copy(bundled.case_path(case), folder / f"{case}.yaml")
    r = _run("hindcast", "--cases", str(folder), "--council", "expected_utility",
             "--council-trials", "8", "--no-ablation", "--no-codings", "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert FORECAST in report["log_score"] and "model" in report["log_score"]
    pairs = {(d["a"], d["b"]) for d in report["differences"]}
    assert (FORECAST, "model") in pairs and (FORECAST, "alliance grants") in pairs
    assert ("model", "alliance grants") in pairs
    assert all(FORECAST in c["p_observed"] for c in report["cases"])
    assert FORECAST in report["reliability"]
    # the terminal tables and the stored record's HTML page show it beside the probit
    rec = HindcastReport.model_validate(report)
    console = Console(file=io.StringIO(), width=200)
    render_hindcast(rec, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert f"{FORECAST} - model" in text and FORECAST in text.split("Scores (mean")[1]
    assert "Strongest baseline by the log score: " in text  # the EUM is not a baseline
    assert f"Strongest baseline by the log score: {FORECAST}" not in text
    store = tmp_path / "runs.duckdb"
    page = api.report(api.record("hindcast", rec, store=store), out=tmp_path / "h.html",
                      store=store).read_text(encoding="utf-8")
    assert f"P(observed): {FORECAST}" in page and f"{FORECAST} - alliance grants" in page
    params = tmp_path / "eum.yaml"
    r = _run("calibrate", "--cases", str(folder), "--council", "expected_utility",
             "--council-trials", "8", "--out", str(params))
    assert r.returncode == 0, r.stderr
    block = yaml.safe_load(params.read_text())["parameters"]["council"]
    assert block["model"] == "expected_utility" and "bargaining" in block
    assert "simulated likelihood" in params.read_text().splitlines()[1]  # not "closed forms"
    council_table = r.stdout.split("Request stage")[0]  # the request stage's are Laplace's
    assert "Laplace" not in council_table  # the EUM has no standard errors to describe
    r = _run("run", "csto-2021-autumn", "--params", str(params), "--trials", "2000")
    assert r.returncode == 0, r.stderr


def test_a_fixed_parameter_set_scores_cases_with_the_eum_council() -> None:
    # score --params with model: expected_utility: P(rung) by simulation, not a closed form
    case = [c for c in api._cases(None) if c.id == "csto_2021_arm_may"]
    eum = api.score_cases(case, params={"council": {"model": "expected_utility"}})
    probit = api.score_cases(case)
    assert eum.parameters["model"] == "expected_utility"
    p, q = (np.array(r.cases[0].probabilities["model"]) for r in (eum, probit))
    assert p.sum() == pytest.approx(1.0) and np.all(p[3:] == 0.0)
    assert not np.allclose(p, q)  # the rounds move it
    # the baselines do not depend on the council
    assert eum.cases[0].probabilities["alliance grants"] == \
        probit.cases[0].probabilities["alliance grants"]


def test_its_preferences_without_rounds_are_the_probits() -> None:
    d = _design(8, m=5)
    T = 300
    rng = np.random.default_rng(1)
    e, z = rng.standard_normal((T, 5)), rng.standard_normal(T)
    probit = OrderedProbit()
    values = {k: np.full(T, v) for k, v in probit.natural(probit.prior_theta()).items()}
    values["council.intercept"] = np.zeros(T)
    features = [d.x[:, k] for k in range(K)]
    want = probit.preferences(features, values, e, z, "common_shock")
    m = EUMCouncil(settings=EUMSettings(rounds=0, span=100.0))
    got = m.preferences(features, values, e, z, "common_shock", troops=d.troops)
    np.testing.assert_array_equal(got.preferred, want.preferred)
    np.testing.assert_array_equal(got.unilateral, want.unilateral)
    moved = EUMCouncil().preferences(features, values, e, z, "common_shock", troops=d.troops)
    assert not np.array_equal(moved.preferred, want.preferred)  # the rounds move them
    with pytest.raises(ValueError, match="needs the members' troops"):
        m.preferences(features, values, e, z, "common_shock")
