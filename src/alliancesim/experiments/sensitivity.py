"""Global sensitivity analysis (SALib) over a scenario's uncertain quantities.

For each crisis the problem is the crisis's uncertain quantities (every quantity the scenario
gives as a distribution), each on the unit interval and mapped to its own distribution through
its quantile function (clipped to the quantity's valid range, as the engine clips draws). SALib
draws the design (Saltelli's scheme for Sobol, Morris trajectories, FAST curves); every row is
one trial of the engine, with that row's values for the uncertain quantities and the trial's
own noise (request, members, common shock) from the engine's streams, paired across the
design's rows as each method needs (noise_rows) so that the noise acts as one more input. The
outcomes are the headline events of each trial (military help, mission or more, acting
without the alliance, troops sent, repelled): the indices apportion their variance among the
quantities; what no quantity explains is the trial's own randomness (1 - sum of the first-order
indices). FAST reports first-order indices only (its total index would count that randomness).

Sobol streams (issue 21): its design is generated chunk by chunk (saltelli_rows: the very rows
of SALib's sampler), each chunk evaluated and folded into running sums (SobolSums) from which
the point estimates of SALib's sobol.analyze follow (to the sums' rounding; exact sums for 0/1
outcomes), and its intervals by a Poisson bootstrap (bootstrap_weights): memory is flat in
--samples. Morris streams the same way (its trajectories drawn chunk by chunk from SALib's
sampler and one generator; mu* and sigma from sums, mu*'s interval by the same bootstrap). FAST
hands SALib the whole design and its outcomes (its analysis takes the Fourier transform of each
input's whole curve).
"""

from __future__ import annotations

import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from alliancesim._version import __version__
from alliancesim.backends import Backend
from alliancesim.backends.local import LocalBackend
from alliancesim.engine import BLOCK, draw_trials, run_pipeline
from alliancesim.results.headlines import ANALYSED as OUTCOMES
from alliancesim.results.sensitivity import CrisisSensitivity, Index, SensitivityReport
from alliancesim.scenario.compile import CompiledCrisis, QuantitySpec, compile_crisis
from alliancesim.scenario.distributions import is_uncertain
from alliancesim.scenario.schema import Scenario

METHODS = ("sobol", "morris", "fast")
EPS = 1e-9  # the unit interval's ends map to infinite quantiles: keep inside
# The intervals (Sobol's indices, Morris's mu*): SALib's defaults (num_resamples=100,
# conf_level=0.95), from the Poisson bootstrap (bootstrap_weights)
RESAMPLES = 100
CONF_LEVEL = 0.95
# The bootstrap weights are drawn per block of this many base samples, each block from its own
# stream: a sample's weights do not depend on how the design is cut into chunks.
WEIGHT_BLOCK = 1024
ROWS_PER_TASK = 32 * 4096  # design rows per backend task


