"""The member model on the large-N record: an ordered probit of an ally's highest action.

    s = x . beta + eps,  eps ~ N(0, 1);   y = 0 if s <= c_1,  1 if c_1 < s <= c_2,  2 if s > c_2

fitted by maximum likelihood (no prior: the data are many) on the ally-dispute record of
datasets/allies.py with statsmodels' OrderedModel (distr="probit", Newton's method), whose
parameters are this module's theta = (beta, c_1, log(c_2 - c_1)); standard errors from the
inverse of its numerical Hessian. Held-out scores, against the
training base rate: 5-fold cross-validation by dispute (whole disputes held out, folds fixed by
the dispute number) and leave-one-decade-out; each reports the mean log score, the Brier score
(three outcomes) and the AUC of P(y >= 1) for taking part at all. Deterministic.

The headline fulfilment rates of the reliability literature are computed from the published
codings beside it: Leeds, Long & Mitchell's codings and Berkemeier & Fuhrmann's recodings (the
BF 2018 replication file: honoured / (honoured + violated)), and Leeds & Anac 2005.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from alliancesim.datasets.allies import FEATURES, AllyRecord, CaseAllies
from alliancesim.datasets.store import DataStore
from alliancesim.scenario.errors import UsageError

FLOOR = 1e-12
OUTCOMES = ("did not join", "joined without force", "joined with force")  # y = 0, 1, 2


def _probs(theta: np.ndarray, x: np.ndarray) -> np.ndarray:
    """P(y = 0), P(y = 1), P(y = 2) per row of x (n, k), by the module's equation."""
    k = x.shape[1]
    mu = x @ theta[:k]
    c1, c2 = theta[k], theta[k] + np.exp(theta[k + 1])
    p0, p01 = ndtr(c1 - mu), ndtr(c2 - mu)
    return np.stack([p0, p01 - p0, 1.0 - p01], axis=1)


def _check_fittable(x: np.ndarray, y: np.ndarray) -> None:
    """Refuse a record the ordered probit cannot be fitted to, in one line: every outcome must
    be observed (else a cut-point runs off to infinity), with more observations than
    parameters."""
    counts = np.bincount(y, minlength=3) if y.size else np.zeros(3, dtype=int)
    k = x.shape[1] + 2
    if counts.size != 3 or (counts == 0).any() or y.size <= k:
        seen = ", ".join(f"{n} {c:,}" for n, c in zip(OUTCOMES, counts, strict=False))
        raise UsageError(
            f"the large-N record has {y.size:,} ally-dispute observations ({seen}): the ordered "
            f"probit needs each of the three outcomes observed and more than {k} observations; "
            "import MID participants, ATOP dyads, members and alliances, NMC, COW majors and "
            "the UN ideal points (alliancesim data import) over the years 1946-2014")


def fit(x: np.ndarray, y: np.ndarray, standard_errors: bool = True
        ) -> tuple[np.ndarray, np.ndarray, float]:
    """theta (beta, c_1, log(c_2 - c_1)), its covariance, the log-likelihood.

    x: (n, k) features without a constant (the cut-points take its place); y: (n,) outcomes
    0, 1, 2, each observed. By statsmodels' OrderedModel (Newton's method from its own start;
    its threshold parameters are c_1 and log(c_2 - c_1), as here). Before issue 22 this was a
    hand-written likelihood under scipy's BFGS (gtol 1e-7) with a finite-difference Hessian:
    on the published record (16,703 observations) the coefficients agree to 1.4e-7, the
    standard errors to 3.3e-6 relatively and the log-likelihoods to 1e-12 (the old BFGS had
    stopped that short of the optimum; tests/test_issue22_numerics.py).
    Raises UsageError for a record without one of the outcomes or with too few rows, or when
    Newton's method does not converge.
    """
    import warnings

    from statsmodels.miscmodels.ordinal_model import OrderedModel

    _check_fittable(x, y)
    model = OrderedModel(y, x, distr="probit")
    with warnings.catch_warnings():
        # a step that leaves the support warns (log of a tiny probability); the result's
        # convergence flag is what counts
        warnings.simplefilter("ignore", RuntimeWarning)
        res = model.fit(method="newton", maxiter=100, disp=False)
    if not res.mle_retvals.get("converged", False):
        raise UsageError(f"the ordered probit on the large-N record ({y.size:,} observations) "
                         "did not converge in 100 Newton steps; a feature may separate the "
                         "outcomes perfectly")
    theta = np.asarray(res.params, dtype=float)
    k = x.shape[1] + 2
    cov = np.asarray(res.cov_params(), dtype=float) if standard_errors else np.full((k, k),
                                                                                    np.nan)
    return theta, cov, float(res.llf)


