"""§6.1 launching a task: what the server keeps of the request, the environment merge, and the run.

§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from . import output, views
from .api_common import Reply, Route, auth_of, check_types, empty, error, project_of, read_json, require, \
    send_json, sim_of
from .core import Simulator
from .profiles import Profile
from .state import PERM_RUN, Project, Task, Template
from .timefmt import fmt_time, now_ns, truncate

BOOL_PARAMS = ("debug", "dry_run", "diff", "skip_galaxy_install", "plan", "destroy", "auto_approve", "upgrade",
               "reconfigure")
LIST_PARAMS = ("limit", "tags", "skip_tags")
FLAG_FOR_PARAM = {"debug": "allow_debug", "debug_level": "allow_debug", "limit": "allow_override_limit",
                  "tags": "allow_override_tags", "skip_tags": "allow_override_skip_tags"}


def _params_type_ok(params: dict[str, Any]) -> bool:
    """§6.1: params are re-decoded into the typed struct; a mismatch is a 500."""
    for key, value in params.items():
        if value is None:
            continue
        if key in BOOL_PARAMS and not isinstance(value, bool):
            return False
        if key == "debug_level" and (isinstance(value, bool) or not isinstance(value, (int, float))
                                     or (isinstance(value, float) and not value.is_integer())):
            return False
        if key in LIST_PARAMS and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            return False
    return True


def _inventory_hosts(project: Project, inventory_id: int) -> list[str]:
    text = str(project.inventories.get(inventory_id, {}).get("inventory", ""))
    hosts = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("[")]
    return hosts or ["web1", "web2"]


def _template_by_name(sim: Simulator, project: Project, name: str) -> Template | None:
    matches = [t for t in sim.store.templates.values() if t.project_id == project.id and t.name == name]
    return min(matches, key=lambda t: t.id) if matches else None


TASK_FIELDS: dict[str, type | tuple[type, ...]] = {
    "template_id": int, "template_name": str, "message": str, "playbook": str, "environment": str, "secret": str,
    "arguments": str, "git_branch": str, "inventory_id": int, "params": dict, "limit": str, "debug": bool,
    "dry_run": bool, "diff": bool, "build_task_id": int, "version": str,
}


def _resolve_template(sim: Simulator, project: Project, body: dict[str, Any]) -> Template:
    template_id = int(body.get("template_id") or 0)
    if template_id == 0 and sim.profile.template_name_launch:
        name = str(body.get("template_name") or "")
        if not name:
            raise Reply(error(400, "template_id or template_name is required"))
        found = _template_by_name(sim, project, name)
        if found is None:
            raise Reply(empty(404))
        return found
    template = sim.store.templates.get(template_id)
    if template is None or template.project_id != project.id:
        # §6.1: 404 from v2.11; 500 in v2.8-v2.10 (the lookup happened inside the pool)
        raise Reply(empty(sim.profile.unknown_template_status))
    return template


def _effective_params(sim: Simulator, template: Template, body: dict[str, Any]) -> dict[str, Any]:
    """§6.1 / §10: which ``params`` the server keeps for this template and version."""
    params = body.get("params")
    params = dict(params) if isinstance(params, dict) else {}
    if not _params_type_ok(params):
        raise Reply(empty(500))
    if sim.profile.top_level_flags:
        # §10 v2.11: top-level debug, dry_run and diff are still honoured and also copied into params
        # (v2.11-v2.13). Copied before the template checks, so v2.13's allow_debug gates both forms.
        params.update({key: True for key in ("debug", "dry_run", "diff")
                       if body.get(key) is True and key not in params})
    limit = str(body.get("limit") or "")
    if sim.profile.deprecated_limit_to_params and "limit" not in params and limit:
        # §6.1: the deprecated top-level limit string becomes params.limit (v2.14.x+)
        params["limit"] = [part.strip() for part in limit.split(",") if part.strip()]
    kept: dict[str, Any] = {}
    for key, value in params.items():
        flag = FLAG_FOR_PARAM.get(key)
        if flag == "allow_debug" and not sim.profile.params_debug_needs_flag:
            flag = None
        if flag in ("allow_override_limit", "allow_override_tags", "allow_override_skip_tags") \
                and not sim.profile.params_limit_tags_need_flags:
            flag = None
        if flag is None or template.flag(flag):
            kept[key] = value
    return kept


async def create_task(request: web.Request) -> web.Response:  # pylint: disable=too-many-locals
    """§6.1 POST /api/project/{id}/tasks: 201 ``waiting``; the run happens in the background."""
    sim = sim_of(request)
    profile = sim.profile
    project, perms = project_of(request)
    require(perms, PERM_RUN)
    body = await read_json(request)
    if not isinstance(body, dict):
        return empty(400)
    check_types(body, TASK_FIELDS)
    template = _resolve_template(sim, project, body)
    user = auth_of(request).user
    assert user is not None
    created = now_ns()
    limit_sent = str(body.get("limit") or "")
    task = Task(id=sim.store.allocate_task_id(), template_id=template.id, project_id=project.id, user_id=user.id,
                created=truncate(created, 6), playbook=str(body.get("playbook") or ""),
                environment=str(body.get("environment") or ""), arguments=body.get("arguments"),
                git_branch=body.get("git_branch") or None, message=str(body.get("message") or ""),
                inventory_id=int(body["inventory_id"]) if body.get("inventory_id") else None,
                build_task_id=body.get("build_task_id"), version=body.get("version"))
    if profile.task_params:
        task.params = _effective_params(sim, template, body)
    if profile.top_level_flags:
        # §6.1: v2.8-v2.13 honour top-level debug/dry_run/diff and the limit column
        task.debug, task.dry_run, task.diff = (bool(body.get("debug")), bool(body.get("dry_run")),
                                               bool(body.get("diff")))
        task.limit = limit_sent
    _record_effective(sim, project, template, task)
    sim.store.tasks[task.id] = task
    environment, env_error = _merge_environment(profile, _template_environment(project, template), task.environment)
    task.effective["environment"] = environment
    if env_error is not None:
        # §6.1, findings b/h: the task row exists, gets one "Error: ..." line and status ``error``, is
        # never queued, and the API answers 500 with an empty body
        sim.write_line_now(task, f"Error: {env_error}")
        sim.set_status(task, "error")
        return empty(500)
    sim.push_update(task)  # §9: an update is sent when the task is queued
    sim.write_line_now(task, output.queued_line(task.id))
    sim.pool.enqueue(task)
    data = views.task_json(profile, sim.store, task)
    data["created"] = _nano(created)
    data["secret"] = "{}"  # §6.1: the secret is replaced by {} before storing
    data["limit"] = limit_sent
    if profile.omit_empty_task:
        data = {key: data[key] for key in _post_order(data)}
    return send_json(data, 201)


def _post_order(data: dict[str, Any]) -> list[str]:
    order = ["id", "template_id", "project_id", "status", "playbook", "environment", "secret", "arguments",
             "git_branch", "user_id", "created", "message", "inventory_id", "params", "limit"]
    return [key for key in order if key in data] + [key for key in data if key not in order]


def _nano(stamp: int) -> str:
    """§1: the create response carries nanoseconds."""
    return str(fmt_time(stamp, 9))


def _go_json_object(text: str) -> tuple[dict[str, Any], str | None]:
    """Go's ``json.Unmarshal`` into a map: the object, or an error message in Go's wording (exact for
    empty and cut-off input, approximate otherwise)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        position = getattr(exc, "pos", 0)
        if position >= len(text.rstrip()):
            return {}, "unexpected end of JSON input"
        return {}, f"invalid character '{text[position]}' looking for beginning of value"
    if value is None:
        return {}, None  # null leaves the map empty
    if not isinstance(value, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(value), "number")
        return {}, f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return value, None


