"""Cohen's kappa of two coders (experiments/agreement.py) against a hand computation."""

from __future__ import annotations

import pytest

from alliancesim.experiments.agreement import agreement


def test_kappa_by_hand() -> None:
    # 10 cases: A and B agree on 8; A's marginals none 4, military 6; B's none 4, military 6
    a = {f"c{i}": {"rung": "none" if i < 4 else "military"} for i in range(10)}
    b = dict(a)
    b["c0"] = {"rung": "military"}
    b["c9"] = {"rung": "none"}
    r = agreement(a, b)
    p_o, p_e = 0.8, 0.4 * 0.4 + 0.6 * 0.6
    assert r.observed == pytest.approx(p_o)
    assert r.kappa == pytest.approx((p_o - p_e) / (1 - p_e))
    assert r.low < r.kappa < r.high and r.se > 0
    assert {d[0] for d in r.disagreements} == {"c0", "c9"}


def test_not_codable_and_bad_codes() -> None:
    a = {"x": {"rung": "none"}, "y": {"rung": "military"}, "z": {"codable": False}}
    b = {"x": {"rung": "none"}, "y": {"rung": "mission"}, "z": {"rung": "none"}}
    r = agreement(a, b)
    assert r.cases == ("x", "y") and r.not_codable == ("z",)
    with pytest.raises(ValueError, match="codes outside"):
        agreement({"x": {"rung": "troops"}}, {"x": {"rung": "none"}})
    r2 = agreement({"x": {"request": "material"}}, {"x": {"request": "material"}}, "request")
    assert r2.observed == 1.0
