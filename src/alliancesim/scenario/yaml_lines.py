"""YAML parsing that remembers the line of every key, for error messages, and that is bounded.

Limits (a scenario, case or parameter file is a few kilobytes; these are generous):

- MAX_BYTES: the size of the text (a parameter file, which carries the posterior's draws:
  MAX_PARAMETER_BYTES);
- MAX_DEPTH: the nesting of mappings and sequences, checked on the event stream (iteratively,
  before anything recursive runs);
- MAX_ALIASES: alias references (``*name``); recursive aliases are refused;
- MAX_NODES: the size of the document with every alias expanded ("billion laughs");
- duplicate keys in a mapping are an error (YAML leaves them undefined; PyYAML keeps the last);
- MAX_INT_CHARS: the length of an integer as written (a base-60 integer such as ``1:0:0:...``
  grows with the square of its length to build, and Python refuses to print one of more than
  4,300 digits, so a longer one is refused where it is read).

Every scalar with an explicit tag (``!!bool``, ``!!int``, ``!!float``, ``!!timestamp``,
``!!null``) must be written as that type is (YAML 1.1, https://yaml.org/type/); PyYAML's own
constructors assume it is and fail with a KeyError, AttributeError or IndexError on
``!!bool maybe``, ``!!timestamp x`` or ``!!int ''``. Here each such value, and every impossible
date or too-long integer, is refused with its line.

Each limit fails with one line naming the file (and the line where it can), in well under a
second.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from alliancesim.scenario.errors import Problem, ScenarioError

Path = tuple[str | int, ...]

MAX_BYTES = 256_000
MAX_PARAMETER_BYTES = 4_000_000  # a parameter file from `calibrate --out` carries the draws
MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_NODES = 100_000
MAX_INT_CHARS = 100


# libyaml's safe loader when PyYAML was built with it (the wheels are): fifty times faster
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    pass


class _BadValueError(ConstructorError):
    """A scalar that is not what its tag (explicit or resolved) says it is."""


def _shown(value: str, limit: int = 40) -> str:
    """The value as quoted in a message: cut to `limit` characters."""
    return repr(value if len(value) <= limit else value[:limit] + "...")


_NULL = {"", "~", "null", "Null", "NULL"}
_FORMS = {
    "bool": "a boolean (true or false; yes/no and on/off are read as booleans too)",
    "int": "an integer (e.g. 12, -3, 1_000, 0x1F, 0o17, 0b101)",
    "float": "a number (e.g. 0.5, -1e3, .inf, .nan)",
    "timestamp": "a date (YYYY-MM-DD, e.g. 2021-10-01) or a date and time",
    "null": "null (~, null or nothing)",
}


def _checked(kind: str, construct: Any) -> Any:
    """PyYAML's safe constructor for `kind`, refusing with the value's line what it cannot
    read instead of failing inside it."""

    def construct_checked(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise _BadValueError(None, None, f"!!{kind} needs a single value, found a list "
                                 "or mapping", node.start_mark)
        value = str(node.value)
        problem = f"{_shown(value)} is not {_FORMS[kind]}"
        if kind == "null":
            if value.strip() not in _NULL:
                raise _BadValueError(None, None, problem, node.start_mark)
            return None
        if kind == "bool" and value.lower() not in loader.bool_values:
            raise _BadValueError(None, None, problem, node.start_mark)
        if kind == "int" and len(value) > MAX_INT_CHARS:
            raise _BadValueError(None, None, f"an integer written with {len(value):,} "
                                 f"characters (at most {MAX_INT_CHARS})", node.start_mark)
        if kind == "timestamp" and loader.timestamp_regexp.match(value) is None:
            raise _BadValueError(None, None, problem, node.start_mark)
        try:
            return construct(loader, node)
        except ValueError as exc:  # an impossible date (2022-02-30), or not a number
            why = f": {exc}" if kind == "timestamp" else ""
            raise _BadValueError(None, None, f"{_shown(value)} is not {_FORMS[kind]}{why}",
                                 node.start_mark) from None
        except (IndexError, KeyError, AttributeError, OverflowError):  # e.g. !!int ''
            raise _BadValueError(None, None, problem, node.start_mark) from None

    return construct_checked


for _kind, _construct in [("bool", SafeConstructor.construct_yaml_bool),
                          ("int", SafeConstructor.construct_yaml_int),
                          ("float", SafeConstructor.construct_yaml_float),
                          ("timestamp", SafeConstructor.construct_yaml_timestamp),
                          ("null", SafeConstructor.construct_yaml_null)]:
    _Loader.add_constructor(f"tag:yaml.org,2002:{_kind}", _checked(_kind, _construct))


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
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):  # `? [1]`: a key must be one value
                where = ".".join(str(p) for p in path)
                raise ScenarioError([Problem(source, where, "a key is a list or mapping; a key "
                                             "must be a single value (a name)", line)])
            key = key_node.value
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
    except _BadValueError as exc:
        mark = exc.problem_mark
        raise _fail(source, exc.problem or "a value YAML cannot read",
                    mark.line + 1 if mark is not None else None) from None
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
