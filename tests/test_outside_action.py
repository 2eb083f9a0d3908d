"""The joint likelihood of the collective rung and of action outside the alliance (fallback).

Where the victim asked for military help and the alliance decided less, the cases record whether
a member tied to the victim sent troops anyway. The closed form P(L = l, F = f) is checked
against the engine's own council and fallback kernels, and its gradient against finite
differences.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alliancesim.cases import load_cases
from alliancesim.experiments.calibration import loglik
from alliancesim.experiments.validation import designs
from alliancesim.model import fallback
from alliancesim.model.council import CaseDesign, DecisionRule, OrderedProbit
from alliancesim.model.council.probit import (
    DELTA,
    N_PARAMS,
    K,
    cutpoints,
    leader_weight,
    margin,
    member_noise,
    preferred_rung,
    shock_correlation,
)

PROBIT = OrderedProbit()
case_loglik = PROBIT.case_loglik
probabilities = PROBIT.probabilities
outside_probability = PROBIT.outside_probability

RULES = [("consensus", 1), ("consensus", 3), ("simple_majority", 1), ("leader", 1)]


def _design(rule: str, cf: int, seed: int, observed: int = 0, outside: int = 0) -> CaseDesign:
    rng = np.random.default_rng(seed)
    M = 5
    x = rng.normal(0, 0.8, (M, K))
    tied = np.array([False, True, False, True, False])  # victim 0, leader 1
    return CaseDesign(f"t{seed}", x, 0, 1, DecisionRule.of(rule, M, leader=1, consensus_from=cf),
                      4, observed, tied, outside)


@pytest.mark.parametrize(("rule", "cf"), RULES)
def test_joint_closed_form_matches_the_council_and_fallback_kernels(rule: str, cf: int) -> None:
    d = _design(rule, cf, seed=3)
    theta = PROBIT.prior_theta() + np.random.default_rng(1).normal(0, 0.3, N_PARAMS)
    theta[DELTA] = 0.4  # acting alone takes more support than wanting military help
    tau = cutpoints(theta)
    mu = d.x @ theta[:K]
    T = 400_000
    rng = np.random.default_rng(11)
    # the engine's noise (common shock rho) and aggregation (the leader's weight omega)
    rho = np.full(T, shock_correlation(theta))
    support = mu[None, :] + member_noise(rng.standard_normal((T, mu.size)),
                                         rng.standard_normal(T), "common_shock", rho)
    pref = preferred_rung(support, np.broadcast_to(tau, (T, 4)))
    pref[:, d.victim] = 4  # the victim asked for military help
    cap = np.full(T, 4, dtype=np.int8)
    rung, _, _ = d.rule.decide_weighted(pref, cap, d.victim, rng.uniform(size=T),
                                        np.full(T, leader_weight(theta)))
    tie_v = d.tied.astype(float) if d.tied is not None else np.zeros(mu.size)
    _, fell_back = fallback.participants(pref, rung, cap, tie_v, np.zeros(mu.size), d.victim, -1,
                                         support > tau[3] + margin(theta))
    p_rung = probabilities(theta, d)
    for level in range(4):
        for outside in (0, 1):
            dd = replace(d, observed=level, outside=outside)
            exact = np.exp(case_loglik(theta, dd)[0])
            freq = float(((rung == level) & (fell_back == bool(outside))).mean())
            se = np.sqrt(max(exact * (1 - exact), 1e-6) / T)
            assert abs(freq - exact) < 5 * se + 1e-9, (level, outside, freq, exact)
        # the two outside outcomes add up to the rung's marginal probability
        both = sum(np.exp(case_loglik(theta, replace(d, observed=level, outside=o))[0])
                   for o in (0, 1))
        assert both == pytest.approx(p_rung[level], rel=1e-9, abs=1e-12)
        cond = outside_probability(theta, replace(d, observed=level, outside=0))
        if (rung == level).sum() > 2000 and cond is not None:
            mc = float(fell_back[rung == level].mean())
            assert abs(mc - cond) < 5 * np.sqrt(cond * (1 - cond) / (rung == level).sum()) + 1e-3


@pytest.mark.parametrize(("rule", "cf"), RULES)
def test_joint_gradient_agrees_with_finite_differences(rule: str, cf: int) -> None:
    ds = [_design(rule, cf, seed=s, observed=s % 4, outside=(s // 4) % 2) for s in range(8)]
    rng = np.random.default_rng(2)
    h = 1e-4  # some joint events are rare (log P ~ -20): a smaller step meets rounding
    for _ in range(3):
        theta = PROBIT.prior_theta() + rng.normal(0, 0.3, N_PARAMS)
        theta[DELTA] = abs(theta[DELTA]) + 0.05  # away from the kink at 0
        # events rarer than e^-12 are left out: there P(L = l) - P(L = l, F = 0) loses the
        # digits a finite difference needs (the Monte Carlo test covers the values)
        usable = [d for d in ds if case_loglik(theta, d)[0] > -12.0]
        assert len(usable) >= 3
        g = loglik(theta, usable)[1]
        num = np.array([(loglik(theta + e, usable)[0] - loglik(theta - e, usable)[0]) / (2 * h)
                        for e in np.eye(N_PARAMS) * h])
        np.testing.assert_allclose(g, num, rtol=1e-4, atol=1e-4)


def test_outside_action_is_used_only_where_the_fallback_can_act() -> None:
    ds = {d.case_id: d for d in designs(load_cases())}
    coded = {k for k, d in ds.items() if d.outside >= 0}
    assert coded == {"csto_2010_kgz_osh", "csto_2022_arm_september"}
    for k in coded:
        d = ds[k]
        assert d.cap == 4 and d.observed < 4
        assert d.tied is not None and d.tied.sum() == 1 and d.tied[0]  # Russia, listed first
    # the extra observation can only lower the case's likelihood (a joint event is smaller)
    theta = PROBIT.prior_theta()
    for k in coded:
        d = ds[k]
        plain = replace(d, outside=-1)
        assert case_loglik(theta, d)[0] <= case_loglik(theta, plain)[0]


def test_outside_action_coded_where_the_fallback_cannot_act_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alliancesim.cases import load_case
    from alliancesim.data import bundled
    from alliancesim.scenario.errors import ScenarioError

    text = (bundled.CASES / "csto_2021_arm_may.yaml").read_text()
    bad = tmp_path / "case.yaml"
    bad.write_text(text.replace("observed:\n", "observed:\n  outside_military_action: false\n"
                                "  outside_action_notes: 'Russia set up two strongpoints'\n", 1))
    with pytest.raises(ScenarioError) as err:
        load_case(bad)
    msg = str(err.value)
    assert "case.yaml" in msg and "outside_military_action" in msg and "consultations" in msg
    unsourced = tmp_path / "unsourced.yaml"
    lines = (bundled.CASES / "csto_2022_arm_september.yaml").read_text().splitlines()
    unsourced.write_text("\n".join('  outside_action_notes: ""'
                                    if ln.startswith("  outside_action_notes:") else ln
                                    for ln in lines) + "\n")
    with pytest.raises(ScenarioError) as err:
        load_case(unsourced)
    assert "needs outside_action_notes" in str(err.value)
