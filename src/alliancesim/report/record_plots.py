"""Figures of the validation and analysis records (matplotlib): the hindcast, scenario
discovery, the large-N reliability fit and the calibration. Each function returns the Figure;
given a path it also writes it as PNG (120 dpi) and closes it, as report/plots.py does.

Every figure shows its uncertainty: binomial intervals on the observed frequencies of the
reliability diagram (Wilson's score interval, from scipy.stats.binomtest), the 90% paired
bootstrap intervals of the hindcast's score differences, 90% intervals on every coefficient and
estimate. Text from a record (case, input and parameter names) passes through plots.plain, so
that matplotlib draws it literally.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from scipy import stats

from alliancesim.report.plots import RUNG_COLOURS, plain
from alliancesim.results.discovery import DiscoveryReport
from alliancesim.results.reliability import ReliabilityReport
from alliancesim.results.validation import CalibrationReport, HindcastReport
from alliancesim.scenario.schema import RUNGS

LEVEL = 0.90  # every interval drawn here: the central 90%, as the tables
Z90 = float(stats.norm.ppf(0.5 + LEVEL / 2))  # 1.645: a normal 90% interval is ± Z90 se
FORECAST_STYLES = {"model": ("#d94801", "o"), "frequency": ("#4292c6", "s")}
OTHER_STYLES = [("#31a354", "^"), ("#756bb1", "D"), ("#636363", "v"), ("#e7298a", "P")]


def _finish(fig: Figure, path: Path | None) -> Figure:
    if path is not None:
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
    return fig


def binomial_interval(successes: int, trials: int, level: float = LEVEL,
                      method: str = "wilson") -> tuple[float, float]:
    """The `level` confidence interval of a binomial proportion: `successes` of `trials`.

    scipy.stats.binomtest(...).proportion_ci; method "wilson" (Wilson's score interval, 1927,
    the default: good coverage at the small counts of a hindcast's bins) or "exact"
    (Clopper-Pearson 1934). trials must be at least 1 and successes in 0..trials."""
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"a binomial interval needs 0 <= successes <= trials and trials >= 1 "
                         f"(got {successes} of {trials})")
    ci = stats.binomtest(successes, trials).proportion_ci(confidence_level=level,
                                                          method=method)
    return float(ci.low), float(ci.high)


def reliability_points(report: HindcastReport) -> dict[str, list[tuple[float, float, float,
                                                                          float, int]]]:
    """Per forecast, per bin: (mean forecast, observed frequency, interval low, high, count),
    the interval Wilson's for the bin's count (the observed events: frequency x count, rounded
    as the record stores the frequency)."""
    out = {}
    for name, bins in report.reliability.items():
        rows = []
        for b in bins:
            if b.count < 1:
                continue
            k = round(b.observed_frequency * b.count)
            low, high = binomial_interval(k, b.count)
            rows.append((b.mean_forecast, b.observed_frequency, low, high, b.count))
        if rows:
            out[name] = rows
    return out


def hindcast_reliability_figure(report: HindcastReport, path: Path | None = None) -> Figure:
    """The reliability diagram of the leave-one-out forecasts: per probability bin the mean
    forecast against the observed frequency, with its 90% Wilson interval (a bin of few
    forecasts has a wide one); the dashed diagonal is a perfectly calibrated forecast."""
    points = reliability_points(report)
    fig, ax = plt.subplots(figsize=(6, 5.2))
    ax.plot([0, 1], [0, 1], color="#999999", linestyle="--", linewidth=1,
            label="perfect calibration")
    others = iter(OTHER_STYLES * 4)
    for j, (name, rows) in enumerate(points.items()):
        colour, marker = FORECAST_STYLES.get(name) or next(others)
        x = np.array([r[0] for r in rows]) + 0.006 * (j - (len(points) - 1) / 2)
        y = np.array([r[1] for r in rows])
        err = np.array([[r[1] - r[2] for r in rows], [r[3] - r[1] for r in rows]])
        ax.errorbar(x, y, yerr=np.clip(err, 0, None), color=colour, marker=marker,
                    linewidth=1, capsize=3, markersize=5, label=plain(name))
        for xi, yi, r in zip(x, y, rows, strict=True):
            ax.annotate(f"n={r[4]}", (xi, yi), textcoords="offset points", xytext=(6, -11),
                        fontsize=7, color=colour)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("forecast probability (bin mean)")
    ax.set_ylabel("observed frequency")
    ax.set_title(f"Reliability of the leave-one-out forecasts\n(bars: {LEVEL:.0%} Wilson "
                 "interval of each bin's frequency)", fontsize=10)
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    fig.tight_layout()
    return _finish(fig, path)


def hindcast_differences_figure(report: HindcastReport, path: Path | None = None) -> Figure:
    """The model's mean log-score difference per case against each baseline, with the 90%
    paired bootstrap interval over the cases (right of zero: the model scores better)."""
    diffs = report.differences
    fig, ax = plt.subplots(figsize=(6.5, 0.45 * max(len(diffs), 1) + 1.4))
    y = np.arange(len(diffs))
    means = np.array([d.mean for d in diffs])
    err = np.array([[d.mean - d.low for d in diffs], [d.high - d.mean for d in diffs]])
    ax.axvline(0, color="#999999", linewidth=1)
    ax.errorbar(means, y, xerr=np.clip(err, 0, None) if len(diffs) else None, fmt="o",
                color="#d94801", capsize=3)
    ax.set_yticks(y, [plain(f"{d.a} - {d.b}", 40) for d in diffs])
    ax.invert_yaxis()
    ax.set_xlabel("mean log-score difference per case (right: the first is better)")
    ax.set_title(f"Is the difference real? {LEVEL:.0%} paired bootstrap intervals",
                 fontsize=10)
    fig.tight_layout()
    return _finish(fig, path)


def hindcast_cases_figure(report: HindcastReport, path: Path | None = None) -> Figure:
    """Each case's leave-one-out forecast by the model (the probability of each rung, stacked)
    with the rung observed marked by a black diamond."""
    cases = report.cases
    fig, ax = plt.subplots(figsize=(7.5, 0.4 * max(len(cases), 1) + 1.6))
    y = np.arange(len(cases))
    left = np.zeros(len(cases))
    for j, rung in enumerate(RUNGS):
        width = np.array([c.model[j] if j < len(c.model) else 0.0 for c in cases])
        ax.barh(y, width, left=left, color=RUNG_COLOURS[j], label=rung, height=0.7)
        left += width
    for i, c in enumerate(cases):
        if c.observed in RUNGS:
            j = RUNGS.index(c.observed)
            start = sum(c.model[:j])
            ax.plot(start + c.model[j] / 2 if j < len(c.model) else start, i, marker="D",
                    color="black", markersize=6)
    ax.plot([], [], marker="D", color="black", linestyle="none", label="observed")
    ax.set_yticks(y, [plain(c.case_id, 34) for c in cases], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("the model's leave-one-out probability of each rung")
    ax.set_title("Each case: predicted (bars) and observed (diamond)", fontsize=10)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 - 1.2 / (len(cases) + 4)),
              ncol=6, fontsize=7, frameon=False)
    fig.tight_layout()
    return _finish(fig, path)


def discovery_tradeoff_figure(report: DiscoveryReport, path: Path | None = None) -> Figure:
    """PRIM's trade-off: coverage against density along each box's peeling trajectory (where
    the record has it), each kept box marked, the density threshold and the base rate drawn.
    A box's density is a share of its trials: its 90% Wilson interval (from the box's trials,
    mass x trials) is drawn on the kept box."""
    fig, ax = plt.subplots(figsize=(6, 4.8))
    ax.axhline(report.threshold, color="#999999", linestyle="--", linewidth=1,
               label=f"threshold {report.threshold:.0%}")
    ax.axhline(report.base_rate, color="#bdbdbd", linestyle=":", linewidth=1,
               label=f"base rate {report.base_rate:.0%}")
    for i, b in enumerate(report.boxes):
        colour = OTHER_STYLES[i % len(OTHER_STYLES)][0] if i else "#d94801"
        if b.trajectory:
            ax.plot([t.coverage for t in b.trajectory], [t.density for t in b.trajectory],
                    color=colour, linewidth=1, marker=".", markersize=3,
                    label=f"box {i + 1}: peeling trajectory")
        n = max(round(b.mass * report.trials), 1)
        low, high = binomial_interval(min(round(b.density * n), n), n)
        ax.errorbar([b.coverage], [b.density],
                    yerr=[[max(b.density - low, 0)], [max(high - b.density, 0)]],
                    color=colour, marker="o", markersize=8, capsize=4,
                    label=f"box {i + 1} kept ({n:,} trials)")
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(plain(f"coverage (share of the trials with {report.outcome} in the box)", 60))
    ax.set_ylabel("density (share of the box's trials with it)")
    ax.set_title("Coverage against density (PRIM)", fontsize=10)
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    fig.tight_layout()
    return _finish(fig, path)


def _forest(names: list[str], values: list[float], lows: list[float], highs: list[float],
            title: str, xlabel: str, extra: tuple[list[float], list[float], list[float],
                                                  str] | None = None) -> Figure:
    fig, ax = plt.subplots(figsize=(6.5, 0.38 * max(len(names), 1) + 1.5))
    y = np.arange(len(names))
    ax.axvline(0, color="#999999", linewidth=1)
    v, lo, hi = (np.array(a, dtype=float) for a in (values, lows, highs))
    ax.errorbar(v, y - (0.15 if extra else 0), xerr=np.clip([v - lo, hi - v], 0, None),
                fmt="o", color="#d94801", capsize=3, label="estimate, 90% interval")
    if extra is not None:
        ev, elo, ehi, label = extra
        e, el, eh = (np.array(a, dtype=float) for a in (ev, elo, ehi))
        ax.errorbar(e, y + 0.15, xerr=np.clip([e - el, eh - e], 0, None), fmt="s",
                    color="#4292c6", capsize=3, label=label)
    ax.set_yticks(y, [plain(n, 40) for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.legend(loc="lower right", fontsize=7, frameon=False)
    fig.tight_layout()
    return fig


def reliability_coefficients_figure(report: ReliabilityReport, path: Path | None = None
                                    ) -> Figure:
    """The large-N member model's coefficients with their 90% intervals (as recorded)."""
    c = report.coefficients
    fig = _forest([x.name for x in c], [x.value for x in c], [x.low for x in c],
                  [x.high for x in c], "Large-N member model: coefficients",
                  "coefficient (ordered probit scale), 90% interval")
    return _finish(fig, path)


