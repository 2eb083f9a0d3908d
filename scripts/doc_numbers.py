"""Every number the README, docs/*.md and examples/ quote, regenerated from the code.

A quoted number is marked where it stands, so that the source shows what is generated:

- in Markdown, a number: ``<!-- num:NAME -->46%<!-- /num -->`` (HTML comments: invisible
  when rendered);
- in Markdown, a whole block (a command's output, a table): ``<!-- out:NAME -->`` on its own
  line, the block, then ``<!-- /out -->``;
- in YAML (examples/), a value: ``key: VALUE  # num:NAME`` (the value up to the comment).

NAME is one of the quantities below. Each is computed from the code and the bundled data:

- fast ones (``FAST``: the calibration's estimates in data/calibrated.yaml, the benchmark in
  data/base_rates.yaml, which tests/test_benchmark.py recomputes) in well under a second;
- slow ones (``SLOW``: runs of 20,000 trials per crisis, the hindcast's leave-one-out fits, a
  Sobol analysis; a few minutes) are kept in the results file scripts/doc_numbers.json with
  the SHA-256 of every input they depend on (``INPUTS``: the package's model, engine, results,
  experiments, scenario and data, the examples and this script). tests/test_issue22_docs.py
  checks that every marked value equals the results file, that the fast quantities equal a
  fresh computation, and that the results file's hash is that of the inputs as they are (a
  change to the model or the data, and the docs must be regenerated); its slow tier recomputes
  the slow ones too.

Usage (from the repository's root)::

    python scripts/doc_numbers.py            # compute all; list every stale value (exit 1)
    python scripts/doc_numbers.py --write    # compute all; write the results file and docs
    python scripts/doc_numbers.py --fast     # the fast quantities only, the slow ones read
                                             # from the results file
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "alliancesim"
RESULTS = ROOT / "scripts" / "doc_numbers.json"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "examples").glob("*.yaml"))]
# what the slow quantities depend on: the package but its faces, reports and stores
INPUTS = ["src/alliancesim/**/*.py", "src/alliancesim/data/**/*.yaml",
          "src/alliancesim/data/**/*.csv", "examples/*.yaml", "scripts/doc_numbers.py"]
NOT_INPUTS = ("src/alliancesim/cli.py", "src/alliancesim/__main__.py",
              "src/alliancesim/_interrupt.py", "src/alliancesim/report/",
              "src/alliancesim/store/", "src/alliancesim/datasets/",
              "src/alliancesim/web/")

NUM = re.compile(r"<!-- num:(?P<name>[\w.-]+) -->(?P<value>.*?)<!-- /num -->")
OUT = re.compile(r"<!-- out:(?P<name>[\w.-]+) -->\n(?P<value>.*?)<!-- /out -->", re.S)
YAML_NUM = re.compile(r"^(?P<head>[ \t]*[\w.-]+: )(?P<value>.+?)(?P<tail>[ \t]+# num:"
                      r"(?P<name>[\w.-]+))$", re.M)

DEFAULT = "csto-2021-autumn"
CRISES = {"tjk": "tjk-incursion", "insurgency": "afghan-border-insurgency",
          "arm": "armenia-attack", "kgz": "kgz-tjk-clash"}


# --- formats: as the docs write numbers ---

def minus(text: str) -> str:
    """The typographic minus the docs use for negative numbers."""
    return text.replace("-", "\u2212")


def pct(p: float) -> str:
    return f"{p:.0%}"


def rng(low: float, high: float) -> str:
    """'15–79%' (a band of shares)."""
    return f"{low * 100:.0f}\u2013{high * 100:.0f}%"


def score(x: float, digits: int = 3) -> str:
    return minus(f"{x:.{digits}f}")


def signed(x: float, digits: int = 3) -> str:
    return minus(f"{x:+.{digits}f}")


def normal(mean: float, sd: float) -> str:
    """A scenario's normal distribution (YAML flow mapping)."""
    return f"{{dist: normal, mean: {mean:.3f}, sd: {sd:.3f}}}"


# --- fast: the bundled data ---

