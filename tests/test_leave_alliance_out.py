"""Leave-one-alliance-out: every case forecast by fits on the other alliances' cases only, its
alliance's intercept integrated over the prior (experiments/hindcast.py)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from alliancesim.cases import load_cases
from alliancesim.experiments import hindcast, validation
from alliancesim.experiments.specs import MODEL
from alliancesim.model.council import CaseDesign


@pytest.fixture(scope="module")
def designs() -> list[CaseDesign]:
    return validation.designs(load_cases())


def test_forecasts_never_see_their_own_alliance(designs: list[CaseDesign]) -> None:
    out = hindcast.leave_one_alliance_out(designs)
    assert [f.case_id for f in out] == [d.case_id for d in designs]
    for f in out:
        for name, p in f.probs.items():
            assert p.sum() == pytest.approx(1.0), (f.case_id, name)
            assert (p[f.cap + 1:] == 0).all()
    # changing every outcome of the held-out alliance leaves its forecasts unchanged
    k = next(i for i, d in enumerate(designs) if d.alliance == "nato")
    changed = [replace(d, observed=min(d.cap, 1)) if d.alliance == "nato" else d
               for d in designs]
    again = hindcast.leave_one_alliance_out(changed)
    np.testing.assert_array_equal(out[k].probs["model"], again[k].probs["model"])
    s = hindcast.score(out)
    assert np.isfinite(s.log_score["model"])


def test_unseen_alliance_integrates_over_the_intercept(designs: list[CaseDesign]) -> None:
    train = [d for d in designs if d.alliance == "csto"]
    held = next(d for d in designs if d.alliance == "nato" and d.request == 2)
    fit = MODEL.fit(train)
    at_zero = hindcast.unseen_alliance_probabilities(fit, held, sd=0.0)
    wide = hindcast.unseen_alliance_probabilities(fit, held, sd=1.0)
    assert at_zero.sum() == pytest.approx(1.0) and wide.sum() == pytest.approx(1.0)
    # the integral over b ~ N(0, 1) by 24-point Gauss-Hermite against Monte Carlo draws of b
    model = fit.model.for_alliances((*fit.model.alliances, held.alliance))
    b = np.random.default_rng(3).standard_normal(4000)
    mc = np.mean([model.probabilities(np.append(fit.theta, x), held) for x in b], axis=0)
    np.testing.assert_allclose(wide, mc, atol=0.02)
    assert not np.allclose(wide, at_zero)


def test_partial_pooling_chooses_the_spread_by_the_evidence(designs: list[CaseDesign]) -> None:
    from alliancesim.experiments import calibration

    p = calibration.fit_pooled(designs, grid=(0.5, 3.0))
    assert p.tau in (0.5, 3.0) and p.evidence[p.tau] == max(p.evidence.values())
    assert all(np.isfinite(v) for v in p.evidence.values())
    # the intercepts' prior sd is the chosen spread: a tighter one pulls them towards 0
    tight = calibration.fit(designs, standard_errors=False, intercept_sd=0.05)
    sl = calibration.intercept_slice(tight.model)
    assert np.abs(tight.theta[sl]).max() < np.abs(p.fit.theta[sl]).max()
    with pytest.raises(ValueError, match="intercept_sd"):
        calibration.fit(designs, intercept_sd=0.0)
