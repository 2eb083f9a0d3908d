"""The exact posterior of the council's and the request stage's parameters, by MCMC (emcee).

Calibration (experiments/calibration.py, experiments/request_fit.py) finds the posterior's
mode (MAP); this module draws from the posterior itself, for the 90% bands of `run`:

    log p(theta | cases) = sum_cases log P(observation | theta)
                           - sum_j (theta_j - c_j)^2 / (2 s_j^2)  + const

with the same likelihood (CouncilModel.case_loglik, evaluated for many theta at once by
OrderedProbit.case_loglik_many) and the same Gaussian prior (calibration.prior_of) as the MAP.
The request stage's likewise (request_fit: its likelihood and its Gaussian prior, sd prior_sd
around request_fit.PRIOR).

The sampler is emcee's ensemble (Foreman-Mackey et al. 2013) with differential-evolution moves
(ter Braak 2006; 80%) and their snooker variant (ter Braak & Vrugt 2008; 20%): on this
posterior their integrated autocorrelation time is about 50 steps against about 200 for the
default stretch move (Goodman & Weare 2010), which left R-hat near 1.1 at the same cost. It
runs on an unconstrained scale with the Jacobian of the transformation in the density:

- council: the parameters calibration keeps fixed (CouncilModel.fixed) are not sampled; a
  parameter the optimiser bounds below (the unilateral margin delta >= 0, prior N(0, s)
  truncated at 0: a half-normal) is sampled as u = log(delta - low), adding u to the log
  density; the cut-points are already tau_1 and the log-gaps, the leader's weight and the
  shock's correlation already logits (their priors are stated on that scale).
- request: (threat, rho_1, log(rho_2 - rho_1)), adding log(rho_2 - rho_1).

Walkers start in a small ball around the MAP (0.1 of the Laplace standard errors, on the
sampling scale), run `burn` steps that are thrown away, then `thin * keep` steps of which every
`thin`-th is kept: walkers x keep draws (the defaults, Settings: 32 walkers, 1,000 + 80 x 60
steps, 1,920 draws, about 46 s; thin 80 exceeds the autocorrelation time, so the kept draws
are nearly independent: R-hat below 1.01 and ESS near the number of draws). Seeded (numpy's
generator for the start, emcee's own random state from the same seed): the draws are
deterministic. Diagnostics, on the kept draws
of each reported parameter with each walker as a chain (as arviz.from_emcee does): the
rank-normalised split R-hat, bulk and tail effective sample sizes (Vehtari et al. 2021,
arviz-stats), and the mean acceptance fraction.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import log_ndtr, ndtr

from alliancesim.experiments import calibration, request_fit
from alliancesim.model.council import CaseDesign, CouncilModel


@dataclass(frozen=True)
class Settings:
    """The sampler's settings (recorded with the draws)."""

    walkers: int = 32
    burn: int = 1000  # steps thrown away
    thin: int = 80  # keep every thin-th step after the burn-in
    keep: int = 60  # kept steps per walker: walkers x keep draws
    seed: int = 2022
    moves: str = "de"  # "de": differential evolution (80%) and its snooker (20%); "stretch"

    @property
    def steps(self) -> int:
        return self.burn + self.thin * self.keep

    def as_dict(self) -> dict[str, object]:
        moves = {"de": "differential evolution 0.8, snooker 0.2", "stretch": "stretch"}
        return {"sampler": "emcee", "moves": moves[self.moves], "walkers": self.walkers,
                "burn_in": self.burn, "thin": self.thin, "steps": self.steps,
                "draws": self.walkers * self.keep, "seed": self.seed}


REQUEST_SETTINGS = Settings(walkers=16, burn=500, thin=20, keep=120, seed=2022)


@dataclass(frozen=True)
class Chain:
    """Kept draws of one sampler run: theta in the model's own parametrisation."""

    theta: np.ndarray  # (walkers, keep, P)
    acceptance: float  # mean acceptance fraction over walkers
    seconds: float
    settings: Settings

    @property
    def draws(self) -> np.ndarray:
        """(walkers * keep, P), walker by walker."""
        w, k, p = self.theta.shape
        return self.theta.reshape(w * k, p)


@dataclass(frozen=True)
class Diagnostic:
    name: str
    mean: float
    sd: float
    q05: float
    q95: float
    rhat: float
    ess_bulk: float
    ess_tail: float


def diagnostics(names: list[str], values: np.ndarray) -> list[Diagnostic]:
    """Per named quantity, values (walkers, keep, Q): mean, sd, 5-95% quantiles, the
    rank-normalised split R-hat and the bulk and tail ESS (arviz-stats), walkers as chains."""
    import importlib

    array_stats: Any = importlib.import_module("arviz_stats.base").array_stats
    x = np.moveaxis(np.asarray(values, dtype=float), -1, 0)  # (Q, chains, draws)
    flat = x.reshape(x.shape[0], -1)
    const = np.ptp(flat, axis=1) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rhat = np.asarray(array_stats.rhat(x, chain_axis=-2, draw_axis=-1, method="rank"))
        bulk = np.asarray(array_stats.ess(x, chain_axis=-2, draw_axis=-1, method="bulk"))
        tail = np.asarray(array_stats.ess(x, chain_axis=-2, draw_axis=-1, method="tail",
                                          prob=0.05))
    out = []
    for j, name in enumerate(names):
        q05, q95 = np.quantile(flat[j], [0.05, 0.95])
        out.append(Diagnostic(name, float(flat[j].mean()), float(flat[j].std(ddof=1)),
                              float(q05), float(q95),
                              float("nan") if const[j] else float(rhat[j]),
                              float("nan") if const[j] else float(bulk[j]),
                              float("nan") if const[j] else float(tail[j])))
    return out


