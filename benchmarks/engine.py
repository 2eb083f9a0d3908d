"""Benchmark of the engine: speed against the scalar reference, where the time goes, memory,
and scaling over processes (and Ray).

Run:  make bench    (or .venv/bin/python benchmarks/engine.py [--quick] [--ray])

Everything is measured in this one run on the same scenario - the flagship crisis, a Taliban
incursion into Tajikistan (csto-2021-autumn, crisis tjk-incursion) - and printed; ratios are
against baselines measured in the same run. Nothing here asserts a speed: the floors of issue
23 are printed at the end, each "met" or "not met".
"""

from __future__ import annotations

import argparse
import functools
import os
import platform
import resource
import subprocess
import sys
import time

# single-core measurements: no hidden BLAS/OpenMP threads
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the Mesa peer beside this

import numba  # noqa: E402
import numpy as np  # noqa: E402

from alliancesim import load_scenario  # noqa: E402
from alliancesim import simulate as _simulate  # noqa: E402
from alliancesim._malloc import tune_allocator  # noqa: E402
from alliancesim.backends.process import ProcessBackend  # noqa: E402
from alliancesim.engine import BLOCK, STAGES, draw_trials, run_pipeline  # noqa: E402
from alliancesim.reference import run_reference  # noqa: E402
from alliancesim.scenario.compile import compile_crisis  # noqa: E402
from alliancesim.scenario.params import with_uncertainty  # noqa: E402
from alliancesim.scenario.schema import Scenario  # noqa: E402

# the engine's own speed: one run per crisis (run --mixed-only), not the runs by request
simulate = functools.partial(_simulate, by_request=False)

SCENARIO, CRISIS = "csto-2021-autumn", "tjk-incursion"


def flagship() -> Scenario:
    sc = load_scenario(SCENARIO)
    return sc.model_copy(update={"crises": [c for c in sc.crises if c.id == CRISIS]})


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def rate(trials: int, seconds: float) -> str:
    return f"{trials / seconds:>12,.0f} trials/s"


