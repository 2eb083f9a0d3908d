"""The web application's pages (issue 24): user text shown as text, forms protected against
cross-site requests, errors beside the field, every page answering."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliancesim.web import WebSettings, create_app

EVIL = "<script>alert('x')</script>"
SCENARIO = f"""\
name: "{EVIL}"
title: "<img src=x onerror=alert(1)> a title"
alliance: csto
trials: 200
seed: 3
crises:
  - id: incursion
    title: "<b>bold</b> crisis"
    victim: TJK
    aggressor: TALIBAN
    threat: cross_border_incursion
    aggressor_strength: 4000
    request: military
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("pages")
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files",
                                 max_trials=20_000))
    with TestClient(app) as c:
        c.get("/")  # the session's form token
        yield c


def csrf(client: TestClient) -> str:
    return str(client.cookies.get("alliancesim_csrf"))


def finish(client: TestClient, job_url: str) -> str:
    """Wait for the job a form started; the result page's path."""
    job_id = job_url.rsplit("/", 1)[1]
    for _ in range(600):
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            assert job["state"] == "done", job
            return f"/results/{job['run_id']}"
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


@pytest.fixture(scope="module")
def evil(client: TestClient) -> str:
    r = client.post("/upload", data={"csrf": csrf(client), "text": SCENARIO},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def test_a_scenario_named_script_is_shown_as_text(client: TestClient, evil: str) -> None:
    page, index = client.get(evil).text, client.get("/").text
    for text in (page, index):
        assert EVIL not in text and "<img src=x" not in text and "<b>bold</b>" not in text
        assert "&lt;img src=x onerror=alert(1)&gt; a title" in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    r = client.post(evil.replace("/scenarios/", "/scenarios/") + "/run",
                    data={"csrf": csrf(client)}, follow_redirects=False)
    assert r.status_code == 303
    result = client.get(finish(client, r.headers["location"])).text
    assert EVIL not in result and "&lt;script&gt;" in result and "<b>bold</b>" not in result
    assert EVIL not in client.get("/results").text


def test_forms_need_the_session_token(client: TestClient, evil: str) -> None:
    for path, data in (("/upload", {"text": SCENARIO}),
                       (f"{evil}/run", {}), (f"{evil}/yaml", {"yaml": SCENARIO}),
                       ("/compare", {"scenario": "csto-2021-autumn", "rule.consensus": "on",
                                     "rule.two-thirds": "on"}),
                       ("/sweep", {"scenario": "csto-2021-autumn"}), ("/hindcast", {})):
        for token in (None, "forged"):
            form = dict(data) if token is None else {**data, "csrf": token}
            r = client.post(path, data=form, follow_redirects=False)
            assert r.status_code == 403, (path, token, r.status_code)
    assert client.get("/api/v1/jobs").json() == [] or all(
        j["label"] != "csto-2021-autumn" or j["kind"] != "compare"
        for j in client.get("/api/v1/jobs").json())


def test_an_error_is_shown_beside_its_field(client: TestClient) -> None:
    page = client.get("/scenarios/csto-2021-autumn").text
    original = re.search(r'name="o.crises.2.trust" value="([^"]*)"', page)
    assert original is not None
    r = client.post("/scenarios/csto-2021-autumn/run", data={
        "csrf": csrf(client), "o.crises.2.trust": original.group(1), "f.crises.2.trust": "7",
        "o.trials": "20000", "f.trials": "abc: [", "o.seed": "2021", "f.seed": "2021"})
    assert r.status_code == 422
    field = re.search(r'<div class="field bad">\s*<label for="f-crises.2.trust">.*?</div>',
                      r.text, re.S)
    assert field is not None and "outside the valid range" in field.group(0)
    assert 'value="7"' in field.group(0)  # what the user typed is kept
    trials = re.search(r'<div class="field bad">\s*<label for="f-trials">.*?</div>', r.text,
                       re.S)
    assert trials is not None and "error-text" in trials.group(0)


def test_the_yaml_editor_names_the_line(client: TestClient) -> None:
    r = client.post("/scenarios/csto-2021-autumn/yaml", data={
        "csrf": csrf(client), "yaml": SCENARIO.replace("4000", "-1")})
    assert r.status_code == 422
    assert "line 12: <code>crises[0].aggressor_strength</code>" in r.text
    assert "&lt;script&gt;" in r.text and EVIL not in r.text  # the text kept, escaped


def test_uploads_are_checked_and_bounded(client: TestClient) -> None:
    r = client.post("/upload", data={"csrf": csrf(client), "text": "name: x\n"})
    assert r.status_code == 422 and "alliance" in r.text
    r = client.post("/upload", data={"csrf": csrf(client)},
                    files={"file": ("big.yaml", b"#" * 300_000, "text/yaml")})
    assert r.status_code == 422 and "too large" in r.text
    r = client.post("/upload", data={"csrf": csrf(client)},
                    files={"file": ("x.yaml", b"\xff\xfe", "text/yaml")})
    assert r.status_code == 422 and "UTF-8" in r.text


def test_every_page_answers(client: TestClient) -> None:
    for path in ("/", "/cases", "/cases/csto_2022_kaz_january", "/compare", "/sweep",
                 "/hindcast", "/results", "/scenarios/csto_2010_kgz_osh",
                 "/scenarios/nato-2021-baltic", "/login", "/static/app.js",
                 "/vendor/plotly.min.js", "/api/v1/docs"):
        assert client.get(path).status_code == 200, path
    case = client.get("/cases/csto_2022_kaz_january").text
    assert "Why it is coded so" in case and "Sources" in case
    for path in ("/cases/nope", "/scenarios/nope", "/jobs/nope", "/results/nope",
                 "/results/000000000000", "/scenarios/..%2F..%2Fetc%2Fpasswd"):
        assert client.get(path).status_code == 404, path


def test_compare_and_sweep_forms(client: TestClient) -> None:
    r = client.post("/compare", data={"csrf": csrf(client), "scenario": "nato-2021-baltic",
                                      "rule.consensus": "on"})
    assert r.status_code == 422 and "two decision rules" in r.text
    r = client.post("/compare", data={"csrf": csrf(client), "scenario": "nato-2021-baltic",
                                      "rule.consensus": "on", "rule.simple majority": "on",
                                      "trials": "300"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(finish(client, r.headers["location"])).text
    assert "Paired differences" in page and 'id="chart-differences"' in page
    r = client.post("/sweep", data={"csrf": csrf(client), "scenario": "nato-2021-baltic",
                                    "path": "parameters.council.leader_weight",
                                    "values": "0:1:100", "trials": "200"})
    assert r.status_code == 422 and "at most 50 points" in r.text
    r = client.post("/sweep", data={"csrf": csrf(client), "scenario": "nato-2021-baltic",
                                    "path": "parameters.council.leader_weight",
                                    "values": "0:1:2", "trials": "200"},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get(finish(client, r.headers["location"])).text
    assert 'data-figure="' in page and "parameters.council.leader_weight" in page


def test_the_login_page_sets_the_token(tmp_path: Path) -> None:
    app = create_app(WebSettings(store=tmp_path / "r.duckdb", token="correct-horse"))
    with TestClient(app) as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/login"
        assert c.post("/login", data={"token": "wrong"}).status_code == 401
        r = c.post("/login", data={"token": "correct-horse"}, follow_redirects=False)
        assert r.status_code == 303
        assert c.get("/").status_code == 200 and c.get("/api/v1/scenarios").status_code == 200


def test_the_form_changes_the_rule_and_a_members_affinity(client: TestClient) -> None:
    page = client.get("/scenarios/nato-2021-baltic").text
    fields = dict(re.findall(r'name="(o\.[^"]+)" value="([^"]*)"', page))
    pair = next(k for k in fields if k.startswith("o.affinity."))
    form = {"csrf": csrf(client), **fields,
            **{"f" + k[1:]: v for k, v in fields.items()},
            "f.alliance.decision_rule.rule": "simple_majority", "f.trials": "300",
            "f" + pair[1:]: "-0.5"}
    r = client.post("/scenarios/nato-2021-baltic/run", data=form, follow_redirects=False)
    assert r.status_code == 303, re.findall(r'error-text[^<]*<|<li>.*?</li>', r.text)
    rec = client.get("/api/v1" + finish(client, r.headers["location"])).json()
    assert rec["trials"] == 300
    scenario = client.get(rec["downloads"]["scenario.yaml"]).text
    assert "rule: simple_majority" in scenario and "JUDGEMENT: set in the web form" in scenario


def test_the_printed_link_sets_the_token(tmp_path: Path) -> None:
    app = create_app(WebSettings(store=tmp_path / "r.duckdb", token="correct-horse"))
    with TestClient(app) as c:
        r = c.get("/results?token=wrong", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        r = c.get("/results?token=correct-horse", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/results"
        assert "correct-horse" not in r.headers["location"]
        assert c.get("/results").status_code == 200
