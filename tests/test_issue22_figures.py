"""Issue 22, item 2: uncertainty in every figure.

Each figure function, given a report with known bands and standard errors, draws
- the parameter range as a pale thick bar (a LineCollection of `hlines`/`vlines`) or band
  (`fill_between`) with exactly the report's extents, and
- the Monte Carlo error as an errorbar whose whiskers span the 90 % interval: Wilson's at the
  effective number of trials for a share (checked against statsmodels' own Wilson interval),
  value ± 1.645 se for a mean or a paired difference;
- with no parameter part, the Monte Carlo part alone, and the legend says so;
the legend clear of every axis label and tick label (bounding boxes, one crisis and four);
panels meant to be compared on one scale; compare plots the paired differences; sweep marks
the calibrated value of data/calibrated.yaml; every user string still escaped (plots.plain).
The summaries' new errors (troops, endings) are checked against numpy written out.
"""

from __future__ import annotations

from typing import Any

import matplotlib
import numpy as np
import pytest
import yaml
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from pydantic import Field
from statsmodels.stats.proportion import proportion_confint

from alliancesim.data import bundled
from alliancesim.report import plots
from alliancesim.results import bands
from alliancesim.results.comparison import ComparisonReport, CrisisComparison, Difference
from alliancesim.results.groups import GROUP, GroupCounts
from alliancesim.results.sensitivity import CrisisSensitivity, Index, SensitivityReport
from alliancesim.results.summary import CrisisSummary, EnsembleSummary, MemberSummary, Spread
from alliancesim.results.sweep import SweepPoint, SweepReport

matplotlib.use("Agg")
Z = 1.6448536269514722
RUNG_P = {"none": 0.1, "statement": 0.05, "consultations": 0.35, "mission": 0.2, "military": 0.3}
RUNG_BAND = {"none": (0.05, 0.2), "statement": (0.01, 0.1), "consultations": (0.2, 0.5),
             "mission": (0.1, 0.3), "military": (0.12, 0.61)}
ENDS = {"repelled": 0.5, "contained": 0.3, "lost": 0.2}
ENDS_BAND = {"repelled": (0.31, 0.72), "contained": (0.2, 0.4), "lost": (0.1, 0.33)}
TEX = r"$\foo$ costs $5 and $10"


def _member(i: int, troops: float, band: bool) -> MemberSummary:
    return MemberSummary(
        id=f"M{i}", name=f"Member {i}", role="leader" if i == 0 else "member",
        preferred_military=0.5, holds_out=0.1, sole_veto=0.05, p_sends=0.3,
        mean_troops=troops, mean_troops_when_sent=troops / 0.3,
        mean_troops_se=troops / 20, mean_troops_band=(troops * 0.4, troops * 1.9) if band else None)


def _crisis(cid: str, title: str, band: bool, scale: float = 1.0, trials: int = 5000
            ) -> CrisisSummary:
    spread = Spread(median=10, p10=5, p90=20)
    return CrisisSummary(
        crisis_id=cid, title=title, victim="M2", aggressor="X", threat="interstate_attack",
        trials=trials, request={"none": 0.0, "consultations": 0.0, "military": 1.0,
                                "material": 0.0},
        response=RUNG_P, response_se={k: 0.012 for k in RUNG_P},
        members=[_member(i, scale * t, band) for i, t in enumerate((4000.0, 300.0, 50.0))],
        p_acts_without_alliance=0.1, p_leader_alone=0.1, p_other_member_alone=0.0,
        p_coalition_of_willing=0.0, p_troops_sent=0.4, mean_total_troops=4350.0 * scale,
        leader_share=0.9, first_arrival_days=spread, outcome_with_alliance=ENDS,
        outcome_alone={"repelled": 0.2, "contained": 0.5, "lost": 0.3}, repelled_gain=0.3,
        days_to_end_with_alliance=spread, days_to_end_alone=spread, horizon_days=60,
        defender_losses_with_alliance=1.0, defender_losses_alone=2.0,
        parameter_groups=40 if band else 0,
        parameter_band={**RUNG_BAND, **ENDS_BAND} if band else None,
        request_fixed="military", outcome_se={k: 0.02 for k in ENDS},
        outcome_alone_se={"repelled": 0.006, "contained": 0.007, "lost": 0.0065})


