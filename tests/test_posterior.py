"""The exact posterior (experiments/posterior.py): the vectorised likelihood equals the scalar
one, the sampling scale's density and Jacobian, a short seeded chain, the bundled draws and
their diagnostics, the old format refused, the draws laid around a scenario's values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from alliancesim import api
from alliancesim.cases import load_cases
from alliancesim.engine import lay_around
from alliancesim.experiments import calibration, posterior, request_fit
from alliancesim.experiments.validation import designs
from alliancesim.model.council import CaseDesign, OrderedProbit
from alliancesim.model.council.probit import DELTA
from alliancesim.scenario.errors import ScenarioError
from alliancesim.scenario.loading import POSTERIOR_VERSION, bundled_posterior


@pytest.fixture(scope="module")
def bundled_designs() -> list[CaseDesign]:
    return designs(load_cases())


@pytest.mark.parametrize("rule", [None, "leader", "simple_majority", "qualified_majority"])
def test_vectorised_likelihood_equals_the_scalar_one(bundled_designs, rule) -> None:  # type: ignore[no-untyped-def]
    model = OrderedProbit().for_alliances(("csto", "nato"))
    rng = np.random.default_rng(11)
    draws = np.asarray(bundled_posterior()["council"]["draws"])
    near = np.vstack([draws[rng.choice(len(draws), 6)],  # where the sampler goes
                      model.prior_theta() + rng.normal(0.0, 0.3, (6, model.n_params))])
    near[:2, DELTA] = (-0.3, 0.0)  # the margin at and below its bound acts as 0
    wide = model.prior_theta() + rng.normal(0.0, 1.0, (6, model.n_params))
    for d in bundled_designs:
        d = d.with_rule(rule)
        one = np.array([model.case_loglik(t, d)[0] for t in near])
        np.testing.assert_allclose(model.case_loglik_many(near, d), one, rtol=0, atol=1e-10,
                                   err_msg=d.case_id)
        # far out, P(observed) can be 1e-10, a difference of tails near 1: the probabilities
        # agree to rounding, their logs to rounding over P
        one = np.array([model.case_loglik(t, d)[0] for t in wide])
        np.testing.assert_allclose(np.exp(model.case_loglik_many(wide, d)), np.exp(one),
                                   rtol=0, atol=1e-14, err_msg=d.case_id)


def test_the_sampling_scale_density_is_the_penalised_likelihood_plus_the_jacobian(
        bundled_designs) -> None:  # type: ignore[no-untyped-def]
    post = posterior.CouncilPosterior.of(bundled_designs)
    fixed = post.model.fixed()
    assert post.dim == int((~fixed).sum())  # the fixed coefficients are not sampled
    rng = np.random.default_rng(2)
    for _ in range(3):
        theta = post.model.prior_theta() + np.where(fixed, 0.0,
                                                    rng.normal(0, 0.5, post.model.n_params))
        theta[DELTA] = abs(theta[DELTA]) + 0.1
        u = post.to_sampling(theta)
        np.testing.assert_allclose(post.to_theta(u)[0], theta, rtol=1e-12, atol=1e-12)
        want = -calibration.objective(theta, bundled_designs, post.sd, model=post.model,
                                      centre=post.centre)[0] + np.log(theta[DELTA])
        assert post(u[None])[0] == pytest.approx(want, abs=1e-9)
    # the request stage: request_fit's penalised likelihood plus log(rho_2 - rho_1)
    data = request_fit.request_cases(load_cases())
    rp = posterior.RequestPosterior.of(data)
    theta = np.array([0.3, -0.7, 0.4])
    want = -request_fit._neg_log_post(theta, data, request_fit.PRIOR_SD) + np.log(1.1)
    assert rp(rp.to_sampling(theta)[None])[0] == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(rp.to_theta(rp.to_sampling(theta))[0], theta)


def test_a_short_chain_is_seeded_in_range_and_diagnosed(bundled_designs) -> None:  # type: ignore[no-untyped-def]
    small = [d for d in bundled_designs if d.alliance == "csto"][:4]
    fit = calibration.fit(small)
    post = posterior.CouncilPosterior.of(small)
    s = posterior.Settings(walkers=32, burn=10, thin=2, keep=8, seed=5)
    a, b = post.sample(fit.theta, fit.cov, s), post.sample(fit.theta, fit.cov, s)
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.theta.shape == (32, 8, post.model.n_params) and a.draws.shape == (256, 16 - 1)
    assert np.all(a.theta[..., DELTA] > 0)  # on the log scale: never at or below the bound
    fixed = post.model.fixed()
    assert np.all(a.theta[..., fixed] == post.centre[fixed])
    names, values = posterior.natural_values(post.model, a.theta)
    cut = values[..., [names.index(f"council.cutpoints.{k}") for k in range(1, 5)]]
    assert np.all(np.diff(cut, axis=-1) > 0)
    diag = posterior.diagnostics(names, values)
    free = [d for d in diag if d.name not in (
        "council.coefficients.cost", "council.coefficients.is_aggressor",
        "council.leader_weight", "council.shock_correlation")]  # fixed or held
    assert all(np.isfinite([d.rhat, d.ess_bulk, d.ess_tail]).all() for d in free)
    assert np.isnan(next(d.rhat for d in diag if d.name == "council.coefficients.cost"))
    assert 0 < a.acceptance < 1


def test_diagnostics_of_independent_draws() -> None:
    x = np.random.default_rng(0).standard_normal((8, 500, 2))
    x[..., 1] += np.arange(8)[:, None]  # chains that disagree
    ok, bad = posterior.diagnostics(["ok", "bad"], x)
    assert ok.rhat == pytest.approx(1.0, abs=0.01) and ok.ess_bulk > 3000
    assert bad.rhat > 1.5 and ok.q05 == pytest.approx(-1.645, abs=0.1)


def test_the_bundled_posterior_is_the_sampler_s_at_the_shipped_defaults() -> None:
    post = bundled_posterior()
    assert post["version"] == POSTERIOR_VERSION
    council, req = post["council"], post["request"]
    draws, rdraws = np.asarray(council["draws"]), np.asarray(req["draws"])
    assert 1000 <= len(draws) <= 2000 and len(rdraws) == len(draws)
    # recorded with the settings the code samples with, seed included
    for rec, s in ((council["sampler"], posterior.Settings()),
                   (req["sampler"], posterior.REQUEST_SETTINGS)):
        assert {k: rec[k] for k in s.as_dict()} == s.as_dict()
        assert rec["draws"] == len(draws)
    # every sampled parameter converged: R-hat < 1.01, bulk and tail ESS > 400
    diag = {**council["diagnostics"], **req["diagnostics"]}
    sampled = {k: v for k, v in diag.items() if v["rhat"] is not None}
    assert len(sampled) == 12 + 3  # the leader's weight and the shock correlation held
    assert all(v["rhat"] < 1.01 and v["ess_bulk"] > 400 and v["ess_tail"] > 400
               for v in sampled.values()), sampled
    # the MAP is the shipped point parameters; the draws are in range
    model = OrderedProbit().for_alliances(tuple(council["alliances"]))
    at_map = model.natural(np.asarray(council["map"]))
    defaults = api.load_scenario("csto-2021-autumn").parameters.council
    assert at_map["council.unilateral_margin"] == pytest.approx(defaults.unilateral_margin,
                                                                abs=1e-4)
    assert np.all(draws[:, DELTA] >= 0) and np.all(np.diff(rdraws[:, 1:], axis=1) > 0)
    np.testing.assert_allclose(draws.mean(axis=0)[:5],
                               [diag[f"coefficients.{f}"]["mean"] for f in
                                ("exposure", "affinity_victim", "affinity_aggressor",
                                 "leader_stake", "in_scope")], atol=1e-3)


def test_an_old_format_posterior_is_refused_with_a_line_saying_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.yaml"
    old.write_text("parameters:\n  council:\n    leader_weight: 0.5\nposterior:\n  council:\n"
                   "    model: ordered_probit\n    theta: [0.0]\n    cov: [[1.0]]\n")
    with pytest.raises(ScenarioError, match=r"old-format posterior .*normal approximation.*"
                       r"calibrate --out"):
        api.load_scenario("csto-2021-autumn", params=old)
    # the parameters alone are read as before
    new = tmp_path / "new.yaml"
    new.write_text("parameters:\n  council:\n    leader_weight: 0.5\n")
    assert api.load_scenario("csto-2021-autumn", params=new).parameters.council.leader_weight \
        == 0.5


def test_a_written_parameter_file_with_draws_is_read_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    report = api.calibrate(posterior=False)
    post = bundled_posterior()
    full = report.model_copy(update={
        "council_draws": post["council"]["draws"], "request_draws": post["request"]["draws"],
        "posterior": [], "sampler": {"council": post["council"]["sampler"],
                                     "request": post["request"]["sampler"]}})
    path = api.write_parameters(full, tmp_path / "params.yaml")
    assert path.stat().st_size > 256_000  # larger than a scenario may be: allowed here
    sc = api.load_scenario("csto-2021-autumn", params=path)
    assert sc.parameters.council.leader_weight == 0.5  # held (the default model's pins)


def test_draws_are_laid_around_the_scenario_on_each_quantity_s_own_scale() -> None:
    high = {"council.leader_weight": 1.0, "council.shock_correlation": 0.99}
    mode = {"council.leader_weight": 0.56, "council.shock_correlation": 0.31,
            "council.unilateral_margin": 0.42, "council.coefficients.in_scope": 1.5,
            **{f"council.cutpoints.{k}": c for k, c in enumerate((-1.5, -0.9, -0.3, 0.4), 1)}}
    draw = {"council.leader_weight": 0.95, "council.shock_correlation": 0.9,
            "council.unilateral_margin": 2.0, "council.coefficients.in_scope": 0.5,
            **{f"council.cutpoints.{k}": c for k, c in enumerate((-2.5, -2.4, 0.5, 0.6), 1)}}
    # the scenario at the MAP: the draw itself
    same = lay_around(mode, high, draw, mode)
    for name, value in draw.items():
        assert same[name] == pytest.approx(value, abs=1e-12), name
    # a scenario far from the MAP stays in range, nothing clipped, cut-points ordered
    centre = {"council.leader_weight": 0.97, "council.shock_correlation": 0.8,
              "council.unilateral_margin": 0.0, "council.coefficients.in_scope": 2.5,
              **{f"council.cutpoints.{k}": c for k, c in enumerate((0.0, 0.1, 0.2, 0.3), 1)}}
    out = lay_around(centre, high, draw, mode)
    assert 0.97 < out["council.leader_weight"] < 1.0
    assert 0.8 < out["council.shock_correlation"] < 0.99
    assert out["council.unilateral_margin"] == 0.0  # a margin of 0 stays at its bound
    assert out["council.coefficients.in_scope"] == pytest.approx(1.5)
    cuts = [out[f"council.cutpoints.{k}"] for k in range(1, 5)]
    assert cuts[0] == pytest.approx(-1.0) and all(a < b for a, b in itertools.pairwise(cuts))
    assert cuts[1] - cuts[0] == pytest.approx(0.1 * 0.1 / 0.6)
    # an alliance without a leader keeps a leader's weight of 0
    assert lay_around({"council.leader_weight": 0.0}, high, draw, mode)[
        "council.leader_weight"] == 0.0
