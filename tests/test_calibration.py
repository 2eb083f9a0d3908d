"""Calibration: exact gradient, recovery of known parameters, determinism, shipped defaults."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alliancesim.api import calibrate
from alliancesim.cases import load_cases, to_scenario
from alliancesim.experiments import calibration
from alliancesim.experiments.calibration import loglik
from alliancesim.experiments.closed_form import response_probabilities
from alliancesim.experiments.validation import designs
from alliancesim.model.council import CaseDesign, DecisionRule, OrderedProbit
from alliancesim.model.council.probit import N_PARAMS, K, theta_from
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.schema import Parameters

PROBIT = OrderedProbit()
probabilities = PROBIT.probabilities
outside_probability = PROBIT.outside_probability


@pytest.fixture(scope="module")
def bundled_designs() -> list[CaseDesign]:
    return designs(load_cases())


def _numeric_gradient(theta: np.ndarray, ds: list[CaseDesign], rule: str | None,
                      h: float = 1e-4) -> np.ndarray:
    return np.array([(loglik(theta + e, ds, rule)[0] - loglik(theta - e, ds, rule)[0]) / (2 * h)
                     for e in np.eye(N_PARAMS) * h])


@pytest.mark.parametrize("rule", [None, "leader", "simple_majority", "consensus"])
def test_gradient_agrees_with_finite_differences(bundled_designs, rule) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    for _ in range(3):
        theta = PROBIT.prior_theta() + rng.normal(0, 0.3, N_PARAMS)
        _, g = loglik(theta, bundled_designs, rule)
        num = _numeric_gradient(theta, bundled_designs, rule)
        np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-4)


def test_likelihood_probabilities_equal_the_closed_form() -> None:
    """The likelihood's P(rung) equals the closed form of the same case as a scenario (common
    shock, the leader's weight and each alliance's intercept included)."""
    model = PROBIT.for_alliances(("csto", "nato"))
    theta = model.prior_theta()
    theta[N_PARAMS:] = (-0.25, 0.5)  # the alliances' own intercepts
    for case in load_cases():
        d = designs([case])[0]
        p = model.probabilities(theta, d)
        scenario = to_scenario(case)
        params = scenario.parameters.model_dump(mode="json", by_alias=True)
        params["council"] = model.parameters(theta)  # exact at these round values
        sc = scenario.model_copy(update={"parameters": Parameters.model_validate(params)})
        np.testing.assert_allclose(p, response_probabilities(compile_crisis(sc, 0)),
                                   atol=1e-10, err_msg=case.id)


def _synthetic(theta: np.ndarray, n: int, seed: int) -> list[CaseDesign]:
    """Cases drawn from the model itself: random features, requests and rules; where the
    fallback can act, whether a tied member acted outside the alliance too."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n):
        M = int(rng.integers(3, 8))
        x = rng.normal(0, 1, (M, K))
        x[:, 4] = rng.uniform(0, 1)  # in_scope is common to all members
        rule = ["consensus", "simple_majority", "leader"][k % 3]
        cap = int(rng.choice([2, 4]))
        cf = int(rng.choice([1, 3])) if rule == "consensus" else 1
        d = CaseDesign(f"s{k}", x, 0, 1, DecisionRule.of(rule, M, leader=1, consensus_from=cf),
                       cap, 0)
        p = probabilities(theta, d)
        obs = int(rng.choice(5, p=p / p.sum()))
        tied = rng.random(M) < 0.4
        tied[0] = False  # the victim
        tied[1] = True  # the leader has a base in the victim
        d = replace(d, observed=obs, tied=tied, outside=0)
        q = outside_probability(theta, d)
        outside = int(rng.random() < q) if q is not None else -1
        out.append(replace(d, outside=outside))
    return out


@pytest.mark.slow
def test_calibration_recovers_known_parameters() -> None:
    """Every parameter, the leader's weight and the common shock included, is recovered from
    cases drawn from the model (nothing fixed here)."""
    truth = theta_from(np.array([0.8, 0.5, -1.0, 0.6, 1.2, -0.4, -0.7]),
                       np.array([-1.0, -0.2, 0.6, 1.4]), delta=0.5, omega=0.3, rho=0.4)
    ds = _synthetic(truth, 1200, seed=1)
    fit = calibration.fit(ds, prior_sd=100.0,  # a negligible penalty
                          model=OrderedProbit(fixed_features=()))
    assert fit.converged
    se = np.sqrt(np.diag(fit.cov))
    z = (fit.theta - truth) / se
    assert np.all(np.abs(z) < 3.5), z
    assert np.all(se < 0.5)  # the data are informative


