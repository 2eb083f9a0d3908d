"""A stakeholder table for the expected-utility model: a CSV file, checked row by row.

Columns (a header row, in any order, names case-insensitive): actor, capability, position,
salience. Capability is a number >= 0 (any scale: only ratios matter); position a number on the
issue's scale; salience a share in [0, 1] (the model uses 1 - s as a probability). Every
problem is reported at once, one line each: the file, the row's line, the column, what is
wrong and what is valid (ScenarioError).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from alliancesim.scenario.errors import Problem, ScenarioError

COLUMNS = ("actor", "capability", "position", "salience")
MAX_BYTES = 256_000
MAX_ACTORS = 200  # the model's arrays grow as actors^3 per trial
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class StakeholderTable:
    """The actors in file order, with their capability, position and salience."""

    source: str
    actors: tuple[str, ...]
    capability: tuple[float, ...]
    position: tuple[float, ...]
    salience: tuple[float, ...]


def _text(path: Path) -> str:
    source = str(path)
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise ScenarioError([Problem(source, "", "not a regular file (a device, pipe or "
                                         "socket); give a CSV file")])
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise ScenarioError([Problem(source, "", f"file too large ({path.stat().st_size:,}"
                                         f" bytes; at most {MAX_BYTES:,})")])
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ScenarioError([Problem(source, "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(source, "", "is a directory, expected a CSV file")]
                            ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(source, "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(source, "", f"cannot read: {exc.strerror}")]) from None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_stakeholders(path: str | Path) -> StakeholderTable:
    """The stakeholder table of a CSV file, or ScenarioError with every problem found."""
    path = Path(path)
    source = str(path)
    text = _text(path)
    rows: list[list[str]] = []
    lines: list[int] = []  # the line each row starts on (a quoted field may span lines)
    reader = csv.reader(io.StringIO(text, newline=""))
    previous = 0
    try:
        for row in reader:
            lines.append(previous + 1)
            rows.append(row)
            previous = reader.line_num
    except csv.Error as exc:
        raise ScenarioError([Problem(source, "", f"not a readable CSV file ({exc})",
                                     reader.line_num)]) from None
    filled = [(line, row) for line, row in zip(lines, rows, strict=True)
              if any(cell.strip() for cell in row)]
    if not filled:
        raise ScenarioError([Problem(source, "", "empty; expected a header row "
                                     f"({', '.join(COLUMNS)}) and one row per actor")])
    header_line, header = filled[0]
    names = [cell.strip().lower() for cell in header]
    problems: list[Problem] = []
    for name in names:
        if name not in COLUMNS:
            problems.append(Problem(source, name or "(empty)", "unknown column (valid: "
                                    f"{', '.join(COLUMNS)})", header_line))
    for name in COLUMNS:
        if names.count(name) > 1:
            problems.append(Problem(source, name, "column given twice", header_line))
        if name not in names:
            problems.append(Problem(source, name, "missing column (the header needs "
                                    f"{', '.join(COLUMNS)})", header_line))
    if problems:
        raise ScenarioError(problems)
    body = filled[1:]
    if not body:
        raise ScenarioError([Problem(source, "", "no actors: give one row per actor after "
                                     "the header", header_line)])
    if len(body) > MAX_ACTORS:
        raise ScenarioError([Problem(source, "", f"{len(body)} actors; at most {MAX_ACTORS}")])
    at = {name: names.index(name) for name in COLUMNS}
    actors: list[str] = []
    values: dict[str, list[float]] = {"capability": [], "position": [], "salience": []}
    seen: dict[str, int] = {}
    for line, row in body:
        if len(row) != len(names):
            problems.append(Problem(source, "", f"{len(row)} fields; the header has "
                                    f"{len(names)}", line))
            continue
        actor = row[at["actor"]].strip()
        if not actor:
            problems.append(Problem(source, "actor", "empty; give the actor's name", line))
        elif actor in seen:
            problems.append(Problem(source, "actor", f"{actor!r} is also on line "
                                    f"{seen[actor]}; each actor once", line))
        else:
            seen[actor] = line
        actors.append(actor)
        for name, valid, check in (
                ("capability", "a number 0 or more", lambda v: v >= 0),
                ("position", "a finite number on the issue's scale", lambda v: True),
                ("salience", "a share from 0 to 1", lambda v: 0 <= v <= 1)):
            cell = row[at[name]].strip()
            value = _number(cell)
            if value is None or not check(value):
                hint = ""
                if name == "salience" and value is not None and 1 < value <= 100:
                    hint = f" (on a 0-100 scale? write {value / 100:g})"
                problems.append(Problem(source, name, f"{cell!r} is not {valid}{hint}", line))
                value = math.nan
            values[name].append(value)
    if not problems and sum(c * s for c, s in zip(values["capability"], values["salience"],
                                                   strict=True)) <= 0:
        problems.append(Problem(source, "capability", "every actor has capability x salience "
                                "0: no one has a say; give someone both"))
    if problems:
        extra = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS]
        if extra > 0:
            shown.append(Problem(source, "", f"and {extra} more problems"))
        raise ScenarioError(shown)
    return StakeholderTable(source=source, actors=tuple(actors),
                            capability=tuple(values["capability"]),
                            position=tuple(values["position"]),
                            salience=tuple(values["salience"]))