@cache
def calibrated() -> dict[str, Any]:
    with (PACKAGE / "data" / "calibrated.yaml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def estimate(name: str) -> tuple[float, float]:
    """The MAP of a council parameter and its posterior standard deviation (MCMC)."""
    d = calibrated()["posterior"]["council"]["diagnostics"][name]
    return float(d["map"]), float(d["sd"])


@cache
def benchmark_record() -> dict[str, Any]:
    with (PACKAGE / "data" / "base_rates.yaml").open(encoding="utf-8") as f:
        data: dict[str, Any] = yaml.safe_load(f)
    return data


def held(key: str) -> Any:
    return benchmark_record()["held_out"][key]


def held_verdict() -> str:
    """How the model stands against the best alliance-aware baseline, held out: by the sign
    of the difference, 'not decisively' when its 90% interval spans 0 (the rule of
    report.tables.held_out_note)."""
    ahead = "ahead" if held("difference") > 0 else "behind"
    return f"{ahead}, but not decisively" if held("low") < 0 < held("high") else ahead


def base_rate(alliance: str, level: str, rung: str) -> float:
    rungs = ["none", "statement", "consultations", "mission", "military"]
    return float(benchmark_record()["base_rates"][level][alliance]["response"][rungs.index(rung)])


FAST: dict[str, Callable[[], str]] = {
    "cal.affinity_aggressor": lambda: f"{score(estimate('coefficients.affinity_aggressor')[0])} "
                                      f"± {estimate('coefficients.affinity_aggressor')[1]:.3f}",
    "cal.in_scope": lambda: f"{score(estimate('coefficients.in_scope')[0])} ± "
                            f"{estimate('coefficients.in_scope')[1]:.3f}",
    "cal.leader_stake": lambda: f"{score(estimate('coefficients.leader_stake')[0], 2)} ± "
                                f"{estimate('coefficients.leader_stake')[1]:.2f}",
    "cal.csto_intercept": lambda: score(estimate("alliance_intercepts.csto")[0], 2),
    "cal.nato_intercept": lambda: signed(estimate("alliance_intercepts.nato")[0], 2),
    "example.affinity_aggressor": lambda: normal(*estimate("coefficients.affinity_aggressor")),
    "example.in_scope": lambda: normal(*estimate("coefficients.in_scope")),
    "held.cases": lambda: str(held("cases")),
    "held.model": lambda: score(held("model")),
    "held.baseline": lambda: score(held("baseline_score")),
    "held.difference": lambda: signed(held("difference")),
    "held.interval": lambda: f"{signed(held('low'), 2)} to {signed(held('high'), 2)}",
    "held.verdict": held_verdict,
    "request.fitted": lambda: score(benchmark_record()["request_stage"]["fitted"]),
    "request.uniform": lambda: score(benchmark_record()["request_stage"]["uniform"]),
    "base.csto.military": lambda: pct(base_rate("csto", "military", "military")),
}


# --- slow: runs, the hindcast, the commands' outputs ---

@cache
def summary(scenario: str, uncertainty: str = "posterior") -> Any:
    """The scenario's summary as `alliancesim run` makes it (its own trials and seed)."""
    from alliancesim import api

    path = ROOT / scenario if scenario.endswith(".yaml") else scenario
    return api.simulate(path, parameter_uncertainty=uncertainty).summary()


def crisis(key: str, scenario: str = DEFAULT, uncertainty: str = "posterior") -> Any:
    (c,) = [c for c in summary(scenario, uncertainty).crises if c.crisis_id == CRISES[key]]
    return c


def asked(key: str, level: str = "military", scenario: str = DEFAULT,
          uncertainty: str = "posterior") -> Any:
    return crisis(key, scenario, uncertainty).by_request[level]


def with_band(c: Any, rung: str, headline: str | None = None) -> str:
    """'46% (15–79%)': a headline with its 90% band from the parameters."""
    p = c.p_acts_without_alliance if rung == "acts without the alliance" else c.response[rung]
    low, high = c.parameter_band[headline or rung]
    return f"{pct(p)} ({rng(low, high)})"


def default_table() -> str:
    """The README's table of the default run: each crisis given each request, and mixed."""
    tjk = crisis("tjk")
    mil, con = tjk.base_rates["military"], tjk.base_rates["consultations"]
    head = ("| crisis | asked for military help: military help (90% band from the parameters) "
            f"| mission | base rate: the {mil.label} | asked for consultations: consultations "
            f"(base rate: the {con.label}, {pct(con.response['consultations'])}) | mixed over "
            "the request stage: military help | acts without the alliance (asked for military "
            "help) | leader's share of troops | repelled, asked for military help: with "
            "alliance / alone |")
    rows = [head, "|---|---|---|---|---|---|---|---|---|"]
    for c in summary(DEFAULT).crises:
        m, k = c.by_request["military"], c.by_request["consultations"]
        share = "-" if m.leader_share is None else pct(m.leader_share)
        rows.append(
            f"| {c.title} | {with_band(m, 'military')} | {with_band(m, 'mission')} | "
            f"{pct(c.base_rates['military'].response['military'])} | "
            f"{with_band(k, 'consultations')} | {with_band(c, 'military')} | "
            f"{with_band(m, 'acts without the alliance')} | {share} | "
            f"{pct(m.outcome_with_alliance['repelled'])} / {pct(m.outcome_alone['repelled'])} |")
    return "\n".join(rows) + "\n"


def member(c: Any, state: str) -> Any:
    (m,) = [m for m in c.members if m.id == state]
    return m


def token(c: Any) -> str:
    """The small members' mean contingent when they send one, to the nearest ten."""
    sent = [m.mean_troops_when_sent for m in c.members
            if m.role == "member" and m.mean_troops_when_sent is not None]
    return f"{round(sum(sent) / len(sent), -1):,.0f}"


@cache
def hindcast() -> Any:
    """The leave-one-out hindcast of the 17 bundled cases (no ablation, no recodings)."""
    from alliancesim import api

    return api.hindcast(ablation=False, codings=False)


def hc_score(name: str, group: str | None = None) -> str:
    """'−0.818 / 0.435': a forecast's mean log score and Brier score per case."""
    h = hindcast() if group is None else hindcast().by_alliance[group]
    return f"{score(h.log_score[name])} / {h.brier[name]:.3f}"


def hc_gap(name: str) -> str:
    """The model's lead over a baseline, held out (log score per case)."""
    h = hindcast()
    return signed(h.log_score["model"] - h.log_score[name], 2)


@cache
def command(*args: str, width: int = 100) -> str:
    """A command's output as the terminal shows it (`width` columns), without trailing blanks
    and without keeping the results."""
    env = dict(os.environ, COLUMNS=str(width), TERM="dumb", NO_COLOR="1")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    done = subprocess.run([sys.executable, "-m", "alliancesim", "--no-store", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, check=True, timeout=1800)
    return "\n".join(line.rstrip() for line in done.stdout.splitlines()).strip("\n") + "\n"


def section(text: str, title: str, until: tuple[str, ...]) -> str:
    """The lines of `text` from the one equal to `title` up to (not including) the first that
    starts with one of `until` (or the end)."""
    lines = text.splitlines()
    start = lines.index(title)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith(until)),
               len(lines))
    return "\n".join(lines[start:end]).rstrip("\n") + "\n"


