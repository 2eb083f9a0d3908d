"""Issue 22, item 8: hand-written numerics replaced by well-kept libraries, same numbers.

The large-N ordered probit is statsmodels' OrderedModel, its AUC scikit-learn's roc_auc_score,
the fits' finite-difference Hessian statsmodels' approx_hess3, and the distributions' quantiles
and moments frozen scipy.stats distributions. What the hand-written code gave was recorded
before the change (tests/fixtures/issue22_numerics/old_outputs.json, by make_old_outputs.py at
commit 0e45b76, on the real inputs: every distribution of the bundled and example files, and
the published large-N record); each test asserts the library version gives it, to the
tolerance stated in the test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import TypeAdapter
from tests.conftest import needs_shared
from tests.fixtures.issue22_numerics.make_old_outputs import LARGE_N_FILES, SHARED, record_like

from alliancesim.experiments import numerics
from alliancesim.experiments import reliability as rl
from alliancesim.scenario.distributions import DIST_NAMES, Distribution, Fixed
from alliancesim.scenario.errors import UsageError

OLD = json.loads((Path(__file__).parent / "fixtures" / "issue22_numerics" / "old_outputs.json")
                 .read_text())
ADAPTER: TypeAdapter[Any] = TypeAdapter(Distribution)
EPS = np.finfo(float).eps


# --- the large-N ordered probit: statsmodels' OrderedModel ---------------------------------

@pytest.fixture(scope="module")
def sample() -> tuple[np.ndarray, np.ndarray]:
    x, y = record_like(OLD["record_like"]["seed"], OLD["record_like"]["n"])
    assert np.bincount(y).tolist() == OLD["record_like"]["outcomes"]
    return x, y


def test_the_probit_is_statsmodels_and_gives_the_old_estimates(
        sample: tuple[np.ndarray, np.ndarray]) -> None:
    """theta = (beta, c_1, log(c_2 - c_1)) is OrderedModel's own parametrisation: fit() returns
    OrderedModel's Newton optimum (the same to 1e-8 as its BFGS run to gtol 1e-10), its
    predictions are the module's equation, and it is the old BFGS fit's optimum: coefficients
    within 1e-6 (measured 5.6e-8), standard errors within 1e-5 relatively (measured 1.1e-7),
    log-likelihood within 1e-9 (the old BFGS stopped 7e-13 short)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    x, y = sample
    theta, cov, ll = rl.fit(x, y)
    old = OLD["record_like"]
    assert np.abs(theta - old["theta"]).max() < 1e-6
    assert np.abs(np.sqrt(np.diag(cov)) / old["se"] - 1.0).max() < 1e-5
    assert ll == pytest.approx(old["log_likelihood"], abs=1e-9)
    assert ll >= old["log_likelihood"] - 1e-12
    model = OrderedModel(y, x, distr="probit")
    tight = model.fit(method="bfgs", gtol=1e-10, maxiter=5000, disp=False)
    assert tight.mle_retvals["converged"]
    assert np.abs(np.asarray(tight.params) - theta).max() < 1e-8
    assert np.abs(np.asarray(model.predict(theta, exog=x)) - rl._probs(theta, x)).max() < 1e-12
    # the old fit stopped short of this optimum by more than the library's tolerance
    assert np.abs(np.asarray(tight.params) - old["theta"]).max() > 1e-8
    # the AUC of joining at all, scored by the fit: unchanged (to 2 ulp)
    p = rl._probs(theta, x)
    assert rl.auc(p[:, 1] + p[:, 2], y >= 1) == pytest.approx(old["auc"], abs=2 * EPS)
    # no standard errors asked: the same estimate, the covariance left empty
    theta2, cov2, _ = rl.fit(x, y, standard_errors=False)
    assert np.array_equal(theta2, theta) and np.isnan(cov2).all()


