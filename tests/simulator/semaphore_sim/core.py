"""The simulator object: profile, configuration, store, pool, websocket hub, faults and request log.

§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

import asyncio
import copy
from typing import Any

from aiohttp import web

from .faults import Faults, RequestLog
from .listener import Listener
from .options import StartOptions
from .profiles import Profile
from .state import LOG, TERMINAL, Hub, Store, Task, TaskPool, log_event, update_event
from .timefmt import fmt_time, now_ns, truncate

DEFAULT_MAX_PARALLEL_TASKS = 10  # §8 rule 1
MAX_RESTART_DOWN_SECONDS = 120.0
RESTART_ANSWER_GRACE = 0.1  # lets the answer to POST /_sim/restart leave before the process "dies"
# What a task still queued at a restart becomes once the server is back (config
# ``queued_after_restart``). Semaphore keeps its queue in memory only, so the default assumes the
# task is forgotten and shows ``waiting`` for ever; not yet checked on a real 2.10.32.
# "run" queues it again, "error" fails it.
QUEUED_AFTER_RESTART = "stay"
QUEUED_AFTER_RESTART_CHOICES = ("stay", "run", "error")


class Simulator:  # pylint: disable=too-many-instance-attributes
    """Everything one running simulator holds."""

    def __init__(self, profile: Profile, seed: dict[str, Any], websocket: bool = True,
                 options: StartOptions | None = None) -> None:
        self.profile = profile
        self.options = options or StartOptions()
        self.seed = copy.deepcopy(seed)
        self.default_config: dict[str, Any] = {
            "websocket": websocket, "max_parallel_tasks": DEFAULT_MAX_PARALLEL_TASKS,
            # findings a: the end-of-task window and the v2.10 line-write lag (settable)
            "final_status_delay": self.options.final_status_delay, "end_delay": self.options.end_delay,
            "output_delay": self.options.output_delay,
            "queued_after_restart": QUEUED_AFTER_RESTART,
            # start options (read-only)
            "task_ids": self.options.task_ids, "backend": self.options.backend, "web_host": self.options.web_host,
        }
        self.config = dict(self.default_config)
        self.store = Store(profile, copy.deepcopy(self.seed), self.options)
        self.hub = Hub()
        self.faults = Faults()
        self.log = RequestLog()
        self.pool = TaskPool(self)
        # Every secret handed out since start (kept across resets), for GET /_sim/secrets: tests
        # search logs and Ansible output for them.
        self.issued: dict[str, list[str]] = {"tokens": [], "cookies": [], "totp_codes": []}
        self.listener: Listener | None = None  # set by __main__; without it a restart only loses the pool
        self.boot = 0  # which incarnation of the simulated process; runs of an earlier one write nothing
        self.restarts: list[dict[str, Any]] = []
        self._restarting: asyncio.Task[None] | None = None

    def remember(self, kind: str, value: str) -> None:
        """Record a secret the simulator issued or accepted (bounded)."""
        values = self.issued[kind]
        if value and value not in values:
            values.append(value)
            del values[:-5000]

    def start(self) -> None:
        """Start background work (needs the running event loop)."""
        self.pool.start()

    async def shutdown(self) -> None:
        """Stop background work and close sockets."""
        if self._restarting is not None:
            self._restarting.cancel()
        await self.pool.shutdown()
        await self.hub.close_all()

    def reset(self) -> None:
        """Back to the seed: tasks, tokens, sessions, faults, log and configuration."""
        self.pool.cancel_all()
        self.store = Store(self.profile, copy.deepcopy(self.seed), self.options)
        self.faults.clear()
        self.log.clear()
        self.restarts.clear()
        self.config = dict(self.default_config)

    # ---- process restart (issues 1385, 3287) ---------------------------------------------
    def restart(self, down_seconds: float) -> bool:
        """Let the process die and come back ``down_seconds`` later; False while a restart is under way."""
        if self._restarting is not None and not self._restarting.done():
            return False
        self.restarts.append({"at": fmt_time(now_ns(), 6), "down_seconds": down_seconds})
        self._restarting = asyncio.get_running_loop().create_task(self._die_and_come_back(down_seconds))
        return True

    async def _die_and_come_back(self, down_seconds: float) -> None:
        """The data survives (it is the database); the pool, the queue and every socket do not. Runs
        stop where they are: their tasks keep their status for ever, with no more output and no end."""
        await asyncio.sleep(RESTART_ANSWER_GRACE)
        LOG.info("simulated restart: down for %ss", down_seconds)
        if self.listener is not None:
            await self.listener.close()
        await self.hub.close_all()
        queued = [self.store.tasks[task_id] for task_id in self.pool.queue if task_id in self.store.tasks]
        self.boot += 1
        self.pool.cancel_all()
        await asyncio.sleep(down_seconds)
        outcome = self.config["queued_after_restart"]
        for task in queued:
            if outcome == "run":
                self.pool.enqueue(task)
            elif outcome == "error":
                self.set_status(task, "error")
        if self.listener is not None:
            await self.listener.reopen()
        LOG.info("simulated restart: listening again")

    # ---- task events ---------------------------------------------------------------------
    def set_status(self, task: Task, status: str) -> None:
        """Change a task's status, set start/end and push an ``update`` event (§7, §9)."""
        if task.status == "stopped" and status != "stopped":
            return  # §6.6: the transition guard only protects tasks that are already stopped
        task.status = status
        stamp = truncate(now_ns(), 6)
        if status == "running" and task.start is None:
            task.start = stamp
        if status in TERMINAL and task.end is None:
            task.end = stamp
        self.push_update(task)
        if status in TERMINAL:
            self.pool.kick()

    async def finish(self, task: Task, status: str) -> None:
        """A run reaches its final status (findings a, every version): the ``update`` with the new
        status (``end`` null) is pushed first; ``final_status_delay`` later the status is saved, still
        with ``end`` null; ``end_delay`` after that ``end`` is saved and a second ``update`` is pushed.
        The run keeps its pool slot until then."""
        if task.status == "stopped" and status != "stopped":
            return
        store = self.store
        event = update_event(task)
        event["status"] = status
        self.hub.broadcast(store.recipients(task.project_id), event)
        await asyncio.sleep(max(float(self.config.get("final_status_delay", 0.0)), 0.0))
        if self.store is not store or store.tasks.get(task.id) is not task:
            return
        if task.status == "stopped" and status != "stopped":
            return  # force-stopped (or the §6.6 trap) in the meantime
        task.status = status
        await asyncio.sleep(max(float(self.config.get("end_delay", 0.0)), 0.0))
        if self.store is not store or store.tasks.get(task.id) is not task:
            return
        if task.end is None:
            task.end = truncate(now_ns(), 6)
        self.push_update(task)
        self.pool.kick()

    def push_update(self, task: Task) -> None:
        """§9 status message to project members and admins."""
        self.hub.broadcast(self.store.recipients(task.project_id), update_event(task))

    def push_log(self, task: Task, stamp: int, text: str) -> None:
        """§9 output-line message to project members and admins."""
        self.hub.broadcast(self.store.recipients(task.project_id), log_event(task, stamp, text))

    def write_line_now(self, task: Task, text: str) -> None:
        """A server line written directly (e.g. ``Task 57 added to queue``)."""
        stamp = now_ns()
        self.store.add_output(task, [(stamp, text)])
        self.push_log(task, stamp, text)


SIM_KEY: web.AppKey[Simulator] = web.AppKey("simulator", Simulator)
