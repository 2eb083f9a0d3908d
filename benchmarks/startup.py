"""Start-up time of the command line: the median wall time of N fresh processes per command.

    python benchmarks/startup.py [--rounds 7]

Each command runs as `python -m alliancesim ...` in a fresh process (nothing imported yet;
numba's compiled functions come from its on-disk cache, which the first round fills if it is
empty), with --no-store and a throwaway data store, so nothing of the user's is touched.
Prints every round's seconds and the median per command. Nothing here asserts a speed (a busy
machine doubles these figures); `tests/test_issue22_startup.py` checks, deterministically,
which heavy modules `import alliancesim.cli` loads.

Measured 2026-12-05 on the development machine (2 cores shared with three other sessions and
a fuzz run: wall times include waiting for a core, hence the CPU column), median of 7, the
code before issue 22 (commit 0e45b76) and after, in the same session:

    command                    before: wall   CPU     after: wall   CPU
    --version                          2.71s  0.77s          0.36s  0.12s
    --help                             2.91s  0.83s          0.52s  0.17s
    run --help                         2.74s  0.81s          0.71s  0.23s
    data kinds                         2.33s  0.75s          1.47s  0.53s
    run -n 2000 (small run)            7.30s  2.48s          4.19s  1.56s

What went: the api, the engine, numba, numpy and scipy loaded by `import alliancesim.cli`
(now at a command's first call); the bundled actors and affinities parsed once per case (now
once per process: the base rate's 17 cases parsed them 35 times). What a small run still pays:
numba loading its cached machine code (about 0.3 s of CPU), parsing the bundled posterior's
draws and the cases' YAML, and the run itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS: list[tuple[str, list[str]]] = [
    ("--version", ["--version"]),
    ("--help", ["--help"]),
    ("run --help", ["run", "--help"]),
    ("data kinds", ["data", "kinds"]),
    ("run -n 2000 (small run)", ["--no-store", "run", "-n", "2000", "-q"]),
    ("run (the README's default)", ["run"]),
]
# issue 23's floors (wall seconds on an idle core): the command, its floor
FLOORS = {"--help": 1.0, "run (the README's default)": 3.0}


def time_once(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds from starting `python -m alliancesim ARGS` to its exit (status 0
    required), and the CPU seconds (user + system) it used: on a shared machine the wall time
    includes waiting for a core, the CPU time does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "alliancesim", *args], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    took = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        raise SystemExit(f"alliancesim {' '.join(args)} failed ({r.returncode}): {r.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="fresh processes per command")
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, COLUMNS="100", ALLIANCESIM_DATA=os.path.join(tmp, "d.duckdb"),
                   ALLIANCESIM_STORE=os.path.join(tmp, "r.duckdb"))
        # the first run on an empty numba cache, and after `alliancesim compile` (what the
        # install does): one round each, in a cache directory of their own
        cold = dict(env, NUMBA_CACHE_DIR=os.path.join(tmp, "numba"))
        first = time_once(["--no-store", "run"], cold)
        compiled = time_once(["compile"], dict(env, NUMBA_CACHE_DIR=os.path.join(tmp, "n2")))
        after = time_once(["--no-store", "run"], dict(env, NUMBA_CACHE_DIR=os.path.join(tmp,
                                                                                       "n2")))
        print(f"first run, empty numba cache: {first[0]:.2f}s wall {first[1]:.2f}s CPU; "
              f"after `alliancesim compile` ({compiled[0]:.1f}s): {after[0]:.2f}s wall "
              f"{after[1]:.2f}s CPU\n")
        time_once(COMMANDS[-2][1], env)  # fills numba's cache if it is empty (not counted)
        print(f"{'command':<28} {'wall':>6} {'CPU':>6}   wall per round (s)")
        for label, args in COMMANDS:
            rounds = [time_once(args, env) for _ in range(opts.rounds)]
            wall = statistics.median(w for w, _ in rounds)
            cpu = statistics.median(c for _, c in rounds)
            floor = FLOORS.get(label)
            verdict = "" if floor is None else (
                f"   floor < {floor:.0f} s: {'met' if wall < floor else 'not met'}")
            print(f"{label:<28} {wall:5.2f}s {cpu:5.2f}s   "
                  + " ".join(f"{w:.2f}" for w, _ in rounds) + verdict)


if __name__ == "__main__":
    main()
