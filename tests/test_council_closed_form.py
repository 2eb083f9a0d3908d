"""Monte Carlo council frequencies agree with the closed form, for every rule and noise model."""

from __future__ import annotations

import numpy as np
import pytest

from alliancesim.engine import run_trials
from alliancesim.experiments.closed_form import NoClosedFormError, response_probabilities
from alliancesim.model.council import DecisionRule, OrderedProbit
from alliancesim.model.council.checks import check_council_model
from alliancesim.model.council.features import COUNCIL_FEATURES
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
                                    "coefficients": {
                                        "exposure": 1.0, "affinity_victim": 1.0,
                                        "affinity_aggressor": -2.0, "leader_stake": 0.0,
                                        "in_scope": 1.0, "cost": -0.5, "is_aggressor": -6.0}}}},
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


def _values(intercept: float = 0.0, tau: tuple[float, ...] = (-1.0, -0.3, 0.8, 1.5),
            alliance: float = 0.0) -> dict[str, float]:
    v = {f"council.coefficients.{f}": b for f, b in
         zip(COUNCIL_FEATURES, [0.8, 0.5, -1.0, 0.6, 1.2, -0.4, -0.7], strict=True)}
    v.update({f"council.cutpoints.{k + 1}": t for k, t in enumerate(tau)})
    v.update({"council.intercept": intercept, "council.shock_correlation": 0.4,
              "council.unilateral_margin": 0.5, "council.leader_weight": 0.35,
              "council.alliance_intercept": alliance})
    return v


def test_the_ordered_probit_passes_the_council_model_checks() -> None:
    check_council_model(OrderedProbit(), _values(alliance=-0.2),
                        _values(intercept=0.7, alliance=-0.2),
                        k=len(COUNCIL_FEATURES))


@pytest.mark.parametrize("rule", [
    DecisionRule.of("consensus", 5), DecisionRule.of("consensus", 5, consensus_from=3),
    DecisionRule.of("qualified_majority", 5, threshold=0.6),
    DecisionRule.of("simple_majority", 5), DecisionRule.of("leader", 5, leader=1)],
    ids=["consensus", "consensus-from-mission", "q-majority", "simple-majority", "leader"])
def test_reach_weight_against_enumeration(rule: DecisionRule) -> None:
    """The probability form of each rule equals the sum over all 2^n support patterns of the
    deterministic form; its derivatives equal finite differences."""
    rng = np.random.default_rng(3)
    y = rng.uniform(0.05, 0.95, 5)
    n = rng.uniform(0.05, 1.0, 5) * (1 - y)  # restricted weights: y + n <= 1
    patterns = np.array(np.meshgrid(*[[0, 1]] * 5, indexing="ij")).reshape(5, -1).T
    weight = np.prod(np.where(patterns == 1, y, n), axis=1)
    for level in range(1, 5):
        pref = np.where(patterns == 1, level, level - 1).astype(np.int8)
        cap = np.full(len(pref), 4, dtype=np.int8)
        victim = 4  # the rule's count includes every member; the victim has no special role
        rung = rule.decide(pref, cap, victim)[0]
        expected = weight[rung >= level].sum()
        f, dfdy, dfdn = rule.reach_weight(y, n, level)
        assert f == pytest.approx(expected, abs=1e-12)
        h = 1e-7
        for i in range(5):
            e = np.eye(5)[i] * h
            assert dfdy[i] == pytest.approx(
                (rule.reach_weight(y + e, n, level)[0] - rule.reach_weight(y - e, n, level)[0])
                / (2 * h), abs=1e-6)
            assert dfdn[i] == pytest.approx(
                (rule.reach_weight(y, n + e, level)[0] - rule.reach_weight(y, n - e, level)[0])
                / (2 * h), abs=1e-6)


