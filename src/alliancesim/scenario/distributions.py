"""Uncertain quantities: a fixed number or a named distribution.

A scenario may give any quantity as a plain number (fixed) or as a mapping::

    {dist: uniform, low: 2000, high: 10000}
    {dist: normal, mean: 0.5, sd: 0.1}
    {dist: lognormal, median: 3000, sigma: 0.5}      # log X ~ N(log median, sigma^2)
    {dist: triangular, low: 0, mode: 1, high: 3}
    {dist: beta, a: 2, b: 5, low: 0, high: 1}        # low + (high - low) * Beta(a, b)
    {dist: fixed, value: 3}

Draws of unbounded distributions are clipped to the field's valid range (for example a normal
troop count is clipped at 0); a distribution whose whole support lies outside that range is
rejected when the scenario is loaded.

Each distribution is also a scipy.stats distribution (`scipy()`: the distribution and its
parameters; `frozen()`: the frozen distribution), which gives its quantiles (`ppf`,
`interval`) and moments (`std`, and anything else scipy offers):

    uniform     scipy.stats.uniform(loc=low, scale=high - low)
    normal      scipy.stats.norm(loc=mean, scale=sd)
    lognormal   scipy.stats.lognorm(s=sigma, scale=median)
    triangular  scipy.stats.triang(c=(mode - low) / (high - low), loc=low, scale=high - low)
    beta        scipy.stats.beta(a, b, loc=low, scale=high - low)

(tests/test_issue22_numerics.py checks each against the engine's numpy draws and the closed
forms.) The engine's side stays numpy: draws are numpy's (`sample`, keyed streams), and the
mean (`mean`, the central value `point` gives to fixed runs) is the closed form, since every
run takes it and importing scipy.stats would add 0.3 s of CPU to each; it equals
scipy's mean (where scipy's lognormal mean overflows, above sigma about 26.6, the closed form
stays finite up to about 37.6). scipy.stats is imported only when a quantile or moment is asked
for (sensitivity, discover, reports), never at start-up.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, model_validator

from alliancesim.scenario.strict import StrictModel

MAX_PARAMETER = 1e12  # |every distribution parameter|: widths and draws stay finite


class _Dist(StrictModel):
    @model_validator(mode="after")
    def _finite(self) -> _Dist:
        for name in type(self).model_fields:
            v = getattr(self, name)
            if isinstance(v, float | int) and not isinstance(v, bool) and abs(v) > MAX_PARAMETER:
                raise ValueError(f"{name} = {v:g} is out of range: distribution parameters are "
                                 f"at most {MAX_PARAMETER:g} in size")
        return self

    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    def mean(self) -> float:
        """The mean, in closed form (module doc: the engine's central value)."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """n draws from numpy's generator (the engine's keyed streams)."""
        raise NotImplementedError

    def scipy(self) -> tuple[Any, dict[str, float]]:
        """The scipy.stats distribution and its parameters by name (module doc: the mapping).
        Imports scipy.stats."""
        raise NotImplementedError

    def frozen(self) -> Any:
        """This distribution as a frozen scipy.stats distribution (module doc: the mapping)."""
        dist, params = self.scipy()
        return dist(**params)

    # The methods below call the shared scipy.stats distribution with the parameters rather
    # than freezing a new one per call: a frozen distribution copies its distribution object,
    # whose reference cycles are freed only by the garbage collector (sensitivity maps each
    # chunk of its design through ppf, and its memory stayed flat only this way).

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Quantile function, used to map unit-cube samples (sensitivity analysis, discover):
        scipy's. u in [0, 1]; 0 and 1 give the support's ends."""
        dist, params = self.scipy()
        return np.asarray(dist.ppf(u, **params), dtype=float)

    def std(self) -> float:
        """The standard deviation (scipy's)."""
        dist, params = self.scipy()
        return float(dist.std(**params))

    def interval(self, confidence: float) -> tuple[float, float]:
        """The central interval holding `confidence` of the probability (0.9: the 5% and 95%
        quantiles), scipy's."""
        if not 0.0 <= confidence <= 1.0:
            raise ValueError(f"confidence must lie in [0, 1] (got {confidence})")
        dist, params = self.scipy()
        lo, hi = dist.interval(confidence, **params)
        return (float(lo), float(hi))


class Fixed(_Dist):
    dist: Literal["fixed"]
    value: float

    def support(self) -> tuple[float, float]:
        return (self.value, self.value)

    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        raise TypeError("a fixed value has no scipy.stats distribution (scipy has no point "
                        "mass); its ppf, std and interval are the value's own")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def std(self) -> float:
        return 0.0

    def interval(self, confidence: float) -> tuple[float, float]:
        return (self.value, self.value)


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError(f"uniform needs low < high (got low={self.low}, high={self.high})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return 0.5 * (self.low + self.high)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        from scipy.stats import uniform

        return uniform, {"loc": self.low, "scale": self.high - self.low}


class Normal(_Dist):
    dist: Literal["normal"]
    mean_: float = Field(alias="mean")
    sd: float

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    @model_validator(mode="after")
    def _check(self) -> Normal:
        if not self.sd > 0:
            raise ValueError(f"normal needs sd > 0 (got sd={self.sd})")
        return self

    def support(self) -> tuple[float, float]:
        return (-math.inf, math.inf)

    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.normal(self.mean_, self.sd, n)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        from scipy.stats import norm

        return norm, {"loc": self.mean_, "scale": self.sd}


class LogNormal(_Dist):
    dist: Literal["lognormal"]
    median: float
    sigma: float

    @model_validator(mode="after")
    def _check(self) -> LogNormal:
        if not self.median > 0:
            raise ValueError(f"lognormal needs median > 0 (got median={self.median})")
        if not self.sigma > 0:
            raise ValueError(f"lognormal needs sigma > 0 (got sigma={self.sigma})")
        return self

    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def mean(self) -> float:
        """median * exp(sigma^2 / 2); infinite where that overflows a float (sigma above
        about 37.6: the callers clip it to the quantity's bounds)."""
        try:
            return self.median * math.exp(0.5 * self.sigma**2)
        except OverflowError:
            return math.inf

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, n)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        """log X ~ N(log median, sigma^2) is scipy's lognorm with shape s = sigma and
        scale = median (= exp(mu))."""
        from scipy.stats import lognorm

        return lognorm, {"s": self.sigma, "scale": self.median}


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _check(self) -> Triangular:
        if not (self.low <= self.mode <= self.high and self.low < self.high):
            raise ValueError(
                "triangular needs low <= mode <= high and low < high "
                f"(got low={self.low}, mode={self.mode}, high={self.high})"
            )
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        """scipy's triang puts the mode at loc + c * scale."""
        from scipy.stats import triang

        c = (self.mode - self.low) / (self.high - self.low)
        return triang, {"c": c, "loc": self.low, "scale": self.high - self.low}


class Beta(_Dist):
    dist: Literal["beta"]
    a: float
    b: float
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _check(self) -> Beta:
        if not (self.a > 0 and self.b > 0):
            raise ValueError(f"beta needs a > 0 and b > 0 (got a={self.a}, b={self.b})")
        if not self.low < self.high:
            raise ValueError(f"beta needs low < high (got low={self.low}, high={self.high})")
        return self

    def support(self) -> tuple[float, float]:
        return (self.low, self.high)

    def mean(self) -> float:
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, n)

    def scipy(self) -> tuple[Any, dict[str, float]]:
        from scipy.stats import beta

        return beta, {"a": self.a, "b": self.b, "loc": self.low, "scale": self.high - self.low}


Distribution = Annotated[
    Fixed | Uniform | Normal | LogNormal | Triangular | Beta, Field(discriminator="dist")
]
Quantity = float | Distribution

DIST_NAMES = ("fixed", "uniform", "normal", "lognormal", "triangular", "beta")


def is_uncertain(q: Quantity) -> bool:
    """True when the quantity is a distribution with more than one value."""
    return not isinstance(q, float | int | Fixed)


def point(q: Quantity) -> float:
    """The quantity's central value: the number itself, or the distribution's mean."""
    if isinstance(q, float | int):
        return float(q)
    return q.mean()


def support(q: Quantity) -> tuple[float, float]:
    if isinstance(q, float | int):
        return (float(q), float(q))
    return q.support()


def check_range(q: Quantity, low: float, high: float) -> str | None:
    """An error message if the quantity cannot lie in [low, high], else None.

    A fixed number must lie inside; a distribution's support must overlap the range (draws
    are clipped to it).
    """
    lo, hi = support(q)
    rng_txt = f"[{low:g}, {high:g}]" if math.isfinite(high) else f">= {low:g}"
    if isinstance(q, float | int | Fixed):
        v = lo
        if not (low <= v <= high):
            return f"value {v:g} is outside the valid range {rng_txt}"
        return None
    if hi < low or lo > high:
        return f"distribution support [{lo:g}, {hi:g}] lies outside the valid range {rng_txt}"
    return None


def draw(q: Quantity, rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """n draws of q, clipped to [low, high]. A fixed quantity consumes no random numbers."""
    if isinstance(q, float | int):
        return np.full(n, float(q))
    return np.clip(q.sample(rng, n), low, high)
