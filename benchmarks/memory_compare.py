"""Peak memory of `compare` and `sensitivity` at several sizes each (issue 21: flat in trials
and samples). Not a test: each case runs in a fresh process, whose peak resident set
(resource.getrusage ru_maxrss) is its own, in-process (local backend).

    python benchmarks/memory_compare.py [--compare 100000 1000000]
        [--samples 4096 16384 65536 262144] [--method sobol|morris|fast]

compare: examples/csto-variants.yaml (the CSTO base and three variants, four crises);
sensitivity: examples/armenia-uncertain-council.yaml (three uncertain inputs: Sobol runs
samples x 5 trials, Morris samples x 4, FAST samples x 3; a cheap setting, so that the
analysis's own memory shows). Prints, per case, the peak MiB, the seconds, and the peak above a
process that only imported the package (the baseline line). `--compare` with no sizes, or
`--samples` with none, leaves that command out. Run with PYTHONPATH at another checkout's
src to measure its code (the figures before a change).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

ONE = """
import resource, sys
from alliancesim import api
kind, size, method = sys.argv[1], int(sys.argv[2]), sys.argv[3]
if kind == "compare":
    api.compare("examples/csto-variants.yaml", trials=size, seed=1)
elif kind == "sensitivity":
    api.sensitivity("examples/armenia-uncertain-council.yaml", method=method, samples=size,
                    seed=1)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)  # KiB on Linux
"""


def peak(kind: str, size: int, method: str = "sobol") -> tuple[float, float]:
    """(peak MiB, seconds) of one case in a fresh process."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", ONE, kind, str(size), method],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1]), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--compare", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--samples", type=int, nargs="*", default=[2**12, 2**14, 2**16, 2**18])
    ap.add_argument("--method", choices=["sobol", "morris", "fast"], default="sobol")
    a = ap.parse_args()
    base, _ = peak("baseline", 0)
    print(f"{'baseline (import only)':34s} {base:8.1f} MiB")
    cases = ([("compare", n, "trials") for n in a.compare]
             + [(f"sensitivity {a.method}", n, "samples") for n in a.samples])
    for kind, n, unit in cases:
        mib, secs = peak(kind.split()[0], n, a.method)
        print(f"{kind + f' {n:,} {unit}':34s} {mib:8.1f} MiB  (+{mib - base:7.1f})  "
              f"{secs:6.1f} s")


if __name__ == "__main__":
    main()
