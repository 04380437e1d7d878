"""Record what a Semaphore server answers to one scripted scenario, as scrubbed JSON files.

The same scenario (``SCENARIO``, run by ``run_scenario``) is replayed against the simulator by
``tests/simulator/tests/test_recordings.py``, which compares the answers with the committed
recordings: one code path, so a difference is a difference of the servers.

    .venv/bin/python tests/simulator/recordings/record.py --url http://127.0.0.1:3010 \
        --username admin --out tests/simulator/recordings/2.10.32-bolt      # password: $SEMAPHORE_PASSWORD

Each exchange keeps the method, the path with ids replaced by placeholders (``{project_id}``,
``{task_id}``, ``{template_id}``, ``{token}``...), the scrubbed request body, the status, the headers
that matter (Content-Type, Set-Cookie with its value replaced, whether Date is present) and the JSON
body with secrets replaced by same-typed placeholders and long lists cut to ``MAX_ROWS`` rows.
Passwords, token secrets and cookie values never reach a file.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
import websocket

MAX_ROWS = 3  # list answers keep this many rows: enough for the row shape, small files
MAX_TEXT = 120  # long strings (task output, ansible --version) are cut to this many characters
SCRUBBED = {"password": "<password>", "token": "<token>", "cookie": "<cookie>"}
# terminal statuses of a task (2.10 has no ``rejected``, harmless here)
FINAL = ("success", "error", "stopped", "rejected")


class Recorder:
    """Talks to one server, records the exchanges of the current group, scrubs every secret."""

    def __init__(self, url: str, username: str, password: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()  # the admin's cookie session (logged in by the scenario)
        self.secrets: dict[str, str] = {password: SCRUBBED["password"]}
        self.groups: dict[str, list[dict[str, Any]]] = {}
        self.current: list[dict[str, Any]] = []
        self.ids: dict[str, Any] = {}  # resolved by the scenario: project, templates by name, ...
        self.version = ""

    # ---- secrets ---------------------------------------------------------------------------
    def secret(self, value: str, kind: str) -> str:
        """Remember a secret so that no recording contains it."""
        if len(value) >= 8:  # an emptied cookie (``""``) is no secret
            self.secrets[value] = SCRUBBED[kind]
        return value

    def scrub(self, data: Any, key: str | None = None, token_list: bool = False) -> Any:
        """Replace secrets by placeholders of the same JSON type; cut long lists and strings."""
        if isinstance(data, dict):
            return {k: self.scrub(v, k, token_list) for k, v in data.items()}
        if isinstance(data, list):
            return [self.scrub(v, key, token_list) for v in data[:MAX_ROWS]]
        if isinstance(data, str):
            if data in self.secrets:
                return self.secrets[data]
            if token_list and key == "id":  # token lists show secrets (2.10: every full secret)
                return SCRUBBED["token"]
            for secret, placeholder in self.secrets.items():
                data = data.replace(secret, placeholder)
            return data if len(data) <= MAX_TEXT else data[:MAX_TEXT] + "..."
        return data

    def _headers(self, response: requests.Response) -> dict[str, Any]:
        headers: dict[str, Any] = {"Date": "Date" in response.headers}
        if "Content-Type" in response.headers:
            headers["Content-Type"] = response.headers["Content-Type"]
        raw_cookie = response.headers.get("Set-Cookie")
        if raw_cookie is not None:
            name, _sep, rest = raw_cookie.partition("=")
            value, _sep, attributes = rest.partition(";")
            self.secret(value, "cookie")
            shown = SCRUBBED["cookie"] if value in self.secrets else value
            headers["Set-Cookie"] = f"{name}={shown}" + (
                ";" + attributes if attributes else "")
        return headers

    # ---- requests --------------------------------------------------------------------------
    def request(self, method: str, path: str, auth: Any = "cookie", body: Any = None,
                raw: str | None = None) -> requests.Response:
        """One unrecorded request. ``auth``: ``cookie``, ``none``, ``("bearer", token)`` or ``("cookie", value)``."""
        headers = {"Accept": "application/json"}
        client: Any = self.session
        if auth != "cookie":
            client = requests
            if auth[0] == "bearer":
                headers["Authorization"] = f"Bearer {auth[1]}"
            elif auth[0] == "cookie":
                headers["Cookie"] = f"semaphore={auth[1]}"
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self.timeout}
        if raw is not None:
            kwargs["data"] = raw
            headers["Content-Type"] = "application/json"
        elif body is not None:
            kwargs["json"] = body
        return client.request(method, self.url + path, **kwargs)  # type: ignore[no-any-return]

    def call(self, step: str, method: str, template: str, auth: Any = "cookie", body: Any = None,
             raw: str | None = None, note: str | None = None, **ids: Any) -> requests.Response:
        """A recorded request; ``template`` is the path with ``{placeholders}`` filled from ``ids``."""
        response = self.request(method, template.format(**ids), auth, body, raw)
        entry: dict[str, Any] = {"step": step, "method": method, "path": template,
                                 "request": self.scrub(body) if raw is None else raw,
                                 "auth": auth if isinstance(auth, str) else auth[0] + ":" + (
                                     "valid" if auth[1] in self.secrets else "invalid"),
                                 "status": response.status_code, "headers": self._headers(response)}
        if not response.content:
            entry["body_kind"], entry["body"] = "empty", None
        else:
            try:
                entry["body_kind"], entry["body"] = "json", self.scrub(
                    response.json(), token_list=template.startswith("/api/user/tokens"))
            except ValueError:
                entry["body_kind"], entry["body"] = "text", self.scrub(response.text)
        if note:
            entry["note"] = note
        self.current.append(entry)
        return response

    def wait(self, task_id: int, statuses: tuple[str, ...], timeout: float = 90.0,
             or_end: bool = False) -> dict[str, Any]:
        """Poll a task (unrecorded) until it reaches one of ``statuses`` (or, ``or_end``, has an end)."""
        deadline = time.monotonic() + timeout
        data: dict[str, Any] = {}
        while time.monotonic() < deadline:
            data = self.request("GET", f"/api/project/{self.ids['project']}/tasks/{task_id}").json()
            if or_end and data.get("end"):
                return data
            # a final status is saved before ``end`` (2.10 and later): wait for both
            if data.get("status") in statuses and (data.get("status") not in FINAL or data.get("end")):
                return data
            time.sleep(0.1)
        raise RuntimeError(f"task {task_id} stuck in {data.get('status')}, wanted {statuses}")

    def wait_playbook(self, task_id: int, timeout: float = 60.0) -> None:
        """Poll the output until the playbook itself runs: 2.10 reports ``running`` before the
        repository is cloned, and a stop during that preparation kills nothing."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lines = self.request("GET", f"/api/project/{self.ids['project']}/tasks/{task_id}/output").json()
            if any(str(line.get("output", "")).lstrip().startswith("TASK [") for line in lines):
                return
            time.sleep(0.2)
        raise RuntimeError(f"task {task_id}: no playbook output")


