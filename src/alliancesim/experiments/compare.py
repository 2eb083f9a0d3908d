"""Compare scenario variants with common random numbers.

Every variant is simulated with the same seed and number of trials; a crisis keeps its id, so
each of its random streams (engine.py: one per quantity, noise term and member) draws the same
numbers in every variant. For a headline event E (military help, ...) and trial t the paired
difference is d_t = 1[E in variant, t] - 1[E in base, t], reported as mean(d) with the standard
error sd(d) / sqrt(n); beside it, the standard error two independent runs would have,
sqrt(p_v (1 - p_v) / n + p_b (1 - p_b) / n). Where the variants differ in one input, most
trials are decided the same way in both and the paired error is far smaller.

Streaming (issue 21): the variants are run side by side, chunk by chunk of trials (one backend
task runs one chunk of one crisis under the base and every variant), and each chunk is reduced
at once to counts, so memory does not grow with the number of trials. The counts are
sufficient: per variant and headline, n_10 (the event in the variant only) and n_01 (in the
base only), beside each run's own count of the event. With n trials, D = n_10 - n_01 and
S = n_10 + n_01 (the sum of d_t^2, as d_t is -1, 0 or 1):
mean(d) = D / n, and sum (d_t - mean)^2 = S - D^2 / n, so
sd(d)^2 = (n S - D^2) / (n (n - 1)), computed in exact integers and rounded once.

Common parameter draws (issue 22): under parameter uncertainty (parameters.uncertainty:
posterior, the default of api.compare and `alliancesim compare`) every group of engine.GROUP
trials takes one stored draw of the calibration's posterior, chosen by the crisis's own
'parameters' stream (engine.parameter_draws: keyed by seed, crisis id and block, never by the
variant's content), and laid around each variant's own values: the base and every variant
take the same draw for the same group, so a paired difference is under common parameter draws
as well as common random numbers (a variant equal to its base differs by exactly 0). The
trials of a group are then not independent, and each difference has two parts, reported apart:

- the Monte Carlo part, se_paired: the cluster standard error over the G groups (results/
  bands.py, cluster_se), sqrt(G / (G - 1) sum_g (D_g - n_g mean(d))^2) / n, with D_g the
  group's sum of d_t (the same for each run's own probability, value_se);
- the parameter part: how the difference moves over the draws. With d_g = D_g / n_g the group's
  mean, var_between = sum_g n_g (d_g - mean(d))^2 / n and var_mc = sum_g s_g^2 / n (s_g^2 =
  S_g / n_g - d_g^2, the group's own variance of d_t: its Monte Carlo noise), var_param =
  max(var_between - var_mc, 0) (the method of moments, as bands.py for a run's headlines);
  parameter_sd = sqrt(var_param), and parameter_band the 5% and 95% quantiles of the group
  means shrunk toward mean(d) by sqrt(var_param / var_between), over the groups of at least
  half a group's trials (none with fewer than bands.MIN_GROUPS groups).

These sums need per group only D_g (S_g enters summed), and a full group's D_g is one of
2 GROUP + 1 integers: each chunk reduces to a histogram of the full groups' D_g (and of each
run's event counts per group) and the one partial group at the end, so memory stays bounded
(the quantiles are read off the histogram exactly as numpy's linear quantile of the list).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from alliancesim._version import __version__
from alliancesim.backends import Backend, make_backend
from alliancesim.engine import GROUP, chunks, default_chunk, run_chunk
from alliancesim.results.bands import LEVEL, MIN_GROUPS
from alliancesim.results.comparison import ComparisonReport, CrisisComparison, Difference
from alliancesim.results.ensemble import MAX_CHUNK
from alliancesim.results.headlines import TRIAL_HEADLINES as HEADLINES
from alliancesim.results.reach import beyond_record
from alliancesim.scenario.compile import CompiledCrisis, compile_crisis
from alliancesim.scenario.errors import UsageError
from alliancesim.scenario.schema import Scenario

# the counts a chunk reduces to, per run (the base first, then each variant having the crisis)
# and headline: [events, in this run only, in the base only] (for the base: [events, 0, 0])
COUNTS = 3


# a chunk's reduction under parameter uncertainty, per run and headline: histograms of the full
# groups' event counts (0..GROUP) and paired sums D_g (-GROUP..GROUP; zero for the base), and
# the partial group at the end of the trials: [trials, events, D, S]
TAIL = 4


@dataclass(frozen=True)
class PairCounts:
    """What one chunk reduces to (PairTask); added chunk by chunk."""

    counts: np.ndarray  # (runs, headlines, COUNTS)
    events: np.ndarray | None = None  # (runs, headlines, GROUP + 1): full groups by events
    paired: np.ndarray | None = None  # (runs, headlines, 2 GROUP + 1): full groups by D_g
    tail: np.ndarray | None = None  # (runs, headlines, TAIL)

    def __add__(self, other: PairCounts) -> PairCounts:
        def add(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
            return None if a is None or b is None else a + b

        return PairCounts(self.counts + other.counts, add(self.events, other.events),
                          add(self.paired, other.paired), add(self.tail, other.tail))


@dataclass(frozen=True)
class PairTask:
    """One chunk (blocks [first_block, stop_block)) of one crisis under the base and the
    variants that have it: run each in turn in the same process and reduce to counts
    (picklable; a backend maps any zero-argument task in order, backends/base.py).

    Returns PairCounts: per run and headline, the trials with the event, those with it in that
    run and not in the base (n_10), and those with it in the base and not in that run (n_01);
    with `grouped` (parameter uncertainty), also the per-group histograms (module docstring).
    Only the base's indicators are held while the variants run: a chunk's worth of booleans
    per headline."""

    models: tuple[CompiledCrisis, ...]  # the base's crisis first
    seed: int
    first_block: int
    stop_block: int
    trials: int
    grouped: bool = False

    def __call__(self) -> PairCounts:
        runs, heads = len(self.models), len(HEADLINES)
        out = np.zeros((runs, heads, COUNTS), dtype=np.int64)
        events = np.zeros((runs, heads, GROUP + 1), dtype=np.int64) if self.grouped else None
        paired = (np.zeros((runs, heads, 2 * GROUP + 1), dtype=np.int64) if self.grouped
                  else None)
        tail = np.zeros((runs, heads, TAIL), dtype=np.int64) if self.grouped else None
        base: list[np.ndarray] = []
        for k, model in enumerate(self.models):
            r = run_chunk(model, self.seed, self.first_block, self.stop_block, self.trials,
                          keep_trials=True).results
            assert r is not None
            for j, f in enumerate(HEADLINES.values()):
                x = np.asarray(f(r), dtype=bool)
                out[k, j, 0] = np.count_nonzero(x)
                if k == 0:
                    base.append(x)
                else:
                    out[k, j, 1] = np.count_nonzero(x & ~base[j])
                    out[k, j, 2] = np.count_nonzero(base[j] & ~x)
                if events is not None and paired is not None and tail is not None:
                    # a chunk starts on a block, a block on a group: group g = trials
                    # [g GROUP, (g + 1) GROUP) of the chunk; only the last chunk ends short
                    full = x.size // GROUP * GROUP
                    d = x.astype(np.int64) - base[j].astype(np.int64)
                    events[k, j] = np.bincount(x[:full].reshape(-1, GROUP).sum(axis=1),
                                               minlength=GROUP + 1)
                    paired[k, j] = np.bincount(d[:full].reshape(-1, GROUP).sum(axis=1) + GROUP,
                                               minlength=2 * GROUP + 1)
                    rest = d[full:]
                    tail[k, j] = (rest.size, np.count_nonzero(x[full:]), rest.sum(),
                                  np.count_nonzero(rest))
        return PairCounts(out, events, paired, tail)


@dataclass(frozen=True)
class Split:
    """A mean over groups of trials, its Monte Carlo standard error and its parameter part."""

    mean: float
    se: float  # the cluster standard error (0 with one group: none to measure it by)
    band: tuple[float, float] | None  # the central LEVEL of the group means, noise taken out
    sd: float  # sqrt(var_param)
    groups: int


def hist_quantile(values: np.ndarray, count: np.ndarray, q: float) -> float:
    """np.quantile(np.repeat(values, count), q) (the linear method) without the repeat:
    values sorted ascending, count the number of each."""
    cum = np.cumsum(count)
    h = (int(cum[-1]) - 1) * q
    i = int(np.floor(h))
    lo = float(values[int(np.searchsorted(cum, i, side="right"))])
    if h == i:
        return lo
    hi = float(values[int(np.searchsorted(cum, i + 1, side="right"))])
    return lo + (h - i) * (hi - lo)


def split(sums: np.ndarray, tail: tuple[int, int], within: float,
          low: int = 0) -> Split:
    """The two parts of a mean over groups (module docstring). sums: the histogram of the full
    groups' sums (index i: sum low + i over GROUP trials); tail: the partial group's (trials,
    sum) (trials 0: none); within: sum over the groups of each group's own
    variance of a trial's value (s_g^2)."""
    sizes = np.nonzero(sums)[0]
    count = sums[sizes].astype(float)
    x = (sizes + low) / GROUP  # the full groups' means
    tn, ts = tail
    n_total = float(count.sum()) * GROUP + tn
    mean = (float((count * x).sum()) * GROUP + ts) / n_total
    tx = ts / tn if tn else 0.0
    groups = int(count.sum()) + (1 if tn else 0)
    dev2 = float((count * (x - mean) ** 2).sum())
    between = (dev2 * GROUP + (tn * (tx - mean) ** 2 if tn else 0.0)) / n_total
    cluster = dev2 * GROUP**2 + (tn**2 * (tx - mean) ** 2 if tn else 0.0)
    se = float(np.sqrt(groups / (groups - 1) * cluster) / n_total) if groups > 1 else 0.0
    var_param = max(between - within / n_total, 0.0)
    band = None
    if groups >= MIN_GROUPS:
        if between <= 0.0:
            band = (mean, mean)
        else:
            shrink = float(np.sqrt(var_param / between))
            vals, cnt = x, count
            if tn and (tn >= GROUP / 2 or count.sum() == 0):  # bands.band: n_g >= max n_g / 2
                at = int(np.searchsorted(vals, tx))
                vals, cnt = np.insert(vals, at, tx), np.insert(cnt, at, 1.0)
            tail_q = (1.0 - LEVEL) / 2.0
            band = (mean + shrink * (hist_quantile(vals, cnt, tail_q) - mean),
                    mean + shrink * (hist_quantile(vals, cnt, 1.0 - tail_q) - mean))
    return Split(mean, se, band, float(np.sqrt(var_param)), groups)


