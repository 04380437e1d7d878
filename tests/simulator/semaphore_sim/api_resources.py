"""§13 a project's access keys and repositories, and what the routes of every project resource share
(keys, repositories, inventories in api_inventories.py, environments in api_environments.py).

As in 2.10.32 (``api/projects/*.go``): any member reads; writes need manager, owner or admin (403
empty); the object in the path: 400 for a bad id, 404 (empty) when the project has none with it; a
delete of an object in use: 400 ``{"error":"<X> is in use by one or more templates","inUse":true}``.
The version differences are the §13 fields of profiles.py, BoltDB's (``--backend bolt``) are named
where they apply. §n: docs/server-behaviour.md.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from aiohttp import web

from .api_common import (JSON_TYPE, Handler, Reply, Route, auth_of, check_types, empty, error, int_param, project_of,
                         read_json, require, send_json, sim_of)
from .core import Simulator
from .profiles import Profile
from .state import PERM_MANAGE, REFERRING_FIELDS, Project, Store

SAME_PROJECT = "Project ID in body and URL must be the same"
View = Callable[[Profile, Store, dict[str, Any], bool], dict[str, Any]]
Reader = Callable[[web.Request], Awaitable[dict[str, Any]]]
Lookup = Callable[[web.Request, "Kind", Project], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    """One kind of project resource: its Project attribute (and id sequence), URL segment, path
    parameter, name in the "in use" message and the columns ``?sort=`` accepts (SQL; BoltDB only when
    ``bolt_sorts``). ``sql_clears``: referring groups whose field SQL sets to null on delete
    (``on delete set null``) instead of refusing it."""

    attr: str
    path: str
    param: str
    label: str
    sortable: tuple[str, ...] = ("name",)
    bolt_sorts: bool = True
    sql_clears: tuple[str, ...] = ()


KEYS = Kind("keys", "keys", "key_id", "Access Key", ("name", "type"))
REPOSITORIES = Kind("repositories", "repositories", "repository_id", "Repository", ("name", "git_url", "ssh_key"),
                    bolt_sorts=False, sql_clears=("inventories",))


# ---- what every resource route shares -------------------------------------------------------------
def is_bolt(store: Store) -> bool:
    """``--backend bolt``: BoltDB's behaviour where it differs from SQL's (§13)."""
    return store.options.backend == "bolt"


def can_write(request: web.Request, perms: int, bit: int = PERM_MANAGE) -> None:
    """§13 GetMustCanMiddleware: admins pass, others need the permission bit (else 403, empty)."""
    user = auth_of(request).user
    if user is None or not user.admin:
        require(perms, bit)


def writable_project(request: web.Request) -> Project:
    """The project in the path, for a write."""
    project, perms = project_of(request)
    can_write(request, perms)
    return project


def item_of(request: web.Request, kind: Kind, project: Project) -> dict[str, Any]:
    """The object in the path: 400 for a bad id, 404 with an empty body when the project has none."""
    item: dict[str, Any] | None = getattr(project, kind.attr).get(int_param(request, kind.param))
    if item is None:
        raise Reply(empty(404))
    return item


async def body_of(request: web.Request, spec: dict[str, Any]) -> dict[str, Any]:
    """§13 helpers.Bind: bad JSON or a type mismatch is a 400 with an empty body; ``null`` decodes to the
    zero object; unknown fields are ignored."""
    data = await read_json(request)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise Reply(empty(400))
    check_types(data, spec)
    return data


async def post_target(request: web.Request, read: Reader) -> tuple[Project, dict[str, Any], Simulator]:
    """A create's project and body, whose ``project_id`` must be the URL's (400 with a message)."""
    project = writable_project(request)
    body = await read(request)
    if body.get("project_id") != project.id:
        raise Reply(error(400, SAME_PROJECT))
    return project, body, sim_of(request)


async def put_target(request: web.Request, kind: Kind, read: Reader, messages: tuple[str, str],
                     lookup: Lookup = item_of) -> tuple[Project, dict[str, Any], dict[str, Any]]:
    """A PUT's project, object and body, whose ``id`` and ``project_id`` must be the URL's (400 with the
    first or the second of ``messages``)."""
    project = writable_project(request)
    item = lookup(request, kind, project)
    body = await read(request)
    if body.get("id") != item["id"]:
        raise Reply(error(400, messages[0]))
    if body.get("project_id") != project.id:
        raise Reply(error(400, messages[1]))
    return project, item, body


def drop_connection(request: web.Request) -> NoReturn:
    """A panic in a 2.10 handler (nil dereference; the server has no recovery middleware, §13): Go's
    net/http closes the connection without an answer."""
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError()


def created(profile: Profile, data: dict[str, Any]) -> web.Response:
    """§13: creating a key, repository or environment answers 201 with the object from v2.11, 204 with
    no body on 2.10."""
    return send_json(data, 201) if profile.create_answers_object else empty(204)


def project_mismatch(profile: Profile, project: Project, body: dict[str, Any]) -> web.Response | None:
    """§13 repository and environment create: the 400 for a body naming another project. 2.10 goes on
    with the body's project (no ``return``); the newest code stops there."""
    if body.get("project_id") == project.id:
        return None
    answer = error(400, SAME_PROJECT)
    if profile.create_checks_project:
        raise Reply(answer)
    return answer


