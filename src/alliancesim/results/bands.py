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

**The benchmark.** Beside each forecast the summary gives the base rate of the alliance's own
record: the frequency of each rung among the bundled cases of the same alliance that made the
same request (add-one-half smoothing over the rungs the request allows: the hindcast's request
base rate), or, where the alliance has no case with that request, of every case with it
(pooled, and labelled so). The figures are computed from the cases by experiments/benchmark.py
and kept in data/base_rates.yaml (scripts/make_base_rates.py writes it; a test recomputes it),
so that a run does not load and compile the cases; beside them, the request stage's held-out
log score.
"""

from __future__ import annotations

import re
from functools import cache
from statistics import NormalDist
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel

from alliancesim.data import bundled
from alliancesim.results.groups import GroupCounts, weighted_quantile
from alliancesim.scenario.compile import REQUEST_LEVELS
from alliancesim.scenario.schema import RUNGS, Alliance

MIN_GROUPS = 10
LEVEL = 0.9
HEADLINES = (*RUNGS, "troops sent", "acts without the alliance", "repelled", "lost")
OUTCOMES = ("repelled", "contained", "lost")  # with the alliance (model/engagement.py)


def band(k: np.ndarray, n: np.ndarray, level: float = LEVEL, w: np.ndarray | None = None
         ) -> tuple[float, float]:
    """The parameter band of a share with counts k out of n per group (see the module doc);
    w: how many groups have each (k, n) (results/groups.py; one each when None)."""
    w = np.ones_like(n) if w is None else w
    N = float((w * n).sum())
    p = float((w * k).sum()) / N
    share = k / n
    var_between = float((w * n * (share - p) ** 2).sum()) / N
    var_mc = float((w * share * (1 - share)).sum()) / N
    if var_between <= 0.0:
        return (p, p)
    shrink = np.sqrt(max(var_between - var_mc, 0.0) / var_between)
    keep = n >= n[w > 0].max() / 2
    shrunk = p + shrink * (share[keep] - p)
    tail = (1.0 - level) / 2.0
    return (weighted_quantile(shrunk, w[keep], tail),
            weighted_quantile(shrunk, w[keep], 1.0 - tail))


def cluster_se(k: np.ndarray, n: np.ndarray, w: np.ndarray | None = None) -> float:
    """The standard error of a share whose trials come in groups sharing their parameters;
    w: how many groups have each (k, n) (one each when None)."""
    w = np.ones_like(n) if w is None else w
    G = float(w.sum())
    if G < 2:
        return float("nan")
    N = float((w * n).sum())
    p = float((w * k).sum()) / N
    return float(np.sqrt(G / (G - 1) * float((w * n**2 * (k / n - p) ** 2).sum())) / N)


def response_se(groups: GroupCounts) -> dict[str, float] | None:
    """The cluster standard errors of the rung shares (None without groups)."""
    if groups.count < 2:
        return None
    return {rung: cluster_se(*groups.counts(rung)) for rung in RUNGS}


def headline_bands(groups: GroupCounts) -> dict[str, tuple[float, float]] | None:
    """Bands of every headline from the tally's group counts (None without enough groups)."""
    if groups.count < MIN_GROUPS:
        return None
    out = {}
    for name in (*HEADLINES, "contained"):
        k, n, w = groups.counts(name)
        out[name] = band(k, n, w=w)
    return out


def outcome_se(groups: GroupCounts) -> dict[str, float] | None:
    """The cluster standard errors of the endings with the alliance (None without groups)."""
    if groups.count < 2:
        return None
    return {name: cluster_se(*groups.counts(name)) for name in OUTCOMES}


def troops_se(n: int, sums: np.ndarray, squares: np.ndarray, by_group: np.ndarray,
              groups: GroupCounts) -> np.ndarray:
    """The standard error of each member's expected troops (all trials, zeros included), (M,).
    Trials sharing a parameter draw: the cluster one, as cluster_se, from the group sums the
    tally keeps (results/tally.py: sum_g (S_g - n_g m)^2 = sum S_g^2 - 2 m sum n_g S_g
    + m^2 sum n_g^2); independent trials: sqrt(s^2 / n), s^2 the sample variance."""
    m = sums / n
    G = groups.count
    if G >= 2:
        ng2 = groups.sum_n2()
        spread = np.maximum(by_group[1] - 2 * m * by_group[2] + m * m * ng2, 0.0)
        return np.asarray(np.sqrt(G / (G - 1) * spread) / n)
    if n < 2:
        return np.full(sums.shape, np.nan)
    var = np.maximum(squares / n - m * m, 0.0) * n / (n - 1)
    return np.asarray(np.sqrt(var / n))


