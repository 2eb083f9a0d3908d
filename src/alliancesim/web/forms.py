"""The scenario page's form of main inputs: the fields a scenario has (the crisis, its
aggressor and the aggressor's strength, the request, trust, each member's exposure and
affinity with the victim and the aggressor, the decision rule, the leader's weight, trials,
seed), each prefilled with the scenario's value written as YAML (a number, a word, or a flow
mapping such as {dist: uniform, low: 2000, high: 8000}); what the user changed becomes the
`changes` of Scenario.with_changes, each value read by the bounded YAML reader of scenario
files. An error names the field's own path, so the page shows it beside the field.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

import yaml

from alliancesim.scenario.errors import Problem, ScenarioError
from alliancesim.scenario.schema import Scenario
from alliancesim.scenario.yaml_lines import parse_yaml

FIELD = "f."  # a form field's name: f.<dotted path>
ORIGINAL = "o."  # the value it was shown with: o.<dotted path>
AFFINITY = "affinity."  # a pair's path in the form: affinity.<A>.<B> (not a schema path)
THREATS = ("interstate_attack", "cross_border_incursion", "insurgency", "internal_unrest",
           "member_clash")
REQUESTS = ("auto", "none", "consultations", "material", "military")


@dataclasses.dataclass(frozen=True)
class Field:
    path: str
    label: str
    value: str
    choices: tuple[str, ...] = ()
    hint: str = ""


@dataclasses.dataclass(frozen=True)
class Group:
    title: str
    fields: list[Field]


def text_of(value: Any) -> str:
    """A value as the form shows it: YAML flow style on one line."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=10_000
                          ).strip()


def _affinity(sc: Scenario) -> dict[frozenset[str], float]:
    return {frozenset((p.a, p.b)): p.value for p in sc.affinity}


def groups(sc: Scenario) -> list[Group]:
    """The form's fields for a resolved scenario."""
    alliance = sc.alliance
    assert not isinstance(alliance, str)
    data = sc.model_dump(mode="json", by_alias=True)
    rule = data["alliance"]["decision_rule"]
    council = data["parameters"]["council"]
    out = [Group("The run", [
        Field("trials", "trials per crisis", text_of(sc.trials)),
        Field("seed", "seed", text_of(sc.seed))]),
        Group(f"The alliance: {alliance.name}", [
            Field("alliance.decision_rule.rule", "decision rule", rule["rule"],
                  ("consensus", "qualified_majority", "simple_majority", "leader")),
            Field("alliance.decision_rule.threshold", "threshold (qualified majority)",
                  text_of(rule.get("threshold")), hint="e.g. 0.667"),
            Field("parameters.council.leader_weight", "leader's weight",
                  text_of(council["leader_weight"]),
                  hint="share of trials the leader decides alone (0-1)")])]
    pairs = _affinity(sc)
    for i, c in enumerate(data["crises"]):
        fields = [
            Field(f"crises.{i}.title", "title", c.get("title", "")),
            Field(f"crises.{i}.threat", "threat", c["threat"], THREATS),
            Field(f"crises.{i}.victim", "victim", c["victim"]),
            Field(f"crises.{i}.aggressor", "aggressor", c["aggressor"]),
            Field(f"crises.{i}.aggressor_strength", "aggressor's strength (troops)",
                  text_of(c.get("aggressor_strength")),
                  hint="a number or {dist: uniform, low: ..., high: ...}"),
            Field(f"crises.{i}.request", "request", c.get("request", "auto"), REQUESTS),
            Field(f"crises.{i}.trust", "trust in the alliance (0-1)", text_of(c.get("trust")))]
        out.append(Group(f"Crisis {c['id']}", fields))
        members: list[Field] = []
        exposure = c.get("exposure") or {}
        for m in alliance.members:
            if m in (c["victim"], c["aggressor"]):
                continue
            members.append(Field(f"crises.{i}.exposure.{m}", f"{m}: exposure (stake, 0-1)",
                                 text_of(exposure.get(m)), hint="blank: by the rule"))
            for other in (c["victim"], c["aggressor"]):
                a, b = sorted((m, other))
                members.append(Field(f"{AFFINITY}{a}.{b}", f"{m}: affinity with {other}",
                                     text_of(pairs.get(frozenset((a, b)))),
                                     hint="-1..1; blank: the default"))
        out.append(Group(f"Crisis {c['id']}: each member's stake and affinity", members))
    return out


