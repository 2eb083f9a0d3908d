"""The screenshots of docs/web.md: the web application served on a free loopback port (a
temporary results store), driven by headless Chromium through Playwright as a user would,
each page saved as a small PNG (the top of the page, 1200 x 800, 256 colours) under
docs/figures/web/.

    PYTHONPATH=src python scripts/web_screenshots.py            # every page
    PYTHONPATH=src python scripts/web_screenshots.py sequence   # only the named ones
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import uvicorn
from PIL import Image
from playwright.sync_api import Page, sync_playwright

from alliancesim.web import WebSettings, create_app

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "figures" / "web"
SIZE = {"width": 1200, "height": 800}


def save(page: Page, name: str) -> None:
    """The viewport as a 256-colour PNG (a few tens of kB)."""
    path = OUT / f"{name}.png"
    page.screenshot(path=path)
    Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


def sequence(page: Page, base: str) -> None:
    """The bundled CSTO sequence with Armenia's request of 2022 answered by military help,
    beside the baseline: the result page's charts."""
    page.goto(base + "/sequence")
    page.fill("#s-trials", "20000")
    page.fill("#s-crisis-0", "armenia-2022")
    page.select_option("[name='set_rung.0']", "military")
    page.click("#sequence-form button[type=submit]")
    page.wait_for_url("**/results/**", timeout=300_000)
    page.wait_for_selector("#chart-credibility .main-svg")
    page.evaluate("window.scrollBy(0, 150)")
    save(page, "sequence")


def main(only: list[str]) -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("needs chromium on PATH", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="alliancesim-shots-"))
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport=SIZE)
            if only:
                shots = {"sequence": sequence}
                for name in only:
                    if name not in shots:
                        print(f"no screenshot {name!r} (the named ones: "
                              f"{', '.join(shots)})", file=sys.stderr)
                        return 2
                    shots[name](page, base)
                browser.close()
                return 0
            page.goto(base + "/")
            save(page, "scenarios")
            page.goto(base + "/scenarios/csto-2021-autumn")
            page.fill("#f-trials", "20000")
            page.fill("[id='f-crises.2.trust']", "1.4")
            page.click("#inputs button[type=submit]")
            page.locator(".field.bad").first.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -250)")
            save(page, "error-beside-the-field")
            page.fill("[id='f-crises.2.trust']", "0.4")
            page.click("#inputs button[type=submit]")
            page.wait_for_url("**/jobs/**")
            time.sleep(1.0)
            save(page, "progress")
            page.wait_for_url("**/results/**", timeout=300_000)
            page.wait_for_selector("#chart-response .main-svg")
            page.locator("section.crisis").nth(2).scroll_into_view_if_needed()
            save(page, "run")
            page.goto(base + "/compare")
            page.fill("input[name=trials]", "20000")
            page.click("button.primary")
            page.wait_for_url("**/results/**", timeout=300_000)
            page.wait_for_selector("#chart-differences .main-svg")
            page.locator("section.crisis").nth(2).scroll_into_view_if_needed()
            save(page, "compare")
            page.goto(base + "/sweep")
            page.fill("input[name=values]", "0:1:6")
            page.click("button.primary")
            page.wait_for_url("**/results/**", timeout=300_000)
            page.wait_for_selector(".chart .main-svg")
            save(page, "sweep")
            page.goto(base + "/hindcast")
            page.click("form.inline button")
            page.wait_for_url("**/results/**", timeout=300_000)
            page.goto(base + "/hindcast")
            page.wait_for_selector("#chart-reliability .main-svg")
            page.locator("#chart-cases").scroll_into_view_if_needed()
            save(page, "hindcast")
            sequence(page, base)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(10)
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