def _event_split(c: PairCounts, k: int, j: int) -> Split:
    """Run k's probability of headline j over its groups (a share: s_g^2 = p_g (1 - p_g))."""
    assert c.events is not None and c.tail is not None
    hist = c.events[k, j]
    p = np.arange(GROUP + 1) / GROUP
    tn, tk = int(c.tail[k, j, 0]), int(c.tail[k, j, 1])
    within = float((hist * p * (1 - p)).sum()) + (tk / tn * (1 - tk / tn) if tn else 0.0)
    return split(hist, (tn, tk), within)


def _paired_split(c: PairCounts, k: int, j: int, n10: int, n01: int) -> Split:
    """Run k's paired difference from the base for headline j over its groups (d in {-1, 0,
    1}: s_g^2 = S_g / n_g - d_g^2, summed over the groups: sum_g S_g / n_g - sum_g d_g^2)."""
    assert c.paired is not None and c.tail is not None
    hist = c.paired[k, j]
    d = np.arange(-GROUP, GROUP + 1) / GROUP
    tn, td, ts = (int(v) for v in c.tail[k, j, [0, 2, 3]])
    full_s = n10 + n01 - ts  # S over the full groups
    within = full_s / GROUP - float((hist * d * d).sum())
    if tn:
        within += ts / tn - (td / tn) ** 2
    return split(hist, (tn, td), within, low=-GROUP)


