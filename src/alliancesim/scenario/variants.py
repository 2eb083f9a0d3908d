"""Variants files: one base scenario and named changes to it, for `alliancesim compare`.

    base: csto-2021-autumn          # a bundled scenario, or a scenario file (relative to here)
    variants:
      two-thirds:                   # laid over the base scenario key by key (deep_merge)
        alliance_changes: {decision_rule: {rule: qualified_majority, threshold: 0.667}}
      without-armenia:
        alliance_changes: {members: {ARM: null}}
        crises: [...]               # a list replaces the base's list whole;
      calmer-baku:
        crises:                     # a mapping by crisis id changes those crises only
          armenia-attack: {aggressor_strength: 5000}

Each variant is validated and resolved like a scenario; its problems name the file and the
variant. Every variant keeps the base's seed and trials (common random numbers).
"""

from __future__ import annotations

from pathlib import Path as FsPath
from typing import Any

from alliancesim.data import bundled
from alliancesim.scenario.errors import Problem, ScenarioError, middle_cut
from alliancesim.scenario.loading import deep_merge, read_text, resolve, validate
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.yaml_lines import line_of, parse_yaml


def raw_scenario(name_or_path: str | FsPath) -> tuple[dict[str, Any], str]:
    """The parsed (unvalidated) data of a scenario file or bundled scenario, and its source."""
    p = FsPath(name_or_path)
    if p.is_file():
        source = str(p)
    elif str(name_or_path) in bundled.scenario_names():
        source = str(bundled.scenario_path(str(name_or_path)))
    else:
        raise ScenarioError([Problem(str(name_or_path), "", "no such scenario file and no "
                                     f"bundled scenario of that name (bundled: "
                                     f"{', '.join(bundled.scenario_names())})")])
    data, _ = parse_yaml(read_text(FsPath(source)), source)
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, "", "expected a scenario (a mapping of fields)")])
    return data, source


def scenario_from(data: dict[str, Any], label: str) -> Scenario:
    """Validate and resolve scenario data made by changing a file's (problems name `label`)."""
    return resolve(validate(Scenario, data, {}, label), label)


def is_variants_file(path: str | FsPath) -> bool:
    p = FsPath(path)
    if p.suffix not in (".yaml", ".yml") or not p.is_file():
        return False
    data, _ = parse_yaml(read_text(p), str(p))
    return isinstance(data, dict) and "variants" in data and "base" in data


def load_variants(path: str | FsPath) -> list[tuple[str, Scenario]]:
    """(name, resolved scenario) for the base (named by its `base` value) and each variant."""
    p = FsPath(path)
    source = str(p)
    data, lines = parse_yaml(read_text(p), source)

    def fail(field: str, message: str) -> ScenarioError:
        return ScenarioError([Problem(source, field, message, line_of(lines, (field,)))])

    if not isinstance(data, dict):
        raise fail("", "expected a mapping with base: and variants:")
    unknown = sorted(set(data) - {"base", "variants", "title", "description"})
    if unknown:
        raise fail(unknown[0], f"unknown field '{unknown[0]}' (valid fields: base, description, "
                   "title, variants)")
    base = data.get("base")
    variants = data.get("variants")
    if not isinstance(base, str) or not base:
        raise fail("base", "give the base scenario: a bundled name or a file path")
    if not isinstance(variants, dict) or not variants:
        raise fail("variants", "give at least one named variant (a mapping of changes)")
    local = p.parent / base
    try:
        is_local = local.is_file()
    except OSError:  # a name the file system cannot hold (too long, ...): no such file
        is_local = False
    if is_local:
        base_source = str(local)
    elif base in bundled.scenario_names():
        base_source = str(bundled.scenario_path(base))
    else:
        raise fail("base", f"no scenario file '{middle_cut(str(local))}' and no bundled "
                   f"scenario '{middle_cut(base)}' (bundled: "
                   f"{', '.join(bundled.scenario_names())})")
    base_data, base_lines = parse_yaml(read_text(FsPath(base_source)), base_source)
    out = [(base, resolve(validate(Scenario, base_data, base_lines, base_source), base_source,
                          base_lines))]
    for name, changes in variants.items():
        label = f"{source} (variant {name})"
        if not isinstance(changes, dict):
            raise ScenarioError([Problem(source, f"variants.{name}", "expected a mapping of "
                                         "changes to the base scenario",
                                         line_of(lines, ("variants", name)))])
        crises = changes.get("crises")
        if isinstance(crises, dict):  # changes to named crises only, merged into each
            ids = [c.get("id") for c in base_data.get("crises", []) if isinstance(c, dict)]
            unknown = [k for k in crises if k not in ids]
            bad = [k for k, v in crises.items() if not isinstance(v, dict)]
            if bad:
                raise ScenarioError([Problem(source, f"variants.{name}.crises.{bad[0]}",
                                             "expected a mapping of changes to that crisis "
                                             "(e.g. {aggressor_strength: 5000})",
                                             line_of(lines, ("variants", name, "crises",
                                                             bad[0])))])
            if unknown:
                raise ScenarioError([Problem(source, f"variants.{name}.crises.{unknown[0]}",
                                             f"no crisis '{unknown[0]}' in the base (crises: "
                                             f"{', '.join(map(str, ids))})",
                                             line_of(lines, ("variants", name, "crises",
                                                             unknown[0])))])
            changes = dict(changes)
            changes["crises"] = [deep_merge(c, crises[c.get("id")]) if isinstance(c, dict)
                                 and c.get("id") in crises else c
                                 for c in base_data["crises"]]
        merged: dict[str, Any] = deep_merge(base_data, changes)
        out.append((str(name), resolve(validate(Scenario, merged, {}, label), label)))
    return out