# ---- the scenario ------------------------------------------------------------------------------
TASK = "/api/project/{project_id}/tasks/{task_id}"


def has_verify(version: str) -> bool:
    """``/api/auth/verify`` (TOTP) exists from v2.12."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) >= (2, 12)


def auth_steps(rec: Recorder) -> None:
    """Login metadata, wrong and right password, logout, and what the old cookie still does."""
    rec.call("login metadata", "GET", "/api/auth/login", auth="none")
    rec.call("login wrong password", "POST", "/api/auth/login", auth="none",
             body={"auth": rec.username, "password": "wrong-password"})
    rec.call("login", "POST", "/api/auth/login", body={"auth": rec.username, "password": rec.password})
    rec.version = rec.request("GET", "/api/info").json()["version"]
    if has_verify(rec.version):
        rec.call("verify without totp", "POST", "/api/auth/verify", body={"passcode": "000000"})
    second = requests.Session()
    response = second.post(rec.url + "/api/auth/login", json={"auth": rec.username, "password": rec.password},
                           timeout=rec.timeout)
    cookie = rec.secret(response.cookies.get("semaphore", ""), "cookie")
    rec.call("logout", "POST", "/api/auth/logout", auth=("cookie", cookie))
    rec.call("cookie after logout", "GET", "/api/user", auth=("cookie", cookie))
    rec.call("no credentials", "GET", "/api/user", auth="none")


def info_steps(rec: Recorder) -> None:
    """``/info`` and ``/user``."""
    rec.call("info", "GET", "/api/info")
    rec.call("user", "GET", "/api/user")


def token_steps(rec: Recorder) -> None:
    """Token list, create, use, delete; revoked and wrong bearer tokens."""
    rec.call("token list", "GET", "/api/user/tokens")
    token = rec.secret(rec.call("token create", "POST", "/api/user/tokens").json()["id"], "token")
    rec.call("token list after create", "GET", "/api/user/tokens")
    rec.call("user with bearer", "GET", "/api/user", auth=("bearer", token))
    rec.call("token delete", "DELETE", "/api/user/tokens/{token}", token=token)
    rec.call("revoked bearer", "GET", "/api/user", auth=("bearer", token))
    rec.call("wrong bearer", "GET", "/api/user", auth=("bearer", "not-a-token"))


def project_steps(rec: Recorder) -> None:
    """Projects, templates, inventories; resolves ids by name for later groups."""
    projects = rec.call("projects", "GET", "/api/projects").json()
    rec.ids["project"] = pid = next(p["id"] for p in projects if p["name"] == "Demo")
    rec.call("project", "GET", "/api/project/{project_id}", project_id=pid)
    templates = rec.call("templates", "GET", "/api/project/{project_id}/templates", project_id=pid).json()
    rec.ids["templates"] = {t["name"]: t["id"] for t in sorted(templates, key=lambda t: t["id"], reverse=True)}
    inventories = rec.call("inventories", "GET", "/api/project/{project_id}/inventory", project_id=pid).json()
    rec.ids["inventories"] = {i["name"]: i["id"] for i in inventories}


def _launch(rec: Recorder, step: str, template: str, **extra: Any) -> requests.Response:
    body = dict(extra, template_id=rec.ids["templates"][template])
    return rec.call(step, "POST", "/api/project/{project_id}/tasks", body=body, project_id=rec.ids["project"])


def websocket_steps(rec: Recorder) -> None:
    """Every ``/api/ws`` frame of one quick task, with its time and what a GET showed right after it."""
    pid = rec.ids["project"]
    cookie = rec.session.cookies.get("semaphore", "")
    sock = websocket.create_connection(rec.url.replace("http", "ws", 1) + "/api/ws", timeout=1,
                                       header=[f"Cookie: semaphore={cookie}"])
    frames: list[dict[str, Any]] = []
    try:
        start = time.monotonic()
        task_id = _launch(rec, "ws launch", "Deploy app").json()["id"]
        deadline = start + 60
        final_at: float | None = None
        # after the final update with ``end`` set, listen one more second for late frames
        while time.monotonic() < deadline and (final_at is None or time.monotonic() < final_at + 1.0):
            try:
                frame = json.loads(sock.recv())
            except websocket.WebSocketTimeoutException:
                continue
            arrived = time.monotonic() - start
            if frame.get("task_id") != task_id:
                continue  # another client's task
            got = rec.request("GET", TASK.format(project_id=pid, task_id=task_id)).json()
            frames.append({"t": round(arrived, 3), "frame": rec.scrub(frame),
                           "get_after": {"status": got.get("status"), "start_null": got.get("start") is None,
                                         "end_null": got.get("end") is None}})
            if frame.get("type") == "update" and frame.get("status") in FINAL and frame.get("end") and final_at is None:
                final_at = time.monotonic()
    finally:
        sock.close()
    rec.current.append({"step": "ws frames", "method": "WS", "path": "/api/ws", "frames": frames})


def launch_steps(rec: Recorder) -> None:
    """Every override form on a launch; the 201 answer and a GET right after (still waiting)."""
    pid = rec.ids["project"]
    forms: list[tuple[str, dict[str, Any]]] = [
        ("plain", {}),
        ("message", {"message": "recorded launch"}),
        ("git_branch", {"git_branch": "main"}),
        ("inventory_id", {"inventory_id": rec.ids["inventories"]["Staging"]}),
        ("environment", {"environment": '{"recorded": "yes"}'}),
        ("arguments", {"arguments": '["-v"]'}),
        ("top-level flags", {"debug": True, "dry_run": True, "diff": True, "limit": "web1"}),
        ("params", {"params": {"debug": True, "limit": ["web1"], "tags": ["a"]}}),
    ]
    launched = []
    for name, extra in forms:
        task = _launch(rec, "launch " + name, "Deploy app", **extra).json()
        launched.append((name, task["id"]))
        rec.call("get after launch " + name, "GET", TASK, project_id=pid, task_id=task["id"],
                 note="waiting expected (timing)")
    for name, task_id in launched:
        rec.wait(task_id, FINAL, timeout=180)
        rec.call("get finished " + name, "GET", TASK, project_id=pid, task_id=task_id)
    rec.ids["finished task"] = launched[0][1]


def status_steps(rec: Recorder) -> None:
    """A task read in error, running, stopping, stopped; stop plain and forced."""
    pid = rec.ids["project"]
    failing = _launch(rec, "launch failing", "Failing job").json()["id"]
    rec.wait(failing, FINAL)
    rec.call("get error", "GET", TASK, project_id=pid, task_id=failing)
    slow = _launch(rec, "launch slow", "Slow job").json()["id"]
    rec.wait(slow, ("running",))
    rec.wait_playbook(slow)
    rec.call("get running", "GET", TASK, project_id=pid, task_id=slow)
    rec.call("stop without body", "POST", TASK + "/stop", project_id=pid, task_id=slow)
    rec.call("stop plain", "POST", TASK + "/stop", body={"force": False}, project_id=pid, task_id=slow)
    rec.call("get stopping", "GET", TASK, project_id=pid, task_id=slow, note="stopping expected (timing)")
    rec.wait(slow, ("stopped",), or_end=True)  # 2.10 can end a stopped run still ``stopping``
    rec.call("get stopped", "GET", TASK, project_id=pid, task_id=slow)
    forced = _launch(rec, "launch slow again", "Slow job").json()["id"]
    rec.wait(forced, ("running",))
    rec.wait_playbook(forced)
    rec.call("stop force", "POST", TASK + "/stop", body={"force": True}, project_id=pid, task_id=forced)
    rec.call("get force stopped", "GET", TASK, project_id=pid, task_id=forced)
    rec.wait(forced, FINAL)


def confirm_steps(rec: Recorder) -> None:
    """Terraform: waiting_confirmation, reject (no route in 2.10), confirm, confirm again."""
    pid = rec.ids["project"]
    task = _launch(rec, "launch terraform", "Terraform apply").json()["id"]
    rec.wait(task, ("waiting_confirmation",) + FINAL)
    rec.call("get waiting_confirmation", "GET", TASK, project_id=pid, task_id=task)
    rec.call("confirm", "POST", TASK + "/confirm", project_id=pid, task_id=task)
    rec.call("get confirmed", "GET", TASK, project_id=pid, task_id=task, note="confirmed expected (timing)")
    rec.wait(task, FINAL)
    rec.call("get applied", "GET", TASK, project_id=pid, task_id=task)
    rec.call("confirm finished", "POST", TASK + "/confirm", project_id=pid, task_id=task)
    rec.call("reject finished", "POST", TASK + "/reject", project_id=pid, task_id=task)


def read_steps(rec: Recorder) -> None:
    """``/tasks/last`` (project and template), task lists, one template, output, unknown ids."""
    pid = rec.ids["project"]
    tid = rec.ids["templates"]["Deploy app"]
    rec.call("tasks last", "GET", "/api/project/{project_id}/tasks/last", project_id=pid)
    rec.call("tasks last limit", "GET", "/api/project/{project_id}/tasks/last?limit=2", project_id=pid)
    rec.call("template tasks last", "GET", "/api/project/{project_id}/templates/{template_id}/tasks/last",
             project_id=pid, template_id=tid)
    rec.call("tasks", "GET", "/api/project/{project_id}/tasks", project_id=pid)
    # one template, read once it has tasks (its ``last_task`` is an object then, on any server)
    rec.call("template", "GET", "/api/project/{project_id}/templates/{template_id}", project_id=pid, template_id=tid)
    rec.call("template tasks", "GET", "/api/project/{project_id}/templates/{template_id}/tasks",
             project_id=pid, template_id=tid)
    rec.call("output", "GET", TASK + "/output", project_id=pid, task_id=rec.ids["finished task"])
    rec.call("unknown task", "GET", TASK, project_id=pid, task_id=999999)
    rec.call("unknown task output", "GET", TASK + "/output", project_id=pid, task_id=999999)
    rec.call("launch unknown template", "POST", "/api/project/{project_id}/tasks",
             body={"template_id": 999999}, project_id=pid)
    rec.call("launch invalid json", "POST", "/api/project/{project_id}/tasks", raw="{not json", project_id=pid)


# Not a key: a placeholder the server stores like one (it checks only that the field is not empty).
RECORDED_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nrecorded-placeholder\n-----END OPENSSH PRIVATE KEY-----"


def _created_id(rec: Recorder, response: requests.Response, step: str, path: str, name: str, **ids: Any) -> int:
    """The id of an object just created: from a 201 answer, or (2.10: keys, repositories,
    environments answer 204) from the list, the newest object of that name (§13)."""
    if response.content:
        return int(response.json()["id"])
    listed = rec.call(step, "GET", path, **ids).json()
    return max(item["id"] for item in listed if item["name"] == name)


def _login(rec: Recorder) -> None:
    """An unrecorded login when the group runs alone (the auth group logs in otherwise)."""
    if not rec.session.cookies.get("semaphore"):
        rec.request("POST", "/api/auth/login", "cookie", {"auth": rec.username, "password": rec.password})
        rec.version = rec.request("GET", "/api/info").json()["version"]


def resource_steps(rec: Recorder) -> None:
    """A project of its own with a key, a repository, an inventory and an environment (§13): create,
    read, update, a validation error, a reference to a missing key, a delete of a key in use, delete."""
    _login(rec)
    rec.secret(RECORDED_PRIVATE_KEY, "password")
    pid = rec.call("project create", "POST", "/api/projects",
                   body={"name": "Recorded resources", "alert": False, "max_parallel_tasks": 0}).json()["id"]
    keys = "/api/project/{project_id}/keys"
    rec.call("project keys", "GET", keys, project_id=pid)
    rec.call("project environments", "GET", "/api/project/{project_id}/environment", project_id=pid)
    key_body = {"name": "deploy", "type": "ssh", "project_id": pid,
                "ssh": {"login": "deploy", "passphrase": "", "private_key": RECORDED_PRIVATE_KEY}}
    key_id = _created_id(rec, rec.call("key create", "POST", keys, body=key_body, project_id=pid),
                         "keys after create", keys, "deploy", project_id=pid)
    key = rec.call("key", "GET", keys + "/{key_id}", project_id=pid, key_id=key_id).json()
    rec.call("key rename", "PUT", keys + "/{key_id}", project_id=pid, key_id=key_id,
             body=dict(key, name="deploy key", override_secret=False))
    rec.call("key without its private key", "POST", keys, project_id=pid,
             body={"name": "broken", "type": "ssh", "project_id": pid, "ssh": {"login": "", "passphrase": "", "private_key": ""}})
    repos = "/api/project/{project_id}/repositories"
    repo_body = {"name": "playbooks", "project_id": pid, "git_url": "https://git.example.com/p.git",
                 "git_branch": "main", "ssh_key_id": key_id}
    repo_id = _created_id(rec, rec.call("repository create", "POST", repos, body=repo_body, project_id=pid),
                          "repositories after create", repos, "playbooks", project_id=pid)
    rec.call("repository with a missing key", "POST", repos, project_id=pid, body=dict(repo_body, name="x", ssh_key_id=999999))
    rec.call("repository without a branch", "POST", repos, project_id=pid, body=dict(repo_body, name="y", git_branch=""))
    repo = rec.call("repository", "GET", repos + "/{repository_id}", project_id=pid, repository_id=repo_id).json()
    rec.call("repository update", "PUT", repos + "/{repository_id}", project_id=pid, repository_id=repo_id,
             body=dict(repo, git_branch="develop"))
    inventories = "/api/project/{project_id}/inventory"
    inventory = rec.call("inventory create", "POST", inventories, project_id=pid, body={
        "name": "production", "project_id": pid, "type": "static", "inventory": "[web]\nweb1\n",
        "ssh_key_id": key_id, "become_key_id": None}).json()
    rec.call("inventory", "GET", inventories + "/{inventory_id}", project_id=pid, inventory_id=inventory["id"])
    rec.call("inventory update", "PUT", inventories + "/{inventory_id}", project_id=pid, inventory_id=inventory["id"],
             body=dict(inventory, inventory="[web]\nweb1\nweb2\n"))
    _environment_steps(rec, pid)
    rec.call("key in use", "DELETE", keys + "/{key_id}", project_id=pid, key_id=key_id)
    rec.call("inventory delete", "DELETE", inventories + "/{inventory_id}", project_id=pid, inventory_id=inventory["id"])
    rec.call("repository delete", "DELETE", repos + "/{repository_id}", project_id=pid, repository_id=repo_id)
    rec.call("key delete", "DELETE", keys + "/{key_id}", project_id=pid, key_id=key_id)
    rec.call("key gone", "GET", keys + "/{key_id}", project_id=pid, key_id=key_id)
    project = rec.call("project", "GET", "/api/project/{project_id}", project_id=pid).json()
    rec.call("project update", "PUT", "/api/project/{project_id}", project_id=pid, body=dict(project, max_parallel_tasks=2))
    rec.call("project delete", "DELETE", "/api/project/{project_id}", project_id=pid)


def _environment_steps(rec: Recorder, pid: int) -> None:
    """An environment with secrets: created, listed (no secrets), read (secrets by name), one replaced."""
    environments = "/api/project/{project_id}/environment"
    rec.secret("recorded-secret-value-1", "password")
    rec.secret("recorded-secret-value-2", "password")
    body = {"name": "production", "project_id": pid, "json": "{\"a\": 1}", "env": "{}",
            "secrets": [{"name": "db_password", "type": "var", "secret": "recorded-secret-value-1", "operation": "create"}]}
    env_id = _created_id(rec, rec.call("environment create", "POST", environments, body=body, project_id=pid),
                         "environments after create", environments, "production", project_id=pid)
    rec.call("environment without extra variables", "POST", environments, project_id=pid,
             body={"name": "bare", "project_id": pid})
    environment = rec.call("environment", "GET", environments + "/{environment_id}", project_id=pid,
                           environment_id=env_id).json()
    secret_id = environment["secrets"][0]["id"]
    rec.call("environment secret replaced", "PUT", environments + "/{environment_id}", project_id=pid, environment_id=env_id,
             body=dict(environment, secrets=[
                 {"id": secret_id, "name": "db_password", "type": "var", "operation": "delete"},
                 {"name": "db_password", "type": "var", "secret": "recorded-secret-value-2", "operation": "create"}]))
    rec.call("environment after", "GET", environments + "/{environment_id}", project_id=pid, environment_id=env_id)
    rec.call("environment delete", "DELETE", environments + "/{environment_id}", project_id=pid, environment_id=env_id)


def as_code_steps(rec: Recorder) -> None:
    """§14 in a project of its own: a template (validation error, create, PUT that leaves a field out,
    refs), a schedule (cron check good and bad, create, update, active, delete), a view (create,
    update, positions, delete), the backup, its restore (then deleted), the template's delete."""
    _login(rec)
    pid = rec.call("project create", "POST", "/api/projects", body={"name": "Recorded as code"}).json()["id"]
    base = "/api/project/{project_id}"
    repo_id = _created_id(rec, rec.call("repository create", "POST", base + "/repositories", project_id=pid, body={
        "name": "playbooks", "project_id": pid, "git_url": "https://git.example.com/p.git", "git_branch": "main",
        "ssh_key_id": rec.call("keys", "GET", base + "/keys", project_id=pid).json()[0]["id"]}),
        "repositories after create", base + "/repositories", "playbooks", project_id=pid)
    inventory = rec.call("inventory create", "POST", base + "/inventory", project_id=pid, body={
        "name": "hosts", "project_id": pid, "type": "static", "inventory": "[web]\nweb1\n"}).json()
    view = rec.call("view create", "POST", base + "/views", project_id=pid,
                    body={"project_id": pid, "title": "Deploy", "position": 1}).json()
    rec.call("view without title", "POST", base + "/views", project_id=pid, body={"project_id": pid, "title": ""})
    rec.call("views", "GET", base + "/views", project_id=pid)
    survey = [{"name": "v", "title": "V", "required": False, "type": "", "description": "", "values": []}]
    body = {"project_id": pid, "name": "site", "playbook": "site.yml", "app": "ansible",
            "inventory_id": inventory["id"], "repository_id": repo_id, "description": "first", "view_id": view["id"],
            "arguments": "[]", "survey_vars": survey}
    rec.call("template without inventory", "POST", base + "/templates", project_id=pid,
             body=dict(body, inventory_id=None))
    tpl = rec.call("template create", "POST", base + "/templates", project_id=pid, body=body).json()
    _as_code_template(rec, pid, tpl, body)
    _as_code_schedule(rec, pid, tpl["id"])
    _as_code_views(rec, pid, view)
    backup = rec.call("backup", "GET", base + "/backup", project_id=pid).json()
    restored = rec.call("restore", "POST", "/api/projects/restore",
                        body=dict(backup, meta=dict(backup["meta"], name="Recorded restore"))).json()
    rec.call("restored templates", "GET", base + "/templates", project_id=restored["id"])
    rec.call("restored schedules", "GET", base + "/schedules", project_id=restored["id"])
    rec.call("restore with a missing repository", "POST", "/api/projects/restore", body=dict(
        backup, meta=dict(backup["meta"], name="Recorded broken restore"),
        templates=[dict(t, repository="nope") for t in backup["templates"]]))
    rec.call("restored project delete", "DELETE", base, project_id=restored["id"])
    rec.call("template delete", "DELETE", base + "/templates/{template_id}", project_id=pid, template_id=tpl["id"])
    rec.call("template gone", "GET", base + "/templates/{template_id}", project_id=pid, template_id=tpl["id"])
    rec.call("project delete", "DELETE", base, project_id=pid)
    for project in rec.request("GET", "/api/projects").json():  # a failed restore leaves its project behind
        if project["name"] == "Recorded broken restore":
            rec.request("DELETE", f"/api/project/{project['id']}")


