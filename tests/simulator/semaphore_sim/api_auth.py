"""§3 authentication endpoints: login metadata, login, logout and the TOTP second factor.

§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from .api_common import Reply, Route, check_types, empty, error, public, read_json, send_json, sim_of
from .auth import AuthResult, totp_valid
from .profiles import Profile
from .state import Session
from .timefmt import now_ns


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


def routes(profile: Profile) -> list[Route]:
    """The §3 routes of this version; verify and recovery exist with TOTP (v2.12+)."""
    result: list[Route] = [("GET", "/api/auth/login", login_metadata), ("POST", "/api/auth/login", login),
                           ("POST", "/api/auth/logout", logout)]
    if profile.totp:
        result += [("POST", "/api/auth/verify", verify), ("POST", "/api/auth/recovery", recovery)]
    return result
