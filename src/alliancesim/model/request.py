"""Stage 1, the request: does the victim ask for consultations, material or military help?

    r = a + b_threat * log(S / D0) + b_trust * (trust - 0.5) + eta,   eta ~ N(0, 1)
    request = none if r <= rho_1;  consultations if rho_1 < r <= rho_2;  military if r > rho_2

S is the aggressor's strength, D0 the victim's committed forces: a victim asks for troops when
its own forces fall short of the threat, more readily when it trusts the alliance. The request
caps the collective response: no request or a request for consultations allows at most
consultations (rung 2), and the victim's own vote is VICTIM_PREF (nothing when it asked for
nothing: it may refuse involvement); only a request for military help opens troops, and only
it or a request for material help a mission (the 2010 Protocol to art. 4: assistance "at the
request of this participating State"; see data/alliances/csto.yaml).

A fourth level, material or military-technical help short of the allies' forces (arms,
equipment, funds, intelligence, training: docs/coding.md, rule Q2), caps the response at a
mission (rung 3: the council's "collective material or military-technical assistance" is rule
O3) and the victim supports every rung up to it. It is index 3, after military help, so that
the three levels the stage draws keep their indices (and every fitted figure its meaning): the
stage draws none, consultations or military help; a crisis or case that asks for material help
fixes it (`request: material`), and `run` shows the response if asked for it. No case in the
record asked for material help, so the stage has no band for it to fit.

Defaults (judgement; the hindcast conditions on the request each victim made, so these are not
fitted): a=0.5, b_threat=1, b_trust=2, rho=(-1, 0).
"""

from __future__ import annotations

import math

import numpy as np

from alliancesim._jit import njit

NONE, CONSULTATIONS, MILITARY, MATERIAL = 0, 1, 2, 3
# highest collective rung each request level allows (index: request level)
REQUEST_CAP = np.array([2, 2, 4, 3], dtype=np.int8)
# the victim's own vote in the council (index: request level): a victim that made no request
# refuses involvement and votes for nothing (rung 0); one that asked for consultations supports
# them; one that asked for military help supports every rung, one that asked for material help
# every rung up to a mission. (Before 0.3 a victim without a
# request voted for consultations, the cap: Belarus 2020, which kept the alliance out, then
# "supported" the consultations the model predicted.)
VICTIM_PREF = np.array([0, 2, 4, 3], dtype=np.int8)


def request_latent(
    intercept: np.ndarray, threat: np.ndarray, trust_weight: np.ndarray,
    strength: np.ndarray, defender: np.ndarray, trust: np.ndarray,
) -> np.ndarray:
    """Mean of the request latent r (without noise). All arrays (T,)."""
    ratio = np.log(np.maximum(strength, 1e-9) / np.maximum(defender, 1e-9))
    return intercept + threat * ratio + trust_weight * (trust - 0.5)


@njit(cache=True)
def trial_request(fixed: int, intercept: float, threat: float, trust_weight: float,
                  strength: float, defender: float, trust: float, eta: float, rho1: float,
                  rho2: float) -> int:
    """One trial's request level (0 none, 1 consultations, 2 military, 3 material): the
    crisis's fixed request (fixed >= 0), else r = request_latent + eta against the cut-points
    rho_1, rho_2 (the same operations in the same order as request_latent)."""
    if fixed >= 0:
        return fixed
    ratio = np.log(max(strength, 1e-9) / max(defender, 1e-9))
    r = intercept + threat * ratio + trust_weight * (trust - 0.5) + eta
    return (1 if r > rho1 else 0) + (1 if r > rho2 else 0)


def _phi(x: float) -> float:
    """The standard normal distribution function, Phi(x) = erfc(-x / sqrt 2) / 2 (Abramowitz &
    Stegun 7.1.2 and 26.2.29; what scipy.special.ndtr computes, without importing scipy)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def request_probabilities(latent: float, rho1: float, rho2: float) -> np.ndarray:
    """P(request = none, consultations, military) in closed form, for the latent's mean:
    (Phi(rho_1 - r), Phi(rho_2 - r) - Phi(rho_1 - r), 1 - Phi(rho_2 - r))."""
    a, b = _phi(rho1 - latent), _phi(rho2 - latent)
    return np.array([a, b - a, 1.0 - b])
