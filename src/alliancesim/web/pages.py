"""The pages (Jinja2 templates in templates/, autoescaped: any text a user wrote, a scenario
named <script>... included, is shown as text; figures go to the page as JSON by `tojson`,
which escapes <, > and &).

Forms carry a per-session token (double submit: a random cookie, SameSite=Strict, HttpOnly,
and the same value in a hidden field), checked on every POST before anything else; the JSON
calls the pages' script makes (poll, cancel) are same-origin with a JSON body, and the API
refuses any other content type, which a cross-site form cannot send. Every piece of work
goes through the same Service as the JSON API.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from alliancesim import api
from alliancesim.scenario.errors import ScenarioError, UsageError
from alliancesim.web import charts, forms, inputs
from alliancesim.web.inputs import ScenarioInput
from alliancesim.web.jobs import QueueFullError
from alliancesim.web.service import (
    BuildRequest,
    CompareRequest,
    HindcastRequest,
    RunRequest,
    SequenceRequest,
    Service,
    SweepRequest,
)

CSRF_COOKIE = "alliancesim_csrf"
TOKEN_COOKIE = "alliancesim_token"
RULE = "alliance_changes.decision_rule"
# each rule as changes to the scenario's own: consensus keeps the scenario's consensus_from
# (the rung from which all must agree); another rule replaces the mapping, without it
RULES: dict[str, dict[str, Any]] = {
    "consensus": {f"{RULE}.rule": "consensus"},
    "two-thirds": {RULE: {"rule": "qualified_majority", "threshold": 0.667}},
    "simple majority": {RULE: {"rule": "simple_majority"}},
    "the leader decides": {RULE: {"rule": "leader"}}}
SWEEP_PATHS = ("parameters.council.leader_weight", "parameters.council.coefficients.leader_stake",
               "parameters.council.coefficients.affinity_victim",
               "parameters.council.coefficients.cost", "alliance_changes.decision_rule.rule")


def _environment() -> Environment:
    folder = resources.files("alliancesim.web") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                      lstrip_blocks=True)
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f}%"
    env.filters["num"] = lambda v: "-" if v is None else f"{v:,.0f}"
    env.filters["q"] = lambda v: quote(str(v), safe="")
    return env


ENV = _environment()


def csrf_ok(request: Request, given: Any) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and isinstance(given, str) and hmac.compare_digest(cookie, given)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    """A page, with the session's form token (made on the first page a browser opens)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    html = ENV.get_template(template).render(csrf=token, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


def _problems(exc: ScenarioError | UsageError) -> list[dict[str, Any]]:
    return inputs.problems_of(exc)