def best_of(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def memory_child(trials: int) -> None:
    """Run in a subprocess: simulate `trials` trials and print the peak RSS in MiB."""
    sc = flagship()
    simulate(sc, trials=trials, seed=1, keep_trials=False)
    # VmHWM: this process's peak resident set (ru_maxrss would carry the parent's over exec)
    with open("/proc/self/status") as f:
        peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
    print(f"{peak:.1f}")


UNTUNED = [False]  # the run's --untuned, passed on to the memory children


def peak_memory(trials: int) -> float:
    flags = ["--untuned"] if UNTUNED[0] else []
    out = subprocess.run([sys.executable, __file__, "--memory-child", str(trials), *flags],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--ray", action="store_true", help="also measure the Ray backend")
    ap.add_argument("--untuned", action="store_true",
                    help="leave glibc's malloc as it is (the command line tunes it: "
                    "alliancesim._malloc)")
    ap.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    tuned = False if args.untuned else tune_allocator()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    n_engine = 200_000 if args.quick else 2_000_000
    n_ref = 500 if args.quick else 4_000
    n_pool = 400_000 if args.quick else 8_000_000
    mem_sizes = [10**4, 10**5] if args.quick else [10**5, 10**6, 10**7]

    print("alliancesim engine benchmark")
    print(f"machine: {cpu_model()}; {os.cpu_count()} cores; Python {platform.python_version()}; "
          f"numpy {np.__version__}; numba {numba.__version__}")
    print(f"scenario: {SCENARIO}, crisis {CRISIS}")
    print("allocator: " + ("glibc's malloc tuned for chunks, as the command line's process "
                           "(alliancesim._malloc)" if tuned else "left as it is (--untuned, or "
                           "no glibc)") + "\n")
    UNTUNED[:] = [args.untuned]

    sc = flagship()
    model = compile_crisis(sc, 0)
    simulate(sc, trials=BLOCK, seed=0)  # compile the numba kernels (cached on disk)

    # 1. engine against the reference on the same pre-drawn inputs
    inputs = draw_trials(model, seed=1, start_block=0, stop_block=32, trials=32 * BLOCK,
                         fixed=False)
    t_engine = best_of(lambda: run_pipeline(model, inputs))
    ref_inputs = draw_trials(model, seed=1, start_block=0, stop_block=1, trials=n_ref)
    t_ref = best_of(lambda: run_reference(sc, 0, ref_inputs), repeat=1)
    r_engine = inputs.n / t_engine
    r_ref = n_ref / t_ref
    print("1. Pipeline on pre-drawn inputs, one core")
    print(f"   engine     {rate(inputs.n, t_engine)}   ({inputs.n:,} trials, best of 3)")
    print(f"   reference  {rate(n_ref, t_ref)}   ({n_ref:,} trials)")
    print(f"   ratio      {r_engine / r_ref:>12,.0f} x\n")

    # 2. full runs: draws, pipeline, tallies, chunking
    t_full = best_of(lambda: simulate(sc, trials=n_engine, seed=2, keep_trials=False), repeat=2)
    print("2. Full simulate() on one core (draws + pipeline + tallies), in-process backend")
    print(f"   engine     {rate(n_engine, t_full)}   ({n_engine:,} trials, best of 2)")
    print(f"   ratio to the reference pipeline {n_engine / t_full / r_ref:,.0f} x\n")

    # 3. where the time goes: the compiled pass stopped after each stage in turn
    timings: dict[str, float] = {}
    draws = pipeline = 0.0
    for b0 in range(0, 8 * 32, 32):
        t0 = time.perf_counter()
        chunk = draw_trials(model, seed=3, start_block=b0, stop_block=b0 + 32,
                            trials=8 * 32 * BLOCK, fixed=False)
        draws += time.perf_counter() - t0
        run_pipeline(model, chunk, timings)  # the stage profile
        t0 = time.perf_counter()
        run_pipeline(model, chunk)
        pipeline += time.perf_counter() - t0
    n_stage = 8 * 32 * BLOCK
    rows = [("draws", draws), *((s, timings[s]) for s in ("inputs", *STAGES)),
            ("outputs", max(pipeline - sum(timings.values()), 0.0))]
    total = draws + pipeline
    print(f"3. Time per stage ({n_stage:,} trials; the compiled pass stopped after each stage "
          "in turn)")
    print(f"   {'stage':<12}{'seconds':>9}{'share':>8}{'trials/s':>16}")
    for stage, sec in rows:
        print(f"   {stage:<12}{sec:>9.3f}{sec / total:>8.1%}"
              f"{n_stage / sec if sec > 0 else float('inf'):>16,.0f}")
    print("   (inputs: reading each trial's inputs; outputs: laying out the inputs and "
          "allocating the results, outside the pass)\n")

    # 4. memory
    print("4. Peak memory (resident set of a fresh process, summary only, chunks of "
          f"{32 * BLOCK:,} trials)")
    base = peak_memory(1)
    print(f"   {'1 trial (imports)':<18}{base:>9.0f} MiB")
    for n in mem_sizes:
        t = time.perf_counter()
        peak = peak_memory(n)
        print(f"   {n:<18,}{peak:>9.0f} MiB   ({time.perf_counter() - t:.1f} s)")
    print()

    # 5. scaling over processes
    print(f"5. Process pool ({n_pool:,} trials; the pool is started and warmed first)")
    t_one = best_of(lambda: simulate(sc, trials=n_pool, seed=4, keep_trials=False), repeat=1)
    print(f"   local, 1 core        {rate(n_pool, t_one)}")
    workers = os.cpu_count() or 1
    t0 = time.perf_counter()
    pool = ProcessBackend(workers)
    simulate(sc, trials=workers * BLOCK, seed=0, backend=pool, chunk_size=BLOCK)  # warm
    startup = time.perf_counter() - t0
    t_pool = best_of(lambda: simulate(sc, trials=n_pool, seed=4, backend=pool,
                                      keep_trials=False), repeat=1)
    pool.close()
    print(f"   process, {workers} workers  {rate(n_pool, t_pool)}   "
          f"speed-up {t_one / t_pool:.2f} x (pool start-up {startup:.1f} s not included; "
          f"with it {t_one / (t_pool + startup):.2f} x)")
    if args.ray:
        from alliancesim.backends.ray_backend import RayBackend

        t0 = time.perf_counter()
        ray_backend = RayBackend(workers=workers)
        simulate(sc, trials=workers * BLOCK, seed=0, backend=ray_backend, chunk_size=BLOCK)
        startup = time.perf_counter() - t0
        t_ray = best_of(lambda: simulate(sc, trials=n_pool, seed=4, backend=ray_backend,
                                         keep_trials=False), repeat=1)
        ray_backend.close()
        print(f"   ray, {workers} CPUs         {rate(n_pool, t_ray)}   "
              f"speed-up {t_one / t_ray:.2f} x (start-up {startup:.1f} s not included)")
    print()
    med = peers(sc, rounds=3 if args.quick else 5, n_engine=n_engine // 4,
                n_mesa=200 if args.quick else 2_000, n_ref=200 if args.quick else 2_000)
    print()
    before_after(rounds=3 if args.quick else 7)
    print()
    cli = cli_uncertainty(trials=10**5 if args.quick else 10**7, rounds=3 if args.quick else 2)
    print()
    councils(trials=8 * BLOCK if args.quick else 32 * BLOCK, rounds=3 if args.quick else 5)
    print()
    floors(med, cli)


def before_after(rounds: int) -> None:
    """7. The compiled pass before issue 23 (tests/frozen_pass.py, the oracle the tests hold
    the pass to, bit for bit) and now, on the same drawn inputs of the flagship under parameter
    uncertainty (the default), interleaved rounds: the CPU time of the whole pass (median) and
    each stage's share (the pass stopped after each stage in turn; median over rounds)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    from frozen_pass import run_before

    sc = with_uncertainty(flagship(), "posterior")
    m = compile_crisis(sc, 0)
    inputs = draw_trials(m, seed=8, start_block=0, stop_block=32, trials=32 * BLOCK,
                         fixed=False)
    runs = {"before": run_before, "now": run_pipeline}
    for f in runs.values():
        f(m, inputs)  # compile or load the kernels
    cpu: dict[str, list[float]] = {k: [] for k in runs}
    stages: dict[str, dict[str, list[float]]] = {k: {} for k in runs}
    for _ in range(rounds):
        for k, f in runs.items():
            t = time.process_time()
            f(m, inputs)
            cpu[k].append(time.process_time() - t)
            timings: dict[str, float] = {}
            f(m, inputs, timings)
            for stage, sec in timings.items():
                stages[k].setdefault(stage, []).append(sec)
    n = inputs.n
    print(f"7. The pass before issue 23 and now ({n:,} trials of the flagship, parameter "
          f"uncertainty on; {rounds} interleaved rounds, medians)")
    print(f"   {'':<12}{'before':>10}{'now':>10}   ns per trial")
    for stage in ("inputs", *STAGES):
        b, a = (float(np.median(stages[k][stage])) * 1e9 / n for k in runs)
        print(f"   {stage:<12}{b:>10.0f}{a:>10.0f}")
    b, a = (float(np.median(cpu[k])) * 1e9 / n for k in runs)
    print(f"   {'whole pass':<12}{b:>10.0f}{a:>10.0f}   (CPU time; {b / a:.2f} x faster)")
    print("   (stages: wall time of the pass stopped after each stage, less the stage before)")


def councils(trials: int, rounds: int) -> None:
    """9. The two councils in the same pass (issue 25): the ordered probit and the
    expected-utility model (parameters.council.model: expected_utility) with 0, 4 and 8
    bargaining rounds, on the same drawn inputs of the flagship under parameter uncertainty:
    the CPU time of the whole pass per trial (median over rounds) and trials per second."""

    base = flagship()
    runs = {"ordered probit": base}
    for k in (0, 4, 8):
        runs[f"EUM, {k} rounds"] = base.with_changes(
            {"parameters.council.model": "expected_utility",
             "parameters.council.bargaining": {"rounds": k}})
    models = {name: compile_crisis(with_uncertainty(sc, "posterior"), 0)
              for name, sc in runs.items()}
    inputs = draw_trials(models["ordered probit"], seed=8, start_block=0,
                         stop_block=-(-trials // BLOCK), trials=trials, fixed=False)
    for m in models.values():
        run_pipeline(m, inputs)  # compile or load the kernels
    cpu: dict[str, list[float]] = {k: [] for k in models}
    for _ in range(rounds):
        for k, m in models.items():
            t = time.process_time()
            run_pipeline(m, inputs)
            cpu[k].append(time.process_time() - t)
    print(f"9. The councils in the pass ({inputs.n:,} trials of the flagship, parameter "
          f"uncertainty on; {rounds} interleaved rounds, medians of the CPU time)")
    for k in models:
        sec = float(np.median(cpu[k]))
        print(f"   {k:<18}{sec * 1e9 / inputs.n:>10.0f} ns per trial   "
              f"{inputs.n / sec:>12,.0f} trials/s")


def cli_run(trials: int, uncertainty: str) -> tuple[float, float]:
    """One `alliancesim run` of the CSTO (every crisis, the runs by request: what a user runs)
    in a fresh process: (CPU seconds of the child, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "alliancesim", "--no-store", "run", SCENARIO,
                    "--trials", str(trials), "--seed", "1", "--quiet",
                    "--parameter-uncertainty", uncertainty],
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def cli_uncertainty(trials: int, rounds: int) -> float:
    """8. `alliancesim run` with parameter uncertainty (posterior, the default) against the same
    run with it off, interleaved (the order alternating between rounds): the ratio of the
    median CPU times (start-up included in both)."""
    print(f"8. `alliancesim run {SCENARIO} --trials {trials:,}` (4 crises, runs by request), "
          f"parameter uncertainty posterior vs off ({rounds} rounds, interleaved; CPU of the "
          "child process)")
    cpu: dict[str, list[float]] = {"posterior": [], "off": []}
    wall: dict[str, list[float]] = {"posterior": [], "off": []}
    for r in range(rounds):
        for mode in (("posterior", "off") if r % 2 == 0 else ("off", "posterior")):
            c, w = cli_run(trials, mode)
            cpu[mode].append(c)
            wall[mode].append(w)
    for mode in cpu:
        print(f"   {mode:<10} CPU {np.median(cpu[mode]):8.1f} s (range {min(cpu[mode]):.1f}-"
              f"{max(cpu[mode]):.1f})   wall {np.median(wall[mode]):8.1f} s")
    ratio = float(np.median(cpu["posterior"]) / np.median(cpu["off"]))
    print(f"   posterior / off        {ratio:8.2f} x (CPU)")
    return ratio


def floors(med: dict[str, float], cli: float) -> None:
    """The floors of issue 23, from the measurements above."""
    print("Floors (issue 23)")
    rows = [
        ("`alliancesim run` posterior within 1.2 x of off", f"{cli:.2f} x", cli <= 1.2),
    ]
    if "mesa" in med:
        r = med["engine"] / med["mesa"]
        rows.append(("full simulate() >= 250 x the Mesa peer", f"{r:,.0f} x", r >= 250))
    else:
        rows.append(("full simulate() >= 250 x the Mesa peer", "Mesa not installed", False))
    r = med["draws alone"] / med["engine"]
    rows.append(("full simulate() <= 3.5 x the random draws alone", f"{r:.1f} x", r <= 3.5))
    for label, value, met in rows:
        print(f"   {label:<50}{value:>14}   {'met' if met else 'not met'}")


def draw_floor(model, trials: int) -> None:  # type: ignore[no-untyped-def]
    """The same random numbers as a run draws, drawn alone: the floor no implementation of this
    model can beat (every quantity, every noise term, every parameter draw)."""
    per = 32
    n_blocks = -(-trials // BLOCK)
    for b0 in range(0, n_blocks, per):
        draw_trials(model, seed=5, start_block=b0, stop_block=min(n_blocks, b0 + per),
                    trials=trials, fixed=False)


def peers(sc: Scenario, rounds: int, n_engine: int, n_mesa: int, n_ref: int
          ) -> dict[str, float]:
    """6. The engine against the peers, interleaved: each round times every contender once, in
    turn, so that a slow spell of the machine hits them all; medians and ranges over rounds."""
    print(f"6. Against the peers, interleaved ({rounds} rounds; median, range over rounds)")
    try:
        from mesa_peer import run_mesa
    except ImportError:
        run_mesa = None  # type: ignore[assignment]
        print("   Mesa is not installed: `make bench` installs it (uv sync --group bench)")
    # the crisis as simulate() runs it (its parameters drawn from the posterior, the default):
    # the draws alone are then the same random numbers, the parameter draws included (until
    # issue 23's fourth part the floor was drawn without them: ~113 against ~130 ns a trial)
    model = compile_crisis(with_uncertainty(sc), 0)
    ref_inputs = draw_trials(compile_crisis(sc, 0), seed=6, start_block=0, stop_block=1,
                             trials=n_ref)
    runs: dict[str, list[float]] = {"engine": [], "draws alone": [], "reference": [],
                                    "mesa": []}
    mesa_out: list[dict[str, object]] = []
    for r in range(rounds):
        t = time.perf_counter()
        simulate(sc, trials=n_engine, seed=10 + r, keep_trials=False)
        runs["engine"].append(n_engine / (time.perf_counter() - t))
        t = time.perf_counter()
        draw_floor(model, n_engine)
        runs["draws alone"].append(n_engine / (time.perf_counter() - t))
        t = time.perf_counter()
        run_reference(sc, 0, ref_inputs)
        runs["reference"].append(n_ref / (time.perf_counter() - t))
        if run_mesa is not None:
            t = time.perf_counter()
            mesa_out += run_mesa(sc, n_mesa, seed=r)
            runs["mesa"].append(n_mesa / (time.perf_counter() - t))
    med = {k: float(np.median(v)) for k, v in runs.items() if v}
    for k in med:
        lo, hi = min(runs[k]), max(runs[k])
        print(f"   {k:<14}{med[k]:>14,.0f} trials/s   (range {lo:,.0f}-{hi:,.0f})")
    print(f"   engine / reference      {med['engine'] / med['reference']:>8,.0f} x")
    if "mesa" in med:
        print(f"   engine / Mesa           {med['engine'] / med['mesa']:>8,.0f} x")
    print(f"   full run / draws alone  {med['draws alone'] / med['engine']:>8.1f} x the cost of "
          "its own random draws")
    if mesa_out:
        # the Mesa peer fixes the parameters (it has no posterior draws): compare like with like
        ens = simulate(sc, trials=max(n_engine, 200_000), seed=7,
                       parameter_uncertainty="off").summary().crises[0]
        n = len(mesa_out)
        rung = np.array([o["rung"] for o in mesa_out])
        rep = np.array([o["outcome"] for o in mesa_out])
        for label, m, e in (("military help", float((rung == 4).mean()),
                             ens.response["military"]),
                            ("repelled, with", float((rep == 0).mean()),
                             ens.outcome_with_alliance["repelled"])):
            se = float(np.sqrt(max(e * (1 - e), 1e-9) / n))
            print(f"   same distribution? {label}: Mesa {m:.3f}, engine {e:.3f} "
                  f"(difference {abs(m - e) / se:.1f} Mesa standard errors, {n:,} trials)")
    return med


if __name__ == "__main__":
    main()
