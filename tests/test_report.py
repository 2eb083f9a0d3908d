"""The HTML report: one self-contained page per kept result, shown whole in a real browser."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from alliancesim import api

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _kept(store: Path) -> dict[str, str]:
    """One of each kind, kept in a fresh store."""
    ens = api.simulate("csto-2021-autumn", trials=2000, seed=1)
    ids = {"run": api.record("run", ens.summary(), scenario=ens.scenario, seed=1, trials=2000,
                             store=store)}
    cmp_ = api.compare(["csto-2021-autumn", "examples/csto-two-thirds.yaml"], trials=1000)
    ids["compare"] = api.record("compare", cmp_, store=store)
    sw = api.sweep("csto-2021-autumn", vary=["parameters.council.coefficients.leader_stake="
                                              "0:2:3"], trials=500)
    ids["sweep"] = api.record("sweep", sw, store=store)
    sens = api.sensitivity("examples/armenia-uncertain-council.yaml", samples=64)
    ids["sensitivity"] = api.record("sensitivity", sens, store=store)
    return ids


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("report")
    store = tmp / "runs.duckdb"
    return {kind: api.report(rid, out=tmp / f"{kind}.html", store=store, parameter_draws=4)
            for kind, rid in _kept(store).items()}


def test_every_page_is_self_contained(pages: dict[str, Path]) -> None:
    for kind, path in pages.items():
        text = path.read_text()
        assert text.startswith("<!DOCTYPE html>")
        # nothing to fetch: no external script, style, image or font
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text), kind
        assert "alliancesim 0" in text and "seed" in text and "Cite as" in text
        assert text.count("data:image/png;base64,") >= (3 if kind == "run" else 1), kind
    run = pages["run"].read_text()
    assert "Taliban-linked fighters cross into Tajikistan" in run
    # both kinds of uncertainty: Monte Carlo errors and the parameters' ranges, and the scenario
    assert "Monte Carlo" in run and "90 % range, parameter uncertainty" in run
    assert re.search(r"\d+–\d+%", run) and "The scenario (resolved)" in run
    # the response by request first, beside the alliance's own base rate; then the mixture,
    # labelled with the request stage's held-out score
    first = run[:run.index("Low-level infiltration")]
    order = [first.index(f"<td>{x}</td>") for x in (
        "if asked for military help", "if asked for consultations", "if no request",
        "mixed over the request stage")]
    assert order == sorted(order)
    assert "base rate: CSTO&#39;s 3 cases asking for military help" in first
    assert "held out" in first.lower() and "for a uniform third" in first
    assert "Members, if TJK asks for military help" in first


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_the_page_opens_in_a_browser_with_every_figure_shown(pages: dict[str, Path]) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            for kind, path in pages.items():
                page.goto(path.as_uri())
                shown = page.evaluate("Array.from(document.images).filter("
                                      "i => i.complete && i.naturalWidth > 0).length")
                assert shown == page.evaluate("document.images.length") >= 1, kind
                assert page.title().lower().startswith(kind[:4]) or kind == "run"
                page.screenshot(path=str(ARTIFACTS / f"report-{kind}.png"), full_page=True)
        finally:
            browser.close()
    assert (ARTIFACTS / "report-run.png").stat().st_size > 10_000


def test_plotting_functions_return_figures() -> None:
    from matplotlib.figure import Figure

    from alliancesim.report import plots

    s = api.simulate("nato-2021-baltic", trials=500, seed=1).summary()
    for make in (plots.response_figure, plots.contributions_figure, plots.outcomes_figure):
        fig = make(s)
        assert isinstance(fig, Figure) and fig.axes
        assert "seed 1" in " ".join(t.get_text() for t in fig.texts)  # the footer
    # thirty members: every member's label is on the axis
    fig = plots.contributions_figure(s)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(labels) == len(s.crises[0].members) >= 29
