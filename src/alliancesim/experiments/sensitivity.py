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
"""

from __future__ import annotations

import warnings
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
# The largest Sobol base sample. The design's rows are evaluated in chunks (RowsTask), but
# SALib's Sobol analysis holds its 100 bootstrap resamples of every base sample at once, about
# 7 KB per sample whatever the model: 1.9 GB at 262,144 (measured with a trivial model; the
# whole command on the bundled example peaks at 2.0 GB, benchmarks/memory_compare.py), 3.7 GB
# at 524,288. Morris and FAST keep the general bound of 1,000,000.
MAX_SOBOL_SAMPLES = 2**18


def noise_rows(method: str, n: int, d: int) -> np.ndarray:
    """Which trial's noise each design row uses, so that the trial's own randomness enters as
    one more (unlisted) input. Sobol (Saltelli, groups of d + 2 rows A, AB_1..AB_d, B): A and
    every AB_i share A's noise, B has its own. Morris (trajectories of d + 1 rows): one noise per
    trajectory, so elementary effects compare like with like. FAST: a noise per row (first-order
    indices stay right; the trial's randomness inflates the total indices)."""
    rows = np.arange(n)
    if method == "sobol":
        group, pos = rows // (d + 2), rows % (d + 2)
        return np.asarray(2 * group + (pos == d + 1))
    if method == "morris":
        return np.asarray(rows // (d + 1))
    return rows


def indices(method: str, names: list[str],
            f: Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]], samples: int,
            seed: int) -> tuple[dict[str, list[Index]], int]:
    """Indices of f's outcomes over independent inputs uniform on [0, 1]^D. f(U, noise) maps
    the (n, D) design and each row's noise index (noise_rows) to {outcome: (n,) values}.
    Returns the indices and the number of evaluations."""
    from SALib.analyze import fast, morris, sobol
    from SALib.sample import fast_sampler
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if method == "sobol":
        X = sobol_sample.sample(problem, samples, calc_second_order=False, seed=seed)
    elif method == "morris":
        X = morris_sample.sample(problem, samples, num_levels=4, seed=seed)
    elif method == "fast":
        X = fast_sampler.sample(problem, max(samples, 65), seed=seed)
    else:
        raise ValueError(f"unknown method {method!r} (valid: {', '.join(METHODS)})")
    # the design clipped into the open interval; in place where the analysis does not read the
    # design (Sobol, FAST), so that only one copy of it is held
    U = np.clip(X, EPS, 1 - EPS, out=None if method == "morris" else X)
    Y = f(U, noise_rows(method, X.shape[0], len(names)))
    del U
    out: dict[str, list[Index]] = {}
    for outcome in list(Y):
        # one outcome at a time as floats (the evaluation may give booleans, 1 byte a row)
        y = np.asarray(Y.pop(outcome), dtype=float)
        rows = []
        if np.var(y) == 0:  # nothing varies: every index is 0
            rows = [Index(outcome=outcome, input=n, s1=0.0, s1_conf=0.0,
                          st=None if method == "fast" else 0.0,
                          st_conf=None if method == "fast" else 0.0)
                    if method != "morris" else Index(outcome=outcome, input=n, mu_star=0.0,
                                                     mu_star_conf=0.0, sigma=0.0)
                    for n in names]
        elif method == "sobol":
            r = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
            rows = [Index(outcome=outcome, input=n, s1=float(r["S1"][k]),
                          s1_conf=float(r["S1_conf"][k]), st=float(r["ST"][k]),
                          st_conf=float(r["ST_conf"][k])) for k, n in enumerate(names)]
        elif method == "fast":
            # FAST's total index would count the trial's own randomness (a noise per row):
            # only the first-order index is reported; its bootstrap interval is indicative
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                warnings.simplefilter("ignore", RuntimeWarning)  # in the discarded total
                r = fast.analyze(problem, y, seed=seed)
            rows = [Index(outcome=outcome, input=n, s1=float(r["S1"][k]),
                          s1_conf=float(r["S1_conf"][k])) for k, n in enumerate(names)]
        else:
            r = morris.analyze(problem, X, y, num_levels=4, seed=seed)
            rows = [Index(outcome=outcome, input=n, mu_star=float(r["mu_star"][k]),
                          mu_star_conf=float(r["mu_star_conf"][k]),
                          sigma=float(r["sigma"][k])) for k, n in enumerate(names)]
        out[outcome] = rows
    return out, int(X.shape[0])


ROWS_PER_TASK = 32 * 4096  # design rows per backend task


@dataclass(frozen=True)
class RowsTask:
    """One chunk of the design, evaluated wherever a backend runs it (picklable): it draws
    the noise of the trials its rows use itself (only the blocks those trials lie in), so
    that no per-trial arrays of the whole design are ever held (issue 21)."""

    model: CompiledCrisis
    uncertain: tuple[QuantitySpec, ...]
    U: np.ndarray  # (n, D) quantiles
    noise: np.ndarray  # (n,) the trial whose noise each row uses (noise_rows)
    seed: int

    def __call__(self) -> dict[str, np.ndarray]:
        first = int(self.noise.min()) // BLOCK
        stop = int(self.noise.max()) // BLOCK + 1
        # blocks are drawn from their own streams: the same numbers as drawing them all
        drawn = draw_trials(self.model, self.seed, first, stop, int(self.noise.max()) + 1,
                            fixed=False)
        inputs = drawn.take(self.noise - first * BLOCK)
        del drawn
        values = dict(inputs.values)
        for k, q in enumerate(self.uncertain):
            dist: Any = q.value
            values[q.name] = np.clip(dist.ppf(self.U[:, k]), q.low, q.high)
        r = run_pipeline(self.model, inputs.with_values(values))
        return {h: np.asarray(g(r), dtype=bool) for h, g in OUTCOMES.items()}


def _crisis_function(model: CompiledCrisis, uncertain: list[QuantitySpec], seed: int,
                     backend: Backend, tick: Callable[[int, int], None] | None = None
                     ) -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """The design's outcomes, evaluated in chunks of ROWS_PER_TASK rows as they come back:
    one boolean per row and outcome is kept (what the analysis needs), never a chunk's
    per-trial inputs or results beyond the chunks in flight. tick(rows done, rows) after
    each chunk."""

    def f(U: np.ndarray, noise: np.ndarray) -> dict[str, np.ndarray]:
        n = U.shape[0]
        tasks = [RowsTask(model, tuple(uncertain), U[a : a + ROWS_PER_TASK],
                          noise[a : a + ROWS_PER_TASK], seed)
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

        found, n = indices(method, names, _crisis_function(model, uncertain, seed, runner,
                                                           tick), samples, seed)
        crises.append(CrisisSensitivity(crisis_id=model.crisis_id, title=model.title,
                                        inputs=names, evaluations=n,
                                        indices=[i for rows in found.values() for i in rows]))
    return SensitivityReport(scenario=scenario.name, method=method, samples=samples, seed=seed,
                             version=__version__, crises=crises, skipped=skipped)
