"""The FastAPI application: the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json, its
pages at /api/v1/docs), the pages (pages.py), the static files and Plotly's JavaScript from
the installed plotly package (no CDN: the app works offline).

Errors: a scenario the loader refuses is 422 with one entry per problem (field, line,
message), as the command line prints them; a bad option or an input over a limit is 400 (the
field and the reason); an unknown id 404; a full queue 429; a body over the size limit 413;
a POST to the API that is not JSON 415; a missing or wrong token 401. Every error body is
{"detail": [{"field", "message", "line", "source"}]}; no traceback ever reaches a client.
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliancesim import api
from alliancesim._version import __version__
from alliancesim.scenario.errors import ScenarioError, UsageError, one_line
from alliancesim.web import inputs
from alliancesim.web.inputs import ScenarioInput
from alliancesim.web.jobs import QueueFullError
from alliancesim.web.pages import TOKEN_COOKIE, pages_router
from alliancesim.web.service import (
    DOWNLOADS,
    BuildRequest,
    CompareRequest,
    HindcastRequest,
    RunRequest,
    SequenceRequest,
    Service,
    SweepRequest,
)
from alliancesim.web.settings import WebSettings

API = "/api/v1"
BODY_SLACK = 64_000  # bytes of a request beyond the largest scenario text (JSON, form fields)


class FieldError(BaseModel):
    field: str = Field(description="The field (a dotted path), or '' for the whole input.")
    message: str
    line: int | None = Field(default=None, description="The line in the YAML text.")
    source: str | None = None


class ErrorBody(BaseModel):
    detail: list[FieldError]


class ScenarioItem(BaseModel):
    name: str
    title: str
    alliance: str
    crises: int
    origin: str = Field(description="bundled or user (uploaded).")


class ScenarioDetail(BaseModel):
    name: str
    title: str
    yaml: str = Field(description="The file as written.")
    resolved: dict[str, Any] = Field(description="The scenario resolved (alliance, actors).")


class Validated(BaseModel):
    valid: bool
    name: str
    title: str
    crises: list[str]
    trials: int
    seed: int


class JobView(BaseModel):
    id: str
    kind: str
    label: str
    state: str
    created: str
    started: str | None
    finished: str | None
    done: int
    total: int | None
    message: str
    run_id: str | None
    errors: list[FieldError]
    cancel_requested: bool
    url: str = Field(description="Where to poll.")
    result_url: str | None = Field(description="The kept result, once done.")


class ResultRow(BaseModel):
    id: str
    kind: str
    created: str
    scenario: str | None
    scenario_sha256: str | None
    seed: int | None
    trials: int | None
    version: str
    url: str


class ResultRecord(BaseModel):
    id: str
    kind: str
    created: str
    scenario: str | None
    scenario_sha256: str | None
    seed: int | None
    trials: int | None
    version: str
    parameters: dict[str, Any] | None
    report: dict[str, Any]
    downloads: dict[str, str] = Field(description="Name -> URL.")


class Dataset(BaseModel):
    kind: str
    table_name: str
    title: str
    release: str
    layout: str
    bytes: int
    sha256: str
    rows: int
    first_year: int | None
    last_year: int | None
    imported: str
    citation: str
    notes: str


class Crises(BaseModel):
    crises: list[dict[str, Any]] = Field(description="api.data_crises's candidates, the most "
                                         "severe first; `id` is what a build takes.")
    notes: list[str]


class BuiltScenario(BaseModel):
    name: str = Field(description="The built scenario, kept as user:NAME: run it by name.")
    notes: list[str]
    url: str


def _errors(status: int, errors: list[dict[str, Any]]) -> JSONResponse:
    """An error body; every text on one line, control characters and lone surrogates escaped
    (an input echoed back can hold them: JSON text may, UTF-8 may not)."""
    clean = [{k: one_line(v) if isinstance(v, str) else v for k, v in e.items()}
             for e in errors]
    return JSONResponse(status_code=status, content={"detail": clean})


def _one(status: int, message: str, field: str = "") -> JSONResponse:
    return _errors(status, [{"field": field, "message": message, "line": None,
                             "source": None}])


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A bad option or an input over a limit."},
    401: {"model": ErrorBody, "description": "The access token is missing or wrong."},
    413: {"model": ErrorBody, "description": "The request is too large."},
    415: {"model": ErrorBody, "description": "A POST that is not JSON."},
    422: {"model": ErrorBody, "description": "Input the loader or schema refuses."},
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such name or id."}}
BUSY: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "The run queue is full; try again later."}}


def _job_view(job: Any) -> dict[str, Any]:
    d = job.public()
    d["url"] = f"{API}/jobs/{job.id}"
    d["result_url"] = f"{API}/results/{job.run_id}" if job.run_id else None
    return d


def api_router(service: Service) -> APIRouter:
    """The JSON API's routes."""
    router = APIRouter(prefix=API, responses=ERRORS)

    @router.get("/scenarios", response_model=list[ScenarioItem], tags=["scenarios"])
    def list_scenarios() -> list[dict[str, Any]]:
        """The bundled scenarios (the default first) and the uploaded ones."""
        rows = [{"name": n, "title": sc.title,
                 "alliance": sc.alliance if isinstance(sc.alliance, str) else sc.alliance.id,
                 "crises": len(sc.crises), "origin": "bundled"}
                for n, sc in api.list_scenarios()]
        for name in inputs.user_scenarios(service.files):
            try:
                sc = inputs.by_name(name, service.files)
            except (ScenarioError, UsageError):
                continue  # written by us, checked on upload: only a newer schema refuses it
            rows.append({"name": name, "title": sc.title, "alliance": (
                sc.alliance if isinstance(sc.alliance, str) else sc.alliance.id),
                "crises": len(sc.crises), "origin": "user"})
        return rows

    @router.get("/scenarios/{name}", response_model=ScenarioDetail, responses=NOT_FOUND,
                tags=["scenarios"])
    def show_scenario(name: str) -> Any:
        """One scenario (bundled, a case by its id, or user:NAME): its YAML as written and
        resolved."""
        if name not in inputs.bundled_names() and name not in inputs.user_scenarios(
                service.files):
            return _one(404, f"no scenario or case named {name!r}", "name")
        sc = inputs.by_name(name, service.files)
        return {"name": name, "title": sc.title, "yaml": inputs.source_text(name, service.files),
                "resolved": sc.model_dump(mode="json", by_alias=True)}

    @router.get("/cases", tags=["cases"])
    def list_cases(set: str = "bundled") -> Any:
        """The historical cases of a bundled set (bundled: the CSTO's and NATO's; beyond:
        other alliances'), with their codings and sources."""
        if set not in ("bundled", "beyond"):
            return _one(400, "one of bundled, beyond", "set")
        return [c.model_dump(mode="json") for c in api.load_case_sets([set])]

    @router.get("/cases/{case_id}", responses=NOT_FOUND, tags=["cases"])
    def show_case(case_id: str) -> Any:
        """One case with its coding and sources, and its file's text."""
        for c in api.load_case_sets(["bundled", "beyond"]):
            if c.id == case_id:
                return {"case": c.model_dump(mode="json"),
                        "yaml": api.scenario_source(case_id)}
        return _one(404, f"no case {case_id!r}", "case_id")

    @router.get("/data", response_model=list[Dataset], tags=["data"])
    def datasets() -> list[dict[str, Any]]:
        """The datasets imported into the data store (`alliancesim data import`)."""
        return service.datasets()

    @router.get("/data/crises", response_model=Crises, tags=["data"])
    def crises(alliance: str = Query(min_length=1, max_length=60),
               year: int = Query(ge=1816, le=2100),
               window: int | None = Query(default=None, ge=0, le=50)) -> dict[str, Any]:
        """The crises of an alliance worth simulating in the window to a year (MIDs and UCDP
        conflicts that hit a member), from the data store."""
        found, notes = service.crises(alliance, year, window)
        return {"crises": found, "notes": notes}

    @router.post("/data/build", status_code=201, response_model=BuiltScenario, tags=["data"])
    def build(req: BuildRequest) -> dict[str, Any]:
        """Build a scenario from the data store (`alliancesim data build`) and keep it as
        user:NAME."""
        name, notes = service.build(req)
        return {"name": name, "notes": notes, "url": f"{API}/scenarios/{name}"}

    @router.post("/validate", response_model=Validated, tags=["scenarios"])
    def validate(given: ScenarioInput) -> dict[str, Any]:
        """Check a scenario (name or YAML text, with changes): 200 with what it holds, or 422
        with one error per problem (field, line, message), as `alliancesim run` reports
        them."""
        sc = service.scenario(given)
        return {"valid": True, "name": sc.name, "title": sc.title,
                "crises": [c.id for c in sc.crises], "trials": sc.trials, "seed": sc.seed}

    @router.post("/runs", status_code=202, response_model=JobView, responses=BUSY,
                 tags=["work"])
    def start_run(req: RunRequest) -> dict[str, Any]:
        """Queue a run (api.simulate); poll the job it returns."""
        return _job_view(service.start_run(req))

    @router.post("/compares", status_code=202, response_model=JobView, responses=BUSY,
                 tags=["work"])
    def start_compare(req: CompareRequest) -> dict[str, Any]:
        """Queue a comparison of two or more variants (api.compare)."""
        return _job_view(service.start_compare(req))

    @router.post("/sweeps", status_code=202, response_model=JobView, responses=BUSY,
                 tags=["work"])
    def start_sweep(req: SweepRequest) -> dict[str, Any]:
        """Queue a sweep (api.sweep)."""
        return _job_view(service.start_sweep(req))

    @router.post("/hindcasts", status_code=202, response_model=JobView, responses=BUSY,
                 tags=["work"])
    def start_hindcast(req: HindcastRequest) -> dict[str, Any]:
        """Queue the hindcast of a bundled set of cases (api.hindcast)."""
        return _job_view(service.start_hindcast(req))

    @router.post("/sequences", status_code=202, response_model=JobView, responses=BUSY,
                 tags=["work"])
    def start_sequence(req: SequenceRequest) -> dict[str, Any]:
        """Queue a sequence of dated crises, beliefs carried from one to the next
        (api.sequence); with set or rule, the paired comparison with the baseline. The
        result is kept as kind sequence or sequence-comparison (GET /results/{id})."""
        return _job_view(service.start_sequence(req))

    @router.get("/jobs", response_model=list[JobView], tags=["work"])
    def list_jobs() -> list[dict[str, Any]]:
        """The jobs this server remembers, newest first."""
        return [_job_view(j) for j in service.jobs.list()]

    @router.get("/jobs/{job_id}", response_model=JobView, responses=NOT_FOUND, tags=["work"])
    def poll(job_id: str) -> Any:
        """A job's state and progress (done of total), and its result once done."""
        job = service.jobs.get(job_id)
        return _one(404, f"no job {job_id!r}", "job_id") if job is None else _job_view(job)

    @router.post("/jobs/{job_id}/cancel", response_model=JobView, responses=NOT_FOUND,
                 tags=["work"])
    def cancel(job_id: str) -> Any:
        """Cancel a job: a waiting one at once, a running one at its next progress report;
        nothing of it is kept."""
        job = service.jobs.cancel(job_id)
        return _one(404, f"no job {job_id!r}", "job_id") if job is None else _job_view(job)

    @router.get("/results", response_model=list[ResultRow], tags=["results"])
    def list_results() -> list[dict[str, Any]]:
        """The results store, newest first."""
        return [{**r, "url": f"{API}/results/{r['id']}"} for r in service.results()]

    @router.get("/results/{run_id}", response_model=ResultRecord, responses=NOT_FOUND,
                tags=["results"])
    def show_result(run_id: str) -> Any:
        """One kept record: settings, parameters, report, and its downloads."""
        rec = service.record(run_id)
        if rec is None:
            return _one(404, f"no run {run_id!r} in the results store", "run_id")
        rec = {k: rec[k] for k in ResultRecord.model_fields if k in rec}
        rec["downloads"] = {n: f"{API}/results/{run_id}/files/{n}"
                            for n in service.downloads(run_id)}
        return rec

    @router.get("/results/{run_id}/files/{name}", responses={
        **NOT_FOUND, 200: {"content": {m: {} for m in DOWNLOADS.values()},
                           "description": "The file."}}, tags=["results"])
    def download(run_id: str, name: str) -> Response:
        """A kept record's file: summary.json, scenario.yaml, report.html, or (a run made
        here) trials.parquet."""
        got = service.download(run_id, name)
        if got is None:
            return _one(404, f"no file {name!r} for {run_id!r} (files: "
                        f"{', '.join(DOWNLOADS)})", "name")
        content, media = got
        disposition = "inline" if name == "report.html" else "attachment"
        headers = {"Content-Disposition": f'{disposition}; filename="{run_id}-{name}"'}
        if name == "report.html":  # shown on this origin: no script, no request out of it
            headers["Content-Security-Policy"] = ("sandbox; default-src 'none'; img-src data:; "
                                                  "style-src 'unsafe-inline'")
        if isinstance(content, Path):
            return FileResponse(content, media_type=media, headers=headers)
        return Response(content, media_type=media, headers=headers)

    return router


