"""Monte Carlo council frequencies agree with the closed form, for every rule and noise model."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.engine import run_trials
from alliancesim.experiments.closed_form import NoClosedFormError, response_probabilities
from alliancesim.model.analytic import poisson_binomial_tail
from alliancesim.scenario.compile import compile_crisis

TRIALS = 60_000

RULES = [
    ({"rule": "consensus"}, "consensus"),
    ({"rule": "consensus", "consensus_from": "mission"}, "consensus"),
    ({"rule": "consensus", "consensus_from": "military"}, "consensus"),
    ({"rule": "qualified_majority", "threshold": 0.667}, "qualified_majority"),
    ({"rule": "simple_majority"}, "simple_majority"),
    ({"rule": "leader"}, "leader"),
]


def _alliance(rule: dict[str, object]) -> dict[str, object]:
    from alliancesim.scenario.loading import bundled_alliance

    data = bundled_alliance("csto").model_dump(mode="json", by_alias=True)
    data["decision_rule"] = rule
    return data


def _check(model, trials: int = TRIALS, seed: int = 7) -> None:  # type: ignore[no-untyped-def]
    expected = response_probabilities(model)
    got = np.bincount(run_trials(model, trials, seed).rung, minlength=5) / trials
    se = np.sqrt(expected * (1 - expected) / trials)
    assert np.isclose(expected.sum(), 1.0)
    # within 4.5 binomial standard errors (plus float slack), every rung
    assert np.all(np.abs(got - expected) <= 4.5 * se + 1e-4), (got, expected)
    # the check has power: the distribution is not degenerate
    assert (expected > 0.02).sum() >= 2, expected


@pytest.mark.parametrize(("rule", "name"), RULES,
                         ids=[f"{r[1]}-{r[0].get('consensus_from', 'all')}" for r in RULES])
@pytest.mark.parametrize("noise", ["independent", "common_shock"])
def test_monte_carlo_matches_closed_form(make_scenario, rule, name, noise) -> None:  # type: ignore[no-untyped-def]
    # a contested crisis (Armenia vs Azerbaijan), so that every rule gives a spread of rungs
    sc = make_scenario(
        {"alliance": _alliance(rule),
         # fixed here (not the defaults) so that every rule gives a spread of rungs
         "parameters": {"council": {"noise": noise, "shock_correlation": 0.5,
                                    "intercept": 0.5, "cutpoints": [-1.0, -0.3, 0.8, 1.5],
                                    "coefficients": {"leader_stake": 0.0}}}},
        crisis={"victim": "ARM", "aggressor": "AZE", "threat": "interstate_attack",
                "aggressor_strength": 10000, "exposure": {"RUS": 0.2}},
    )
    model = compile_crisis(sc, 0)
    assert model.rule == name
    _check(model)


def test_closed_form_mixes_over_an_automatic_request(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario(crisis={"request": "auto", "trust": 0.5})
    model = compile_crisis(sc, 0)
    _check(model)
    # the mixture is not trivial: every request level has mass
    assert model.request_fixed == -1


def test_closed_form_refuses_uncertain_council_inputs(make_scenario) -> None:  # type: ignore[no-untyped-def]
    sc = make_scenario({"parameters": {"council": {"intercept": {"dist": "normal", "mean": 0,
                                                                 "sd": 1}}}})
    with pytest.raises(NoClosedFormError, match=r"council\.intercept"):
        response_probabilities(compile_crisis(sc, 0))


def test_poisson_binomial_tail_against_enumeration() -> None:
    rng = np.random.default_rng(3)
    p = rng.uniform(0.05, 0.95, 6)
    outcomes = np.array(np.meshgrid(*[[0, 1]] * 6, indexing="ij")).reshape(6, -1).T
    prob = np.prod(np.where(outcomes == 1, p, 1 - p), axis=1)
    counts = outcomes.sum(axis=1)
    for k in range(8):
        assert poisson_binomial_tail(p, k) == pytest.approx(prob[counts >= k].sum(), abs=1e-12)


def test_consensus_is_the_product_of_member_probabilities() -> None:
    """A hand-computable case: two voters besides the victim, mu = 0, tau = 0 for every rung.

    Each supports any rung with probability 1/2, so P(L >= l) = 1/4 for l <= cap.
    """
    from alliancesim.model.analytic import rung_tail

    tail = rung_tail(np.zeros(3), np.zeros(4), cap=4, rule="consensus", quota=3, victim=0,
                     leader=1)
    assert tail == pytest.approx([0.25, 0.25, 0.25, 0.25])
    tail = rung_tail(np.zeros(3), np.zeros(4), cap=2, rule="consensus", quota=3, victim=0,
                     leader=1)
    assert tail == pytest.approx([0.25, 0.25, 0.0, 0.0])


@pytest.mark.parametrize("rule,quota,cf", [("consensus", 6, 1), ("consensus", 6, 3),
                                           ("consensus", 6, 4), ("qualified_majority", 4, 1),
                                           ("simple_majority", 4, 1), ("leader", 1, 1)])
def test_compiled_decision_equals_the_numpy_statement_of_the_rules(rule, quota, cf) -> None:  # type: ignore[no-untyped-def]
    from alliancesim.model import council

    rng = np.random.default_rng(5)
    pref = rng.integers(0, 5, (4000, 6)).astype(np.int8)
    cap = rng.choice(np.array([2, 4], dtype=np.int8), 4000)
    pref[:, 2] = cap  # the victim
    rung, holds, sole = council.decide(pref, cap, rule, quota, leader=0, victim=2,
                                       consensus_from=cf)
    ref_rung = np.minimum(council.collective_rung(pref, rule, quota, 0, cf), cap)
    ref_holds, ref_sole = council.blocking(pref, ref_rung, cap, rule, quota, 0, 2, cf)
    np.testing.assert_array_equal(rung, ref_rung)
    np.testing.assert_array_equal(holds, ref_holds)
    np.testing.assert_array_equal(sole, ref_sole)
