"""Structure-aware fuzzing of what a user hands alliancesim, surface by surface.

- files:    a real file (a bundled scenario, an example, a bundled case, a parameter file, a
            variants file for compare) mutated — wrong types, deleted and duplicated keys,
            extreme numbers, aliases, deep nesting, unicode, control characters, binary
            garbage, truncation — loaded and run as a user would;
- datasets: a dataset fixture (tests/fixtures/datasets: NMC in two layouts, ATOP members,
            SIPRI, COW majors, MID participants, a reliability archive) with its header
            damaged, cut, wrong types or huge fields in cells, ragged rows, other separators,
            gzipped (sound or damaged), imported by `data import` into a scratch data store;
- vary:     `sweep --vary` specifications (paths that exist or not, numbers that are not,
            steps and Latin-hypercube sizes out of bounds, a path twice);
- tags:     scenario files with YAML tags on values, lists and maps (`!!bool maybe`,
            `!!timestamp x`, `!!int ''`, `!!null x`, `!!map []`, `!custom`, python tags);
- out:      `run --out` and `results export --out` at a new path, an empty or foreign folder,
            a file, a symlink (to a folder, a file, nowhere), a FIFO, `.` (empty or foreign),
            a read-only folder or parent, an earlier output, a path through a file, a name too
            long (as root the read-only modes do not bind: the product may then write).

The only outcomes allowed:

- ok:        it runs (every probability finite, each distribution summing to 1), imports, or
             writes its output, and nothing the user had beside it changed;
- rejected:  a ScenarioError (DatasetError) or UsageError whose every message is one line
             (through the CLI: exit 2, one line on stderr) and, for --out, every entry under
             the situation as it was (type, mode, content, link target): a change is a failure;

each within a time bound (30 s of CPU, SIGPROF, and 300 s of wall time, SIGALRM: a busy or
niced machine stretches wall time, not the CPU a hang burns) and, under ``make fuzz``, a memory
bound (RLIMIT_AS). Any other exception, a hang, a MemoryError or data loss is a failure,
reported by kind with the input kept in the temporary folder.

    python tests/fuzzing.py --examples 10000 [--seed 1] [--surface NAME]   # make fuzz
"""

from __future__ import annotations

import argparse
import collections
import copy
import math
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

SRC = Path(__file__).resolve().parents[1] / "src" / "alliancesim" / "data"
TIME_LIMIT = 30  # seconds of CPU per example (the process's own: a loop that does not end)
WALL_LIMIT = 300  # seconds of wall time per example (a wait that does not end)
TRIALS = 300

PARAMS = """\
parameters:
  council:
    coefficients: {in_scope: 1.5, cost: -0.3}
    cutpoints: [-0.5, 0.0, 0.4, 0.9]
    unilateral_margin: 1.0
  forces: {valuation: 1.2}
"""

EXTREMES: list[Any] = [0, -1, 1e19, -1e19, 1e308, -1e308, 2**70, 1e-320, 0.5, 3650, 3651,
                       1e8, 1e9, 1e12, 1e13, "nan", ".nan", ".inf", "-.inf", True, False, None,
                       "", "x" * 5000, "RUS", "\u202e\u0000\x1b[2J", [], {}, [1, 2], {"a": 1},
                       {"dist": "uniform", "low": -1e308, "high": 1e308},
                       {"dist": "lognormal", "median": 3, "sigma": 50},
                       {"dist": "normal", "mean": 1e11, "sd": 1e11},
                       {"dist": "beta", "a": 1e-9, "b": 1e9, "low": 0, "high": 1},
                       {"dist": "triangular", "low": 5, "mode": 1, "high": 2},
                       {"dist": "fixed", "value": 1e300}, {"dist": "gamma"}]


class Timeout(BaseException):
    pass