async def create_in_body_project(request: web.Request, read: Reader,
                                 make: Callable[[web.Request, Simulator, dict[str, Any]], web.Response]) -> web.Response:
    """§13 repository and environment create: ``make`` works in the body's project. When that is not the
    URL's, 2.10 has written its 400 and goes on anyway (no ``return``): the status stays 400 (a later
    WriteHeader is superfluous) and every body written after it is appended."""
    project = writable_project(request)
    body = await read(request)
    sim = sim_of(request)
    first = project_mismatch(sim.profile, project, body)
    try:
        answer = make(request, sim, body)
    except Reply as reply:
        answer = reply.response
    if first is None:
        return answer
    response = web.Response(status=first.status, body=bytes(first.body or b"") + bytes(answer.body or b""))
    response.headers["Content-Type"] = JSON_TYPE
    return response


def sorted_rows(store: Store, kind: Kind, project: Project, rows: list[dict[str, Any]],
                query: Any) -> list[dict[str, Any]]:
    """§13 lists: ``?sort=`` (a sortable column) and ``order=desc``; otherwise SQL orders by name, BoltDB
    by id (and ignores ``sort`` where the kind has no sortable column)."""
    column = str(query.get("sort", ""))
    honoured = column in kind.sortable and (kind.bolt_sorts or not is_bolt(store))
    if not honoured:
        column = "id" if is_bolt(store) else "name"
    rows = sorted(rows, key=lambda row: int(row["id"]))
    # SQL compares text without case (MariaDB's default collation, seen on a real 2.10.32: "deploy"
    # before "None"); BoltDB's Go sort compares bytes.
    fold = (lambda text: text) if is_bolt(store) else str.casefold
    if column == "ssh_key":  # repositories: by the key's name
        rows.sort(key=lambda row: fold(str(project.keys.get(row.get("ssh_key_id"), {}).get("name", ""))))
    elif column != "id":
        rows.sort(key=lambda row: fold(str(row.get(column) or "")))
    if query.get("order") == "desc" and (honoured or not is_bolt(store)):
        rows.reverse()
    return rows


def resource_routes(kind: Kind, view: View, writes: tuple[Handler, Handler],
                    lookup: Lookup = item_of, listed: Callable[[dict[str, Any]], bool] = lambda item: True,
                    forget: Callable[[Store, Project, dict[str, Any]], None] | None = None) -> list[Route]:
    """The §13 routes of one kind: list, create, read, refs, update, delete. ``writes`` is (create,
    update); ``lookup`` finds the object in the path; ``listed`` filters the list; ``forget`` removes
    what goes with a deleted object."""
    async def list_items(request: web.Request) -> web.Response:
        project, _perms = project_of(request)
        sim = sim_of(request)
        rows = sorted_rows(sim.store, kind, project, [i for i in getattr(project, kind.attr).values() if listed(i)],
                           request.query)
        return send_json([view(sim.profile, sim.store, row, True) for row in rows])

    async def get_item(request: web.Request) -> web.Response:
        project, _perms = project_of(request)
        sim = sim_of(request)
        return send_json(view(sim.profile, sim.store, lookup(request, kind, project), False))

    async def get_refs(request: web.Request) -> web.Response:
        project, _perms = project_of(request)
        return send_json(sim_of(request).store.referrers(project, kind.attr, lookup(request, kind, project)["id"]))

    async def delete_item(request: web.Request) -> web.Response:
        project = writable_project(request)
        return delete_object(sim_of(request).store, kind, project, lookup(request, kind, project), forget)

    base = f"/api/project/{{project_id}}/{kind.path}"
    item = f"{base}/{{{kind.param}}}"
    return [("GET", base, list_items), ("POST", base, writes[0]), ("GET", item, get_item),
            ("GET", item + "/refs", get_refs), ("PUT", item, writes[1]), ("DELETE", item, delete_item)]


