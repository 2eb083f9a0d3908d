"""A bounded load test on loopback (issue 24): 20 clients start a run each and poll it, all at
once, against the app served by uvicorn; every run completes or is refused with 429, and the
results store holds every completed run, nothing else and nothing twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.web_server import served

from alliancesim.web import WebSettings, create_app

CLIENTS = 20


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    app = create_app(WebSettings(store=tmp_path / "runs.duckdb", files=tmp_path / "files",
                                 concurrency=2, max_queue=6))
    with served(app) as url:
        yield url


def client(base: str, k: int) -> tuple[int, str | None]:
    """Start a run and poll it: (the start's status, the kept run's id if it completed)."""
    with httpx.Client(base_url=base, timeout=30) as http:
        r = http.post("/api/v1/runs", json={"scenario": {"name": "nato-2021-baltic"},
                                            "trials": 500, "seed": k})
        if r.status_code != 202:
            return r.status_code, None
        url = r.json()["url"]
        end = time.monotonic() + 120
        while time.monotonic() < end:
            job = http.get(url).json()
            if job["state"] in ("done", "failed", "cancelled"):
                assert job["state"] == "done", job
                return 202, job["run_id"]
            time.sleep(0.1)
    raise AssertionError(f"client {k}: the run did not finish")


@pytest.mark.slow
def test_twenty_clients_at_once(server: str) -> None:
    with ThreadPoolExecutor(CLIENTS) as pool:
        outcomes = list(pool.map(lambda k: client(server, k), range(CLIENTS)))
    statuses = [s for s, _ in outcomes]
    print(f"{statuses.count(202)} runs completed, {statuses.count(429)} refused with 429")
    assert set(statuses) <= {202, 429}
    done = [run for s, run in outcomes if s == 202]
    assert all(done) and len(done) >= 2 + 6  # at least what runs and waits at once
    kept = httpx.get(f"{server}/api/v1/results").json()
    assert sorted(r["id"] for r in kept) == sorted(done)  # every completed run, once
    seeds = {r["seed"] for r in kept}
    assert len(seeds) == len(done)
