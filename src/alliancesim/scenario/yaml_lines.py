"""YAML parsing that remembers the line of every key, for error messages, and that is bounded.

Limits (a scenario, case or parameter file is a few kilobytes; these are generous):

- MAX_BYTES: the size of the text (a parameter file, which carries the posterior's draws:
  MAX_PARAMETER_BYTES);
- MAX_DEPTH: the nesting of mappings and sequences, checked on the event stream (iteratively,
  before anything recursive runs);
- MAX_ALIASES: alias references (``*name``); recursive aliases are refused;
- MAX_NODES: the size of the document with every alias expanded ("billion laughs");
- duplicate keys in a mapping are an error (YAML leaves them undefined; PyYAML keeps the last).

Each limit fails with one line naming the file (and the line where it can), in well under a
second.
"""

from __future__ import annotations

from typing import Any

import yaml

from alliancesim.scenario.errors import Problem, ScenarioError

Path = tuple[str | int, ...]

MAX_BYTES = 256_000
MAX_PARAMETER_BYTES = 4_000_000  # a parameter file from `calibrate --out` carries the draws
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 100_000


# libyaml's safe loader when PyYAML was built with it (the wheels are): fifty times faster
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


def _fail(source: str, message: str, line: int | None = None) -> ScenarioError:
    return ScenarioError([Problem(source, "", message, line)])


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


def _check_events(text: str, source: str) -> None:
    """Depth and alias count, from the event stream (no recursion)."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _fail(source, f"nested more than {MAX_DEPTH} levels deep", _line(event))
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _fail(source, f"more than {MAX_ALIASES} alias references (*name)",
                            _line(event))


def _expanded_size(node: yaml.Node, source: str, sizes: dict[int, int],
                   path: set[int]) -> int:
    """Number of nodes with aliases expanded; refuses cycles and sizes over MAX_NODES."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in path:
        raise _fail(source, "a recursive alias (an anchor used inside itself)",
                    node.start_mark.line + 1)
    path.add(key)
    total = 1
    if isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
    else:
        children = []
    for child in children:
        total += _expanded_size(child, source, sizes, path)
        if total > MAX_NODES:
            raise _fail(source, f"expands to more than {MAX_NODES:,} values (aliases "
                        "repeated inside aliases?)", node.start_mark.line + 1)
    path.discard(key)
    sizes[key] = total
    return total


def _index(node: yaml.Node, path: Path, lines: dict[Path, int], source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if isinstance(key, str | int | float) and key in seen:
                where = ".".join(str(p) for p in (*path, key))
                raise ScenarioError([Problem(source, where, f"key '{key}' appears twice (also "
                                             f"on line {seen[key]}); give it once", line)])
            if isinstance(key, str | int | float):
                seen[key] = line
            sub = (*path, key)
            lines[sub] = line
            _index(value_node, sub, lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            _index(item, sub, lines, source)


def parse_yaml(text: str, source: str, max_bytes: int = MAX_BYTES
               ) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text; return (data, {path: line}). Bad or oversized input raises
    ScenarioError (max_bytes: MAX_BYTES, a parameter file MAX_PARAMETER_BYTES)."""
    if len(text) > max_bytes:
        kind = "scenario or case" if max_bytes == MAX_BYTES else "parameter"
        raise _fail(source, f"file too large ({len(text):,} characters; a {kind} file is at "
                    f"most {max_bytes:,})")
    try:
        _check_events(text, source)
        node = yaml.compose(text, Loader=_Loader)
        lines: dict[Path, int] = {}
        if node is not None:
            _expanded_size(node, source, {}, set())
            _index(node, (), lines, source)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        raise _fail(source, f"YAML syntax error: {what}{ctx}", line) from None
    except yaml.YAMLError as exc:
        raise _fail(source, f"YAML error: {exc}") from None
    except RecursionError:  # a construct the checks above did not bound
        raise _fail(source, "too deeply nested to read") from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an impossible date, 2022-02-30
        raise _fail(source, f"a value YAML cannot read: {exc}") from None
    return data, lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the deepest prefix of path that the file has."""
    for k in range(len(path), -1, -1):
        if path[:k] in lines:
            return lines[path[:k]]
    return None