def test_a_record_the_probit_cannot_fit_is_refused_in_one_line(
        sample: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = sample
    for keep in (y < 2, y != 1, y > 0):  # each outcome missing in turn
        with pytest.raises(UsageError, match="needs each of the three outcomes") as e:
            rl.fit(x[keep], y[keep])
        assert "\n" not in str(e.value) and "alliancesim data import" in str(e.value)
    with pytest.raises(UsageError, match="more than 8 observations"):
        rl.fit(x[:6], np.array([0, 1, 2, 0, 1, 2]))


@pytest.mark.slow  # building the record from the fixture files: 2-5 s on a busy machine
def test_the_fixture_stores_record_is_refused_in_one_line(tmp_path: Path) -> None:
    """The fixture files' record (four allies, nobody joined with force): one line, no
    traceback (before: numpy.linalg.LinAlgError from the singular Hessian)."""
    from tests.test_datasets import FIX, FIXTURES, fixture_release

    from alliancesim import api
    from alliancesim.datasets.store import DataStore

    store = DataStore(tmp_path / "d.duckdb")
    for kind, _ in LARGE_N_FILES:
        store.import_file(kind, FIX / FIXTURES[kind][0], release=fixture_release(kind))
    with pytest.raises(UsageError, match="4 ally-dispute observations") as e:
        api.reliability_fit(data_store=store.path)
    assert "joined with force 0" in str(e.value) and "\n" not in str(e.value)


# --- AUC: scikit-learn's roc_auc_score --------------------------------------------------------

def test_auc_is_scikit_learns_and_the_old_mann_whitney() -> None:
    """Bit-equal to roc_auc_score; within 2 ulp of the old Mann-Whitney U / (n1 n0) (rank sums
    round differently from the trapezoids: the recorded cases differ by up to 1.1e-16)."""
    from sklearn.metrics import roc_auc_score

    differs = 0
    for case in OLD["auc"]:
        score, positive = np.array(case["score"]), np.array(case["positive"])
        got = rl.auc(score, positive)
        assert got == roc_auc_score(positive, score)
        assert abs(got - case["auc"]) <= 2 * EPS
        differs += got != case["auc"]
    assert differs > 0  # the cases do tell the two computations apart
    assert np.isnan(rl.auc(np.array([0.1, 0.2]), np.array([True, True])))
    assert np.isnan(rl.auc(np.array([0.1, 0.2]), np.array([False, False])))
    assert rl.auc(np.array([0.5, 0.5, 0.7]), np.array([0, 1, 1])) == 0.75  # 0/1 ints, a tie


# --- the fits' Hessian: statsmodels' approx_hess3 ---------------------------------------------

def test_the_hessian_is_statsmodels_approx_hess3_with_the_old_numbers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ridout's eq. 9, the formula the old loop wrote out: the same numbers, bit for bit."""
    import statsmodels.tools.numdiff as nd

    calls = []
    real = nd.approx_hess3

    def spy(*a: Any, **k: Any) -> Any:
        calls.append(k)
        return real(*a, **k)

    monkeypatch.setattr(nd, "approx_hess3", spy)
    old = OLD["hessian"]

    def f(t: np.ndarray) -> float:
        return float(np.sum(np.sin(t) * np.arange(1, t.size + 1)) + (t @ t) ** 2)

    H = numerics.hessian(f, np.array(old["at"]), old["h"])
    assert calls == [{"epsilon": old["h"]}]
    assert np.array_equal(H, np.array(old["value"]))


# --- distributions: frozen scipy.stats --------------------------------------------------------

CASES = [
    {"dist": "uniform", "low": 2000, "high": 10000},
    {"dist": "normal", "mean": -0.145, "sd": 0.174},
    {"dist": "lognormal", "median": 3000, "sigma": 0.5},
    {"dist": "lognormal", "median": 0.2, "sigma": 1.3},
    {"dist": "triangular", "low": 0, "mode": 2, "high": 13},
    {"dist": "triangular", "low": -2, "mode": -2, "high": 5},
    {"dist": "beta", "a": 2, "b": 5, "low": 10, "high": 30},
    {"dist": "beta", "a": 0.7, "b": 1.8},
]


def _closed_form(spec: dict[str, Any]) -> tuple[float, float, tuple[float, float]]:
    """Mean, standard deviation and support as the schema defines each distribution
    (scenario/distributions.py's docstring), written out independently of scipy."""
    d = spec["dist"]
    if d == "uniform":
        lo, hi = spec["low"], spec["high"]
        return (lo + hi) / 2, (hi - lo) / np.sqrt(12), (lo, hi)
    if d == "normal":
        return spec["mean"], spec["sd"], (-np.inf, np.inf)
    if d == "lognormal":  # log X ~ N(log median, sigma^2)
        m, s2 = spec["median"], spec["sigma"] ** 2
        return m * np.exp(s2 / 2), m * np.exp(s2 / 2) * np.sqrt(np.expm1(s2)), (0.0, np.inf)
    if d == "triangular":
        a, c, b = spec["low"], spec["mode"], spec["high"]
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return (a + b + c) / 3, np.sqrt(var), (a, b)
    a, b = spec["a"], spec["b"]  # low + (high - low) * Beta(a, b)
    lo, hi = spec.get("low", 0.0), spec.get("high", 1.0)
    var = a * b / ((a + b) ** 2 * (a + b + 1))
    return lo + (hi - lo) * a / (a + b), (hi - lo) * np.sqrt(var), (lo, hi)


@pytest.mark.parametrize("spec", CASES, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_scipys_parametrisation_is_the_schemas(spec: dict[str, Any]) -> None:
    """frozen() is the distribution the engine draws: its mean, standard deviation and support
    are the schema's closed forms, and numpy's draws (`sample`, what a run uses) pass a
    Kolmogorov-Smirnov test against its cdf (20,000 draws: a wrong scale, shape or location
    parameter moves the cdf by far more than the test's 1% critical distance, 0.0115)."""
    from scipy.stats import kstest

    dist = ADAPTER.validate_python(spec)
    frozen = dist.frozen()
    mean, sd, (lo, hi) = _closed_form(spec)
    assert frozen.mean() == pytest.approx(mean, rel=1e-12)
    assert dist.mean() == pytest.approx(mean, rel=1e-12)
    assert dist.std() == pytest.approx(sd, rel=1e-12)
    assert frozen.support() == pytest.approx((lo, hi))
    assert dist.support() == pytest.approx((lo, hi))
    draws = dist.sample(np.random.default_rng(2026), 20_000)
    assert kstest(draws, frozen.cdf).statistic < 0.0115
    if spec["dist"] == "lognormal":
        assert frozen.median() == pytest.approx(spec["median"], rel=1e-12)
        z = frozen.ppf(0.8413447460685429)  # Phi(1): one sigma above the median on the log scale
        assert np.log(z) == pytest.approx(np.log(spec["median"]) + spec["sigma"], rel=1e-9)
    if spec["dist"] == "triangular":
        grid = np.linspace(lo, hi, 2601)
        assert grid[np.argmax(frozen.pdf(grid))] == pytest.approx(spec["mode"], abs=0.01)
    if spec["dist"] == "beta":  # low + (high - low) * Beta(a, b): the cdf of the unit Beta
        from scipy.special import betainc

        q = lo + (hi - lo) * 0.3
        assert frozen.cdf(q) == pytest.approx(betainc(spec["a"], spec["b"], 0.3), rel=1e-12)


def test_every_recorded_distribution_gives_the_old_quantiles_and_mean() -> None:
    """The real inputs (every distribution in the bundled and example scenario, alliance,
    actor and case files) and the schema's examples: scipy's quantiles are the old ones bit
    for bit, the mean is unchanged, and interval(0.9) is the 5% and 95% quantiles."""
    u = np.array(OLD["u"])
    kinds = set()
    real = 0
    for rec in OLD["distributions"]:
        dist = ADAPTER.validate_python(rec["spec"])
        kinds.add(rec["spec"]["dist"])
        real += not rec["where"].startswith("scenario/")
        assert np.array_equal(dist.ppf(u), np.array(rec["ppf"], dtype=float)), rec["where"]
        assert dist.mean() == rec["mean"]
        lo, hi = dist.interval(0.9)
        assert (lo, hi) == pytest.approx((float(dist.ppf(np.array([0.05]))[0]),
                                          float(dist.ppf(np.array([0.95]))[0])), rel=1e-12)
    assert kinds == set(DIST_NAMES)
    assert real >= 15  # the bundled files' uniform, normal and triangular inputs


def test_a_fixed_value_has_no_scipy_distribution() -> None:
    fixed = Fixed(dist="fixed", value=3.0)
    with pytest.raises(TypeError, match=r"no scipy\.stats distribution"):
        fixed.frozen()
    assert fixed.std() == 0.0 and fixed.interval(0.9) == (3.0, 3.0)
    assert fixed.ppf(np.array([0.0, 0.5, 1.0])).tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(ValueError, match="confidence must lie in"):
        ADAPTER.validate_python(CASES[0]).interval(1.5)


def test_the_libraries_are_not_imported_until_needed() -> None:
    """Loading and compiling a scenario (what every run does: the distributions' means) and
    importing the modules that fit and score do not import scipy.stats, statsmodels or
    scikit-learn (start-up time, issue 22 item 6)."""
    code = ("import sys\n"
            "from alliancesim import api\n"
            "import alliancesim.experiments.reliability, alliancesim.experiments.numerics\n"
            "from alliancesim.scenario.compile import compile_crisis\n"
            "sc = api.load_scenario('examples/csto-two-thirds.yaml')\n"
            "compile_crisis(sc, 0)\n"
            "print(sorted(m for m in ('scipy.stats', 'statsmodels', 'sklearn')"
            " if m in sys.modules))\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True,
                         text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stderr


# --- the published large-N record --------------------------------------------------------------

@pytest.mark.slow
@needs_shared("datasets", "cow_mid", "MIDB_5.0.csv")
def test_the_published_record_gives_the_old_fit_and_held_out_scores(tmp_path: Path) -> None:
    """The member model on MID x ATOP x NMC x COW x UN ideal points (16,703 observations): the
    coefficients within 1e-6 of the old fit's (measured 1.3e-7), standard errors within 1e-5
    relatively (3.2e-6), log-likelihood within 1e-9 (the new optimum 6e-13 higher); held out
    by dispute and by decade, the AUCs bit-equal, the log and Brier scores within 1e-8. Closer
    to the optimum than the old fit: the log-likelihood's gradient (central differences) is
    below 2e-6 in every direction (measured 3.8e-7; the old fit's 8.5e-6)."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.numdiff import approx_fprime

    from alliancesim.datasets.allies import build_record
    from alliancesim.datasets.store import DataStore

    old = OLD["large_n_record"]
    s = DataStore(tmp_path / "d.duckdb")
    for kind, rel in LARGE_N_FILES:
        s.import_file(kind, SHARED / rel)
    rec = build_record(s)
    assert rec.y.size == old["observations"]
    theta, cov, ll = rl.fit(rec.x, rec.y)
    assert np.abs(theta - old["theta"]).max() < 1e-6
    assert np.abs(np.sqrt(np.diag(cov)) / old["se"] - 1.0).max() < 1e-5
    assert ll == pytest.approx(old["log_likelihood"], abs=1e-9)
    loglike = OrderedModel(rec.y, rec.x, distr="probit").loglike
    assert np.abs(approx_fprime(theta, loglike, centered=True)).max() < 2e-6
    for (name, value, se), (oname, ovalue, ose) in zip(rl.estimates(theta, cov),
                                                       old["estimates"], strict=True):
        assert name == oname and abs(value - ovalue) < 1e-6 and se == pytest.approx(ose,
                                                                                   rel=1e-5)
    for scheme, folds in (("dispute", rl.dispute_folds(rec)), ("decade", rl.decade_folds(rec))):
        for forecast, sc in rl.cross_validate(rec, folds).items():
            o = old["held_out"][scheme][forecast]
            assert sc.auc == o["auc"]
            assert sc.log_score == pytest.approx(o["log_score"], abs=1e-8)
            assert sc.brier == pytest.approx(o["brier"], abs=1e-8)
