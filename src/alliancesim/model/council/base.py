"""The council interface: what any member model must provide to the engine, the closed form
and calibration.

A council model turns each member's features into a preferred rung per trial (the engine),
gives the probability of each collective rung under a decision rule in closed form (to check
the Monte Carlo and to forecast), and the likelihood terms of a historical case with their
gradient (calibration). The ordered probit (probit.py) is the first implementation; a new model
is one new module registered in council/__init__.py, selected by the scenario's
``parameters.council.model`` key, and must pass ``checks.check_council_model``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from alliancesim.model.council.rules import DecisionRule


@dataclass(frozen=True)
class Preferences:
    """What the council stage draws for each trial and member."""

    preferred: np.ndarray  # (T, M) int8: the member's preferred rung 0..4
    unilateral: np.ndarray  # (T, M) bool: support enough to act without the alliance


@dataclass(frozen=True)
class Estimate:
    """One fitted parameter: its scenario name under `parameters.council`, value, standard
    error and prior centre."""

    name: str
    value: float
    se: float
    prior: float


@dataclass(frozen=True)
class CaseDesign:
    """What the likelihood needs from one historical case."""

    case_id: str
    x: np.ndarray  # (M, K) council features of every member
    victim: int
    leader: int  # -1: no leader
    rule: DecisionRule
    cap: int  # the highest rung the request allowed
    observed: int  # the observed collective rung
    tied: np.ndarray | None = None  # (M,) bool: may act outside the alliance (fallback)
    outside: int = -1  # observed action outside the alliance: 1 yes, 0 no, -1 not coded
    request: int = -1  # the request made (index into none, consultations, military); -1 unknown
    alliance: str = ""  # the alliance's id (its own intercept in calibration)
    # (M,) the members' troops at their point values (the capabilities of the expected-utility
    # council, model/council/eum_council.capabilities); None: not known (the probit does not
    # use them)
    troops: np.ndarray | None = None

    def with_rule(self, name: str | None) -> CaseDesign:
        """The same case under another decision rule (consensus for everything, the leader's)."""
        if name is None or name == self.rule.name:
            return self
        return replace(self, rule=DecisionRule.of(name, self.x.shape[0], leader=self.leader,
                                                  threshold=2 / 3))

    def outside_applies(self) -> bool:
        """Whether the fallback could have acted: military help asked for, rung below it, and
        some member tied to the victim."""
        return (self.cap == 4 and self.observed < 4 and self.tied is not None
                and bool(self.tied.any()))


class CouncilModel(Protocol):
    """A member model of the council (see the module docstring)."""

    @property
    def name(self) -> str:
        """The name a scenario selects it by (parameters.council.model)."""
        ...

    @property
    def alliances(self) -> tuple[str, ...]:
        """The alliances with their own intercept, appended last in theta (for_alliances)."""
        ...

    def preferences(self, features: list[np.ndarray], values: Mapping[str, np.ndarray],
                    e: np.ndarray, z: np.ndarray, noise: str) -> Preferences:
        """Preferred rungs per trial. features: K arrays broadcastable to (T, M) in the order of
        COUNCIL_FEATURES; values: the drawn quantities (T,) by name; e (T, M) and z (T,):
        standard normal member and common noise."""
        ...

    def natural(self, theta: np.ndarray) -> dict[str, float]:
        """The scenario's council parameters (council.coefficients.X, council.cutpoints.k, ...)
        at a parameter vector theta of the model's own parametrisation."""
        ...

    def rung_tail(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                  victim: int, cap: int, noise: str = "independent",
                  victim_pref: int | None = None) -> np.ndarray:
        """P(L >= l), l = 1..4, in closed form, for features x (M, K) at fixed values; the
        victim supports the rungs up to victim_pref (default: cap; request.VICTIM_PREF)."""
        ...

    def rung_probabilities(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                           victim: int, cap: int, noise: str = "independent",
                           victim_pref: int | None = None) -> np.ndarray:
        """P(L = l), l = 0..4, in closed form."""
        ...

    @property
    def n_params(self) -> int:
        """Length of theta, the model's parameter vector for calibration."""
        ...

    def prior_theta(self) -> np.ndarray:
        """The prior centre (a stated judgement, never the current defaults)."""
        ...

    def fixed(self) -> np.ndarray:
        """(n_params,) bool: parameters calibration keeps at the prior centre."""
        ...

    def pinned(self, name: str, value: float) -> tuple[int, float]:
        """theta's index and value for the parameter `name` (its scenario name under
        `council.`) held at `value` (natural scale) instead of fitted."""
        ...

    def with_pins(self, pins: tuple[tuple[str, float], ...]) -> CouncilModel:
        """The same model with these parameters held at their values: fixed() marks them and
        prior_theta() holds their values, so calibration and sampling leave them there."""
        ...

    def for_alliances(self, alliances: tuple[str, ...]) -> CouncilModel:
        """The same model with a parameter of its own for each alliance (calibration gives it
        the alliances of the cases it fits)."""
        ...

    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Bounds on theta for the optimiser."""
        ...

    def case_loglik(self, theta: np.ndarray, d: CaseDesign) -> tuple[float, np.ndarray]:
        """log P(observation) of one case and its exact gradient in theta."""
        ...

    def probabilities(self, theta: np.ndarray, d: CaseDesign) -> np.ndarray:
        """P(L = l), l = 0..4, for one case under theta."""
        ...

    def outside_probability(self, theta: np.ndarray, d: CaseDesign) -> float | None:
        """P(a member acts outside the alliance | the observed rung), None where it cannot."""
        ...

    def estimates(self, theta: np.ndarray, cov: np.ndarray) -> list[Estimate]:
        """theta and its covariance as named scenario parameters with standard errors."""
        ...

    def parameters(self, theta: np.ndarray) -> dict[str, object]:
        """The scenario's `parameters.council` block for theta."""
        ...


class FromRungTails:
    """The probabilities of a case from a model's rung tails: a council model with
    `_rung_tails(theta, d, no_outside) -> G (6,)`, G[l] = P(L >= l) (G[0] = 1, G[5] = 0; with
    no_outside, the tails as if no member acted outside the alliance) gets the two methods of
    CouncilModel that follow from them (the ordered probit's closed forms, the
    expected-utility council's simulated ones)."""

    def _rung_tails(self, theta: np.ndarray, d: CaseDesign, no_outside: bool) -> np.ndarray:
        raise NotImplementedError

    def probabilities(self, theta: np.ndarray, d: CaseDesign) -> np.ndarray:
        """P(L = l), l = 0..4, for one case: successive differences of 1, the tails
        P(L >= l) for l = 1..4, and 0."""
        full = np.concatenate([[1.0], self._rung_tails(theta, d, no_outside=False)[1:5], [0.0]])
        return np.asarray(full[:-1] - full[1:])

    def outside_probability(self, theta: np.ndarray, d: CaseDesign) -> float | None:
        """P(a tied member acts outside the alliance | the observed rung), None where the
        fallback cannot act: 1 - P(L = l, no one outside) / P(L = l)."""
        if not d.outside_applies():
            return None
        l = d.observed
        G0 = self._rung_tails(theta, d, no_outside=True)
        G = self._rung_tails(theta, d, no_outside=False)
        p_rung = G[l] - G[l + 1]
        return float(1.0 - (G0[l] - G0[l + 1]) / p_rung) if p_rung > 0 else None
