"""§4 misc and user endpoints: ping, server info and the current user.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import views
from .api_common import Route, auth_of, public, send_json, sim_of
from .profiles import Profile


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
        "git_client": "cmd_git", "schedule_timezone": "UTC" if profile.at_least(2, 17) else "",
        "teams": False, "roles": [],
        "features": {"project_runners": False, "terraform_backend": False, "task_summary": False},
        "subscription_state": "none", "login_with_password": True, "boltdb_used": False,
    }
    return send_json({key: values[key] for key in profile.info_keys})


async def get_user(request: web.Request) -> web.Response:
    """§4 GET /api/user."""
    user = auth_of(request).user
    assert user is not None
    return send_json(views.user_json(sim_of(request).profile, user))


def routes(_profile: Profile) -> list[Route]:
    """The §4 routes (the same in every simulated version)."""
    return [("GET", "/api/ping", ping), ("GET", "/api/info", info), ("GET", "/api/user", get_user)]
