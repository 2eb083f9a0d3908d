"""Parameter files: a `parameters:` block (as in a scenario) that `run --params FILE` applies.

`alliancesim calibrate --out FILE` writes one, with the fit's metadata beside the parameters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from alliancesim.scenario.errors import Problem, ScenarioError, UsageError
from alliancesim.scenario.loading import deep_merge, posterior_problem, read_text, validate
from alliancesim.scenario.schema import Parameters, Scenario
from alliancesim.scenario.yaml_lines import MAX_PARAMETER_BYTES, parse_yaml


class ParameterFile(BaseModel):
    """The file's shape: parameters plus free-form metadata written by calibrate."""

    model_config = ConfigDict(extra="forbid")
    parameters: Parameters
    calibration: dict[str, Any] | None = None
    # the posterior's MCMC draws (bundled: data/calibrated.yaml); version 2 (an older file's
    # normal approximation is refused with a line saying so)
    posterior: dict[str, Any] | None = None

    @field_validator("posterior")
    @classmethod
    def _check_posterior(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None and (problem := posterior_problem(v)) is not None:
            raise ValueError(problem)
        return v


def load_parameters(path: Path) -> dict[str, Any]:
    """The parameters a file sets (only those keys), validated with line-precise errors."""
    source = str(path)
    data, lines = parse_yaml(read_text(path, MAX_PARAMETER_BYTES), source, MAX_PARAMETER_BYTES)
    validate(ParameterFile, data, lines, source)
    raw = data["parameters"]
    if not isinstance(raw, dict):
        raise ScenarioError([Problem(source, "parameters", "expected a mapping")])
    return raw


def apply_parameters(scenario: Scenario, parameters: dict[str, Any]) -> Scenario:
    """The scenario with the file's parameters laid over its own."""
    merged = deep_merge(scenario.parameters.model_dump(mode="json", by_alias=True), parameters)
    return scenario.model_copy(update={"parameters": Parameters.model_validate(merged)})


# Parameter uncertainty, one rule for every face (issue 22): on unless turned off.
DEFAULT_UNCERTAINTY = "posterior"
UNCERTAINTY_CHOICES = ("posterior", "off")


def check_uncertainty(choice: str) -> str:
    """The choice, or UsageError unless it is "posterior" or "off"."""
    if choice not in UNCERTAINTY_CHOICES:
        raise UsageError("must be 'posterior' or 'off'", param="parameter_uncertainty",
                         value=choice)
    return choice


def uncertainty_of(scenario: Scenario, choice: str | None = None) -> str:
    """The parameter uncertainty a simulation of `scenario` uses: `choice` when given (the
    api's parameter_uncertainty=, the command line's --parameter-uncertainty), else the
    scenario file's own parameters.uncertainty when it sets one, else DEFAULT_UNCERTAINTY
    ("posterior"). Raises UsageError for a choice other than "posterior" or "off"."""
    if choice is not None:
        return check_uncertainty(choice)
    own = scenario.parameters.uncertainty
    return own if own is not None else DEFAULT_UNCERTAINTY


def with_uncertainty(scenario: Scenario, choice: str | None = None) -> Scenario:
    """The scenario with parameters.uncertainty set to what a simulation uses (uncertainty_of),
    written out, so that the scenario a run keeps (scenario.yaml, the results store) says what
    was run and reproduces it whatever the default."""
    value = uncertainty_of(scenario, choice)
    if scenario.parameters.uncertainty == value:
        return scenario
    return scenario.model_copy(update={"parameters": scenario.parameters.model_copy(
        update={"uncertainty": value})})
