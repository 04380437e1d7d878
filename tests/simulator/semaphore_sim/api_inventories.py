"""§13 a project's inventories: list, create (201 with the object on every version), read, refs,
update, delete. The list was also recorded against a real 2.10.32.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import posixpath
from typing import Any

from aiohttp import web

from .api_common import Reply, Route, empty, error, send_json, sim_of
from .api_resources import Kind, body_of, item_of, post_target, put_target, resource_routes
from .profiles import Profile
from .state import Project, Store

INVENTORIES = Kind("inventories", "inventory", "inventory_id", "Inventory")
INVENTORY_FIELDS = {"id": int, "name": str, "project_id": int, "inventory": str, "ssh_key_id": int,
                    "become_key_id": int, "type": str, "holder_id": int, "template_id": int, "repository_id": int}
TYPES = ("static", "static-yaml", "file", "terraform-workspace")
# The server's working directory, for the 2.10 check of a ``file`` inventory's path on update.
SERVER_CWD = "/home/semaphore"


def inventory_json(profile: Profile, _store: Store, inventory: dict[str, Any], _listing: bool) -> dict[str, Any]:
    """§13 Inventory, every field (null when unset); the holder is ``holder_id`` or, newer, ``template_id``."""
    data = {name: inventory.get(name) for name in ("id", "name", "project_id", "inventory", "ssh_key_id",
                                                   "become_key_id", "type")}
    data[profile.inventory_holder_field] = inventory.get("holder_id")
    data["repository_id"] = inventory.get("repository_id")
    return data


def inventory_of(request: web.Request, kind: Kind, project: Project) -> dict[str, Any]:
    """InventoryMiddleware: GetInventory also loads its keys, so an inventory whose key is gone (a become
    key deleted on BoltDB, §13) is a 404 although the list still shows it."""
    inventory = item_of(request, kind, project)
    if any(inventory.get(name) is not None and inventory[name] not in project.keys
           for name in ("ssh_key_id", "become_key_id")):
        raise Reply(empty(404))
    return inventory


def inventory_fields(profile: Profile, store: Store, project: Project, body: dict[str, Any]) -> dict[str, Any]:
    """db.ValidateInventory (an unknown ssh key, become key or holder template: 404, empty), then the
    stored fields; a field left out becomes null (the whole object is replaced)."""
    holder = body.get(profile.inventory_holder_field)
    template = store.templates.get(int(holder)) if holder is not None else None
    if ((body.get("ssh_key_id") is not None and body["ssh_key_id"] not in project.keys)
            or (body.get("become_key_id") is not None and body["become_key_id"] not in project.keys)
            or (holder is not None and (template is None or template.project_id != project.id))):
        raise Reply(empty(404))
    fields = {"name": str(body.get("name") or ""), "inventory": str(body.get("inventory") or ""),
              "ssh_key_id": body.get("ssh_key_id"), "become_key_id": body.get("become_key_id"),
              "type": str(body.get("type") or ""), "holder_id": holder, "repository_id": body.get("repository_id")}
    return {name: int(value) if isinstance(value, float) else value for name, value in fields.items()}


async def inventory_body(request: web.Request) -> dict[str, Any]:
    """An inventory as sent."""
    return await body_of(request, INVENTORY_FIELDS)


def types_of(profile: Profile) -> tuple[str, ...]:
    """The accepted types: ``tofu-workspace`` only by newer servers."""
    return TYPES + (("tofu-workspace",) if profile.inventory_tofu else ())


async def add_inventory(request: web.Request) -> web.Response:
    """§13 POST /inventory: 201 with the inventory. No name check; a ``file`` path is not checked here."""
    project, body, sim = await post_target(request, inventory_body)
    if body.get("type") not in types_of(sim.profile):
        return error(400, "Not supported inventory type")
    inventory = sim.store.add_resource(project, "inventories", inventory_fields(sim.profile, sim.store, project, body))
    return send_json(inventory_json(sim.profile, sim.store, inventory, False), 201)


def in_server_dir(path: str) -> bool:
    """IsValidInventoryPath: the path, made absolute from the server's directory, stays inside it."""
    absolute = posixpath.normpath(posixpath.join(SERVER_CWD, path))
    return not posixpath.relpath(absolute, SERVER_CWD).startswith("..")


async def update_inventory(request: web.Request) -> web.Response:
    """§13 PUT /inventory/{id}: the whole object is replaced; 204."""
    project, inventory, body = await put_target(
        request, INVENTORIES, inventory_body,
        ("Inventory ID in body and URL must be the same", "project ID in body and URL must be the same"), inventory_of)
    sim = sim_of(request)
    kind = str(body.get("type") or "")
    if kind not in types_of(sim.profile):
        return error(400, f"unknown inventory type: {kind}")
    if kind == "file" and not in_server_dir(str(body.get("inventory") or "")):
        return error(400, "Invalid inventory file pathname. Must be: path/to/inventory.")
    inventory.update(inventory_fields(sim.profile, sim.store, project, body))
    return empty(204)


def routes(_profile: Profile) -> list[Route]:
    """The §13 inventory routes."""
    return resource_routes(INVENTORIES, inventory_json, (add_inventory, update_inventory), lookup=inventory_of)
