"""Random streams that stay put: each quantity, noise term and stage draws from its own stream,
keyed by (seed, crisis id, block, stream name), so changing one input leaves every other
stream's numbers unchanged (common random numbers)."""

from __future__ import annotations

import numpy as np

from alliancesim.engine import BLOCK, draw_trials, run_trials
from alliancesim.scenario.compile import compile_crisis

UNCERTAIN = {"aggressor_strength": {"dist": "uniform", "low": 2000, "high": 8000},
             "trust": {"dist": "beta", "a": 2, "b": 2, "low": 0, "high": 1},
             "defender_commitment": {"dist": "uniform", "low": 0.2, "high": 0.5}}


def _inputs(make_scenario, crisis, over=None, trials=2 * BLOCK + 100):  # type: ignore[no-untyped-def]
    model = compile_crisis(make_scenario(over, crisis=crisis), 0)
    return model, draw_trials(model, seed=9, start_block=0, stop_block=3, trials=trials)


def test_fixing_one_quantity_leaves_every_other_draw_unchanged(make_scenario) -> None:  # type: ignore[no-untyped-def]
    _, a = _inputs(make_scenario, {**UNCERTAIN, "request": "auto"})
    _, b = _inputs(make_scenario, {**UNCERTAIN, "request": "auto", "aggressor_strength": 5000})
    assert not np.array_equal(a.values["aggressor_strength"], b.values["aggressor_strength"])
    assert np.all(b.values["aggressor_strength"] == 5000)
    for name in ("trust", "defender_commitment"):
        np.testing.assert_array_equal(a.values[name], b.values[name], err_msg=name)
    np.testing.assert_array_equal(a.eta, b.eta)
    np.testing.assert_array_equal(a.e, b.e)
    np.testing.assert_array_equal(a.z, b.z)


def test_adding_an_uncertain_quantity_leaves_the_others_unchanged(make_scenario) -> None:  # type: ignore[no-untyped-def]
    _, a = _inputs(make_scenario, UNCERTAIN)
    _, b = _inputs(make_scenario, UNCERTAIN, over={"parameters": {"forces": {
        "valuation": {"dist": "uniform", "low": 1, "high": 2}}}})
    assert "forces.valuation" in b.values
    for name in UNCERTAIN:
        np.testing.assert_array_equal(a.values[name], b.values[name], err_msg=name)
    np.testing.assert_array_equal(a.e, b.e)


def test_a_member_s_noise_is_its_own(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """Removing a member leaves the other members' council noise as it was."""
    from alliancesim.scenario.loading import bundled_alliance

    alliance = bundled_alliance("csto").model_dump(mode="json", by_alias=True)
    alliance["members"] = [m for m in alliance["members"] if m != "ARM"]
    alliance["standing_forces"].pop("ARM", None)
    alliance["bases"] = [b for b in alliance["bases"] if "ARM" not in (b["owner"], b["host"])]
    alliance["ties"] = [t for t in alliance["ties"] if "ARM" not in (t["a"], t["b"])]
    full, a = _inputs(make_scenario, UNCERTAIN)
    small, b = _inputs(make_scenario, UNCERTAIN, over={"alliance": alliance})
    assert "ARM" in full.members and "ARM" not in small.members
    for j, m in enumerate(small.members):
        np.testing.assert_array_equal(a.e[:, full.members.index(m)], b.e[:, j], err_msg=m)
    np.testing.assert_array_equal(a.z, b.z)


def test_a_rule_change_is_measured_with_common_random_numbers(make_scenario) -> None:  # type: ignore[no-untyped-def]
    """Under a simple majority instead of consensus every trial keeps its members' preferences;
    the collective rung can only rise, trial by trial (the paired difference carries no
    sampling noise of the preferences)."""
    from alliancesim.scenario.loading import bundled_alliance

    crisis = {"victim": "ARM", "aggressor": "AZE", "threat": "interstate_attack",
              "aggressor_strength": {"dist": "uniform", "low": 5000, "high": 20000}}
    consensus = bundled_alliance("csto").model_dump(mode="json", by_alias=True)
    consensus["decision_rule"] = {"rule": "consensus"}
    majority = dict(consensus, decision_rule={"rule": "simple_majority"})
    a = run_trials(compile_crisis(make_scenario({"alliance": consensus}, crisis=crisis), 0),
                   6000, seed=4)
    b = run_trials(compile_crisis(make_scenario({"alliance": majority}, crisis=crisis), 0),
                   6000, seed=4)
    np.testing.assert_array_equal(a.preferred, b.preferred)
    assert np.all(b.rung >= a.rung)
    assert (b.rung > a.rung).mean() > 0.05  # the rule matters in this crisis
