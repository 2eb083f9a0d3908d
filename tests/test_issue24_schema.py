"""Schemathesis against the web app's OpenAPI description (issue 24): generated requests to
every operation of /api/v1 (bounded: a few examples each), no 5xx, every response's status,
content type and body as the description states.

The hindcast operation is left out here (a generated request would queue a fit of several
seconds; tests/test_issue24_api.py and the end-to-end test start it)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from alliancesim.web import WebSettings, create_app

ROOT = Path(tempfile.mkdtemp(prefix="alliancesim-schemathesis-"))
APP = create_app(WebSettings(store=ROOT / "runs.duckdb", files=ROOT / "files", max_trials=200,
                             data_store=ROOT / "datasets.duckdb",
                             max_queue=2, max_sweep_points=2, max_variants=2))
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP).exclude(
    path="/api/v1/hindcasts")
CHECKS = [checks.not_a_server_error, openapi_checks.status_code_conformance,
          openapi_checks.content_type_conformance, openapi_checks.response_schema_conformance]


@pytest.fixture(scope="module", autouse=True)
def _stop_jobs() -> object:
    yield
    APP.state.service.jobs.stop()
    shutil.rmtree(ROOT, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_it_describes_itself(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
