"""§14 a project's backup (``GET /api/project/{id}/backup``: objects linked by name, no ids, no secrets)
and its restore into a new project (``POST /api/projects/restore``), as in 2.10.32
(``services/project/backup.go``, ``restore.go``, ``backup_marshal.go``).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
import secrets
import string
from dataclasses import replace
from typing import Any

from aiohttp import web

from . import cron, views
from .api_common import Route, auth_of, empty, project_of, read_json, send_json, sim_of
from .api_resources import is_bolt
from .api_templates import stored_columns, template_problem
from .profiles import Profile
from .state import Project, Store, Template
from .timefmt import now_ns

ENTRY_FIELDS = {  # per list: the fields a backup holds (besides the name links), all of them optional
    "keys": ("name", "type"), "views": ("title", "position"),
    "environments": ("name", "password", "json", "env"),
    "repositories": ("name", "git_url", "git_branch"), "inventories": ("name", "inventory", "type"),
    "templates": ("name", "playbook", "arguments", "allow_override_args_in_task", "description", "type",
                  "start_version", "autorun", "git_branch", "survey_vars", "suppress_success_alerts", "app"),
}
ATTRS = {"keys": "keys", "views": "views", "environments": "environments", "repositories": "repositories",
         "inventories": "inventories"}


def _rows(store: Store, items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """BoltDB lists by id; SQL by ``key`` (name; views: position)."""
    rows = sorted(items, key=lambda row: int(row["id"]))
    if is_bolt(store):
        return rows
    return sorted(rows, key=lambda row: str(row.get(key) or "").casefold() if key != "position" else row[key])


def unique_names(rows: list[dict[str, Any]], key: str) -> None:
    """makeUniqueNames: a name an earlier row already has gets `` - <10 random [a-z0-9]>``."""
    for index in range(len(rows) - 1, -1, -1):
        if any(rows[other][key] == rows[index][key] for other in range(index)):
            suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for dummy in range(10))
            rows[index] = dict(rows[index], **{key: f"{rows[index][key]} - {suffix}"})


def _strip(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    """The marshaller drops null fields; nil lists become ``[]``."""
    return {name: row.get(name) for name in fields if row.get(name) is not None}


def _name(rows: list[dict[str, Any]], value: Any, key: str = "name") -> str | None:
    return next((str(row[key]) for row in rows if value is not None and row["id"] == value), None)


def listed_template(store: Store, template: Template) -> dict[str, Any]:
    """A template as GetTemplates returns it: SQL's list has no autorun, suppress_success_alerts or
    survey_vars (§14)."""
    row = dict(template.data, id=template.id, name=template.name, playbook=template.playbook)
    row.update({name: bool(row.get(name)) for name in ("allow_override_args_in_task", "autorun",
                                                       "suppress_success_alerts")})
    row.update(type=str(row.get("type") or ""), app=str(row.get("app") or ""))
    if not is_bolt(store):
        row.update(autorun=False, suppress_success_alerts=False, survey_vars=None)
    return row


def _loaded(store: Store, project: Project) -> dict[str, list[dict[str, Any]]]:
    """BackupDB.load: the lists as the store returns them, names made unique."""
    keys = [k for k in project.keys.values() if k.get("environment_id") is None]
    listed = [listed_template(store, t) for t in store.templates.values() if t.project_id == project.id]
    loaded = {"keys": _rows(store, keys, "name"), "views": _rows(store, list(project.views.values()), "position"),
              "environments": _rows(store, list(project.environments.values()), "name"),
              "repositories": _rows(store, list(project.repositories.values()), "name"),
              "inventories": _rows(store, list(project.inventories.values()), "name"),
              "templates": _rows(store, listed, "name")}
    for kind, rows in loaded.items():
        unique_names(rows, "title" if kind == "views" else "name")
    return loaded


def _template_entry(store: Store, loaded: dict[str, list[dict[str, Any]]], project: Project,
                    tpl: dict[str, Any]) -> dict[str, Any]:
    entry = _strip(tpl, ENTRY_FIELDS["templates"])
    entry["survey_vars"] = tpl.get("survey_vars") or []
    entry["vaults"] = []  # the list does not load vaults
    links = {"inventory": _name(loaded["inventories"], tpl.get("inventory_id")),
             "repository": _name(loaded["repositories"], tpl.get("repository_id")),
             "environment": _name(loaded["environments"], tpl.get("environment_id")),
             "build_template": _name(loaded["templates"], tpl.get("build_template_id")),
             "view": _name(loaded["views"], tpl.get("view_id"), "title"),
             "cron": next((s["cron_format"] for s in sorted(project.schedules.values(), key=lambda s: s["id"])
                           if s["template_id"] == tpl["id"] and (s["cron_format"] or is_bolt(store))), None)}
    entry.update({name: value for name, value in links.items() if value is not None})
    return entry


def backup_of(store: Store, project: Project) -> dict[str, Any]:
    """BackupDB.format: every list (``[]`` when empty), no ids, references by (unique) name."""
    loaded = _loaded(store, project)
    keys = loaded["keys"]
    backup: dict[str, Any] = {
        "meta": _strip(dict(project.data, name=project.name, alert=bool(project.data.get("alert")),
                            max_parallel_tasks=int(project.data.get("max_parallel_tasks") or 0),
                            type=str(project.data.get("type") or "")),
                       ("name", "alert", "alert_chat", "max_parallel_tasks", "type")),
        "keys": [_strip(k, ENTRY_FIELDS["keys"]) for k in keys],
        "views": [_strip(v, ENTRY_FIELDS["views"]) for v in loaded["views"]],
        "environments": [_strip(e, ENTRY_FIELDS["environments"]) for e in loaded["environments"]],
        "repositories": [_strip(dict(r, ssh_key=_name(keys, r.get("ssh_key_id"))), ENTRY_FIELDS["repositories"]
                                + ("ssh_key",)) for r in loaded["repositories"]],
        "inventories": [_strip(dict(i, ssh_key=_name(keys, i.get("ssh_key_id")),
                                    become_key=_name(keys, i.get("become_key_id"))),
                               ENTRY_FIELDS["inventories"] + ("ssh_key", "become_key")) for i in loaded["inventories"]],
        "templates": [_template_entry(store, loaded, project, t) for t in loaded["templates"]],
        "integrations": [], "integration_aliases": [],
    }
    if store.profile.backup_schedules:
        backup["schedules"] = [{"cron_format": s["cron_format"], "name": s["name"], "active": s["active"],
                                "template": _name(loaded["templates"], s["template_id"]) or ""}
                               for s in sorted(project.schedules.values(), key=lambda s: s["id"])]
    return backup


async def get_backup(request: web.Request) -> web.Response:
    """§14 GET /backup: any member; the JSON with sorted keys (Go marshals a map)."""
    project, _perms = project_of(request)
    body = json.dumps(backup_of(sim_of(request).store, project), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    response = web.Response(status=200, body=body.encode("utf-8"))
    response.headers["Content-Type"] = "application/json"
    return response


# ---- restore ---------------------------------------------------------------------------------------
class RestoreError(Exception):
    """Verify or Restore failed: a plain error, so 400 with an empty body (what was created stays)."""


LISTS = ("environments", "views", "keys", "repositories", "inventories", "templates", "integrations",
         "integration_aliases", "schedules")
TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str, "title": str, "type": str, "password": str, "json": str, "env": str, "git_url": str,
    "git_branch": str, "inventory": str, "ssh_key": str, "become_key": str, "playbook": str, "arguments": str,
    "description": str, "start_version": str, "app": str, "repository": str, "environment": str,
    "build_template": str, "view": str, "cron": str, "template": str, "cron_format": str, "alert_chat": str,
    "position": (int, float), "max_parallel_tasks": (int, float), "alert": bool, "autorun": bool, "active": bool,
    "allow_override_args_in_task": bool, "suppress_success_alerts": bool, "survey_vars": list, "vaults": list}


def parse_backup(data: Any) -> dict[str, Any]:
    """BackupFormat.Unmarshal: objects where structs are, lists where slices are, basic types as declared
    (null is skipped); anything else fails."""
    if not isinstance(data, dict) or not isinstance(data.get("meta", {}), (dict, type(None))):
        raise RestoreError("expected object")
    entries = [data.get("meta") or {}]
    for name in LISTS:
        value = data.get(name)
        if value is not None and not isinstance(value, list):
            raise RestoreError("expected array for slice")
        entries += [] if name == "integration_aliases" else list(value or [])
    for entry in entries:
        if not isinstance(entry, dict):
            raise RestoreError("expected object for struct")
        for key, kind in TYPES.items():
            value = entry.get(key)
            if value is not None and (not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)):
                raise RestoreError(f"unexpected type for {key}")
    return data


def _names(data: dict[str, Any], kind: str, key: str = "name") -> list[Any]:
    return [entry.get(key, "") for entry in data.get(kind) or []]


def verify(data: dict[str, Any]) -> None:
    """BackupFormat.Verify: a name three times in one list; a link to a name the backup does not have; a
    deploy template without its build template; a cron the parser refuses."""
    for kind in ("environments", "views", "keys", "repositories", "inventories", "templates"):
        names = _names(data, kind, "title" if kind == "views" else "name")
        if any(names.count(name) > 2 for name in names):
            raise RestoreError(f"{kind}: duplicate")
    keys = _names(data, "keys")
    for entry in (data.get("repositories") or []) + (data.get("inventories") or []):
        if any(entry.get(link) is not None and entry[link] not in keys for link in ("ssh_key", "become_key")):
            raise RestoreError("SSHKey does not exist in keys[].Name")
    for entry in data.get("templates") or []:
        verify_template(data, entry)


def verify_template(data: dict[str, Any], entry: dict[str, Any]) -> None:
    """BackupTemplate.Verify."""
    links = (("repository", "repositories", "name"), ("inventory", "inventories", "name"),
             ("vault_key", "keys", "name"), ("view", "views", "title"))
    if str(entry.get("repository") or "") not in _names(data, "repositories"):
        raise RestoreError("repository does not exist in repositories[].name")
    for link, kind, key in links[1:]:
        if entry.get(link) is not None and entry[link] not in _names(data, kind, key):
            raise RestoreError(f"{link} does not exist in {kind}[].{key}")
    if any((vault or {}).get("vault_key") not in _names(data, "keys") for vault in entry.get("vaults") or []):
        raise RestoreError("vaults[].vaultKey does not exist in keys[].name")
    if entry.get("type") == "deploy" and entry.get("build_template") not in _names(data, "templates"):
        raise RestoreError("deploy is build but build_template does not exist in templates[].name")
    if entry.get("cron") is not None:
        try:
            cron.validate(entry["cron"])
        except cron.CronError as problem:
            raise RestoreError(str(problem)) from None


def _id_of(project: Project, kind: str, name: Any, key: str = "name") -> int | None:
    """findEntityByName among what the restore has created so far: the first with that name."""
    rows = sorted(getattr(project, kind).values(), key=lambda row: int(row["id"]))
    return next((int(row["id"]) for row in rows if name is not None and row.get(key) == name), None)


def restore_resources(store: Store, project: Project, data: dict[str, Any]) -> None:
    """Environments, views, keys, repositories and inventories, in that order (their checks as on create)."""
    for entry in data.get("environments") or []:
        try:
            valid = bool(entry.get("name")) and isinstance(json.loads(str(entry.get("json") or "")), dict)
        except ValueError:
            valid = False
        if not valid:
            raise RestoreError("environment")
        store.add_resource(project, "environments", {name: entry.get(name) for name in ENTRY_FIELDS["environments"]})
    for entry in data.get("views") or []:
        store.add_resource(project, "views", {"title": entry.get("title", ""),
                                              "position": int(entry.get("position") or 0)})
    for entry in data.get("keys") or []:
        store.add_resource(project, "keys", {"name": entry.get("name", ""), "type": entry.get("type", ""),
                                             "secret": None, "environment_id": None})
    for entry in data.get("repositories") or []:
        key_id = _id_of(project, "keys", entry.get("ssh_key"))
        if key_id is None or not entry.get("name") or not entry.get("git_url") or \
                (not str(entry["git_url"]).startswith("/") and not entry.get("git_branch")):
            raise RestoreError("repository")
        store.add_resource(project, "repositories", dict({n: entry.get(n) for n in ENTRY_FIELDS["repositories"]},
                                                         ssh_key_id=key_id))
    for entry in data.get("inventories") or []:
        store.add_resource(project, "inventories", dict(
            {n: entry.get(n, "") for n in ENTRY_FIELDS["inventories"]}, holder_id=None, repository_id=None,
            ssh_key_id=_id_of(project, "keys", entry.get("ssh_key")),
            become_key_id=_id_of(project, "keys", entry.get("become_key"))))


def restore_template(store: Store, project: Project, entry: dict[str, Any]) -> None:
    """BackupTemplate.Restore: links by name, Validate, the template, a schedule for ``cron`` (with the
    template's repository_id and inactive, so the project's schedule list does not show it), the vaults."""
    body = {name: entry.get(name) for name in ENTRY_FIELDS["templates"]}
    body.update(inventory_id=_id_of(project, "inventories", entry.get("inventory")),
                environment_id=_id_of(project, "environments", entry.get("environment")),
                repository_id=_id_of(project, "repositories", entry.get("repository")),
                view_id=_id_of(project, "views", entry.get("view"), "title"),
                build_template_id=next((t.id for t in sorted(store.templates.values(), key=lambda t: t.id)
                                        if t.project_id == project.id and t.name == entry.get("build_template")
                                        and entry.get("type") == "deploy"), None))
    if body["repository_id"] is None or template_problem(body):
        raise RestoreError("template")
    template = store.add_template(project, str(body["name"]), str(body.get("playbook") or ""), {})
    template.data = stored_columns(store.profile, project, body, template.id)
    if entry.get("cron") is not None:
        add_schedule_row(store, project, {"template_id": template.id, "cron_format": entry["cron"], "name": "",
                                          "active": False, "repository_id": body["repository_id"]})
    template.data["vaults"] = [{"id": i + 1, "project_id": project.id, "template_id": template.id,
                                "vault_key_id": _id_of(project, "keys", vault.get("vault_key")),
                                "name": vault.get("name")} for i, vault in enumerate(entry.get("vaults") or [])]


def add_schedule_row(store: Store, project: Project, fields: dict[str, Any]) -> None:
    """A schedule with the next id."""
    row = dict(fields, id=store.next_ids["schedules"], project_id=project.id)
    store.next_ids["schedules"] += 1
    project.schedules[row["id"]] = row


def restore_into(store: Store, project: Project, data: dict[str, Any]) -> None:
    """BackupFormat.Restore after the project: resources, templates (deploy ones last), 2.16+ schedules."""
    restore_resources(store, project, data)
    templates = data.get("templates") or []
    for entry in sorted(templates, key=lambda t: t.get("type") == "deploy"):  # stable: deploy ones last
        restore_template(store, project, entry)
    for entry in (data.get("schedules") or []) if store.profile.backup_schedules else []:
        template_id = next((t.id for t in store.templates.values()
                            if t.project_id == project.id and t.name == entry.get("template")), None)
        if template_id is None:
            raise RestoreError("schedule")
        add_schedule_row(store, project, {"template_id": template_id, "cron_format": entry.get("cron_format", ""),
                                          "name": entry.get("name", ""), "active": bool(entry.get("active")),
                                          "repository_id": None})


async def restore(request: web.Request) -> web.Response:
    """§14 POST /api/projects/restore (any user): a new project from a backup, the caller its owner; 200 with
    the project (SQL: as sent). No None key, Empty environment or All view are added. Any failure is 400
    with an empty body; what was created before it stays."""
    user = auth_of(request).user
    assert user is not None
    sim = sim_of(request)
    store = sim.store
    try:
        data = verify_parsed(await read_json(request))
    except RestoreError:
        return empty(400)
    meta = data.get("meta") or {}
    settings = {name: meta[name] for name in ("alert", "alert_chat", "max_parallel_tasks", "type")
                if meta.get(name) is not None}
    project = Project(id=store.next_ids["projects"], name=str(meta.get("name") or ""), created=now_ns(),
                      members={user.id: "owner"},
                      data=dict(settings) if is_bolt(store) else {"type": settings.get("type", "")})
    store.next_ids["projects"] += 1
    store.projects[project.id] = project
    try:
        restore_into(store, project, data)
    except RestoreError:
        return empty(400)
    return send_json(views.project_json(sim.profile, replace(project, data=settings)))


def verify_parsed(data: Any) -> dict[str, Any]:
    """Unmarshal then Verify."""
    parsed = parse_backup(data)
    verify(parsed)
    return parsed


def routes(_profile: Profile) -> list[Route]:
    """The §14 backup and restore routes."""
    return [("GET", "/api/project/{project_id}/backup", get_backup), ("POST", "/api/projects/restore", restore)]