def first_crisis(text: str) -> str:
    """A run's output up to its second crisis."""
    lines = text.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("Low-level infiltration"))
    return "\n".join(lines[:end]).rstrip("\n") + "\n"


def fenced(text: str) -> str:
    return f"```text\n{text}```\n"


@cache
def compare_output() -> str:
    return command("compare", "examples/csto-variants.yaml", width=140)


@cache
def compare_report() -> Any:
    from alliancesim import api

    return api.compare(ROOT / "examples" / "csto-variants.yaml")


def compared(variant: str, headline: str, key: str = "arm") -> str:
    (c,) = [c for c in compare_report().crises if c.crisis_id == CRISES[key]]
    return pct(c.values[variant][headline])


@cache
def sweep_report() -> Any:
    from alliancesim import api

    return api.sweep(DEFAULT, vary=["parameters.council.coefficients.leader_stake=0:3:7"])


def swept(key: str, headline: str, at: float) -> str:
    (p,) = [p for p in sweep_report().points if p.crisis_id == CRISES[key]
            and p.values["parameters.council.coefficients.leader_stake"] == at]
    return pct(p.outcomes[headline])


@cache
def sensitivity_report() -> Any:
    from alliancesim import api

    return api.sensitivity(ROOT / "examples" / "armenia-uncertain-council.yaml")


def sobol(quantity: str, index: str, outcome: str = "military help") -> str:
    """A Sobol index of the Armenia example (first-order s1 or total st), two decimals."""
    (c,) = sensitivity_report().crises
    (i,) = [i for i in c.indices if i.outcome == outcome and i.input == quantity]
    return f"{getattr(i, index):.2f}"


def calibrate_output() -> str:
    """`alliancesim calibrate`'s output with the sampler's wall time left out (the one part
    that differs between runs: the MAP and the seeded MCMC draws do not)."""
    return fenced(re.sub(r"(acceptance [\d.]+), [\d,.]+ s\)", r"\1)",
                         command("calibrate", width=150)))


SWEEP_CRISES = ("Taliban-linked", "Low-level", "Azerbaijan attacks", "Armed clash")
COMPARE_END = ("Taliban-linked", "Low-level", "Armed clash", "Each variant")