def calibration_estimates_figure(report: CalibrationReport, path: Path | None = None) -> Figure:
    """The calibration's estimates: the MAP with its Laplace 90% interval (± 1.645 se), and,
    where the posterior was drawn, the posterior's 5-95% interval beside it."""
    est = report.estimates + [e.model_copy(update={"name": f"request.{e.name}"})
                              for e in report.request_estimates]
    post = {p.name: p for p in report.posterior}
    extra = None
    if post and all(e.name in post for e in est):
        ps = [post[e.name] for e in est]
        extra = ([p.mean for p in ps], [p.q05 for p in ps], [p.q95 for p in ps],
                 "posterior mean, 5-95% (MCMC)")
    fig = _forest([e.name for e in est], [e.value for e in est],
                  [e.value - Z90 * e.se for e in est], [e.value + Z90 * e.se for e in est],
                  "Calibration: the MAP with its Laplace 90% interval",
                  "estimate", extra)
    return _finish(fig, path)


def correlations(report: CalibrationReport) -> tuple[list[str], np.ndarray, str] | None:
    """The council estimates' correlation matrix: from the posterior draws where the record
    has them, else from the Laplace covariance; both in the fit's own parametrisation
    (cutpoint gaps on the log scale, the leader's weight on the logit). None when the record
    holds neither (or its sizes do not match the estimates)."""
    names = [e.name for e in report.estimates]
    if report.council_draws and len(report.council_draws[0]) == len(names):
        draws = np.asarray(report.council_draws, dtype=float)
        cov, source = np.cov(draws, rowvar=False), "the posterior draws (MCMC)"
    elif report.council_cov and len(report.council_cov) == len(names):
        cov, source = np.asarray(report.council_cov, dtype=float), "the Laplace covariance"
    else:
        return None
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    corr[~np.isfinite(corr)] = 0.0  # a parameter held fixed: no variance, no correlation
    np.fill_diagonal(corr, 1.0)
    return names, corr, source


def calibration_correlation_figure(report: CalibrationReport, path: Path | None = None
                                   ) -> Figure | None:
    """A heat map of the council estimates' correlations (see `correlations`); None when the
    record has neither draws nor a covariance."""
    found = correlations(report)
    if found is None:
        return None
    names, corr, source = found
    size = 0.42 * len(names) + 2.2
    fig, ax = plt.subplots(figsize=(size, size * 0.85))
    im = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [plain(n, 28) for n in names]
    ax.set_xticks(range(len(names)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), labels, fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.7, label="correlation")
    ax.set_title(plain(f"Correlations of the estimates, from {source}"), fontsize=10)
    fig.tight_layout()
    return _finish(fig, path)
