"""Data model, seed loading, websocket hub and the task pool that really runs tasks in the background.

§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import output
from .options import StartOptions
from .profiles import Profile
from .timefmt import fmt_time, now_ns, truncate

LOG = logging.getLogger("semaphore_sim")

# §2.3: role -> permission bits (run tasks 1, update project 2, manage resources 4, manage users 8).
ROLE_PERMISSIONS = {"owner": 15, "manager": 5, "task_runner": 1, "guest": 0}
PERM_RUN = 1
PERM_UPDATE = 2  # §13: update or delete the project (owner)
PERM_MANAGE = 4

TERMINAL = ("success", "error", "stopped")  # §7
# §13: a project's resources (attributes of Project, each with its own id sequence), and which fields
# of which objects refer to each kind.
RESOURCE_KINDS = ("keys", "repositories", "inventories", "environments")
REFERRING_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "keys": {"repositories": ("ssh_key_id",), "inventories": ("ssh_key_id", "become_key_id")},
    "repositories": {"templates": ("repository_id",), "inventories": ("repository_id",)},
    "inventories": {"templates": ("inventory_id",)},
    "environments": {"templates": ("environment_id",)},
}
SESSION_INACTIVITY_NS = 7 * 24 * 3600 * 1_000_000_000  # §2.1 (a)
OUTPUT_BATCH_LINES = 500  # §6.4: batches of up to 500 lines ...
OUTPUT_BATCH_SECONDS = 0.5  # ... roughly every 500 ms
RUNNER_TICK = 0.05
POOL_TICK = 5.0  # §8: the pool also walks the queue on a 5-second tick
WS_BUFFER = 256  # §9: slow clients are dropped when 256 messages are buffered


@dataclass
class User:
    """A Semaphore user (§4 GET /api/user)."""

    id: int
    username: str
    name: str
    email: str
    password: str
    admin: bool = False
    totp_secret: str | None = None
    created: int = 0


@dataclass
class Template:
    """A task template (§6 Template object) plus the simulator's ``sim`` run description."""

    id: int
    project_id: int
    name: str
    playbook: str
    data: dict[str, Any]
    sim: dict[str, Any]

    def flag(self, name: str) -> bool:
        """A boolean option, looked up at top level or in ``task_params``."""
        if name in self.data:
            return bool(self.data[name])
        return bool(self.data.get("task_params", {}).get(name, False))


@dataclass
class Project:
    """A project with its members and resources (§13).

    Each resource is a dict keyed by its id, with every field of its object: keys ``{id, name, type,
    project_id, secret, environment_id}`` (``secret`` is the write-only value: a dict for ``ssh`` and
    ``login_password``, a string for ``string``, None when empty; an environment's secrets are keys with
    its ``environment_id`` and the name ``var.<name>`` or ``env.<name>``), repositories ``{id, name,
    project_id, git_url, git_branch, ssh_key_id}``, inventories ``{id, name, project_id, inventory,
    ssh_key_id, become_key_id, type, holder_id, repository_id}``, environments ``{id, name, project_id,
    password, json, env}``; views and schedules (§14) are dicts like the objects the API shows.
    """

    id: int
    name: str
    created: int
    members: dict[int, str]
    data: dict[str, Any]
    inventories: dict[int, dict[str, Any]] = field(default_factory=dict)
    repositories: dict[int, dict[str, Any]] = field(default_factory=dict)
    environments: dict[int, dict[str, Any]] = field(default_factory=dict)
    keys: dict[int, dict[str, Any]] = field(default_factory=dict)
    views: dict[int, dict[str, Any]] = field(default_factory=dict)  # §14 {id, project_id, title, position}
    schedules: dict[int, dict[str, Any]] = field(default_factory=dict)  # §14 Schedule objects


@dataclass
class Token:
    """An API token; ``id`` is the secret itself (§5.1)."""

    id: str
    user_id: int
    created: int
    expired: bool = False
    name: str = ""
    expires_at: int | None = None


@dataclass
class Session:
    """A login session behind the ``semaphore`` cookie (§2.1)."""

    id: int
    cookie: str
    user_id: int
    created: int
    last_active: int
    expired: bool = False
    verified: bool = True