SEQUENCE = ROOT / "examples" / "csto-sequence-2020-2023.yaml"


@cache
def sequence_report(observed: bool = False, forced: str | None = None) -> Any:
    from alliancesim import api

    return api.sequence(SEQUENCE, observed=observed, set=[forced] if forced else None)


def sequence_table() -> str:
    """docs/model.md §7: Armenia and Kazakhstan at the end of the bundled CSTO sequence."""
    def end(r: Any, m: str) -> str:
        b = r.member(m).belief
        return f"{b.median[-1]:.2f} ({b.low[-1]:.2f}\u2013{b.high[-1]:.2f})"

    sim, obs = sequence_report(), sequence_report(observed=True)
    cf = sequence_report(forced="armenia-2022=military")
    arm = next(d for d in cf.belief_end if d.member == "ARM")
    kaz = next(d for d in cf.belief_end if d.member == "KAZ")
    f_arm = next(d for d in cf.p_frozen_end if d.member == "ARM")
    f_kaz = next(d for d in cf.p_frozen_end if d.member == "KAZ")
    rows = [
        "| | Armenia: belief at the end | Armenia: P(frozen or exited by 2024) | Kazakhstan: "
        "belief at the end | Kazakhstan: P(stays) |",
        "|---|---|---|---|---|",
        f"| simulated responses (median, 90% band) | {end(sim, 'ARM')} | "
        f"{pct(sim.member('ARM').p_frozen[-1])} | {end(sim, 'KAZ')} | "
        f"{pct(1 - sim.member('KAZ').p_frozen[-1])} |",
        f"| observed responses (`--observed`) | {obs.member('ARM').belief.median[-1]:.2f} | "
        f"{pct(obs.member('ARM').p_frozen[-1])} | {obs.member('KAZ').belief.median[-1]:.2f} | "
        f"{pct(1 - obs.member('KAZ').p_frozen[-1])} |",
        f"| `--set armenia-2022=military` (simulated; mean, paired difference) | "
        f"{arm.variant:.2f} ({signed(arm.difference)} \u00b1 {arm.se_paired:.4f}) | "
        f"{pct(f_arm.variant)} | {kaz.variant:.2f} ({signed(kaz.difference)}) | "
        f"{pct(1 - f_kaz.variant)} |",
    ]
    return "\n".join(rows) + "\n"


def sequence_threshold(member: str) -> str:
    return f"{sequence_report().member(member).threshold:.2f}"