def noise_rows(method: str, n: int, d: int, first: int = 0) -> np.ndarray:
    """Which trial's noise each design row uses, so that the trial's own randomness enters as
    one more (unlisted) input. Sobol (Saltelli, groups of d + 2 rows A, AB_1..AB_d, B): A and
    every AB_i share A's noise, B has its own. Morris (trajectories of d + 1 rows): one noise per
    trajectory, so elementary effects compare like with like. FAST: a noise per row (first-order
    indices stay right; the trial's randomness inflates the total indices). n rows from row
    `first` of the design on."""
    rows = np.arange(first, first + n)
    if method == "sobol":
        group, pos = rows // (d + 2), rows % (d + 2)
        return np.asarray(2 * group + (pos == d + 1))
    if method == "morris":
        return np.asarray(rows // (d + 1))
    return rows


def saltelli_rows(d: int, seed: int, first: int, stop: int) -> np.ndarray:
    """Base samples first..stop-1 of Saltelli's design on [0, 1]^d as SALib lays it out
    (SALib.sample.sobol.sample with calc_second_order=False, scramble=True, skip_values=0):
    ((stop - first) * (d + 2), d) rows, per base sample i the group A_i, AB_1i..AB_di, B_i,
    where (A_i, B_i) is point i of the scrambled Sobol' sequence in 2d dimensions seeded by
    `seed` (scipy.stats.qmc.Sobol, as SALib builds it: A its first d coordinates, B the last d)
    and AB_ki is A_i with coordinate k taken from B_i. Point i does not depend on the total N,
    so any chunk of the design is produced alone (fast_forward to `first`); the rows equal
    SALib's for the same N and seed (tests/test_issue21_sobol.py)."""
    from scipy.stats import qmc

    sequence = qmc.Sobol(d=2 * d, scramble=True, seed=seed)
    if first:
        sequence.fast_forward(first)
    with warnings.catch_warnings():
        # scipy warns when the points drawn so far are not a power of two in number: a chunk
        # is one part of a design whose whole size is (samples is a power of two)
        warnings.simplefilter("ignore", UserWarning)
        base = sequence.random(stop - first)
    n = stop - first
    X = np.empty((n, d + 2, d))
    X[:] = base[:, None, :d]  # A in every row of the group
    X[:, d + 1] = base[:, d:]  # B
    for k in range(d):
        X[:, 1 + k, k] = base[:, d + k]  # AB_k
    return X.reshape(n * (d + 2), d)


def bootstrap_weights(seed: int, first: int, stop: int, resamples: int = RESAMPLES
                      ) -> np.ndarray:
    """(stop - first, resamples) Poisson(1) weights of base samples first..stop-1 in each
    bootstrap resample (the Poisson bootstrap: Hanley & MacGibbon 2006; Chamandy et al. 2012,
    "Estimating uncertainty for massive data streams"): a resample counts sample i w_ir times,
    as the multinomial bootstrap does on average, but each weight is drawn alone, so the
    resamples are accumulated as the design streams by. Drawn per block of WEIGHT_BLOCK
    samples from the block's own stream (seed, block): the same weights whatever the chunks."""
    blocks = range(first // WEIGHT_BLOCK, (stop - 1) // WEIGHT_BLOCK + 1)
    key = zlib.crc32(b"sobol bootstrap")
    W = np.concatenate([
        np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key, b)))
        .poisson(1.0, size=(WEIGHT_BLOCK, resamples)) for b in blocks])
    start = first - blocks[0] * WEIGHT_BLOCK
    return W[start : start + stop - first]