@dataclass
class Task:
    """A task row (§6.5); ``effective`` records what the simulated run honoured."""

    id: int
    template_id: int
    project_id: int
    user_id: int
    created: int
    status: str = "waiting"
    playbook: str = ""
    environment: str = ""
    arguments: str | None = None
    git_branch: str | None = None
    message: str = ""
    inventory_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    limit: str = ""
    debug: bool = False
    dry_run: bool = False
    diff: bool = False
    build_task_id: int | None = None
    version: str | None = None
    commit_hash: str | None = None
    commit_message: str = ""
    start: int | None = None
    end: int | None = None
    effective: dict[str, Any] = field(default_factory=dict)


def new_token_secret() -> str:
    """§5.1: 32 random bytes, URL-safe base64 with padding, lower-cased: 44 characters."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").lower()


class Hub:
    """Websocket clients; every event goes to project members and admins (§9)."""

    def __init__(self) -> None:
        self.clients: dict[int, set[WsClient]] = {}

    def add(self, client: WsClient) -> None:
        """Register a connected socket."""
        self.clients.setdefault(client.user_id, set()).add(client)

    def remove(self, client: WsClient) -> None:
        """Forget a socket."""
        self.clients.get(client.user_id, set()).discard(client)

    def broadcast(self, user_ids: set[int], payload: dict[str, Any]) -> None:
        """Queue one JSON text frame for every socket of the given users."""
        if not self.clients:
            return
        text = json.dumps(payload, separators=(",", ":"))
        for user_id in user_ids:
            for client in list(self.clients.get(user_id, ())):
                client.push(text)

    async def close_all(self) -> None:
        """Close every socket (shutdown)."""
        for clients in list(self.clients.values()):
            for client in list(clients):
                await client.close()
        self.clients.clear()


class WsClient:
    """One websocket with its bounded send buffer."""

    def __init__(self, ws: web.WebSocketResponse, user_id: int) -> None:
        self.ws = ws
        self.user_id = user_id
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=WS_BUFFER)
        self.sender: asyncio.Task[None] | None = None
        self.dropped = False

    def push(self, text: str) -> None:
        """Buffer a message; a full buffer drops the connection like the real server (§9)."""
        if self.dropped:
            return
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            self.dropped = True
            LOG.info("websocket of user %s dropped: send buffer full", self.user_id)
            asyncio.get_running_loop().create_task(self.close())

    async def run_sender(self) -> None:
        """Send buffered messages until closed."""
        while not self.ws.closed:
            text = await self.queue.get()
            if text is None:
                break
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                break

    async def close(self) -> None:
        """Close the socket."""
        self.dropped = True
        if not self.ws.closed:
            await self.ws.close()
        try:
            self.queue.put_nowait(None)
        except asyncio.QueueFull:
            if self.sender is not None:
                self.sender.cancel()


class Store:  # pylint: disable=too-many-instance-attributes
    """All server data, built from the seed."""

    def __init__(self, profile: Profile, seed: dict[str, Any], options: StartOptions | None = None) -> None:
        self.profile = profile
        self.options = options or StartOptions()
        self.users: dict[int, User] = {}
        self.projects: dict[int, Project] = {}
        self.templates: dict[int, Template] = {}
        self.tokens: dict[str, Token] = {}
        self.sessions: dict[str, Session] = {}
        self.tasks: dict[int, Task] = {}
        self.outputs: dict[int, list[tuple[int, str]]] = {}
        self.next_task_id = self.options.first_task_id
        self.next_session_id = 1
        self.next_ids: dict[str, int] = {}  # per kind of RESOURCE_KINDS and "projects" (§13)
        self._load(seed)

    def _load(self, seed: dict[str, Any]) -> None:
        created = truncate(now_ns() - 86400 * 1_000_000_000, 0)
        for raw in seed.get("users", []):
            user = User(id=int(raw["id"]), username=str(raw["username"]), name=str(raw.get("name", raw["username"])),
                        email=str(raw["email"]), password=str(raw["password"]), admin=bool(raw.get("admin", False)),
                        totp_secret=raw.get("totp_secret"), created=created)
            self.users[user.id] = user
        by_name = {user.username: user.id for user in self.users.values()}
        for raw in seed.get("projects", []):
            members = {by_name[name]: role for name, role in (raw.get("members") or {}).items()}
            data = {key: raw[key] for key in ("alert", "alert_chat", "max_parallel_tasks", "type") if key in raw}
            project = Project(id=int(raw["id"]), name=str(raw["name"]), created=created, members=members, data=data)
            for kind in RESOURCE_KINDS + ("views",):
                target = getattr(project, kind)
                for item in raw.get(kind, []) or []:
                    target[int(item["id"])] = dict(item, id=int(item["id"]), project_id=project.id)
            self.projects[project.id] = project
            for traw in raw.get("templates", []) or []:
                tdata = {key: value for key, value in traw.items() if key not in ("id", "name", "playbook", "sim")}
                sim = {"duration": 2.0, "result": "success", "output_lines": 30, "confirm": False}
                sim.update(traw.get("sim") or {})
                template = Template(id=int(traw["id"]), project_id=project.id, name=str(traw["name"]),
                                    playbook=str(traw.get("playbook", "")), data=tdata, sim=sim)
                self.templates[template.id] = template
        self._complete_resources()

    def _complete_resources(self) -> None:
        """Id sequences after the seed's ids (one per table, as on SQL), then what the seed leaves out:
        each project's key None (§13: every project has one; the seed's repositories and inventories use
        it, as tests/integration/seed.yml does on a real server) and the fields each object always has."""
        self.next_ids = {"projects": max(self.projects, default=0) + 1,
                         "templates": max(self.templates, default=0) + 1}
        for kind in RESOURCE_KINDS + ("views", "schedules"):
            self.next_ids[kind] = max((i for p in self.projects.values() for i in getattr(p, kind)), default=0) + 1
        for project in self.projects.values():
            for key in project.keys.values():
                key.setdefault("type", "none")
                key.setdefault("secret", None)
                key.setdefault("environment_id", None)
            if not any(key["type"] == "none" for key in project.keys.values()):
                self.add_resource(project, "keys", {"name": "None", "type": "none", "secret": None,
                                                    "environment_id": None})
            none_key = min(key_id for key_id, key in project.keys.items() if key["type"] == "none")
            for repo in project.repositories.values():
                repo.setdefault("git_branch", "")
                repo.setdefault("ssh_key_id", none_key)
            for inventory in project.inventories.values():
                for name, value in (("inventory", ""), ("ssh_key_id", none_key), ("become_key_id", None),
                                    ("type", "static"), ("holder_id", None), ("repository_id", None)):
                    inventory.setdefault(name, value)
            for env in project.environments.values():
                for name, value in (("password", None), ("json", "{}"), ("env", None)):
                    env.setdefault(name, value)
            for view in project.views.values():
                view.setdefault("position", 0)
            if self.profile.project_all_view and not project.views:
                self.add_resource(project, "views", {"title": "All", "position": 0})  # §14: 2.16+

    def add_resource(self, project: Project, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        """Store a new key, repository, inventory or environment with the next id of its kind."""
        item = dict(item, id=self.next_ids[kind], project_id=project.id)
        self.next_ids[kind] += 1
        getattr(project, kind)[item["id"]] = item
        return item

    def add_template(self, project: Project, name: str, playbook: str, data: dict[str, Any]) -> Template:
        """Store a new template (§14) with the next template id and the default simulated run."""
        sim = {"duration": 2.0, "result": "success", "output_lines": 30, "confirm": False}
        template = Template(id=self.next_ids["templates"], project_id=project.id, name=name, playbook=playbook,
                            data=data, sim=sim)
        self.next_ids["templates"] += 1
        self.templates[template.id] = template
        return template

    def referrers(self, project: Project, kind: str, obj_id: int) -> dict[str, list[dict[str, Any]]]:
        """§13 ``…/{id}/refs``: the templates, inventories and repositories of the project that name the
        object. BoltDB counts only an inventory's first ``*key_id`` field (``ssh_key_id``), so a key used
        only as a become key is not referred to there; SQL's foreign keys cover both."""
        fields = dict(REFERRING_FIELDS[kind])
        if kind == "keys" and self.options.backend == "bolt":
            fields["inventories"] = ("ssh_key_id",)
        sources = {"templates": [dict(t.data, id=t.id, name=t.name) for t in self.templates.values()
                                 if t.project_id == project.id],
                   "inventories": list(project.inventories.values()),
                   "repositories": list(project.repositories.values())}
        return {group: [{"id": item["id"], "name": item.get("name", "")}
                        for item in sorted(sources[group], key=lambda row: int(row["id"]))
                        if any(item.get(name) == obj_id for name in fields.get(group, ()))]
                for group in ("templates", "inventories", "repositories")}

    # ---- lookups -------------------------------------------------------------------------
    def find_user_by_login(self, auth: str) -> User | None:
        """§3: ``email = auth OR username = auth`` after lower-casing ``auth``."""
        for user in self.users.values():
            if auth and (user.email == auth or user.username == auth):
                return user
        return None

    def permissions(self, user: User, project: Project) -> int:
        """Permission bits of a user in a project; admins who are not members get everything."""
        role = project.members.get(user.id)
        if role is None:
            return 15 if user.admin else 0
        return ROLE_PERMISSIONS.get(role, 0)

    def recipients(self, project_id: int) -> set[int]:
        """§9: members of the project and all system admins."""
        ids = {user.id for user in self.users.values() if user.admin}
        project = self.projects.get(project_id)
        if project is not None:
            ids.update(project.members)
        return ids

    def template_tasks(self, template_id: int) -> list[Task]:
        """Tasks of one template, newest first."""
        return sorted((t for t in self.tasks.values() if t.template_id == template_id), key=self.newer_key,
                      reverse=True)

    def allocate_task_id(self) -> int:
        """The next task id: 1, 2, 3... (SQL) or 2147483646, 2147483645... (``--task-ids descending``)."""
        task_id = self.next_task_id
        self.next_task_id += self.options.task_id_step
        return task_id

    def newer_key(self, task: Task) -> int:
        """Sort key that grows with creation order whatever the id numbering."""
        return task.id * self.options.task_id_step

    def older_than(self, task: Task, task_id: int) -> bool:
        """``?before=<id>``: created before the task with that id."""
        return self.newer_key(task) < task_id * self.options.task_id_step

    def add_output(self, task: Task, lines: list[tuple[int, str]]) -> None:
        """Store lines (the database write); MySQL keeps whole seconds (§1, findings i)."""
        if self.options.backend == "mysql":
            lines = [(truncate(stamp, 0), text) for stamp, text in lines]
        self.outputs.setdefault(task.id, []).extend(lines)

    def ordered_output(self, task_id: int) -> list[tuple[int, str]]:
        """The lines as GET /output returns them.

        SQL orders by ``time, id``; v2.10 by ``time`` only (findings i), so with whole-second MySQL
        times the lines of one second come back in an arbitrary order: shuffled here, seeded by
        ``--order-seed``, the task id and the second, and never left in insertion order.
        """
        lines = list(self.outputs.get(task_id, []))
        if self.profile.output_order_tiebreak or self.options.backend != "mysql":
            return lines
        lines.sort(key=lambda line: line[0])  # ORDER BY time (stable, so far still insertion order)
        result: list[tuple[int, str]] = []
        start = 0
        while start < len(lines):
            stop = start
            while stop < len(lines) and lines[stop][0] == lines[start][0]:
                stop += 1
            group = lines[start:stop]
            if len(group) > 1:
                order = list(range(len(group)))
                random.Random(f"{self.options.order_seed}:{task_id}:{group[0][0]}").shuffle(order)
                shuffled = [group[index] for index in order]
                if [text for _s, text in shuffled] == [text for _s, text in group]:
                    shuffled = group[1:] + group[:1]  # differs unless every line of the second is the same
                group = shuffled
            result.extend(group)
            start = stop
        return result