def delete_object(store: Store, kind: Kind, project: Project, item: dict[str, Any],
                  forget: Callable[[Store, Project, dict[str, Any]], None] | None) -> web.Response:
    """§13 delete: refused while something refers to the object (400 with ``inUse``; no force), 204."""
    refs = store.referrers(project, kind.attr, item["id"])
    cleared = () if is_bolt(store) else kind.sql_clears
    if any(rows for group, rows in refs.items() if group not in cleared):
        return send_json({"error": f"{kind.label} is in use by one or more templates", "inUse": True}, 400)
    for group in cleared:
        for ref in refs[group]:
            for name in REFERRING_FIELDS[kind.attr][group]:
                getattr(project, group)[ref["id"]][name] = None
    del getattr(project, kind.attr)[item["id"]]
    if forget is not None:
        forget(store, project, item)
    return empty(204)


# ---- access keys ----------------------------------------------------------------------------------
KEY_FIELDS: dict[str, Any] = {"id": int, "name": str, "type": str, "project_id": int, "string": str,
                              "login_password": dict, "ssh": dict, "override_secret": bool}
SECRET_FIELDS = {"ssh": ("login", "passphrase", "private_key"), "login_password": ("login", "password")}
REQUIRED_SECRET = {"ssh": ("private_key", "private key can not be empty"),
                   "login_password": ("password", "password can not be empty")}


def key_json(profile: Profile, store: Store, key: dict[str, Any], listing: bool) -> dict[str, Any]:
    """§13 AccessKey: secrets are never shown. 2.10 shows the secret objects with empty strings; the newest
    code a DTO with ``{}``. SQL lists add ``empty: true`` when no secret is stored."""
    data: dict[str, Any] = {"id": key["id"], "name": key["name"], "type": key["type"], "project_id": key["project_id"]}
    empty_flag = listing and key.get("secret") is None and not is_bolt(store)
    if profile.key_read_dto:
        data.update({"empty": True} if empty_flag else {})
        data.update({"ssh": {}, "login_password": {}})
        return data
    data.update({"string": "", "login_password": {"login": "", "password": ""},
                 "ssh": {"login": "", "passphrase": "", "private_key": ""}, "override_secret": False})
    data.update({"empty": True} if empty_flag else {})
    return data


async def key_body(request: web.Request) -> dict[str, Any]:
    """A key as sent, the secret objects' fields type-checked too."""
    body = await body_of(request, KEY_FIELDS)
    for kind, fields in SECRET_FIELDS.items():
        check_types(body.get(kind) or {}, {name: str for name in fields})
    return body


def key_problem(profile: Profile, body: dict[str, Any], secret: bool) -> str | None:
    """§13 AccessKey.Validate: an empty name; with ``secret``, an ssh key without private key or a
    login_password key without password (newer code checks the name only)."""
    if not body.get("name"):
        return "name can not be empty"
    required = REQUIRED_SECRET.get(str(body.get("type")))
    if secret and profile.key_validates_secret and required and not (body.get(body["type"]) or {}).get(required[0]):
        return required[1]
    return None


def serialize_secret(body: dict[str, Any]) -> Any:
    """§13 AccessKey.SerializeSecret: the stored secret, None when empty; an unknown type, or a login or
    passphrase without its private key or password, is a plain error (400 with an empty body)."""
    kind = body.get("type")
    if kind == "none":
        return None
    if kind == "string":
        return body.get("string") or None
    if kind not in SECRET_FIELDS:
        raise Reply(empty(400))  # "invalid access token type"
    value = {name: str((body.get(kind) or {}).get(name) or "") for name in SECRET_FIELDS[kind]}
    if value[REQUIRED_SECRET[kind][0]]:
        return value
    if any(value.values()):
        raise Reply(empty(400))  # "invalid ssh key" / "invalid password key"
    return None


async def add_key(request: web.Request) -> web.Response:
    """§13 POST /keys: 204 (2.10) or 201 with the key."""
    project, body, sim = await post_target(request, key_body)
    problem = key_problem(sim.profile, body, True)
    if problem:
        return error(400, problem)
    secret = serialize_secret(body)
    key = sim.store.add_resource(project, "keys", {"name": body["name"], "type": body["type"], "secret": secret,
                                                   "environment_id": None})
    return created(sim.profile, key_json(sim.profile, sim.store, key, False))