def natural_values(model: CouncilModel, theta: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The scenario's council parameters (CouncilModel.natural) at each draw theta
    (walkers, keep, P): names and values (walkers, keep, Q)."""
    w, k, _ = theta.shape
    rows = [model.natural(t) for t in theta.reshape(w * k, -1)]
    names = list(rows[0])
    return names, np.array([[r[n] for n in names] for r in rows]).reshape(w, k, len(names))


PROGRESS_EVERY = 50  # steps between progress calls of run_emcee


def run_emcee(log_prob: Callable[[np.ndarray], np.ndarray], start: np.ndarray,
              scale: np.ndarray, settings: Settings,
              progress: Callable[[int, int], None] | None = None
              ) -> tuple[np.ndarray, float, float]:
    """emcee from a ball around `start` (sd `scale`) on the sampling scale: the kept positions
    (walkers, keep, D), the mean acceptance fraction and the wall time in seconds.
    progress(k, steps) every PROGRESS_EVERY steps and at the end (the same draws: emcee's
    run_mcmc is this loop over sample)."""
    import emcee

    rng = np.random.default_rng(settings.seed)
    D = start.size
    p0 = start + scale * rng.standard_normal((settings.walkers, D))
    moves = {"stretch": None,
             "de": [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]}[
                 settings.moves]
    sampler = emcee.EnsembleSampler(settings.walkers, D, log_prob, vectorize=True,
                                    moves=moves)
    sampler.random_state = np.random.RandomState(settings.seed).get_state()
    t0 = time.perf_counter()
    for k, _ in enumerate(sampler.sample(p0, iterations=settings.steps), 1):
        if progress and (k % PROGRESS_EVERY == 0 or k == settings.steps):
            progress(k, settings.steps)
    seconds = time.perf_counter() - t0
    chain = sampler.get_chain(discard=settings.burn, thin=settings.thin)  # (keep, walkers, D)
    return (np.ascontiguousarray(np.swapaxes(chain, 0, 1)),
            float(np.mean(sampler.acceptance_fraction)), seconds)


# --------------------------------------------------------------------------- the council
@dataclass(frozen=True)
class CouncilPosterior:
    """The council's log posterior on the sampling scale (see the module docstring)."""

    model: CouncilModel
    designs: tuple[CaseDesign, ...]
    centre: np.ndarray  # prior centre (P,)
    sd: np.ndarray  # prior sd (P,)
    anchor: np.ndarray  # values of the fixed parameters (P,): the prior centre
    free: np.ndarray  # indices of the sampled parameters
    low: np.ndarray  # (D,) lower bound of each sampled parameter (-inf: none)

    @classmethod
    def of(cls, designs: list[CaseDesign], prior_sd: float = 1.0, prior: str = "large-n",
           model: CouncilModel = calibration.DEFAULT_MODEL) -> CouncilPosterior:
        """The posterior calibration.fit's MAP is the mode of (same model, prior, cases)."""
        model = model.for_alliances(tuple(sorted({d.alliance for d in designs if d.alliance})))
        centre, sd = calibration.prior_of(prior, prior_sd, model)
        fixed = model.fixed()
        free = np.flatnonzero(~fixed)
        bounds = [model.bounds()[j] for j in free]
        low = np.array([-np.inf if lo is None else float(lo) for lo, _ in bounds])
        upper = [hi for _, hi in bounds]
        if any(u is not None for u in upper):
            raise ValueError("the sampler has no transformation for an upper bound")
        return cls(model, tuple(designs), centre, sd, np.where(fixed, centre, 0.0), free, low)

    @property
    def dim(self) -> int:
        return int(self.free.size)

    def to_theta(self, u: np.ndarray) -> np.ndarray:
        """theta (W, P) from sampling-scale rows u (W, D)."""
        u = np.atleast_2d(u)
        theta = np.tile(self.anchor, (u.shape[0], 1))
        bounded = np.isfinite(self.low)
        x = u.copy()
        x[:, bounded] = self.low[bounded] + np.exp(u[:, bounded])
        theta[:, self.free] = x
        return theta

    def to_sampling(self, theta: np.ndarray) -> np.ndarray:
        """u (D,) from theta (P,) (a bounded parameter at its bound is moved just inside)."""
        x = np.asarray(theta, dtype=float)[self.free].copy()
        bounded = np.isfinite(self.low)
        x[bounded] = np.log(np.maximum(x[bounded] - self.low[bounded], 1e-6))
        return x

    def log_likelihood(self, theta: np.ndarray) -> np.ndarray:
        """sum over cases of log P(observation), for each row of theta (W, P)."""
        many = getattr(self.model, "case_loglik_many", None)
        total = np.zeros(theta.shape[0])
        for d in self.designs:
            if many is not None:
                total += many(theta, d)
            else:  # a model without the vectorised form: one theta at a time
                total += np.array([self.model.case_loglik(t, d)[0] for t in theta])
        return total

    def log_prior(self, theta: np.ndarray) -> np.ndarray:
        z = (theta - self.centre) / self.sd
        return np.asarray(-0.5 * (z * z).sum(axis=1))

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """log posterior density of u (W, D) on the sampling scale (with the Jacobian)."""
        u = np.atleast_2d(u)
        theta = self.to_theta(u)
        jac = u[:, np.isfinite(self.low)].sum(axis=1)
        out = self.log_likelihood(theta) + self.log_prior(theta) + jac
        return np.where(np.isfinite(out), out, -np.inf)

    def sample(self, mode: np.ndarray, cov: np.ndarray, settings: Settings = Settings(),
               progress: Callable[[int, int], None] | None = None) -> Chain:
        """emcee from a ball around the MAP `mode` (0.1 of its Laplace sd, cov); progress as
        run_emcee's."""
        start = self.to_sampling(mode)
        se = np.sqrt(np.clip(np.diag(np.asarray(cov, dtype=float))[self.free], 1e-8, None))
        bounded = np.isfinite(self.low)
        x = np.asarray(mode, dtype=float)[self.free]
        se[bounded] = np.minimum(se[bounded] / np.maximum(x[bounded] - self.low[bounded], 1e-3),
                                 1.0)  # the delta method on the log scale
        se = np.where(np.isfinite(se), se, 1.0)
        u, acc, seconds = run_emcee(self, start, 0.1 * se, settings, progress)
        w, k, D = u.shape
        theta = self.to_theta(u.reshape(w * k, D)).reshape(w, k, -1)
        return Chain(theta, acc, seconds, settings)


# --------------------------------------------------------------------------- the request stage
@dataclass(frozen=True)
class RequestPosterior:
    """The request stage's log posterior on (threat, rho_1, log(rho_2 - rho_1))."""

    ratio: np.ndarray  # (N,) log(S / D0)
    trust: np.ndarray  # (N,)
    observed: np.ndarray  # (N,) 0 none, 1 consultations, 2 military
    prior_sd: float = request_fit.PRIOR_SD

    @classmethod
    def of(cls, data: list[request_fit.RequestCase], prior_sd: float = request_fit.PRIOR_SD
           ) -> RequestPosterior:
        return cls(np.array([r.ratio for r in data]), np.array([r.trust for r in data]),
                   np.array([r.observed for r in data], dtype=int), prior_sd)

    @staticmethod
    def to_theta(u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        return np.column_stack([u[:, 0], u[:, 1], u[:, 1] + np.exp(u[:, 2])])

    @staticmethod
    def to_sampling(theta: np.ndarray) -> np.ndarray:
        t = np.asarray(theta, dtype=float)
        return np.array([t[0], t[1], np.log(max(t[2] - t[1], 1e-6))])

    def log_likelihood(self, theta: np.ndarray) -> np.ndarray:
        """request_fit's log-likelihood for each row of theta (W, 3) with rho_1 < rho_2."""
        r = theta[:, :1] * self.ratio + request_fit.TRUST_WEIGHT * (self.trust - 0.5)  # (W, N)
        lo, hi = theta[:, 1:2], theta[:, 2:3]
        none = log_ndtr(lo - r)
        military = log_ndtr(r - hi)
        middle = np.log(np.maximum(ndtr(hi - r) - ndtr(lo - r), request_fit.FLOOR))
        ll = np.where(self.observed == 0, none, np.where(self.observed == 2, military, middle))
        return np.asarray(ll.sum(axis=1))

    def log_prior(self, theta: np.ndarray) -> np.ndarray:
        z = (theta - request_fit.PRIOR) / self.prior_sd
        return np.asarray(-0.5 * (z * z).sum(axis=1))

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(u)
        theta = self.to_theta(u)
        out = self.log_likelihood(theta) + self.log_prior(theta) + u[:, 2]
        return np.where(np.isfinite(out), out, -np.inf)

    def sample(self, mode: np.ndarray, cov: np.ndarray,
               settings: Settings = REQUEST_SETTINGS) -> Chain:
        start = self.to_sampling(mode)
        c = np.asarray(cov, dtype=float)
        gap = max(float(mode[2] - mode[1]), 1e-3)
        se = np.sqrt(np.clip([c[0, 0], c[1, 1], c[1, 1] + c[2, 2] - 2 * c[1, 2]], 1e-8, None))
        se[2] = min(se[2] / gap, 1.0)
        u, acc, seconds = run_emcee(self, start, 0.1 * se, settings)
        w, k, _ = u.shape
        return Chain(self.to_theta(u.reshape(w * k, 3)).reshape(w, k, 3), acc, seconds,
                     settings)