class TaskPool:
    """§8: the queue, the blocking rules and the simulated runs."""

    def __init__(self, sim: Any) -> None:
        self.sim = sim
        self.queue: list[int] = []
        self.running: dict[int, asyncio.Task[None]] = {}
        self.signals: dict[int, asyncio.Event] = {}
        self.killed: set[int] = set()  # runs whose process died: they keep their slot (issue 3681)
        self.wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    @property
    def store(self) -> Store:
        """The current store (replaced on reset)."""
        return self.sim.store  # type: ignore[no-any-return]

    def start(self) -> None:
        """Start the queue walker."""
        self._loop_task = asyncio.get_running_loop().create_task(self._queue_loop())

    async def shutdown(self) -> None:
        """Cancel every run and the queue walker."""
        self.cancel_all()
        if self._loop_task is not None:
            self._loop_task.cancel()
            try:
                await self._loop_task
            except asyncio.CancelledError:
                pass

    def cancel_all(self) -> None:
        """Forget every queued and running task (reset)."""
        for runner in self.running.values():
            runner.cancel()
        self.running.clear()
        self.queue.clear()
        self.signals.clear()
        self.killed.clear()

    def is_active(self, task_id: int) -> bool:
        """Queued, or running in this pool and not yet in a final status (findings a: a run holds its
        slot until ``end`` is saved, but confirm/stop treat a task with a final status as inactive)."""
        if task_id in self.queue:
            return True
        task = self.store.tasks.get(task_id)
        return task_id in self.running and task is not None and task.status not in TERMINAL

    def enqueue(self, task: Task) -> None:
        """Queue a new task and tell the walker."""
        self.queue.append(task.id)
        self.signals[task.id] = asyncio.Event()
        self.kick()

    def kick(self) -> None:
        """§8: every queue event makes the pool walk the queue."""
        self.wake.set()

    def signal(self, task_id: int) -> None:
        """Wake a run waiting for confirmation or stop."""
        event = self.signals.get(task_id)
        if event is not None:
            event.set()

    async def _queue_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=POOL_TICK)
            except asyncio.TimeoutError:
                pass
            self.wake.clear()
            self.handle_queue()

    def _blocks(self, task: Task) -> bool:
        store = self.store
        running = [store.tasks[tid] for tid in self.running if tid in store.tasks]
        if len(running) >= self.sim.config["max_parallel_tasks"]:
            return True  # §8 rule 1: global limit
        template = store.templates.get(task.template_id)
        parallel = template is not None and store.profile.template_parallel_flag and template.flag("allow_parallel_tasks")
        if not parallel and any(t.template_id == task.template_id for t in running):
            return True  # §8 rule 2: one active task per template
        project = store.projects.get(task.project_id)
        limit = int(project.data.get("max_parallel_tasks") or 0) if project else 0
        if limit > 0 and sum(1 for t in running if t.project_id == task.project_id) >= limit:
            return True  # §8 rule 3: project limit
        return False

    def handle_queue(self) -> None:
        """Start every queued task that nothing blocks (FIFO)."""
        loop = asyncio.get_running_loop()
        for task_id in list(self.queue):
            task = self.store.tasks.get(task_id)
            if task is None or task.status in ("error", "stopped"):
                # §7: queued tasks already in error are dropped; a force-stopped one is simply stopped.
                self.queue.remove(task_id)
                continue
            if self._blocks(task):
                continue
            self.queue.remove(task_id)
            runner = Runner(self.sim, task, self.signals.setdefault(task_id, asyncio.Event()))
            self.running[task_id] = loop.create_task(runner.run())

    def finished(self, task_id: int, runner: asyncio.Task[Any] | None) -> None:
        """A run ended: free its slot (unless reset or force-stop already did) and walk the queue."""
        if runner is not None and self.running.get(task_id) is runner and task_id not in self.killed:
            del self.running[task_id]
            self.signals.pop(task_id, None)
        self.kick()

    def force_stop(self, task_id: int) -> None:
        """§6.6 force: the process is killed at once."""
        runner = self.running.pop(task_id, None)
        if runner is not None:
            runner.cancel()
        if task_id in self.queue:
            self.queue.remove(task_id)
        self.signals.pop(task_id, None)
        self.killed.discard(task_id)
        self.kick()

    def kill(self, task_id: int) -> None:
        """The task's process dies while the server stays up (issue 3681): the run stops where it is,
        and nothing tells the pool, so the task stays active and blocks as before until a force stop."""
        self.killed.add(task_id)
        runner = self.running.get(task_id)
        if runner is not None:
            runner.cancel()


