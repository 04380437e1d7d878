"""§9 the websocket /api/ws, and the control API's switch that hides it.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import asyncio

from aiohttp import WSMsgType, web

from .api_common import Handler, Route, auth_of, not_found_text, sim_of
from .profiles import Profile
from .state import WsClient


async def websocket(request: web.Request) -> web.StreamResponse:
    """§9 /api/ws: server -> client only; 401 before upgrade (middleware); 404 when switched off."""
    sim = sim_of(request)
    user = auth_of(request).user
    assert user is not None
    ws = web.WebSocketResponse(heartbeat=108.0, max_msg_size=512)
    await ws.prepare(request)
    client = WsClient(ws, user.id)
    client.sender = asyncio.get_running_loop().create_task(client.run_sender())
    sim.hub.add(client)
    try:
        async for message in ws:  # client messages are read and discarded
            if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        sim.hub.remove(client)
        await client.close()
    return ws


@web.middleware
async def ws_switch_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """When the control API switches websockets off, /api/ws answers 404 like a proxy blocking it."""
    if request.path.rstrip("/") == "/api/ws" and not sim_of(request).config.get("websocket", True):
        return not_found_text()
    return await handler(request)


def routes(_profile: Profile) -> list[Route]:
    """The §9 route."""
    return [("GET", "/api/ws", websocket)]
