"""Two versions of alliancesim on the same machine, interleaved (docs/performance.md).

    python benchmarks/versions.py --old-src /path/to/old/checkout/src [--rounds 5]
        [--scenario FILE --old-scenario FILE]

Each round runs one fresh process of this checkout and one of the other, on the flagship crisis
(csto-2021-autumn, tjk-incursion): a full simulate() of 1,000,000 trials, drawing the random
inputs of 262,144 trials alone, and the pipeline on them. Prints every round and the medians
with their ratios (this checkout / the other). --scenario and --old-scenario run a scenario
file instead (its first crisis), one for each version when the two read different fields: the
cost of a new term is measured on a pair of files on which both versions decide, send and fight
the same (benchmarks/geography/: the geography terms, docs/performance.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ONE = """
import time
from alliancesim import load_scenario, simulate
from alliancesim.engine import BLOCK, draw_trials, run_pipeline
from alliancesim.scenario.compile import compile_crisis
sc = load_scenario(SCENARIO)
sc = sc.model_copy(update={"crises": [sc.crises[0]]})
simulate(sc, trials=BLOCK, seed=0)
t = time.perf_counter(); simulate(sc, trials=1_000_000, seed=2, keep_trials=False)
full = time.perf_counter() - t
m = compile_crisis(sc, 0)
t = time.perf_counter(); inp = draw_trials(m, 1, 0, 64, 64 * BLOCK)
draws = time.perf_counter() - t
t = time.perf_counter(); run_pipeline(m, inp); pipe = time.perf_counter() - t
print(1e6 / full, 64 * BLOCK / draws, 64 * BLOCK / pipe)
"""
NAMES = ("full simulate, trials/s", "draws alone, trials/s", "pipeline, trials/s")


def once(src: Path | None, scenario: str = "csto-2021-autumn") -> list[float]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    code = ONE.replace("SCENARIO", repr(scenario))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=src.parent if src is not None else None).stdout
    return [float(x) for x in out.split()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-src", type=Path, required=True,
                        help="the other version's src/ folder (e.g. a git worktree)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scenario", type=Path, help="a scenario file for this checkout")
    parser.add_argument("--old-scenario", type=Path,
                        help="a scenario file for the other version (default: --scenario)")
    args = parser.parse_args()
    mine = str(args.scenario.resolve()) if args.scenario else "csto-2021-autumn"
    theirs = (str(args.old_scenario.resolve()) if args.old_scenario else mine)
    new, old = [], []
    for k in range(args.rounds):
        new.append(once(None, mine))
        old.append(once(args.old_src.resolve(), theirs))
        print(f"round {k + 1}: this {new[-1][0]:,.0f} / other {old[-1][0]:,.0f} full trials/s")
    print(f"\nmedian of {args.rounds} interleaved rounds: this checkout, the other, ratio")
    for i, name in enumerate(NAMES):
        a = statistics.median(r[i] for r in new)
        b = statistics.median(r[i] for r in old)
        print(f"  {name:<26}{a:>12,.0f}{b:>12,.0f}{a / b:>8.2f}")


if __name__ == "__main__":
    main()