def _seeds() -> list[tuple[str, str]]:
    """(kind, text) of every seed file."""
    out = [("scenario", p.read_text()) for p in sorted((SRC / "scenarios").glob("*.yaml"))]
    examples = Path(__file__).resolve().parents[1] / "examples"
    out += [("scenario", p.read_text()) for p in sorted(examples.glob("*.yaml"))
            if "variants" not in p.name]
    out += [("case", p.read_text()) for p in sorted((SRC / "cases").glob("*.yaml"))[:6]]
    out.append(("params", PARAMS))
    out += [("variants", p.read_text()) for p in sorted(examples.glob("*variants*.yaml"))]
    return out


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside nested dicts and lists."""
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _get(data: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    _get(data, path[:-1])[path[-1]] = value
    return data


def _structural(rng: random.Random, text: str) -> str:
    data = yaml.safe_load(text)
    for _ in range(rng.choice([1, 1, 2, 3])):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = rng.choice(paths)
        parent = _get(data, path[:-1])
        op = rng.random()
        value = _get(data, path)
        if op < 0.3 and isinstance(value, int | float) and not isinstance(value, bool):
            # a plausible number, or one near a bound
            new = value * 10 ** rng.uniform(-3, 3) * rng.choice([1, 1, 1, -1])
            data = _set(data, path, rng.choice([new, new, 3650.0, 1e8, 0.999, 0]))
        elif op < 0.45 and isinstance(parent, dict):
            del parent[path[-1]]
        elif op < 0.52 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        elif op < 0.6 and isinstance(parent, dict):
            parent[rng.choice(["extra", "colour", "dist", "value", "members", "id"])] = \
                rng.choice(EXTREMES)
        else:
            data = _set(data, path, copy.deepcopy(rng.choice(EXTREMES)))
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _textual(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    op = rng.randrange(9)
    if op == 0 and lines:  # duplicate a line (duplicate keys)
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "".join(lines)
    if op == 1:  # truncate
        return text[: rng.randrange(len(text) + 1)]
    if op == 2:  # binary garbage
        i = rng.randrange(len(text) + 1)
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))
        return text[:i] + garbage.decode("latin-1") + text[i:]
    if op == 3:  # an alias bomb in front
        bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
            f"{b}: &{b} [{', '.join(['*' + a] * 10)}]\n" for a, b in zip("abcdefg", "bcdefgh",
                                                                         strict=True))
        return bomb + text
    if op == 4:  # a recursive alias
        return "loop: &l [1, *l]\n" + text
    if op == 5:  # deep nesting
        depth = rng.choice([50, 100, 1000, 20000])
        return "deep: " + "[" * depth + "]" * depth + "\n" + text
    if op == 6:  # unicode and control characters in a value
        i = rng.randrange(len(lines)) if lines else 0
        if lines and ":" in lines[i]:
            key = lines[i].split(":", 1)[0]
            lines[i] = key + ': "\u0000\u2028\x07\x1b[31m\u202e\ud7ff"\n'
        return "".join(lines)
    if op == 7:  # tabs and odd indentation, or an impossible date
        if rng.random() < 0.5 and "date:" in text:
            return re.sub(r"date: \S+", rng.choice(["date: 2022-02-30", "date: 2022-13-01",
                                                      "date: 99999-01-01", "date: 0000-01-01"]),
                          text, count=1)
        return text.replace("  ", "\t", rng.randrange(1, 4))
    return text + rng.choice(["trials: 1000000000000000\n", "seed: -1\n", "trials: true\n",
                              "seed: 1.5\n", "trials: '5'\n", "{}\n", "- list\n"])


def mutate(rng: random.Random, text: str) -> str:
    try:
        return _structural(rng, text) if rng.random() < 0.6 else _textual(rng, text)
    except (yaml.YAMLError, RecursionError, TypeError, IndexError, KeyError):
        return _textual(rng, text)


def _check_result(ens: Any) -> None:
    for c in ens.summary().crises:
        for dist in (c.response, c.request, c.outcome_with_alliance, c.outcome_alone):
            values = list(dist.values())
            assert all(math.isfinite(v) for v in values), dist
            assert abs(sum(values) - 1.0) < 1e-9, dist


def run_one(kind: str, path: Path) -> str:
    """Load and run one file as a user would; the outcome's kind."""
    from alliancesim import api
    from alliancesim.cases import load_case, to_scenario
    from alliancesim.scenario.errors import ScenarioError, UsageError

    try:
        if kind == "variants":
            report = api.compare(path, trials=TRIALS)
            for c in report.crises:
                for v in c.values.values():
                    assert all(math.isfinite(x) and 0 <= x <= 1 for x in v.values()), v
            return "ok"
        if kind == "scenario":
            sc = api.load_scenario(path)
        elif kind == "case":
            sc = to_scenario(load_case(path))
        else:
            sc = api.load_scenario("csto-2021-autumn", params=path)
        _check_result(api.simulate(sc, trials=TRIALS, seed=3))
        return "ok"
    except (ScenarioError, UsageError) as exc:
        lines = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
        if any("\n" in ln or "\r" in ln or "\x1b" in ln for ln in lines):
            return "failure: multi-line or raw control characters in a message"
        return "rejected"


