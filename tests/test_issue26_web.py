"""Issue 26 in the web app: the sequence of crises through the JSON API (POST
/api/v1/sequences, kept in the results store, read back through /results) and the pages (the
Sequence form and its result page with its charts), with bad input refused as 4xx naming the
field, the same numbers as api.sequence for the same seed, and end to end in headless
Chromium (slow)."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.web_server import served

from alliancesim import api
from alliancesim.data import bundled
from alliancesim.web import WebSettings, create_app
from alliancesim.web.inputs import from_text

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[1]
NAME = "csto-sequence-2020-2023"
TRIALS = 400
# three dated crises of one small alliance: enough for beliefs to move, fast to run
DATED = """\
name: three-dated
alliance: csto
trials: 300
seed: 7
crises:
  - id: first
    date: 2021-01-10
    victim: ARM
    aggressor: AZE
    threat: cross_border_incursion
    territory: undisputed
    aggressor_strength: 500
    observed: statement
  - id: second
    date: 2021-06-01
    victim: KGZ
    aggressor: TJK
    threat: member_clash
    aggressor_strength: 2000
    observed: none
  - id: third
    date: 2022-02-01
    victim: ARM
    aggressor: AZE
    threat: interstate_attack
    territory: undisputed
    aggressor_strength: 8000
    observed: consultations