class Runner:  # pylint: disable=too-few-public-methods
    """One simulated run: status sequence (§7) and batched output (§6.4)."""

    def __init__(self, sim: Any, task: Task, signal: asyncio.Event) -> None:
        self.sim = sim
        self.task = task
        self.signal = signal
        self.pending: list[tuple[int, str]] = []
        self.done = False
        self.boot = sim.boot

    @property
    def store(self) -> Store:
        """The store this run belongs to."""
        return self.sim.store  # type: ignore[no-any-return]

    def emit(self, text: str) -> None:
        """One output line: pushed on the websocket at once, stored with the next batch."""
        stamp = now_ns()
        self.pending.append((stamp, text))
        self.sim.push_log(self.task, stamp, text)
        if len(self.pending) >= OUTPUT_BATCH_LINES and self.store.profile.output_batched:
            self.flush()

    def _may_write(self) -> bool:
        """Not after a reset (another store) or a restart (lines still buffered die with the process)."""
        return self.sim.boot == self.boot and self.store.tasks.get(self.task.id) is self.task

    def flush(self) -> None:
        """Write the pending batch."""
        if self.pending and self._may_write():
            self.store.add_output(self.task, self.pending)
        self.pending = []

    async def _flusher(self) -> None:
        if not self.store.profile.output_batched:
            await self._line_writer()
            return
        while not self.done:
            await asyncio.sleep(OUTPUT_BATCH_SECONDS)
            self.flush()
        # the last lines land shortly after the final status (§6.4)
        await asyncio.sleep(OUTPUT_BATCH_SECONDS / 2)
        self.flush()

    async def _line_writer(self) -> None:
        """v2.10 (findings a): no batches; each line is stored about ``output_delay`` seconds after it
        was logged, so the last lines can become readable after the final status."""
        while not self.done or self.pending:
            cutoff = now_ns() - int(max(float(self.sim.config.get("output_delay", 0.0)), 0.0) * 1e9)
            count = 0
            while count < len(self.pending) and self.pending[count][0] <= cutoff:
                count += 1
            if count:
                if self._may_write():
                    self.store.add_output(self.task, self.pending[:count])
                del self.pending[:count]
            if not self.done or self.pending:
                await asyncio.sleep(RUNNER_TICK)

    def _stop_requested(self) -> bool:
        return self.task.status in ("stopping", "stopped")

    async def _play(self, lines: Iterator[str], total: int, seconds: float) -> bool:
        """Emit ``total`` lines spread over ``seconds``; False when a stop interrupted it."""
        loop = asyncio.get_running_loop()
        begin = loop.time()
        emitted = 0
        ticks = int(max(seconds, 0.0) / RUNNER_TICK) + 2
        for dummy_tick in range(ticks):
            if self._stop_requested():
                return False
            elapsed = loop.time() - begin
            due = total if seconds <= 0 else min(total, int(total * elapsed / seconds) + 1)
            while emitted < due:
                line = next(lines, None)
                if line is None:
                    emitted = total
                    break
                self.emit(line)
                emitted += 1
            if emitted >= total and elapsed >= seconds:
                break
            await asyncio.sleep(RUNNER_TICK)
        for line in lines:  # whatever the rounding left over
            self.emit(line)
        return not self._stop_requested()

    async def _finish_stopping(self) -> None:
        """A plain stop: the process is killed and the run ends as ``stopped`` (2.10: ``error``)."""
        if self.store.profile.stop_kill_ends_in_error and self.task.effective.get("stop_kills"):
            # recorded 2.10.32: the killed process makes the run fail, and a stopping task may fail
            self.emit("Running app failed: signal: killed")
            await asyncio.sleep(0.2)
            await self.sim.finish(self.task, "error")
            return
        self.emit(f"{output.RED}Task stopped by user{output.RESET}")
        await asyncio.sleep(0.2)
        await self.sim.finish(self.task, "stopped")

    async def run(self) -> None:
        """The whole run; always frees the pool slot."""
        flusher = asyncio.get_running_loop().create_task(self._flusher())
        try:
            await self._run()
        finally:
            self.done = True
            self.sim.pool.finished(self.task.id, asyncio.current_task())
            if flusher.done():
                self.flush()

    async def _run(self) -> None:  # pylint: disable=too-many-return-statements
        task = self.task
        store = self.store
        if task.status == "stopping":
            self.sim.set_status(task, "stopped")  # §6.6: a stopped waiting task ends when dequeued
            return
        template = store.templates[task.template_id]
        project = store.projects[task.project_id]
        sim = template.sim
        duration = max(float(sim.get("duration", 2.0)), 0.0)
        total = max(int(sim.get("output_lines", 30)), 1)
        failed = str(sim.get("result", "success")) == "error"
        self.sim.set_status(task, "starting")
        repo = project.repositories.get(int(template.data.get("repository_id") or 0), {})
        prep = output.preparation_lines(task.id, template.name, str(repo.get("git_url", "")), template.id)
        if not await self._play(iter(prep), len(prep), min(1.0, duration / 4)):
            await self._finish_stopping()
            return
        if task.effective.get("arguments_error"):
            self.emit(f"{output.RED}Error: invalid arguments JSON: {task.arguments}{output.RESET}")
            await self.sim.finish(task, "error")
            return
        self.sim.set_status(task, "running")
        run_seconds = max(duration - min(1.0, duration / 4), 0.0)
        app = str(template.data.get("app") or "ansible")
        params = task.params
        if app in ("terraform", "tofu", "terragrunt") or sim.get("confirm"):
            await self._run_confirmable(total, run_seconds, failed, params)
            return
        hosts = list(task.effective.get("hosts") or ["web1", "web2"])
        lines = output.ansible_lines(total - len(prep), hosts, failed)
        if not await self._play(lines, max(total - len(prep), 8), run_seconds):
            await self._finish_stopping()
            return
        await self.sim.finish(task, "error" if failed else "success")

    async def _run_confirmable(self, total: int, seconds: float, failed: bool, params: dict[str, Any]) -> None:
        """§7: plan -> waiting_confirmation -> confirmed -> running (apply), or rejected -> error."""
        task = self.task
        plan = output.terraform_plan_lines(max(total // 2, 8))
        if not await self._play(iter(plan), len(plan), seconds / 2):
            await self._finish_stopping()
            return
        if params.get("plan"):
            await self.sim.finish(task, "success")  # §7: plan-only runs end in success
            return
        if not self._auto_approved(params) and self.task.template_id in self.store.templates:
            self.signal.clear()
            self.sim.set_status(task, "waiting_confirmation")
            while task.status == "waiting_confirmation":
                await self.signal.wait()
                self.signal.clear()
            if task.status in ("stopping", "stopped"):
                await self._finish_stopping()
                return
            if task.status == "rejected":
                self.emit("Apply rejected by user")
                await asyncio.sleep(0.1)
                await self.sim.finish(task, "error")
                return
            self.sim.set_status(task, "running")
        apply = output.terraform_apply_lines(max(total - len(plan), 3), failed)
        if not await self._play(iter(apply), len(apply), seconds / 2):
            await self._finish_stopping()
            return
        await self.sim.finish(task, "error" if failed else "success")

    def _auto_approved(self, params: dict[str, Any]) -> bool:
        """findings e: 2.16+ need the template's task_params.auto_approve, or allow_auto_approve plus
        the task's params.auto_approve (alone it is silently ignored); v2.11-v2.15 the task flag alone."""
        if not self.store.profile.terraform_auto_approve_needs_template:
            return bool(params.get("auto_approve"))
        template = self.store.templates.get(self.task.template_id)
        flags = (template.data.get("task_params") or {}) if template is not None else {}
        return bool(flags.get("auto_approve")) or (bool(flags.get("allow_auto_approve"))
                                                   and bool(params.get("auto_approve")))


def update_event(task: Task) -> dict[str, Any]:
    """§9 status message."""
    return {"type": "update", "start": fmt_time(task.start), "end": fmt_time(task.end), "status": task.status,
            "task_id": task.id, "template_id": task.template_id, "project_id": task.project_id,
            "version": task.version}


def log_event(task: Task, stamp: int, text: str) -> dict[str, Any]:
    """§9 output-line message."""
    return {"type": "log", "output": text, "time": fmt_time(stamp), "task_id": task.id,
            "project_id": task.project_id}