def _template_environment(project: Project, template: Template) -> str:
    """The JSON of the template's environment; "" when it has none."""
    env_id = template.data.get("environment_id")
    if not env_id:
        return ""
    return str(project.environments.get(int(env_id), {}).get("json") or "")


def _merge_environment(profile: Profile, template_json: str, task_json: str) -> tuple[dict[str, Any], str | None]:
    """findings b: the effective extra variables of a launch, or the error that fails it.

    No task environment: the template's is used as is. Through v2.15 the template's JSON is parsed even
    when empty (error ``unexpected end of JSON input``) and its keys win; v2.16 the task's keys win but
    an empty template environment still fails; 2026 code skips an empty template environment."""
    if not task_json:
        template_env, _error = _go_json_object(template_json) if template_json else ({}, None)
        return template_env, None
    if not profile.env_task_wins:
        # the task's JSON is parsed only when the template has some; then the template's, whose keys win
        parts = [task_json, template_json] if template_json else [template_json]
    else:
        parts = ([template_json] if template_json or not profile.env_empty_template_ok else []) + [task_json]
    merged: dict[str, Any] = {}
    for text in parts:
        environment, error = _go_json_object(text)
        if error:
            return {}, error
        merged.update(environment)
    return merged, None


def _record_effective(sim: Simulator, project: Project, template: Template, task: Task) -> None:
    """What the simulated run honours, visible in /_sim/state."""
    inventory_id = int(template.data.get("inventory_id") or 0)
    if task.inventory_id and template.flag("allow_override_inventory"):
        inventory_id = task.inventory_id
    hosts = _inventory_hosts(project, inventory_id)
    limit = task.params.get("limit") if sim.profile.task_params else None
    if not limit and sim.profile.top_level_flags:
        # §6.1: the limit column up to v2.13 (v2.11-v2.13: when params.limit is not given)
        limit = [part.strip() for part in task.limit.split(",") if part.strip()]
    if limit:
        hosts = [h for h in hosts if h in limit] or list(limit)
    arguments = None
    if task.arguments and template.flag("allow_override_args_in_task"):
        arguments = task.arguments
        try:
            if not isinstance(json.loads(arguments), list):
                task.effective["arguments_error"] = True
        except ValueError:
            task.effective["arguments_error"] = True  # §6.1: the run fails, the API still answers 201
    flags = task.params if sim.profile.task_params else \
        {"debug": task.debug, "dry_run": task.dry_run, "diff": task.diff}
    task.effective.update({"inventory_id": inventory_id, "hosts": hosts, "arguments": arguments,
                           "git_branch": task.git_branch or template.data.get("git_branch"),
                           "playbook": task.playbook or template.playbook,
                           "params": dict(flags)})


def routes(_profile: Profile) -> list[Route]:
    """The §6.1 route."""
    return [("POST", "/api/project/{project_id}/tasks", create_task)]
