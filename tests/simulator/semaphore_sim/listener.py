"""The listening socket, which ``POST /_sim/restart`` closes and opens again on the same port."""
from __future__ import annotations

import asyncio
import logging
import ssl

from aiohttp import web

LOG = logging.getLogger("semaphore_sim")

REBIND_ATTEMPTS = 50  # the port was ours a moment ago; only a racing client socket can hold it
REBIND_PAUSE = 0.1


class Listener:
    """Where one simulator process listens."""

    def __init__(self, runner: web.AppRunner, host: str, port: int, ssl_context: ssl.SSLContext | None) -> None:
        self.runner = runner
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self.site: web.TCPSite | None = None

    async def open(self) -> int:
        """Listen and return the port (port 0 picks a free one, which a restart then binds again)."""
        site = web.TCPSite(self.runner, self.host, self.port, ssl_context=self.ssl_context)
        try:
            await site.start()
        except OSError:
            await site.stop()  # unregisters it from the runner, so that a retry can add another
            raise
        self.site = site
        self.port = site.port
        return self.port

    async def reopen(self) -> None:
        """Listen again on the same port after a restart."""
        for attempt in range(1, REBIND_ATTEMPTS + 1):
            try:
                await self.open()
                return
            except OSError as exc:
                if attempt == REBIND_ATTEMPTS:
                    LOG.error("cannot listen on port %s again: %s", self.port, exc)
                    raise
                LOG.warning("port %s still busy (%s), retrying", self.port, exc)
                await asyncio.sleep(REBIND_PAUSE)

    async def close(self) -> None:
        """Like a dead process: new connections are refused and every open one (keep-alive requests and
        websockets alike) is cut without an answer or a close frame."""
        if self.site is not None:
            await self.site.stop()
            self.site = None
        server = self.runner.server
        for handler in server.connections if server is not None else ():
            if handler.transport is not None:
                handler.transport.abort()
