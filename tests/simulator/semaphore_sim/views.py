"""JSON shapes of the objects, version by version (§4, §5.2, §6).

§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

from typing import Any

from .profiles import Profile
from .state import Project, Store, Task, Template, Token, User
from .timefmt import fmt_time


def _omit_empty(data: dict[str, Any], keep: tuple[str, ...]) -> dict[str, Any]:
    """Go ``omitempty``: drop false, 0, "", null and empty collections except the ``keep`` keys."""
    return {key: value for key, value in data.items()
            if key in keep or value not in (None, False, 0, "", [], {})}


def user_json(profile: Profile, user: User) -> dict[str, Any]:
    """§4 GET /api/user."""
    data: dict[str, Any] = {"id": user.id, "created": fmt_time(user.created, 0), "username": user.username,
                            "name": user.name, "email": user.email, "admin": user.admin, "external": False,
                            "alert": False}
    if profile.user_pro:
        data["pro"] = False
    data["can_create_project"] = user.admin
    if profile.user_subscription:
        data["has_active_subscription"] = False
    if profile.user_totp_object and profile.totp and user.totp_secret:
        data["totp"] = {"id": user.id, "created": fmt_time(user.created, 0), "user_id": user.id,
                        "url": f"otpauth://totp/Semaphore:{user.username}?issuer=Semaphore&secret={user.totp_secret}"}
    return data


def token_json(profile: Profile, token: Token, listing: bool) -> dict[str, Any]:
    """§5.2; the list shows only 8 characters from v2.14 on."""
    token_id = token.id[:8] if listing and profile.tokens_deleted_by_prefix else token.id
    data: dict[str, Any] = {"id": token_id, "created": fmt_time(token.created, 0), "expired": token.expired,
                            "user_id": token.user_id}
    if profile.token_names:
        data["name"] = token.name
        if token.expires_at is not None:
            data["expires_at"] = fmt_time(token.expires_at, 0)
    return data


def project_json(profile: Profile, project: Project) -> dict[str, Any]:
    """§6 Project object; alert/alert_chat/max_parallel_tasks omitted when empty since v2.13."""
    data: dict[str, Any] = {"id": project.id, "name": project.name, "created": fmt_time(project.created, 0),
                            "alert": bool(project.data.get("alert", False)),
                            "alert_chat": project.data.get("alert_chat"),
                            "max_parallel_tasks": int(project.data.get("max_parallel_tasks") or 0),
                            "type": str(project.data.get("type") or "")}
    if profile.omit_empty_project:
        data = _omit_empty(data, ("id", "name", "created", "type"))
    return data


def task_json(profile: Profile, store: Store, task: Task, with_tpl: bool = False) -> dict[str, Any]:
    """§6.5 Task (and TaskWithTpl for lists and ``last_task``)."""
    data: dict[str, Any] = {"id": task.id, "template_id": task.template_id, "project_id": task.project_id,
                            "status": task.status}
    if profile.top_level_flags:
        data.update({"debug": task.debug, "dry_run": task.dry_run, "diff": task.diff})
    data.update({
        "playbook": task.playbook, "environment": task.environment,
        "limit": task.limit if not profile.omit_empty_task else "",
        "secret": "", "arguments": task.arguments, "git_branch": task.git_branch, "user_id": task.user_id,
        "integration_id": None, "schedule_id": None, "created": fmt_time(task.created, 6),
        "start": fmt_time(task.start, 6), "end": fmt_time(task.end, 6), "message": task.message,
        "commit_hash": task.commit_hash, "commit_message": task.commit_message,
        "build_task_id": task.build_task_id, "version": task.version, "inventory_id": task.inventory_id,
    })
    if profile.task_params:
        data["params"] = task.params
    if with_tpl:
        template = store.templates.get(task.template_id)
        user = store.users.get(task.user_id)
        data.update({"tpl_playbook": template.playbook if template else "",
                     "tpl_alias": template.name if template else "",
                     "tpl_type": str(template.data.get("type") or "") if template else "",
                     "tpl_app": str(template.data.get("app") or "") if template else "",
                     "user_name": user.name if user else None, "build_task": None})
    if profile.omit_empty_task:
        data = _omit_empty(data, ("id", "template_id", "project_id", "status", "playbook", "created", "limit"))
    return data


def _template_stored_fields(store: Store, raw: dict[str, Any], data: dict[str, Any], listing: bool) -> None:
    """§14: the SQL list selects neither autorun nor suppress_success_alerts and decodes survey_vars into
    a copy it then drops; the single GET lists the vaults."""
    if listing and store.options.backend != "bolt":
        data.update(autorun=False, survey_vars=None, suppress_success_alerts=False)
    if not listing and raw.get("vaults"):
        data["vaults"] = [dict(vault) for vault in raw["vaults"]]


def template_json(profile: Profile, store: Store, template: Template, permissions: int | None = None) -> dict[str, Any]:
    """§6 Template object with ``last_task``; every field present before v2.14, omit-when-empty after."""
    raw = template.data
    last = store.template_tasks(template.id)
    data: dict[str, Any] = {
        "id": template.id, "project_id": template.project_id, "inventory_id": raw.get("inventory_id"),
        "repository_id": raw.get("repository_id"), "environment_id": raw.get("environment_id"),
        "name": template.name, "playbook": template.playbook, "arguments": raw.get("arguments"),
        "allow_override_args_in_task": bool(raw.get("allow_override_args_in_task", False)),
        "description": raw.get("description"), "vault_key_id": None, "vaults": None, "type": str(raw.get("type") or ""),
        "start_version": raw.get("start_version"), "build_template_id": raw.get("build_template_id"),
        "view_id": raw.get("view_id"),
        "last_task": task_json(profile, store, last[0], with_tpl=True) if last else None,
        "autorun": bool(raw.get("autorun")), "survey_vars": raw.get("survey_vars"),
        "suppress_success_alerts": bool(raw.get("suppress_success_alerts")),
        "app": str(raw.get("app") or ""), "git_branch": raw.get("git_branch"), "tasks": len(last),
    }
    _template_stored_fields(store, raw, data, permissions is None)
    if profile.template_task_params:
        params = raw.get("task_params") or {}
        data["task_params"] = {key: bool(params.get(key, False)) for key in
                               ("allow_debug", "allow_override_limit", "allow_override_tags",
                                "allow_override_skip_tags", "allow_override_inventory")}
        data["task_params"].update({"limit": [], "tags": [], "skip_tags": []})
        # Terraform template params (findings e), omitted when empty
        data["task_params"].update({key: params[key] for key in ("allow_destroy", "allow_auto_approve", "auto_approve",
                                                                 "override_backend", "backend_filename")
                                    if params.get(key)})
        data["runner_tag"] = None
    if profile.template_branch_override:
        data["allow_override_branch_in_task"] = bool(raw.get("allow_override_branch_in_task", False))
    if profile.template_parallel_flag:
        data["allow_parallel_tasks"] = bool(raw.get("allow_parallel_tasks", False))
    if profile.template_vaults_list:
        data.pop("vault_key_id")  # 2.10.32 has the ``vaults`` list instead (recorded)
        if permissions is not None and not data["vaults"]:
            data["vaults"] = []  # recorded: [] in the single GET, null in the list
    if profile.omit_empty_template:
        data.pop("vault_key_id")
        data = _omit_empty(data, ("id", "project_id", "repository_id", "name", "playbook", "tasks",
                                  "allow_override_args_in_task", "allow_override_branch_in_task",
                                  "allow_parallel_tasks"))
    if profile.template_environment_ids:
        # §14: the links are the list; the legacy field answers 0 (kept by the omit-when-empty rule).
        data["environment_id"] = 0
        data["environment_ids"] = list(raw.get("environment_ids") or [])
    if profile.template_permissions and permissions is not None:
        data["permissions"] = permissions
    return data


def output_json(profile: Profile, task_id: int, stamp: int, text: str) -> dict[str, Any]:
    """§6.4 one output line, by version."""
    if profile.output_task_field:
        return {"task_id": task_id, "task": "", "time": fmt_time(stamp, 6), "output": text}
    data: dict[str, Any] = {}
    if profile.output_id_field:
        data["id"] = 0
    data.update({"task_id": task_id, "time": fmt_time(stamp, 6), "output": text})
    if profile.output_stage_id:
        data["stage_id"] = None
    return data
