"""The expected-utility council as a `CouncilModel`: its likelihood by simulation with common
random numbers and a smoothed rung, so that calibration, the hindcast and the written parameter
block take it as they take the ordered probit (issue 25, items 3 and 5; docs/eum.md,
"Calibration").

The model (eum_council.py, the engine's `trial_council`): member i's latent support
s_i = b_0 + b_a + x_i . beta + eps_i, its position 100 Phi(s_i) on the response scale, its
salience and capability (the share of the members' troops) by the written rule; the members
bargain (eum.py, the rounds of `trial_bargain` under `settings`); member i's final position
x_i' is read back on the latent scale, s_i' = Phi^-1(x_i' / 100), and cut at the cut-points
tau (rung l or more when s_i' > tau_l; acting without the alliance when s_i' > tau_4 + delta).
Without bargaining (0 rounds) s_i' = s_i: the probit's member model.

The parameters are the probit's, in its parametrisation (probit.py: theta = (beta, tau_1, the
log-gaps of tau, delta, logit(omega), logit(rho / RHO_MAX), the alliances' intercepts)); this
class holds an `OrderedProbit` for them and delegates every parameter method to it (the prior
centre, the pins, the bounds, the names, the scenario block), so a fit of either model writes
the same parameter names.

The likelihood (no closed form exists: the rounds are a discrete dynamic):

- common random numbers: each case has its own fixed draws, `trials` rows of standard normal
  member noise e (trials, M) and common shock z (trials,), from a generator seeded by the
  case id and `seed` (case_seed), drawn in the order `eum_council.simulated_probabilities`
  draws them. eps = sqrt(rho) z + sqrt(1 - rho) e. The objective is then a deterministic
  function of theta: the same theta gives the same value, in any process;
- a smoothed rung: given trial t's final supports s', member i supports rung l or more with
  weight p_i(l) = sigma((s_i' - tau_l) / h) (sigma the logistic function, h = `bandwidth` on
  the latent scale, where the member noise has sd 1), and acts alone with weight
  q_i = sigma((s_i' - tau_4 - delta) / h). The decision rule's probability form
  (rules.DecisionRule.reach_weight, members independent given the trial, as the probit's are
  given the common shock) gives P(L >= l | trial), averaged over the trials; the victim votes
  the rungs its request asks for (request.VICTIM_PREF), the leader decides with weight omega,
  and the outside action enters as in the probit (y_j = p_j(l) - q_j for a tied member,
  G(0) = mean over trials of prod_tied (1 - q_j)). As h -> 0 the weights become the
  indicators of the engine's rungs and P(L = l) the share of the trials whose rule reaches l,
  `simulated_probabilities` on the same draws (tested);
- the gradient: by forward finite differences of this deterministic objective, step `step`
  on theta's scale, in the directions the case depends on (the free coefficients, its own
  alliance's intercept, the cut-points, delta, omega, rho; a fixed parameter, or another
  alliance's intercept, has derivative 0). Not an analytic gradient through the smoothing: the
  final positions depend on the starting ones through every round's offers (compromise
  fractions are ratios of expected utilities), and holding the rounds' choices fixed would give
  the optimiser a gradient that is not the objective's. The step is wider than a rounding
  step on purpose: the objective is smooth between the jumps that a trial's offer changing
  makes (each at most 1 / trials in a probability), and a step of 0.01 averages over them.
  The bargaining depends on theta only through the starting positions (beta, the intercept,
  rho): the cut-point, delta and omega directions reuse the rounds (a cache keyed by the
  case and its starting supports).

Calibration (experiments/calibration.fit) then maximises the same penalised likelihood as for
the probit, started from the probit's fit on the same cases (which the EUM's equals at 0
rounds) and stopped after `max_iterations` L-BFGS-B iterations or `max_evaluations` of the
objective (a line search on an objective with small jumps can otherwise spend many; the fits
must run in seconds: docs/eum.md states the costs and what the cap gives up).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from alliancesim.model.council.base import CaseDesign, Estimate, FromRungTails, Preferences
from alliancesim.model.council.eum import EUMSettings, bargain_compiled
from alliancesim.model.council.eum_council import (
    SCALE,
    capabilities,
    rungs,
    saliences,
    simulated_probabilities,
)
from alliancesim.model.council.features import COUNCIL_FEATURES
from alliancesim.model.council.probit import (
    N_PARAMS,
    PROB_FLOOR,
    OrderedProbit,
    cutpoints,
    leader_weight,
    margin,
    shock_correlation,
)
from alliancesim.model.council.rules import DecisionRule
from alliancesim.model.request import VICTIM_PREF

K = len(COUNCIL_FEATURES)
FORECAST = "model (EUM)"  # its forecast's name in a hindcast report, beside the probit's "model"
TRIALS = 32  # draws per case in the likelihood (hindcast --council-trials)
BANDWIDTH = 0.2  # h: the smoothed rung's logistic scale, latent units (member noise sd 1)
STEP = 0.01  # the finite-difference step of the gradient, theta's scale
MAX_ITERATIONS = 8  # L-BFGS-B iterations of a fit, started at the probit's fit
MAX_EVALUATIONS = 20  # and the objective's evaluations (its line searches included)
SEED = 2025  # with the case id, the seed of a case's common random numbers
CACHE = 4096  # bargaining outcomes kept (case, starting supports) -> final supports
MAX_TRIALS = 100_000  # the bound on trials (memory: trials x members x 8 bytes per case)
POSITION_FLOOR = 1e-12  # x' / 100 kept in [floor, 1 - floor] before Phi^-1


def case_seed(case_id: str, seed: int = SEED) -> int:
    """The seed of a case's common random numbers: SHA-256 of `seed` and the case id (the same
    in every process and Python version, unlike hash())."""
    digest = hashlib.sha256(f"{seed}:{case_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


def case_draws(d: CaseDesign, trials: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """The case's fixed draws: member noise e (trials, M) and common shock z (trials,), drawn as
    `simulated_probabilities` draws them from the same seed."""
    rng = np.random.default_rng(case_seed(d.case_id, seed))
    e = rng.standard_normal((trials, d.x.shape[0]))
    z = rng.standard_normal(trials)
    return e, z


def _sigma(u: np.ndarray) -> np.ndarray:
    """The logistic function, 1 / (1 + exp(-u)), overflow-free."""
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * u)))


def _inverse_phi(p: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return np.asarray(ndtri(np.clip(p, POSITION_FLOOR, 1.0 - POSITION_FLOOR)))


@dataclass(frozen=True)
class EUMCouncil(FromRungTails):
    """The expected-utility council's likelihood by simulation (the module docstring).

    probit: the parametrisation (and its alliances and pins); settings: the bargaining's
    rounds and readings (the span is the response scale's, 100); trials, bandwidth, step, seed:
    the simulated likelihood's settings; max_iterations, max_evaluations: the caps of a fit's
    L-BFGS-B (calibration.fit reads them)."""

    name: str = "expected_utility"
    probit: OrderedProbit = field(default_factory=OrderedProbit)
    settings: EUMSettings = field(default_factory=lambda: EUMSettings(span=SCALE))
    trials: int = TRIALS
    bandwidth: float = BANDWIDTH
    step: float = STEP
    seed: int = SEED
    max_iterations: int = MAX_ITERATIONS
    max_evaluations: int = MAX_EVALUATIONS
    _cache: dict[tuple[Any, ...], np.ndarray] = field(default_factory=dict, compare=False,
                                                       repr=False, hash=False)

    def __post_init__(self) -> None:
        if isinstance(self.trials, bool) or not isinstance(self.trials, int | np.integer) \
                or not 1 <= self.trials <= MAX_TRIALS:
            raise ValueError(f"trials must be a whole number from 1 to {MAX_TRIALS:,} "
                             f"(got {self.trials!r})")
        if not (np.isfinite(self.bandwidth) and self.bandwidth > 0):
            raise ValueError(f"bandwidth must be a positive number (got {self.bandwidth!r})")
        if not (np.isfinite(self.step) and self.step > 0):
            raise ValueError(f"step must be a positive number (got {self.step!r})")
        if self.settings.span is None:
            object.__setattr__(self, "settings", replace(self.settings, span=SCALE))

    # ------------------------------------------------------------------ the parametrisation
    @property
    def alliances(self) -> tuple[str, ...]:
        return self.probit.alliances

    @property
    def n_params(self) -> int:
        return self.probit.n_params

    def for_alliances(self, alliances: tuple[str, ...]) -> EUMCouncil:
        return replace(self, probit=self.probit.for_alliances(alliances), _cache={})

    def with_pins(self, pins: tuple[tuple[str, float], ...]) -> EUMCouncil:
        return replace(self, probit=self.probit.with_pins(pins), _cache={})

    def natural(self, theta: np.ndarray) -> dict[str, float]:
        return self.probit.natural(theta)

    def prior_theta(self) -> np.ndarray:
        return self.probit.prior_theta()

    def fixed(self) -> np.ndarray:
        return self.probit.fixed()

    def pinned(self, name: str, value: float) -> tuple[int, float]:
        return self.probit.pinned(name, value)

    def bounds(self) -> list[tuple[float | None, float | None]]:
        return self.probit.bounds()

    def estimates(self, theta: np.ndarray, cov: np.ndarray) -> list[Estimate]:
        return self.probit.estimates(theta, cov)

    def parameters(self, theta: np.ndarray) -> dict[str, object]:
        """The scenario's `parameters.council` block for theta: the probit's names, with
        `model: expected_utility` and the bargaining's rounds and readings."""
        s = self.settings
        return {**self.probit.parameters(theta), "model": self.name,
                "bargaining": {"rounds": s.rounds, "q": float(s.q),
                               "t": None if s.t is None else float(s.t),
                               "denominator": s.denominator, "no_challenge": s.no_challenge,
                               "offers": s.offers, "conflict": s.conflict,
                               "perspective": s.perspective, "votes": s.votes}}

    # ------------------------------------------------------------------ simulation
    def final_supports(self, theta: np.ndarray, d: CaseDesign) -> np.ndarray:
        """s' (trials, M): each member's latent support after the rounds, on the case's fixed
        draws (cached by the case and its starting supports)."""
        if d.troops is None:
            raise ValueError(f"{d.case_id}: the expected-utility council needs the members' "
                             "troops (CaseDesign.troops; cases.design sets them)")
        a_idx = self._alliance_index(d)
        mu = d.x @ theta[:K] + (theta[a_idx] if a_idx >= 0 else 0.0)
        rho = shock_correlation(theta)
        key = (d.case_id, d.x.shape, mu.tobytes(), rho, d.troops.tobytes(), self.trials,
               self.seed, self.settings)
        out = self._cache.get(key)
        if out is not None:
            return out
        e, z = case_draws(d, self.trials, self.seed)
        eps = np.sqrt(rho) * z[:, None] + np.sqrt(1.0 - rho) * e
        start = SCALE * _phi(mu[None, :] + eps)  # positions 100 Phi(mu + eps)
        final, _ = bargain_compiled(np.broadcast_to(capabilities(d.x, d.troops), start.shape),
                                    start, np.broadcast_to(saliences(d.x), start.shape),
                                    self.settings)
        out = _inverse_phi(final / SCALE)
        if len(self._cache) >= CACHE:
            del self._cache[next(iter(self._cache))]
        self._cache[key] = out
        return out

    def _alliance_index(self, d: CaseDesign) -> int:
        if d.alliance in self.alliances:
            return N_PARAMS + self.alliances.index(d.alliance)
        return -1

    def _tails(self, theta: np.ndarray, d: CaseDesign, rule: DecisionRule, no_outside: bool
               ) -> np.ndarray:
        """G(l), l = 0..5, the smoothed P(L >= l) (no_outside: and no tied member acting
        alone), averaged over the case's trials."""
        s = self.final_supports(theta, d)
        M = s.shape[1]
        tau = cutpoints(theta)
        h = self.bandwidth
        voter = np.arange(M) != d.victim
        tied = (d.tied if no_outside and d.tied is not None else np.zeros(M, dtype=bool)
                ).astype(float)
        q = _sigma((s - tau[3] - margin(theta)) / h)
        G = np.zeros(6)
        G[0] = float(np.prod(1.0 - tied * q, axis=1).mean())
        vpref = d.cap if d.request < 0 else int(VICTIM_PREF[d.request])
        for level in range(1, min(d.cap, 4) + 1):
            p = _sigma((s - tau[level - 1]) / h)
            own = 1.0 if level <= vpref else 0.0
            y = np.where(voter, p - tied * q, own)
            n = np.where(voter, 1.0 - p, 1.0 - own)
            G[level] = float(rule.reach_probability(y, n, level).mean())
        return G

    def _rung_tails(self, theta: np.ndarray, d: CaseDesign, no_outside: bool) -> np.ndarray:
        G = self._tails(theta, d, d.rule, no_outside)
        if d.rule.has_leader_weight:
            omega = leader_weight(theta)
            G = omega * self._tails(theta, d, d.rule.leader_decides(), no_outside) + (
                1.0 - omega) * G
        return G

    def observation_probability(self, theta: np.ndarray, d: CaseDesign) -> float:
        """P(observation): the rung and, where recorded and the fallback could act, whether a
        tied member acted outside the alliance (as the probit's likelihood takes it)."""
        l = d.observed
        if d.outside >= 0 and d.outside_applies():
            G0 = self._rung_tails(theta, d, no_outside=True)
            prob = G0[l] - G0[l + 1]
            if d.outside == 1:
                G = self._rung_tails(theta, d, no_outside=False)
                prob = G[l] - G[l + 1] - prob
        else:
            G = self._rung_tails(theta, d, no_outside=False)
            prob = G[l] - G[l + 1]
        return float(prob)

    def _log(self, theta: np.ndarray, d: CaseDesign) -> float:
        return float(np.log(max(self.observation_probability(theta, d), PROB_FLOOR)))

    def directions(self, d: CaseDesign) -> np.ndarray:
        """theta's indices the case's likelihood depends on and calibration moves: the free
        ones among the coefficients, the cut-points, delta, omega, rho and the case's own
        alliance intercept."""
        free = ~self.fixed()
        own = np.zeros(self.n_params, dtype=bool)
        own[:N_PARAMS] = True
        a_idx = self._alliance_index(d)
        if a_idx >= 0:
            own[a_idx] = True
        return np.flatnonzero(free & own)

    def case_loglik(self, theta: np.ndarray, d: CaseDesign) -> tuple[float, np.ndarray]:
        """log P(observation) by the smoothed simulation, and its gradient by forward finite
        differences (step `step`) in the directions the case depends on (the module
        docstring)."""
        theta = np.asarray(theta, dtype=float)
        base = self._log(theta, d)
        grad = np.zeros(self.n_params)
        for j in self.directions(d):
            moved = theta.copy()
            moved[j] += self.step
            grad[j] = (self._log(moved, d) - base) / self.step
        return base, grad

    # ------------------------------------------------------------------ forward simulation
    def preferences(self, features: list[np.ndarray], values: Mapping[str, np.ndarray],
                    e: np.ndarray, z: np.ndarray, noise: str,
                    troops: np.ndarray | None = None) -> Preferences:
        """Preferred rungs per trial after the rounds (the engine's rule, in numpy): features
        K arrays broadcastable to (T, M); values the drawn quantities (T,) by name; troops
        (M,) or (T, M), the members' troops (required: the capabilities)."""
        if troops is None:
            raise ValueError("the expected-utility council needs the members' troops "
                             "(troops=, the capabilities)")
        T, M = e.shape
        f = np.stack([np.broadcast_to(x if x.ndim == 2 else x[None, :], (T, M))
                      for x in features], axis=2)
        beta = np.stack([np.broadcast_to(values[f"council.coefficients.{n}"], (T,))
                         for n in COUNCIL_FEATURES], axis=1)
        intercept = np.broadcast_to(values["council.intercept"]
                                    + values.get("council.alliance_intercept", 0.0), (T,))
        rho = np.broadcast_to(values["council.shock_correlation"], (T,))
        eps = (np.sqrt(rho)[:, None] * z[:, None] + np.sqrt(1.0 - rho)[:, None] * e
               if noise == "common_shock" else e)
        support = intercept[:, None] + np.einsum("tmk,tk->tm", f, beta) + eps
        start = SCALE * _phi(support)
        final, _ = bargain_compiled(np.broadcast_to(capabilities(f, troops), (T, M)).copy(),
                                    start, np.broadcast_to(saliences(f), (T, M)).copy(),
                                    self.settings)
        tau = np.stack([np.broadcast_to(values[f"council.cutpoints.{k}"], (T,))
                        for k in range(1, 5)], axis=1)
        cuts = SCALE * _phi(np.sort(tau, axis=1))
        preferred = (final[:, :, None] > cuts[:, None, :]).sum(axis=2).astype(np.int8)
        top = SCALE * _phi(tau.max(axis=1) + np.broadcast_to(
            values["council.unilateral_margin"], (T,)))
        return Preferences(preferred, np.asarray(final > top[:, None]))

    def rung_tail(self, x: np.ndarray, values: Mapping[str, float], rule: DecisionRule,
                  victim: int, cap: int, noise: str = "independent",
                  victim_pref: int | None = None, troops: np.ndarray | None = None
                  ) -> np.ndarray:
        """P(L >= l), l = 1..4, by simulation (simulated_probabilities, `trials` x 125 games
        from `seed`): the EUM council has no closed form."""
        p = self.rung_probabilities(x, values, rule, victim, cap, noise, victim_pref, troops)
        return np.asarray(np.cumsum(p[::-1])[::-1][1:])

    def rung_probabilities(self, x: np.ndarray, values: Mapping[str, float],
                           rule: DecisionRule, victim: int, cap: int,
                           noise: str = "independent", victim_pref: int | None = None,
                           troops: np.ndarray | None = None) -> np.ndarray:
        """P(L = l), l = 0..4, by simulation (eum_council.simulated_probabilities with this
        model's settings); troops (M,) required."""
        if troops is None:
            raise ValueError("the expected-utility council has no closed form: its rung "
                             "probabilities are simulated and need the members' troops "
                             "(troops=)")
        return simulated_probabilities(x, troops, values, rule, victim, cap, noise,
                                       victim_pref, self.settings,
                                       trials=min(self.trials * 125, MAX_TRIALS),
                                       seed=self.seed)

    def limit_probabilities(self, theta: np.ndarray, d: CaseDesign) -> np.ndarray:
        """P(L = l) on the case's fixed draws without smoothing: the share of trials whose rule
        reaches each rung, the leader deciding with weight omega (what the smoothed
        probabilities approach as the bandwidth shrinks)."""
        s = self.final_supports(theta, d)
        pref = rungs(SCALE * _phi(s), cutpoints(theta))
        vpref = d.cap if d.request < 0 else int(VICTIM_PREF[d.request])
        pref[:, d.victim] = vpref
        caps = np.full(s.shape[0], d.cap, dtype=np.int8)
        out = np.zeros(5)
        weights = [(1.0, d.rule)]
        if d.rule.has_leader_weight:
            omega = leader_weight(theta)
            weights = [(1.0 - omega, d.rule), (omega, d.rule.leader_decides())]
        for w, rule in weights:
            rung = rule.decide_weighted(pref, caps, d.victim, np.ones(s.shape[0]),
                                        np.zeros(s.shape[0]))[0]
            out += w * np.bincount(rung, minlength=5) / s.shape[0]
        return out


def _phi(z: np.ndarray) -> np.ndarray:
    from scipy.special import ndtr

    return np.asarray(ndtr(z))


__all__ = ["BANDWIDTH", "FORECAST", "MAX_EVALUATIONS", "MAX_ITERATIONS", "STEP", "TRIALS",
           "EUMCouncil", "case_draws", "case_seed"]