def _one_line(exc: BaseException) -> str:
    """'rejected' when every message of a ScenarioError/UsageError is one line."""
    lines = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
    if any("\n" in ln or "\r" in ln or "\x1b" in ln for ln in lines):
        return "failure: multi-line or raw control characters in a message"
    return "rejected"


# --------------------------------------------------------------------------- surface: files
def _files_example(rng: random.Random, k: int, tmp: Path, state: dict[str, Any]
                   ) -> tuple[str, Path, Callable[[], str]]:
    seeds = state.setdefault("seeds", _seeds())
    kind, text = rng.choice(seeds)
    mutated = mutate(rng, text)
    path = tmp / f"example{k % 10}.yaml"
    data = mutated.encode("utf-8", "surrogatepass")
    if rng.random() < 0.03:  # not UTF-8 at all
        cut = rng.randrange(len(data) + 1)
        data = data[:cut] + b"\xff\xfe\xc3(" + data[cut:]
    path.write_bytes(data)
    return kind, path, lambda: run_one(kind, path)


# --------------------------------------------------------------------------- surface: datasets
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "datasets"
DATASETS = [("nmc", "nmc_v5.csv"), ("nmc", "nmc_peacesciencer.csv"),
            ("atop-members", "atop_members.csv"), ("sipri", "sipri.csv"),
            ("cow-majors", "majors2011.csv"), ("mid-participants", "midb.csv"),
            ("reliability-bf2018", "bf2018.csv")]
CELLS = ["", "abc", "-9", "1e400", "nan", "inf", "-0", "2**70", "99999999999999999999999",
         "1.5", "\u202e\x00", '"', '"unterminated', "x" * 200_000, "1,2", " 1 ", "NULL",
         "\x1b[2J", "0x10", "١٢٣"]


