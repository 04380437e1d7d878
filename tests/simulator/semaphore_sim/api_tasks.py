"""§6.2 - §6.7 tasks: lists, one task, stop, confirm/reject, delete, and the admin pool view.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import views
from .api_common import INT_RE, Route, auth_of, check_types, empty, project_item, project_of, read_json, require, \
    send_json, sim_of
from .api_templates import template_of
from .core import Simulator
from .profiles import Profile
from .state import PERM_MANAGE, PERM_RUN, Project, Task
from .timefmt import now_ns, truncate


def task_of(request: web.Request, project: Project) -> Task:
    """§6.3: an unknown task (or one of another project) is a 400 with an empty body."""
    return project_item(request, project, sim_of(request).store.tasks, "task_id", 400)


def _task_list(sim: Simulator, tasks: list[Task]) -> list[dict[str, Any]]:
    return [views.task_json(sim.profile, sim.store, t, with_tpl=True) for t in tasks]


def _scoped_tasks(request: web.Request) -> list[Task]:
    sim = sim_of(request)
    project, _perms = project_of(request)
    tasks = [t for t in sim.store.tasks.values() if t.project_id == project.id]
    if "template_id" in request.match_info:
        template = template_of(request, project)
        tasks = [t for t in tasks if t.template_id == template.id]
    tasks.sort(key=sim.store.newer_key, reverse=True)  # §6.2: newest first (whatever the id numbering)
    return tasks


async def list_tasks(request: web.Request) -> web.Response:
    """§6.2 GET .../tasks: newest first, at most 1000."""
    return send_json(_task_list(sim_of(request), _scoped_tasks(request)[:1000]))


def _clamp_limit(raw: str | None) -> int:
    """§6.2: N is clamped to 1..200; out of range or missing means 200."""
    if raw is None or not INT_RE.match(raw):
        return 200
    value = int(raw)
    return value if 1 <= value <= 200 else 200


async def last_tasks(request: web.Request) -> web.Response:
    """§6.2 GET .../tasks/last: ?limit; 2026 adds count/before and X-Has-Next."""
    sim = sim_of(request)
    tasks = _scoped_tasks(request)
    if not sim.profile.tasks_last_paging:
        return send_json(_task_list(sim, tasks[:_clamp_limit(request.query.get("limit"))]))
    count = _clamp_limit(request.query.get("count") or request.query.get("limit"))
    before = request.query.get("before")
    if before and INT_RE.match(before):
        tasks = [t for t in tasks if sim.store.older_than(t, int(before))]
    response = send_json(_task_list(sim, tasks[:count]))
    response.headers["X-Has-Next"] = "true" if len(tasks) > count else "false"
    return response


async def get_task(request: web.Request) -> web.Response:
    """§6.3 GET one task (plain Task, no tpl_* fields)."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    return send_json(views.task_json(sim.profile, sim.store, task_of(request, project)))


async def stop_task(request: web.Request) -> web.Response:
    """§6.6 POST .../stop: JSON body mandatory; stopping a finished task sets ``stopped``."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_RUN)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    check_types(body, {"force": bool})
    force = bool(body.get("force"))
    if not sim.pool.is_active(task.id):
        # §6.6: the trap - not active, so the status becomes ``stopped`` whatever it was
        task.status = "stopped"
        sim.push_update(task)
        return empty(204)
    if force and sim.profile.force_stop_end_later and task.id in sim.pool.running:
        # recorded 2.10.32: ``stopped`` is saved at once, ``end`` when the killed run has wound down
        sim.pool.force_stop(task.id)
        task.status = "stopped"
        sim.push_update(task)
        asyncio.get_running_loop().call_later(max(float(sim.config.get("end_delay", 0.0)), 0.0),
                                              _late_end, sim, task)
    elif force:
        sim.pool.force_stop(task.id)
        sim.set_status(task, "stopped")
    else:
        # recorded 2.10.32: only a running process is killed, and then the run fails (see Runner)
        task.effective["stop_kills"] = task.status == "running"
        sim.set_status(task, "stopping")
        sim.pool.signal(task.id)
    return empty(204)


def _late_end(sim: Simulator, task: Task) -> None:
    """The ``end`` of a force-stopped run, with the second ``update``."""
    if sim.store.tasks.get(task.id) is task and task.end is None:
        task.end = truncate(now_ns(), 6)
        sim.push_update(task)


async def _confirm_or_reject(request: web.Request, status: str) -> web.Response:
    """§6.6 confirm (v2.9+) / reject (v2.11+): 400 if not active, 204 otherwise."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_RUN)
    if not sim.pool.is_active(task.id):
        return empty(400)
    sim.set_status(task, status)
    sim.pool.signal(task.id)
    return empty(204)


async def confirm_task(request: web.Request) -> web.Response:
    """Confirm a task waiting for confirmation."""
    return await _confirm_or_reject(request, "confirmed")


async def reject_task(request: web.Request) -> web.Response:
    """Reject a task waiting for confirmation."""
    return await _confirm_or_reject(request, "rejected")


async def delete_task(request: web.Request) -> web.Response:
    """§6.7: 400 unknown, 403 without manage, 400 active, 401 non-admin, 204."""
    sim = sim_of(request)
    project, perms = project_of(request)
    task = task_of(request, project)
    require(perms, PERM_MANAGE)
    if sim.pool.is_active(task.id):
        return empty(400)
    user = auth_of(request).user
    if user is None or not user.admin:
        return empty(401)
    sim.store.tasks.pop(task.id, None)
    sim.store.outputs.pop(task.id, None)
    return empty(204)


async def pool_tasks(request: web.Request) -> web.Response:
    """Admin ``GET /api/tasks`` (2.10+, api/tasks/tasks.go GetTasks): the in-memory pool, queue first then
    running. A task its run lost (a restart) is not there; one whose process died (killed) still is."""
    sim = sim_of(request)
    user = auth_of(request).user
    if user is None or not user.admin:
        return empty(403)
    store = sim.store
    rows = [(task_id, "queue") for task_id in sim.pool.queue] + [(task_id, "running") for task_id in sim.pool.running]
    return send_json([{"task_id": task_id, "project_id": store.tasks[task_id].project_id,
                       "status": store.tasks[task_id].status, "location": location}
                      for task_id, location in rows if task_id in store.tasks])


def routes(profile: Profile) -> list[Route]:
    """The task routes of this version; ``reject`` exists from v2.11 (§6.6, §7)."""
    base = "/api/project/{project_id}"
    result: list[Route] = [
        ("GET", base + "/templates/{template_id}/tasks", list_tasks),
        ("GET", base + "/templates/{template_id}/tasks/last", last_tasks),
        ("GET", base + "/tasks", list_tasks), ("GET", base + "/tasks/last", last_tasks),
        ("GET", base + "/tasks/{task_id}", get_task), ("DELETE", base + "/tasks/{task_id}", delete_task),
        ("POST", base + "/tasks/{task_id}/stop", stop_task), ("POST", base + "/tasks/{task_id}/confirm", confirm_task),
        ("GET", "/api/tasks", pool_tasks),
    ]
    if profile.status_rejected:
        result.append(("POST", base + "/tasks/{task_id}/reject", reject_task))
    return result