def test_consensus_is_the_product_of_member_probabilities() -> None:
    """A hand-computable case: two voters besides the victim, mu = 0, tau = 0 for every rung.

    Each supports any rung with probability 1/2, so P(L >= l) = 1/4 for l <= cap.
    """
    v = _values(tau=(0.0, 0.0, 0.0, 0.0))
    x = np.zeros((3, len(COUNCIL_FEATURES)))
    rule = DecisionRule.of("consensus", 3)
    tail = OrderedProbit().rung_tail(x, v, rule, victim=0, cap=4)
    assert tail == pytest.approx([0.25, 0.25, 0.25, 0.25])
    tail = OrderedProbit().rung_tail(x, v, rule, victim=0, cap=2)
    assert tail == pytest.approx([0.25, 0.25, 0.0, 0.0])


@pytest.mark.parametrize("rule,quota,cf", [("consensus", 6, 1), ("consensus", 6, 3),
                                           ("consensus", 6, 4), ("qualified_majority", 4, 1),
                                           ("simple_majority", 4, 1), ("leader", 1, 1)])
def test_decision_rules_equal_the_reference_s_own(rule, quota, cf) -> None:  # type: ignore[no-untyped-def]
    """The compiled rules (model/council/rules.py) against the separately written rules of the
    scalar reference, on random preferences: the rung, who holds out, who alone vetoes."""
    from alliancesim import reference

    rng = np.random.default_rng(5)
    pref = rng.integers(0, 5, (3000, 6)).astype(np.int8)
    cap = rng.choice(np.array([2, 4], dtype=np.int8), 3000)
    pref[:, 2] = cap  # the victim
    threshold = 4 / 6 if rule == "qualified_majority" else None
    r = DecisionRule.of(rule, 6, threshold=threshold, leader=0, consensus_from=cf)
    rung, holds, sole = r.decide(pref, cap, victim=2)
    for t in range(len(pref)):
        p, c = [int(a) for a in pref[t]], int(cap[t])
        L = min(reference.decide(p, rule, quota, 0, cf), c)
        assert rung[t] == L
        for i in range(6):
            alt = list(p)
            alt[i] = c
            assert holds[t, i] == (i != 2 and L < c and p[i] <= L)
            assert sole[t, i] == (i != 2 and min(reference.decide(alt, rule, quota, 0, cf), c) > L)


@pytest.mark.parametrize("noise", ["independent", "common_shock"])
def test_compiled_preferences_equal_the_stage_equations(noise: str) -> None:
    """The probit's one-pass kernel gives exactly the rungs of its stated equations
    (latent_support, member_noise, preferred_rung, unilateral_bar), unsorted cut-points and
    per-trial parameters included."""
    from alliancesim.model.council.probit import (
        latent_support,
        member_noise,
        preferred_rung,
        unilateral_bar,
    )

    rng = np.random.default_rng(0)
    T, M = 3000, 7
    feats = [rng.normal(size=M) for _ in range(len(COUNCIL_FEATURES) - 1)]
    feats.append(rng.normal(size=(T, 1)))  # the per-trial feature (cost)
    v = {f"council.coefficients.{f}": rng.normal(size=T) for f in COUNCIL_FEATURES}
    v.update({f"council.cutpoints.{k}": rng.normal(size=T) for k in range(1, 5)})
    v.update({"council.intercept": rng.normal(size=T),
              "council.alliance_intercept": rng.normal(size=T),
              "council.shock_correlation": rng.uniform(0, 0.9, T),
              "council.unilateral_margin": rng.uniform(0, 1, T)})
    e, z = rng.normal(size=(T, M)), rng.normal(size=T)
    got = OrderedProbit().preferences(feats, v, e, z, noise)
    mu = latent_support(feats, [v[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES],
                        v["council.intercept"] + v["council.alliance_intercept"])
    s = mu + member_noise(e, z, noise, v["council.shock_correlation"])
    tau = np.sort(np.stack([v[f"council.cutpoints.{k}"] for k in range(1, 5)], axis=1), axis=1)
    np.testing.assert_array_equal(got.preferred, preferred_rung(s, tau))
    np.testing.assert_array_equal(got.unilateral,
                                  unilateral_bar(s, tau[:, 3], v["council.unilateral_margin"]))
