"""sensitivity: SALib through the project's own wrapper, on a known function and on a scenario."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim import api
from alliancesim.experiments.sensitivity import indices
from alliancesim.scenario.errors import UsageError

A, B = 7.0, 0.1  # Ishigami's usual constants
# known indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)
S1 = [0.3139, 0.4424, 0.0]
ST = [0.5576, 0.4424, 0.2437]


def ishigami(U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
    x = -np.pi + 2 * np.pi * U  # the wrapper works on [0, 1]^D: map to [-pi, pi]
    return {"y": np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2
            + B * x[:, 2] ** 4 * np.sin(x[:, 0])}


def test_sobol_indices_of_the_ishigami_function() -> None:
    found, n = indices("sobol", ["x1", "x2", "x3"], ishigami, 4096, seed=1)
    assert n == 4096 * 5
    rows = found["y"]
    np.testing.assert_allclose([r.s1 for r in rows], S1, atol=0.03)
    np.testing.assert_allclose([r.st for r in rows], ST, atol=0.03)
    fast, _ = indices("fast", ["x1", "x2", "x3"], ishigami, 2048, seed=1)
    np.testing.assert_allclose([r.s1 for r in fast["y"]], S1, atol=0.03)
    morris, _ = indices("morris", ["x1", "x2", "x3"], ishigami, 200, seed=1)
    mu = [r.mu_star for r in morris["y"]]
    assert mu[0] > mu[2] > 0 and mu[1] > mu[2]  # x3 matters least on its own


def test_a_scenario_s_indices_find_what_matters() -> None:
    r = api.sensitivity("examples/armenia-uncertain-council.yaml", samples=512)
    (crisis,) = r.crises
    mil = {i.input: i for i in crisis.indices if i.outcome == "military help"}
    # the decision delay cannot change what the council decides
    assert mil["decision_delay_days"].st == 0.0 and mil["decision_delay_days"].s1 == 0.0
    # the treaty-scope coefficient does
    scope = mil["council.coefficients.in_scope"]
    assert scope.s1 - scope.s1_conf > 0.05 and scope.st >= scope.s1 - 0.1
    morris = api.sensitivity("examples/armenia-uncertain-council.yaml", method="morris",
                             samples=50)
    m = {i.input: i for i in morris.crises[0].indices if i.outcome == "military help"}
    assert m["decision_delay_days"].mu_star == 0.0 < m["council.coefficients.in_scope"].mu_star


def test_a_crisis_without_uncertain_quantities_is_skipped(make_scenario) -> None:  # type: ignore[no-untyped-def]
    fixed = make_scenario({"alliance_changes": {"decision_delay_days": {"value": 1.0}}})
    r = api.sensitivity(fixed, samples=64, method="fast")
    assert r.crises == [] and r.skipped == ["incursion"]
    uncertain = make_scenario(crisis={"aggressor_strength": {"dist": "uniform", "low": 1000,
                                                             "high": 9000}})
    r = api.sensitivity(uncertain, samples=64, method="fast")
    assert r.skipped == [] and "aggressor_strength" in r.crises[0].inputs


@pytest.mark.parametrize(("options", "message"), [
    ({"method": "anova"}, "unknown method"),
    ({"samples": 1000}, "power of two"),
    ({"samples": 4}, "between 8"),
])
def test_bad_options(options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        api.sensitivity("csto-2021-autumn", **options)  # type: ignore[arg-type]


def test_parameters_adds_the_calibrated_parameters_within_their_uncertainty() -> None:
    from alliancesim.api import calibrate, with_parameter_uncertainty

    fit = calibrate(posterior=False)
    sc = with_parameter_uncertainty(api.load_scenario("csto-2021-autumn"), fit)
    in_scope = sc.parameters.council.coefficients.in_scope
    est = next(e for e in fit.estimates if e.name == "coefficients.in_scope")
    assert in_scope.dist == "normal" and in_scope.mean_ == est.value  # type: ignore[union-attr]
    assert in_scope.sd == est.se  # type: ignore[union-attr]
    r = api.sensitivity("csto-2021-autumn", parameters=True, samples=128)
    arm = next(c for c in r.crises if c.crisis_id == "armenia-attack")
    assert "council.coefficients.in_scope" in arm.inputs and "council.cutpoints.4" in arm.inputs
    st = {i.input: i.st for i in arm.indices if i.outcome == "military help"}
    assert st["council.coefficients.in_scope"] > 0.1  # the treaty's scope matters for Armenia


def test_the_same_indices_on_every_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    from alliancesim.experiments import sensitivity as module

    monkeypatch.setattr(module, "ROWS_PER_TASK", 500)  # several chunks of the design
    local = api.sensitivity("examples/armenia-uncertain-council.yaml", samples=256)
    pool = api.sensitivity("examples/armenia-uncertain-council.yaml", samples=256,
                           backend="process", workers=2)
    assert local.crises == pool.crises and local.crises[0].evaluations == 256 * 5
