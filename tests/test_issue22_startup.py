"""Issue 22, start-up and Ctrl-C: the command line loads what a command needs and no more;
the bundled data are parsed once per process; global options after the subcommand; choices
in --help; `data import --folder`; the hindcast's pool leaves Ctrl-C to the parent.

No test here times anything (benchmarks/startup.py measures): which modules are loaded is
checked through sys.modules, in a fresh process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.test_datasets import FIX, FIXTURES

from alliancesim.cli import (
    BACKEND_CHOICES,
    METHOD_CHOICES,
    PRIOR_CHOICES,
    THREATS,
    UNCERTAINTY_CHOICES,
    _hoist_group_options,
    app,
    data_app,
)

HEAVY = ("numba", "numpy", "scipy", "pandas", "matplotlib", "duckdb", "pyarrow", "SALib",
         "alliancesim.api", "alliancesim.engine")
ENV = {"PATH": "/usr/bin:/bin", "COLUMNS": "200", "PYTHONPATH": os.pathsep.join(sys.path)}


def _loaded_after(code: str) -> list[str]:
    """The heavy modules loaded in a fresh process after `code` ran."""
    probe = (f"import sys\n{code}\n"
             f"print(__import__('json').dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       timeout=120, env=ENV)
    assert r.returncode == 0, r.stderr
    return list(json.loads(r.stdout.strip().splitlines()[-1]))


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    """Before: the api, the engine, numba, numpy and scipy (0.5 s of CPU before any
    command, 4.7 s on a busy machine)."""
    assert _loaded_after("import alliancesim.cli") == []


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["run", "--help"],
                                  ["data", "import", "--help"], ["run", "--bogus"]])
def test_version_help_and_a_bad_flag_load_nothing_heavy(args: list[str]) -> None:
    code = ("import sys, contextlib, io\nfrom alliancesim.cli import main\n"
            f"sys.argv = ['alliancesim', *{args!r}]\n"
            "with contextlib.redirect_stdout(io.StringIO()), "
            "contextlib.redirect_stderr(io.StringIO()):\n"
            "    try:\n        main()\n    except SystemExit:\n        pass")
    assert _loaded_after(code) == []


def test_the_backends_package_does_not_load_the_engine() -> None:
    """The process backend's workers and the CLI's --workers limit import alliancesim.backends;
    the engine comes with the first task."""
    assert _loaded_after("import alliancesim.backends, alliancesim.backends.process") == []


def test_the_engine_does_not_load_scipy_special() -> None:
    """numba loads the bare `scipy` package; scipy.special (0.1 s) is loaded when a closed
    form or a fit first needs it, not by a run. Before: by the request stage's import."""
    probe = ("import sys, alliancesim.engine, alliancesim.api\n"
             "print('scipy.special' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                       timeout=120, env=ENV)
    assert r.stdout.strip() == "False", r.stderr
    import numpy as np
    from scipy.special import ndtr

    from alliancesim.model.request import _phi, request_probabilities

    xs = np.linspace(-40.0, 40.0, 4001)
    assert max(abs(_phi(float(x)) - float(ndtr(x))) for x in xs) < 1e-15
    p = request_probabilities(0.3, -0.5, 1.2)
    assert np.allclose(p, [ndtr(-0.8), ndtr(0.9) - ndtr(-0.8), 1 - ndtr(0.9)], atol=1e-15)


# -- the bundled data, parsed once -----------------------------------------------------------

def test_the_bundled_actors_are_parsed_once_per_process(monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """Before: load_cases() parsed actors.yaml and actors_datasets.yaml once per case (35
    times for the 17 cases: 2.3 s of every run's start-up)."""
    from alliancesim.cases import load_cases
    from alliancesim.scenario import loading

    loading._parsed_actors.cache_clear()
    loading._parsed_affinity.cache_clear()
    parsed: list[str] = []
    real = loading.parse_yaml

    def counting(text: str, source: str):  # type: ignore[no-untyped-def]
        parsed.append(Path(source).name)
        return real(text, source)

    monkeypatch.setattr(loading, "parse_yaml", counting)
    load_cases()
    load_cases()
    for name in ("actors.yaml", "actors_datasets.yaml", "affinity.yaml"):
        assert parsed.count(name) == 1, (name, parsed.count(name))


def test_each_caller_gets_its_own_dict_of_actors() -> None:
    from alliancesim.scenario.loading import bundled_actors, bundled_affinity

    first = bundled_actors()
    first.pop("RUS")
    first["XXX"] = first["ARM"]
    again = bundled_actors()
    assert "RUS" in again and "XXX" not in again
    _, pairs = bundled_affinity()
    n = len(pairs)
    pairs.clear()
    assert len(bundled_affinity()[1]) == n


# -- global options after the subcommand, choices in --help ----------------------------------

def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "alliancesim", *args], capture_output=True,
                          text=True, timeout=300, env=ENV, cwd=cwd)