def _as_code_template(rec: Recorder, pid: int, tpl: dict[str, Any], body: dict[str, Any]) -> None:
    """Read, list, refs, a PUT without ``description`` (reset), a PUT with another id."""
    item = "/api/project/{project_id}/templates/{template_id}"
    rec.call("template", "GET", item, project_id=pid, template_id=tpl["id"])
    rec.call("templates", "GET", "/api/project/{project_id}/templates", project_id=pid)
    rec.call("template refs", "GET", item + "/refs", project_id=pid, template_id=tpl["id"])
    changed = {k: v for k, v in body.items() if k != "description"}
    rec.call("template update without description", "PUT", item, project_id=pid, template_id=tpl["id"],
             body=dict(changed, id=tpl["id"], name="site renamed"))
    rec.call("template after update", "GET", item, project_id=pid, template_id=tpl["id"])
    rec.call("template update with another id", "PUT", item, project_id=pid, template_id=tpl["id"],
             body=dict(body, id=tpl["id"] + 1000))


def _as_code_schedule(rec: Recorder, pid: int, template_id: int) -> None:
    """Cron checks, create, lists, a PUT without ``name``, active, a second one for the backup, delete."""
    schedules = "/api/project/{project_id}/schedules"
    rec.call("cron valid", "POST", schedules + "/validate", project_id=pid, body={"cron_format": "*/5 * * * *"})
    rec.call("cron invalid", "POST", schedules + "/validate", project_id=pid, body={"cron_format": "* * * *"})
    body = {"project_id": pid, "template_id": template_id, "cron_format": "0 3 * * *", "name": "nightly"}
    rec.call("schedule with a bad cron", "POST", schedules, project_id=pid, body=dict(body, cron_format="61 * * * *"))
    schedule = rec.call("schedule create", "POST", schedules, project_id=pid, body=body).json()
    item = schedules + "/{schedule_id}"
    rec.call("schedules", "GET", schedules, project_id=pid)
    rec.call("template schedules", "GET", "/api/project/{project_id}/templates/{template_id}/schedules",
             project_id=pid, template_id=template_id)
    rec.call("schedule update without name", "PUT", item, project_id=pid, schedule_id=schedule["id"],
             body={"id": schedule["id"], "project_id": pid, "template_id": template_id, "cron_format": "@daily"})
    rec.call("schedule", "GET", item, project_id=pid, schedule_id=schedule["id"])
    rec.call("schedule active", "PUT", item + "/active", project_id=pid, schedule_id=schedule["id"],
             body={"active": True})
    rec.call("schedule after active", "GET", item, project_id=pid, schedule_id=schedule["id"])
    rec.call("schedule kept for the backup", "POST", schedules, project_id=pid, body=body)
    rec.call("schedule delete", "DELETE", item, project_id=pid, schedule_id=schedule["id"])
    rec.call("schedule gone", "GET", item, project_id=pid, schedule_id=schedule["id"])