def key_target(request: web.Request, profile: Profile, store: Store, key: dict[str, Any],
               body: dict[str, Any]) -> dict[str, Any] | None:
    """Which key a PUT changes. 2.10 trusts the body (its ``id`` in its ``project_id``; without
    ``project_id`` a nil dereference drops the connection); the newest code checks both (§13)."""
    if profile.key_put_checks_ids:
        if body.get("id") != key["id"]:
            raise Reply(error(400, "Access key id in URL and in body must be the same"))
        if body.get("project_id") != key["project_id"]:
            raise Reply(error(400, "You can not move access key to other project"))
        return key
    if body.get("project_id") is None:
        drop_connection(request)
    target = store.projects.get(int(body["project_id"]))
    return target.keys.get(int(body.get("id") or 0)) if target is not None else None


async def update_key(request: web.Request) -> web.Response:
    """§13 PUT /keys/{id}: without ``override_secret`` only the name changes; with it name, type and
    secret. Errors on update are plain (400, empty body)."""
    project = writable_project(request)
    key = item_of(request, KEYS, project)
    body = await key_body(request)
    sim = sim_of(request)
    target = key_target(request, sim.profile, sim.store, key, body)
    override = bool(body.get("override_secret"))
    if key_problem(sim.profile, body, override):
        return empty(400)
    secret = serialize_secret(body) if override or not is_bolt(sim.store) else None  # SQL always serialises
    if target is None:  # BoltDB cannot load it; SQL's update matches no row and succeeds
        return empty(404 if is_bolt(sim.store) else 204)
    target["name"] = body["name"]
    if override:
        target.update(type=body["type"], secret=secret)
    return empty(204)


# ---- repositories ---------------------------------------------------------------------------------
REPOSITORY_FIELDS = {"id": int, "name": str, "project_id": int, "git_url": str, "git_branch": str, "ssh_key_id": int}


def repository_json(_profile: Profile, _store: Store, repo: dict[str, Any], _listing: bool) -> dict[str, Any]:
    """§13 Repository, every field always."""
    return {name: repo.get(name) for name in ("id", "name", "project_id", "git_url", "git_branch", "ssh_key_id")}


def save_repository(store: Store, project_id: Any, body: dict[str, Any],
                    target: dict[str, Any] | None = None) -> dict[str, Any]:
    """ValidateRepository (the key must exist in the project: else 404, empty), then Repository.Validate
    (400 with the message), then create (``target`` None) or replace."""
    project = store.projects.get(int(project_id or 0))
    key_id = int(body.get("ssh_key_id") or 0)
    if project is None or key_id not in project.keys:
        raise Reply(empty(404))
    url = str(body.get("git_url") or "")
    for problem, failed in (("repository name can't be empty", not body.get("name")),
                            ("repository url can't be empty", not url),
                            ("repository branch can't be empty", not url.startswith("/") and not body.get("git_branch"))):
        if failed:
            raise Reply(error(400, problem))
    fields = {"name": body["name"], "git_url": url, "git_branch": str(body.get("git_branch") or ""), "ssh_key_id": key_id}
    if target is None:
        return store.add_resource(project, "repositories", fields)
    target.update(fields)
    return target


async def repository_body(request: web.Request) -> dict[str, Any]:
    """A repository as sent."""
    return await body_of(request, REPOSITORY_FIELDS)


def create_repository(_request: web.Request, sim: Simulator, body: dict[str, Any]) -> web.Response:
    """CreateRepository in the body's project: 204 (2.10) or 201 with the repository."""
    repo = save_repository(sim.store, body.get("project_id"), body)
    return created(sim.profile, repository_json(sim.profile, sim.store, repo, False))


async def add_repository(request: web.Request) -> web.Response:
    """§13 POST /repositories (after a 400 for another project's id, 2.10 may create it there)."""
    return await create_in_body_project(request, repository_body, create_repository)


async def update_repository(request: web.Request) -> web.Response:
    """§13 PUT /repositories/{id}: the whole object is replaced; 204."""
    project, repo, body = await put_target(request, REPOSITORIES, repository_body,
                                           ("Repository ID in body and URL must be the same", SAME_PROJECT))
    save_repository(sim_of(request).store, project.id, body, repo)
    return empty(204)


def routes(_profile: Profile) -> list[Route]:
    """The §13 key and repository routes."""
    return (resource_routes(KEYS, key_json, (add_key, update_key), listed=lambda key: key.get("environment_id") is None)
            + resource_routes(REPOSITORIES, repository_json, (add_repository, update_repository)))