def _token_ok(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    if given.lower().startswith("bearer ") and hmac.compare_digest(
            given[7:].strip().encode(), token.encode()):
        return True
    cookie = request.cookies.get(TOKEN_COOKIE, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), token.encode())


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The application for `settings` (the defaults: the default store, in-process runs)."""
    settings = settings or WebSettings()
    api.check_options(backend=settings.backend, workers=settings.workers,
                      address=settings.address)
    service = Service(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        service.jobs.stop()

    app = FastAPI(title="alliancesim", version=__version__, lifespan=lifespan,
                  openapi_url=f"{API}/openapi.json", docs_url=f"{API}/docs", redoc_url=None,
                  description="Simulate collective-security alliances in crises: the JSON API "
                  "of `alliancesim serve`. Every run goes through alliancesim.api, so its "
                  "numbers equal `alliancesim run`'s for the same scenario and seed.")
    app.state.service = service
    limit = settings.upload_bytes + BODY_SLACK

    @app.middleware("http")
    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        path = request.url.path
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            return _one(413, f"request too large (at most {limit:,} bytes)")
        if settings.token is not None and path not in ("/login", "/static/app.css"):
            if request.method == "GET" and hmac.compare_digest(
                    request.query_params.get("token", "").encode(), settings.token.encode()):
                login = RedirectResponse(path, status_code=303)
                login.set_cookie(TOKEN_COOKIE, settings.token, httponly=True,
                                 samesite="strict")
                return login
            if not _token_ok(request, settings.token):
                if path.startswith(API):
                    return _one(401, "this server needs its access token (Authorization: "
                                "Bearer TOKEN)", "token")
                return RedirectResponse("/login", status_code=303)
        if (request.method == "POST" and path.startswith(API)
                and request.headers.get("content-type", "").split(";")[0].strip()
                != "application/json"):
            return _one(415, "send JSON (Content-Type: application/json)", "content-type")
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")  # no framing of the forms
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.exception_handler(ScenarioError)
    async def scenario_error(request: Request, exc: ScenarioError) -> JSONResponse:
        return _errors(422, inputs.problems_of(exc))

    @app.exception_handler(UsageError)
    async def usage_error(request: Request, exc: UsageError) -> JSONResponse:
        return _errors(400, inputs.problems_of(exc))

    @app.exception_handler(QueueFullError)
    async def queue_full(request: Request, exc: QueueFullError) -> JSONResponse:
        return _one(429, f"the run queue is full ({settings.max_queue} waiting); try again "
                    "when a run has finished", "queue")

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ())]
            if loc and loc[0] in ("body", "query", "path"):
                loc = loc[1:]
            errors.append({"field": ".".join(loc), "message": str(e.get("msg", "invalid")),
                           "line": None, "source": None})
        return _errors(422, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _one(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception) -> JSONResponse:
        return _one(500, f"internal error: {type(exc).__name__} (a bug in alliancesim)")

    app.include_router(api_router(service))
    app.include_router(pages_router(service))
    static = resources.files("alliancesim.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        """Plotly's JavaScript from the installed plotly package."""
        path = resources.files("plotly") / "package_data" / "plotly.min.js"
        return FileResponse(str(path), media_type="text/javascript",
                            headers={"Cache-Control": "max-age=86400"})

    app.state.csrf_secret = secrets.token_hex(16)
    return app