def _as_code_views(rec: Recorder, pid: int, view: dict[str, Any]) -> None:
    """A second view: update, positions, reads, the view's templates, delete."""
    views = "/api/project/{project_id}/views"
    other = rec.call("second view create", "POST", views, project_id=pid,
                     body={"project_id": pid, "title": "Tools", "position": 2}).json()
    rec.call("view update", "PUT", views + "/{view_id}", project_id=pid, view_id=other["id"],
             body=dict(other, title="Utilities"))
    rec.call("view positions", "POST", views + "/positions", project_id=pid,
             body={str(view["id"]): 3, str(other["id"]): 0})
    rec.call("views after positions", "GET", views, project_id=pid)
    rec.call("view", "GET", views + "/{view_id}", project_id=pid, view_id=view["id"])
    rec.call("view templates", "GET", views + "/{view_id}/templates", project_id=pid, view_id=view["id"])
    rec.call("view delete", "DELETE", views + "/{view_id}", project_id=pid, view_id=other["id"])


def refusal_steps(rec: Recorder) -> None:
    """§14: a template another one builds from, deleted (refused: BoltDB 409, SQL 400, empty body),
    its refs; an environment's secrets as the backend lists them; then all deleted in order."""
    _login(rec)
    pid = rec.call("project create", "POST", "/api/projects", body={"name": "Recorded refusals"}).json()["id"]
    base = "/api/project/{project_id}"
    key_id = rec.call("keys", "GET", base + "/keys", project_id=pid).json()[0]["id"]
    repo_id = _created_id(rec, rec.call("repository create", "POST", base + "/repositories", project_id=pid, body={
        "name": "playbooks", "project_id": pid, "git_url": "https://git.example.com/p.git", "git_branch": "main",
        "ssh_key_id": key_id}), "repositories after create", base + "/repositories", "playbooks", project_id=pid)
    inventory = rec.call("inventory create", "POST", base + "/inventory", project_id=pid, body={
        "name": "hosts", "project_id": pid, "type": "static", "inventory": "[web]\nweb1\n"}).json()
    body = {"project_id": pid, "playbook": "site.yml", "app": "ansible", "inventory_id": inventory["id"],
            "repository_id": repo_id}
    templates = base + "/templates"
    item = templates + "/{template_id}"
    build = rec.call("build template create", "POST", templates, project_id=pid,
                     body=dict(body, name="build", type="build")).json()
    deploy = rec.call("deploy template create", "POST", templates, project_id=pid,
                      body=dict(body, name="deploy", type="deploy", build_template_id=build["id"])).json()
    rec.call("build template delete while deploy builds from it", "DELETE", item, project_id=pid, template_id=build["id"])
    rec.call("build template refs", "GET", item + "/refs", project_id=pid, template_id=build["id"])
    environments = base + "/environment"
    for index in range(4):
        rec.secret(f"recorded-order-secret-{index}", "password")
    secrets = [{"name": name, "type": kind, "secret": f"recorded-order-secret-{index}", "operation": "create"}
               for index, (kind, name) in enumerate((("var", "zeta"), ("env", "Beta"), ("var", "alpha"), ("env", "Alpha")))]
    env_id = _created_id(rec, rec.call("environment with four secrets", "POST", environments, project_id=pid, body={
        "name": "ordered", "project_id": pid, "json": "{}", "secrets": secrets}),
        "environments after create", environments, "ordered", project_id=pid)
    rec.call("environment secrets as listed", "GET", environments + "/{environment_id}", project_id=pid,
             environment_id=env_id)
    rec.call("deploy template delete", "DELETE", item, project_id=pid, template_id=deploy["id"])
    rec.call("build template delete", "DELETE", item, project_id=pid, template_id=build["id"])
    rec.call("project delete", "DELETE", base, project_id=pid)


