"""Structure-aware fuzzing of scenario, case and parameter files.

Each example takes a real file (a bundled scenario, an example, a bundled case, a parameter
file, a variants file for compare), mutates it — wrong types, deleted and duplicated keys,
extreme numbers, aliases, deep nesting, unicode, control characters, binary garbage,
truncation — and loads and runs it as a user would. The only outcomes allowed:

- ok:        it runs, and every probability printed is finite and each distribution sums to 1;
- rejected:  a ScenarioError or UsageError whose every message is one line;

each within a time bound (SIGALRM) and, under ``make fuzz``, a memory bound (RLIMIT_AS). Any
other exception, a hang or a MemoryError is a failure, reported by kind with the file.

    python tests/fuzzing.py --examples 10000 [--seed 1]     # make fuzz
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
TIME_LIMIT = 30  # seconds per example
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


def fuzz(examples: int, seed: int = 1, report: Callable[[str], None] | None = None
         ) -> collections.Counter[str]:
    """Run `examples` mutated files; count outcomes by kind (failures name the exception)."""
    rng = random.Random(seed)
    seeds = _seeds()
    counts: collections.Counter[str] = collections.Counter()

    def alarm(signum: int, frame: object) -> None:
        raise Timeout()

    old = signal.signal(signal.SIGALRM, alarm)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for k in range(examples):
                kind, text = rng.choice(seeds)
                mutated = mutate(rng, text)
                path = Path(tmp) / f"example{k % 10}.yaml"
                data = mutated.encode("utf-8", "surrogatepass")
                if rng.random() < 0.03:  # not UTF-8 at all
                    cut = rng.randrange(len(data) + 1)
                    data = data[:cut] + b"\xff\xfe\xc3(" + data[cut:]
                path.write_bytes(data)
                signal.alarm(TIME_LIMIT)
                try:
                    outcome = run_one(kind, path)
                except Timeout:
                    outcome = "failure: hang"
                except MemoryError:
                    outcome = "failure: MemoryError"
                except Exception as exc:
                    outcome = f"failure: {type(exc).__name__}: {str(exc)[:120]}"
                finally:
                    signal.alarm(0)
                counts[outcome] += 1
                if outcome.startswith("failure") and report is not None:
                    keep = Path(tempfile.gettempdir()) / f"alliancesim-fuzz-{seed}-{k}.yaml"
                    keep.write_bytes(path.read_bytes())
                    report(f"{outcome} ({kind}; kept as {keep})")
    finally:
        signal.signal(signal.SIGALRM, old)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--memory-gib", type=float, default=8.0,
                        help="address-space limit of this process (RLIMIT_AS)")
    args = parser.parse_args()
    import resource

    limit = int(args.memory_gib * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    t = time.perf_counter()
    counts = fuzz(args.examples, args.seed, report=lambda s: print(s, flush=True))
    failures = sum(v for k, v in counts.items() if k.startswith("failure"))
    print(f"\n{args.examples:,} examples (seed {args.seed}) in {time.perf_counter() - t:.0f} s:")
    for k, v in counts.most_common():
        print(f"  {v:>7,}  {k}")
    print(f"{args.examples - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