def _se_paired(n: int, n10: int, n01: int) -> float:
    """sd(d) / sqrt(n) for d in {-1, 0, 1} with n10 ones and n01 minus ones (ddof 1)."""
    if n < 2:
        return 0.0
    d, s = n10 - n01, n10 + n01
    return float(np.sqrt((n * s - d * d) / (n * (n - 1))) / np.sqrt(n))


def compare(variants: list[tuple[str, Scenario]], trials: int, seed: int,
            progress: Callable[[str], None] | None = None, backend: str | Backend = "local",
            workers: int | None = None, address: str | None = None,
            chunk_size: int | None = None) -> ComparisonReport:
    """Simulate every variant (the first is the base) and difference each against the base,
    in chunks of trials reduced to counts as they come (bounded memory, module docstring).
    progress, when given, is told as each crisis begins ("ID under N variants")."""
    if trials < 1:
        raise UsageError("must be at least 1", param="trials", value=trials)
    if chunk_size is not None and not 1 <= chunk_size <= MAX_CHUNK:
        raise UsageError(f"must be in 1..{MAX_CHUNK:,}", param="chunk_size", value=chunk_size)
    base_name = variants[0][0]
    models = [{m.crisis_id: m for m in (compile_crisis(sc, i) for i in range(len(sc.crises)))}
              for _, sc in variants]
    chunk = chunk_size if chunk_size is not None else min(
        default_chunk(max(m.n_members for m in ms.values())) for ms in models)
    # per base crisis: the runs that have it (index into variants), the base's first
    plan: list[tuple[str, list[int]]] = []
    skipped: dict[str, list[str]] = {}
    for cid in models[0]:
        have = [0]
        for v in range(1, len(variants)):
            if cid in models[v]:
                have.append(v)
            else:
                skipped.setdefault(variants[v][0], []).append(cid)
        plan.append((cid, have))
    # parameter uncertainty in any run: every run of the crisis is reduced by groups
    grouped = {cid: any(models[v][cid].posterior is not None for v in have)
               for cid, have in plan}
    tasks = [(p, PairTask(tuple(models[v][cid] for v in have), seed, b0, b1, trials,
                          grouped[cid]))
             for p, (cid, have) in enumerate(plan) for b0, b1 in chunks(trials, chunk)]
    totals: list[PairCounts | None] = [None for _ in plan]
    owned = isinstance(backend, str)
    engine = make_backend(backend, workers, address) if isinstance(backend, str) else backend
    with contextlib.ExitStack() as stack:
        if owned:
            stack.enter_context(engine)
        per_crisis = len(list(chunks(trials, chunk)))
        say = progress if progress is not None else (lambda _: None)
        if plan:
            say(f"{plan[0][0]} under {len(variants)} variants")
        # a backend maps any picklable zero-argument task in order (backends/base.py)
        outputs = engine.map([t for _, t in tasks])  # type: ignore[misc]
        for i, ((p, _), counts) in enumerate(zip(tasks, outputs, strict=True)):
            part = cast(PairCounts, counts)
            total = totals[p]
            totals[p] = part if total is None else total + part
            if (i + 1) % per_crisis == 0 and p + 1 < len(plan):  # the next crisis begins
                say(f"{plan[p + 1][0]} under {len(variants)} variants")
    crises = []
    names = [n for n, _ in variants]
    for (cid, have), total in zip(plan, totals, strict=True):
        assert total is not None
        crises.append(_crisis(cid, have, total, models, names, trials))
    return ComparisonReport(base=base_name, variants=names, trials=trials, seed=seed,
                            version=__version__, crises=crises, skipped=skipped,
                            parameter_uncertainty={
                                n: sc.parameters.uncertainty or "off" for n, sc in variants})