@dataclass(frozen=True)
class SobolSums:
    """What SALib's Sobol estimators need of the outcomes, as sums over base samples: the
    sums alone (`full`, (K,)) and weighted by each bootstrap resample's weights (`boot`,
    (resamples, K)), with K = 6 + 3d columns: 1, A, B, A^2, B^2, A B, then per input k AB_k,
    B AB_k and (A - AB_k)^2; and over every row of the design the count, sum and sum of
    squares (`rows`, (3,): SALib centres and scales by the mean and standard deviation of all
    rows). Sums of chunks add; for 0/1 outcomes every sum is a whole number, exact in floats,
    so the totals do not depend on how the design was cut."""

    full: np.ndarray
    boot: np.ndarray
    rows: np.ndarray

    @staticmethod
    def of(y: np.ndarray, d: int, weights: np.ndarray) -> SobolSums:
        """The sums of one chunk: y its (n (d + 2),) outcomes in the design's order, weights
        its (n, resamples) bootstrap weights."""
        G = np.asarray(y, dtype=float).reshape(-1, d + 2)
        A, B, AB = G[:, 0], G[:, d + 1], G[:, 1 : d + 1]
        F = np.empty((G.shape[0], 6 + 3 * d))
        F[:, 0], F[:, 1], F[:, 2] = 1.0, A, B
        F[:, 3], F[:, 4], F[:, 5] = A * A, B * B, A * B
        F[:, 6 : 6 + d] = AB
        F[:, 6 + d : 6 + 2 * d] = B[:, None] * AB
        F[:, 6 + 2 * d :] = (A[:, None] - AB) ** 2
        return SobolSums(full=F.sum(axis=0), boot=weights.T.astype(float) @ F,
                         rows=np.array([G.size, G.sum(), (G * G).sum()]))

    def __add__(self, other: SobolSums) -> SobolSums:
        return SobolSums(self.full + other.full, self.boot + other.boot,
                         self.rows + other.rows)

    def constant(self) -> bool:
        """Whether every row of the design gave the same outcome (no index is defined)."""
        n, s, ss = self.rows
        return bool(ss / n - (s / n) ** 2 <= 0.0)

    def estimates(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(S1, S1_conf, ST, ST_conf), each (d,), as SALib's sobol.analyze
        (calc_second_order=False) computes them (Saltelli et al. 2010, CPC 181: 259-270, the
        estimators of its table 2, normalised by the sample variance of [A; B]):
        S1_k = mean((B - m) (AB_k - A)) / var([A; B]) and ST_k = mean((A - AB_k)^2) / 2 /
        var([A; B]), with m the mean of every row (SALib centres the outcomes by it; its scaling
        by their standard deviation s cancels, but an index is 0 where var([A; B]) / s^2 is
        within machine epsilon, as SALib's). Intervals: CONF_LEVEL's normal quantile times the
        standard deviation (ddof 1) of the index over the resamples, SALib's convention (a
        resample with no weight at all, likely only at a few samples, is left out); 0 where
        [A; B] is constant."""
        from scipy.stats import norm

        n, s, ss = self.rows
        m, scale = s / n, ss / n - (s / n) ** 2

        def index(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            S = np.atleast_2d(S)
            c = S[:, 0:1]
            with np.errstate(divide="ignore", invalid="ignore"):
                var = ((S[:, 3:4] + S[:, 4:5]) / (2 * c)
                       - ((S[:, 1:2] + S[:, 2:3]) / (2 * c)) ** 2)
                first = ((S[:, 6 + d : 6 + 2 * d] - S[:, 5:6]) / c
                         - m * (S[:, 6 : 6 + d] - S[:, 1:2]) / c) / var
                total = 0.5 * S[:, 6 + 2 * d :] / c / var
            ok = (c > 0) & (var / scale > np.finfo(float).eps)
            return np.where(ok, first, 0.0), np.where(ok, total, 0.0)

        (s1,), (st,) = index(self.full)
        F = self.full
        if (F[3] + F[4]) / (2 * F[0]) - ((F[1] + F[2]) / (2 * F[0])) ** 2 <= 0:
            return s1, np.zeros(d), st, np.zeros(d)  # [A; B] constant: SALib's conf is 0
        z = float(norm.ppf(0.5 + CONF_LEVEL / 2))
        kept = self.boot[self.boot[:, 0] > 0]
        if len(kept) < 2:
            return s1, np.zeros(d), st, np.zeros(d)
        b1, bt = index(kept)
        return s1, z * b1.std(axis=0, ddof=1), st, z * bt.std(axis=0, ddof=1)


@dataclass(frozen=True)
class SobolTask:
    """Base samples first..stop-1 of the Sobol design: generated (saltelli_rows), evaluated
    and reduced to their SobolSums where a backend runs it (picklable if `evaluate` is), so
    that neither the design nor its outcomes are ever held whole."""

    evaluate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
    d: int
    seed: int
    first: int
    stop: int
    resamples: int = RESAMPLES

    def __call__(self) -> dict[str, SobolSums]:
        U = np.clip(saltelli_rows(self.d, self.seed, self.first, self.stop), EPS, 1 - EPS)
        rows = U.shape[0]
        Y = self.evaluate(U, noise_rows("sobol", rows, self.d, self.first * (self.d + 2)))
        del U
        W = bootstrap_weights(self.seed, self.first, self.stop, self.resamples)
        return {h: SobolSums.of(y, self.d, W) for h, y in Y.items()}


def sobol_indices(names: list[str],
                  evaluate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]],
                  samples: int, seed: int, backend: Backend | None = None,
                  chunk: int | None = None, resamples: int = RESAMPLES,
                  tick: Callable[[int, int], None] | None = None
                  ) -> dict[str, list[Index]]:
    """First-order and total Sobol indices of evaluate's outcomes over [0, 1]^d, streamed:
    the design in chunks of `chunk` base samples (default ROWS_PER_TASK rows' worth), each a
    SobolTask run on `backend` (default in-process), their sums added in order. The point
    estimates equal SALib's sobol.analyze on SALib's design (same samples and seed); the
    intervals are the Poisson bootstrap's (SobolSums.estimates). Memory: a chunk's rows, and
    resamples x (6 + 3d) sums per outcome, whatever `samples`. tick(rows done, rows) after each
    chunk."""
    d = len(names)
    step = chunk if chunk is not None else max(1, ROWS_PER_TASK // (d + 2))
    tasks = [SobolTask(evaluate, d, seed, a, min(a + step, samples), resamples)
             for a in range(0, samples, step)]
    runner = backend if backend is not None else LocalBackend()
    totals: dict[str, SobolSums] = {}
    for task, part in zip(tasks, runner.map(tasks), strict=True):  # type: ignore[arg-type]
        for h, sums in cast(dict[str, SobolSums], part).items():
            totals[h] = totals[h] + sums if h in totals else sums
        if tick:
            tick(task.stop * (d + 2), samples * (d + 2))
    out: dict[str, list[Index]] = {}
    for h, sums in totals.items():
        if sums.constant():  # nothing varies: every index is 0
            s1 = s1c = st = stc = np.zeros(d)
        else:
            s1, s1c, st, stc = sums.estimates(d)
        out[h] = [Index(outcome=h, input=n, s1=float(s1[k]), s1_conf=float(s1c[k]),
                        st=float(st[k]), st_conf=float(stc[k])) for k, n in enumerate(names)]
    return out


MORRIS_LEVELS = 4  # the grid of SALib's Morris design (num_levels)


def elementary_effects(X: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    """(n, d) elementary effects of n Morris trajectories (Morris 1991; SALib's
    analyze.morris without scaling): X the (n (d + 1), d) design, one input changed by +-delta
    at each step of a trajectory, y its outcomes; the effect of the input changed at a step is
    (y after - y before) / delta where it went up, (y before - y after) / delta where it went
    down, delta = levels / (2 (levels - 1))."""
    delta = MORRIS_LEVELS / (2.0 * (MORRIS_LEVELS - 1))
    n = X.shape[0] // (d + 1)
    step = np.diff(X.reshape(n, d + 1, d), axis=1)  # (n, d steps, d inputs)
    dy = np.diff(np.asarray(y, dtype=float).reshape(n, d + 1), axis=1)  # (n, d steps)
    moved = np.argmax(np.abs(step), axis=2)  # (n, d steps): which input each step moves
    up = np.take_along_axis(step, moved[:, :, None], axis=2)[:, :, 0] > 0
    ee = np.zeros((n, d))
    np.put_along_axis(ee, moved, np.where(up, dy, -dy) / delta, axis=1)
    return ee


@dataclass(frozen=True)
class MorrisSums:
    """What Morris's statistics need, as sums over trajectories: `full` (1 + 3d,): the count,
    the sums of the elementary effects, of their absolute values and of their squares;
    `boot` (resamples, 1 + d): the count and the sums of absolute values weighted by each
    bootstrap resample's weights; `rows` (3,): count, sum and sum of squares of every row's
    outcome (all equal: every index is 0). Sums of chunks add."""

    full: np.ndarray
    boot: np.ndarray
    rows: np.ndarray

    @staticmethod
    def of(X: np.ndarray, y: np.ndarray, d: int, weights: np.ndarray) -> MorrisSums:
        ee = elementary_effects(X, y, d)
        F = np.column_stack([np.ones(len(ee)), ee, np.abs(ee), ee * ee])
        y = np.asarray(y, dtype=float)
        counted = F[:, [0, *range(1 + d, 1 + 2 * d)]]  # 1 and |EE|
        return MorrisSums(full=F.sum(axis=0), boot=weights.T.astype(float) @ counted,
                          rows=np.array([y.size, y.sum(), (y * y).sum()]))

    def __add__(self, other: MorrisSums) -> MorrisSums:
        return MorrisSums(self.full + other.full, self.boot + other.boot,
                          self.rows + other.rows)

    def estimates(self, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(mu*, mu*'s interval, sigma), each (d,), as SALib's morris.analyze gives them:
        mu* the mean absolute elementary effect (Campolongo et al. 2007), sigma the standard
        deviation (ddof 1) of the effects; the interval CONF_LEVEL's normal quantile times the
        standard deviation (ddof 1) of mu* over the bootstrap resamples (a resample with no
        weight is left out)."""
        from scipy.stats import norm

        n = self.full[0]
        total, absolute, squares = (self.full[1 + j * d : 1 + (j + 1) * d] for j in range(3))
        mu_star = absolute / n
        sigma = np.sqrt(np.maximum(squares - total * total / n, 0.0) / (n - 1))
        c = self.boot[:, :1]
        kept = c[:, 0] > 0
        resampled = self.boot[kept, 1:] / c[kept]
        z = float(norm.ppf(0.5 + CONF_LEVEL / 2))
        conf = (z * resampled.std(axis=0, ddof=1) if kept.sum() > 1 else np.zeros(d))
        return mu_star, conf, sigma


@dataclass(frozen=True)
class MorrisTask:
    """Trajectories first.. of a Morris design (X, generated in order by the caller: SALib's
    sampler draws them from one stream), evaluated and reduced to their MorrisSums where a
    backend runs it."""

    evaluate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]
    X: np.ndarray
    d: int
    seed: int
    first: int
    resamples: int = RESAMPLES

    def __call__(self) -> dict[str, MorrisSums]:
        n = self.X.shape[0] // (self.d + 1)
        U = np.clip(self.X, EPS, 1 - EPS)
        Y = self.evaluate(U, noise_rows("morris", self.X.shape[0], self.d,
                                        self.first * (self.d + 1)))
        del U
        W = bootstrap_weights(self.seed, self.first, self.first + n, self.resamples)
        return {h: MorrisSums.of(self.X, y, self.d, W) for h, y in Y.items()}


def morris_indices(names: list[str],
                   evaluate: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]],
                   samples: int, seed: int, backend: Backend | None = None,
                   chunk: int | None = None, resamples: int = RESAMPLES,
                   tick: Callable[[int, int], None] | None = None
                   ) -> dict[str, list[Index]]:
    """Morris's mu*, its interval and sigma of evaluate's outcomes over [0, 1]^d, streamed:
    SALib's design (SALib.sample.morris.sample, num_levels=4) drawn `chunk` trajectories at a
    time from one generator seeded by `seed` (the same trajectories as one call for all of
    them), a few chunks in flight on `backend` at once, each reduced to its MorrisSums. mu* and
    sigma equal SALib's morris.analyze on the whole design; the interval is the Poisson
    bootstrap's (bootstrap_weights), SALib's within sampling noise. Memory: the chunks in
    flight and resamples x (1 + d) sums per outcome, whatever `samples`. tick(rows done, rows)
    after each window of chunks."""
    from SALib.sample import morris as morris_sample

    d = len(names)
    problem = {"num_vars": d, "names": names, "bounds": [[0.0, 1.0]] * d}
    step = chunk if chunk is not None else max(1, ROWS_PER_TASK // (d + 1))
    runner = backend if backend is not None else LocalBackend()
    # SALib wraps a BitGenerator it is given without copying it: each chunk continues the
    # stream where the last stopped (an int seed would restart it, a Generator be spawned from)
    bits = np.random.default_rng(seed).bit_generator
    window = 2 * max(1, runner.workers)  # chunks in flight: the workers busy, memory bounded
    totals: dict[str, MorrisSums] = {}
    starts = list(range(0, samples, step))
    for w in range(0, len(starts), window):
        tasks = [MorrisTask(evaluate, morris_sample.sample(
            problem, min(a + step, samples) - a, num_levels=MORRIS_LEVELS, seed=bits),
            d, seed, a, resamples) for a in starts[w : w + window]]
        for part in runner.map(tasks):  # type: ignore[arg-type]
            for h, sums in cast(dict[str, MorrisSums], part).items():
                totals[h] = totals[h] + sums if h in totals else sums
        del tasks
        if tick:
            done = min(starts[w + window] if w + window < len(starts) else samples, samples)
            tick(done * (d + 1), samples * (d + 1))
    out: dict[str, list[Index]] = {}
    for h, sums in totals.items():
        n, s, ss = sums.rows
        if ss / n - (s / n) ** 2 <= 0.0:  # nothing varies: every index is 0
            mu_star = conf = sigma = np.zeros(d)
        else:
            mu_star, conf, sigma = sums.estimates(d)
        out[h] = [Index(outcome=h, input=name, mu_star=float(mu_star[k]),
                        mu_star_conf=float(conf[k]), sigma=float(sigma[k]))
                  for k, name in enumerate(names)]
    return out


def indices(method: str, names: list[str],
            f: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]], samples: int,
            seed: int) -> tuple[dict[str, list[Index]], int]:
    """Indices of f's outcomes over independent inputs uniform on [0, 1]^D. f(U, noise) maps
    the (n, D) design and each row's noise index (noise_rows) to {outcome: (n,) values}.
    Returns the indices and the number of evaluations. Sobol and Morris stream (sobol_indices,
    morris_indices: f is called on one chunk of the design at a time); FAST calls f on the
    whole design (its analysis transforms each input's whole curve)."""
    from SALib.analyze import fast
    from SALib.sample import fast_sampler

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if method == "sobol":
        return sobol_indices(names, f, samples, seed), samples * (len(names) + 2)
    if method == "morris":
        return morris_indices(names, f, samples, seed), samples * (len(names) + 1)
    if method != "fast":
        raise ValueError(f"unknown method {method!r} (valid: {', '.join(METHODS)})")
    X = fast_sampler.sample(problem, max(samples, 65), seed=seed)
    # the design clipped into the open interval, in place (only one copy of it is held)
    U = np.clip(X, EPS, 1 - EPS, out=X)
    Y = f(U, noise_rows(method, X.shape[0], len(names)))
    del U
    out: dict[str, list[Index]] = {}
    for outcome in list(Y):
        # one outcome at a time as floats (the evaluation may give booleans, 1 byte a row)
        y = np.asarray(Y.pop(outcome), dtype=float)
        if np.var(y) == 0:  # nothing varies: every index is 0
            rows = [Index(outcome=outcome, input=n, s1=0.0, s1_conf=0.0) for n in names]
        else:
            # FAST's total index would count the trial's own randomness (a noise per row):
            # only the first-order index is reported; its bootstrap interval is indicative
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", RuntimeWarning)  # in the discarded total
                r = fast.analyze(problem, y, seed=seed)
            rows = [Index(outcome=outcome, input=n, s1=float(r["S1"][k]),
                          s1_conf=float(r["S1_conf"][k])) for k, n in enumerate(names)]
        out[outcome] = rows
    return out, int(X.shape[0])


