"""§6 templates: the sorted list and one template (with ``last_task``); §14 their create, update,
delete and ``refs``.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import views
from .api_common import Reply, Route, check_types, empty, error, project_item, project_of, send_json, sim_of
from .api_resources import body_of, is_bolt, writable_project
from .profiles import Profile
from .state import Project, Store, Template

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


# ---- §14 writes ---------------------------------------------------------------------------------
APPS = ("ansible", "terraform", "tofu", "bash", "powershell", "python")  # 2.10.32 util/config.go appPriorities
TEMPLATE_FIELDS: dict[str, Any] = {
    "id": int, "project_id": int, "inventory_id": int, "repository_id": int, "environment_id": int, "name": str,
    "playbook": str, "arguments": str, "allow_override_args_in_task": bool, "description": str, "vaults": list,
    "type": str, "start_version": str, "build_template_id": int, "view_id": int, "last_task": dict, "autorun": bool,
    "git_branch": str, "survey_vars": list, "suppress_success_alerts": bool, "app": str, "tasks": int,
    "task_params": dict, "allow_override_branch_in_task": bool, "allow_parallel_tasks": bool, "runner_tag": str,
    "environment_ids": list}
# The columns a create writes and a PUT rewrites (every one: what the body leaves out becomes null/false/"").
COLUMNS = ("inventory_id", "repository_id", "environment_id", "arguments", "allow_override_args_in_task",
           "description", "type", "start_version", "build_template_id", "view_id", "autorun", "git_branch",
           "survey_vars", "suppress_success_alerts", "app", "vaults")
FALSE_COLUMNS = ("allow_override_args_in_task", "autorun", "suppress_success_alerts", "allow_override_branch_in_task",
                 "allow_parallel_tasks")
VAULT_FIELDS = {"id": int, "project_id": int, "template_id": int, "vault_key_id": int, "name": str}


def columns(profile: Profile) -> tuple[str, ...]:
    """The template columns of a version: 2.13 adds task_params, 2.16 the branch and parallel flags."""
    extra = ("task_params",) if profile.template_task_params else ()
    if profile.template_branch_override:
        extra += ("allow_override_branch_in_task",)
    if profile.template_parallel_flag:
        extra += ("allow_parallel_tasks",)
    return COLUMNS + extra


async def template_body(request: web.Request) -> dict[str, Any]:
    """A template as sent (helpers.Bind: type mismatches 400, empty); vault entries are checked too."""
    body = await body_of(request, TEMPLATE_FIELDS)
    for vault in body.get("vaults") or []:
        if not isinstance(vault, dict):
            raise Reply(empty(400))
        check_types(vault, VAULT_FIELDS)
    return body


def template_problem(body: dict[str, Any]) -> str | None:
    """§14 db/Template.go Validate, in its order."""
    app = body.get("app") or ""
    if app == "ansible" and body.get("inventory_id") is None:
        return "template inventory can not be empty"
    if not body.get("name"):
        return "template name can not be empty"
    if app not in ("terraform", "tofu") and not body.get("playbook"):
        return "template playbook can not be empty"
    arguments = body.get("arguments")
    if arguments is not None:
        try:
            json.loads(arguments)
        except ValueError:
            return "template arguments must be valid JSON"
    return None


def check_foreign_keys(store: Store, body: dict[str, Any]) -> None:
    """§14 SQL: repository, inventory and environment ids are foreign keys (any project's row will do);
    a missing one fails the insert or update: 400 with an empty body. BoltDB stores any number."""
    if is_bolt(store):
        return
    for field, kind in (("repository_id", "repositories"), ("inventory_id", "inventories"),
                        ("environment_id", "environments")):
        value = body.get(field)
        if value is None and field != "repository_id":
            continue
        if not any(int(value or 0) in getattr(p, kind) for p in store.projects.values()):
            raise Reply(empty(400))
    for value in linked_environments(store.profile, body):
        if not any(value in p.environments for p in store.projects.values()):
            raise Reply(empty(400))


def linked_environments(profile: Profile, body: dict[str, Any]) -> list[int]:
    """§14, 2.16+: the environments a write links: ``environment_ids`` when the body has the list
    (``[]`` clears them), else ``[environment_id]`` when that is above 0
    (``Template.ApplyLegacyEnvironmentField``), else none. Before 2.16: none (the column is used)."""
    if not profile.template_environment_ids:
        return []
    listed = body.get("environment_ids")
    if listed is not None:
        if not all(isinstance(item, int) and not isinstance(item, bool) for item in listed):
            raise Reply(empty(400))
        return list(listed)
    legacy = int(body.get("environment_id") or 0)
    return [legacy] if legacy > 0 else []


def stored_columns(profile: Profile, project: Project, body: dict[str, Any], template_id: int) -> dict[str, Any]:
    """The columns as the body gives them (absent: null, false; repository_id 0), vaults tied to the
    template (each gets an id; SQL's ids are global, BoltDB's per project: not told apart)."""
    data: dict[str, Any] = {}
    for name in columns(profile):
        value = body.get(name)
        data[name] = bool(value) if name in FALSE_COLUMNS else value
    data["repository_id"] = int(body.get("repository_id") or 0)
    if profile.template_environment_ids:
        data["environment_ids"] = linked_environments(profile, body)
        data["environment_id"] = data["environment_ids"][0] if data["environment_ids"] else None
    data["type"] = str(body.get("type") or "")
    data["app"] = str(body.get("app") or "")
    data["vaults"] = [{"id": index + 1, "project_id": project.id, "template_id": template_id,
                       "vault_key_id": int(v.get("vault_key_id") or 0), "name": v.get("name")}
                      for index, v in enumerate(body.get("vaults") or [])]
    return data


def terraform_workspace(store: Store, project: Project, template: Template) -> None:
    """§14 AddTemplate for terraform/tofu: without an inventory a workspace inventory "<name> - default"
    is created for the template; with one, that inventory's holder becomes the template."""
    inventory_id = template.data.get("inventory_id")
    if inventory_id is None:
        inventory = store.add_resource(project, "inventories", {
            "name": f"{template.name} - default", "inventory": "default", "type": "terraform-workspace",
            "ssh_key_id": None, "become_key_id": None, "repository_id": None, "holder_id": template.id})
        template.data["inventory_id"] = inventory["id"]
    elif int(inventory_id) in project.inventories:
        project.inventories[int(inventory_id)]["holder_id"] = template.id
    else:
        raise Reply(empty(404))


def created_answer(store: Store, template: Template, body: dict[str, Any]) -> web.Response:
    """§14: 201 with the template; BoltDB reads it back (vaults ``[]``), SQL echoes the body with the new
    id (vaults as sent, ``tasks`` as sent)."""
    data = views.template_json(store.profile, store, template, 0)
    data.pop("permissions", None)
    if not is_bolt(store) and not store.profile.omit_empty_template:
        data.update(vaults=body.get("vaults"), tasks=int(body.get("tasks") or 0))
    return send_json(data, 201)


async def add_template(request: web.Request) -> web.Response:
    """§14 POST /templates: Validate (400 with the message), create, then the app check: an app that is
    not installed (``""`` too) answers 400 ``Invalid app id: <app>`` after the template was created."""
    project = writable_project(request)
    body = await template_body(request)
    store = sim_of(request).store
    problem = template_problem(body)
    if problem:
        return error(400, problem)
    check_foreign_keys(store, body)
    template = store.add_template(project, str(body["name"]), str(body.get("playbook") or ""), {})
    template.data = stored_columns(store.profile, project, body, template.id)
    app = template.data["app"]
    if app not in APPS:
        return error(400, f"Invalid app id: {app}")
    if app in ("terraform", "tofu"):
        terraform_workspace(store, project, template)
    return created_answer(store, template, body)


async def update_template(request: web.Request) -> web.Response:
    """§14 PUT /templates/{id}: app check first, then the ids, then Validate; every column is rewritten
    from the body (the simulated run is kept); 204."""
    project = writable_project(request)
    template = template_of(request, project)
    body = await template_body(request)
    store = sim_of(request).store
    app = str(body.get("app") or "")
    if app not in APPS:
        return error(400, f"Invalid app id: {app}")
    if body.get("id") != template.id:
        return error(400, "template id in URL and in body must be the same")
    if body.get("project_id") != template.project_id:
        return error(400, "You can not move template to other project")
    if body.get("arguments") == "":
        body["arguments"] = None
    body.update({name: None for name, kind in (("build_template_id", "deploy"), ("start_version", "build"))
                 if body.get("type") != kind})
    problem = template_problem(body)
    if problem:
        return error(400, problem)
    check_foreign_keys(store, body)
    template.name, template.playbook = str(body["name"]), str(body.get("playbook") or "")
    template.data = stored_columns(store.profile, project, body, template.id)
    return empty(204)


def template_refs(store: Store, template: Template) -> dict[str, list[dict[str, Any]]]:
    """§14 GET /templates/{id}/refs: the templates that name it as their build template."""
    users = [{"id": t.id, "name": t.name} for t in sorted(store.templates.values(), key=lambda t: t.id)
             if t.project_id == template.project_id and t.data.get("build_template_id") == template.id]
    return {"templates": users, "inventories": [], "repositories": []}


async def get_template_refs(request: web.Request) -> web.Response:
    """§14 GET /templates/{id}/refs."""
    project, _perms = project_of(request)
    store = sim_of(request).store
    return send_json(template_refs(store, template_of(request, project)))


def forget_template(sim: Any, template: Template) -> None:
    """§14: a template goes with its tasks (a running one is stopped) and its schedules."""
    store: Store = sim.store
    for task_id in [t.id for t in store.tasks.values() if t.template_id == template.id]:
        sim.pool.force_stop(task_id)
        del store.tasks[task_id]
        store.outputs.pop(task_id, None)
    project = store.projects[template.project_id]
    for schedule_id in [s["id"] for s in project.schedules.values() if s.get("template_id") == template.id]:
        del project.schedules[schedule_id]
    del store.templates[template.id]


async def delete_template(request: web.Request) -> web.Response:
    """§14 DELETE /templates/{id}: 204; a template another one builds from is in use: BoltDB 409,
    SQL 400 (the foreign key's raw error), both with an empty body (recorded on 2.10.32)."""
    project = writable_project(request)
    template = template_of(request, project)
    sim = sim_of(request)
    if template_refs(sim.store, template)["templates"]:
        return empty(409 if is_bolt(sim.store) else 400)
    forget_template(sim, template)
    return empty(204)


def routes(_profile: Profile) -> list[Route]:
    """The §6 and §14 template routes (the template-scoped task lists are in api_tasks, the schedules in
    api_schedules)."""
    base = "/api/project/{project_id}/templates"
    return [("GET", base, list_templates), ("POST", base, add_template),
            ("GET", base + "/{template_id}", get_template), ("PUT", base + "/{template_id}", update_template),
            ("DELETE", base + "/{template_id}", delete_template),
            ("GET", base + "/{template_id}/refs", get_template_refs)]