def _dedupe(gs: list[Group]) -> list[Group]:
    """A pair is edited once, in the first crisis that shows it; later crises show it as a
    note (same value, read-only)."""
    seen: dict[str, str] = {}
    out = []
    for g in gs:
        fields = []
        for f in g.fields:
            if f.path in seen:
                fields.append(dataclasses.replace(f, path="", hint=f"set in {seen[f.path]}"))
            else:
                seen[f.path] = g.title.split(":")[0]
                fields.append(f)
        out.append(Group(g.title, fields))
    return out


def changes_of(sc: Scenario, form: Mapping[str, str]) -> dict[str, Any]:
    """The changes the user made in the form: each field whose text differs from the one it
    was shown with, read as YAML. ScenarioError, one problem per field that cannot be read,
    and the schema's problems with the fields that could."""
    changes: dict[str, Any] = {}
    problems: list[Problem] = []
    pairs: dict[tuple[str, str], float] = {}
    for key, text in form.items():
        if not key.startswith(FIELD):
            continue
        path = key.removeprefix(FIELD)
        if text.strip() == form.get(ORIGINAL + path, "").strip():
            continue
        if not text.strip():
            problems.append(Problem("form", path, "give a value (a blank field keeps the "
                                    "scenario's own only when it was blank)"))
            continue
        try:
            value, _ = parse_yaml(text, f"form field {path}")
        except ScenarioError as exc:
            problems.append(Problem("form", path, exc.problems[0].message))
            continue
        if path.startswith(AFFINITY):
            parts = path.removeprefix(AFFINITY).split(".")
            if len(parts) != 2 or isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(Problem("form", path, "a number from -1 to 1"))
                continue
            pairs[(parts[0], parts[1])] = float(value)
        else:
            changes[path] = value
    if pairs:
        listed = [p.model_dump(mode="json") for p in sc.affinity]
        for (a, b), value in pairs.items():
            for p in listed:
                if {p["a"], p["b"]} == {a, b}:
                    p.update(value=value, reason="JUDGEMENT: set in the web form")
                    break
            else:
                listed.append({"a": a, "b": b, "value": value,
                               "reason": "JUDGEMENT: set in the web form"})
        changes["affinity"] = listed
    _whole_rule(sc, changes)
    if problems:  # with the schema's word on the fields that could be read
        try:
            sc.with_changes(changes)
        except ScenarioError as exc:
            problems += exc.problems
        raise ScenarioError(problems)
    return changes


def _whole_rule(sc: Scenario, changes: dict[str, Any]) -> None:
    """A change of the rule or its threshold made to the whole decision_rule mapping (its
    source kept): consensus_from belongs to consensus only, so it goes with another rule."""
    rule_path, threshold_path = "alliance.decision_rule.rule", "alliance.decision_rule.threshold"
    if rule_path not in changes and threshold_path not in changes:
        return
    alliance = sc.alliance
    assert not isinstance(alliance, str)
    mapping = alliance.decision_rule.model_dump(mode="json")
    mapping["rule"] = changes.pop(rule_path, mapping["rule"])
    mapping["threshold"] = changes.pop(threshold_path, mapping.get("threshold"))
    if mapping["rule"] != "consensus":
        mapping.pop("consensus_from", None)
    changes["alliance.decision_rule"] = mapping


def form_groups(sc: Scenario) -> list[Group]:
    return _dedupe(groups(sc))


def field_of(problem_field: str) -> str:
    """An error's field as the form names it: crises[2].trust -> crises.2.trust; an affinity
    pair's error (affinity.5.value) is shown at the top."""
    return problem_field.replace("[", ".").replace("]", "")