@dataclass(frozen=True)
class CrisisRows:
    """A crisis's outcomes on rows of a design (picklable): each row one trial with the row's
    quantiles of the uncertain quantities and the noise of the trial noise_rows names. It
    draws the noise of those trials itself (only the blocks they lie in), so that no per-trial
    arrays of the whole design are ever held (issue 21)."""

    model: CompiledCrisis
    uncertain: tuple[QuantitySpec, ...]
    seed: int

    def __call__(self, U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
        """U: (n, D) quantiles; noise: (n,) trial indices. {headline: (n,) booleans}."""
        first = int(noise.min()) // BLOCK
        stop = int(noise.max()) // BLOCK + 1
        # blocks are drawn from their own streams: the same numbers as drawing them all
        drawn = draw_trials(self.model, self.seed, first, stop, int(noise.max()) + 1,
                            fixed=False)
        inputs = drawn.take(noise - first * BLOCK)
        del drawn
        values = dict(inputs.values)
        for k, q in enumerate(self.uncertain):
            dist: Any = q.value
            values[q.name] = np.clip(dist.ppf(U[:, k]), q.low, q.high)
        r = run_pipeline(self.model, inputs.with_values(values))
        return {h: np.asarray(g(r), dtype=bool) for h, g in OUTCOMES.items()}


@dataclass(frozen=True)
class RowsTask:
    """One chunk of a design held whole (FAST), evaluated wherever a backend runs it."""

    rows: CrisisRows
    U: np.ndarray  # (n, D) quantiles
    noise: np.ndarray  # (n,) the trial whose noise each row uses (noise_rows)

    def __call__(self) -> dict[str, np.ndarray]:
        return self.rows(self.U, self.noise)


def _crisis_function(model: CompiledCrisis, uncertain: list[QuantitySpec], seed: int,
                     backend: Backend, tick: Callable[[int, int], None] | None = None
                     ) -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """The design's outcomes, evaluated in chunks of ROWS_PER_TASK rows as they come back:
    one boolean per row and outcome is kept (what the analysis needs), never a chunk's
    per-trial inputs or results beyond the chunks in flight. tick(rows done, rows) after
    each chunk."""

    def f(U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
        n = U.shape[0]
        rows = CrisisRows(model, tuple(uncertain), seed)
        tasks = [RowsTask(rows, U[a : a + ROWS_PER_TASK], noise[a : a + ROWS_PER_TASK])
                 for a in range(0, n, ROWS_PER_TASK)]
        Y = {h: np.zeros(n, dtype=bool) for h in OUTCOMES}
        # a backend maps any picklable zero-argument task in order (backends/base.py)
        for a, part in zip(range(0, n, ROWS_PER_TASK), backend.map(tasks),  # type: ignore[arg-type]
                           strict=True):
            for h, y in cast(dict[str, np.ndarray], part).items():
                Y[h][a : a + y.size] = y
            if tick:
                tick(min(a + ROWS_PER_TASK, n), n)
        return Y

    return f


def sensitivity(scenario: Scenario, method: str, samples: int, seed: int,
                backend: Backend | None = None,
                progress: Callable[[str], None] | None = None) -> SensitivityReport:
    """Indices for every crisis with uncertain quantities. backend: where the design's rows
    run (default in-process); the numbers are the same on every backend. progress(message)
    after each chunk of the design ("crisis 2 of 4: 8,192 of 24,576 trials")."""
    runner = backend if backend is not None else LocalBackend()
    crises, skipped = [], []
    total = len(scenario.crises)
    for i in range(total):
        model = compile_crisis(scenario, i)
        uncertain = [q for q in model.quantities if is_uncertain(q.value)]
        if not uncertain:
            skipped.append(model.crisis_id)
            continue
        names = [q.name for q in uncertain]

        def tick(k: int, n: int, i: int = i) -> None:
            if progress:
                progress(f"crisis {i + 1} of {total}: {k:,} of {n:,} trials")

        if method == "sobol":  # streamed: each task generates, runs and sums its chunk
            found = sobol_indices(names, CrisisRows(model, tuple(uncertain), seed), samples,
                                  seed, runner, tick=tick)
            n = samples * (len(names) + 2)
        elif method == "morris":  # streamed: a few chunks of trajectories in flight
            found = morris_indices(names, CrisisRows(model, tuple(uncertain), seed), samples,
                                   seed, runner, tick=tick)
            n = samples * (len(names) + 1)
        else:
            found, n = indices(method, names, _crisis_function(model, uncertain, seed, runner,
                                                               tick), samples, seed)
        crises.append(CrisisSensitivity(crisis_id=model.crisis_id, title=model.title,
                                        inputs=names, evaluations=n,
                                        indices=[i for rows in found.values() for i in rows]))
    return SensitivityReport(scenario=scenario.name, method=method, samples=samples, seed=seed,
                             version=__version__, crises=crises, skipped=skipped)