SLOW: dict[str, Callable[[], str]] = {
    "run.default-table": default_table,
    "run.default-output": lambda: fenced(first_crisis(command("run"))),
    "run.tjk.military": lambda: pct(asked("tjk").response["military"]),
    "run.tjk.military.band": lambda: rng(*asked("tjk").parameter_band["military"]),
    "run.tjk.mission": lambda: pct(asked("tjk").response["mission"]),
    "run.tjk.consultations": lambda: pct(asked("tjk").response["consultations"]),
    "run.tjk.asked-consultations": lambda: pct(
        asked("tjk", "consultations").response["consultations"]),
    "run.tjk.mixed": lambda: pct(crisis("tjk").response["military"]),
    "run.tjk.none.consultations": lambda: pct(asked("tjk", "none").response["consultations"]),
    "run.tjk.leader-share": lambda: pct(asked("tjk").leader_share),
    "run.tjk.token": lambda: token(asked("tjk")),
    "run.arm.military": lambda: pct(asked("arm").response["military"]),
    "run.arm.military.band": lambda: rng(*asked("arm").parameter_band["military"]),
    "run.arm.rus-wants": lambda: pct(member(asked("arm"), "RUS").preferred_military),
    "run.tjk.rus-wants": lambda: pct(member(asked("tjk"), "RUS").preferred_military),
    "run.arm.acts-alone": lambda: pct(asked("arm").p_acts_without_alliance),
    "run.kgz.military": lambda: pct(asked("kgz").response["military"]),
    "run.kgz.rus-holds-out": lambda: pct(member(asked("kgz"), "RUS").holds_out),
    "run.kgz.rus-veto": lambda: pct(member(asked("kgz"), "RUS").sole_veto),
    "off.tjk.military": lambda: pct(asked("tjk", uncertainty="off").response["military"]),
    "off.arm.military": lambda: pct(asked("arm", uncertainty="off").response["military"]),
    "two-thirds.arm.military": lambda: pct(asked(
        "arm", scenario="examples/csto-two-thirds.yaml").response["military"]),
    "two-thirds.arm.military.band": lambda: rng(*asked(
        "arm", scenario="examples/csto-two-thirds.yaml").parameter_band["military"]),
    "hc.model": lambda: hc_score("model"),
    "hc.model.csto": lambda: hc_score("model", "csto"),
    "hc.model.nato": lambda: hc_score("model", "nato"),
    "hc.grants": lambda: hc_score("alliance grants"),
    "hc.grants.csto": lambda: hc_score("alliance grants", "csto"),
    "hc.grants.nato": lambda: hc_score("alliance grants", "nato"),
    "hc.probit": lambda: hc_score("alliance probit"),
    "hc.probit.csto": lambda: hc_score("alliance probit", "csto"),
    "hc.probit.nato": lambda: hc_score("alliance probit", "nato"),
    "hc.own-base": lambda: hc_score("alliance base rate"),
    "hc.own-base.csto": lambda: hc_score("alliance base rate", "csto"),
    "hc.own-base.nato": lambda: hc_score("alliance base rate", "nato"),
    "hc.leader": lambda: hc_score("leader decides"),
    "hc.leader.csto": lambda: hc_score("leader decides", "csto"),
    "hc.leader.nato": lambda: hc_score("leader decides", "nato"),
    "hc.request-base": lambda: hc_score("request base rate"),
    "hc.request-base.csto": lambda: hc_score("request base rate", "csto"),
    "hc.request-base.nato": lambda: hc_score("request base rate", "nato"),
    "hc.frequency": lambda: hc_score("frequency"),
    "hc.frequency.csto": lambda: hc_score("frequency", "csto"),
    "hc.frequency.nato": lambda: hc_score("frequency", "nato"),
    "hc.gap.probit": lambda: hc_gap("alliance probit"),
    "hc.gap.leader": lambda: hc_gap("leader decides"),
    "hc.gap.own-base": lambda: hc_gap("alliance base rate"),
    "compare.arm-output": lambda: fenced(section(
        compare_output(), "Azerbaijan attacks Armenia's own territory", COMPARE_END)),
    "compare.arm.base": lambda: compared(DEFAULT, "military help"),
    "compare.arm.two-thirds": lambda: compared("two-thirds", "military help"),
    "compare.arm.alone.base": lambda: compared(DEFAULT, "acts without the alliance"),
    "compare.arm.alone.two-thirds": lambda: compared("two-thirds", "acts without the alliance"),
    "compare.arm.repelled.base": lambda: compared(DEFAULT, "repelled, with the alliance"),
    "compare.arm.repelled.distracted": lambda: compared("russia-distracted",
                                                        "repelled, with the alliance"),
    "compare.arm.indifferent": lambda: compared("russia-indifferent-to-armenia",
                                                "military help"),
    "compare.arm.alone.indifferent": lambda: compared("russia-indifferent-to-armenia",
                                                      "acts without the alliance"),
    "sweep.arm-output": lambda: fenced(section(
        command("sweep", DEFAULT, "--vary", "parameters.council.coefficients.leader_stake=0:3:7",
                width=120),
        "Azerbaijan attacks Armenia's own territory",
        tuple(t for t in SWEEP_CRISES if t != "Azerbaijan attacks"))),
    "sweep.arm.military.0": lambda: swept("arm", "military help", 0.0),
    "sweep.arm.military.3": lambda: swept("arm", "military help", 3.0),
    "sweep.arm.alone.0": lambda: swept("arm", "acts without the alliance", 0.0),
    "sweep.arm.alone.3": lambda: swept("arm", "acts without the alliance", 3.0),
    "sweep.tjk.military.0": lambda: swept("tjk", "military help", 0.0),
    "sweep.tjk.military.3": lambda: swept("tjk", "military help", 3.0),
    "sweep.insurgency.military.0": lambda: swept("insurgency", "military help", 0.0),
    "sweep.insurgency.military.3": lambda: swept("insurgency", "military help", 3.0),
    "sweep.kgz.military.0": lambda: swept("kgz", "military help", 0.0),
    "sweep.kgz.military.3": lambda: swept("kgz", "military help", 3.0),
    "calibrate.output": calibrate_output,
    "discover.output": lambda: fenced(command(
        "discover", "examples/armenia-uncertain-council.yaml", "--crisis", "armenia-2022")),
    "sens.in_scope.s1": lambda: sobol("council.coefficients.in_scope", "s1"),
    "sens.in_scope.st": lambda: sobol("council.coefficients.in_scope", "st"),
    "sens.affinity.st": lambda: sobol("council.coefficients.affinity_aggressor", "st"),
    "sens.delay.st": lambda: sobol("decision_delay_days", "st"),
    "sensitivity.output": lambda: fenced(command(
        "sensitivity", "examples/armenia-uncertain-council.yaml", width=120)),
    "sequence.table": sequence_table,
    "sequence.arm.threshold": lambda: sequence_threshold("ARM"),
}


