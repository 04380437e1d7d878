"""§13 a project's environments and their write-only secrets.

An environment's secrets are keys of type ``string`` with its ``environment_id`` and the name
``var.<name>`` or ``env.<name>`` (2.10.32 ``api/projects/environment.go updateEnvironmentSecrets``);
they are written as operations in ``secrets`` on POST or PUT and read back, without their values, on
``GET …/environment/{id}``. §n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .api_common import Reply, Route, check_types, empty, error, sim_of
from .api_resources import (SAME_PROJECT, Kind, body_of, create_in_body_project, created, drop_connection, is_bolt,
                            put_target, resource_routes)
from .core import Simulator
from .profiles import Profile
from .state import Project, Store

ENVIRONMENTS = Kind("environments", "environment", "environment_id", "Environment")
ENVIRONMENT_FIELDS = {"id": int, "name": str, "project_id": int, "password": str, "json": str, "env": str,
                      "secrets": list}
SECRET_FIELDS = {"id": int, "type": str, "name": str, "secret": str, "operation": str}
SECRET_TYPES = ("var", "env")


def secrets_of(project: Project, env: dict[str, Any], bolt: bool) -> list[dict[str, Any]]:
    """FillEnvironmentSecrets: the prefix is the type (none: ``var``); the value is never shown. In the
    order each backend lists keys (recorded on 2.10.32): BoltDB as created, SQL by the key's name
    (``env.…`` before ``var.…``, MariaDB's collation ignoring case)."""
    owned = sorted((k for k in project.keys.values() if k.get("environment_id") == env["id"]), key=lambda k: k["id"])
    if not bolt:
        owned.sort(key=lambda k: str(k["name"]).lower())
    result = []
    for key in owned:
        kind, dot, name = str(key["name"]).partition(".")
        if kind not in SECRET_TYPES or not dot:
            kind, name = "var", key["name"]
        result.append({"id": key["id"], "type": kind, "name": name, "secret": "", "operation": ""})
    return result


def environment_json(_profile: Profile, store: Store, env: dict[str, Any], listing: bool) -> dict[str, Any]:
    """§13 Environment: ``secrets`` null in the list, the secrets (or null) in the single GET; the legacy
    vault ``password`` comes back in clear."""
    data = {name: env.get(name) for name in ("id", "name", "project_id", "password", "json", "env")}
    data["secrets"] = None if listing else (secrets_of(store.projects[env["project_id"]], env, is_bolt(store)) or None)
    return data


def valid_json(text: Any) -> bool:
    """Go's json.Valid (no NaN or Infinity; the empty text is not JSON)."""
    def refuse(_constant: str) -> Any:
        raise ValueError("not JSON")
    try:
        json.loads(str(text), parse_constant=refuse)
    except ValueError:
        return False
    return True


async def environment_body(request: web.Request) -> dict[str, Any]:
    """An environment as sent; each secret operation type-checked too."""
    body = await body_of(request, ENVIRONMENT_FIELDS)
    for secret in body.get("secrets") or []:
        if not isinstance(secret, dict):
            raise Reply(empty(400))
        check_types(secret, SECRET_FIELDS)
    return body


def environment_fields(body: dict[str, Any]) -> dict[str, Any]:
    """Environment.Validate (400 with the message), then the stored fields."""
    if not body.get("name"):
        raise Reply(error(400, "Environment name can not be empty"))
    if not valid_json(body.get("json") or ""):
        raise Reply(error(400, "Extra variables must be valid JSON"))
    if body.get("env") is not None and not valid_json(body["env"]):
        raise Reply(error(400, "Environment variables must be valid JSON"))
    return {"name": body["name"], "password": body.get("password"), "json": body["json"], "env": body.get("env")}


def owned_secret(request: web.Request, profile: Profile, project: Project, env: dict[str, Any],
                 secret: dict[str, Any]) -> dict[str, Any] | None:
    """The key a ``delete`` or ``update`` names, or None (unknown: skipped). 2.10 checks ownership with
    ``EnvironmentID == nil && …``: a project key's id drops the connection (nil dereference) and another
    environment's secret passes; the newest code answers 400 (empty) for both."""
    key = project.keys.get(int(secret.get("id") or 0))
    if key is None:
        return None
    if key.get("environment_id") != env["id"] and profile.env_secret_owner_check:
        raise Reply(empty(400))  # "secret does not belong to this environment"
    if key.get("environment_id") is None:
        drop_connection(request)
    return key


def update_secret(request: web.Request, sim: Simulator, key: dict[str, Any], secret: dict[str, Any]) -> None:
    """``operation: update``. 2.10 calls UpdateAccessKey without id and project: BoltDB panics (the
    connection drops; the environment is already saved), SQL updates nothing. From 2.11 the name and
    value change; from about 2.16 an empty value renames only and the type stays."""
    if not sim.profile.env_secret_update:
        if is_bolt(sim.store):
            drop_connection(request)
        return
    kind = str(key["name"]).partition(".")[0] if sim.profile.env_secret_empty_keeps else secret["type"]
    key["name"] = f"{kind}.{secret.get('name') or ''}"
    if secret.get("secret") or not sim.profile.env_secret_empty_keeps:
        key["secret"] = secret.get("secret") or None


def apply_secrets(request: web.Request, sim: Simulator, project: Project, env: dict[str, Any],
                  secrets: list[dict[str, Any]] | None) -> None:
    """updateEnvironmentSecrets, after the environment is saved: operations in order; a type other than
    ``var``/``env`` is skipped silently."""
    for secret in secrets or []:
        if secret.get("type") not in SECRET_TYPES:
            continue
        operation = secret.get("operation")
        if operation == "create":
            sim.store.add_resource(project, "keys", {
                "name": f"{secret['type']}.{secret.get('name') or ''}", "type": "string",
                "secret": secret.get("secret") or None, "environment_id": env["id"]})
            continue
        if operation not in ("delete", "update"):
            continue
        key = owned_secret(request, sim.profile, project, env, secret)
        if key is not None and operation == "delete":
            del project.keys[key["id"]]
        elif key is not None:
            update_secret(request, sim, key, secret)


def create_environment(request: web.Request, sim: Simulator, body: dict[str, Any]) -> web.Response:
    """CreateEnvironment in the body's project (2.10 uses it even after its 400), then the secrets."""
    target = sim.store.projects.get(int(body.get("project_id") or 0))
    if target is None:
        raise Reply(empty(400))  # SQL: the foreign key fails (a plain error)
    env = sim.store.add_resource(target, "environments", environment_fields(body))
    apply_secrets(request, sim, target, env, body.get("secrets"))
    return created(sim.profile, dict(environment_json(sim.profile, sim.store, env, True), secrets=[]))


async def add_environment(request: web.Request) -> web.Response:
    """§13 POST /environment: 204 (2.10) or 201 with the environment (``secrets: []``)."""
    return await create_in_body_project(request, environment_body, create_environment)


async def update_environment(request: web.Request) -> web.Response:
    """§13 PUT /environment/{id}: the fields are replaced and saved, then the secret operations run."""
    project, env, body = await put_target(request, ENVIRONMENTS, environment_body,
                                          ("Environment ID in body and URL must be the same", SAME_PROJECT))
    env.update(environment_fields(body))
    apply_secrets(request, sim_of(request), project, env, body.get("secrets"))
    return empty(204)


def forget_secrets(store: Store, project: Project, env: dict[str, Any]) -> None:
    """SQL deletes an environment's secrets with it (``on delete cascade``); BoltDB leaves them behind."""
    if not is_bolt(store):
        for key_id in [k for k, key in project.keys.items() if key.get("environment_id") == env["id"]]:
            del project.keys[key_id]


def routes(_profile: Profile) -> list[Route]:
    """The §13 environment routes."""
    return resource_routes(ENVIRONMENTS, environment_json, (add_environment, update_environment),
                           forget=forget_secrets)
