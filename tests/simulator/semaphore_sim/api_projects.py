"""§6 projects: the list and one project.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from aiohttp import web

from . import views
from .api_common import Route, auth_of, project_of, send_json, sim_of
from .profiles import Profile


async def list_projects(request: web.Request) -> web.Response:
    """§6 GET /api/projects: admins see all; sorted by name; at most 200."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    projects = [p for p in sim.store.projects.values() if user.admin or user.id in p.members]
    projects.sort(key=lambda p: p.name)
    return send_json([views.project_json(sim.profile, p) for p in projects[:200]])


async def get_project(request: web.Request) -> web.Response:
    """§6 GET /api/project/{id}."""
    project, _perms = project_of(request)
    return send_json(views.project_json(sim_of(request).profile, project))


def routes(_profile: Profile) -> list[Route]:
    """The §6 project routes."""
    return [("GET", "/api/projects", list_projects), ("GET", "/api/project/{project_id}", get_project)]