def _summary(n: int = 1, band: bool = True, title: str = "Four crises") -> EnsembleSummary:
    crises = [_crisis(f"c{k}", f"Crisis number {k}", band, scale=1.0 + 2 * k) for k in range(n)]
    return EnsembleSummary(scenario="test", title=title, alliance="csto", trials=5000, seed=7,
                           version="0.3.0", crises=crises)


def _drawn(fig: Figure) -> Any:
    """Draw the figure (layout and mathtext happen here) and return the renderer."""
    fig.canvas.draw()
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _close_figures() -> Any:
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _bands(ax: Any) -> list[tuple[float, float, float]]:
    """(position, low, high) of every pale thick bar (the parameter range) on the axes."""
    out = []
    for coll in ax.collections:
        if isinstance(coll, LineCollection) and max(coll.get_linewidths()) >= 5:
            for seg in coll.get_segments():
                (x0, y0), (x1, y1) = seg
                out.append((y0, x0, x1) if y0 == y1 else (x0, y0, y1))
    return sorted(out)


def _whiskers(ax: Any) -> list[tuple[float, float, float]]:
    """(position, low, high) of every errorbar whisker on the axes (the Monte Carlo part)."""
    out = []
    for bars in ax.containers:  # a bar's errorbar is also one of the axes' containers
        if not isinstance(bars, ErrorbarContainer):
            continue
        for coll in bars.lines[2]:
            for (x0, y0), (x1, y1) in coll.get_segments():
                out.append((y0, x0, x1) if y0 == y1 else (x0, y0, y1))
    return sorted(out)


def _legend_text(fig: Figure) -> str:
    return " ".join(t.get_text() for leg in fig.legends for t in leg.get_texts())


def _wilson(p: float, se: float) -> tuple[float, float]:
    n_eff = p * (1 - p) / se**2
    lo, hi = proportion_confint(p * n_eff, n_eff, alpha=0.1, method="wilson")
    return float(lo), float(hi)


