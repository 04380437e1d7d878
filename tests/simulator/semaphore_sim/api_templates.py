"""§6 templates: the sorted list and one template (with ``last_task``).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import views
from .api_common import Route, error, project_item, project_of, send_json, sim_of
from .profiles import Profile
from .state import Project, Template

SORT_COLUMNS = ("name", "playbook", "inventory", "environment", "repository")  # §6 GET templates


def template_of(request: web.Request, project: Project) -> Template:
    """A template of this project, or 404."""
    return project_item(request, project, sim_of(request).store.templates, "template_id", 404)


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


def routes(_profile: Profile) -> list[Route]:
    """The §6 template routes (the template-scoped task lists are in api_tasks)."""
    return [("GET", "/api/project/{project_id}/templates", list_templates),
            ("GET", "/api/project/{project_id}/templates/{template_id}", get_template)]
