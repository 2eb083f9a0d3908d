"""The pages (Jinja2 templates in templates/, autoescaped: any text a user wrote, a scenario
named <script>... included, is shown as text).

Forms carry a per-session token (double-submit: a random cookie, SameSite=Strict, and the same
value in a hidden field), checked on every POST; the JSON calls the pages' script makes are
same-origin with a JSON body (the API refuses any other content type), which a cross-site form
cannot send.
"""

from __future__ import annotations

import hmac
import secrets
from importlib import resources
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from alliancesim import api
from alliancesim.web.service import Service

CSRF_COOKIE = "alliancesim_csrf"


def _environment() -> Environment:
    folder = resources.files("alliancesim.web") / "templates"
    return Environment(loader=FileSystemLoader(str(folder)),
                       autoescape=select_autoescape(["html", "j2"]), trim_blocks=True,
                       lstrip_blocks=True)


ENV = _environment()


def csrf_of(request: Request) -> str:
    """The session's form token (made on the first page a browser opens)."""
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def csrf_ok(request: Request, given: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and given is not None and hmac.compare_digest(cookie, given)


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    token = csrf_of(request)
    html = ENV.get_template(template).render(csrf=token, request_path=request.url.path,
                                             **context)
    response = HTMLResponse(html, status_code=status)
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
    return response


def pages_router(service: Service) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/")
    def index(request: Request) -> Response:
        scenarios = [(n, sc.title) for n, sc in api.list_scenarios()]
        return render(request, "index.html", scenarios=scenarios)

    return router
