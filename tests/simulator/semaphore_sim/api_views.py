"""§14 views (template tabs): list, create, positions, one view (read, update, delete) and its templates,
as in 2.10.32 (``api/projects/views.go``, ``db/bolt/view.go``, ``db/sql/view.go``).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import views
from .api_common import Reply, Route, empty, error, int_param, project_of, read_json, send_json, sim_of
from .api_resources import SAME_PROJECT, body_of, is_bolt, writable_project
from .profiles import Profile
from .state import Project, Store

VIEW_FIELDS: dict[str, Any] = {"id": int, "project_id": int, "title": str, "position": int}


def view_json(view: dict[str, Any]) -> dict[str, Any]:
    """§14 View ``{id, project_id, title, position}``."""
    return {name: view.get(name) for name in ("id", "project_id", "title", "position")}


def view_of(request: web.Request, project: Project) -> dict[str, Any]:
    """ViewMiddleware: 400 for a bad id, 404 (empty) when the project has none with it."""
    view = project.views.get(int_param(request, "view_id"))
    if view is None:
        raise Reply(empty(404))
    return view


def ordered(store: Store, project: Project) -> list[dict[str, Any]]:
    """SQL orders by ``position`` (ties: by id here), BoltDB by id."""
    rows = sorted(project.views.values(), key=lambda row: int(row["id"]))
    return rows if is_bolt(store) else sorted(rows, key=lambda row: int(row.get("position") or 0))


async def list_views(request: web.Request) -> web.Response:
    """§14 GET /views."""
    project, _perms = project_of(request)
    return send_json([view_json(v) for v in ordered(sim_of(request).store, project)])


async def add_view(request: web.Request) -> web.Response:
    """§14 POST /views: the body's ``project_id`` must be the URL's, the title not empty; 201 with the view."""
    project = writable_project(request)
    body = await body_of(request, VIEW_FIELDS)
    if body.get("project_id") != project.id:
        return error(400, SAME_PROJECT)
    if not body.get("title"):
        return error(400, "title can not be empty")
    fields = {"title": body["title"], "position": int(body.get("position") or 0)}
    view = sim_of(request).store.add_resource(project, "views", fields)
    return send_json(view_json(view), 201)


async def get_view(request: web.Request) -> web.Response:
    """§14 GET /views/{id}."""
    project, _perms = project_of(request)
    return send_json(view_json(view_of(request, project)))


def view_target(store: Store, project: Project, view: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """Where a PUT writes: BoltDB the body's ``project_id``'s view with that id (404 when there is none);
    SQL the row with that id, moved to the body's project (a project that does not exist fails the
    foreign key: 400, empty)."""
    target_project = store.projects.get(int(body.get("project_id") or 0))
    if is_bolt(store):
        target = target_project.views.get(view["id"]) if target_project is not None else None
        if target is None:
            raise Reply(empty(404))
        return target
    if target_project is None:
        raise Reply(empty(400))
    if target_project is not project:
        del project.views[view["id"]]
        target_project.views[view["id"]] = dict(view, project_id=target_project.id)
    return target_project.views[view["id"]]


async def update_view(request: web.Request) -> web.Response:
    """§14 PUT /views/{id}: the body's ``id`` must be the URL's; ``project_id`` is not checked (see
    view_target); title and position are rewritten; 204."""
    project = writable_project(request)
    view = view_of(request, project)
    body = await body_of(request, VIEW_FIELDS)
    if body.get("id") != view["id"]:
        return error(400, "View ID in URL and in body must be the same")
    if not body.get("title"):
        return error(400, "title can not be empty")
    target = view_target(sim_of(request).store, project, view, body)
    target.update(title=body["title"], position=int(body.get("position") or 0))
    return empty(204)


async def set_positions(request: web.Request) -> web.Response:
    """§14 POST /views/positions ``{"<view id>": position}``: 204. BoltDB stops at the first id the project
    does not have (404, the earlier ones are saved); SQL ignores such ids."""
    project = writable_project(request)
    data = await read_json(request)
    if data is None:
        data = {}
    if not isinstance(data, dict) or not all(isinstance(v, int) and not isinstance(v, bool) for v in data.values()):
        raise Reply(empty(400))
    try:
        positions = {int(key): value for key, value in data.items()}
    except ValueError:
        raise Reply(empty(400)) from None
    bolt = is_bolt(sim_of(request).store)
    for view_id, position in positions.items():
        if view_id in project.views:
            project.views[view_id]["position"] = position
        elif bolt:
            return empty(404)
    return empty(204)


async def delete_view(request: web.Request) -> web.Response:
    """§14 DELETE /views/{id}: 204. SQL sets the templates' ``view_id`` to null; BoltDB leaves it."""
    project = writable_project(request)
    view = view_of(request, project)
    store = sim_of(request).store
    if not is_bolt(store):
        for template in store.templates.values():
            if template.data.get("view_id") == view["id"]:
                template.data["view_id"] = None
    del project.views[view["id"]]
    return empty(204)


async def view_templates(request: web.Request) -> web.Response:
    """§14 GET /views/{id}/templates: the project's templates with that ``view_id``, like the list."""
    project, _perms = project_of(request)
    view = view_of(request, project)
    sim = sim_of(request)
    rows = sorted((t for t in sim.store.templates.values()
                   if t.project_id == project.id and t.data.get("view_id") == view["id"]),
                  key=lambda t: (t.id if is_bolt(sim.store) else 0, t.name.casefold(), t.id))
    return send_json([views.template_json(sim.profile, sim.store, t, None) for t in rows])


def routes(_profile: Profile) -> list[Route]:
    """The §14 view routes; ``positions`` before the ``{view_id}`` pattern."""
    base = "/api/project/{project_id}/views"
    item = base + "/{view_id}"
    return [("GET", base, list_views), ("POST", base, add_view), ("POST", base + "/positions", set_positions),
            ("GET", item, get_view), ("PUT", item, update_view), ("DELETE", item, delete_view),
            ("GET", item + "/templates", view_templates)]
