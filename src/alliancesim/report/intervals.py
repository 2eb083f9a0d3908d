"""The two kinds of uncertainty every figure draws, drawn one way everywhere (report/plots.py).

**The parameter range** (what the uncertainty of the fitted parameters gives): the 90 % band
a report carries where the run had parameter uncertainty (`parameter_band`: the central 90 % over
the posterior draws, the Monte Carlo noise taken out; results/bands.py). Drawn as a thick, pale
bar (`ax.hlines`/`ax.vlines`: a LineCollection) or a pale filled band (`fill_between`).

**The Monte Carlo error** (the trials' own randomness): a 90 % interval drawn as a thin black
whisker with caps (`ax.errorbar`: an ErrorbarContainer). For a share p with standard error se it
is Wilson's score interval at the effective number of trials n_eff = p (1 - p) / se^2, which
equals the trials where they are independent (se binomial) and is smaller where trials share a
parameter draw (se the cluster one: the effective sample size n / deff of Kish 1965, Survey
Sampling, which Korn & Graubard 1998, Survey Methodology 24: 193-201, put into binomial
intervals for clustered samples). Wilson's interval stays inside [0, 1] and does not collapse
at 0 or 1 (Wilson 1927, J. Am. Stat. Assoc. 22: 209-212; Brown, Cai & DasGupta 2001, Statist.
Sci. 16: 101-133, who recommend it). A mean or a difference (troops, a paired difference) gets
the normal interval value ± z se.

A report with no parameter part (parameter uncertainty off, or too few draws for a band) draws
the Monte Carlo part alone, and the figure's legend says so (`legend_handles`).

Reports written by other versions may carry a band under another name or none: every reader
here takes what is there (`getattr`) and returns None otherwise, so the figure falls back to
the Monte Carlo part.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

LEVEL = 0.9
Z = 1.6448536269514722  # the standard normal's 95th percentile: a two-sided 90 % interval
BAND_ALPHA = 0.35
BAND_WIDTH = 7.0  # points: the parameter range's bar
MC_COLOUR = "black"

MC_LABEL = "Monte Carlo error: 90 % interval"
BAND_LABEL = "parameter range: 90 % over the posterior draws (Monte Carlo noise removed)"
NO_BAND = ("no parameter part (parameter uncertainty off, or too few draws for a band): "
           "Monte Carlo error alone")


def wilson(p: float, se: float | None, n: int) -> tuple[float, float]:
    """Wilson's 90 % score interval of a share p, at the effective number of trials
    n_eff = p (1 - p) / se^2 (n when se is None, zero or not finite, or p is 0 or 1)."""
    p = min(max(float(p), 0.0), 1.0)
    n_eff = float(n)
    if se is not None and np.isfinite(se) and se > 0 and 0 < p < 1:
        n_eff = p * (1 - p) / se**2
    if n_eff <= 0:
        return (0.0, 1.0)
    z2 = Z * Z
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = Z * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff**2)) / (1 + z2 / n_eff)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def normal(x: float, se: float | None) -> tuple[float, float] | None:
    """The normal 90 % interval x ± z se (None without a finite se)."""
    if se is None or not np.isfinite(se):
        return None
    return (x - Z * se, x + Z * se)


def pair(value: Any) -> tuple[float, float] | None:
    """A (low, high) pair from what a report holds (a tuple, a list, or None)."""
    if value is None:
        return None
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (lo, hi) if np.isfinite(lo) and np.isfinite(hi) else None


def band_of(record: Any, key: str | None = None, *names: str) -> tuple[float, float] | None:
    """The parameter band `record` carries, if any: the first of `names` (default
    `parameter_band`) it has, taken as a (low, high) pair or, with `key`, as a mapping from
    headline to pair; also a (`<name>_low`, `<name>_high`) pair of fields. None otherwise."""
    for name in names or ("parameter_band",):
        value = getattr(record, name, None)
        if value is None:
            lo, hi = getattr(record, f"{name}_low", None), getattr(record, f"{name}_high", None)
            value = None if lo is None or hi is None else (lo, hi)
        if value is not None and key is not None:
            value = value.get(key) if isinstance(value, dict) else None
        if (got := pair(value)) is not None:
            return got
    return None


def draw(ax: Axes, at: Sequence[float], point: Sequence[float],
         mc: Sequence[tuple[float, float] | None],
         band: Sequence[tuple[float, float] | None], colour: str, *,
         horizontal: bool = True, marker: str = "o", size: float = 5.0,
         fill: str | None = None) -> None:
    """Points at positions `at` with value `point`, each with its parameter range (pale thick
    bar, where given) and its Monte Carlo interval (black whisker, where given). horizontal:
    the values run along x (rows of a forest plot); else along y (columns, as on bars)."""
    rows = [(a, b) for a, b in zip(at, band, strict=True) if b is not None]
    if rows:
        pos = [a for a, _ in rows]
        lo = [b[0] for _, b in rows]
        hi = [b[1] for _, b in rows]
        lines = ax.hlines if horizontal else ax.vlines
        lines(pos, lo, hi, colors=colour, linewidth=BAND_WIDTH, alpha=BAND_ALPHA, zorder=2)
    x = np.asarray(point, dtype=float)
    lo_err = np.array([0.0 if m is None else max(v - m[0], 0.0) for v, m in zip(x, mc,
                                                                               strict=True)])
    hi_err = np.array([0.0 if m is None else max(m[1] - v, 0.0) for v, m in zip(x, mc,
                                                                               strict=True)])
    err = np.vstack([lo_err, hi_err])
    where = np.asarray(at, dtype=float)
    kw: dict[str, Any] = dict(fmt=marker, markersize=size, color=colour, ecolor=MC_COLOUR,
                              elinewidth=1.0, capsize=2.5, zorder=3,
                              markerfacecolor=fill or colour, markeredgecolor=colour)
    if horizontal:
        ax.errorbar(x, where, xerr=err, **kw)
    else:
        ax.errorbar(where, x, yerr=err, **kw)


def legend_handles(with_band: bool, colour: str = "#777777") -> tuple[list[Any], list[str]]:
    """The legend entries naming the two parts: the Monte Carlo whisker, and the parameter
    range where the figure draws one (else a line saying there is none)."""
    mc = Line2D([], [], color=MC_COLOUR, marker="|", markersize=9, linewidth=1.0)
    band = Line2D([], [], color=colour, linewidth=BAND_WIDTH, alpha=BAND_ALPHA)
    if with_band:
        return [band, mc], [BAND_LABEL, MC_LABEL]
    return [mc], [f"{MC_LABEL}; {NO_BAND}"]