def test_global_options_are_moved_before_the_subcommand() -> None:
    def hoist(group, args: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
        import typer

        click_group = typer.main.get_group(group)
        return _hoist_group_options(click_group, click_group.make_context(
            "alliancesim", ["--help"], resilient_parsing=True), args)

    assert hoist(app, ["run", "-n", "5", "--no-store"]) == ["--no-store", "run", "-n", "5"]
    assert hoist(app, ["results", "list", "--store", "x.duckdb", "--json"]) == [
        "--store", "x.duckdb", "results", "list", "--json"]
    assert hoist(app, ["results", "list", "--store=x.duckdb"]) == [
        "--store=x.duckdb", "results", "list"]
    assert hoist(app, ["--store", "a", "run", "--version"]) == ["--store", "a", "--version",
                                                                 "run"]
    assert hoist(app, ["run", "--", "--no-store"]) == ["run", "--", "--no-store"]  # after --
    assert hoist(data_app, ["list", "--data-store", "d.duckdb"]) == ["--data-store",
                                                                     "d.duckdb", "list"]
    # the subcommand's own option of that name stays its own (reliability fit --data-store
    # is the command's, not data's)
    assert hoist(app, ["reliability", "fit", "--data-store", "d"]) == [
        "reliability", "fit", "--data-store", "d"]


@pytest.mark.parametrize("case", ["results --store", "data --data-store", "--no-store",
                                  "--version"])
def test_global_options_work_after_the_subcommand(tmp_path: Path, case: str) -> None:
    """Before: `No such option: ...` (exit 2) for each of these."""
    if case == "results --store":
        store = tmp_path / "runs.duckdb"
        r = _cli("results", "list", "--store", str(store))
        assert r.returncode == 2 and f"--store {store}" in r.stderr, r.stderr
    elif case == "data --data-store":
        r = _cli("data", "list", "--data-store", str(tmp_path / "d.duckdb"))
        assert r.returncode == 0 and "the data store is empty" in r.stdout, r.stderr
    elif case == "--no-store":
        r = _cli("scenarios", "--no-store")
        assert r.returncode == 0 and "csto-2021-autumn" in r.stdout, r.stderr
    else:
        r = _cli("scenarios", "--version")
        assert r.returncode == 0 and r.stdout.startswith("alliancesim "), r.stderr


@pytest.mark.parametrize(("command", "shown"), [
    (["run"], [BACKEND_CHOICES, UNCERTAINTY_CHOICES]),
    (["compare"], [BACKEND_CHOICES]),
    (["sweep"], [BACKEND_CHOICES]),
    (["sensitivity"], [METHOD_CHOICES, BACKEND_CHOICES]),
    (["discover"], [BACKEND_CHOICES]),
    (["calibrate"], [PRIOR_CHOICES]),
    (["hindcast"], [PRIOR_CHOICES]),
    (["data", "build"], [", ".join(THREATS)]),
])
def test_help_lists_the_choices(command: list[str], shown: list[str]) -> None:
    """Before: `<str>` for each."""
    r = _cli(*command, "--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.replace("│", " ").split())
    for choice in shown:
        assert choice in text, (choice, r.stdout)


def test_data_import_help_lists_every_kind() -> None:
    """Before: `<str>` and "see alliancesim data kinds"."""
    from alliancesim.datasets.kinds import kind_names

    r = _cli("data", "import", "--help")
    assert r.returncode == 0, r.stderr
    text = " ".join(r.stdout.replace("│", " ").split())
    for name in kind_names():
        assert name in text, (name, r.stdout)


def test_the_choices_shown_are_the_library_s() -> None:
    """--help names the choices without loading the modules that define them: the copies are
    equal to the originals."""
    from alliancesim.backends import BACKENDS
    from alliancesim.experiments.calibration import PRIORS
    from alliancesim.experiments.sensitivity import METHODS
    from alliancesim.scenario.schema import ThreatType

    assert BACKEND_CHOICES == "[" + "|".join(BACKENDS) + "]"
    assert METHOD_CHOICES == "[" + "|".join(METHODS) + "]"
    assert PRIOR_CHOICES == "[" + "|".join(PRIORS) + "]"
    assert UNCERTAINTY_CHOICES == "[posterior|off]"
    assert THREATS == tuple(t.value for t in ThreatType)


# -- data import --folder --------------------------------------------------------------------

@pytest.mark.parametrize("kind", sorted(FIXTURES))
def test_every_fixture_file_is_recognised_by_its_header(kind: str) -> None:
    from alliancesim.datasets.reading import recognise

    assert recognise(FIX / FIXTURES[kind][0]) == (kind, "")


def test_a_file_of_no_known_kind_is_named_with_its_header(tmp_path: Path) -> None:
    from alliancesim.datasets.reading import recognise

    f = tmp_path / "mine.csv"
    f.write_text("country,score\nARM,3\n")
    kind, why = recognise(f)
    assert kind is None and "header: country, score" in why and "data kinds" in why
    (tmp_path / "empty.csv").write_text("")
    assert recognise(tmp_path / "empty.csv") == (None, "an empty file or no header line")


def test_import_a_folder_in_one_process(tmp_path: Path) -> None:
    """Every recognised file imported (one line each, on stdout), the others skipped and
    listed with the reason (stderr), exit status 0. Before: `data import` took exactly KIND
    PATH, one process (and one start-up) per file."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    for name in ("nmc_v5.csv", "majors2011.csv", "nmc_peacesciencer.csv"):
        shutil.copy(FIX / name, folder / name)
    (folder / "notes.txt").write_text("what I downloaded\n")
    (folder / "sub").mkdir()
    store = tmp_path / "d.duckdb"
    r = _cli("data", "import", "--folder", str(folder), "--data-store", str(store))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "majors2011.csv: imported cow-majors 2011, 3 rows, 1917-2011",
        "nmc_peacesciencer.csv: imported nmc 5.0, 115 rows, 1990-2012"], r.stdout
    err = r.stderr.splitlines()
    assert err[0].startswith("nmc_v5.csv: skipped: a second nmc file: nmc_peacesciencer.csv "
                             "was imported from this folder; import this one alone with "
                             "alliancesim data import nmc "), err
    assert err[1].startswith("notes.txt: skipped: not a file of any kind the importer knows "
                             "(header: what i downloaded;"), err
    assert err[2] == "sub: skipped: not a regular file (subfolders are not searched)"
    assert err[3] == ("2 of 5 files imported; skipped: nmc_v5.csv, notes.txt, sub")
    from alliancesim import api

    assert sorted(x.kind for x in api.data_list(data_store=store)) == ["cow-majors", "nmc"]


def test_a_refused_file_does_not_stop_the_others(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(FIX / "majors2011.csv", folder / "b.csv")
    lines = (FIX / "states2011.csv").read_text().splitlines()
    (folder / "a.csv").write_text("\n".join([lines[0], lines[1].replace(",", ",x", 1)]) + "\n")
    r = _cli("data", "--data-store", str(tmp_path / "d.duckdb"), "import", "--folder",
             str(folder))
    assert r.returncode == 2, r.stderr
    assert r.stdout.splitlines() == ["b.csv: imported cow-majors 2011, 3 rows, 1917-2011"]
    assert r.stderr.startswith("a.csv: refused (cow-states): "), r.stderr
    assert r.stderr.splitlines()[-1] == "1 of 2 files imported; refused: a.csv"
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "message"), [
    ([], "error: data import needs KIND PATH (see `alliancesim data kinds`), or --folder DIR"),
    (["nmc"], "error: data import needs KIND PATH (see `alliancesim data kinds`), or --folder "
     "DIR"),
    (["nmc", "x.csv", "--folder", "."], "error: --folder .: give either --folder DIR or KIND "
     "PATH (with --release), not both"),
    (["--folder", "no-such-folder"], "error: --folder no-such-folder: not a folder"),
])
def test_import_asks_for_a_file_or_a_folder(tmp_path: Path, args: list[str], message: str
                                            ) -> None:
    r = _cli("data", "import", *args, "--data-store", str(tmp_path / "d.duckdb"), cwd=tmp_path)
    assert (r.returncode, r.stderr.strip()) == (2, message)


# -- Ctrl-C and the hindcast's pool of fits ---------------------------------------------------

def test_the_pool_of_fits_gives_the_same_results() -> None:
    from alliancesim.experiments.hindcast import pool_map

    jobs = [-3, 1, -4, 1, -5]
    seen: list[int] = []
    assert list(pool_map(abs, jobs, workers=2, done=seen.append)) == [3, 1, 4, 1, 5]
    assert seen == jobs


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
def test_ctrl_c_while_the_pool_of_fits_starts() -> None:
    """Ctrl-C (to the whole process group, as a terminal sends it) the moment the hindcast's
    workers exist: the parent stops, no worker prints a traceback. Before: the pool's forked
    workers inherited the parent's handler and the idle one died with a KeyboardInterrupt
    traceback."""
    code = ("import time\nfrom alliancesim.experiments.hindcast import pool_map\n"
            "try:\n    list(pool_map(time.sleep, [0.5], workers=2))\n"
            "    print('not interrupted')\n"
            "except KeyboardInterrupt:\n    print('stopped')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(_children(proc.pid)) < 2:  # the two workers (spawned, or forked before)
            assert time.monotonic() < deadline and proc.poll() is None, proc.poll()
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert out.strip() == "stopped", (out, err)
    assert "Traceback" not in err, err


# -- progress with counts --------------------------------------------------------------------

def test_the_hindcast_counts_its_cases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before: one message for the whole leave-one-out (a static spinner for over a minute).
    The fit is replaced by a stand-in that says what it was given: each case is forecast
    from the others, in order, and counted after its forecast."""
    from alliancesim.experiments import hindcast

    calls: list[tuple[list[str], str]] = []
    seen: list[tuple[int, int, int]] = []

    def fit_and_forecast(train, held, *_args):  # type: ignore[no-untyped-def]
        calls.append((list(train), held))
        return held.upper()

    monkeypatch.setattr(hindcast, "forecast_case", fit_and_forecast)
    out = hindcast.leave_one_out(["a", "b", "c"],  # type: ignore[list-item]
                                 progress=lambda k, n: seen.append((k, n, len(calls))))
    assert out == ["A", "B", "C"]
    assert calls == [(["b", "c"], "a"), (["a", "c"], "b"), (["a", "b"], "c")]
    assert seen == [(1, 3, 1), (2, 3, 2), (3, 3, 3)]


def test_the_mcmc_counts_its_steps_and_draws_the_same() -> None:
    import emcee
    import numpy as np

    from alliancesim.experiments import posterior

    def log_prob(u: np.ndarray) -> np.ndarray:
        return np.asarray(-0.5 * (np.atleast_2d(u) ** 2).sum(axis=1))

    s = posterior.Settings(walkers=8, burn=20, thin=2, keep=40, seed=3)
    seen: list[tuple[int, int]] = []
    chain, acc, _ = posterior.run_emcee(log_prob, np.zeros(2), np.ones(2), s,
                                        lambda k, n: seen.append((k, n)))
    assert seen == [(50, 100), (100, 100)]
    # the same draws as emcee's own run_mcmc from the same start
    rng = np.random.default_rng(s.seed)
    p0 = rng.standard_normal((s.walkers, 2))
    sampler = emcee.EnsembleSampler(s.walkers, 2, log_prob, vectorize=True, moves=[
        (emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)])
    sampler.random_state = np.random.RandomState(s.seed).get_state()
    sampler.run_mcmc(p0, s.steps, progress=False)
    ref = np.swapaxes(sampler.get_chain(discard=s.burn, thin=s.thin), 0, 1)
    assert np.array_equal(chain, ref)
    assert acc == float(np.mean(sampler.acceptance_fraction))


def test_the_sensitivity_counts_its_trials() -> None:
    from alliancesim import api

    seen: list[str] = []
    api.sensitivity("csto-2021-autumn", method="morris", samples=8, seed=1,
                    progress=seen.append)
    assert seen, "no progress"
    assert seen[0].startswith("crisis 1 of 4: ") and seen[-1].startswith("crisis 4 of 4: ")
    done, total = seen[-1].split(": ")[1].removesuffix(" trials").split(" of ")
    assert done == total


def test_the_member_model_counts_its_folds() -> None:
    import numpy as np

    from alliancesim.datasets.allies import AllyRecord
    from alliancesim.experiments import reliability as rl

    rng = np.random.default_rng(1)
    n = 300
    x = rng.standard_normal((n, 3))
    y = rng.integers(0, 3, n)
    rec = AllyRecord(dispute=np.arange(n) // 3, year=np.full(n, 1990), ally=np.arange(n),
                     target=np.arange(n), aggressor=np.arange(n), x=x, y=y,
                     dropped_no_ideal_points=0, excluded_for_cases=0, releases={})
    seen: list[tuple[int, int]] = []
    rl.cross_validate(rec, np.arange(n) % 4, lambda k, m: seen.append((k, m)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
