"""Load scenarios from YAML (a path or a bundled name) with precise, complete error reports.

Errors read ``file:line: field.path: what is wrong (what would be valid)``; all problems in a
file are reported at once (ScenarioError).
"""

from __future__ import annotations

import types
import typing
from functools import cache
from pathlib import Path as FsPath
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from alliancesim.data import bundled
from alliancesim.scenario.distributions import DIST_NAMES
from alliancesim.scenario.errors import Problem, ScenarioError
from alliancesim.scenario.schema import (
    Actor,
    AffinityPair,
    Alliance,
    Capital,
    GeoPair,
    Scenario,
)
from alliancesim.scenario.yaml_lines import MAX_BYTES, Path, line_of, parse_yaml

M = TypeVar("M", bound=BaseModel)


def _fmt_path(path: Path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """BaseModel classes reachable from a type annotation (through Optional, list, dict...)."""
    found: list[type[BaseModel]] = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _models_in(args[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple):
        for a in args:
            found.extend(_models_in(a))
    return found


def _fields_at(model: type[BaseModel], path: Path) -> list[str] | None:
    """Field names of the model that owns the last element of path (for unknown-field errors).

    Keys that are not fields (list indices, ids keying a dict of models) are skipped.
    """
    current: list[type[BaseModel]] = [model]
    for key in path[:-1]:
        owners = [m for m in current if isinstance(key, str) and key in m.model_fields]
        if not owners:
            continue
        current = [sub for m in owners for sub in _models_in(m.model_fields[str(key)].annotation)]
        if not current:
            return None
    return sorted(current[0].model_fields) if current else None


def _clean(loc: tuple[Any, ...], data: Any) -> tuple[Path, list[str]]:
    """Split a pydantic loc into the path inside the data and the union tags pydantic adds."""
    path: list[str | int] = []
    tags: list[str] = []
    cur = data
    for part in loc:
        in_dict = isinstance(cur, dict) and part in cur
        in_list = isinstance(cur, list) and isinstance(part, int) and 0 <= part < len(cur)
        if in_dict or in_list:
            path.append(part)
            cur = cur[part]
        else:
            tags.append(str(part))
    return tuple(path), tags


def _value_at(data: Any, path: Path) -> Any:
    cur = data
    for p in path:
        cur = cur[p]
    return cur


def _message(err: Any, model: type[BaseModel], path: Path, data: Any) -> str:
    etype = err["type"]
    msg = str(err["msg"])
    if etype == "extra_forbidden":
        fields = _fields_at(model, path)
        valid = f" (valid fields: {', '.join(fields)})" if fields else ""
        return f"unknown field '{path[-1]}'{valid}"
    if etype == "missing":
        return "required field is missing"
    if etype == "union_tag_invalid":
        return (f"unknown distribution '{err['input'].get('dist')}' "
                f"(valid: {', '.join(DIST_NAMES)})")
    if etype == "union_tag_not_found":
        return ("expected a number or a distribution such as {dist: uniform, low: 1, high: 2} "
                f"(dist is one of: {', '.join(DIST_NAMES)})")
    if etype in ("literal_error", "enum"):
        return f"got '{err.get('input')}'; " + msg.replace("Input should be", "must be")
    if etype == "string_pattern_mismatch":
        val = err.get("input")
        if path and path[-1] == "id":
            return f"'{val}' is not a valid id (lower-case letters, digits, '_' or '-')"
        return (f"'{val}' is not a valid actor id (upper-case letters, digits or '_', "
                "e.g. RUS, TALIBAN)")
    if etype == "value_error":
        return msg.removeprefix("Value error, ")
    if msg.startswith("Input should be"):
        return f"got {err.get('input')!r}; " + msg.replace("Input should be", "must be")
    return msg


_TYPE_MISMATCH = {"string_type", "float_type", "int_type", "float_parsing", "int_parsing",
                  "bool_type", "model_type", "dict_type", "list_type", "model_attributes_type"}


def _validation_problems(
    exc: ValidationError, model: type[BaseModel], data: Any, lines: dict[Path, int], source: str
) -> list[Problem]:
    grouped: dict[Path, list[tuple[list[str], Any]]] = {}
    cleaned = [(*_clean(tuple(err["loc"]), data), err) for err in exc.errors()]
    substantive = [p for p, _, e in cleaned if e["type"] not in _TYPE_MISMATCH]
    for path, tags, err in cleaned:
        if err["type"] in _TYPE_MISMATCH and any(q[: len(path)] == path for q in substantive):
            continue  # the other branch of a union explains the problem better
        grouped.setdefault(path, []).append((tags, err))
    problems: list[Problem] = []
    for path, errs in grouped.items():
        try:
            value = _value_at(data, path)
        except (KeyError, IndexError, TypeError):
            value = None
        chosen = errs
        if len(errs) > 1:
            if isinstance(value, dict) and "dist" in value:
                chosen = [e for e in errs if str(value["dist"]) in e[0]] or [
                    e for e in errs if e[1]["type"] not in _TYPE_MISMATCH] or errs
            elif isinstance(value, int | float) and not isinstance(value, bool):
                chosen = [e for e in errs if not e[0] or e[0][-1] in ("float", "int")] or errs
            elif isinstance(value, str):
                chosen = [e for e in errs if "str" in e[0] or not e[0]] or errs
            # distribution branches of a union that do not apply
            non_union = [e for e in chosen if not set(e[0]) & set(DIST_NAMES)]
            if isinstance(value, int | float) and non_union:
                chosen = non_union
        msgs: list[str] = []
        for _, err in chosen:
            m = _message(err, model, path, data)
            if m not in msgs:
                msgs.append(m)
        if len(msgs) > 2 and isinstance(value, int | float | str | None):
            msgs = msgs[:1]
        problems.append(Problem(source, _fmt_path(path), "; ".join(msgs), line_of(lines, path)))
    problems.sort(key=lambda p: (p.line or 0, p.field))
    return problems


def validate(model: type[M], data: Any, lines: dict[Path, int], source: str) -> M:
    """Validate parsed YAML against a model, turning every error into a Problem."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else type(data).__name__
        raise ScenarioError([Problem(source, "", f"expected a mapping of fields, got {kind}", 1)])
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_validation_problems(exc, model, data, lines, source)) from None


def read_text(path: FsPath, max_bytes: int = MAX_BYTES) -> str:
    """The text of a YAML file: a regular UTF-8 file of at most max_bytes (yaml_lines)."""
    try:
        if path.exists() and not path.is_dir() and not path.is_file():
            raise ScenarioError([Problem(str(path), "", "not a regular file (a device, pipe or "
                                         "socket); give a YAML file")])
        if path.is_file() and path.stat().st_size > max_bytes:
            raise ScenarioError([Problem(str(path), "", f"file too large ({path.stat().st_size:,} "
                                         f"bytes; at most {max_bytes:,})")])
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(str(path), "", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(
            [Problem(str(path), "", "is a directory, expected a YAML file")]
        ) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(str(path), "", f"not UTF-8 text ({exc.reason})")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(str(path), "", f"cannot read: {exc.strerror}")]) from None


# --------------------------------------------------------------------------- bundled data
def bundled_actors() -> dict[str, Actor]:
    """The hand-entered actors (actors.yaml) over the states built from the datasets
    (actors_datasets.yaml: NMC 2021 figures, each cited; docs/data.md).

    The files are parsed once per process (every case and scenario resolves against them:
    the 17 bundled cases re-read them 35 times, 2.3 s of a run's start-up); each call gets a
    dict of its own over the same frozen Actor models."""
    return dict(_parsed_actors())


@cache
def _parsed_actors() -> dict[str, Actor]:
    out: dict[str, Actor] = {}
    for path in (bundled.ACTORS_DATASETS, bundled.ACTORS):
        data, _lines = parse_yaml(path.read_text(encoding="utf-8"), str(path))
        out.update({k: validate(Actor, v, {}, str(path)) for k, v in data["actors"].items()})
    return out


@cache
def bundled_geography() -> tuple[dict[str, Capital], tuple[GeoPair, ...]]:
    """The bundled states' capitals and nearby pairs (data/geography.yaml, written by
    scripts/make_geography.py from COW capitals, Direct Contiguity 3.2 and CShapes 2.0)."""
    path = bundled.GEOGRAPHY
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    src = (f"COW capitals via peacesciencer ({path.name}, {data['year']})")
    capitals = {k: Capital(name=v["name"], lat=v["lat"], lon=v["lon"], source=src + (
        f"; corrected: {v['corrected']}" if "corrected" in v else ""))
        for k, v in data["capitals"].items()}
    pairs = tuple(GeoPair(**p, source=(
        "COW Direct Contiguity 3.2 (2016) and CShapes 2.0 minimum distance (2019), "
        f"via peacesciencer ({path.name})")) for p in data["pairs"])
    return capitals, pairs


def bundled_affinity() -> tuple[float, list[AffinityPair]]:
    """The default affinity and the judged pairs (data/affinity.yaml), parsed once per process
    (as the actors are); each call gets a list of its own over the same frozen pairs."""
    default, pairs = _parsed_affinity()
    return default, list(pairs)


@cache
def _parsed_affinity() -> tuple[float, tuple[AffinityPair, ...]]:
    data, _ = parse_yaml(bundled.AFFINITY.read_text(encoding="utf-8"), str(bundled.AFFINITY))
    return float(data["default"]), tuple(AffinityPair.model_validate(p) for p in data["pairs"])


POSTERIOR_VERSION = 2  # 2: MCMC draws (alliancesim 0.4); none: the normal approximation (0.3)


def posterior_problem(posterior: Any) -> str | None:
    """Why a `posterior:` block cannot be used (None: it can): this version reads draws."""
    if not isinstance(posterior, dict):
        return "expected a mapping"
    version = posterior.get("version")
    if version is None and isinstance(posterior.get("council"), dict) and "cov" in posterior[
            "council"]:
        return ("an old-format posterior (the normal approximation of alliancesim 0.3: theta "
                "and cov); this version reads MCMC draws (posterior version "
                f"{POSTERIOR_VERSION}): write the file anew with `alliancesim calibrate --out "
                "FILE`, or delete its posterior: block (the parameters are read as before)")
    if version != POSTERIOR_VERSION:
        return (f"posterior version {version!r} is not known to this version of alliancesim "
                f"(it reads version {POSTERIOR_VERSION})")
    return None


@cache
def bundled_posterior() -> dict[str, Any]:
    """The calibration's posterior (MCMC draws and the MAP) from data/calibrated.yaml."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(bundled.CALIBRATED.read_text(encoding="utf-8"), Loader=loader)
    problem = posterior_problem(data.get("posterior"))
    if problem is not None:
        raise ValueError(f"{bundled.CALIBRATED}: posterior: {problem}")
    return dict(data["posterior"])


@cache
def bundled_affinity_years() -> dict[int, list[AffinityPair]]:
    """Year-specific affinities (UN ideal points; data/affinity_years.yaml), by year."""
    path = bundled.AFFINITY_YEARS
    data, _ = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    return {int(y): [AffinityPair.model_validate(p) for p in rows]
            for y, rows in data["years"].items()}


def bundled_alliance(name: str) -> Alliance:
    path = bundled.alliance_path(name)
    data, lines = parse_yaml(path.read_text(encoding="utf-8"), str(path))
    return validate(Alliance, data, lines, str(path))


# --------------------------------------------------------------------------- scenarios
def load_scenario_file(path_or_name: str | FsPath) -> tuple[Scenario, str, dict[Path, int]]:
    """Parse and validate a scenario; return it unresolved with its source name and line map."""
    p = FsPath(path_or_name)
    if p.suffix in (".yaml", ".yml") or p.exists() or "/" in str(path_or_name):
        source = str(path_or_name)
        text = read_text(p)
    else:
        name = str(path_or_name)
        known = bundled.scenario_names()
        if name not in known:
            raise ScenarioError([Problem(
                name, "", f"no such file, and no bundled scenario or case of that name "
                f"(bundled scenarios: {', '.join(known)}; cases: see `alliancesim cases`)")])
        bp = bundled.scenario_path(name)
        source, text = str(bp), bp.read_text(encoding="utf-8")
    data, lines = parse_yaml(text, source)
    return validate(Scenario, data, lines, source), source, lines


def load_scenario(path_or_name: str | FsPath) -> Scenario:
    """Load a scenario file or bundled scenario, resolve bundled references, check ids.

    (Historical cases load as scenarios through alliancesim.cases.load_scenario_or_case.)
    """
    scenario, source, lines = load_scenario_file(path_or_name)
    return resolve(scenario, source, lines)


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid onto `base`, key by key (nested mappings merged, anything else, and any
    distribution, replaced)."""
    out = dict(base)
    for k, v in over.items():
        # a distribution ({dist: ...}) replaces what was there whole: merging its parameters
        # into another distribution's would mix two distributions
        merge = isinstance(v, dict) and isinstance(out.get(k), dict) and "dist" not in v
        out[k] = deep_merge(out[k], v) if merge else v
    return out


def _remove_members(base: dict[str, Any], changes: dict[str, Any], members: dict[str, Any],
                    source: str, lines: dict[Path, int]
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """`alliance_changes: {members: {ARM: null}}` removes ARM from the alliance, with its
    standing forces, its bases and ties, and the leadership if it led."""
    bad = {k: v for k, v in members.items() if v is not None or k not in base["members"]}
    if bad:
        k = next(iter(bad))
        raise ScenarioError([Problem(
            source, f"alliance_changes.members.{k}",
            f"to remove a member write '{k}: null' for a current member (members: "
            f"{', '.join(base['members'])}); to replace the list give a list",
            line_of(lines, ("alliance_changes", "members", k)))])
    gone = set(members)
    base = dict(base)
    base["members"] = [m for m in base["members"] if m not in gone]
    base["standing_forces"] = {k: v for k, v in base["standing_forces"].items() if k not in gone}
    base["bases"] = [b for b in base["bases"] if b["owner"] not in gone and b["host"] not in gone]
    base["ties"] = [t for t in base["ties"] if t["a"] not in gone and t["b"] not in gone]
    if base.get("leader") in gone:
        base["leader"] = None
        if base["decision_rule"].get("rule") == "leader":
            base["decision_rule"] = {"rule": "consensus"}
    return base, {k: v for k, v in changes.items() if k != "members"}


def _change_alliance(alliance: Alliance, changes: dict[str, Any], source: str,
                     lines: dict[Path, int]) -> Alliance:
    """A bundled alliance with a scenario's alliance_changes merged in, validated; problems are
    reported at the lines of alliance_changes."""
    prefix = ("alliance_changes",)
    base = alliance.model_dump(mode="json", by_alias=True)
    members = changes.get("members")
    if isinstance(members, dict):
        base, changes = _remove_members(base, changes, members, source, lines)
    if isinstance(changes.get("decision_rule"), dict):
        base["decision_rule"] = {}  # a rule is one choice: replaced whole, never merged
    merged = deep_merge(base, changes)
    sub = {path[1:]: line for path, line in lines.items() if path[:1] == prefix}
    try:
        return validate(Alliance, merged, sub, source)
    except ScenarioError as exc:
        raise ScenarioError([Problem(p.source, "alliance_changes." + p.field if p.field
                                     else "alliance_changes", p.message, p.line)
                             for p in exc.problems]) from None


def resolve(scenario: Scenario, source: str = "<scenario>", lines: dict[Path, int] | None = None
            ) -> Scenario:
    """Fill in the bundled alliance, actors and affinities; check every id refers to something.

    The result is self-contained: its alliance is inline and its actors include every actor the
    crises refer to (bundled figures, overridden by the scenario's own entries).
    """
    lines = lines or {}
    problems: list[Problem] = []

    def problem(path: Path, msg: str) -> None:
        problems.append(Problem(source, _fmt_path(path), msg, line_of(lines, path)))

    alliance: Alliance | None
    if isinstance(scenario.alliance, str):
        names = bundled.alliance_names()
        if scenario.alliance not in names:
            problem(("alliance",), f"unknown alliance '{scenario.alliance}' "
                    f"(bundled: {', '.join(names)}; or give the alliance inline)")
            raise ScenarioError(problems)
        alliance = bundled_alliance(scenario.alliance)
        if scenario.alliance_changes:
            alliance = _change_alliance(alliance, scenario.alliance_changes, source, lines)
    else:
        alliance = scenario.alliance

    catalogue = bundled_actors()
    actors = {**catalogue, **scenario.actors}
    known = sorted(actors)

    def check_actor(path: Path, aid: str) -> None:
        if aid not in actors:
            problem(path, f"unknown actor '{aid}' (known: {', '.join(known)}; "
                    "or add it under actors:)")

    members = alliance.members
    for i, m in enumerate(members):
        check_actor(("alliance", "members", i), m)
    for i, b in enumerate(alliance.bases):
        check_actor(("alliance", "bases", i, "owner"), b.owner)
        check_actor(("alliance", "bases", i, "host"), b.host)
    for k in alliance.standing_forces:
        if k not in members:
            problem(("alliance", "standing_forces", k),
                    f"'{k}' is not a member (members: {', '.join(members)})")
    for i, c in enumerate(scenario.crises):
        if c.victim not in members:
            problem(("crises", i, "victim"), f"unknown state '{c.victim}': the victim must be "
                    f"an alliance member (members: {', '.join(members)})")
        check_actor(("crises", i, "aggressor"), c.aggressor)
        for k in c.exposure:
            if k not in members:
                problem(("crises", i, "exposure", k),
                        f"'{k}' is not a member (members: {', '.join(members)})")
        if c.aggressor_strength is None and c.aggressor in actors and \
                actors[c.aggressor].troops == 0:
            problem(("crises", i, "aggressor_strength"),
                    f"aggressor '{c.aggressor}' has no troops: give aggressor_strength")
    for i, pair in enumerate(scenario.affinity):
        check_actor(("affinity", i, "a"), pair.a)
        check_actor(("affinity", i, "b"), pair.b)
    for i, g in enumerate(scenario.geography):
        check_actor(("geography", i, "a"), g.a)
        check_actor(("geography", i, "b"), g.b)
    if problems:
        raise ScenarioError(problems)

    _default, pairs = bundled_affinity()
    if scenario.affinity_year is not None:
        pairs = [*pairs, *bundled_affinity_years().get(scenario.affinity_year, [])]
    merged: dict[frozenset[str], AffinityPair] = {}
    for p in [*pairs, *scenario.affinity]:
        merged[frozenset((p.a, p.b))] = p
    used = set(members) | {c.aggressor for c in scenario.crises} | {b.owner for b in alliance.bases}
    used |= {b.host for b in alliance.bases}
    capitals, bundled_pairs = bundled_geography()
    chosen = {k: actors[k] for k in sorted(used)}
    for k, a in chosen.items():  # the bundled capital where the actor gives none
        if a.capital is None and a.kind == "state" and k in capitals and \
                k not in scenario.actors:
            chosen[k] = a.model_copy(update={"capital": capitals[k]})
    geo: dict[frozenset[str], GeoPair] = {}
    for g in [*bundled_pairs, *scenario.geography]:
        geo[frozenset((g.a, g.b))] = g
    return scenario.model_copy(update={
        "alliance": alliance,
        "alliance_changes": {},
        "actors": chosen,
        "affinity": [p for key, p in merged.items() if key <= used],
        "geography": [g for key, g in geo.items() if key <= used],
    })

