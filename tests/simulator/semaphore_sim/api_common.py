"""What every /api handler shares: JSON answers, request parsing and the project check.

Conventions of §1 (empty bodies say JSON, ``{"error":...}``, 400 for bad bodies and ids) and the
project authorisation of §2.3. §n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from .auth import AuthResult
from .core import SIM_KEY, Simulator
from .state import Project, Task, Template

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Route = tuple[str, str, Handler]
JSON_TYPE = "application/json"
INT_RE = re.compile(r"^[+-]?\d+$")
PUBLIC = "public"
Owned = TypeVar("Owned", Task, Template)


class Reply(Exception):
    """Short-circuit a handler with a finished response."""

    def __init__(self, response: web.Response) -> None:
        super().__init__(response.status)
        self.response = response


# ---- response helpers ------------------------------------------------------------------------
def empty(status: int) -> web.Response:
    """§1: even empty answers say ``Content-Type: application/json``."""
    response = web.Response(status=status)
    response.headers["Content-Type"] = JSON_TYPE
    return response


def send_json(data: Any, status: int = 200) -> web.Response:
    """A JSON body like Go's encoder writes it."""
    response = web.Response(status=status, body=json.dumps(data, separators=(",", ":"),
                                                           ensure_ascii=False).encode("utf-8"))
    response.headers["Content-Type"] = JSON_TYPE
    return response


def error(status: int, message: str) -> web.Response:
    """§1: JSON errors are ``{"error":"..."}``."""
    return send_json({"error": message}, status)


def not_found_text() -> web.Response:
    """§1: unknown path -> 404 ``Not Found\\n`` (plain text, before authentication)."""
    return web.Response(status=404, text="Not Found\n", content_type="text/plain")


def web_ui_page() -> web.Response:
    """Any path outside /api is the web UI's page, 200 and HTML, whatever the method (seen on a real 2.10.32)."""
    return web.Response(text=WEB_UI_HTML, content_type="text/html")


WEB_UI_HTML = '<!DOCTYPE html><html><head><title>Semaphore UI</title></head><body><div id="app"></div></body></html>\n'


def public(func: Handler) -> Handler:
    """Mark a handler as needing no authentication."""
    setattr(func, PUBLIC, True)
    return func


# ---- request helpers -------------------------------------------------------------------------
def sim_of(request: web.Request) -> Simulator:
    """The simulator behind this app."""
    return request.app[SIM_KEY]


def auth_of(request: web.Request) -> AuthResult:
    """The authentication result the middleware stored."""
    result: AuthResult = request["auth"]
    return result


def _bad_id(request: web.Request, response: web.Response) -> Reply:
    """§1 GetIntParam: ``response``, or 302 to /404 when Accept contains text/html."""
    if "text/html" in request.headers.get("Accept", ""):
        redirect = empty(302)
        redirect.headers["Location"] = "/404"
        return Reply(redirect)
    return Reply(response)


def int_param(request: web.Request, name: str) -> int:
    """§1 GetIntParam: 400, or 302 to /404 when Accept contains text/html."""
    raw = request.match_info[name]
    if not INT_RE.match(raw):
        raise _bad_id(request, empty(400))
    return int(raw)


async def read_json(request: web.Request) -> Any:
    """§1: an empty body or invalid JSON gives 400 with an empty body."""
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Reply(empty(400)) from None


def check_types(body: dict[str, Any], spec: dict[str, type | tuple[type, ...]]) -> None:
    """Go's decoder: a type mismatch in a known field is a 400 with an empty body; null is fine."""
    for key, expected in spec.items():
        value = body.get(key)
        if value is None:
            continue
        if isinstance(value, bool) and expected is not bool and not (isinstance(expected, tuple) and bool in expected):
            raise Reply(empty(400))
        if expected is int and isinstance(value, float) and value.is_integer():
            continue
        if not isinstance(value, expected):
            raise Reply(empty(400))


# ---- projects (§2.3) -------------------------------------------------------------------------
def project_of(request: web.Request) -> tuple[Project, int]:
    """§2.3 ProjectMiddleware: 400 for a bad id, 404 for non-members and missing projects."""
    raw = request.match_info["project_id"]
    if not INT_RE.match(raw):
        raise _bad_id(request, error(400, "Invalid project ID"))
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    project = sim.store.projects.get(int(raw))
    if project is None or (user.id not in project.members and not user.admin):
        raise Reply(empty(404))
    return project, sim.store.permissions(user, project)


def require(perms: int, bit: int) -> None:
    """§2.3 GetMustCanMiddleware: writes without the bit get 403."""
    if not perms & bit:
        raise Reply(empty(403))


def project_item(request: web.Request, project: Project, items: dict[int, Owned], param: str,
                 missing: int) -> Owned:
    """The object whose id is in the path parameter ``param``, if it belongs to ``project``; otherwise
    ``missing`` with an empty body."""
    item = items.get(int_param(request, param))
    if item is None or item.project_id != project.id:
        raise Reply(empty(missing))
    return item
