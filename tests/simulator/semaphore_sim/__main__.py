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
from .listener import Listener
from .options import BACKENDS, DEFAULT_END_DELAY, DEFAULT_FINAL_STATUS_DELAY, DEFAULT_OUTPUT_DELAY, TASK_IDS, \
    StartOptions
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
    parser.add_argument("--task-ids", default="ascending", choices=TASK_IDS,
                        help="descending: BoltDB numbering 2147483646, 2147483645, ... (default ascending)")
    parser.add_argument("--backend", default="postgres", choices=BACKENDS,
                        help="mysql: whole-second output times; with 2.10 lines of one second in any order")
    parser.add_argument("--order-seed", type=int, default=0, help="seed of the --backend mysql 2.10 shuffle")
    parser.add_argument("--web-host", default="", help="the server's web_host (2.18: https:// makes the cookie Secure)")
    parser.add_argument("--final-status-delay", type=float, default=DEFAULT_FINAL_STATUS_DELAY,
                        help="seconds between the final update event and the saved final status")
    parser.add_argument("--end-delay", type=float, default=DEFAULT_END_DELAY,
                        help="seconds between the saved final status and the saved end")
    parser.add_argument("--output-delay", type=float, default=DEFAULT_OUTPUT_DELAY,
                        help="2.10: seconds between logging a line and storing it")
    args = parser.parse_args(argv)
    if args.web_host and not args.web_host.lower().startswith(("http://", "https://")):
        parser.error("--web-host must start with http:// or https://")
    if min(args.final_status_delay, args.end_delay, args.output_delay) < 0:
        parser.error("delays must not be negative")
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
    options = StartOptions(task_ids=args.task_ids, backend=args.backend, web_host=args.web_host,
                           order_seed=args.order_seed, final_status_delay=args.final_status_delay,
                           end_delay=args.end_delay, output_delay=args.output_delay)
    sim = Simulator(get_profile(args.profile), load_seed(args.seed), websocket=not args.no_websocket,
                    options=options)
    app = create_app(sim)
    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger,
                           access_log=logging.getLogger("semaphore_sim.access"), handle_signals=False)
    await runner.setup()
    ssl_context = None
    if args.tls:
        from .tls import server_context  # pylint: disable=import-outside-toplevel
        ssl_context = server_context(Path(args.tls_dir))
    sim.listener = Listener(runner, args.host, args.port, ssl_context)
    port = await sim.listener.open()
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
