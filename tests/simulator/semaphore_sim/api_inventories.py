"""A project's inventories (the list, as recorded against a real 2.10.32)."""
from __future__ import annotations

from aiohttp import web

from .api_common import Route, project_of, send_json, sim_of
from .profiles import Profile


async def list_inventories(request: web.Request) -> web.Response:
    """GET /api/project/{id}/inventory: the project's inventories (id, name, project_id, type, inventory)."""
    project, _perms = project_of(request)
    items = [{"id": inv_id, "name": inv.get("name"), "project_id": project.id, "type": inv.get("type", "static"),
              "inventory": inv.get("inventory", "")} for inv_id, inv in sorted(project.inventories.items())]
    if sim_of(request).profile.inventory_key_fields:
        for item in items:  # recorded 2.10.32; the simulator has no keys, so the "None" key (id 1)
            item.update({"ssh_key_id": 1, "become_key_id": None, "holder_id": None, "repository_id": None})
    return send_json(items)


def routes(_profile: Profile) -> list[Route]:
    """The inventory routes."""
    return [("GET", "/api/project/{project_id}/inventory", list_inventories)]