"""
UNDATED = DATED.replace("    date: 2021-06-01\n", "")


def wait(client: TestClient, job: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
    """The job once it is finished: woken by the job manager when it is (JobManager.wait),
    then read over the API; the timeout only guards against a job that hangs."""
    client.app.state.service.jobs.wait(job["id"], timeout)  # type: ignore[attr-defined]
    got: dict[str, Any] = client.get(f"{API}/jobs/{job['id']}").json()
    assert got["state"] in ("done", "failed", "cancelled"), got
    return got


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("seqweb")
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files",
                                 max_trials=20_000, max_queue=2))
    with TestClient(app) as c:
        c.get("/")  # the session's form token
        yield c


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(f"{API}/sequences", json=body)


def fields(response: Any) -> dict[str, str]:
    return {e["field"]: e["message"] for e in response.json()["detail"]}


def test_the_csto_sequence_is_bundled_and_the_example_is_the_same_file() -> None:
    """The form's default is found by name; examples/ holds the same text the commands and
    docs quote."""
    assert NAME in bundled.scenario_names()
    assert bundled.scenario_path(NAME).read_bytes() == (
        ROOT / "examples" / f"{NAME}.yaml").read_bytes()


def test_a_sequence_equals_api_sequence_and_is_kept(client: TestClient) -> None:
    job = post(client, {"scenario": {"yaml": DATED}, "trials": TRIALS, "seed": 11})
    assert job.status_code == 202, job.text
    assert job.json()["kind"] == "sequence"
    done = wait(client, job.json())
    assert done["state"] == "done", done
    assert done["done"] == 3 and done["total"] == 3  # one progress step per crisis
    rec = client.get(done["result_url"]).json()
    assert rec["kind"] == "sequence" and rec["seed"] == 11 and rec["trials"] == TRIALS
    expected = json.loads(api.sequence(from_text(DATED, max_bytes=100_000), trials=TRIALS,
                                       seed=11).model_dump_json())
    assert rec["report"] == expected
    assert {"summary.json", "scenario.yaml", "report.html"} <= set(rec["downloads"])


def test_a_kept_sequence_has_its_html_report(client: TestClient) -> None:
    job = post(client, {"scenario": {"yaml": DATED}, "trials": 100, "seed": 1}).json()
    done = wait(client, job)
    page = client.get(f"{API}/results/{done['run_id']}/files/report.html")
    assert page.status_code == 200 and "Sequence of crises" in page.text


def test_a_counterfactual_is_the_paired_comparison(client: TestClient) -> None:
    body = {"scenario": {"yaml": DATED}, "trials": TRIALS, "seed": 5,
            "set": ["first=military"], "rule": "simple_majority"}
    job = post(client, body)
    assert job.status_code == 202, job.text
    done = wait(client, job.json())
    assert done["state"] == "done", done
    assert done["total"] == 6  # the baseline and the variant, three crises each
    rec = client.get(done["result_url"]).json()
    assert rec["kind"] == "sequence-comparison"
    report = rec["report"]
    assert report["label"] == "first=military, rule=simple_majority"
    assert report["variant"]["crises"][0]["forced"] == "military"
    assert report["baseline"]["crises"][0]["forced"] is None
    expected = api.sequence(from_text(DATED, max_bytes=100_000), trials=TRIALS, seed=5,
                            set=["first=military"], rule="simple_majority")
    assert report == json.loads(expected.model_dump_json())


@pytest.mark.parametrize(("body", "status", "field", "words"), [
    ({"set": ["nowhere=military"]}, 400, "set", "no crisis 'nowhere'"),
    ({"set": ["first=huge"]}, 400, "set", "unknown rung 'huge'"),
    ({"set": ["first"]}, 400, "set", "CRISIS=RUNG"),
    ({"set": ["first=military", "first=none"]}, 400, "set", "set twice"),
    ({"rule": "dictator"}, 400, "rule", "unknown rule"),
    ({"rule": "qualified_majority:1.5"}, 400, "rule", "threshold"),
    ({"rule": "qualified_majority:x"}, 400, "rule", "SHARE"),
    ({"trials": 20_001}, 400, "trials", "at most 20,000"),
    ({"trials": 0}, 422, "trials", "greater than or equal to 1"),
    ({"seed": -1}, 422, "seed", "greater than or equal to 0"),
    ({"observed": "yes"}, 422, "observed", "boolean"),
    ({"set": "first=military"}, 422, "set", "list"),
    ({"unknown": 1}, 422, "unknown", "Extra inputs"),
])
def test_bad_input_is_refused_with_its_field(client: TestClient, body: dict[str, Any],
                                             status: int, field: str, words: str) -> None:
    r = post(client, {"scenario": {"yaml": DATED}, **body})
    assert r.status_code == status, r.text
    got = fields(r)
    assert field in got and words in got[field], got


def test_a_scenario_without_dates_or_observed_responses_is_refused(client: TestClient) -> None:
    r = post(client, {"scenario": {"yaml": UNDATED}})
    assert r.status_code == 400
    assert "needs a date on every crisis" in fields(r)["scenario"]
    assert fields(r)["scenario"].endswith("none on second")
    r = post(client, {"scenario": {"name": "csto-2021-autumn"}})
    assert r.status_code == 400 and "tjk-incursion" in fields(r)["scenario"]
    r = post(client, {"scenario": {"yaml": DATED.replace("    observed: none\n", "")},
                      "observed": True})
    assert r.status_code == 400 and "none on second" in fields(r)["observed"]
    r = post(client, {"scenario": {"name": "no-such"}})
    assert r.status_code == 400 and "no bundled scenario" in fields(r)["name"]
    r = post(client, {"scenario": {"yaml": "name: [unclosed"}})
    assert r.status_code == 422
    r = client.post(f"{API}/sequences", content=b"scenario=x",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415


def test_the_endpoint_is_in_the_openapi_description(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    post_ = spec["paths"][f"{API}/sequences"]["post"]
    assert {"202", "400", "422", "429"} <= set(post_["responses"])
    schema = spec["components"]["schemas"]["SequenceRequest"]
    assert {"scenario", "trials", "seed", "observed", "set", "rule"} <= set(schema["properties"])


def test_the_page_lists_the_default_and_refuses_without_the_token(client: TestClient) -> None:
    page = client.get("/sequence")
    assert page.status_code == 200
    assert f'<option value="{NAME}" selected>' in page.text
    assert 'href="/sequence" class="here"' in page.text
    assert "armenia-2022" in page.text  # the default's crises offered for the counterfactual
    r = client.post("/sequence", data={"scenario": NAME, "trials": "100"},
                    follow_redirects=False)
    assert r.status_code == 403
    other = client.get("/sequence", params={"scenario": "nato-2021-baltic"}).text
    assert '<option value="nato-2021-baltic" selected>' in other
    assert "armenia-2022" not in other  # the chosen scenario's crises, not the default's
    odd = client.get("/sequence", params={"scenario": "<b>x</b>"})
    assert odd.status_code == 200 and "<b>x</b>" not in odd.text


def test_the_form_shows_an_error_beside_its_field_and_escapes(client: TestClient) -> None:
    token = str(client.cookies.get("alliancesim_csrf"))
    r = client.post("/sequence", data={
        "csrf": token, "scenario": NAME, "trials": "100", "set_crisis.0": "<script>x</script>",
        "set_rung.0": "military"}, follow_redirects=False)
    assert r.status_code == 422
    assert "<script>x</script>" not in r.text and "&lt;script&gt;" in r.text
    assert 'class="field bad"' in r.text and "no crisis" in r.text
    r = client.post("/sequence", data={"csrf": token, "scenario": NAME, "trials": "many"},
                    follow_redirects=False)
    assert r.status_code == 422 and "a whole number" in r.text
    r = client.post("/sequence", data={"csrf": token, "scenario": NAME, "rule": "dictator"},
                    follow_redirects=False)
    assert r.status_code == 422 and "unknown rule" in r.text


def _chart_ids(html: str) -> list[str]:
    import re

    return re.findall(r'id="chart-([a-z]+)" data-figure=', html)


def _figures(html: str) -> dict[str, dict[str, Any]]:
    import html as html_lib
    import re

    return {m.group(1): json.loads(html_lib.unescape(m.group(2))) for m in re.finditer(
        r'id="chart-([a-z]+)" data-figure="([^"]*)"', html)}


def test_the_form_runs_and_the_result_page_has_its_charts(client: TestClient) -> None:
    token = str(client.cookies.get("alliancesim_csrf"))
    r = client.post("/sequence", data={
        "csrf": token, "scenario": NAME, "trials": "300", "seed": "3", "observed": "on",
        "set_crisis.1": "armenia-2022", "set_rung.1": "military"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    job = {"id": r.headers["location"].rsplit("/", 1)[1]}
    done = wait(client, job)
    assert done["state"] == "done", done
    page = client.get(f"/results/{done['run_id']}")
    assert page.status_code == 200
    assert _chart_ids(page.text) == ["beliefs", "out", "credibility", "paired"]
    figs = _figures(page.text)
    rec = client.get(f"{API}/results/{done['run_id']}").json()["report"]
    variant = rec["variant"]
    members = [m["member"] for m in variant["members"]]
    # the beliefs: per member a low, a high filled to it, and the median line
    lines = [t for t in figs["beliefs"]["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in lines] == members
    assert lines[0]["y"] == variant["members"][0]["belief"]["median"]
    assert figs["beliefs"]["data"][1]["fill"] == "tonexty"
    assert figs["beliefs"]["data"][1]["y"] == variant["members"][0]["belief"]["high"]
    assert lines[0]["x"] == variant["steps"]
    out = figs["out"]["data"]
    assert [t["y"] for t in out] == [m["p_frozen"][1:] for m in variant["members"]]
    cred = [t for t in figs["credibility"]["data"] if t.get("showlegend", True)]
    assert [t["y"] for t in cred] == [rec["baseline"]["credibility"]["median"],
                                      variant["credibility"]["median"]]
    paired = figs["paired"]["data"]
    assert paired[1]["error_y"]["array"] == pytest.approx(
        [1.96 * f["se_paired"] for f in rec["p_frozen_end"]])
    # the crisis table: every crisis with its date, forced where it was
    assert page.text.count("(forced)") == len(variant["crises"])  # observed: all forced
    for c in variant["crises"]:
        assert c["date"] in page.text
    assert "At the end: the counterfactual against the baseline" in page.text
    assert "armenia-2022=military" in page.text


def test_a_sequence_without_counterfactual_has_three_charts_and_likeliest(
        client: TestClient) -> None:
    job = post(client, {"scenario": {"yaml": DATED}, "trials": 200, "seed": 2}).json()
    done = wait(client, job)
    page = client.get(f"/results/{done['run_id']}")
    assert _chart_ids(page.text) == ["beliefs", "out", "credibility"]
    rec = client.get(f"{API}/results/{done['run_id']}").json()["report"]
    for c in rec["crises"]:
        probs = c["rung_probabilities"]
        top = max(probs, key=lambda k: probs[k])
        assert f"{top} ({100 * probs[top]:.1f}%)" in page.text
    assert "At the end" not in page.text


def test_a_full_queue_is_429_and_a_waiting_sequence_cancels(tmp_path: Path) -> None:
    app = create_app(WebSettings(store=tmp_path / "runs.duckdb", files=tmp_path / "files",
                                 max_trials=2_000_000, max_queue=1))
    with TestClient(app) as c:
        service = app.state.service
        gate = threading.Event()
        blocker = service.jobs.submit("block", "block", lambda ctx: (gate.wait(30), "")[1])
        waiting = post(c, {"scenario": {"yaml": DATED}, "trials": 100})
        assert waiting.status_code == 202, waiting.text
        full = post(c, {"scenario": {"yaml": DATED}, "trials": 100})
        assert full.status_code == 429 and fields(full)["queue"]
        cancelled = c.post(f"{API}/jobs/{waiting.json()['id']}/cancel", json={}).json()
        assert cancelled["state"] == "cancelled"
        gate.set()
        assert service.jobs.wait(blocker.id, 10).state in ("done", "failed")
        assert c.get(f"{API}/results").json() == []  # nothing of the cancelled one kept


def test_a_running_sequence_cancels_and_keeps_nothing(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled at its first crisis (the api's progress callback raises), nothing is kept."""
    real = api.sequence
    reached, release = threading.Event(), threading.Event()

    def held(*args: Any, progress: Any = None, **kw: Any) -> Any:
        def hold(message: str) -> None:
            reached.set()
            release.wait(10)
            progress(message)
        return real(*args, progress=hold, **kw)

    monkeypatch.setattr(api, "sequence", held)
    app = create_app(WebSettings(store=tmp_path / "runs.duckdb", files=tmp_path / "files"))
    with TestClient(app) as c:
        job = post(c, {"scenario": {"yaml": DATED}, "trials": 100}).json()
        assert reached.wait(20)
        assert c.post(f"{API}/jobs/{job['id']}/cancel", json={}).json()["cancel_requested"]
        release.set()
        done = wait(c, job)
        assert done["state"] == "cancelled" and done["run_id"] is None
        assert c.get(f"{API}/results").json() == []


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts" / "issue26"


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium")
def test_the_sequence_page_in_a_browser(tmp_path: Path) -> None:
    """Headless Chromium opens the Sequence page, sets a counterfactual, runs it and sees the
    four charts drawn by Plotly."""
    from playwright.sync_api import expect, sync_playwright

    app = create_app(WebSettings(store=tmp_path / "runs.duckdb", files=tmp_path / "files"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with served(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/")
        page.click("nav >> text=Sequence")
        expect(page.locator("h1")).to_have_text("A sequence of crises")
        expect(page.locator("#s-scenario")).to_have_value(NAME)
        page.fill("#s-trials", "2000")
        page.fill("#s-crisis-0", "armenia-2022")
        page.select_option("[name='set_rung.0']", "military")
        page.screenshot(path=ARTIFACTS / "form.png")
        page.click("#sequence-form button[type=submit]")
        page.wait_for_url("**/results/**", timeout=120_000)
        page.wait_for_selector("#chart-beliefs .main-svg", timeout=30_000)
        assert page.locator(".chart:has(svg.main-svg)").count() == 4
        expect(page.locator("#crises tbody tr")).to_have_count(7)
        expect(page.locator("#paired")).to_contain_text("armenia-2022=military")
        page.screenshot(path=ARTIFACTS / "result.png", full_page=True)
        browser.close()