# group name -> steps; the groups run in this order and share ``rec.ids``
SCENARIO: list[tuple[str, Callable[[Recorder], None]]] = [
    ("auth", auth_steps),
    ("info", info_steps),
    ("tokens", token_steps),
    ("projects", project_steps),
    ("websocket", websocket_steps),
    ("launch", launch_steps),
    ("statuses", status_steps),
    ("confirm", confirm_steps),
    ("reads", read_steps),
    ("resources", resource_steps),
    ("as_code", as_code_steps),
    ("refusals", refusal_steps),
]


def run_scenario(rec: Recorder, only: set[str] | None = None, alone: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Run every group (``only``: a subset, ids of skipped groups are still resolved; with ``alone``
    the other groups do not run at all, for groups that need nothing from them)."""
    for name, steps in SCENARIO:
        if alone and name not in (only or ()):
            continue
        rec.current = []
        steps(rec)
        if only is None or name in only:
            rec.groups[name] = rec.current
    return rec.groups


def write(rec: Recorder, out: Path) -> None:
    """One JSON file per group; refuses to write if a known secret slipped through."""
    out.mkdir(parents=True, exist_ok=True)
    for name, exchanges in rec.groups.items():
        text = json.dumps({"group": name, "version": rec.version, "exchanges": exchanges},
                          indent=1, ensure_ascii=False, sort_keys=False) + "\n"
        leaked = [placeholder for secret, placeholder in rec.secrets.items() if secret in text]
        if leaked:
            raise SystemExit(f"refusing to write {name}: a {leaked[0]} secret is in it")
        (out / f"{name}.json").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=os.environ.get("SEMAPHORE_PASSWORD"),
                        help="default: $SEMAPHORE_PASSWORD")
    parser.add_argument("--out", required=True, type=Path, help="directory for the JSON files")
    parser.add_argument("--only", action="append", help="record only this group (repeatable); it runs alone")
    args = parser.parse_args()
    if not args.password:
        parser.error("--password or $SEMAPHORE_PASSWORD is required")
    rec = Recorder(args.url, args.username, args.password)
    started = time.monotonic()
    run_scenario(rec, set(args.only) if args.only else None, alone=bool(args.only))
    write(rec, args.out)
    print(f"recorded {sum(len(g) for g in rec.groups.values())} exchanges of {rec.version} "
          f"in {time.monotonic() - started:.0f} s into {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
