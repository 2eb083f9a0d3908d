"""A sequence of k crises against the same k crises run one by one (issue 26): the sequence's
seconds (experiments/sequence.run_sequence: draws, beliefs fed in, the pass per pattern of
members taking part, the update) over the sum of the crises' single runs (engine.run_trials,
the same trials and seed). Prints both and the ratio (median of --repeats, interleaved so a
busy machine slows both alike), for the bundled CSTO sequence, simulated, with members freezing
(a higher freeze scale, so that the pass runs on more than one pattern of members) and
without.

    python benchmarks/sequence.py [--trials 200000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from alliancesim import api
from alliancesim.engine import run_trials
from alliancesim.experiments.sequence import ordered, run_sequence
from alliancesim.model.belief import BeliefParameters
from alliancesim.scenario.compile import compile_crisis
from alliancesim.scenario.params import with_uncertainty

SEQUENCE = Path(__file__).resolve().parents[1] / "examples" / "csto-sequence-2020-2023.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    scenario = with_uncertainty(api.load_scenario(SEQUENCE), None)
    order = ordered(scenario)
    models = [compile_crisis(scenario, k) for k in order]
    runs = {
        "k single crises": lambda: [run_trials(m, args.trials, args.seed) for m in models],
        "sequence (defaults)": lambda: run_sequence(scenario, trials=args.trials,
                                                    seed=args.seed),
        "sequence (members freezing)": lambda: run_sequence(
            scenario, trials=args.trials, seed=args.seed,
            params=BeliefParameters(freeze_scale=1.0, prior_strength=0.0)),
    }
    for f in runs.values():  # compile and warm every path once
        f()
    times: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(args.repeats):
        for label, f in runs.items():
            t = time.perf_counter()
            f()
            times[label].append(time.perf_counter() - t)
    median = {k: statistics.median(v) for k, v in times.items()}
    base = median["k single crises"]
    print(f"{len(models)} crises x {args.trials:,} trials, seed {args.seed} "
          f"(median of {args.repeats})")
    for label, seconds in median.items():
        print(f"  {label:<30} {seconds:7.2f} s   ratio {seconds / base:5.2f}")


if __name__ == "__main__":
    main()
