"""The /api routes, conventions (§1) and authentication (§2) as aiohttp handlers and middlewares."""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from . import control, output, views
from .auth import AuthResult, authenticate, bearer_token, totp_valid
from .core import SIM_KEY, Simulator
from .faults import HTML_PAGE, redact_path
from .profiles import Profile
from .state import PERM_MANAGE, PERM_RUN, Project, Session, Task, Template, Token, WsClient, new_token_secret
from .timefmt import fmt_time, now_ns, parse_time, truncate

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
JSON_TYPE = "application/json"
TOKEN_PREFIX_RE = re.compile(r"^[A-Za-z0-9_=-]{8,}$")  # §5 DELETE from v2.14
INT_RE = re.compile(r"^[+-]?\d+$")
SORT_COLUMNS = ("name", "playbook", "inventory", "environment", "repository")  # §6 GET templates
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PUBLIC = "public"


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


def sim_of(request: web.Request) -> Simulator:
    """The simulator behind this app."""
    return request.app[SIM_KEY]


def auth_of(request: web.Request) -> AuthResult:
    """The authentication result the middleware stored."""
    result: AuthResult = request["auth"]
    return result


def int_param(request: web.Request, name: str) -> int:
    """§1 GetIntParam: 400, or 302 to /404 when Accept contains text/html."""
    raw = request.match_info[name]
    if not INT_RE.match(raw):
        if "text/html" in request.headers.get("Accept", ""):
            response = empty(302)
            response.headers["Location"] = "/404"
            raise Reply(response)
        raise Reply(empty(400))
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


# ---- middlewares -----------------------------------------------------------------------------
def _auth_kind(request: web.Request) -> str:
    if bearer_token(request.headers.get("Authorization")) is not None:
        return "bearer"
    if request.cookies.get("semaphore"):
        return "cookie"
    return "none"


