"""YAML parsing that remembers the line of every key, for error messages."""

from __future__ import annotations

from typing import Any

import yaml

from alliancesim.scenario.errors import Problem, ScenarioError

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    pass


def _index(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            sub = (*path, key)
            lines[sub] = key_node.start_mark.line + 1
            _index(value_node, sub, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            _index(item, sub, lines)


def parse_yaml(text: str, source: str) -> tuple[Any, dict[Path, int]]:
    """Parse YAML text; return (data, {path: line}). Syntax errors raise ScenarioError."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or "invalid YAML"
        ctx = f" ({exc.context})" if exc.context else ""
        raise ScenarioError(
            [Problem(source, "", f"YAML syntax error: {what}{ctx}", line)]
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(source, "", f"YAML error: {exc}")]) from None
    lines: dict[Path, int] = {}
    if node is not None:
        _index(node, (), lines)
    return data, lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the deepest prefix of path that the file has."""
    for k in range(len(path), -1, -1):
        if path[:k] in lines:
            return lines[path[:k]]
    return None