def test_calibration_is_deterministic(bundled_designs) -> None:  # type: ignore[no-untyped-def]
    a = calibration.fit(bundled_designs)
    b = calibration.fit(bundled_designs)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.cov, b.cov)


def test_shipped_defaults_are_the_calibrated_set() -> None:
    report = calibrate(posterior=False)
    fitted = report.parameters()["council"]
    defaults = Parameters().council
    assert defaults.intercept == 0.0
    for name, value in fitted["coefficients"].items():
        assert getattr(defaults.coefficients, name) == pytest.approx(value, abs=1e-3), name
    np.testing.assert_allclose(defaults.cutpoints, fitted["cutpoints"], atol=1e-3)
    assert defaults.unilateral_margin == pytest.approx(fitted["unilateral_margin"], abs=1e-3)
    assert defaults.leader_weight == pytest.approx(fitted["leader_weight"], abs=1e-3)
    # the common shock did not earn its place (docs/validation.md, "Ablation"): held at 0
    assert defaults.noise == fitted["noise"] == "independent"
    assert "shock_correlation" not in fitted
    assert defaults.leader_weight == fitted["leader_weight"] == 0.5  # held, not fitted
    assert set(defaults.alliance_intercepts) == set(fitted["alliance_intercepts"]) == {"csto",
                                                                                     "nato"}
    for name, value in fitted["alliance_intercepts"].items():
        assert defaults.alliance_intercepts[name] == pytest.approx(value, abs=1e-3), name
    request = Parameters().request
    fitted_r = report.parameters()["request"]
    for name in ("intercept", "threat", "trust_weight"):
        assert getattr(request, name) == pytest.approx(fitted_r[name], abs=1e-3), name
    np.testing.assert_allclose(request.cutpoints, fitted_r["cutpoints"], atol=1e-3)
    # the bundled posterior's MAP (parameter uncertainty) is this fit's (its draws: the
    # sampler's, tests/test_posterior.py)
    from alliancesim.scenario.loading import bundled_posterior

    post = bundled_posterior()
    np.testing.assert_allclose(post["council"]["map"], report.council_theta, atol=1e-6)
    np.testing.assert_allclose(post["request"]["map"], report.request_theta, atol=1e-6)


def test_standard_errors_are_positive_and_finite(bundled_designs) -> None:  # type: ignore[no-untyped-def]
    fit = calibration.fit(bundled_designs)
    se = np.array([e.se for e in fit.estimates()])
    fixed = np.array([e.name in ("coefficients.cost", "coefficients.is_aggressor",
                                 "leader_weight", "shock_correlation")
                      for e in fit.estimates()])  # kept at the prior centre, or held (pinned)
    assert np.all(np.isfinite(se)) and np.all(se[~fixed] > 0)
    assert np.all(se[fixed] == 0)  # kept at the prior centre, not fitted
    taus = [e.value for e in fit.estimates() if e.name.startswith("cutpoints.")]
    assert np.all(np.diff(taus) > 0)


def test_paired_bootstrap_is_deterministic_and_centred() -> None:
    from alliancesim.experiments.hindcast import CaseForecast, paired_bootstrap

    rng = np.random.default_rng(3)
    fs = []
    for k in range(12):
        a, b = rng.dirichlet(np.ones(5)), rng.dirichlet(np.ones(5))
        fs.append(CaseForecast(f"c{k}", int(rng.integers(5)), 4, {"a": a, "b": b, "same": a}))
    d1, d2 = paired_bootstrap(fs, "a", "b"), paired_bootstrap(fs, "a", "b")
    assert d1 == d2
    assert d1.low <= d1.mean <= d1.high
    same = paired_bootstrap(fs, "a", "same")
    assert same.mean == same.low == same.high == 0.0 and same.p_a_better == 0.0


def test_request_base_rate_uses_only_cases_with_the_same_request() -> None:
    from alliancesim.experiments.hindcast import frequency_forecast, request_base_rate

    def d(request: int, cap: int, observed: int) -> CaseDesign:
        return CaseDesign("c", np.zeros((2, 7)), 0, -1, DecisionRule.of("consensus", 2), cap,
                          observed, request=request)

    train = [d(2, 4, 4), d(2, 4, 4), d(2, 4, 2), d(0, 2, 0), d(1, 2, 2)]
    p = request_base_rate(train, 2, 4)
    # among the three military requests: 2 x military, 1 x consultations, smoothed by 1/2
    np.testing.assert_allclose(p, np.array([0.5, 0.5, 1.5, 0.5, 2.5]) / 5.5)
    # no training case made this request: all of them
    np.testing.assert_allclose(request_base_rate(train[:3], 0, 2), frequency_forecast(train[:3], 2))
