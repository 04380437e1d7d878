"""§5 API tokens: list, create and revoke the caller's own tokens.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import re

from aiohttp import web

from . import views
from .api_common import Route, auth_of, check_types, empty, error, read_json, send_json, sim_of
from .profiles import Profile
from .state import Token, new_token_secret
from .timefmt import now_ns, parse_time, truncate

TOKEN_PREFIX_RE = re.compile(r"^[A-Za-z0-9_=-]{8,}$")  # §5 DELETE from v2.14


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


def routes(_profile: Profile) -> list[Route]:
    """The §5 routes (their behaviour differs by version, not their paths)."""
    return [("GET", "/api/user/tokens", list_tokens), ("POST", "/api/user/tokens", create_token),
            ("DELETE", "/api/user/tokens/{token_id}", delete_token)]