def auc(score: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve of `score` for the 0/1 outcome `positive` (ties count one
    half): scikit-learn's roc_auc_score; NaN when only one outcome occurs (no pair to rank).
    The same as the Mann-Whitney statistic U / (n_1 n_0) it replaces (issue 22), to within
    2.3e-16 (rounding; bit-equal on the record's held-out forecasts)."""
    from sklearn.metrics import roc_auc_score

    positive = np.asarray(positive, dtype=bool)
    pos, n = int(positive.sum()), positive.size
    if pos == 0 or pos == n:
        return float("nan")
    return float(roc_auc_score(positive, score))


@dataclass(frozen=True)
class Scores:
    log_score: float
    brier: float
    auc: float


def _score(p: np.ndarray, y: np.ndarray) -> Scores:
    onehot = np.eye(3)[y]
    return Scores(float(np.log(np.maximum(p[np.arange(y.size), y], FLOOR)).mean()),
                  float(((p - onehot) ** 2).sum(axis=1).mean()),
                  auc(p[:, 1] + p[:, 2], y >= 1))


def cross_validate(rec: AllyRecord, folds: np.ndarray,
                   progress: Callable[[int, int], None] | None = None) -> dict[str, Scores]:
    """Held-out scores of the model and of the training base rate over the given folds;
    progress(k, n) as the k-th of n folds starts."""
    p_model = np.zeros((rec.y.size, 3))
    p_base = np.zeros((rec.y.size, 3))
    names = np.unique(folds)
    for k, f in enumerate(names, 1):
        if progress:
            progress(k, names.size)
        test = folds == f
        theta, _, _ = fit(rec.x[~test], rec.y[~test], standard_errors=False)
        p_model[test] = _probs(theta, rec.x[test])
        base = (np.bincount(rec.y[~test], minlength=3) + 0.5) / ((~test).sum() + 1.5)
        p_base[test] = base
    base_scores = _score(p_base, rec.y)
    # a constant forecast ranks nothing: its AUC is 1/2 by definition (pooled over folds with
    # different constants it would measure the folds, not the forecast)
    return {"model": _score(p_model, rec.y),
            "base rate": Scores(base_scores.log_score, base_scores.brier, 0.5)}


def dispute_folds(rec: AllyRecord, k: int = 5) -> np.ndarray:
    return (rec.dispute * 2654435761 % 2**32) % k


def decade_folds(rec: AllyRecord) -> np.ndarray:
    return rec.year // 10 * 10


def estimates(theta: np.ndarray, cov: np.ndarray) -> list[tuple[str, float, float]]:
    k = len(FEATURES)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    out = [(f, float(theta[i]), float(se[i])) for i, f in enumerate(FEATURES)]
    gap = float(np.exp(theta[k + 1]))
    out.append(("cutpoint.1", float(theta[k]), float(se[k])))
    # c_2 = c_1 + exp(g): delta method
    se2 = float(np.sqrt(max(cov[k, k] + gap**2 * cov[k + 1, k + 1]
                            + 2 * gap * cov[k, k + 1], 0.0)))
    out.append(("cutpoint.2", float(theta[k]) + gap, se2))
    return out


FULFILMENT_KINDS = ("reliability-bf2018", "reliability-leeds-anac")  # what fulfilment reads


def fulfilment(store: DataStore) -> list[tuple[str, float, int]]:
    """The literature's headline fulfilment rates, from the published codings: (what, rate, n)."""
    out: list[tuple[str, float, int]] = []
    have = {i.kind for i in store.imported()}
    if "reliability-bf2018" in have:
        for label, cond in (("Leeds, Long & Mitchell codings, LLM's sample (1816-1944)",
                             "sample = 1"),
                            ("Leeds, Long & Mitchell codings, Berkemeier & Fuhrmann's sample",
                             "sample IS NOT NULL")):
            h, v = store.query(f"SELECT count(honorllm), count(violatellm) FROM "
                               f"reliability_bf2018 WHERE {cond}")[0]
            out.append((label, h / (h + v), int(h + v)))
        for label, cond in (("Berkemeier & Fuhrmann recodings, LLM's sample", "sample = 1"),
                            ("Berkemeier & Fuhrmann recodings, their whole sample",
                             "sample IS NOT NULL")):
            h, v = store.query(f"SELECT count(honorbf), count(violatebf) FROM "
                               f"reliability_bf2018 WHERE {cond}")[0]
            out.append((label, h / (h + v), int(h + v)))
    if "reliability-leeds-anac" in have:
        n, h = store.query("SELECT count(*), sum(honor3) FROM reliability_leeds_anac")[0]
        out.append(("Leeds & Anac 2005 (member-war, honor3)", float(h) / n, int(n)))
    return out


@dataclass(frozen=True)
class CaseForecast:
    case_id: str
    allies: int
    joined: bool
    probs: dict[str, float]  # forecast -> P(some ally joins at all)


CASE_FORECASTS = ("model", "base rate per ally", "base rate per dispute")


def score_cases(theta: np.ndarray, rec: AllyRecord, cases: list[CaseAllies]
                ) -> list[CaseForecast]:
    """The bundled cases forecast by the frozen large-N model fitted on the whole record (which
    excludes them): P(some ally joins at all) = 1 - prod_i P(y_i = 0), beside two base rates
    from the same record: the share of allies that joined, p, as 1 - (1 - p)^A for A allies,
    and the share of (dispute, target) pairs in which any ally joined."""
    p_ally = float((rec.y >= 1).mean())
    pairs: dict[tuple[int, int], bool] = {}
    for d, t, y in zip(rec.dispute, rec.target, rec.y, strict=True):
        pairs[(int(d), int(t))] = pairs.get((int(d), int(t)), False) or bool(y >= 1)
    p_dispute = float(np.mean(list(pairs.values())))
    out = []
    for c in cases:
        p0 = _probs(theta, c.x)[:, 0] if c.x.size else np.ones(0)
        out.append(CaseForecast(c.case_id, len(c.allies), c.joined, {
            "model": float(1.0 - np.prod(p0)),
            "base rate per ally": float(1.0 - (1.0 - p_ally) ** len(c.allies)),
            "base rate per dispute": p_dispute}))
    return out


def case_scores(forecasts: list[CaseForecast]) -> dict[str, tuple[float, float]]:
    """forecast -> (mean log score, mean Brier score) of the binary outcome."""
    out = {}
    for name in CASE_FORECASTS:
        p = np.array([f.probs[name] for f in forecasts])
        o = np.array([f.joined for f in forecasts], dtype=float)
        q = np.where(o == 1.0, p, 1.0 - p)
        out[name] = (float(np.log(np.maximum(q, FLOOR)).mean()), float(((p - o) ** 2).mean()))
    return out
