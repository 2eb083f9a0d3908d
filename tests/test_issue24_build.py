"""Building a scenario from the imported datasets in the web app (issue 24): the data store's
listing, an alliance's crises and a build, through the JSON API and the build page, on the
invented fixtures of tests/test_build_rules.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliancesim.datasets import kinds as kinds_module
from alliancesim.datasets.store import DataStore
from alliancesim.web import WebSettings, create_app
from test_build_rules import FILES, FIX  # the same fixture tables as the build rules' tests


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("build")
    store = DataStore(root / "datasets.duckdb")
    with pytest.MonkeyPatch.context() as mp:  # the small files' row counts set aside
        for name, kind in list(kinds_module.KINDS.items()):
            layouts = tuple(dataclasses.replace(lay, rows=None) for lay in kind.layouts)
            mp.setitem(kinds_module.KINDS, name, dataclasses.replace(kind, layouts=layouts))
        for name, rel in FILES:
            store.import_file(name, FIX / rel)
    app = create_app(WebSettings(store=root / "runs.duckdb", files=root / "files",
                                 data_store=store.path))
    with TestClient(app) as c:
        c.get("/")
        yield c


def test_the_data_store_and_an_alliances_crises(client: TestClient) -> None:
    listed = client.get("/api/v1/data").json()
    assert {"nmc", "atop-members"} <= {d["kind"] for d in listed}
    assert all("path" not in d for d in listed)  # no server path shown
    found = client.get("/api/v1/data/crises", params={"alliance": "atop:9001", "year": 2010,
                                                      "window": 2}).json()
    assert [c["id"] for c in found["crises"]][:2] == ["ucdp:9300", "mid:9200"]
    bad = client.get("/api/v1/data/crises", params={"alliance": "atop:1", "year": 2010})
    assert bad.status_code == 400 and bad.json()["detail"][0]["message"]
    assert client.get("/api/v1/data/crises", params={"alliance": "x", "year": 3000}
                      ).status_code == 422


def test_a_build_is_kept_as_the_users_scenario(client: TestClient) -> None:
    r = client.post("/api/v1/data/build", json={"alliance": "atop:9001", "year": 2008,
                                                "crisis": "mid:9200"})
    assert r.status_code == 201, r.text
    name = r.json()["name"]
    assert name.startswith("user:")
    shown = client.get(f"/api/v1/scenarios/{name}").json()
    assert shown["resolved"]["crises"][0]["aggressor"] == "AZE"
    assert "Built by `alliancesim data build`" in shown["yaml"]
    bad = client.post("/api/v1/data/build", json={"alliance": "atop:9001", "year": 2008,
                                                  "date": "2008-13-01"})
    assert bad.status_code == 400 and bad.json()["detail"][0]["field"] == "date"


def test_the_build_page(client: TestClient) -> None:
    page = client.get("/build", params={"alliance": "atop:9001", "year": "2010"})
    assert page.status_code == 200 and "mid:9200" in page.text
    csrf = str(client.cookies.get("alliancesim_csrf"))
    r = client.post("/build", data={"csrf": csrf, "alliance": "atop:9001", "year": "2008",
                                    "crisis": "mid:9200"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/scenarios/user%3A")
    assert client.get(r.headers["location"]).status_code == 200
    assert client.post("/build", data={"alliance": "atop:9001", "year": "2008"},
                       follow_redirects=False).status_code == 403
    r = client.post("/build", data={"csrf": csrf, "alliance": "atop:9001", "year": "x"})
    assert r.status_code == 422 and "a year from 1816 to 2100" in r.text


def test_an_empty_data_store_says_what_to_do(tmp_path: Path) -> None:
    app = create_app(WebSettings(store=tmp_path / "r.duckdb", data_store=tmp_path / "d.duckdb"))
    with TestClient(app) as c:
        assert c.get("/api/v1/data").json() == []
        assert "alliancesim data import" in c.get("/build").text