def pages_router(service: Service) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def forbidden(request: Request) -> Response:
        return render(request, "error.html", 403, title="Form expired",
                      message="This form's session token is missing or wrong (a form from "
                      "another site, or an old page). Reload the page and try again.")

    def not_found(request: Request, what: str) -> Response:
        return render(request, "error.html", 404, title="Not found", message=what)

    def queue_full(request: Request) -> Response:
        return render(request, "error.html", 429, title="The run queue is full",
                      message=f"{service.settings.max_queue} runs are waiting. Try again when "
                      "one has finished.")

    async def queue_job(request: Request, start: Callable[[], Any],
                        invalid: Callable[[list[dict[str, Any]]], Response],
                        schema: bool = False) -> Response:
        """A form's job: started off the event loop; 303 to its page, the form again (422)
        with each problem of bad input beside its field (`invalid`; with schema, the request
        model's own validation errors too), 429 when the queue is full."""
        try:
            job = await run_in_threadpool(start)
        except (ScenarioError, UsageError) as exc:
            return await run_in_threadpool(invalid, _problems(exc))
        except ValidationError as exc:
            if not schema:
                raise
            return await run_in_threadpool(invalid, [
                {"field": ".".join(str(x) for x in e["loc"]), "message": e["msg"],
                 "line": None, "source": None} for e in exc.errors()])
        except QueueFullError:
            return queue_full(request)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    # ---------------------------------------------------------------- scenarios
    def scenario_rows() -> list[dict[str, Any]]:
        rows = [{"name": n, "title": sc.title, "crises": len(sc.crises),
                 "alliance": sc.alliance if isinstance(sc.alliance, str) else sc.alliance.id,
                 "origin": "bundled"} for n, sc in api.list_scenarios()]
        for name in inputs.user_scenarios(service.files):
            try:
                sc = inputs.by_name(name, service.files)
            except (ScenarioError, UsageError):
                continue
            rows.append({"name": name, "title": sc.title, "crises": len(sc.crises),
                         "alliance": sc.alliance if isinstance(sc.alliance, str)
                         else sc.alliance.id, "origin": "yours (uploaded)"})
        return rows

    @router.get("/")
    def index(request: Request) -> Response:
        return render(request, "index.html", scenarios=scenario_rows(), errors=[])

    @router.post("/upload")
    async def upload(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        limit = service.settings.upload_bytes
        file, text = form.get("file"), form.get("text")
        if isinstance(file, UploadFile) and file.filename:
            raw = await file.read(limit + 1)
        elif isinstance(text, str) and text.strip():
            raw = text.encode("utf-8")
        else:
            raw = b""
        errors: list[dict[str, Any]] = []
        if not raw:
            errors = [{"field": "file", "message": "choose a YAML file or paste its text",
                       "line": None, "source": None}]
        elif len(raw) > limit:
            errors = [{"field": "file", "message": f"too large (at most {limit:,} bytes)",
                       "line": None, "source": None}]
        else:
            try:
                name = await run_in_threadpool(inputs.save_upload, raw.decode("utf-8"),
                                               service.files, max_bytes=limit)
                return RedirectResponse(f"/scenarios/{quote(name, safe='')}", 303)
            except UnicodeDecodeError:
                errors = [{"field": "file", "message": "not UTF-8 text", "line": None,
                           "source": None}]
            except (ScenarioError, UsageError) as exc:
                errors = _problems(exc)
        return render(request, "index.html", 422, scenarios=scenario_rows(), errors=errors)

    def scenario_page(request: Request, name: str, status: int = 200,
                      errors: list[dict[str, Any]] | None = None,
                      yaml_text: str | None = None, submitted: dict[str, str] | None = None
                      ) -> Response:
        """The scenario's page; `errors` of the form beside its fields, or (with `yaml_text`)
        of the YAML editor above it."""
        sc = inputs.by_name(name, service.files)
        groups = forms.form_groups(sc)
        yaml_errors = (errors or []) if yaml_text is not None else []
        errors = (errors or []) if yaml_text is None else []
        by_field = {forms.field_of(e["field"]): e["message"] for e in errors if e["field"]}
        known = {f.path for g in groups for f in g.fields}
        loose = [e for e in errors if forms.field_of(e["field"]) not in known]
        return render(request, "scenario.html", status, name=name, scenario=sc,
                      groups=groups, by_field=by_field, loose=loose,
                      submitted=submitted or {}, yaml_errors=yaml_errors,
                      yaml_text=yaml_text if yaml_text is not None else
                      inputs.source_text(name, service.files),
                      max_trials=service.settings.max_trials)

    def known_scenario(name: str) -> bool:
        return name in inputs.bundled_names() or name in inputs.user_scenarios(service.files)

    @router.get("/scenarios/{name}")
    def scenario(request: Request, name: str) -> Response:
        if not known_scenario(name):
            return not_found(request, f"No scenario or case named {name!r}.")
        return scenario_page(request, name)

    @router.post("/scenarios/{name}/run")
    async def run_form(request: Request, name: str) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        if not known_scenario(name):
            return not_found(request, f"No scenario or case named {name!r}.")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}

        def start() -> Any:
            sc = inputs.by_name(name, service.files)
            changes = forms.changes_of(sc, fields)
            return service.start_run(RunRequest(scenario=ScenarioInput(name=name,
                                                                       changes=changes)))
        return await queue_job(request, start, lambda problems: scenario_page(
            request, name, 422, problems, None, fields))

    @router.post("/scenarios/{name}/yaml")
    async def run_yaml(request: Request, name: str) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        if not known_scenario(name):
            return not_found(request, f"No scenario or case named {name!r}.")
        text = form.get("yaml")
        text = text if isinstance(text, str) else ""
        return await queue_job(
            request, lambda: service.start_run(RunRequest(scenario=ScenarioInput(
                yaml=text.replace("\r\n", "\n"), label="YAML editor"))),
            lambda problems: scenario_page(request, name, 422, problems, text))

    # ---------------------------------------------------------------- jobs
    @router.get("/jobs/{job_id}")
    def job_page(request: Request, job_id: str) -> Response:
        job = service.jobs.get(job_id)
        if job is None:
            return not_found(request, f"No job {job_id!r} on this server.")
        return render(request, "job.html", job=job.public())

    @router.post("/jobs/{job_id}/cancel")
    async def cancel_form(request: Request, job_id: str) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        if service.jobs.cancel(job_id) is None:
            return not_found(request, f"No job {job_id!r} on this server.")
        return RedirectResponse(f"/jobs/{job_id}", 303)

    # ---------------------------------------------------------------- results
    @router.get("/results")
    def results(request: Request) -> Response:
        return render(request, "results.html", rows=service.results(),
                      jobs=[j.public() for j in service.jobs.list()[:20]])

    @router.get("/results/{run_id}")
    def result(request: Request, run_id: str) -> Response:
        rec = service.record(run_id)
        if rec is None:
            return not_found(request, f"No result {run_id!r} in the results store.")
        report = rec["report"]
        context: dict[str, Any] = {"rec": rec, "report": report,
                                   "downloads": service.downloads(run_id)}
        if rec["kind"] == "run":
            context["crises"] = [(c, charts.run_charts(c)) for c in report["crises"]]
        elif rec["kind"] == "compare":
            context["crises"] = [(c, charts.compare_charts(c, report["variants"]))
                                 for c in report["crises"]]
        elif rec["kind"] == "sweep":
            context["sweeps"] = charts.sweep_charts(report)
        elif rec["kind"] == "hindcast":
            context["charts"] = charts.hindcast_charts(report)
        elif rec["kind"] in SEQUENCE_KINDS:
            context.update(sequence_context(report))
            return render(request, "result_sequence.html", **context)
        return render(request, f"result_{rec['kind']}.html"
                      if rec["kind"] in ("run", "compare", "sweep", "hindcast")
                      else "result_other.html", **context)

    # ---------------------------------------------------------------- compare, sweep
    def names() -> list[str]:
        return [r["name"] for r in scenario_rows()]

    @router.get("/compare")
    def compare_page(request: Request) -> Response:
        return render(request, "compare.html", names=names(), rules=list(RULES), errors=[],
                      chosen={})

    @router.post("/compare")
    async def compare_form(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        chosen = {k: v for k, v in form.items() if isinstance(v, str)}
        base = chosen.get("scenario", "")
        rules = [r for r in RULES if chosen.get(f"rule.{r}")]
        trials = chosen.get("trials", "").strip()

        def start() -> Any:
            if len(rules) < 2:
                raise UsageError("tick two decision rules or more", param="rules")
            variants = [ScenarioInput(name=base, label=r, changes=RULES[r]) for r in rules]
            return service.start_compare(CompareRequest(
                variants=variants, trials=_int(trials, "trials")))
        return await queue_job(request, start, lambda problems: render(
            request, "compare.html", 422, names=names(), rules=list(RULES), errors=problems,
            chosen=chosen))

    @router.get("/sweep")
    def sweep_page(request: Request) -> Response:
        return render(request, "sweep.html", names=names(), paths=SWEEP_PATHS, errors=[],
                      chosen={"path": SWEEP_PATHS[0], "values": "0:1:5"},
                      max_points=service.settings.max_sweep_points)

    @router.post("/sweep")
    async def sweep_form(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        chosen = {k: v for k, v in form.items() if isinstance(v, str)}

        def start() -> Any:
            path, values = chosen.get("path", "").strip(), chosen.get("values", "").strip()
            spec: str | list[Any] = values if ":" in values and "{" not in values else [
                v.strip() for v in values.split(",") if v.strip()]
            if isinstance(spec, list):
                spec = [_number(v) for v in spec]
            return service.start_sweep(SweepRequest(
                scenario=ScenarioInput(name=chosen.get("scenario", "")), vary={path: spec},
                trials=_int(chosen.get("trials", "").strip(), "trials")))
        return await queue_job(request, start, lambda problems: render(
            request, "sweep.html", 422, names=names(), paths=SWEEP_PATHS, errors=problems,
            chosen=chosen, max_points=service.settings.max_sweep_points))

    # ---------------------------------------------------------------- a sequence
    def sequence_form(request: Request, status: int = 200,
                      errors: list[dict[str, Any]] | None = None,
                      chosen: dict[str, str] | None = None) -> Response:
        """The sequence's form; each error beside its field (scenario, trials, seed,
        observed, set, rule), the others above the form."""
        chosen = chosen or {}
        rows = scenario_rows()
        name = chosen.get("scenario") or (SEQUENCE_DEFAULT if any(
            r["name"] == SEQUENCE_DEFAULT for r in rows) else rows[0]["name"])
        crises: list[str] = []
        if any(r["name"] == name for r in rows):
            try:
                crises = [c.id for c in inputs.by_name(name, service.files).crises]
            except (ScenarioError, UsageError):
                crises = []
        errors = errors or []
        by_field = {e["field"].split(".")[0]: e["message"] for e in errors
                    if e["field"].split(".")[0] in SEQUENCE_FIELDS}
        loose = [e for e in errors if e["field"].split(".")[0] not in SEQUENCE_FIELDS]
        return render(request, "sequence.html", status, names=[r["name"] for r in rows],
                      name=name, crises=crises, rungs=charts.RUNGS, rules=SEQUENCE_RULE_HINTS,
                      chosen=chosen, by_field=by_field, loose=loose, rows=SET_ROWS,
                      max_trials=service.settings.max_trials)

    @router.get("/sequence")
    def sequence_page(request: Request, scenario: str = "") -> Response:
        return sequence_form(request, chosen={"scenario": scenario[:200]} if scenario else {})

    @router.post("/sequence")
    async def sequence_post(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        chosen = {k: v for k, v in form.items() if isinstance(v, str)}

        def start() -> Any:
            sets = []
            for i in range(SET_ROWS):
                crisis = chosen.get(f"set_crisis.{i}", "").strip()
                rung = chosen.get(f"set_rung.{i}", "").strip()
                if crisis or rung:
                    sets.append(f"{crisis}={rung}")
            return service.start_sequence(SequenceRequest(
                scenario=ScenarioInput(name=chosen.get("scenario", "")),
                trials=_int(chosen.get("trials", "").strip(), "trials"),
                seed=_int(chosen.get("seed", "").strip(), "seed"),
                observed=chosen.get("observed") == "on", set=sets,
                rule=chosen.get("rule", "").strip() or None))
        return await queue_job(request, start, lambda problems: sequence_form(
            request, 422, problems, chosen), schema=True)

    # ---------------------------------------------------------------- the record
    @router.get("/hindcast")
    def hindcast_page(request: Request) -> Response:
        rec = service.latest("hindcast")
        return render(request, "hindcast.html", rec=rec, report=rec and rec["report"],
                      charts=charts.hindcast_charts(rec["report"]) if rec else [])

    @router.post("/hindcast")
    async def hindcast_form(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        try:
            job = await run_in_threadpool(service.start_hindcast, HindcastRequest())
        except QueueFullError:
            return queue_full(request)
        return RedirectResponse(f"/jobs/{job.id}", 303)

    @router.get("/cases")
    def cases(request: Request) -> Response:
        sets = [(s, [c.model_dump(mode="json") for c in api.load_case_sets([s])])
                for s in ("bundled", "beyond")]
        return render(request, "cases.html", sets=sets)

    @router.get("/cases/{case_id}")
    def case(request: Request, case_id: str) -> Response:
        for c in api.load_case_sets(["bundled", "beyond"]):
            if c.id == case_id:
                return render(request, "case.html", case=c.model_dump(mode="json"),
                              yaml_text=api.scenario_source(case_id))
        return not_found(request, f"No case {case_id!r}.")

    # ---------------------------------------------------------------- from the datasets
    @router.get("/build")
    def build_page(request: Request, alliance: str = "", year: str = "") -> Response:
        datasets = service.datasets()
        crises: list[dict[str, Any]] = []
        notes: list[str] = []
        errors: list[dict[str, Any]] = []
        if alliance and year and datasets:
            try:
                found = service.crises(alliance[:60], _year(year))
                crises, notes = found
            except (ScenarioError, UsageError) as exc:
                errors = _problems(exc)
        return render(request, "build.html", 422 if errors else 200, datasets=datasets,
                      alliance=alliance, year=year, crises=crises, notes=notes,
                      errors=errors)

    @router.post("/build")
    async def build_form(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form.get("csrf")):
            return forbidden(request)
        chosen = {k: v for k, v in form.items() if isinstance(v, str)}

        def build() -> str:
            name, _ = service.build(BuildRequest(
                alliance=chosen.get("alliance", "")[:60], year=_year(chosen.get("year", "")),
                crisis=chosen.get("crisis") or None))
            return name
        try:
            name = await run_in_threadpool(build)
        except (ScenarioError, UsageError) as exc:
            return render(request, "build.html", 422, datasets=service.datasets(),
                          alliance=chosen.get("alliance", ""), year=chosen.get("year", ""),
                          crises=[], notes=[], errors=_problems(exc))
        return RedirectResponse(f"/scenarios/{quote(name, safe='')}", 303)

    # ---------------------------------------------------------------- the token
    @router.get("/login")
    def login(request: Request) -> Response:
        return render(request, "login.html", wrong=False)

    @router.post("/login")
    async def login_form(request: Request) -> Response:
        form = await request.form()
        given, token = form.get("token"), service.settings.token
        if token is None:
            return RedirectResponse("/", 303)
        if isinstance(given, str) and hmac.compare_digest(given.encode(), token.encode()):
            response = RedirectResponse("/", 303)
            response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response
        return render(request, "login.html", 401, wrong=True)

    return router


SEQUENCE_DEFAULT = "csto-sequence-2020-2023"  # the bundled CSTO sequence (data/scenarios)
SEQUENCE_KINDS = ("sequence", "sequence-comparison")
SEQUENCE_FIELDS = ("scenario", "trials", "seed", "observed", "set", "rule")
SEQUENCE_RULE_HINTS = ("consensus", "qualified_majority:0.667", "simple_majority", "leader")
SET_ROWS = 3  # CRISIS=RUNG rows on the form


def sequence_context(report: dict[str, Any]) -> dict[str, Any]:
    """What the sequence's result page shows besides its charts: the run whose paths are
    drawn (the variant of a comparison), its crises (date, crisis, victim, coverage, the
    likeliest response or the forced one, P(victim out)) and, for a comparison, the paired
    differences at the end."""
    comparison = report.get("kind") == "sequence-comparison"
    shown = report["variant"] if comparison else report
    crises = [{**c, "likeliest": charts.likeliest(c["rung_probabilities"])}
              for c in shown["crises"]]
    paired = None
    if comparison:
        paired = [{"member": f["member"], "frozen": f, "belief": b} for f, b in zip(
            report["p_frozen_end"], report["belief_end"], strict=True)]
        paired.append({"member": "credibility", "frozen": None,
                       "belief": report["credibility_end"]})
    return {"comparison": comparison, "shown": shown, "crisis_rows": crises,
            "paired": paired, "charts": charts.sequence_charts(report)}


def _int(text: str, field: str) -> int | None:
    """A whole number typed in a form, or None for a blank field."""
    if not text:
        return None
    try:
        return int(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise UsageError("a whole number", param=field, value=text) from None


def _year(text: str) -> int:
    """A year typed in a form (1816-2100, the datasets' span at most)."""
    year = int(text) if text.strip().isdigit() else None
    if year is None or not 1816 <= year <= 2100:
        raise UsageError("a year from 1816 to 2100", param="year", value=text)
    return year


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text
