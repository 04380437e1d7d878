"""§14 schedules: the project's list, create, the cron check, one schedule (read, update, active flag,
delete) and a template's schedules, as in 2.10.32 (``api/projects/schedules.go``, ``db/bolt/schedule.go``,
``db/sql/schedule.go``). Schedules are stored, never run.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import cron
from .api_common import Reply, Route, empty, error, int_param, project_of, send_json, sim_of
from .api_resources import body_of, is_bolt, writable_project
from .api_templates import template_of
from .profiles import Profile
from .state import Project, Store

SCHEDULE_FIELDS: dict[str, Any] = {"id": int, "project_id": int, "template_id": int, "cron_format": str,
                                   "name": str, "active": bool, "repository_id": int}


def schedule_json(schedule: dict[str, Any]) -> dict[str, Any]:
    """§14 Schedule: every field always (``last_commit_hash`` is never shown)."""
    return {name: schedule.get(name) for name in ("id", "project_id", "template_id", "cron_format", "name", "active",
                                                  "repository_id")}


def schedule_of(request: web.Request, project: Project) -> dict[str, Any]:
    """SchedulesMiddleware: 400 for a bad id, 404 (empty) when the project has none with it."""
    schedule = project.schedules.get(int_param(request, "schedule_id"))
    if schedule is None:
        raise Reply(empty(404))
    return schedule


def cron_problem(spec: str) -> web.Response | None:
    """§14 validateCronFormat: 400 ``{"error":"Cron: <robfig/cron's message>"}``."""
    try:
        cron.validate(spec)
    except cron.CronError as problem:
        return error(400, f"Cron: {problem}")
    return None


def check_template(store: Store, body: dict[str, Any]) -> None:
    """SQL: ``template_id`` is a foreign key (not null): a missing template fails the insert or update (400,
    empty). BoltDB stores any number (§14: the project's list then answers 404)."""
    if not is_bolt(store) and int(body.get("template_id") or 0) not in store.templates:
        raise Reply(empty(400))


def stored(body: dict[str, Any], project_id: int, schedule_id: int) -> dict[str, Any]:
    """The row as written: what the body leaves out is 0, "", false (``active`` too) or null."""
    return {"id": schedule_id, "project_id": project_id, "template_id": int(body.get("template_id") or 0),
            "cron_format": str(body.get("cron_format") or ""), "name": str(body.get("name") or ""),
            "active": bool(body.get("active")), "repository_id": body.get("repository_id")}


async def list_schedules(request: web.Request) -> web.Response:
    """§14 GET /schedules: the schedules without ``repository_id``, each with ``tpl_name``. BoltDB loads
    each template: one that does not exist makes the whole list 404."""
    project, _perms = project_of(request)
    store = sim_of(request).store
    rows = []
    for schedule in sorted(project.schedules.values(), key=lambda row: int(row["id"])):
        if schedule.get("repository_id") is not None:
            continue
        template = store.templates.get(int(schedule["template_id"]))
        if template is None or template.project_id != project.id:
            if is_bolt(store):
                return empty(404)
            continue  # SQL joins the template table
        rows.append(dict(schedule_json(schedule), tpl_name=template.name))
    return send_json(rows)


async def template_schedules(request: web.Request) -> web.Response:
    """§14 GET /templates/{id}/schedules: BoltDB every schedule of the template; SQL only those with a
    ``repository_id`` (its query says ``IS NOT NULL``)."""
    project, _perms = project_of(request)
    template = template_of(request, project)
    bolt = is_bolt(sim_of(request).store)
    rows = [schedule_json(s) for s in sorted(project.schedules.values(), key=lambda row: int(row["id"]))
            if s.get("template_id") == template.id and (bolt or s.get("repository_id") is not None)]
    return send_json(rows)


async def validate_cron(request: web.Request) -> web.Response:
    """§14 POST /schedules/validate: 200 with an empty body when valid."""
    writable_project(request)
    body = await body_of(request, SCHEDULE_FIELDS)
    return cron_problem(str(body.get("cron_format") or "")) or empty(200)


async def add_schedule(request: web.Request) -> web.Response:
    """§14 POST /schedules: cron check, then create in the URL's project; 201 with the schedule."""
    project = writable_project(request)
    body = await body_of(request, SCHEDULE_FIELDS)
    problem = cron_problem(str(body.get("cron_format") or ""))
    if problem is not None:
        return problem
    store = sim_of(request).store
    check_template(store, body)
    schedule = stored(body, project.id, store.next_ids["schedules"])
    store.next_ids["schedules"] += 1
    project.schedules[schedule["id"]] = schedule
    return send_json(schedule_json(schedule), 201)


async def get_schedule(request: web.Request) -> web.Response:
    """§14 GET /schedules/{id}."""
    project, _perms = project_of(request)
    return send_json(schedule_json(schedule_of(request, project)))


async def update_schedule(request: web.Request) -> web.Response:
    """§14 PUT /schedules/{id}: the ids, then the cron check; the whole row is rewritten; 204."""
    project = writable_project(request)
    schedule = schedule_of(request, project)
    body = await body_of(request, SCHEDULE_FIELDS)
    if body.get("id") != schedule["id"]:
        return error(400, "schedule id in URL and in body must be the same")
    if body.get("project_id") != project.id:
        return error(400, "You can not move schedule to other project")
    problem = cron_problem(str(body.get("cron_format") or ""))
    if problem is not None:
        return problem
    check_template(sim_of(request).store, body)
    schedule.update(stored(body, project.id, schedule["id"]))
    return empty(204)


async def set_active(request: web.Request) -> web.Response:
    """§14 PUT /schedules/{id}/active ``{"active": bool}``: 204."""
    project = writable_project(request)
    schedule = schedule_of(request, project)
    body = await body_of(request, {"active": bool})
    schedule["active"] = bool(body.get("active"))
    return empty(204)


async def delete_schedule(request: web.Request) -> web.Response:
    """§14 DELETE /schedules/{id}: 204 (its tasks keep running; SQL sets their ``schedule_id`` to null)."""
    project = writable_project(request)
    del project.schedules[schedule_of(request, project)["id"]]
    return empty(204)


def routes(_profile: Profile) -> list[Route]:
    """The §14 schedule routes; ``validate`` before the ``{schedule_id}`` pattern."""
    base = "/api/project/{project_id}/schedules"
    item = base + "/{schedule_id}"
    return [("GET", base, list_schedules), ("POST", base, add_schedule), ("POST", base + "/validate", validate_cron),
            ("GET", item, get_schedule), ("PUT", item, update_schedule), ("PUT", item + "/active", set_active),
            ("DELETE", item, delete_schedule),
            ("GET", "/api/project/{project_id}/templates/{template_id}/schedules", template_schedules)]
