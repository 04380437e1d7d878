"""Command line: ``python -m semaphore_sim --host 127.0.0.1 --port 0 --profile 2.16 --seed seed.yml``."""
from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from .app import create_app
from .core import Simulator
from .faults import redact_path
from .profiles import PROFILES, get_profile

LOG = logging.getLogger("semaphore_sim")


class RedactingAccessLogger(AbstractAccessLogger):
    """Access log without headers, cookies or query strings; tokens in paths are cut to 8 characters."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %s %.3fs", request.remote, request.method, redact_path(request.path),
                         response.status, time)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line interface (see README.md)."""
    parser = argparse.ArgumentParser(prog="semaphore_sim", description="Semaphore UI API simulator for tests")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port, 0 picks a free one (default 0)")
    parser.add_argument("--profile", default="2.16", choices=sorted(PROFILES), help="simulated server version")
    parser.add_argument("--seed", default=str(Path(__file__).resolve().parent.parent / "seed.yml"),
                        help="seed YAML file")
    parser.add_argument("--port-file", help="write the base URL here once listening")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a generated certificate")
    parser.add_argument("--tls-dir", help="where --tls writes ca.pem, server.pem and server-key.pem")
    parser.add_argument("--no-websocket", action="store_true", help="answer /api/ws with 404")
    parser.add_argument("--log-file", help="also write the simulator log to this file")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if args.tls and not args.tls_dir:
        parser.error("--tls needs --tls-dir")
    try:
        if not ipaddress.ip_address(args.host).is_loopback:
            parser.error("only loopback addresses may be bound")
    except ValueError:
        if args.host != "localhost":
            parser.error("--host must be a loopback address or localhost")
    return args


def load_seed(path: str) -> dict[str, Any]:
    """Read the seed YAML."""
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the seed must be a mapping")
    return data


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGTERM/SIGINT."""
    sim = Simulator(get_profile(args.profile), load_seed(args.seed), websocket=not args.no_websocket)
    app = create_app(sim)
    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger,
                           access_log=logging.getLogger("semaphore_sim.access"), handle_signals=False)
    await runner.setup()
    ssl_context = None
    if args.tls:
        from .tls import server_context  # pylint: disable=import-outside-toplevel
        ssl_context = server_context(Path(args.tls_dir))
    site = web.TCPSite(runner, args.host, args.port, ssl_context=ssl_context)
    await site.start()
    port = runner.addresses[0][1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"{'https' if args.tls else 'http'}://{host}:{port}"
    if args.port_file:
        tmp = f"{args.port_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(url)
        os.replace(tmp, args.port_file)
    print(f"listening on {url} (profile {sim.profile.name}, version {sim.profile.version})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    LOG.info("shutting down")
    await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=handlers,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.log_file and not args.verbose:
        logging.getLogger("semaphore_sim").setLevel(logging.INFO)
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
