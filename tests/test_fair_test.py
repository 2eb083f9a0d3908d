"""The fair test of issue 18: baselines that know the alliance, held-out forecasts blind to the
held-out outcome, the ablation, the contested codings and the nested selection."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alliancesim.cases import load_cases
from alliancesim.experiments import baselines, hindcast, specs, validation
from alliancesim.model.council import CaseDesign
from alliancesim.model.council.rules import DecisionRule

# docs/validation.md, "Leave-one-out hindcast" (mean log score per case, Brier), as measured
DOCUMENTED = {
    "model": (-0.818, 0.435),
    "alliance base rate": (-1.012, 0.506),
    "alliance grants": (-0.857, 0.450),
    "alliance probit": (-0.948, 0.484),
    "leader decides": (-0.939, 0.486),
    "request base rate": (-1.026, 0.522),
    "frequency": (-1.370, 0.724),
    "always decline": (-3.546, 1.646),
}


@pytest.fixture(scope="module")
def designs() -> list[CaseDesign]:
    return validation.designs(load_cases())


@pytest.fixture(scope="module")
def forecasts(designs: list[CaseDesign]) -> list[hindcast.CaseForecast]:
    return hindcast.leave_one_out(designs)


def test_the_documented_hindcast_figures(forecasts: list[hindcast.CaseForecast]) -> None:
    s = hindcast.score(forecasts)
    assert set(s.log_score) == set(DOCUMENTED)
    for name, (log, brier) in DOCUMENTED.items():
        assert round(s.log_score[name], 3) == log, name
        assert round(s.brier[name], 3) == brier, name
    for f in forecasts:
        for name, p in f.probs.items():
            assert p.sum() == pytest.approx(1.0), (f.case_id, name)
            assert np.all(p[f.cap + 1 :] == 0.0), (f.case_id, name)


@pytest.mark.parametrize("case_id", ["csto_2022_kaz_january", "nato_2003_tur_iraq",
                                     "csto_2022_arm_september"])
def test_a_held_out_outcome_leaves_its_own_forecast_unchanged(
        designs: list[CaseDesign], forecasts: list[hindcast.CaseForecast], case_id: str) -> None:
    k = next(i for i, d in enumerate(designs) if d.case_id == case_id)
    train, held = designs[:k] + designs[k + 1 :], designs[k]
    for rung in range(held.cap + 1):
        if rung == held.observed:
            continue
        other = hindcast.forecast_case(train, replace(held, observed=rung))
        for name, p in forecasts[k].probs.items():
            np.testing.assert_array_equal(other.probs[name], p, err_msg=name)


def test_changing_a_held_out_outcome_changes_the_others_forecasts(
        designs: list[CaseDesign], forecasts: list[hindcast.CaseForecast]) -> None:
    # the converse: the outcome is used, for the fits that predict the other cases
    k = next(i for i, d in enumerate(designs) if d.case_id == "nato_2003_tur_iraq")
    changed = [*designs[:k], replace(designs[k], observed=2), *designs[k + 1:]]
    j = next(i for i, d in enumerate(designs) if d.case_id == "nato_2001_art5_usa")
    moved = hindcast.forecast_case(changed[:j] + changed[j + 1 :], changed[j])
    assert moved.probs["model"][4] < forecasts[j].probs["model"][4]
    assert moved.probs["alliance grants"][4] < forecasts[j].probs["alliance grants"][4]


def _d(alliance: str, request: int, observed: int, scope: float = 1.0) -> CaseDesign:
    cap = (2, 2, 4)[request]
    x = np.zeros((3, 7))
    x[:, baselines.SCOPE] = scope
    return CaseDesign("c", x, 0, -1, DecisionRule.of("consensus", 3), cap, observed,
                      request=request, alliance=alliance)


def test_alliance_base_rate_uses_only_the_alliance_s_own_cases() -> None:
    train = [_d("a", 2, 4), _d("a", 2, 4), _d("a", 2, 2), _d("b", 2, 0), _d("b", 1, 2)]
    np.testing.assert_allclose(baselines.alliance_base_rate(train, "a", 2, 4),
                               np.array([0.5, 0.5, 1.5, 0.5, 2.5]) / 5.5)
    np.testing.assert_allclose(baselines.alliance_base_rate(train, "b", 2, 4),
                               np.array([1.5, 0.5, 0.5, 0.5, 0.5]) / 3.5)
    # no case of the alliance with this request: pooled over alliances
    np.testing.assert_allclose(baselines.alliance_base_rate(train, "a", 1, 2),
                               baselines.request_base_rate(train, 1, 2))
    np.testing.assert_allclose(baselines.alliance_base_rate(train, "c", 2, 4),
                               baselines.request_base_rate(train, 2, 4))


def test_grants_what_was_asked_with_the_alliance_s_own_share() -> None:
    # alliance a granted 2 of 3 requests; its one other answer was consultations
    train = [_d("a", 2, 4), _d("a", 1, 2), _d("a", 2, 2), _d("b", 2, 0)]
    p = baselines.grants_forecast(train, "a", 2, 4)
    g = 2.5 / 4.0
    assert p[4] == pytest.approx(g)
    # the rest by the smoothed counts of the other rungs (consultations once)
    np.testing.assert_allclose(p[:4], (1 - g) * np.array([0.5, 0.5, 1.5, 0.5]) / 3.0)
    q = baselines.grants_forecast(train, "a", 1, 2)
    assert q[2] == pytest.approx(g) and q[3:].sum() == 0.0 and q.sum() == pytest.approx(1.0)
    # an alliance with no cases takes the pooled record
    np.testing.assert_allclose(baselines.grants_forecast(train, "z", 2, 4),
                               baselines.grants_forecast([replace(d, alliance="z")
                                                          for d in train], "z", 2, 4))


def test_alliance_probit_learns_the_alliances_and_respects_the_request() -> None:
    train = ([_d("keen", 2, 4)] * 4 + [_d("keen", 1, 2)] * 3
             + [_d("loath", 2, 1)] * 3 + [_d("loath", 2, 2), _d("loath", 0, 0)])
    fit = baselines.fit_alliance_probit(train)
    par = fit.parameters()
    assert par["intercept.keen"] > par["intercept.loath"]
    keen, loath = fit.probabilities(_d("keen", 2, 0)), fit.probabilities(_d("loath", 2, 0))
    assert keen[4] > 0.5 > loath[4]
    asked_consultations = fit.probabilities(_d("keen", 1, 0))
    assert asked_consultations[3:].sum() == 0.0
    assert asked_consultations.sum() == pytest.approx(1.0)
    # an alliance without cases sits at the prior centre, between the two
    new = fit.probabilities(_d("new", 2, 0))
    assert loath[4] < new[4] < keen[4]


def test_recoding_the_contested_cases(designs: list[CaseDesign]) -> None:
    rec = hindcast.recoded(designs, hindcast.CODINGS["all three"])
    assert len(rec) == len(designs) - 1
    by = {d.case_id: d for d in rec}
    assert by["nato_2003_tur_iraq"].observed == 2
    assert by["csto_2022_kgz_tjk_september"].observed == 1
    assert "csto_2020_blr_protests" not in by
    with pytest.raises(ValueError, match="not in the record: nope"):
        hindcast.recoded(designs, {"nope": 1})


def test_pinned_parameters_stay_where_they_are_put(designs: list[CaseDesign]) -> None:
    fit = specs.MODEL.fit(designs)
    nat = fit.model.natural(fit.theta)
    assert nat["council.leader_weight"] == pytest.approx(0.5, abs=1e-12)
    assert nat["council.shock_correlation"] == pytest.approx(0.0, abs=1e-12)
    none = specs.by_name("no member features").fit(designs)
    for f in specs.MEMBER_FEATURES:
        assert none.model.natural(none.theta)[f"council.coefficients.{f}"] == 0.0
    with pytest.raises(ValueError, match="cannot pin"):
        fit.model.with_pins((("bogus", 1.0),))


def test_the_documented_ablation_figure(designs: list[CaseDesign]) -> None:
    # docs/validation.md, "Ablation": no alliance intercepts
    s = hindcast.score(hindcast.spec_leave_one_out(specs.by_name("no alliance intercepts"),
                                                   designs))
    assert round(s.log_score["model"], 3) == -0.967


def test_nested_selection_never_sees_the_held_out_outcome(designs: list[CaseDesign]) -> None:
    few = (specs.MODEL, specs.by_name("common shock fitted"))
    sub = designs[::2]  # nine cases, both alliances
    k = next(i for i, d in enumerate(sub) if d.case_id == "csto_2022_kaz_january")
    a = hindcast.nested_leave_one_out(sub, few)
    changed = [*sub[:k], replace(sub[k], observed=2), *sub[k + 1 :]]
    b = hindcast.nested_leave_one_out(changed, few, workers=2)
    assert a[k].chosen == b[k].chosen and a[k].inner == b[k].inner
    np.testing.assert_array_equal(a[k].forecast.probs["model"], b[k].forecast.probs["model"])
    # ... while the other cases' inner scores use it
    assert any(a[j].inner != b[j].inner for j in range(len(sub)) if j != k)
    for r in a:
        assert r.chosen in {s.name for s in few}
        assert r.inner[r.chosen] == max(r.inner.values())
    # the inner score is the plain leave-one-out of the candidate on the other cases
    train = sub[:k] + sub[k + 1 :]
    plain = hindcast.score(hindcast.spec_leave_one_out(specs.MODEL, train))
    assert a[k].inner["model"] == pytest.approx(plain.log_score["model"], abs=1e-12)


@pytest.mark.slow
def test_the_documented_nested_selection(designs: list[CaseDesign]) -> None:
    # docs/validation.md, "Nested selection": every candidate of specs.NESTED, chosen per case
    res = hindcast.nested_leave_one_out(designs, workers=2)
    s = hindcast.score([r.forecast for r in res])
    assert round(s.log_score["model"], 3) == -1.393
    assert round(s.brier["model"], 3) == 0.511
    chosen = [r.chosen for r in res]
    assert chosen.count("model") == 14
