"""The one definition of a scenario's SHA-256, used wherever a result names its scenario.

The hash is of the scenario's canonical dump (`scenario_text`): the resolved, validated
Scenario as JSON-mode data (field aliases, every default filled in) written as YAML with sorted
keys. Two files that load to the same scenario (comments, key order, a default left out or
spelled out) have the same hash, and the hash does not depend on how a run was asked for (its
trials and seed are recorded beside it, not in it). The results store (`store.runs`, column
``scenario_sha256``) and a run's output folder (``run.json``, written by `store.files`) both
call `scenario_digest`, so one run has one scenario hash wherever it is read.
"""

from __future__ import annotations

import hashlib

import yaml

from alliancesim.scenario.schema import Scenario


def scenario_text(scenario: Scenario) -> str:
    """The resolved scenario as canonical YAML (sorted keys, Unicode kept): what is hashed and
    what the results store keeps as the record's scenario."""
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=True,
                          allow_unicode=True)


def scenario_digest(scenario: Scenario) -> str:
    """SHA-256 (hex) of `scenario_text(scenario)` encoded as UTF-8."""
    return hashlib.sha256(scenario_text(scenario).encode("utf-8")).hexdigest()
