"""What a forecast's headlines are worth: bands from parameter uncertainty, and the benchmark.

**Parameter bands.** Under parameter uncertainty (parameters.uncertainty: posterior) every group
of engine.GROUP trials shares one draw of the council's and the request stage's parameters from
the calibration's posterior. A headline's share p_g in group g then varies for two reasons: the
parameters, and the group's own Monte Carlo noise (binomial, p(1-p)/n_g). The band removes the
second by the method of moments:

    var_between = sum_g n_g (p_g - p)^2 / N,     var_mc = sum_g p_g (1 - p_g) / N,
    var_param   = max(var_between - var_mc, 0),  k = sqrt(var_param / var_between),

shrinks each group's share toward the overall share p by k (p + k (p_g - p)), and reports the
5 % and 95 % quantiles of the shrunk shares (groups of at least half the group size). With
fewer than MIN_GROUPS groups there is no band (run more trials: 10 groups = 1,280 trials).

**Monte Carlo error under parameter uncertainty.** The trials of one group share their
parameters, so they are not independent draws of the posterior predictive: the standard error
of a headline's share is the cluster (between-group) one,

    se = sqrt( G / (G - 1) * sum_g n_g^2 (p_g - p)^2 ) / N,

which `cluster_se` gives and the summary reports instead of the binomial sqrt(p (1 - p) / N).

**The benchmark.** Beside each forecast the summary gives the strongest simple baseline of the
hindcast (docs/validation.md): the frequency of each rung among the bundled cases that made the
same request (add-one-half smoothing over the rungs the request allows), mixed over the
crisis's simulated request distribution.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from alliancesim.cases import load_cases
from alliancesim.model.request import REQUEST_CAP
from alliancesim.scenario.compile import REQUEST_LEVELS
from alliancesim.scenario.schema import RUNGS

MIN_GROUPS = 10
LEVEL = 0.9
HEADLINES = (*RUNGS, "troops sent", "acts without the alliance", "repelled")


def band(k: np.ndarray, n: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The parameter band of a share with counts k out of n per group (see the module doc)."""
    N = float(n.sum())
    p = float(k.sum()) / N
    share = k / n
    var_between = float((n * (share - p) ** 2).sum()) / N
    var_mc = float((share * (1 - share)).sum()) / N
    if var_between <= 0.0:
        return (p, p)
    shrink = np.sqrt(max(var_between - var_mc, 0.0) / var_between)
    keep = n >= n.max() / 2
    shrunk = p + shrink * (share[keep] - p)
    tail = (1.0 - level) / 2.0
    return (float(np.quantile(shrunk, tail)), float(np.quantile(shrunk, 1.0 - tail)))


def cluster_se(k: np.ndarray, n: np.ndarray) -> float:
    """The standard error of a share whose trials come in groups sharing their parameters."""
    G = k.size
    if G < 2:
        return float("nan")
    N = float(n.sum())
    p = float(k.sum()) / N
    return float(np.sqrt(G / (G - 1) * float((n**2 * (k / n - p) ** 2).sum())) / N)


def response_se(groups: np.ndarray) -> dict[str, float] | None:
    """The cluster standard errors of the rung shares (None without groups)."""
    if groups.shape[0] < 2:
        return None
    n = groups[:, 0].astype(float)
    return {rung: cluster_se(groups[:, 1 + j].astype(float), n) for j, rung in enumerate(RUNGS)}


def headline_bands(groups: np.ndarray) -> dict[str, tuple[float, float]] | None:
    """Bands of every headline from the tally's group counts (None without enough groups)."""
    if groups.shape[0] < MIN_GROUPS:
        return None
    n = groups[:, 0].astype(float)
    return {name: band(groups[:, 1 + j].astype(float), n) for j, name in enumerate(HEADLINES)}


@cache
def _rates() -> tuple[tuple[float, ...], ...]:
    """P(rung | request level) from the bundled cases (smoothed over the allowed rungs)."""
    cases = load_cases()
    out = []
    for level, name in enumerate(REQUEST_LEVELS):
        allowed = np.arange(5) <= REQUEST_CAP[level]
        counts = np.bincount([c.observed_rung for c in cases if c.crisis.request == name],
                             minlength=5).astype(float)
        p = np.where(allowed, counts + 0.5, 0.0)
        out.append(tuple(float(x) for x in p / p.sum()))
    return tuple(out)


def request_base_rate(request: dict[str, float]) -> dict[str, float]:
    """The benchmark forecast of the collective rung for a request distribution."""
    rates = np.asarray(_rates())
    w = np.array([request[name] for name in REQUEST_LEVELS])
    mix = w @ rates
    return {rung: float(p) for rung, p in zip(RUNGS, mix, strict=True)}
