"""The aiohttp application: the middlewares, then each resource module's /api routes (conventions §1,
authentication §2), then the control API under /_sim.

Every ``api_*`` module serves one resource and lists its routes for a profile in ``routes(profile)``;
what all of them share is in api_common.py, the middlewares in middleware.py.
§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from aiohttp import web

from . import api_auth, api_backup, api_environments, api_inventories, api_output, api_projects, api_resources, \
    api_schedules, api_task_launch, api_tasks, api_templates, api_tokens, api_user, api_views, api_ws, control
from .api_common import Handler
from .core import SIM_KEY, Simulator
from .middleware import api_middleware, fault_middleware, log_middleware

# In registration order: within a module, a literal path (``tasks/last``) before a pattern that would
# also match it (``tasks/{task_id}``).
RESOURCES = (api_user, api_auth, api_tokens, api_projects, api_resources, api_inventories, api_environments,
             api_templates, api_schedules, api_views, api_backup, api_tasks, api_task_launch, api_output, api_ws)


def _add(app: web.Application, method: str, path: str, handler: Handler) -> None:
    """§1: register with and without one trailing slash (the server strips it)."""
    for variant in (path, path + "/"):
        if method == "GET":
            app.router.add_get(variant, handler)
        else:
            app.router.add_route(method, variant, handler)


def create_app(sim: Simulator) -> web.Application:
    """Build the aiohttp application for one simulator."""
    app = web.Application(middlewares=[log_middleware, fault_middleware, api_ws.ws_switch_middleware,
                                       api_middleware],
                          client_max_size=16 * 1024 * 1024)
    app[SIM_KEY] = sim
    for resource in RESOURCES:
        for method, path, handler in resource.routes(sim.profile):
            _add(app, method, path, handler)
    control.add_routes(app)

    async def on_startup(_app: web.Application) -> None:
        sim.start()

    async def on_cleanup(_app: web.Application) -> None:
        await sim.shutdown()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app
