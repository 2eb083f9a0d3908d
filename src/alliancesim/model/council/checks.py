"""The checks every council model must pass (as scikit-learn's common estimator checks).

    from alliancesim.model.council.checks import check_council_model
    check_council_model(MyModel(), values, stronger)

- closed form equals Monte Carlo under every decision rule (consensus, consensus from mission
  up, two-thirds majority, simple majority, the leader decides), mixed with the leader's
  preference by the values' council.leader_weight, and every noise, within 4.5 binomial
  standard errors;
- closed-form probabilities are non-negative, sum to one and are zero above the request's cap;
- monotonicity in support: with `stronger` values (more support for every member) the
  alliance reaches every rung at least as often;
- the likelihood's gradient equals central finite differences, with and without a recorded
  action outside the alliance (on events more likely than e^-12, where differences keep
  their digits).

Each check raises AssertionError with what failed. Everything is seeded: deterministic.

A model without a closed form, whose rung probabilities are themselves a simulation (the
expected-utility council: eum_council.simulated_probabilities), cannot take these as they are:
there is no closed form to hold the Monte Carlo to and no exact gradient. `check_simulated`
gives it the checks that carry over: probabilities by simulation sum to one and vanish above
the cap; with common random numbers, more support never lowers P(L >= l) by more than the
simulation's error; and two independent simulations agree within their Monte Carlo error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from alliancesim.model.council.base import CaseDesign, CouncilModel
from alliancesim.model.council.rules import DecisionRule

MEMBERS = 6
VICTIM, LEADER = 2, 0


def rules(n: int = MEMBERS, leader: int = LEADER) -> dict[str, DecisionRule]:
    """One of each decision rule for n members."""
    return {
        "consensus": DecisionRule.of("consensus", n, leader=leader),
        "consensus from mission": DecisionRule.of("consensus", n, consensus_from=3,
                                                  leader=leader),
        "two-thirds majority": DecisionRule.of("qualified_majority", n, threshold=2 / 3,
                                               leader=leader),
        "simple majority": DecisionRule.of("simple_majority", n, leader=leader),
        "leader decides": DecisionRule.of("leader", n, leader=leader),
    }


def _features(rng: np.random.Generator, k: int, m: int = MEMBERS) -> np.ndarray:
    return rng.normal(0.0, 0.7, (m, k))


def check_monte_carlo(model: CouncilModel, values: Mapping[str, float], k: int,
                      trials: int = 40_000, seed: int = 11) -> None:
    """The closed form equals the simulated frequencies under every rule and noise."""
    rng = np.random.default_rng(seed)
    x = _features(rng, k)
    cols = [x[:, j] for j in range(k)]
    drawn = {name: np.full(trials, float(v)) for name, v in values.items()}
    weight = np.full(trials, float(values.get("council.leader_weight", 0.0)))
    for noise in ("independent", "common_shock"):
        e = rng.standard_normal((trials, MEMBERS))
        z = rng.standard_normal(trials)
        u = rng.random(trials)
        pref = model.preferences(cols, drawn, e, z, noise).preferred.copy()
        for cap, own in ((2, 0), (2, 2), (4, 4)):  # the victim's vote: no request, asked
            pref[:, VICTIM] = own
            caps = np.full(trials, cap, dtype=np.int8)
            for label, rule in rules().items():
                expected = model.rung_probabilities(x, values, rule, VICTIM, cap, noise, own)
                got = np.bincount(rule.decide_weighted(pref, caps, VICTIM, u, weight)[0],
                                  minlength=5) / trials
                se = np.sqrt(expected * (1 - expected) / trials)
                assert np.all(np.abs(got - expected) <= 4.5 * se + 1e-4), (
                    f"{label}, {noise} noise, cap {cap}: Monte Carlo {got} vs closed form "
                    f"{expected}")


def check_probabilities(model: CouncilModel, values: Mapping[str, float], k: int,
                        seed: int = 12) -> None:
    """Probabilities are non-negative, sum to one, and vanish above the cap."""
    rng = np.random.default_rng(seed)
    for _ in range(5):
        x = _features(rng, k)
        for noise in ("independent", "common_shock"):
            for cap in (2, 4):
                for label, rule in rules().items():
                    p = model.rung_probabilities(x, values, rule, VICTIM, cap, noise)
                    assert p.shape == (5,), (label, p.shape)
                    assert np.all(p >= -1e-12), (label, noise, cap, p)
                    assert abs(p.sum() - 1.0) < 1e-9, (label, noise, cap, p.sum())
                    assert np.all(p[cap + 1 :] == 0.0), (label, noise, cap, p)


def check_monotone(model: CouncilModel, values: Mapping[str, float],
                   stronger: Mapping[str, float], k: int, seed: int = 13) -> None:
    """More support for every member never lowers P(L >= l) under any rule."""
    rng = np.random.default_rng(seed)
    for _ in range(5):
        x = _features(rng, k)
        for noise in ("independent", "common_shock"):
            for label, rule in rules().items():
                lo = model.rung_tail(x, values, rule, VICTIM, 4, noise)
                hi = model.rung_tail(x, stronger, rule, VICTIM, 4, noise)
                assert np.all(hi >= lo - 1e-12), (label, noise, lo, hi)
                assert np.all(np.diff(lo) <= 1e-12), (label, noise, "tail not decreasing", lo)


def _designs(k: int, seed: int) -> list[CaseDesign]:
    rng = np.random.default_rng(seed)
    out = []
    for j, (_, rule) in enumerate(rules().items()):
        for cap, observed, outside in ((4, 4, -1), (4, 3, 0), (4, 1, 1), (2, 2, -1),
                                       (2, 0, -1)):
            tied = np.zeros(MEMBERS, dtype=bool)
            tied[[LEADER, 4]] = True
            out.append(CaseDesign(f"synthetic-{j}-{cap}-{observed}", _features(rng, k), VICTIM,
                                  LEADER, rule, cap, observed, tied, outside))
    return out


def check_gradient(model: CouncilModel, k: int, seed: int = 14, h: float = 1e-6) -> None:
    """The likelihood's gradient equals central finite differences near the prior centre."""
    rng = np.random.default_rng(seed)
    designs = _designs(k, seed)
    for _ in range(3):
        theta = model.prior_theta() + rng.normal(0.0, 0.3, model.n_params)
        for j, (low, high) in enumerate(model.bounds()):  # away from any bound
            if low is not None:
                theta[j] = max(theta[j], low + 0.1)
            if high is not None:
                theta[j] = min(theta[j], high - 0.1)
        # events rarer than e^-12 are left out: there P(L = l) = G(l) - G(l + 1) loses the
        # digits a finite difference needs (the Monte Carlo check covers the values)
        usable = [d for d in designs if model.case_loglik(theta, d)[0] > -12.0]
        assert len(usable) >= len(designs) // 2, "too few usable synthetic cases"
        for d in usable:
            _, g = model.case_loglik(theta, d)
            num = np.array([(model.case_loglik(theta + e, d)[0]
                             - model.case_loglik(theta - e, d)[0]) / (2 * h)
                            for e in np.eye(model.n_params) * h])
            assert np.allclose(g, num, rtol=1e-4, atol=1e-5), (d.case_id, g, num)
            p = model.probabilities(theta, d)
            assert abs(p.sum() - 1.0) < 1e-9 and np.all(p >= -1e-12), (d.case_id, p)