def troops_band(n: int, sums: np.ndarray, by_group: np.ndarray, groups: GroupCounts,
                level: float = LEVEL) -> list[tuple[float, float]] | None:
    """Each member's parameter band of its expected troops (None with fewer than MIN_GROUPS
    groups): the between-group variance of the group means less its Monte Carlo part (the
    mean within-group variance over the group sizes), as `band` does for shares,

        var_between = sum_g n_g (m_g - m)^2 / N,   var_mc = sum_g s_g^2 / N,

    from the group sums alone (the tally keeps no per-group row for a member, so memory stays
    bounded): a normal band m ± z sqrt(var_between - var_mc), cut at zero, where `band` takes
    the quantiles of the shrunk group shares."""
    if groups.count < MIN_GROUPS:
        return None
    m = sums / n
    z = NormalDist().inv_cdf(0.5 + level / 2)  # the standard library's: scipy.stats costs 0.7 s
    var_between = (by_group[0] - 2 * m * sums + m * m * n) / n
    var_mc = (by_group[3] - by_group[4]) / n
    sd = np.sqrt(np.maximum(var_between - var_mc, 0.0))
    return [(float(max(mi - z * si, 0.0)), float(mi + z * si)) for mi, si in zip(m, sd,
                                                                              strict=True)]


class BaseRate(BaseModel):
    """The benchmark beside a forecast: how often the bundled cases with the same request got
    each response (add-one-half smoothing over the rungs the request allows; the hindcast's
    request base rate, experiments/hindcast.py). The alliance's own cases where it has some with
    this request, else every case with it (pooled)."""

    request: str  # none, consultations, military
    alliance: str  # whose record: the alliance's short name, or "" when pooled over all cases
    cases: int  # the cases it counts
    response: dict[str, float]
    label: str  # e.g. "CSTO's 3 cases asking for military help"


class RequestStageScore(BaseModel):
    """How well the fitted request stage foresees requests: leave-one-out log score per case
    on the bundled cases (experiments/request_fit.py), against two forecasts without a model."""

    cases: int
    fitted: float  # the request stage, refitted without the held-out case
    uniform: float  # a third for each level: log(1/3)
    frequency: float  # the other cases' frequency of each request (smoothed)


class HeldOut(BaseModel):
    """The hindcast's leave-one-out comparison of the model with the best baseline that knows
    the alliance (docs/validation.md), mean log score per case."""

    cases: int
    model: float
    baseline: str  # e.g. "alliance grants"
    baseline_score: float
    difference: float  # model - baseline
    low: float  # 90% paired-bootstrap interval of the difference
    high: float


class Benchmark(BaseModel):
    """What a run is measured against: the base rates of its alliance by request level, and
    the request stage's held-out score (from data/base_rates.yaml, which experiments/benchmark.py
    writes)."""

    base_rates: dict[str, BaseRate]  # request level -> base rate
    request_stage: RequestStageScore | None = None
    held_out: HeldOut | None = None


ASKING = {"none": "making no request", "consultations": "asking for consultations",
          "military": "asking for military help", "material": "asking for material help"}
POOLED = "all"  # the key of every alliance's cases together in data/base_rates.yaml


@cache
def _record() -> dict[str, Any]:
    with bundled.BASE_RATES.open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def short_name(alliance: Alliance) -> str:
    """'CSTO' from 'Collective Security Treaty Organization (CSTO)'; else the name."""
    m = re.search(r"\(([^()]+)\)\s*$", alliance.name)
    return m.group(1) if m else alliance.name or alliance.id


def _cases(n: int) -> str:
    return f"{n} case{'s' if n != 1 else ''}"


def benchmark(alliance: Alliance) -> Benchmark:
    """The alliance's base rates by request level (its own cases where it has some with that
    request, else every case with it) and the request stage's held-out score."""
    record = _record()
    name = short_name(alliance)
    rates = {}
    for level in REQUEST_LEVELS:
        by = record["base_rates"].get(level)
        if not by:  # no case in the record made this request (material help, so far)
            continue
        own = alliance.id != POOLED and alliance.id in by
        r = by[alliance.id] if own else by[POOLED]
        label = (f"{name}'s {_cases(r['cases'])} {ASKING[level]}" if own else
                 f"pooled: all {_cases(r['cases'])} {ASKING[level]} ({name} has none)")
        rates[level] = BaseRate(request=level, alliance=name if own else "", cases=r["cases"],
                                response=dict(zip(RUNGS, r["response"], strict=True)),
                                label=label)
    return Benchmark(base_rates=rates,
                     request_stage=RequestStageScore(**record["request_stage"]),
                     held_out=HeldOut(**record["held_out"]) if "held_out" in record else None)


def held_out() -> HeldOut | None:
    """The hindcast's held-out comparison of the model with the best baseline that knows the
    alliance, as data/base_rates.yaml records it: the one source of what the reports and the
    README say of it (scripts/doc_numbers.py)."""
    record = _record()
    return HeldOut(**record["held_out"]) if "held_out" in record else None
