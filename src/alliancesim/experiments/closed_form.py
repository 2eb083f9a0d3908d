"""The council's closed form for a compiled crisis (all council inputs fixed).

Used to check the Monte Carlo and, later, to calibrate the member model by maximum likelihood.
"""

from __future__ import annotations

import numpy as np

from alliancesim.engine import aggressor_strength, council_features
from alliancesim.model import analytic, request
from alliancesim.scenario.compile import CompiledCrisis
from alliancesim.scenario.distributions import is_uncertain, point
from alliancesim.scenario.schema import COUNCIL_FEATURES

# quantities the council and request stages read; all must be fixed for the closed form
_PREFIXES = ("council.", "request.", "aggressor_", "troops.", "defender_commitment", "trust")


class NoClosedFormError(ValueError):
    """The crisis has uncertain inputs to the council or request stage."""


def point_values(model: CompiledCrisis) -> dict[str, np.ndarray]:
    """Every quantity at its point value, as 1-trial arrays."""
    return {q.name: np.array([np.clip(point(q.value), q.low, q.high)]) for q in model.quantities}


def response_probabilities(model: CompiledCrisis) -> np.ndarray:
    """P(collective rung = l), l = 0..4, in closed form. Raises NoClosedFormError if it has none."""
    uncertain = [q.name for q in model.quantities
                 if q.name.startswith(_PREFIXES) and is_uncertain(q.value)]
    if uncertain:
        raise NoClosedFormError(f"uncertain council inputs: {', '.join(uncertain)}")
    v = point_values(model)
    troops = np.stack([v[f"troops.{m}"] for m in model.members], axis=1)
    S = aggressor_strength(model, v)
    x = council_features(model, S, troops)
    beta = np.stack([v[f"council.coefficients.{f}"] for f in COUNCIL_FEATURES], axis=1)
    mu = (v["council.intercept"][:, None] + np.einsum("tmk,tk->tm", x, beta))[0]
    tau = np.sort([float(v[f"council.cutpoints.{k}"][0]) for k in range(1, 5)])
    if model.request_fixed >= 0:
        req = np.zeros(3)
        req[model.request_fixed] = 1.0
    else:
        D0 = v["defender_commitment"] * troops[:, model.victim]
        latent = request.request_latent(v["request.intercept"], v["request.threat"],
                                        v["request.trust_weight"], S, D0, v["trust"])
        req = analytic.request_probabilities(float(latent[0]),
                                             float(v["request.cutpoints.1"][0]),
                                             float(v["request.cutpoints.2"][0]))
    rho = float(v["council.shock_correlation"][0])
    return analytic.response_probabilities(mu, tau, req, model.rule, model.quota, model.victim,
                                           model.leader, model.noise, rho,
                                           consensus_from=model.consensus_from)
