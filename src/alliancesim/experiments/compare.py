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
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from alliancesim._version import __version__
from alliancesim.backends import Backend, make_backend
from alliancesim.engine import chunks, default_chunk, run_chunk
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


@dataclass(frozen=True)
class PairTask:
    """One chunk (blocks [first_block, stop_block)) of one crisis under the base and the
    variants that have it: run each in turn in the same process and reduce to counts
    (picklable; a backend maps any zero-argument task in order, backends/base.py).

    Returns an int64 array (len(models), len(HEADLINES), COUNTS): per run and headline, the
    trials with the event, those with it in that run and not in the base (n_10), and those
    with it in the base and not in that run (n_01). Only the base's indicators are held while
    the variants run: a chunk's worth of booleans per headline."""

    models: tuple[CompiledCrisis, ...]  # the base's crisis first
    seed: int
    first_block: int
    stop_block: int
    trials: int

    def __call__(self) -> np.ndarray:
        out = np.zeros((len(self.models), len(HEADLINES), COUNTS), dtype=np.int64)
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
        return out


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
    tasks = [(p, PairTask(tuple(models[v][cid] for v in have), seed, b0, b1, trials))
             for p, (cid, have) in enumerate(plan) for b0, b1 in chunks(trials, chunk)]
    totals = [np.zeros((len(have), len(HEADLINES), COUNTS), dtype=np.int64)
              for _, have in plan]
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
            totals[p] += cast(np.ndarray, counts)
            if (i + 1) % per_crisis == 0 and p + 1 < len(plan):  # the next crisis begins
                say(f"{plan[p + 1][0]} under {len(variants)} variants")
    crises = []
    names = [n for n, _ in variants]
    for (cid, have), total in zip(plan, totals, strict=True):
        # a count over n: exactly the mean of the n booleans it counts (both round once)
        values = {names[v]: {h: int(total[k, j, 0]) / trials for j, h in enumerate(HEADLINES)}
                  for k, v in enumerate(have)}
        outside = {names[v]: o for v in have
                   for o in [beyond_record(models[v][cid])] if o}
        diffs = []
        for k, v in enumerate(have[1:], start=1):
            name = names[v]
            for j, h in enumerate(HEADLINES):
                n10, n01 = int(total[k, j, 1]), int(total[k, j, 2])
                pv, pb = values[name][h], values[base_name][h]
                diffs.append(Difference(
                    variant=name, headline=h, difference=(n10 - n01) / trials,
                    se_paired=_se_paired(trials, n10, n01),
                    se_independent=float(np.sqrt((pv * (1 - pv) + pb * (1 - pb)) / trials))))
        crises.append(CrisisComparison(crisis_id=cid, title=models[0][cid].title,
                                       values=values, differences=diffs,
                                       outside_record=outside))
    return ComparisonReport(base=base_name, variants=names, trials=trials, seed=seed,
                            version=__version__, crises=crises, skipped=skipped)
