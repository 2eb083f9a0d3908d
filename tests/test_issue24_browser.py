"""End to end in a real browser (issue 24): headless Chromium, driven by Playwright, opens the
app served by uvicorn on a free loopback port, edits the flagship scenario in its form, runs
it and sees the charts drawn (Plotly's SVG inside each chart), cancels a large run, compares
two decision rules, runs the hindcast and opens its page and a case's. Screenshots of each
page are kept in test-artifacts/issue24/ (at the checkout's root; docs/web.md's figures are
made from the same steps by scripts/web_screenshots.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web_server import served

from alliancesim.web import WebSettings, create_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts" / "issue24"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("browser")
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files",
                                 max_trials=5_000_000))
    with served(app) as url:
        yield url


def test_a_user_edits_runs_compares_and_reads_the_record(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(server + "/")
        page.click("text=csto-2021-autumn")
        expect(page.locator("h1")).to_contain_text("CSTO, autumn 2021")
        # edit the flagship scenario: fewer trials, a stronger Azerbaijani offensive
        page.fill("#f-trials", "3000")
        page.fill("[id='f-crises.2.aggressor_strength']",
                  "{dist: uniform, low: 10000, high: 30000}")
        page.screenshot(path=ARTIFACTS / "scenario.png")
        page.click("#inputs button[type=submit]")
        page.wait_for_url("**/results/**", timeout=120_000)
        page.wait_for_selector("#chart-response .main-svg", timeout=30_000)
        drawn = page.locator(".chart:has(svg.main-svg)").count()
        assert drawn == 4 * 6  # four crises, six charts each, every one drawn by Plotly
        expect(page.locator("text=Outside the record").first).to_be_visible()
        expect(page.locator("text=Base rate beside the forecast").first).to_be_visible()
        page.screenshot(path=ARTIFACTS / "result.png", full_page=True)
        # a large run, cancelled from its page
        page.goto(server + "/scenarios/csto-2021-autumn")
        page.fill("#f-trials", "5000000")
        page.click("#inputs button[type=submit]")
        page.wait_for_url("**/jobs/**")
        page.click("#cancel")
        expect(page.locator("#job-state")).to_have_text("cancelled", timeout=60_000)
        page.screenshot(path=ARTIFACTS / "cancelled.png")
        # compare two rules
        page.goto(server + "/compare")
        page.fill("input[name=trials]", "2000")
        page.click("button.primary")
        page.wait_for_url("**/results/**", timeout=120_000)
        page.wait_for_selector("#chart-differences .main-svg", timeout=30_000)
        expect(page.locator("h1")).to_contain_text("consensus · two-thirds")
        page.screenshot(path=ARTIFACTS / "compare.png", full_page=True)
        # the record
        page.goto(server + "/hindcast")
        page.click("form.inline button")
        page.wait_for_url("**/results/**", timeout=180_000)
        page.goto(server + "/hindcast")
        page.wait_for_selector("#chart-reliability .main-svg", timeout=30_000)
        assert page.locator("table.list tbody tr").count() == 17
        page.screenshot(path=ARTIFACTS / "hindcast.png", full_page=True)
        page.click("table.list a:text-is('csto_2022_kaz_january')")
        expect(page.locator("text=Why it is coded so")).to_be_visible()
        page.screenshot(path=ARTIFACTS / "case.png", full_page=True)
        browser.close()
    assert all((ARTIFACTS / f"{n}.png").stat().st_size > 10_000
               for n in ("scenario", "result", "compare", "hindcast", "case"))
