"""The middlewares every request passes: request log, injected faults, §1 routing and §2 authentication.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from aiohttp import web

from .api_common import JSON_TYPE, PUBLIC, Handler, Reply, empty, error, not_found_text, sim_of, web_ui_page
from .auth import AuthResult, authenticate, bearer_token
from .faults import HTML_PAGE, redact_path

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


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
