"""Parameter uncertainty in forecasts: posterior draws per group of trials, bands, benchmark."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from alliancesim import api
from alliancesim.engine import GROUP, draw_block
from alliancesim.results.bands import MIN_GROUPS, band, headline_bands
from alliancesim.results.groups import GroupCounts
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.loading import bundled_posterior


def _posterior(name: str = "csto-2021-autumn"):  # type: ignore[no-untyped-def]
    sc = api.load_scenario(name)
    return sc.model_copy(update={"parameters": sc.parameters.model_copy(
        update={"uncertainty": "posterior"})})


def test_draws_are_per_group_ordered_and_around_the_scenario_values() -> None:
    sc = _posterior()
    model = compile_crisis(sc, 0)
    assert model.posterior is not None
    v = draw_block(model, 7, 0).per_trial().values
    cuts = np.stack([v[f"council.cutpoints.{k}"] for k in range(1, 5)], axis=1)
    assert np.all(np.diff(cuts, axis=1) > 0)
    assert np.all(v["council.unilateral_margin"] >= 0)
    assert np.all(v["request.cutpoints.1"] <= v["request.cutpoints.2"])
    a = v["council.coefficients.in_scope"]
    groups = a.reshape(-1, GROUP)
    assert np.all(groups == groups[:, :1])  # one draw per group
    assert len(set(groups[:, 0])) == groups.shape[0]  # a new draw for each group
    # around the scenario's own value: shift the scenario, the draws shift with it
    data = sc.model_dump(mode="json", by_alias=True)
    data["parameters"]["council"]["coefficients"]["in_scope"] += 1.0
    from alliancesim.scenario.schema import Scenario

    shifted = compile_crisis(Scenario.model_validate(data), 0)
    w = draw_block(shifted, 7, 0).per_trial().values["council.coefficients.in_scope"]
    np.testing.assert_allclose(w - a, 1.0)


def test_draws_stay_in_each_quantity_range_and_use_the_alliance_own_intercept() -> None:
    # NATO's scenario sets a shock correlation of 0.8: the calibration holds the shock (and the
    # leader's weight), so their draws carry no deviation and the scenario's values stay
    model = compile_crisis(_posterior("nato-2021-baltic"), 0)
    v = np.concatenate([draw_block(model, 3, b).per_trial().values["council.shock_correlation"]
                        for b in range(20)])
    assert v == pytest.approx(0.8)
    w = draw_block(model, 3, 0).per_trial().values["council.leader_weight"]
    assert np.all(w == w[0]) and 0 < w[0] < 1
    # the unilateral margin, laid on the log scale, stays above its bound 0 without mass there
    m = np.concatenate([draw_block(model, 3, b).per_trial().values["council.unilateral_margin"]
                        for b in range(20)])
    assert m.min() > 0.0 and m.std() > 0.1 and np.mean(m == m.min()) < 0.01
    # the alliance intercept is NATO's, laid around the scenario's value as its draws go
    post = bundled_posterior()["council"]
    k = len(post["map"]) - len(post["alliances"]) + post["alliances"].index("nato")
    draws = np.asarray(post["draws"])[:, k]
    b = np.concatenate([draw_block(model, 3, blk).groups["council.alliance_intercept"]
                        for blk in range(40)])
    centre = model.posterior.centre["council.alliance_intercept"]  # type: ignore[union-attr]
    dev = b - centre
    assert dev.mean() == pytest.approx(draws.mean() - post["map"][k], abs=0.12)
    assert dev.std() == pytest.approx(draws.std(), rel=0.15)
    # an alliance without cases draws its intercept from the prior N(0, 1)
    from alliancesim.scenario.schema import Scenario

    data = _posterior("nato-2021-baltic").model_dump(mode="json", by_alias=True)
    data["alliance"]["id"] = "other"
    other = compile_crisis(Scenario.model_validate(data), 0)
    c = np.concatenate([draw_block(other, 3, blk).groups["council.alliance_intercept"]
                        for blk in range(40)])
    assert abs(c.mean()) < 0.25 and c.std() == pytest.approx(1.0, rel=0.2)


def test_each_group_takes_one_stored_draw() -> None:
    model = compile_crisis(_posterior(), 0)
    post = bundled_posterior()
    draws = np.asarray(post["council"]["draws"])
    x = np.concatenate([draw_block(model, 1, b).groups["council.coefficients.in_scope"]
                        for b in range(60)])  # 1,920 groups
    # the default scenario sits at the MAP: its values are the draws themselves
    stored = set(np.round(draws[:, 4], 4))  # (the defaults: the MAP to 4 decimals)
    assert set(np.round(x, 4)) <= stored
    assert x.std() == pytest.approx(draws[:, 4].std(), rel=0.1)
    cut = np.stack([draw_block(model, 1, 0).groups[f"council.cutpoints.{k}"]
                    for k in range(1, 5)], axis=1)
    assert np.all(np.diff(cut, axis=1) > 0)


def test_same_numbers_on_any_backend_and_chunk_size() -> None:
    sc = _posterior()
    sc = sc.model_copy(update={"crises": sc.crises[:2]})
    a = api.simulate(sc, trials=12_000, seed=3, chunk_size=4096).summary()
    b = api.simulate(sc, trials=12_000, seed=3, chunk_size=12_288, backend="process",
                     workers=2).summary()
    assert a.model_dump() == b.model_dump()
    assert a.crises[0].parameter_groups == -(-12_000 // GROUP)


def test_off_is_the_fixed_parameter_run_and_posterior_the_default_of_the_library() -> None:
    # issue 22: posterior by default in the library as on the command line
    sc = api.load_scenario("csto-2021-autumn")
    fixed = api.simulate(sc, trials=6000, seed=2, parameter_uncertainty="off").summary()
    off_in_file = sc.model_copy(update={"parameters": sc.parameters.model_copy(
        update={"uncertainty": "off"})})
    assert api.simulate(off_in_file, trials=6000, seed=2).summary().model_dump() == \
        fixed.model_dump()
    off = api.simulate(_posterior(), trials=6000, seed=2,
                       parameter_uncertainty="off").summary()
    assert fixed.model_dump() == off.model_dump()
    assert fixed.crises[0].parameter_band is None and fixed.crises[0].parameter_groups == 0
    on = api.simulate(sc, trials=6000, seed=2).summary()
    assert on.crises[0].parameter_band is not None
    assert on.model_dump() == api.simulate(sc, trials=6000, seed=2,
                                           parameter_uncertainty="posterior").summary().model_dump()
    with pytest.raises(api.UsageError, match="parameter_uncertainty='maybe'"):
        api.simulate(sc, trials=10, parameter_uncertainty="maybe")


def test_band_removes_monte_carlo_noise() -> None:
    rng = np.random.default_rng(0)
    n = np.full(200, 512.0)
    # every group has the same true share: the band collapses onto it
    k = rng.binomial(512, 0.3, 200).astype(float)
    lo, hi = band(k, n)
    raw = np.quantile(k / n, 0.95) - np.quantile(k / n, 0.05)  # about 0.066: noise alone
    assert hi - lo < 0.5 * raw and lo <= k.sum() / n.sum() <= hi
    # true shares spread uniformly over 0.1-0.5: the band is their central 90%
    p = rng.uniform(0.1, 0.5, 200)
    lo, hi = band(rng.binomial(512, p).astype(float), n)
    assert lo == pytest.approx(0.12, abs=0.02) and hi == pytest.approx(0.48, abs=0.02)
    rows = np.zeros((MIN_GROUPS - 1, 10), dtype=np.int64)
    rows[:, 0] = GROUP
    assert headline_bands(GroupCounts.of_rows(rows)) is None
    assert headline_bands(GroupCounts.of_rows(np.vstack([rows, rows[:1]]))) is not None


def test_the_monte_carlo_error_counts_groups_not_trials() -> None:
    from alliancesim.results.bands import cluster_se

    rng = np.random.default_rng(4)
    n = np.full(40, 128.0)
    # parameters move each group's share: the error of the mean is the groups' spread
    p = rng.uniform(0.1, 0.6, 40)
    k = rng.binomial(128, p).astype(float)
    se = cluster_se(k, n)
    binomial = np.sqrt(0.35 * 0.65 / n.sum())
    assert se > 3 * binomial
    assert se == pytest.approx(np.std(k / n, ddof=1) / np.sqrt(40), rel=1e-9)


def test_run_shows_bands_by_default_and_not_when_off() -> None:
    def run(*args: str) -> str:
        r = subprocess.run([sys.executable, "-m", "alliancesim.cli", "--no-store", "run",
                            "-n", "6000", "-q", *args], capture_output=True, text=True,
                           timeout=300, env={"COLUMNS": "120", "PATH": "/usr/bin:/bin"})
        assert r.returncode == 0, r.stderr
        return r.stdout

    on = run()
    assert "90% band, parameters" in on and "base: 3 CSTO cases" in on
    assert "Parameter uncertainty: the council's" in on
    off = run("--parameter-uncertainty", "off")
    assert "90% band" not in off and "Parameters fixed" in off


def test_total_equals_the_pairwise_sum_with_every_group_in_order() -> None:
    import functools
    from dataclasses import fields

    from alliancesim.results.tally import Tally

    model = compile_crisis(_posterior(), 0)
    ens = api.simulate(_posterior(), trials=3 * 4096 + 100, seed=5, keep_trials=True)
    from alliancesim.results.tally import chunk_tally

    r = ens.results[0]
    blocks = [chunk_tally(model, r.slice(a, min(a + 4096, r.n))) for a in range(0, r.n, 4096)]
    fast, slow = Tally.total(blocks), functools.reduce(lambda a, b: a + b, blocks)
    for f in fields(Tally):
        if f.name == "groups":
            assert fast.groups.equals(slow.groups)
        else:
            np.testing.assert_array_equal(getattr(fast, f.name), getattr(slow, f.name), f.name)
    assert fast.groups.equals(ens.tallies[0].groups)
    assert fast.groups.count == -(-r.n // GROUP) and fast.groups.partial.shape[0] == 1
