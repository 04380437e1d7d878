"""§6, §13 projects: the list, one project, create, update, delete.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiohttp import web

from . import views
from .api_common import Reply, Route, auth_of, empty, error, project_of, send_json, sim_of
from .api_resources import body_of, can_write, is_bolt
from .profiles import Profile
from .state import PERM_UPDATE, Project, Store
from .timefmt import now_ns, parse_time

PROJECT_FIELDS = {"id": int, "name": str, "created": str, "alert": bool, "alert_chat": str, "max_parallel_tasks": int,
                  "type": str, "demo": bool}
SETTINGS = ("alert", "alert_chat", "max_parallel_tasks")
GO_ZERO_TIME = parse_time("0001-01-01T00:00:00Z")  # what BoltDB keeps of a PUT without ``created`` (§13)


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


async def add_project(request: web.Request) -> web.Response:
    """§13 POST /api/projects: admins only (401, empty, otherwise: no ``non_admin_can_create_project``);
    201 with the project. The creator is its owner; it gets the key None and the environment Empty (no
    demo content); from 2.16 also the view All (§14). SQL stores only name and type of the body (the answer echoes the rest); BoltDB all."""
    user = auth_of(request).user
    if user is None or not user.admin:
        return empty(401)
    body = await body_of(request, PROJECT_FIELDS)
    sim = sim_of(request)
    store = sim.store
    settings = {name: body[name] for name in SETTINGS + ("type",) if body.get(name) is not None}
    project = Project(id=store.next_ids["projects"], name=str(body.get("name") or ""), created=now_ns(),
                      members={user.id: "owner"},
                      data=dict(settings) if is_bolt(store) else {"type": settings.get("type", "")})
    store.next_ids["projects"] += 1
    store.projects[project.id] = project
    store.add_resource(project, "keys", {"name": "None", "type": "none", "secret": None, "environment_id": None})
    store.add_resource(project, "environments", {"name": "Empty", "password": None, "json": "{}",
                                                 "env": "{}" if sim.profile.empty_environment_env else None})
    if sim.profile.project_all_view:
        store.add_resource(project, "views", {"title": "All", "position": 0})  # §14
    return send_json(views.project_json(sim.profile, replace(project, data=settings)), 201)


def body_created(body: dict[str, Any]) -> int:
    """The ``created`` of a PUT body as BoltDB keeps it: Go's zero time when left out; a text that is no
    RFC 3339 time fails the decoding (400, empty)."""
    if body.get("created") is None:
        return GO_ZERO_TIME
    try:
        return parse_time(body["created"])
    except ValueError:
        raise Reply(empty(400)) from None


async def update_project(request: web.Request) -> web.Response:
    """§13 PUT /api/project/{id}: owner or admin; the body's ``id`` must be the URL's; the whole object is
    replaced (SQL: name, alert, alert_chat, max_parallel_tasks; BoltDB also created and type); 204."""
    project, perms = project_of(request)
    can_write(request, perms, PERM_UPDATE)
    body = await body_of(request, PROJECT_FIELDS)
    bolt = is_bolt(sim_of(request).store)
    created = body_created(body) if bolt else project.created
    if body.get("id") != project.id:
        return error(400, "Project ID in body and URL must be the same")
    data = {name: body[name] for name in SETTINGS if body.get(name) is not None}
    data["type"] = str(body.get("type") or "") if bolt else project.data.get("type", "")
    project.name, project.data, project.created = str(body.get("name") or ""), data, created
    return empty(204)


def forget_project(sim: Any, store: Store, project: Project) -> None:
    """Everything in the project goes with it (SQL cascades; BoltDB's leftovers cannot be reached
    either): its tasks (stopped at once), templates and resources."""
    for task_id in [t.id for t in store.tasks.values() if t.project_id == project.id]:
        sim.pool.force_stop(task_id)
        del store.tasks[task_id]
        store.outputs.pop(task_id, None)
    for template_id in [t.id for t in store.templates.values() if t.project_id == project.id]:
        del store.templates[template_id]
    del store.projects[project.id]


async def delete_project(request: web.Request) -> web.Response:
    """§13 DELETE /api/project/{id}: owner or admin; 204."""
    project, perms = project_of(request)
    can_write(request, perms, PERM_UPDATE)
    sim = sim_of(request)
    forget_project(sim, sim.store, project)
    return empty(204)


def routes(_profile: Profile) -> list[Route]:
    """The §6 and §13 project routes."""
    return [("GET", "/api/projects", list_projects), ("POST", "/api/projects", add_project),
            ("GET", "/api/project/{project_id}", get_project), ("PUT", "/api/project/{project_id}", update_project),
            ("DELETE", "/api/project/{project_id}", delete_project)]