@web.middleware
async def log_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Write every non-control request to the request log (redacted)."""
    if request.path.startswith("/_sim"):
        return await handler(request)
    status: int | None = None
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        auth: AuthResult | None = request.get("auth")
        presented = bearer_token(request.headers.get("Authorization"))
        sim_of(request).log.add({
            "method": request.method, "path": redact_path(request.path), "query": request.query_string,
            "status": 0 if request.get("fault") == "drop" else status,
            "auth": auth.kind if auth is not None else _auth_kind(request),
            "user": auth.user.username if auth is not None and auth.user is not None else None,
            "token_prefix": presented[:8] if presented is not None else None,
            "fault": request.get("fault"),
        })


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError()


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Injected faults (control API): delay, status, html, drop, truncate."""
    if request.path.startswith("/_sim"):
        return await handler(request)
    fault = sim_of(request).faults.take(request.method, request.path)
    if fault is None:
        return await handler(request)
    request["fault"] = fault.kind
    real: web.StreamResponse | None = None
    if fault.kind == "truncate" or fault.after_processing:
        real = await handler(request)
    if fault.delay > 0 or fault.kind == "delay":
        await asyncio.sleep(max(fault.delay, 0.0))
        if fault.kind == "delay":
            return real if real is not None else await handler(request)
    if fault.kind == "drop":
        return _drop(request)
    if fault.kind == "truncate":
        body = real.body if isinstance(real, web.Response) and isinstance(real.body, bytes) else b""
        if not body:
            body = b'{"id":1,"status":"wai'
        cut = web.Response(status=real.status if real is not None else 200, body=body[: max(len(body) // 2, 1)])
        cut.headers["Content-Type"] = JSON_TYPE
        return cut
    status = fault.status or (502 if fault.kind == "html" else 500)
    reason = web.Response(status=status).reason
    if fault.kind == "html":
        response = web.Response(status=status, text=HTML_PAGE.format(status=status, reason=reason),
                                content_type="text/html")
    else:
        response = web.Response(status=status, text=f"{status} {reason}\n", content_type="text/plain")
    if fault.retry_after is not None:
        response.headers["Retry-After"] = fault.retry_after
    return response


def _cross_origin(request: web.Request) -> bool:
    """§2.2 (2026): Origin/Referer host differs from the request host."""
    for header in ("Origin", "Referer"):
        value = request.headers.get(header)
        if value:
            return urlsplit(value).netloc.lower() != request.host.lower()
    return False


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """§1 routing conventions and §2 authentication."""
    match_info = request.match_info
    http_exc = getattr(match_info, "http_exception", None)
    if isinstance(http_exc, web.HTTPMethodNotAllowed):
        return empty(405)  # §1: wrong method on a known path
    if isinstance(http_exc, web.HTTPNotFound):
        if request.path.startswith("/api/") or request.path.startswith("/_sim"):
            return not_found_text()
        return web_ui_page()
    route_handler = match_info.handler
    if getattr(route_handler, PUBLIC, False) or request.path.startswith("/_sim"):
        try:
            return await handler(request)
        except Reply as reply:
            return reply.response
    sim = sim_of(request)
    result = authenticate(sim.store, request.headers.get("Authorization"), request.cookies.get("semaphore"))
    request["auth"] = result
    if result.user is None:
        return error(401, result.error) if result.error else empty(401)
    if (sim.profile.csrf_origin_check and result.kind == "cookie" and request.method in WRITE_METHODS
            and _cross_origin(request)):
        return error(403, "CROSS_ORIGIN_REQUEST_BLOCKED")
    try:
        return await handler(request)
    except Reply as reply:
        return reply.response


def public(func: Handler) -> Handler:
    """Mark a handler as needing no authentication."""
    setattr(func, PUBLIC, True)
    return func


# ---- misc, auth and user ---------------------------------------------------------------------
@public
async def ping(_request: web.Request) -> web.Response:
    """§4: text/plain ``pong``."""
    return web.Response(text="pong", content_type="text/plain")


async def info(request: web.Request) -> web.Response:
    """§4 /api/info: keys by version."""
    sim = sim_of(request)
    profile = sim.profile
    values: dict[str, Any] = {
        "version": profile.version,
        "ansible": "ansible [core 2.17.5]\n  python version = 3.11.9",
        "web_host": sim.options.web_host, "use_remote_runner": False,
        "premium_features": {"project_runners": False, "terraform_backend": False, "task_summary": False},
        "auth_methods": {"totp": {"enabled": profile.totp, "allow_recovery": False}},
        "git_client": "cmd_git", "schedule_timezone": "UTC" if profile.name >= "2.17" else "",
        "teams": False, "roles": [],
        "features": {"project_runners": False, "terraform_backend": False, "task_summary": False},
        "subscription_state": "none", "login_with_password": True, "boltdb_used": False,
    }
    return send_json({key: values[key] for key in profile.info_keys})


@public
async def login_metadata(request: web.Request) -> web.Response:
    """§3 GET /api/auth/login."""
    profile = sim_of(request).profile
    data: dict[str, Any] = {"oidc_providers": [], "login_with_password": True}
    if profile.totp:
        data["auth_methods"] = {"totp": {"allow_recovery": False}}
    if profile.login_ldap_metadata:
        data["ldap_providers"] = []
        data["login_with_ldap"] = False
    return send_json(data)


@public
async def login(request: web.Request) -> web.Response:
    """§3 POST /api/auth/login: 204 + cookie, 401 on bad credentials, 400 on non-JSON."""
    sim = sim_of(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    if sim.profile.login_method:
        # §3 (2026): method "" | "password" | "ldap", provider = LDAP provider id. No LDAP provider is
        # configured here, so "ldap" fails with 401 like any LDAP failure; other values log in with the
        # password. Older versions ignore both fields like any unknown field.
        check_types(body, {"auth": str, "password": str, "method": str, "provider": str})
    else:
        check_types(body, {"auth": str, "password": str})
    auth = str(body.get("auth") or "").lower()
    password = str(body.get("password") or "")
    user = sim.store.find_user_by_login(auth)
    ldap = sim.profile.login_method and str(body.get("method") or "").lower() == "ldap"
    if (ldap or user is None or not password
            or not secrets.compare_digest(user.password.encode(), password.encode())):
        request["auth"] = AuthResult(kind="none")
        return empty(401)
    now = now_ns()
    cookie = secrets.token_urlsafe(32)
    session = Session(id=sim.store.next_session_id, cookie=cookie, user_id=user.id, created=now, last_active=now,
                      verified=not (sim.profile.totp and user.totp_secret))
    sim.store.next_session_id += 1
    sim.store.sessions[cookie] = session
    sim.remember("cookies", cookie)
    request["auth"] = AuthResult(kind="none", user=user)
    response = empty(204)
    # findings f: Secure only when the configured web_host is https:// (not the request's scheme)
    secure = sim.profile.cookie_secure_web_host and sim.options.web_host.lower().startswith("https://")
    response.set_cookie("semaphore", cookie, path="/", httponly=sim.profile.cookie_httponly or None,
                        samesite="Lax" if sim.profile.cookie_samesite else None, secure=secure or None)
    return response


@public
async def logout(request: web.Request) -> web.Response:
    """§3: always 204; blanks the cookie; expires the session from v2.14."""
    sim = sim_of(request)
    session = sim.store.sessions.get(request.cookies.get("semaphore", ""))
    if session is not None and sim.profile.logout_expires_session:
        session.expired = True
    response = empty(204)
    if sim.profile.logout_cookie_week_ago:
        # recorded 2.10.32: an empty unquoted value and an Expires a week back (aiohttp would quote "")
        week_ago = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() - 7 * 86400))
        response.headers["Set-Cookie"] = f"semaphore=; Path=/; Expires={week_ago}"
        return response
    response.set_cookie("semaphore", "", path="/", expires="Thu, 01 Jan 1970 00:00:00 GMT", max_age=0)
    return response


def _session_for_verify(request: web.Request) -> Session:
    session = sim_of(request).store.sessions.get(request.cookies.get("semaphore", ""))
    if session is None or session.expired:
        raise Reply(empty(401))
    return session


@public
async def verify(request: web.Request) -> web.Response:
    """§3 POST /api/auth/verify: 200 empty on success, 401 INVALID_PASSCODE, 204 if nothing to verify."""
    sim = sim_of(request)
    session = _session_for_verify(request)
    request["auth"] = AuthResult(kind="cookie", user=sim.store.users.get(session.user_id), session=session)
    if session.verified:
        return empty(204)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    check_types(body, {"passcode": str})
    user = sim.store.users.get(session.user_id)
    if user is None or not user.totp_secret or not totp_valid(user.totp_secret, str(body.get("passcode") or "")):
        return error(401, "INVALID_PASSCODE")
    sim.remember("totp_codes", str(body.get("passcode")))
    session.verified = True
    return empty(200)


@public
async def recovery(request: web.Request) -> web.Response:
    """§3 POST /api/auth/recovery: recovery is not allowed in the simulated config."""
    _session_for_verify(request)
    return error(403, "TOTP_DISABLED")


async def get_user(request: web.Request) -> web.Response:
    """§4 GET /api/user."""
    user = auth_of(request).user
    assert user is not None
    return send_json(views.user_json(sim_of(request).profile, user))


# ---- tokens (§5) -----------------------------------------------------------------------------
async def list_tokens(request: web.Request) -> web.Response:
    """§5 GET /api/user/tokens: full secrets before v2.14, 8-char prefixes newest first after."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    tokens = [t for t in sim.store.tokens.values() if t.user_id == user.id]
    if sim.profile.tokens_deleted_by_prefix:
        tokens.sort(key=lambda t: t.created, reverse=True)
    return send_json([views.token_json(sim.profile, t, listing=True) for t in tokens])


async def create_token(request: web.Request) -> web.Response:
    """§5 POST /api/user/tokens: 201 with the only full view of the secret."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    name = ""
    expires_at: int | None = None
    if sim.profile.token_names and (request.content_length or 0) > 0:
        body = await read_json(request)
        if not isinstance(body, dict):
            return empty(400)
        check_types(body, {"name": str, "expires_at": str})
        name = str(body.get("name") or "")
        if body.get("expires_at"):
            try:
                expires_at = parse_time(str(body["expires_at"]))
            except ValueError:
                return empty(400)
            if expires_at <= now_ns():
                return error(400, "expires_at must be in the future")
    else:
        await request.read()  # any body is ignored before 2026 code
    token = Token(id=new_token_secret(), user_id=user.id, created=truncate(now_ns(), 0), name=name,
                  expires_at=expires_at)
    sim.store.tokens[token.id] = token
    sim.remember("tokens", token.id)
    return send_json(views.token_json(sim.profile, token, listing=False), 201)


async def delete_token(request: web.Request) -> web.Response:
    """§5 DELETE: expire by full id before v2.14; delete by prefix after; 204 either way."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    value = request.match_info["token_id"]
    if not sim.profile.tokens_deleted_by_prefix:
        token = sim.store.tokens.get(value)
        if token is not None and token.user_id == user.id:
            token.expired = True
        return empty(204)
    if not TOKEN_PREFIX_RE.match(value):
        return empty(400)
    for token_id in [t.id for t in sim.store.tokens.values() if t.user_id == user.id and t.id.startswith(value)]:
        del sim.store.tokens[token_id]
    return empty(204)


# ---- projects and templates (§6) -------------------------------------------------------------
def project_of(request: web.Request) -> tuple[Project, int]:
    """§2.3 ProjectMiddleware: 400 for a bad id, 404 for non-members and missing projects."""
    raw = request.match_info["project_id"]
    if not INT_RE.match(raw):
        if "text/html" in request.headers.get("Accept", ""):
            response = empty(302)
            response.headers["Location"] = "/404"
            raise Reply(response)
        raise Reply(error(400, "Invalid project ID"))
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


async def list_projects(request: web.Request) -> web.Response:
    """§6 GET /api/projects: admins see all; sorted by name; at most 200."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    projects = [p for p in sim.store.projects.values() if user.admin or user.id in p.members]
    projects.sort(key=lambda p: p.name)
    return send_json([views.project_json(sim.profile, p) for p in projects[:200]])


async def list_inventories(request: web.Request) -> web.Response:
    """GET /api/project/{id}/inventory: the project's inventories (id, name, project_id, type, inventory)."""
    project, _perms = project_of(request)
    items = [{"id": inv_id, "name": inv.get("name"), "project_id": project.id, "type": inv.get("type", "static"),
              "inventory": inv.get("inventory", "")} for inv_id, inv in sorted(project.inventories.items())]
    if sim_of(request).profile.inventory_key_fields:
        for item in items:  # recorded 2.10.32; the simulator has no keys, so the "None" key (id 1)
            item.update({"ssh_key_id": 1, "become_key_id": None, "holder_id": None, "repository_id": None})
    return send_json(items)


async def get_project(request: web.Request) -> web.Response:
    """§6 GET /api/project/{id}."""
    project, _perms = project_of(request)
    return send_json(views.project_json(sim_of(request).profile, project))


def template_of(request: web.Request, project: Project) -> Template:
    """A template of this project, or 404."""
    template_id = int_param(request, "template_id")
    template = sim_of(request).store.templates.get(template_id)
    if template is None or template.project_id != project.id:
        raise Reply(empty(404))
    return template


def _template_sort_key(project: Project, column: str) -> Callable[[Template], Any]:
    def key(template: Template) -> Any:
        if column == "name":
            return template.name
        if column == "playbook":
            return template.playbook
        table = {"inventory": project.inventories, "environment": project.environments,
                 "repository": project.repositories}[column]
        item = table.get(int(template.data.get(f"{column}_id") or 0), {})
        return str(item.get("name", ""))
    return key


async def list_templates(request: web.Request) -> web.Response:
    """§6 GET templates: sort/order/app; unknown sort -> 400 invalid sort column."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    sort = request.query.get("sort") or "name"
    if sort not in SORT_COLUMNS:
        return error(400, "invalid sort column")
    templates = [t for t in sim.store.templates.values() if t.project_id == project.id]
    app = request.query.get("app")
    if app:
        templates = [t for t in templates if str(t.data.get("app") or "ansible") == app]
    templates.sort(key=lambda t: t.id)
    templates.sort(key=_template_sort_key(project, sort), reverse=request.query.get("order") == "desc")
    return send_json([views.template_json(sim.profile, sim.store, t, None) for t in templates])


async def get_template(request: web.Request) -> web.Response:
    """§6 GET one template (v2.17+ adds ``permissions``)."""
    sim = sim_of(request)
    project, perms = project_of(request)
    template = template_of(request, project)
    return send_json(views.template_json(sim.profile, sim.store, template, perms))


# ---- tasks (§6.1 - §6.7) ---------------------------------------------------------------------
BOOL_PARAMS = ("debug", "dry_run", "diff", "skip_galaxy_install", "plan", "destroy", "auto_approve", "upgrade",
               "reconfigure")
LIST_PARAMS = ("limit", "tags", "skip_tags")
FLAG_FOR_PARAM = {"debug": "allow_debug", "debug_level": "allow_debug", "limit": "allow_override_limit",
                  "tags": "allow_override_tags", "skip_tags": "allow_override_skip_tags"}


def _params_type_ok(params: dict[str, Any]) -> bool:
    """§6.1: params are re-decoded into the typed struct; a mismatch is a 500."""
    for key, value in params.items():
        if value is None:
            continue
        if key in BOOL_PARAMS and not isinstance(value, bool):
            return False
        if key == "debug_level" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                     or (isinstance(value, float) and not value.is_integer())):
            return False
        if key in LIST_PARAMS and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            return False
    return True


def _inventory_hosts(project: Project, inventory_id: int) -> list[str]:
    text = str(project.inventories.get(inventory_id, {}).get("inventory", ""))
    hosts = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("[")]
    return hosts or ["web1", "web2"]


def _template_by_name(sim: Simulator, project: Project, name: str) -> Template | None:
    matches = [t for t in sim.store.templates.values() if t.project_id == project.id and t.name == name]
    return min(matches, key=lambda t: t.id) if matches else None


TASK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "template_id": int, "template_name": str, "message": str, "playbook": str, "environment": str, "secret": str,
    "arguments": str, "git_branch": str, "inventory_id": int, "params": dict, "limit": str, "debug": bool,
    "dry_run": bool, "diff": bool, "build_task_id": int, "version": str,
}


def _resolve_template(sim: Simulator, project: Project, body: dict[str, Any]) -> Template:
    template_id = int(body.get("template_id") or 0)
    if template_id == 0 and sim.profile.template_name_launch:
        name = str(body.get("template_name") or "")
        if not name:
            raise Reply(error(400, "template_id or template_name is required"))
        found = _template_by_name(sim, project, name)
        if found is None:
            raise Reply(empty(404))
        return found
    template = sim.store.templates.get(template_id)
    if template is None or template.project_id != project.id:
        # §6.1: 404 from v2.11; 500 in v2.8-v2.10 (the lookup happened inside the pool)
        raise Reply(empty(sim.profile.unknown_template_status))
    return template


def _effective_params(sim: Simulator, template: Template, body: dict[str, Any]) -> dict[str, Any]:
    """§6.1 / §10: which ``params`` the server keeps for this template and version."""
    params = body.get("params")
    params = dict(params) if isinstance(params, dict) else {}
    if not _params_type_ok(params):
        raise Reply(empty(500))
    limit = str(body.get("limit") or "")
    if sim.profile.deprecated_limit_to_params and "limit" not in params and limit:
        # §6.1: the deprecated top-level limit string becomes params.limit (v2.14.x+)
        params["limit"] = [part.strip() for part in limit.split(",") if part.strip()]
    kept: dict[str, Any] = {}
    for key, value in params.items():
        flag = FLAG_FOR_PARAM.get(key)
        if flag == "allow_debug" and not sim.profile.params_debug_needs_flag:
            flag = None
        if flag in ("allow_override_limit", "allow_override_tags", "allow_override_skip_tags") \
                and not sim.profile.params_limit_tags_need_flags:
            flag = None
        if flag is None or template.flag(flag):
            kept[key] = value
    return kept


async def create_task(request: web.Request) -> web.Response:  # pylint: disable=too-many-locals
    """§6.1 POST /api/project/{id}/tasks: 201 ``waiting``; the run happens in the background."""
    sim = sim_of(request)
    profile = sim.profile
    project, perms = project_of(request)
    require(perms, PERM_RUN)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    check_types(body, TASK_FIELDS)
    template = _resolve_template(sim, project, body)
    user = auth_of(request).user
    assert user is not None
    created = now_ns()
    limit_sent = str(body.get("limit") or "")
    task = Task(id=sim.store.allocate_task_id(), template_id=template.id, project_id=project.id, user_id=user.id,
                created=truncate(created, 6), playbook=str(body.get("playbook") or ""),
                environment=str(body.get("environment") or ""), arguments=body.get("arguments"),
                git_branch=body.get("git_branch") or None, message=str(body.get("message") or ""),
                inventory_id=int(body["inventory_id"]) if body.get("inventory_id") else None,
                build_task_id=body.get("build_task_id"), version=body.get("version"))
    if profile.task_params:
        task.params = _effective_params(sim, template, body)
    if profile.top_level_flags:
        # §6.1: v2.8-v2.13 honour top-level debug/dry_run/diff and the limit column
        task.debug, task.dry_run, task.diff = (bool(body.get("debug")), bool(body.get("dry_run")),
                                               bool(body.get("diff")))
        task.limit = limit_sent
    _record_effective(sim, project, template, task)
    sim.store.tasks[task.id] = task
    environment, env_error = _merge_environment(profile, _template_environment(project, template), task.environment)
    task.effective["environment"] = environment
    if env_error is not None:
        # §6.1, findings b/h: the task row exists, gets one "Error: ..." line and status ``error``, is
        # never queued, and the API answers 500 with an empty body
        sim.write_line_now(task, f"Error: {env_error}")
        sim.set_status(task, "error")
        return empty(500)
    sim.push_update(task)  # §9: an update is sent when the task is queued
    sim.write_line_now(task, output.queued_line(task.id))
    sim.pool.enqueue(task)
    data = views.task_json(profile, sim.store, task)
    data["created"] = _nano(created)
    data["secret"] = "{}"  # §6.1: the secret is replaced by {} before storing
    data["limit"] = limit_sent
    if profile.omit_empty_task:
        data = {key: data[key] for key in _post_order(data)}
    return send_json(data, 201)


def _post_order(data: dict[str, Any]) -> list[str]:
    order = ["id", "template_id", "project_id", "status", "playbook", "environment", "secret", "arguments",
             "git_branch", "user_id", "created", "message", "inventory_id", "params", "limit"]
    return [key for key in order if key in data] + [key for key in data if key not in order]


def _nano(stamp: int) -> str:
    """§1: the create response carries nanoseconds."""
    return str(fmt_time(stamp, 9))


def _go_json_object(text: str) -> tuple[dict[str, Any], str | None]:
    """Go's ``json.Unmarshal`` into a map: the object, or an error message in Go's wording (exact for
    empty and cut-off input, approximate otherwise)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        if position >= len(text.rstrip()):
            return {}, "unexpected end of JSON input"
        return {}, f"invalid character '{text[position]}' looking for beginning of value"
    if value is None:
        return {}, None  # null leaves the map empty
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        return {}, f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return value, None


def _template_environment(project: Project, template: Template) -> str:
    """The JSON of the template's environment; "" when it has none."""
    env_id = template.data.get("environment_id")
    if not env_id:
        return ""
    return str(project.environments.get(int(env_id), {}).get("json") or "")


def _merge_environment(profile: Profile, template_json: str, task_json: str) -> tuple[dict[str, Any], str | None]:
    """findings b: the effective extra variables of a launch, or the error that fails it.

    No task environment: the template's is used as is. Through v2.15 the template's JSON is parsed even
    when empty (error ``unexpected end of JSON input``) and its keys win; v2.16 the task's keys win but
    an empty template environment still fails; 2026 code skips an empty template environment."""
    if not task_json:
        template_env, _error = _go_json_object(template_json) if template_json else ({}, None)
        return template_env, None
    if not profile.env_task_wins:
        task_env: dict[str, Any] = {}
        if template_json:
            task_env, error = _go_json_object(task_json)
            if error:
                return {}, error
        template_env, error = _go_json_object(template_json)
        if error:
            return {}, error
        return {**task_env, **template_env}, None
    template_env = {}
    if template_json or not profile.env_empty_template_ok:
        template_env, error = _go_json_object(template_json)
        if error:
            return {}, error
    task_env, error = _go_json_object(task_json)
    if error:
        return {}, error
    return {**template_env, **task_env}, None


def _record_effective(sim: Simulator, project: Project, template: Template, task: Task) -> None:
    """What the simulated run honours, visible in /_sim/state."""
    inventory_id = int(template.data.get("inventory_id") or 0)
    if task.inventory_id and template.flag("allow_override_inventory"):
        inventory_id = task.inventory_id
    hosts = _inventory_hosts(project, inventory_id)
    limit = task.params.get("limit") if sim.profile.task_params else \
        [part.strip() for part in task.limit.split(",") if part.strip()]
    if limit:
        hosts = [h for h in hosts if h in limit] or list(limit)
    arguments = None
    if task.arguments and template.flag("allow_override_args_in_task"):
        arguments = task.arguments
        try:
            if not isinstance(json.loads(arguments), list):
                task.effective["arguments_error"] = True
        except ValueError:
            task.effective["arguments_error"] = True  # §6.1: the run fails, the API still answers 201
    flags = task.params if sim.profile.task_params else {"debug": task.debug, "dry_run": task.dry_run, "diff": task.diff}
    task.effective.update({"inventory_id": inventory_id, "hosts": hosts, "arguments": arguments,
                           "git_branch": task.git_branch or template.data.get("git_branch"),
                           "playbook": task.playbook or template.playbook,
                           "params": dict(flags)})


def task_of(request: web.Request, project: Project) -> Task:
    """§6.3: an unknown task (or one of another project) is a 400 with an empty body."""
    task_id = int_param(request, "task_id")
    task = sim_of(request).store.tasks.get(task_id)
    if task is None or task.project_id != project.id:
        raise Reply(empty(400))
    return task


def _task_list(sim: Simulator, tasks: list[Task]) -> list[dict[str, Any]]:
    return [views.task_json(sim.profile, sim.store, t, with_tpl=True) for t in tasks]


def _scoped_tasks(request: web.Request) -> list[Task]:
    sim = sim_of(request)
    project, _perms = project_of(request)
    tasks = [t for t in sim.store.tasks.values() if t.project_id == project.id]
    if "template_id" in request.match_info:
        template = template_of(request, project)
        tasks = [t for t in tasks if t.template_id == template.id]
    tasks.sort(key=sim.store.newer_key, reverse=True)  # §6.2: newest first (whatever the id numbering)
    return tasks


async def list_tasks(request: web.Request) -> web.Response:
    """§6.2 GET .../tasks: newest first, at most 1000."""
    return send_json(_task_list(sim_of(request), _scoped_tasks(request)[:1000]))


def _clamp_limit(raw: str | None) -> int:
    """§6.2: N is clamped to 1..200; out of range or missing means 200."""
    if raw is None or not INT_RE.match(raw):
        return 200
    value = int(raw)
    return value if 1 <= value <= 200 else 200


async def last_tasks(request: web.Request) -> web.Response:
    """§6.2 GET .../tasks/last: ?limit; 2026 adds count/before and X-Has-Next."""
    sim = sim_of(request)
    tasks = _scoped_tasks(request)
    if not sim.profile.tasks_last_paging:
        return send_json(_task_list(sim, tasks[:_clamp_limit(request.query.get("limit"))]))
    count = _clamp_limit(request.query.get("count") or request.query.get("limit"))
    before = request.query.get("before")
    if before and INT_RE.match(before):
        tasks = [t for t in tasks if sim.store.older_than(t, int(before))]
    response = send_json(_task_list(sim, tasks[:count]))
    response.headers["X-Has-Next"] = "true" if len(tasks) > count else "false"
    return response


async def get_task(request: web.Request) -> web.Response:
    """§6.3 GET one task (plain Task, no tpl_* fields)."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    return send_json(views.task_json(sim.profile, sim.store, task_of(request, project)))


async def task_output(request: web.Request) -> web.StreamResponse:
    """§6.4 GET .../output: every stored line, oldest first."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    task = task_of(request, project)
    lines = sim.store.ordered_output(task.id)
    response = web.StreamResponse(status=200)
    response.content_type = JSON_TYPE
    await response.prepare(request)
    chunk: list[str] = []
    first = True
    await response.write(b"[")
    for stamp, text in list(lines):
        item = json.dumps(views.output_json(sim.profile, task.id, stamp, text), separators=(",", ":"),
                          ensure_ascii=False)
        chunk.append(item if first else "," + item)
        first = False
        if len(chunk) >= 2000:
            await response.write("".join(chunk).encode("utf-8"))
            chunk = []
    chunk.append("]")
    await response.write("".join(chunk).encode("utf-8"))
    await response.write_eof()
    return response


async def task_raw_output(request: web.Request) -> web.Response:
    """§6.4 raw_output (v2.14+): text/plain, ANSI stripped, one line each followed by a newline."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    task = task_of(request, project)
    text = "".join(output.strip_ansi(line) + "\n" for _stamp, line in sim.store.ordered_output(task.id))
    return web.Response(text=text, content_type="text/plain")


async def stop_task(request: web.Request) -> web.Response:
    """§6.6 POST .../stop: JSON body mandatory; stopping a finished task sets ``stopped``."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_RUN)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    check_types(body, {"force": bool})
    force = bool(body.get("force"))
    if not sim.pool.is_active(task.id):
        # §6.6: the trap - not active, so the status becomes ``stopped`` whatever it was
        task.status = "stopped"
        sim.push_update(task)
        return empty(204)
    if force and sim.profile.force_stop_end_later and task.id in sim.pool.running:
        # recorded 2.10.32: ``stopped`` is saved at once, ``end`` when the killed run has wound down
        sim.pool.force_stop(task.id)
        task.status = "stopped"
        sim.push_update(task)
        asyncio.get_running_loop().call_later(max(float(sim.config.get("end_delay", 0.0)), 0.0),
                                              _late_end, sim, task)
    elif force:
        sim.pool.force_stop(task.id)
        sim.set_status(task, "stopped")
    else:
        # recorded 2.10.32: only a running process is killed, and then the run fails (see Runner)
        task.effective["stop_kills"] = task.status == "running"
        sim.set_status(task, "stopping")
        sim.pool.signal(task.id)
    return empty(204)


def _late_end(sim: Simulator, task: Task) -> None:
    """The ``end`` of a force-stopped run, with the second ``update``."""
    if sim.store.tasks.get(task.id) is task and task.end is None:
        task.end = truncate(now_ns(), 6)
        sim.push_update(task)


async def _confirm_or_reject(request: web.Request, status: str) -> web.Response:
    """§6.6 confirm (v2.9+) / reject (v2.11+): 400 if not active, 204 otherwise."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_RUN)
    if not sim.pool.is_active(task.id):
        return empty(400)
    sim.set_status(task, status)
    sim.pool.signal(task.id)
    return empty(204)


async def confirm_task(request: web.Request) -> web.Response:
    """Confirm a task waiting for confirmation."""
    return await _confirm_or_reject(request, "confirmed")


async def reject_task(request: web.Request) -> web.Response:
    """Reject a task waiting for confirmation."""
    return await _confirm_or_reject(request, "rejected")


async def delete_task(request: web.Request) -> web.Response:
    """§6.7: 400 unknown, 403 without manage, 400 active, 401 non-admin, 204."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_MANAGE)
    if sim.pool.is_active(task.id):
        return empty(400)
    user = auth_of(request).user
    if user is None or not user.admin:
        return empty(401)
    sim.store.tasks.pop(task.id, None)
    sim.store.outputs.pop(task.id, None)
    return empty(204)


async def pool_tasks(request: web.Request) -> web.Response:
    """Admin ``GET /api/tasks`` (2.10+, api/tasks/tasks.go GetTasks): the in-memory pool, queue first then
    running. A task its run lost (a restart) is not there; one whose process died (killed) still is."""
    sim = sim_of(request)
    user = auth_of(request).user
    if user is None or not user.admin:
        return empty(403)
    store = sim.store
    rows = [(task_id, "queue") for task_id in sim.pool.queue] + [(task_id, "running") for task_id in sim.pool.running]
    return send_json([{"task_id": task_id, "project_id": store.tasks[task_id].project_id,
                       "status": store.tasks[task_id].status, "location": location}
                      for task_id, location in rows if task_id in store.tasks])


# ---- websocket (§9) --------------------------------------------------------------------------
async def websocket(request: web.Request) -> web.StreamResponse:
    """§9 /api/ws: server -> client only; 401 before upgrade (middleware); 404 when switched off."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    ws = web.WebSocketResponse(heartbeat=108.0, max_msg_size=512)
    await ws.prepare(request)
    client = WsClient(ws, user.id)
    client.sender = asyncio.get_running_loop().create_task(client.run_sender())
    sim.hub.add(client)
    try:
        async for message in ws:  # client messages are read and discarded
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        sim.hub.remove(client)
        await client.close()
    return ws


@web.middleware
async def ws_switch_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """When the control API switches websockets off, /api/ws answers 404 like a proxy blocking it."""
    if request.path.rstrip("/") == "/api/ws" and not sim_of(request).config.get("websocket", True):
        return not_found_text()
    return await handler(request)


# ---- application -----------------------------------------------------------------------------
def _add(app: web.Application, method: str, path: str, handler: Handler) -> None:
    """§1: register with and without one trailing slash (the server strips it)."""
    for variant in (path, path + "/"):
        if method == "GET":
            app.router.add_get(variant, handler)
        else:
            app.router.add_route(method, variant, handler)


def create_app(sim: Simulator) -> web.Application:
    """Build the aiohttp application for one simulator."""
    app = web.Application(middlewares=[log_middleware, fault_middleware, ws_switch_middleware, api_middleware],
                          client_max_size=16 * 1024 * 1024)
    app[SIM_KEY] = sim
    profile = sim.profile
    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/api/ping", ping), ("GET", "/api/info", info),
        ("GET", "/api/auth/login", login_metadata), ("POST", "/api/auth/login", login),
        ("POST", "/api/auth/logout", logout),
        ("GET", "/api/user", get_user), ("GET", "/api/user/tokens", list_tokens),
        ("POST", "/api/user/tokens", create_token), ("DELETE", "/api/user/tokens/{token_id}", delete_token),
        ("GET", "/api/projects", list_projects), ("GET", "/api/project/{project_id}", get_project),
        ("GET", "/api/project/{project_id}/inventory", list_inventories),
        ("GET", "/api/project/{project_id}/templates", list_templates),
        ("GET", "/api/project/{project_id}/templates/{template_id}", get_template),
        ("GET", "/api/project/{project_id}/templates/{template_id}/tasks", list_tasks),
        ("GET", "/api/project/{project_id}/templates/{template_id}/tasks/last", last_tasks),
        ("GET", "/api/project/{project_id}/tasks", list_tasks),
        ("POST", "/api/project/{project_id}/tasks", create_task),
        ("GET", "/api/project/{project_id}/tasks/last", last_tasks),
        ("GET", "/api/project/{project_id}/tasks/{task_id}", get_task),
        ("DELETE", "/api/project/{project_id}/tasks/{task_id}", delete_task),
        ("GET", "/api/project/{project_id}/tasks/{task_id}/output", task_output),
        ("POST", "/api/project/{project_id}/tasks/{task_id}/stop", stop_task),
        ("POST", "/api/project/{project_id}/tasks/{task_id}/confirm", confirm_task),
        ("GET", "/api/tasks", pool_tasks),
        ("GET", "/api/ws", websocket),
    ]
    if profile.totp:
        routes += [("POST", "/api/auth/verify", verify), ("POST", "/api/auth/recovery", recovery)]
    if profile.raw_output:
        routes.append(("GET", "/api/project/{project_id}/tasks/{task_id}/raw_output", task_raw_output))
    if profile.status_rejected:
        routes.append(("POST", "/api/project/{project_id}/tasks/{task_id}/reject", reject_task))
    for method, path, handler in routes:
        _add(app, method, path, handler)
    control.add_routes(app)

    async def on_startup(_app: web.Application) -> None:
        sim.start()

    async def on_cleanup(_app: web.Application) -> None:
        await sim.shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