def _clear_of_legend(fig: Figure) -> None:
    """No axis label, tick label or footer overlaps a legend; the legends and the figure's
    texts (the footer) lie inside the figure (a footer hung below it was cut off in the PNG)."""
    r = _drawn(fig)
    legends = [leg.get_window_extent(r) for leg in fig.legends]
    assert legends, "the figure has a legend"
    for box in legends + [t.get_window_extent(r) for t in fig.texts]:
        assert box.y0 >= -0.5 and box.y1 <= fig.bbox.y1 + 0.5, box
    others = []
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        others += [ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
    others += list(fig.texts)
    for artist in others:
        if not artist.get_text() or not artist.get_visible():
            continue
        box = artist.get_window_extent(r)
        for leg in legends:
            assert not box.overlaps(leg), (artist.get_text(), box, leg)


# ----------------------------------------------------------------------------- a run


def test_response_figure_draws_the_parameter_range_and_the_monte_carlo_interval() -> None:
    s = _summary(2)
    fig = plots.response_figure(s)
    _clear_of_legend(fig)
    rung_axes = fig.axes[:5]
    for ax, rung in zip(rung_axes, RUNG_P, strict=True):
        got = _bands(ax)
        assert [(lo, hi) for _, lo, hi in got] == [RUNG_BAND[rung]] * 2, rung
        whiskers = _whiskers(ax)
        assert len(whiskers) == 2
        want = _wilson(RUNG_P[rung], 0.012)
        for _, lo, hi in whiskers:
            assert (lo, hi) == pytest.approx(want, abs=1e-9), rung
    # a shared probability scale
    assert len({ax.get_xlim() for ax in rung_axes}) == 1
    assert "parameter range" in _legend_text(fig) and "Monte Carlo" in _legend_text(fig)


def test_without_a_parameter_part_the_monte_carlo_part_is_drawn_alone_and_said() -> None:
    s = _summary(1, band=False)
    for make in (plots.response_figure, plots.outcomes_figure, plots.contributions_figure):
        fig = make(s)
        _drawn(fig)
        assert not any(_bands(ax) for ax in fig.axes), make.__name__
        assert any(_whiskers(ax) for ax in fig.axes), make.__name__
        assert "no parameter part" in _legend_text(fig), make.__name__


@pytest.mark.parametrize("n", [1, 4])
@pytest.mark.parametrize("name", ["outcomes_figure", "contributions_figure"])
def test_the_legend_covers_no_axis_label(name: str, n: int) -> None:
    """The one-crisis layouts printed the legend over the axis label (issue 22); the response
    figure's legend is checked with its bands."""
    _clear_of_legend(getattr(plots, name)(_summary(n)))


def test_outcomes_show_the_alliance_with_its_range_and_the_victim_alone_without() -> None:
    fig = plots.outcomes_figure(_summary(1))
    _drawn(fig)
    for ax, end in zip(fig.axes[:3], ENDS, strict=True):
        assert [(lo, hi) for _, lo, hi in _bands(ax)] == [ENDS_BAND[end]]  # the alliance only
        whiskers = _whiskers(ax)
        assert len(whiskers) == 2  # with the alliance and alone
        assert (whiskers[0][1], whiskers[0][2]) == pytest.approx(_wilson(ENDS[end], 0.02))
    assert len({ax.get_xlim() for ax in fig.axes[:3]}) == 1


def test_contribution_panels_share_their_scale_and_carry_both_intervals() -> None:
    s = _summary(3)
    fig = plots.contributions_figure(s)
    _drawn(fig)
    panels = fig.axes[:3]
    assert len({ax.get_ylim() for ax in panels}) == 1
    top = max(m.mean_troops_band[1] for c in s.crises for m in c.members  # type: ignore[index]
              if m.mean_troops_band)
    assert panels[0].get_ylim()[1] >= top  # the highest range fits on the shared scale
    for ax, c in zip(panels, s.crises, strict=True):
        want_bands = [(float(i), *m.mean_troops_band) for i, m in enumerate(c.members)
                      if m.mean_troops_band]
        np.testing.assert_allclose(_bands(ax), want_bands)
        want_mc = [(float(i), m.mean_troops - Z * m.mean_troops_se,  # type: ignore[operator]
                    m.mean_troops + Z * m.mean_troops_se) for i, m in enumerate(c.members)]
        np.testing.assert_allclose(_whiskers(ax), want_mc)


def test_user_text_is_still_drawn_literally() -> None:
    s = _summary(2, title=TEX)
    s.crises[0].title = TEX
    for make in plots.FIGURES.values():
        fig = make(s)
        _drawn(fig)  # a `$\foo$` parsed as TeX raises here
        texts = [t.get_text() for t in fig.texts] + [fig._suptitle.get_text()]  # type: ignore
        assert any(plots.plain(TEX) in t.replace("\n", " ") for t in texts), make.__name__


# ----------------------------------------------------------------------------- compare


class _BandedDifference(Difference):
    """A difference carrying a parameter range (the name the comparison may give it)."""

    parameter_band: tuple[float, float] | None = None


def _comparison(band: bool) -> ComparisonReport:
    crises = []
    for k in range(2):
        values = {"base": {"military help": 0.2, "repelled, with the alliance": 0.5},
                  f"vari{TEX}": {"military help": 0.26 + 0.1 * k,
                                 "repelled, with the alliance": 0.48}}
        diffs = [_BandedDifference(variant=f"vari{TEX}", headline=h,
                                   difference=values[f"vari{TEX}"][h] - values["base"][h],
                                   se_paired=0.01 * (k + 1), se_independent=0.03,
                                   parameter_band=(-0.05, 0.2) if band else None)
                 for h in values["base"]]
        crises.append(CrisisComparison(crisis_id=f"c{k}", title=f"Crisis {k}", values=values,
                                       differences=diffs))
    return ComparisonReport(base="base", variants=["base", f"vari{TEX}"], trials=4000, seed=1,
                            version="0.3.0", crises=crises, skipped={})


@pytest.mark.parametrize("band", [True, False])
def test_compare_plots_the_paired_differences_with_their_intervals(band: bool) -> None:
    report = _comparison(band)
    fig = plots.comparison_figure(report)
    _clear_of_legend(fig)
    panels = fig.axes[:2]
    for ax, h in zip(panels, ("military help", "repelled, with the alliance"), strict=True):
        want = []
        for c in report.crises:
            d = next(d for d in c.differences if d.headline == h)
            want.append((100 * (d.difference - Z * d.se_paired),
                         100 * (d.difference + Z * d.se_paired)))
        np.testing.assert_allclose([(lo, hi) for _, lo, hi in _whiskers(ax)], want)
        assert [(lo, hi) for _, lo, hi in _bands(ax)] == ([(-5.0, 20.0)] * 2 if band else [])
        # a line at no difference
        assert any(list(line.get_xdata()) == [0, 0] for line in ax.get_lines())
    xlims = {ax.get_xlim() for ax in panels}
    assert len(xlims) == 1 and next(iter(xlims))[0] == -next(iter(xlims))[1]  # shared, symmetric
    assert ("parameter range" in _legend_text(fig)) is band
    assert "paired difference" in _legend_text(fig)


# ----------------------------------------------------------------------------- sweep


class _BandedPoint(SweepPoint):
    parameter_band: dict[str, tuple[float, float]] | None = None


def _calibrated(path: str) -> float:
    """The value data/calibrated.yaml's parameters: block gives a path (the block `run --params`
    reads; the figure reads the posterior's diagnostics: the two must agree)."""
    text = bundled.CALIBRATED.read_text(encoding="utf-8")
    data = yaml.safe_load(text[:text.index("\ncalibration:")])["parameters"]
    for key in path.split(".")[1:]:
        data = data[int(key)] if isinstance(data, list) else data[key]
    return float(data)


def _sweep(paths: list[str], values: list[dict[str, float]], band: bool,
           design: str = "grid") -> SweepReport:
    points = []
    for k, v in enumerate(values):
        out = {h: min(0.1 + 0.05 * k, 0.9) for h in plots.SWEEP_LINES}
        points.append(_BandedPoint(
            point=k, values=v, crisis_id="c0", title="Crisis $x$", outcomes=out,
            se={h: 0.01 for h in out},
            parameter_band={h: (p - 0.05, p + 0.08) for h, p in out.items()} if band else None))
    return SweepReport(scenario="test", paths=paths, design=design, trials=2000, seed=1,
                       version="0.3.0", points=points)


def test_sweep_marks_the_calibrated_value_and_draws_both_intervals() -> None:
    path = "parameters.council.coefficients.leader_stake"
    want = _calibrated(path)
    xs = [want - 1, want - 0.3, want + 0.5, want + 1]
    report = _sweep([path], [{path: x} for x in xs], band=True)
    fig = plots.sweep_figure(report)
    _clear_of_legend(fig)
    ax = fig.axes[0]
    marks = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    assert len(marks) == 1 and list(marks[0].get_xdata()) == [want, want]
    assert any(t.get_text().startswith("calibrated") for t in ax.texts)
    # the posterior's 90 % interval shaded behind it, within the swept range
    spans = [p for p in ax.patches if p.get_alpha() == pytest.approx(0.12)]
    assert len(spans) == 1
    x0, x1 = spans[0].get_x(), spans[0].get_x() + spans[0].get_width()  # type: ignore[attr-defined]
    assert xs[0] <= x0 < want < x1 <= xs[-1]
    # the parameter range: one pale band per headline through every point's range
    fills = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(fills) == len(plots.SWEEP_LINES)
    verts = fills[0].get_paths()[0].vertices
    lows = [p.parameter_band[plots.SWEEP_LINES[0]][0] for p in report.points]  # type: ignore
    assert min(verts[:, 1]) == pytest.approx(min(lows))
    # the Monte Carlo interval at every point of every line
    whiskers = _whiskers(ax)
    assert len(whiskers) == len(xs) * len(plots.SWEEP_LINES)
    first = sorted(w for w in whiskers if w[0] == xs[0])
    assert (first[0][1], first[0][2]) == pytest.approx(_wilson(0.1, 0.01))
    assert "calibrated" in _legend_text(fig)


def test_sweep_says_where_the_calibrated_value_lies_outside_the_range() -> None:
    path = "parameters.council.cutpoints.2"
    want = _calibrated(path)
    report = _sweep([path], [{path: want + 1 + k} for k in range(3)], band=False)
    fig = plots.sweep_figure(report)
    _drawn(fig)
    assert not [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert f"calibrated value {want:g} lies outside" in fig._suptitle.get_text()  # type: ignore
    assert "no parameter part" in _legend_text(fig)
    # a crisis's quantity has no calibrated value
    assert plots.calibrated_value("crises.armenia-attack.aggressor_strength") is None
    assert plots.calibrated_value(path) == want


def test_a_heat_map_writes_each_cells_intervals() -> None:
    a, b = "parameters.council.coefficients.leader_stake", "crises.c0.aggressor_strength"
    values = [{a: x, b: y} for x in (0.0, 1.0, 2.0) for y in (0.5, 1.0)]
    fig = plots.sweep_figure(_sweep([a, b], values, band=True))
    _drawn(fig)
    cells = [t.get_text() for t in fig.axes[0].texts if "±" in t.get_text()]
    assert len(cells) == len(values)
    lo, hi = _wilson(0.1, 0.01)
    assert f"±{100 * (hi - lo) / 2:.1f}" in cells[0] and "[5%–18%]" in cells[0]


def test_a_latin_hypercube_sweep_draws_both_intervals() -> None:
    a, b = "parameters.council.coefficients.leader_stake", "crises.c0.aggressor_strength"
    values = [{a: 0.1 * k, b: 1.0 - 0.1 * k} for k in range(5)]
    fig = plots.sweep_figure(_sweep([a, b], values, band=True, design="lhs"))
    _clear_of_legend(fig)
    assert len(_bands(fig.axes[0])) == 5 and len(_whiskers(fig.axes[0])) == 5


# ----------------------------------------------------------------------------- sensitivity


def test_sensitivity_bars_carry_their_bootstrap_intervals_on_one_scale() -> None:
    crises = [CrisisSensitivity(crisis_id=f"c{k}", title=f"Crisis {k}", inputs=["a", "b"],
                                evaluations=100,
                                indices=[Index(outcome="military help", input=i, s1=0.2 + k / 10,
                                               s1_conf=0.05, st=0.4, st_conf=0.1)
                                         for i in ("a", TEX)])
              for k in range(2)]
    report = SensitivityReport(scenario="t", method="sobol", samples=64, seed=1, version="0",
                               crises=crises, skipped=[])
    fig = plots.sensitivity_figure(report)
    _clear_of_legend(fig)
    first = sorted((lo, hi) for _, lo, hi in _whiskers(fig.axes[0]))
    np.testing.assert_allclose(first, [(0.15, 0.25)] * 2 + [(0.3, 0.5)] * 2)
    assert len({ax.get_xlim() for ax in fig.axes[:2]}) == 1
    assert "bootstrap" in _legend_text(fig)


def test_the_reliability_diagram_draws_binomial_intervals() -> None:
    fig = plots.reliability_figure({"model": [(0.2, 0.25, 8), (0.7, 0.6, 20)]})
    _clear_of_legend(fig)
    got = sorted((lo, hi) for _, lo, hi in _whiskers(fig.axes[0]))
    want = sorted(tuple(map(float, proportion_confint(k * p, k, alpha=0.1, method="wilson")))
                  for p, k in ((0.25, 8), (0.6, 20)))
    np.testing.assert_allclose(got, want)


# ----------------------------------------------------------------------------- the errors


def _groups(rng: np.random.Generator, spread: float, G: int = 60, size: int = 128
            ) -> tuple[np.ndarray, np.ndarray]:
    """Troops per trial in G groups of `size` whose means differ by `spread` (sd)."""
    means = 1000.0 + spread * rng.standard_normal(G)
    g = np.repeat(np.arange(G), size)
    troops = np.where(rng.random(G * size) < 0.4, rng.gamma(4.0, means[g] / 1.6), 0.0)
    return troops, g


def _sums(troops: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, GroupCounts]:
    """The tally's group sums of one member (results/tally.py), and the groups' counts."""
    G = int(g.max()) + 1
    n = np.bincount(g, minlength=G).astype(float)
    S = np.bincount(g, weights=troops, minlength=G)
    Q = np.bincount(g, weights=troops**2, minlength=G)
    by_group = np.array([[(S**2 / n).sum()], [(S**2).sum()], [(n * S).sum()], [(Q / n).sum()],
                         [(S**2 / n**2).sum()]])
    groups = np.zeros((G, 10), dtype=np.int64)
    groups[:, 0] = n
    return by_group, GroupCounts.of_rows(groups)


def test_the_troops_cluster_error_equals_the_between_group_formula() -> None:
    rng = np.random.default_rng(5)
    troops, g = _groups(rng, spread=300.0)
    by_group, groups = _sums(troops, g)
    N = troops.size
    got = bands.troops_se(N, np.array([troops.sum()]), np.array([(troops**2).sum()]), by_group,
                          groups)[0]
    means = np.bincount(g, weights=troops) / np.bincount(g)
    G = means.size
    want = np.sqrt(G / (G - 1) * ((128 * (means - troops.mean())) ** 2).sum()) / N
    assert got == pytest.approx(want, rel=1e-9)
    # independent trials: the sample standard deviation over sqrt(n)
    iid = bands.troops_se(N, np.array([troops.sum()]), np.array([(troops**2).sum()]),
                          np.zeros((5, 1)), GroupCounts())[0]
    assert iid == pytest.approx(troops.std(ddof=1) / np.sqrt(N), rel=1e-9)


def test_the_troops_band_recovers_the_spread_of_the_group_means() -> None:
    """With group means drawn with sd 300 (a trial sends with probability 0.4, gamma(4, m/1.6)
    troops: m on average), the band's half-width is about z x 300; with no spread, about
    zero."""
    rng = np.random.default_rng(11)
    troops, g = _groups(rng, spread=300.0, G=400)
    by_group, groups = _sums(troops, g)
    lo, hi = bands.troops_band(troops.size, np.array([troops.sum()]), by_group, groups)[0]
    assert (hi - lo) / 2 == pytest.approx(Z * 300.0, rel=0.15)
    flat, g = _groups(rng, spread=0.0, G=400)
    by_group, groups = _sums(flat, g)
    lo, hi = bands.troops_band(flat.size, np.array([flat.sum()]), by_group, groups)[0]
    assert (hi - lo) / 2 < 0.15 * Z * 300.0
    assert bands.troops_band(flat.size, np.array([flat.sum()]), by_group,
                             GroupCounts.of_rows([[GROUP] + [0] * 9] * 5)) is None


@pytest.mark.slow
def test_a_run_with_parameter_uncertainty_carries_the_errors_the_figures_draw() -> None:
    from alliancesim import api

    s = api.simulate("nato-2021-baltic", trials=1280, seed=2,
                     parameter_uncertainty="posterior").summary()
    c = s.crises[0]
    assert c.outcome_se is not None and set(c.outcome_se) == set(bands.OUTCOMES)
    assert c.parameter_band is not None and set(bands.OUTCOMES) <= set(c.parameter_band)
    leader = next(m for m in c.members if m.role == "leader")
    assert leader.mean_troops_se is not None and leader.mean_troops_se > 0
    assert leader.mean_troops_band is not None
    assert leader.mean_troops_band[0] <= leader.mean_troops <= leader.mean_troops_band[1]
    off = api.simulate("nato-2021-baltic", trials=1280, seed=2,
                       parameter_uncertainty="off").summary().crises[0]
    assert off.parameter_band is None and off.members[0].mean_troops_band is None
    # without groups the endings' errors are binomial
    p = off.outcome_with_alliance["repelled"]
    assert off.outcome_se["repelled"] == pytest.approx(np.sqrt(p * (1 - p) / 1280))  # type: ignore


class _ListedPoint(SweepPoint):
    """A point of a sweep over listed values, as the notebook API makes them: a category's
    label, and the parameter range under the field name `band`."""

    values: dict[str, float | str]  # type: ignore[assignment]
    band: dict[str, tuple[float, float]] = Field(default_factory=dict)


def test_a_categorical_sweep_spaces_its_values_evenly_with_their_ranges() -> None:
    rules = ["consensus", "two_thirds", "majority"]
    points = [_ListedPoint(point=k, values={"alliance.decision_rule": r}, crisis_id="c0",
                           title="Crisis", outcomes={h: 0.2 + 0.1 * k for h in plots.SWEEP_LINES},
                           se={h: 0.01 for h in plots.SWEEP_LINES},
                           band={h: (0.1 * k, 0.4 + 0.1 * k) for h in plots.SWEEP_LINES})
              for k, r in enumerate(rules)]
    report = SweepReport(scenario="t", paths=["alliance.decision_rule"], design="grid",
                         trials=1000, seed=1, version="0", points=points)
    fig = plots.sweep_figure(report)
    _clear_of_legend(fig)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == rules
    assert sorted({w[0] for w in _whiskers(ax)}) == [0.0, 1.0, 2.0]
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == 4
    assert "parameter range" in _legend_text(fig)


def test_an_uneven_grid_puts_the_calibrated_value_between_its_cells() -> None:
    a, b = "parameters.council.coefficients.leader_stake", "crises.c0.aggressor_strength"
    want = _calibrated(a)
    xs = [want - 1.0, want + 0.5, want + 3.5]  # uneven: the value lies 2/3 of the way to cell 1
    values = [{a: x, b: y} for x in xs for y in (0.5, 1.0)]
    fig = plots.sweep_figure(_sweep([a, b], values, band=False))
    _drawn(fig)
    marks = [ln for ln in fig.axes[0].get_lines() if ln.get_linestyle() == ":"]
    assert len(marks) == 1 and marks[0].get_xdata()[0] == pytest.approx(2 / 3)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [f"{x:g}" for x in xs]
