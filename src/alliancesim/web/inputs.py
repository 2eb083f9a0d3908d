"""A scenario from what a client sends, never from a path it names.

A client names a bundled scenario or case (checked against the bundled lists), a scenario the
user uploaded earlier (`user:NAME`, a file the app itself wrote into its own folder), or sends
the YAML text; `changes` (dotted path -> value, Scenario.with_changes) are laid over it. Text
goes through the same bounded loader as a file on the command line (scenario/yaml_lines.py:
size, depth, aliases, tags), written first into a private temporary folder; errors come back
as the loader's problems (field, line, message), with the temporary file's name replaced by
the name the client gave.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from alliancesim import api
from alliancesim.data import bundled
from alliancesim.scenario.errors import Problem, ScenarioError, UsageError, one_line
from alliancesim.scenario.schema import Scenario

USER_PREFIX = "user:"
USER_NAME = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


class ScenarioInput(BaseModel):
    """One scenario: `name` (a bundled scenario or case, or user:NAME) or `yaml` (the text of
    a scenario or case file), with `changes` laid over it."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200,
                             description="A bundled scenario or case, or user:NAME.")
    yaml: str | None = Field(default=None, description="The text of a scenario file.")
    changes: dict[str, Any] = Field(
        default_factory=dict, max_length=200,
        description="Dotted path -> value, e.g. {'crises.armenia-attack.aggressor_strength': "
                    "8000} (Scenario.with_changes).")
    label: str | None = Field(default=None, max_length=80,
                              description="A label (variants of a comparison).")


def bundled_names() -> set[str]:
    """Every name a client may give: the bundled scenarios and cases."""
    return set(bundled.scenario_names()) | set(bundled.case_names())


def user_folder(files: Path) -> Path:
    return files / "scenarios"


def user_scenarios(files: Path) -> list[str]:
    """The uploaded scenarios' names (user:NAME), sorted."""
    folder = user_folder(files)
    if not folder.is_dir():
        return []
    return sorted(USER_PREFIX + p.stem for p in folder.glob("*.yaml")
                  if USER_NAME.match(p.stem))


def _renamed(exc: ScenarioError, path: Path, label: str) -> ScenarioError:
    """The loader's problems with the temporary file's name replaced by `label`."""
    return ScenarioError([Problem(label if p.source == str(path) else
                                  p.source.replace(str(path), label), p.field,
                                  p.message.replace(str(path), label), p.line)
                          for p in exc.problems])


def from_text(text: str, *, label: str = "scenario", max_bytes: int) -> Scenario:
    """A scenario (or a case, as a one-crisis scenario) from YAML text, by the bounded
    loader; ScenarioError with the loader's problems, named `label`."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise ScenarioError([Problem(label, "", f"too large ({size:,} bytes; at most "
                                     f"{max_bytes:,})")])
    with tempfile.TemporaryDirectory(prefix="alliancesim-web-") as tmp:
        path = Path(tmp) / "scenario.yaml"
        try:
            path.write_text(text, encoding="utf-8", errors="strict")
        except UnicodeEncodeError:
            raise ScenarioError([Problem(label, "", "not UTF-8 text")]) from None
        try:
            return api.load_scenario(path)
        except ScenarioError as exc:
            raise _renamed(exc, path, label) from None


def by_name(name: str, files: Path) -> Scenario:
    """A bundled scenario or case, or user:NAME; UsageError naming the valid ones."""
    if name.startswith(USER_PREFIX):
        stem = name.removeprefix(USER_PREFIX)
        path = user_folder(files) / f"{stem}.yaml"
        if not USER_NAME.match(stem) or not path.is_file():
            raise UsageError("no uploaded scenario of that name", param="name", value=name)
        try:
            return api.load_scenario(path)
        except ScenarioError as exc:
            raise _renamed(exc, path, name) from None
    if name not in bundled_names():
        raise UsageError("no bundled scenario or case of that name (bundled scenarios: "
                         f"{', '.join(sorted(bundled.scenario_names()))}; cases: "
                         "GET /api/v1/cases)", param="name", value=name)
    return api.load_scenario(name)


def source_text(name: str, files: Path) -> str:
    """The YAML text of a bundled scenario or case, or of an uploaded scenario."""
    if name.startswith(USER_PREFIX):
        by_name(name, files)  # checked: the name is one of ours
        return (user_folder(files) / f"{name.removeprefix(USER_PREFIX)}.yaml").read_text(
            encoding="utf-8")
    if name not in bundled_names():
        by_name(name, files)  # raises the precise error
    return api.scenario_source(name)


def load(given: ScenarioInput, files: Path, *, max_bytes: int, where: str = "scenario"
         ) -> Scenario:
    """The scenario a ScenarioInput describes, validated and resolved."""
    if (given.name is None) == (given.yaml is None):
        raise UsageError("give either name (a bundled scenario or case, or user:NAME) or "
                         "yaml (the text of a scenario file)", param=where)
    if given.yaml is not None:
        sc = from_text(given.yaml, label=given.label or where, max_bytes=max_bytes)
    else:
        assert given.name is not None
        sc = by_name(given.name, files)
    if given.changes:
        sc = sc.with_changes(given.changes)
    return sc


def save_upload(text: str, files: Path, *, max_bytes: int) -> str:
    """Keep an uploaded scenario (checked first by the loader) as user:NAME, NAME from the
    scenario's own name (lower case, letters, digits, - and _) and the text's SHA-256, so that
    the same text lands on the same name and different texts never collide."""
    sc = from_text(text, label="upload", max_bytes=max_bytes)
    slug = re.sub(r"[^a-z0-9_\-]+", "-", sc.name.lower()).strip("-_")[:40] or "scenario"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
    stem = f"{slug}-{digest}"
    folder = user_folder(files)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{stem}.yaml"
    tmp = folder / f".{stem}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(target)
    return USER_PREFIX + stem


def problems_of(exc: ScenarioError | UsageError) -> list[dict[str, Any]]:
    """The errors as the JSON API gives them: field, message, line, source."""
    if isinstance(exc, ScenarioError):  # one_line: a lone surrogate escaped, never sent raw
        return [{"field": one_line(p.field), "message": one_line(p.message), "line": p.line,
                 "source": one_line(p.source)} for p in exc.problems]
    return [{"field": one_line(exc.param or ""), "message": one_line(exc.message), "line": None,
             "source": None}]