def _mutate_csv(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    header = lines[0].rstrip("\r\n").split(",") if lines else []
    op = rng.randrange(12)
    if op == 0 and header:  # rename, drop or duplicate a header column
        i = rng.randrange(len(header))
        choice = rng.randrange(3)
        if choice == 0:
            header[i] = rng.choice(["", "YEAR", header[i] + " ", "ccode", "\ufeff" + header[i]])
        elif choice == 1:
            del header[i]
        else:
            header.insert(i, header[i])
        return ",".join(header) + "\n" + "".join(lines[1:])
    if op == 1:  # truncate anywhere
        return text[: rng.randrange(len(text) + 1)]
    if op in (2, 3, 4) and len(lines) > 1:  # wrong types / huge fields in cells
        for _ in range(rng.choice([1, 1, 3, 20])):
            i = rng.randrange(1, len(lines))
            cells = lines[i].rstrip("\r\n").split(",")
            cells[rng.randrange(len(cells))] = rng.choice(CELLS)
            lines[i] = ",".join(cells) + "\n"
        return "".join(lines)
    if op == 5 and len(lines) > 1:  # a row with too many or too few cells
        i = rng.randrange(1, len(lines))
        cells = lines[i].rstrip("\r\n").split(",")
        cells = cells[: rng.randrange(len(cells))] if rng.random() < 0.5 else cells + ["1"] * 3
        lines[i] = ",".join(cells) + "\n"
        return "".join(lines)
    if op == 6:  # only the header, or nothing, or a blank line
        return rng.choice([lines[0] if lines else "", "", "\n", "\n\n\n", ","])
    if op == 7:  # binary garbage
        i = rng.randrange(len(text) + 1)
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        return text[:i] + garbage.decode("latin-1") + text[i:]
    if op == 8:  # other separators and line ends
        return rng.choice([text.replace(",", ";"), text.replace(",", "\t"),
                           text.replace("\n", "\r\n"), text.replace("\n", "\r"),
                           "\ufeff" + text])
    if op == 9 and len(lines) > 1:  # many copies of a row (duplicate keys)
        return "".join(lines + [lines[-1]] * rng.choice([1, 10, 1000]))
    if op == 10:  # a huge header or a huge single line
        return rng.choice([",".join(f"c{i}" for i in range(20000)) + "\n" + text,
                           text + "9" * 1_000_000 + "\n"])
    return text


def _datasets_example(rng: random.Random, k: int, tmp: Path, state: dict[str, Any]
                      ) -> tuple[str, Path, Callable[[], str]]:
    import gzip

    kind, name = rng.choice(DATASETS)
    text = (FIXTURES / name).read_bytes().decode("utf-8", "surrogateescape")
    for _ in range(rng.choice([1, 1, 1, 2])):
        text = _mutate_csv(rng, text)
    data = text.encode("utf-8", "surrogateescape")
    gz = rng.random() < 0.2
    path = tmp / f"dataset{k % 10}.csv{'.gz' if gz else ''}"
    if gz:
        data = gzip.compress(data)
        if rng.random() < 0.3:  # a cut or damaged gzip stream
            cut = rng.randrange(len(data) + 1)
            data = data[:cut] + (b"\x00garbage" if rng.random() < 0.5 else b"")
    elif rng.random() < 0.05:
        data = b"\x1f\x8b" + data  # a gzip magic number on a plain file
    path.write_bytes(data)
    release = "fixture" if kind.startswith("reli") else rng.choice(
        [None, None, None, "5.0", "9.9", "", "x" * 300])
    store = tmp / "datasets.duckdb"

    def run() -> str:
        from alliancesim import api
        from alliancesim.scenario.errors import ScenarioError, UsageError

        try:
            row = api.data_import(kind, path, release=release, data_store=store)
        except (ScenarioError, UsageError) as exc:  # DatasetError is a ScenarioError
            return _one_line(exc)
        assert row.rows >= 0 and row.kind == kind, row
        return "ok"
    return kind, path, run


# --------------------------------------------------------------------------- surface: vary
VALID_PATHS = ["parameters.council.coefficients.leader_stake",
               "parameters.council.coefficients.in_scope", "parameters.forces.valuation",
               "crises.armenia-attack.aggressor_strength"]
VARY_PATHS = ["parameters.council.coefficients.in_scope", "parameters.council.coefficients.cost",
              "parameters.council.unilateral_margin", "parameters.forces.valuation",
              "crises.armenia-attack.aggressor_strength", "crises", "parameters", "",
              "parameters.council.cutpoints.0", "parameters.council.coefficients.nope",
              "seed", "trials", "members.0", "parameters..cost", ".", "a.b.c.d.e",
              "parameters.council.coefficients.in_scope.x", "\u202e", "x" * 400]
VARY_NUMS = ["0", "1", "-1", "0.5", "1e308", "-1e308", "nan", "inf", "-inf", "", "1e9", "abc",
             "1_0", "0x1", " 2", "1e-320", "3650"]


def _vary_spec(rng: random.Random) -> str:
    path = rng.choice(VALID_PATHS * 3 + VARY_PATHS)
    low, high = (rng.choice(VARY_NUMS[:4] * 6 + VARY_NUMS[4:]),
                 rng.choice(VARY_NUMS[:4] * 6 + VARY_NUMS[4:]))
    # the valid grids stay small (a point costs ~25 ms: 1,000 of them would pass the time
    # bound); the large step counts are the refused ones
    steps = rng.choice(["1", "2", "3"] * 5 + ["0", "-1", "1001", "99999", "2.5", "", "1e3"])
    form = rng.randrange(8)
    if form == 0:
        return f"{path}={low}:{high}"
    if form == 1:
        return f"{path}={low}:{high}:{steps}:{steps}"
    if form == 2:
        return rng.choice([path, f"{path}=", f"={low}:{high}:{steps}", "==:", ":::", "",
                           f"{path}={low}", f"{path}={low}:{high}:{steps}\n"])
    return f"{path}={low}:{high}:{steps}"


def _vary_example(rng: random.Random, k: int, tmp: Path, state: dict[str, Any]
                  ) -> tuple[str, Path, Callable[[], str]]:
    vary = [_vary_spec(rng) for _ in range(rng.choice([1, 1, 2, 3]))]
    if rng.random() < 0.1:
        vary = vary + vary[:1]  # one path twice
    lhs = rng.choice([None] * 6 + [0, -1, 1, 3, 10_001])
    path = tmp / f"vary{k % 10}.txt"
    path.write_text(repr({"vary": vary, "lhs": lhs}), encoding="utf-8", errors="backslashreplace")

    def run() -> str:
        from alliancesim import api
        from alliancesim.scenario.errors import ScenarioError, UsageError

        try:
            report = api.sweep("csto-2021-autumn", vary=vary, lhs=lhs, trials=8, seed=1)
        except (ScenarioError, UsageError) as exc:
            return _one_line(exc)
        assert report.paths, report
        return "ok"
    return "vary", path, run


# --------------------------------------------------------------------------- surface: tags
TAGGED = ["!!bool maybe", "!!bool yes", "!!bool ''", "!!timestamp x", "!!timestamp 2022-02-30",
          "!!timestamp 2022-01-01", "!!int ''", "!!int 0x1F", "!!int 1_000", "!!int x",
          "!!float x", "!!float .inf", "!!float ''", "!!null x", "!!null ''", "!!str 5",
          "!!binary aGVsbG8=", "!!binary ***", "!!set {a, b}", "!!omap [a: 1]", "!!pairs [a: 1]",
          "!!map {}", "!!map []", "!!seq []", "!!seq {}", "!!merge x", "!!value x",
          "!custom x", "!<tag:yaml.org,2002:int> 3", "!<tag:x> 3",
          "!!python/object/apply:os.system ['true']", "!!python/name:os.system ''",
          "!!python/tuple [1, 2]", "!!str", "!!int", "!!bool", "!!null"]


def _tag_mutation(rng: random.Random, text: str) -> str:
    lines = text.splitlines(keepends=True)
    keyed = [i for i, ln in enumerate(lines) if re.match(r"^\s*(- )?[\w-]+:", ln)]
    for _ in range(rng.choice([1, 1, 2])):
        if not keyed:
            break
        i = rng.choice(keyed)
        key, _, value = lines[i].rstrip("\n").partition(":")
        value = value.strip()
        if not value or rng.random() < 0.2:  # a tag on a map or list (or on what follows)
            tag = rng.choice(["!!map", "!!seq", "!!set", "!!omap", "!!str", "!!null", "!!bool",
                              "!!int", "!custom", "!!timestamp"])
            lines[i] = f"{key}: {tag} {value}\n" if value else f"{key}: {tag}\n"
        elif rng.random() < 0.5:
            lines[i] = f"{key}: {rng.choice(TAGGED)}\n"
        else:  # the same value with a tag that may or may not fit it
            tag = rng.choice(["!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp",
                              "!!binary", "!!seq", "!!map"])
            lines[i] = f"{key}: {tag} {value}\n"
    if rng.random() < 0.1:  # a tag on the whole document
        return rng.choice(["!!seq\n", "!!str\n", "!!map\n", "--- !!map\n", "%TAG ! tag:x,\n---\n"]
                          ) + "".join(lines)
    return "".join(lines)


def _tags_example(rng: random.Random, k: int, tmp: Path, state: dict[str, Any]
                  ) -> tuple[str, Path, Callable[[], str]]:
    seeds = state.setdefault("scenarios", [t for kind, t in _seeds() if kind == "scenario"])
    text = _tag_mutation(rng, rng.choice(seeds))
    path = tmp / f"tagged{k % 10}.yaml"
    path.write_text(text, encoding="utf-8")
    return "scenario", path, lambda: run_one("scenario", path)


# --------------------------------------------------------------------------- surface: out
def _snapshot(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every entry at and under `root` (not following symlinks): type, mode, content."""
    import os
    import stat

    out: dict[str, tuple[Any, ...]] = {}

    def visit(p: Path, name: str) -> None:
        try:
            st = os.lstat(p)
        except FileNotFoundError:
            return
        mode = stat.S_IFMT(st.st_mode)
        if stat.S_ISREG(st.st_mode):
            out[name] = (mode, st.st_mode & 0o7777, p.read_bytes())
        elif stat.S_ISLNK(st.st_mode):
            out[name] = (mode, os.readlink(p))
        elif stat.S_ISDIR(st.st_mode):
            out[name] = (mode, st.st_mode & 0o7777)
            for child in sorted(os.listdir(p)):
                visit(p / child, f"{name}/{child}")
        else:
            out[name] = (mode,)
    visit(root, ".")
    return out


OUT_TARGETS = ["new", "new-nested", "empty-dir", "file", "foreign-dir", "symlink-dir",
               "symlink-file", "dangling-symlink", "fifo", "cwd-dot", "cwd-foreign-dot",
               "read-only-dir", "read-only-parent", "earlier-output", "file-in-path",
               "trailing-slash-file", "long-name", "dotdot"]


def _make_target(rng: random.Random, case: Path, target: str, previous: Path | None
                 ) -> tuple[str, Path | None]:
    """Build the situation; returns (the --out argument, the cwd to run in or None)."""
    import os
    import shutil

    elsewhere = case / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "precious.txt").write_text("the user's own file\n")
    t = case / "target"
    if target == "new":
        return str(t), None
    if target == "new-nested":
        return str(t / "a" / "b"), None
    if target == "empty-dir":
        t.mkdir()
        return str(t), None
    if target == "file":
        t.write_text("the user's own file\n")
        return str(t), None
    if target == "foreign-dir":
        t.mkdir()
        (t / rng.choice(["notes.txt", "summary.json", "run.json.bak", ".hidden"])).write_text(
            "the user's own file\n")
        return str(t), None
    if target == "symlink-dir":
        t.symlink_to(elsewhere)
        return str(t), None
    if target == "symlink-file":
        t.symlink_to(elsewhere / "precious.txt")
        return str(t), None
    if target == "dangling-symlink":
        t.symlink_to(case / "nowhere")
        return str(t), None
    if target == "fifo":
        os.mkfifo(t)
        return str(t), None
    if target == "cwd-dot":
        t.mkdir()
        return rng.choice([".", "./", "./."]), t
    if target == "cwd-foreign-dot":
        return rng.choice([".", "./"]), elsewhere
    if target == "read-only-dir":
        t.mkdir()
        t.chmod(0o555)
        return str(t), None
    if target == "read-only-parent":
        case.chmod(0o555)
        return str(t), None
    if target == "earlier-output" and previous is not None:
        shutil.copytree(previous, t, symlinks=True)
        return str(t), None
    if target == "file-in-path":
        t.write_text("the user's own file\n")
        return str(t / "sub"), None
    if target == "trailing-slash-file":
        t.write_text("the user's own file\n")
        return str(t) + "/", None
    if target == "long-name":
        return str(case / ("n" * rng.choice([255, 256, 300]))), None
    if target == "dotdot":
        return str(elsewhere / ".." / "elsewhere"), None
    return str(t), None


def _cli(argv: list[str], cwd: Path | None) -> tuple[int, str]:
    """Run the command line in this process, as `alliancesim ARGV` would; (status, stderr)."""
    import contextlib
    import io
    import os

    from alliancesim import cli

    err = io.StringIO()
    old_cwd, old_argv = os.getcwd(), sys.argv
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}  # main sets
    sys.argv = ["alliancesim", *argv]
    code: Any = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            cli.main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = old_argv
        os.chdir(old_cwd)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return (code if isinstance(code, int) else 1), err.getvalue()


def _out_example(rng: random.Random, k: int, tmp: Path, state: dict[str, Any]
                 ) -> tuple[str, Path, Callable[[], str]]:
    import os
    import shutil

    os.environ["ALLIANCESIM_STORE"] = str(tmp / "runs.duckdb")
    os.environ["ALLIANCESIM_DATA"] = str(tmp / "datasets.duckdb")
    command = rng.choice(["run", "run", "export"])
    target = rng.choice(OUT_TARGETS)
    case = tmp / f"out{k}"
    case.mkdir()
    path = case / "situation.txt"
    path.write_text(f"{command} --out, target {target}\n")

    def run() -> str:
        if "run_id" not in state:  # a kept run to export, and an earlier output to replace
            first = tmp / "first-output"
            code, err = _cli(["run", "csto-2021-autumn", "--trials", "20", "--seed", "1",
                              "--out", str(first)], None)
            assert code == 0, err
            state["previous"] = first
            from alliancesim import api

            state["run_id"] = api.results_list(store=tmp / "runs.duckdb")[0].id
        out, cwd = _make_target(rng, case, target, state.get("previous"))
        path.write_text(f"{command} --out {out!r} (cwd {cwd}) target {target}\n")
        before = _snapshot(case)
        argv = (["run", "csto-2021-autumn", "--trials", "20", "--seed", "1", "--out", out]
                if command == "run" else
                ["results", "export", state["run_id"], "--out", out])
        try:
            code, err = _cli(argv, cwd)
            after = _snapshot(case)
        finally:
            for p in (case, case / "target"):  # undo the read-only modes
                if p.is_dir() and not p.is_symlink():
                    p.chmod(0o755)
        lost = [name for name, entry in before.items()
                if name != "./situation.txt" and after.get(name) != entry]
        if code == 2:
            lines = [ln for ln in err.splitlines() if ln.strip()]
            if len(lines) != 1 or not lines[0].startswith("error: "):
                return f"failure: refused with {len(lines)} lines ({target})"
            if lost:
                return f"failure: refused but the target changed ({target}: {lost[:3]})"
            return "rejected"
        if code != 0:
            return f"failure: exit {code}: {err.strip()[:150]} ({target})"
        written = Path(cwd or Path.cwd()) / out
        written_file = written / "summary.json" if command == "run" else written
        if not written_file.is_file():
            return f"failure: exit 0 but nothing written at {out!r} ({target})"
        # an earlier output, or the empty folder we made, may be replaced; nothing else
        ours = {"./target"} if target in ("empty-dir", "earlier-output", "read-only-dir") else set()
        if command == "export" and target == "file":
            ours.add("./target")
        lost = [n for n in lost if not any(n == o or n.startswith(o + "/") for o in ours)]
        if lost:
            return f"failure: data loss ({target}: {lost[:3]})"
        if command == "run" and target == "cwd-dot":
            shutil.rmtree(case / "target")
        return "ok"
    return command, path, run


SURFACES: dict[str, Callable[[random.Random, int, Path, dict[str, Any]],
                             tuple[str, Path, Callable[[], str]]]] = {
    "files": _files_example, "datasets": _datasets_example, "vary": _vary_example,
    "tags": _tags_example, "out": _out_example}


def fuzz(examples: int, seed: int = 1, report: Callable[[str], None] | None = None,
         surface: str = "files") -> collections.Counter[str]:
    """Run `examples` mutated inputs of one surface (SURFACES); count outcomes by kind
    (failures name the exception)."""
    import os

    rng = random.Random(seed)
    counts: collections.Counter[str] = collections.Counter()
    make = SURFACES[surface]
    state: dict[str, Any] = {}

    def alarm(signum: int, frame: object) -> None:
        raise Timeout()

    old = signal.signal(signal.SIGALRM, alarm)
    old_prof = signal.signal(signal.SIGPROF, alarm)
    saved_env = {k: os.environ.get(k) for k in ("ALLIANCESIM_STORE", "ALLIANCESIM_DATA")}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(examples):
                kind, path, run = make(rng, k, Path(tmp), state)
                signal.setitimer(signal.ITIMER_PROF, TIME_LIMIT)
                signal.alarm(WALL_LIMIT)
                start, cpu = time.perf_counter(), time.process_time()
                try:
                    outcome = run()
                except Timeout:
                    outcome = "failure: hang"
                except MemoryError:
                    outcome = "failure: MemoryError"
                except Exception as exc:
                    outcome = f"failure: {type(exc).__name__}: {str(exc)[:120]}"
                finally:
                    signal.alarm(0)
                    signal.setitimer(signal.ITIMER_PROF, 0)
                if ((time.process_time() - cpu > TIME_LIMIT
                     or time.perf_counter() - start > WALL_LIMIT)
                        and not outcome.startswith("fail")):
                    outcome = "failure: hang"  # the alarm fell in a finaliser, which ignores it
                counts[outcome] += 1
                if outcome.startswith("failure") and report is not None:
                    keep = Path(tempfile.gettempdir()) / (
                        f"alliancesim-fuzz-{surface}-{seed}-{k}{''.join(path.suffixes)}")
                    keep.write_bytes(path.read_bytes())
                    report(f"{outcome} ({surface}/{kind}; kept as {keep})")
    finally:
        signal.signal(signal.SIGALRM, old)
        signal.signal(signal.SIGPROF, old_prof)
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000, help="per surface")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--surface", choices=[*SURFACES, "all"], default="all",
                        help="which inputs to mutate (default: every surface in turn)")
    parser.add_argument("--memory-gib", type=float, default=8.0,
                        help="address-space limit of this process (RLIMIT_AS)")
    args = parser.parse_args()
    import resource

    limit = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    total_failures = 0
    for surface in SURFACES if args.surface == "all" else [args.surface]:
        t = time.perf_counter()
        counts = fuzz(args.examples, args.seed, report=lambda s: print(s, flush=True),
                      surface=surface)
        failures = sum(v for k, v in counts.items() if k.startswith("failure"))
        total_failures += failures
        print(f"\n{surface}: {args.examples:,} examples (seed {args.seed}) in "
              f"{time.perf_counter() - t:.0f} s:")
        for k, v in counts.most_common():
            print(f"  {v:>7,}  {k}")
        print(f"{args.examples - failures} passed, {failures} failed", flush=True)
    sys.exit(1 if total_failures else 0)


if __name__ == "__main__":
    main()