def check_council_model(model: CouncilModel, values: Mapping[str, float],
                        stronger: Mapping[str, float], k: int) -> None:
    """Every check above. values: the model's parameters at fixed values (scenario names, e.g.
    council.cutpoints.1); stronger: the same with more support for every member; k: the number
    of council features."""
    check_probabilities(model, values, k)
    check_monotone(model, values, stronger, k)
    check_monte_carlo(model, values, k)
    check_gradient(model, k)


# probabilities by simulation: (x (M, K), values, rule, victim, cap, noise, victim_pref, seed)
Simulated = Callable[[np.ndarray, Mapping[str, float], DecisionRule, int, int, str, int, int],
                     np.ndarray]


def check_simulated(simulate: Simulated, values: Mapping[str, float],
                    stronger: Mapping[str, float], k: int, trials: int, seed: int = 15) -> None:
    """The checks of a council whose rung probabilities come by simulation (`simulate`, with
    `trials` games per call; the seed its random numbers):

    - they are non-negative, sum to one and vanish above the cap, under every rule and noise;
    - monotone with common random numbers: `stronger` values never lower P(L >= l) by more
      than 4.5 standard errors of the difference (the same seed; bargaining may move a few
      trials against the shift, as a member capitulating to a less supportive one);
    - two simulations with independent seeds agree within 4.5 standard errors of their
      difference (the Monte Carlo against the likelihood by simulation)."""
    rng = np.random.default_rng(seed)
    x = _features(rng, k)
    for noise in ("independent", "common_shock"):
        for cap, own in ((2, 2), (4, 4)):
            for label, rule in rules().items():
                p = simulate(x, values, rule, VICTIM, cap, noise, own, seed)
                assert p.shape == (5,), (label, p.shape)
                assert np.all(p >= 0.0) and abs(p.sum() - 1.0) < 1e-9, (label, noise, cap, p)
                assert np.all(p[cap + 1 :] == 0.0), (label, noise, cap, p)
                tail = np.cumsum(p[::-1])[::-1][1:]
                hi = simulate(x, stronger, rule, VICTIM, cap, noise, own, seed)
                hi_tail = np.cumsum(hi[::-1])[::-1][1:]
                se = np.sqrt((tail * (1 - tail) + hi_tail * (1 - hi_tail)) / trials)
                assert np.all(hi_tail >= tail - 4.5 * se - 1e-12), (
                    f"{label}, {noise} noise, cap {cap}: more support lowered P(L >= l): "
                    f"{tail} -> {hi_tail}")
                other = simulate(x, values, rule, VICTIM, cap, noise, own, seed + 1000)
                se = np.sqrt((p * (1 - p) + other * (1 - other)) / trials)
                assert np.all(np.abs(p - other) <= 4.5 * se + 1e-4), (
                    f"{label}, {noise} noise, cap {cap}: independent simulations differ: "
                    f"{p} vs {other}")