def _crisis(cid: str, have: list[int], total: PairCounts,
            models: list[dict[str, CompiledCrisis]], names: list[str],
            trials: int) -> CrisisComparison:
    """One crisis's values and paired differences from its summed counts: each with its Monte
    Carlo part and, under parameter uncertainty, its parameter part (module docstring)."""
    base_name = names[0]
    c = total.counts
    # a count over n: exactly the mean of the n booleans it counts (both round once)
    values = {names[v]: {h: int(c[k, j, 0]) / trials for j, h in enumerate(HEADLINES)}
              for k, v in enumerate(have)}
    drawn = {names[v]: models[v][cid].posterior is not None for v in have}
    value_se: dict[str, dict[str, float]] = {}
    value_band: dict[str, dict[str, tuple[float, float]]] = {}
    for k, v in enumerate(have):
        name = names[v]
        if total.events is None:
            value_se[name] = {h: float(np.sqrt(p * (1 - p) / trials))
                              for h, p in values[name].items()}
            continue
        parts = {h: _event_split(total, k, j) for j, h in enumerate(HEADLINES)}
        # one group (fewer than 2 x 128 trials) cannot measure the cluster error: binomial
        value_se[name] = {h: sp.se if sp.groups > 1 else
                          float(np.sqrt(values[name][h] * (1 - values[name][h]) / trials))
                          for h, sp in parts.items()}
        if drawn[name]:
            bands = {h: sp.band for h, sp in parts.items() if sp.band is not None}
            if bands:
                value_band[name] = bands
    outside = {names[v]: o for v in have for o in [beyond_record(models[v][cid])] if o}
    diffs = []
    for k, v in enumerate(have[1:], start=1):
        name = names[v]
        for j, h in enumerate(HEADLINES):
            n10, n01 = int(c[k, j, 1]), int(c[k, j, 2])
            if total.paired is None:
                pv, pb = values[name][h], values[base_name][h]
                diffs.append(Difference(
                    variant=name, headline=h, difference=(n10 - n01) / trials,
                    se_paired=_se_paired(trials, n10, n01),
                    se_independent=float(np.sqrt((pv * (1 - pv) + pb * (1 - pb)) / trials))))
                continue
            # two independent runs, each with its own draws: each one's cluster error
            se_independent = float(np.hypot(value_se[name][h], value_se[base_name][h]))
            sp = _paired_split(total, k, j, n10, n01)
            drawn_any = drawn[name] or drawn[base_name]
            diffs.append(Difference(
                variant=name, headline=h, difference=(n10 - n01) / trials,
                se_paired=sp.se if sp.groups > 1 else _se_paired(trials, n10, n01),
                se_independent=se_independent,
                parameter_band=sp.band if drawn_any else None,
                parameter_sd=sp.sd if drawn_any else None))
    return CrisisComparison(crisis_id=cid, title=models[0][cid].title, values=values,
                            value_se=value_se, value_band=value_band, differences=diffs,
                            outside_record=outside)
