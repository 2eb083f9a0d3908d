"""discover: PRIM boxes over the drawn inputs, and the inputs beside the outcomes."""

from __future__ import annotations

import pytest

from alliancesim import api, simulate
from alliancesim.scenario.errors import UsageError

STRENGTH = {"dist": "uniform", "low": 1000, "high": 40000}


def test_prim_finds_the_input_that_decides_the_outcome(make_scenario) -> None:  # type: ignore[no-untyped-def]
    # the council as before 0.3 (independent noise, no leader's weight): strength decides
    sc = make_scenario({"parameters": {"council": {"unilateral_margin": {
        "dist": "uniform", "low": 0, "high": 3}, "noise": "independent", "leader_weight": 0.0,
        "alliance_intercepts": {}}}}, crisis={"aggressor_strength": STRENGTH})
    r = api.discover(sc, crisis="incursion", outcome="repelled, with the alliance",
                     threshold=0.9, trials=8000)
    assert sorted(r.inputs) == ["aggressor_strength", "council.unilateral_margin",
                                "decision_delay_days"]
    (box,) = r.boxes
    assert box.density >= 0.9 > r.base_rate and 0.3 < box.coverage <= 1.0
    limited = {lim.input: lim for lim in box.limits}
    # a weaker aggressor is repelled: the box keeps the low strengths
    assert limited["aggressor_strength"].restricted_high
    assert not limited["aggressor_strength"].restricted_low
    assert "aggressor_strength is below" in box.sentence and f"{box.density:.0%}" in box.sentence


def test_every_trial_carries_its_drawn_inputs(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario(crisis={"aggressor_strength": STRENGTH})
    df = simulate(sc, trials=500, seed=2, keep_trials=True).to_pandas()
    s = df["input_aggressor_strength"]
    assert s.between(1000, 40000).all() and s.nunique() == 500


@pytest.mark.parametrize(("options", "message"), [
    ({"crisis": "nosuch"}, "no such crisis"),
    ({"crisis": "incursion", "outcome": "victory"}, "unknown outcome"),
    ({"crisis": "incursion", "threshold": 1.5}, "must be in"),
])
def test_bad_discover_options(make_scenario, options, message) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario(crisis={"aggressor_strength": STRENGTH})
    with pytest.raises(UsageError, match=message):
        api.discover(sc, trials=500, **options)


def test_a_crisis_with_nothing_uncertain_is_refused(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario({"alliance_changes": {"decision_delay_days": {"value": 1.0}}})
    with pytest.raises(UsageError, match="no uncertain quantity"):
        api.discover(sc, crisis="incursion", trials=500)


def test_the_ema_workbench_runs_a_crisis_without_a_wrapper() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench import perform_experiments

    model = api.ema_model("examples/armenia-uncertain-council.yaml", crisis="armenia-2022",
                          trials=800)
    experiments, outcomes = perform_experiments(model, 6)
    assert {"council__coefficients__in_scope", "decision_delay_days"} <= set(experiments)
    mil = outcomes["military_help"]
    assert len(mil) == 6 and ((0 <= mil) & (mil <= 1)).all() and mil.std() > 0
    # common random numbers: the same point gives the same outcome
    u = {p.name: 0.5 for p in model.uncertainties}
    assert model.function(**u) == model.function(**u)


def test_further_boxes_reach_the_threshold_and_restrict_something(make_scenario) -> None:  # type: ignore[no-untyped-def]
    # the council as before 0.3 (independent noise, no leader's weight): strength decides
    sc = make_scenario({"parameters": {"council": {"unilateral_margin": {
        "dist": "uniform", "low": 0, "high": 3}, "noise": "independent", "leader_weight": 0.0,
        "alliance_intercepts": {}}}}, crisis={"aggressor_strength": STRENGTH})
    r = api.discover(sc, crisis="incursion", outcome="repelled, with the alliance",
                     threshold=0.9, boxes=3, trials=6000)
    assert 1 <= len(r.boxes) <= 3
    for later in r.boxes[1:]:
        assert later.density >= 0.9 and later.limits
    with pytest.raises(UsageError, match="between 1 and 10"):
        api.discover(sc, crisis="incursion", boxes=0, trials=100)
