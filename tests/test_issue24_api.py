"""The web application's JSON API (issue 24): every endpoint, good and bad input, limits, the
same numbers as `alliancesim run`, the store consistent after a cancel."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from alliancesim.web import WebSettings, create_app

API = "/api/v1"
SMALL = """\
name: small
alliance: csto
trials: 300
seed: 4
crises:
  - id: incursion
    victim: TJK
    aggressor: TALIBAN
    threat: cross_border_incursion
    aggressor_strength: 4000
    request: military
"""


def wait(client: TestClient, job: dict[str, Any], timeout: float = 600.0) -> dict[str, Any]:
    """The job once it is finished: woken by the job manager when it is (JobManager.wait),
    then read over the API; the timeout only guards against a job that hangs."""
    client.app.state.service.jobs.wait(job["id"], timeout)  # type: ignore[attr-defined]
    got: dict[str, Any] = client.get(job["url"]).json()
    assert got["state"] in ("done", "failed", "cancelled"), got
    return got


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("web")
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files",
                                 max_trials=50_000, max_sweep_points=4, max_variants=3))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def small_run(client: TestClient) -> dict[str, Any]:
    job = client.post(f"{API}/runs", json={"scenario": {"yaml": SMALL}}).json()
    done = wait(client, job)
    assert done["state"] == "done", done
    return done


def test_the_scenarios_listed_and_shown(client: TestClient) -> None:
    rows = client.get(f"{API}/scenarios").json()
    assert rows[0]["name"] == "csto-2021-autumn" and rows[0]["crises"] == 4
    one = client.get(f"{API}/scenarios/nato-2021-baltic").json()
    assert one["yaml"].startswith("#") or "name: nato-2021-baltic" in one["yaml"]
    assert one["resolved"]["alliance"]["id"] == "nato"
    case = client.get(f"{API}/scenarios/csto_2022_kaz_january")
    assert case.status_code == 200 and len(case.json()["resolved"]["crises"]) == 1
    for bad in ("nope", "..%2F..%2Fetc%2Fpasswd", "user:..", "/etc/passwd"):
        r = client.get(f"{API}/scenarios/{bad}")
        assert r.status_code == 404, (bad, r.text)
        if r.headers["content-type"] == "application/json":
            assert r.json()["detail"][0]["message"]


def test_the_cases_listed_and_shown(client: TestClient) -> None:
    cases = client.get(f"{API}/cases").json()
    assert len(cases) == 17 and {"id", "observed", "crisis"} <= set(cases[0])
    assert len(client.get(f"{API}/cases", params={"set": "beyond"}).json()) == 22
    bad = client.get(f"{API}/cases", params={"set": "/tmp"})
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "set"
    one = client.get(f"{API}/cases/nato_2001_art5_usa").json()
    assert one["case"]["id"] == "nato_2001_art5_usa" and "observed:" in one["yaml"]
    assert client.get(f"{API}/cases/nope").status_code == 404


def test_validate_gives_the_loaders_field_level_errors(client: TestClient) -> None:
    ok = client.post(f"{API}/validate", json={"yaml": SMALL})
    assert ok.status_code == 200 and ok.json()["crises"] == ["incursion"]
    bad = client.post(f"{API}/validate", json={"yaml": SMALL.replace("4000", "-4000")})
    assert bad.status_code == 422
    (err,) = bad.json()["detail"]
    assert err["field"] == "crises[0].aggressor_strength" and err["line"] == 10
    assert "outside the valid range" in err["message"] and err["source"] == "scenario"
    change = client.post(f"{API}/validate", json={
        "name": "csto-2021-autumn", "changes": {"crises.armenia-attack.trust": 2}})
    assert change.status_code == 422
    assert change.json()["detail"][0]["field"] == "crises.2.trust"
    unknown = client.post(f"{API}/validate", json={
        "name": "csto-2021-autumn", "changes": {"crises.nope.trust": 0.5}})
    assert unknown.status_code == 422 and "nope" in unknown.json()["detail"][0]["message"]
    neither = client.post(f"{API}/validate", json={})
    assert neither.status_code == 400 and neither.json()["detail"][0]["field"] == "scenario"
    assert client.post(f"{API}/validate", json={"name": "a", "yaml": SMALL}).status_code == 400
    not_yaml = client.post(f"{API}/validate", json={"yaml": "a: [1, 2"})
    assert not_yaml.status_code == 422 and not_yaml.json()["detail"][0]["line"] is not None
    large = client.post(f"{API}/validate", json={"yaml": "#" * 300_000})
    assert large.status_code == 422  # the loader's own bound
    assert "too large" in large.json()["detail"][0]["message"]
    big = client.post(f"{API}/validate", json={"yaml": "#" * 400_000})
    assert big.status_code == 413  # over the body limit before anything reads it
    extra = client.post(f"{API}/validate", json={"yaml": SMALL, "path": "/etc/passwd"})
    assert extra.status_code == 422 and extra.json()["detail"][0]["field"] == "path"


@pytest.mark.parametrize("body", [
    r'{"name": "csto-2021-autumn", "changes": {"crises.\ud800": 1}}',
    r'{"yaml": "name: \"\ud800\"\nalliance: csto"}', r'{"name": "\udc80"}',
    r'{"name": "csto-2021-autumn", "changes": {"crises.0.trust": NaN}}',
    '{"name": "csto-2021-autumn", "changes": {"crises.0.trust": ' + "[" * 50_000 + "]" * 50_000
    + "}}"])
def test_strange_json_is_a_4xx(client: TestClient, body: str) -> None:
    r = client.post(f"{API}/validate", content=body.encode(),
                    headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500 and r.json()["detail"][0]["message"]


@pytest.mark.parametrize("name", ["/etc/passwd", "../../etc/passwd.yaml", "runs.duckdb",
                                  "user:../../x", "user:/etc/passwd"])
def test_no_path_from_the_client_is_read(client: TestClient, name: str) -> None:
    r = client.post(f"{API}/validate", json={"name": name})
    assert r.status_code == 400
    assert r.json()["detail"][0]["field"] == "name"


def test_a_run_gives_the_numbers_of_alliancesim_run(client: TestClient,
                                                   small_run: dict[str, Any],
                                                   tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from alliancesim.cli import app as cli

    record = client.get(small_run["result_url"]).json()
    assert record["kind"] == "run" and record["seed"] == 4 and record["trials"] == 300
    web = client.get(record["downloads"]["summary.json"]).json()
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    out = CliRunner().invoke(cli, ["--no-store", "run", str(path), "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout[out.stdout.index("{"):]) == web


def test_a_runs_downloads(client: TestClient, small_run: dict[str, Any]) -> None:
    record = client.get(small_run["result_url"]).json()
    assert set(record["downloads"]) == {"summary.json", "scenario.yaml", "report.html",
                                        "trials.parquet"}
    import io

    import pandas as pd

    frame = pd.read_parquet(io.BytesIO(client.get(record["downloads"]["trials.parquet"]
                                                  ).content))
    assert len(frame) == 300
    assert "name: small" in client.get(record["downloads"]["scenario.yaml"]).text
    html = client.get(record["downloads"]["report.html"])
    assert html.status_code == 200 and "<html" in html.text
    assert html.headers["content-security-policy"].startswith("sandbox")
    assert html.headers["x-frame-options"] == "DENY"
    for bad in ("../runs.duckdb", "run.json", "trials.parquet%00"):
        assert client.get(f"{small_run['result_url']}/files/{bad}").status_code == 404
    assert client.get(f"{API}/results/000000000000").status_code == 404
    assert client.get(f"{API}/results/..%2F..").status_code == 404
    listed = client.get(f"{API}/results").json()
    assert small_run["run_id"] in [r["id"] for r in listed]


def test_limits_are_refused_with_the_field(client: TestClient) -> None:
    r = client.post(f"{API}/runs", json={"scenario": {"yaml": SMALL}, "trials": 60_000})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "trials"
    r = client.post(f"{API}/runs", json={"scenario": {"yaml": SMALL}, "seed": -1})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "seed"
    r = client.post(f"{API}/runs", json={"scenario": {"name": "csto-2021-autumn"},
                                         "parameter_uncertainty": "maybe"})
    assert r.status_code == 422 and r.json()["detail"][0]["field"] == "parameter_uncertainty"
    r = client.post(f"{API}/sweeps", json={"scenario": {"yaml": SMALL}, "vary": {
        "crises.incursion.trust": "0:1:5"}})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "vary"
    r = client.post(f"{API}/sweeps", json={"scenario": {"yaml": SMALL}, "vary": {
        "crises.incursion.trust": "0:1:x"}})
    assert r.status_code == 400
    r = client.post(f"{API}/compares", json={"variants": [{"yaml": SMALL}] * 4})
    assert r.status_code == 400 and r.json()["detail"][0]["field"] == "variants"
    r = client.post(f"{API}/compares", json={"variants": [{"yaml": SMALL}]})
    assert r.status_code == 422


def test_only_json_is_posted_to_the_api(client: TestClient) -> None:
    r = client.post(f"{API}/runs", content=json.dumps({"scenario": {"yaml": SMALL}}),
                    headers={"content-type": "text/plain"})
    assert r.status_code == 415  # a cross-site form cannot start a run
    r = client.post(f"{API}/validate", content=b"{", headers={"content-type":
                                                                "application/json"})
    assert r.status_code == 422


def test_compare_and_sweep(client: TestClient) -> None:
    rule = "alliance_changes.decision_rule"
    job = client.post(f"{API}/compares", json={"variants": [
        {"yaml": SMALL, "label": "consensus"},
        {"yaml": SMALL, "label": "majority", "changes": {rule: {"rule": "simple_majority"}}},
    ], "trials": 300}).json()
    done = wait(client, job)
    assert done["state"] == "done", done
    report = client.get(done["result_url"]).json()["report"]
    assert [v for v in report["variants"]] == ["consensus", "majority"]
    job = client.post(f"{API}/sweeps", json={"scenario": {"yaml": SMALL},
                                             "vary": {"crises.incursion.trust": "0:1:2"},
                                             "trials": 200}).json()
    done = wait(client, job)
    assert done["state"] == "done", done
    report = client.get(done["result_url"]).json()["report"]
    assert len(report["points"]) == 2


def test_poll_and_cancel_unknown_jobs(client: TestClient) -> None:
    assert client.get(f"{API}/jobs/nope").status_code == 404
    assert client.post(f"{API}/jobs/nope/cancel", json={}).status_code == 404
    assert isinstance(client.get(f"{API}/jobs").json(), list)


def test_a_cancelled_run_leaves_nothing_and_a_full_queue_is_429(tmp_path: Path) -> None:
    store = tmp_path / "runs.duckdb"
    app = create_app(WebSettings(store=store, files=tmp_path / "files", max_queue=1,
                                 max_trials=2_000_000))
    big = {"scenario": {"name": "csto-2021-autumn"}, "trials": 2_000_000}
    with TestClient(app) as c:
        first = c.post(f"{API}/runs", json=big).json()
        second = c.post(f"{API}/runs", json=big).json()
        third = c.post(f"{API}/runs", json=big)
        assert third.status_code == 429 and third.json()["detail"][0]["field"] == "queue"
        assert c.post(second["url"] + "/cancel", json={}).json()["state"] == "cancelled"
        end = time.monotonic() + 20
        while c.get(first["url"]).json()["state"] == "queued" and time.monotonic() < end:
            time.sleep(0.02)
        c.post(first["url"] + "/cancel", json={})
        assert wait(c, first)["state"] == "cancelled"
        assert wait(c, second)["state"] == "cancelled"
        assert c.get(f"{API}/results").json() == []
        assert not any((tmp_path / "files").glob("*")) if (tmp_path / "files").exists() \
            else True


def test_a_token_is_required_when_set(tmp_path: Path) -> None:
    app = create_app(WebSettings(store=tmp_path / "runs.duckdb", token="s3cret"))
    with TestClient(app) as c:
        r = c.get(f"{API}/scenarios")
        assert r.status_code == 401 and r.json()["detail"][0]["field"] == "token"
        assert c.get(f"{API}/scenarios", headers={"Authorization": "Bearer nope"}
                     ).status_code == 401
        assert c.get(f"{API}/scenarios", headers={"Authorization": "Bearer s3cret"}
                     ).status_code == 200
        page = c.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login"


def test_the_openapi_description(client: TestClient) -> None:
    spec = client.get(f"{API}/openapi.json").json()
    paths = set(spec["paths"])
    assert {f"{API}/scenarios", f"{API}/cases", f"{API}/validate", f"{API}/runs",
            f"{API}/compares", f"{API}/sweeps", f"{API}/hindcasts", f"{API}/jobs/{{job_id}}",
            f"{API}/jobs/{{job_id}}/cancel", f"{API}/results",
            f"{API}/results/{{run_id}}"} <= paths
    assert not any(p for p in paths if not p.startswith(API))  # pages are not in it
