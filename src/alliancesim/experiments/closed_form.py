"""The collective response of a compiled crisis in closed form (all council and request inputs
fixed): the council model's closed form, mixed over the request when the request is drawn.

    P(L = l) = sum_r P(request = r) P(L = l | cap(r))

Used to check the Monte Carlo (tests) and beside the simulated frequencies.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from alliancesim.cases.designs import point_features, point_troops, point_values
from alliancesim.engine import bargaining_settings
from alliancesim.model import crisis, request
from alliancesim.model.council import EUMCouncil, council_model
from alliancesim.model.council.rules import rule_of, voter_index, voters
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import is_uncertain

# quantities the council and request stages read; all must be fixed for the closed form
_PREFIXES = ("council.", "request.", "aggressor_", "troops.", "defender_commitment", "trust")


class NoClosedFormError(ValueError):
    """The crisis has uncertain inputs to the council or request stage."""


def request_probabilities(model: CompiledCrisis) -> np.ndarray:
    """P(request = none, consultations, military[, material]) at the point values: a fixed
    request (any of the four levels) has probability 1; the stage draws the first three."""
    if model.request_fixed >= 0:
        out = np.zeros(len(request.REQUEST_CAP))
        out[model.request_fixed] = 1.0
        return out
    v = point_values(model)
    troops = np.stack([v[f"troops.{m}"] for m in model.members], axis=1)
    S = crisis.aggressor_strength(v, model.aggressor_distance)
    D0 = crisis.committed_forces(v, troops[:, model.victim])
    latent = request.request_latent(v["request.intercept"], v["request.threat"],
                                    v["request.trust_weight"], S, D0, v["trust"])
    return request.request_probabilities(float(latent[0]), float(v["request.cutpoints.1"][0]),
                                         float(v["request.cutpoints.2"][0]))


def uncertain_inputs(model: CompiledCrisis) -> list[str]:
    """The council's and request stage's inputs that the crisis gives as distributions."""
    return [q.name for q in model.quantities
            if q.name.startswith(_PREFIXES) and is_uncertain(q.value)]


def response_probabilities(model: CompiledCrisis, at_points: bool = False) -> np.ndarray:
    """P(collective rung = l), l = 0..4, in closed form. Raises NoClosedFormError if an input
    is uncertain, unless at_points: then every input is taken at its point value, as the fit and
    the hindcast take a case's (cases.designs.point_values). The expected-utility council has
    no closed form: its P(L = l | request) is by simulation (EUMCouncil.rung_probabilities,
    with the crisis's bargaining readings and the members' troops at their point values)."""
    uncertain = uncertain_inputs(model)
    if uncertain and not at_points:
        raise NoClosedFormError(f"uncertain council inputs: {', '.join(uncertain)}")
    values = {k: float(a[0]) for k, a in point_values(model).items()}
    x = point_features(model)[voters(model)]  # the council's members (rules.rule_of)
    victim = voter_index(model.victim, model.aggressor_member)
    council = council_model(model.council_model)
    rule = rule_of(model)
    out = np.zeros(5)
    for level, pr in enumerate(request_probabilities(model)):
        if pr <= 0.0:
            continue
        cap, own = int(request.REQUEST_CAP[level]), int(request.VICTIM_PREF[level])
        if isinstance(council, EUMCouncil):  # no closed form: by simulation, its own readings
            eum = replace(council, settings=bargaining_settings(model))
            out += pr * eum.rung_probabilities(x, values, rule, victim, cap, model.noise, own,
                                               troops=point_troops(model)[voters(model)])
        else:
            out += pr * council.rung_probabilities(x, values, rule, victim, cap, model.noise,
                                                   own)
    return out
