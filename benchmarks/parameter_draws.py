"""Parameter draws per group under parameter uncertainty: the array form (engine.parameter_draws)
against the loop over groups it replaced (kept as the oracle in tests/test_engine_draws.py), in
the same run, on the flagship's first crisis. Prints ns per trial (median of --repeats) and the
ratio. Issue 23, item 1.

    python benchmarks/parameter_draws.py [--trials 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from alliancesim.engine import parameter_draws
from alliancesim.scenario.compile import compile_crisis
from test_engine_draws import _one_group_at_a_time, _scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    model = compile_crisis(_scenario("csto-2021-autumn"), 0)
    times: dict[str, list[float]] = {"array form": [], "one group at a time": []}
    for _ in range(args.repeats):  # interleaved, so a busy machine slows both alike
        for label, f in (("array form", parameter_draws),
                         ("one group at a time", _one_group_at_a_time)):
            t = time.perf_counter()
            f(model, np.random.default_rng(1), args.trials)
            times[label].append(time.perf_counter() - t)
    ns = {k: statistics.median(v) * 1e9 / args.trials for k, v in times.items()}
    for label, v in ns.items():
        print(f"{label:>20}: {v:8.0f} ns per trial ({args.trials:,} trials, "
              f"median of {args.repeats})")
    print(f"{'ratio':>20}: {ns['one group at a time'] / ns['array form']:8.1f}x")


if __name__ == "__main__":
    main()