# --- the results file, the markers ---

def input_files() -> list[Path]:
    files: set[Path] = set()
    for pattern in INPUTS:
        files.update(p for p in ROOT.glob(pattern) if p.is_file())
    return sorted(p for p in files if "__pycache__" not in p.parts and not any(
        p.relative_to(ROOT).as_posix().startswith(n) for n in NOT_INPUTS))


def inputs_sha256() -> str:
    """One SHA-256 over every input file's path and bytes (line endings as stored)."""
    h = hashlib.sha256()
    for p in input_files():
        h.update(p.relative_to(ROOT).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def compute(names: dict[str, Callable[[], str]]) -> dict[str, str]:
    return {name: make() for name, make in names.items()}


def read_results() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RESULTS.read_text(encoding="utf-8"))
    return data


def write_results(values: dict[str, str]) -> None:
    record = {"written_by": "scripts/doc_numbers.py --write",
              "inputs_sha256": inputs_sha256(),
              "inputs": [p.relative_to(ROOT).as_posix() for p in input_files()],
              "values": dict(sorted(values.items()))}
    RESULTS.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n",
                       encoding="utf-8")


def quoted(path: Path) -> list[tuple[str, str]]:
    """(name, value) of every marked number and block in one file, in order."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        return [(m["name"], m["value"]) for m in YAML_NUM.finditer(text)]
    return [(m["name"], m["value"]) for m in (*NUM.finditer(text), *OUT.finditer(text))]


def rewrite(path: Path, values: dict[str, str]) -> bool:
    """Write `values` into the markers of one file; True if it changed."""
    text = path.read_text(encoding="utf-8")

    def value(m: re.Match[str]) -> str:
        if m["name"] not in values:
            raise SystemExit(f"{path}: unknown number {m['name']!r}")
        return values[m["name"]]

    if path.suffix == ".yaml":
        new = YAML_NUM.sub(lambda m: m["head"] + value(m) + m["tail"], text)
    else:
        new = NUM.sub(lambda m: f"<!-- num:{m['name']} -->{value(m)}<!-- /num -->", text)
        new = OUT.sub(lambda m: f"<!-- out:{m['name']} -->\n{value(m)}<!-- /out -->", new)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def stale(values: dict[str, str]) -> list[str]:
    """One line per marked value that differs from `values` (or names no quantity)."""
    lines = []
    for path in DOCS:
        for name, value in quoted(path):
            if name not in values:
                lines.append(f"{path.relative_to(ROOT)}: {name}: no such quantity")
            elif value != values[name]:
                first = value.splitlines()[0] if value else ""
                lines.append(f"{path.relative_to(ROOT)}: {name}: quotes {first!r}, the code "
                             f"gives {values[name].splitlines()[0]!r}")
    return lines


def write_figures() -> list[Path]:
    """docs/experiments.md's two figures, from the same sweep and sensitivity analysis as its
    outputs (PNG bytes vary with matplotlib's version, so they are written, not checked)."""
    from alliancesim.report.plots import sensitivity_figure, sweep_figure

    figures = ROOT / "docs" / "figures"
    sweep_figure(sweep_report(), figures / "sweep-leader-stake.png")
    sensitivity_figure(sensitivity_report(), figures / "sensitivity-armenia.png")
    return [figures / "sweep-leader-stake.png", figures / "sensitivity-armenia.png"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true",
                        help="write the results file and every marked value")
    parser.add_argument("--fast", action="store_true",
                        help="compute the fast quantities only; the slow ones from the file")
    args = parser.parse_args(argv)
    if args.fast:
        values = {**read_results()["values"], **compute(FAST)}
    else:
        values = {**compute(FAST), **compute(SLOW)}
    if args.write:
        if not args.fast:
            write_results(values)
            for p in write_figures():
                print(f"wrote {p.relative_to(ROOT)}")
        changed = [p for p in DOCS if rewrite(p, values)]
        for p in changed:
            print(f"wrote {p.relative_to(ROOT)}")
        return 0
    problems = stale(values)
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
