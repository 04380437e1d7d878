"""Contract and behaviour tests of the simulator against the Swagger spec and docs/server-behaviour.md.

Every JSON answer from /api is validated against the response schema of the matching operation in
``api-docs.yml`` (env ``SEMAPHORE_API_DOCS``, default ``../shared/semaphore/api-docs.yml`` from the
repository root). Where the reference says the real server differs from the spec (§12 and the
v2.8-v2.13 object shape of §6.5), the difference is named in ``DISAGREEMENTS`` and skipped exactly.
§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import copy
import json
import os
import re
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import websocket
import yaml

from conftest import PASSWORDS, REPO_ROOT, Sim
from simversions import since

SPEC_PATH = Path(os.environ.get("SEMAPHORE_API_DOCS", str(REPO_ROOT / ".." / "shared" / "semaphore" / "api-docs.yml")))

# name -> reason. Each check that skips something names one of these.
DISAGREEMENTS: dict[str, str] = {
    "login-401": "§12: spec lists 204/400 for POST /auth/login; the server answers 401 for bad credentials",
    "ws-101": "§12: spec says /ws answers 200; the server upgrades with 101",
    "stop-body-required": "§12: spec marks the stop body optional; an empty body gives 400",
    "task-unknown-400": "§12: spec implies 404 for a missing task; the server answers 400",
    "template-sort-400": "§12: spec enum has ssh_key and marks sort/order required; ssh_key gives 400, both optional",
    "delete-task-401": "§6.7: deleting a task as a non-admin gives 401 (not in the spec)",
    "old-shape-nulls": "§6.5/§6: v2.8-v2.13 objects carry every field, null when empty; the spec types them",
    "token-create-400": "§12: 2026 code also accepts expires_at; not in the future gives 400",
    "template-environment-0": "§14: from 2.16 a template links environment_ids and answers environment_id 0 "
                              "(the spec's minimum is 1)",
}

OLD_SHAPE_NULL_FIELDS = {"arguments", "git_branch", "inventory_id", "view_id", "start_version", "build_template_id",
                         "survey_vars", "vaults", "last_task", "description", "environment_id", "vault_key_id",
                         "alert_chat", "build_task_id", "version", "commit_hash", "integration_id", "schedule_id"}

# Routes the spec does not describe, validated with the schema of an equivalent documented route.
BORROWED_OPERATIONS = {
    "/project/{project_id}/templates/{template_id}/tasks": "/project/{project_id}/tasks",
    "/project/{project_id}/templates/{template_id}/tasks/last": "/project/{project_id}/tasks/last",
    "/project/{project_id}/tasks/{task_id}/confirm": None,
    "/project/{project_id}/tasks/{task_id}/reject": None,
    "/auth/verify": None,
    "/auth/recovery": None,
}

STATUS_DISAGREEMENTS = {
    ("POST", "/auth/login", 401): "login-401",
    ("GET", "/ws", 101): "ws-101",
    ("POST", "/project/{project_id}/tasks/{task_id}/stop", 400): "stop-body-required",
    ("GET", "/project/{project_id}/tasks/{task_id}", 400): "task-unknown-400",
    ("GET", "/project/{project_id}/tasks/{task_id}/output", 400): "task-unknown-400",
    ("DELETE", "/project/{project_id}/tasks/{task_id}", 400): "task-unknown-400",
    ("GET", "/project/{project_id}/templates", 400): "template-sort-400",
    ("DELETE", "/project/{project_id}/tasks/{task_id}", 401): "delete-task-401",
    ("POST", "/user/tokens", 400): "token-create-400",
}


class Spec:
    """Response schemas from api-docs.yml, with ``$ref`` resolved against its definitions."""

    def __init__(self, path: Path) -> None:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle)
        self.definitions = self._nullable(copy.deepcopy(raw["definitions"]))
        self.operations: list[tuple[re.Pattern[str], str, str, dict[str, Any]]] = []
        for spec_path, item in raw["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", spec_path.rstrip("/")) + "$")
            for method, operation in item.items():
                if method != "parameters":
                    self.operations.append((pattern, method.upper(), spec_path.rstrip("/"), operation))
        for extra, borrowed in BORROWED_OPERATIONS.items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", extra) + "$")
            source = raw["paths"].get(borrowed, {}) if borrowed else {}
            for method in ("GET", "POST"):
                operation = source.get(method.lower(), {"responses": {200: {}, 204: {}}})
                self.operations.append((pattern, method, borrowed or extra, operation))
        # literal paths (/tasks/last) win over templated ones (/tasks/{task_id})
        self.operations.sort(key=lambda op: op[2].count("{"))

    def _nullable(self, node: Any) -> Any:
        """Swagger's ``x-nullable`` means null is allowed too."""
        if isinstance(node, dict):
            if node.get("x-nullable") and "type" in node:
                node["type"] = [node["type"], "null"]
            return {key: self._nullable(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self._nullable(value) for value in node]
        return node

    def find(self, method: str, api_path: str) -> tuple[str, dict[str, Any]]:
        """The spec operation for a request path under /api."""
        path = api_path[len("/api"):].rstrip("/") or "/"
        for pattern, op_method, spec_path, operation in self.operations:
            if op_method == method and pattern.match(path):
                return spec_path, operation
        raise AssertionError(f"no spec operation for {method} {api_path}")

    def check(self, profile: str, method: str, api_path: str, response: requests.Response) -> None:
        """Validate status and JSON body against the matching operation."""
        spec_path, operation = self.find(method, api_path)
        status = response.status_code
        responses = {int(code): value for code, value in operation.get("responses", {}).items()}
        if status < 400 and status not in responses:
            name = STATUS_DISAGREEMENTS.get((method, spec_path, status))
            assert name in DISAGREEMENTS, f"{method} {spec_path}: status {status} not in spec {sorted(responses)}"
            return
        if status >= 400:
            name = STATUS_DISAGREEMENTS.get((method, spec_path, status))
            if name is not None or status not in responses:
                return
        schema = (responses.get(status) or {}).get("schema")
        if schema is None or not response.content or "json" not in response.headers.get("Content-Type", ""):
            return
        full = dict(self._nullable(copy.deepcopy(schema)), definitions=self.definitions)
        validator = jsonschema.Draft4Validator(full)
        for err in validator.iter_errors(response.json()):
            field = next((p for p in reversed(err.path) if isinstance(p, str)), None)
            if err.instance is None and not since(profile, "2.14") and field in OLD_SHAPE_NULL_FIELDS:
                assert "old-shape-nulls" in DISAGREEMENTS
                continue
            if err.instance == 0 and field == "environment_id" and since(profile, "2.16"):
                assert "template-environment-0" in DISAGREEMENTS
                continue
            raise AssertionError(f"{method} {api_path} ({profile}): {err.message} at {list(err.path)}")


@pytest.fixture(scope="session")
def spec() -> Spec:
    """The official spec, or a skip saying where it was looked for."""
    if not SPEC_PATH.exists():
        pytest.skip(f"api-docs.yml not found at {SPEC_PATH} (set SEMAPHORE_API_DOCS to its path)")
    return Spec(SPEC_PATH)


class Api:
    """HTTP client that validates every /api answer against the spec."""

    def __init__(self, sim: Sim, spec: Spec, token: str | None = None, session: requests.Session | None = None):
        self.sim = sim
        self.spec = spec
        self.token = token
        self.http = session or requests.Session()

    def call(self, method: str, path: str, validate: bool = True, **kwargs: Any) -> requests.Response:
        """Send one request."""
        headers = dict(kwargs.pop("headers", {}) or {})
        headers.setdefault("Accept", "application/json")
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.http.request(method, self.sim.url + path, headers=headers, timeout=30, **kwargs)
        if validate and path.startswith("/api") and response.text != "Not Found\n":
            self.spec.check(self.sim.profile, method, path.split("?")[0], response)
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        """GET."""
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        """POST."""
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        """DELETE."""
        return self.call("DELETE", path, **kwargs)


def login(sim: Sim, spec: Spec, user: str = "admin") -> Api:
    """A cookie session."""
    api = Api(sim, spec)
    response = api.post("/api/auth/login", json={"auth": user, "password": PASSWORDS[user]})
    assert response.status_code == 204, response.text
    return api


def token_api(sim: Sim, spec: Spec, user: str = "admin") -> Api:
    """A bearer-token client."""
    response = login(sim, spec, user).post("/api/user/tokens")
    assert response.status_code == 201
    return Api(sim, spec, token=response.json()["id"])


def wait_status(api: Api, task_id: int, statuses: tuple[str, ...], timeout: float = 15.0, project: int = 1) -> dict:
    """Poll a task until it reaches one of ``statuses``."""
    deadline = time.monotonic() + timeout
    data: dict[str, Any] = {}
    while time.monotonic() < deadline:
        data = api.get(f"/api/project/{project}/tasks/{task_id}").json()
        if data["status"] in statuses:
            return data
        time.sleep(0.05)
    raise AssertionError(f"task {task_id} stuck in {data.get('status')}, wanted {statuses}")


def launch(api: Api, body: dict[str, Any], project: int = 1) -> dict[str, Any]:
    """POST a task and expect 201."""
    response = api.post(f"/api/project/{project}/tasks", json=body)
    assert response.status_code == 201, (response.status_code, response.text)
    return response.json()


def fast(sim: Sim, *template_ids: int, duration: float = 0.3, lines: int = 12) -> None:
    """Shorten template runs."""
    for template_id in template_ids:
        sim.template(template_id, duration=duration, output_lines=lines)


# ---- conventions (§1) ------------------------------------------------------------------------
def test_ping_routing_and_content_types(sim: Sim, spec: Spec) -> None:
    api = Api(sim, spec)
    pong = api.get("/api/ping")
    assert pong.status_code == 200 and pong.text == "pong"
    assert pong.headers["Content-Type"].startswith("text/plain")
    missing = api.get("/api/nothing/here", validate=False)
    assert (missing.status_code, missing.text) == (404, "Not Found\n")
    # Outside /api the server answers with its web UI, whatever the method (seen on a real 2.10.32).
    page = requests.post(sim.url + "/no/such/path/api/auth/login", json={}, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html") and "semaphore" not in page.cookies
    wrong = api.get("/api/auth/logout", validate=False)
    assert wrong.status_code == 405 and wrong.content == b""
    assert api.get("/api/user", validate=False).status_code == 401
    admin = token_api(sim, spec)
    for path in ("/api/user", "/api/user/", "/api/project/1/", "/api/projects/"):
        response = admin.get(path)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    bad = admin.post("/api/project/1/tasks", data="{not json")
    assert bad.status_code == 400 and bad.content == b"" and bad.headers["Content-Type"] == "application/json"
    assert admin.get("/api/project/abc", validate=False).json() == {"error": "Invalid project ID"}
    assert admin.get("/api/project/1/tasks/xyz", validate=False).status_code == 400
    html = admin.get("/api/project/1/templates/xyz", validate=False, headers={"Accept": "text/html"},
                     allow_redirects=False)
    assert html.status_code == 302 and html.headers["Location"] == "/404"


def test_info_and_login_metadata(sim: Sim, spec: Spec) -> None:
    api = token_api(sim, spec)
    data = api.get("/api/info").json()
    assert data["version"].startswith(sim.profile + ".")
    assert re.match(r"^\d+\.\d+\.\d+-[0-9a-f]{7}-\d+$", data["version"])
    assert {"version", "ansible", "web_host", "use_remote_runner"} <= set(data)
    assert ("auth_methods" in data) == since(sim.profile, "2.12")
    assert ("git_client" in data and "schedule_timezone" in data) == since(sim.profile, "2.14")
    assert ("features" in data) == (sim.profile == "2.18")
    meta = Api(sim, spec).get("/api/auth/login").json()
    assert meta["login_with_password"] is True
    assert ("auth_methods" in meta) == since(sim.profile, "2.12")


# ---- authentication (§2, §3) -----------------------------------------------------------------
def test_login_variants(sim: Sim, spec: Spec) -> None:
    api = Api(sim, spec)
    for auth in ("admin", "ADMIN@EXAMPLE.COM", "Admin"):
        assert api.post("/api/auth/login", json={"auth": auth, "password": PASSWORDS["admin"]}).status_code == 204
    bad = api.post("/api/auth/login", json={"auth": "admin", "password": "nope"})
    assert bad.status_code == 401 and bad.content == b""
    assert api.post("/api/auth/login", data="x").status_code == 400
    special = login(sim, spec, "special")
    assert special.get("/api/user").json()["username"] == "special"
    cookie = special.http.cookies.get("semaphore")
    assert cookie
    user = login(sim, spec, "member").get("/api/user").json()
    assert user["admin"] is False and ("has_active_subscription" in user) == since(sim.profile, "2.16")


def test_bearer_parsing_and_precedence(sim: Sim, spec: Spec) -> None:
    cookie_api = login(sim, spec)
    token = cookie_api.post("/api/user/tokens").json()["id"]
    assert len(token) == 44 and token.endswith("=") and token == token.lower()
    raw = Api(sim, spec)
    for header in (f"Bearer {token}", f"BEARER {token}", f"bearer {token.upper()}"):
        assert raw.get("/api/user", headers={"Authorization": header}).status_code == 200, header
    # no trimming: the rest after the first "bearer " is the token, extra characters break it
    for header in (f"Bearer  {token}", f"xbearer {token}", f"Bearer {token}x"):
        assert raw.get("/api/user", headers={"Authorization": header}).status_code == 401, header
    # a bearer header overrides a valid cookie; Basic falls through to it
    assert cookie_api.get("/api/user", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert cookie_api.get("/api/user", headers={"Authorization": "Basic YWRtaW46eA=="}).status_code == 200


def test_totp(sim: Sim, spec: Spec) -> None:
    api = Api(sim, spec)
    assert api.post("/api/auth/login", json={"auth": "totpuser", "password": PASSWORDS["totpuser"]}).status_code == 204
    if not since(sim.profile, "2.12"):
        assert api.get("/api/user").status_code == 200
        assert api.post("/api/auth/verify", json={"passcode": "1"}, validate=False).status_code == 404
        return
    blocked = api.get("/api/user", validate=False)
    assert blocked.status_code == 401 and blocked.json() == {"error": "TOTP_REQUIRED"}
    wrong = api.post("/api/auth/verify", json={"passcode": "000000x"}, validate=False)
    assert wrong.status_code == 401 and wrong.json() == {"error": "INVALID_PASSCODE"}
    code = sim.control("GET", "/_sim/totp?user=totpuser")["code"]
    ok = api.post("/api/auth/verify", json={"passcode": code}, validate=False)
    assert ok.status_code == 200 and ok.content == b""
    assert api.get("/api/user").json()["totp"]["url"].startswith("otpauth://")
    assert api.post("/api/auth/verify", json={"passcode": code}, validate=False).status_code == 204


def test_logout(sim: Sim, spec: Spec) -> None:
    api = login(sim, spec)
    cookie = api.http.cookies.get("semaphore")
    response = api.post("/api/auth/logout")
    assert response.status_code == 204 and "semaphore=" in response.headers["Set-Cookie"]
    reused = Api(sim, spec).get("/api/user", cookies={"semaphore": cookie}, validate=False)
    assert reused.status_code == (401 if since(sim.profile, "2.14") else 200)
    assert Api(sim, spec).post("/api/auth/logout").status_code == 204


# ---- tokens (§5) -----------------------------------------------------------------------------
def test_tokens_per_profile(sim: Sim, spec: Spec) -> None:
    api = login(sim, spec)
    first = api.post("/api/user/tokens").json()["id"]
    time.sleep(1.05)
    second = api.post("/api/user/tokens").json()["id"]
    listed = api.get("/api/user/tokens").json()
    bearer = Api(sim, spec, token=first)
    assert bearer.get("/api/user").status_code == 200
    if not since(sim.profile, "2.14"):
        assert {t["id"] for t in listed} == {first, second}
        assert api.delete("/api/user/tokens/doesnotexist").status_code == 204
        assert api.delete(f"/api/user/tokens/{first[:8]}").status_code == 204  # prefix does not match before 2.14
        assert bearer.get("/api/user").status_code == 200
        assert api.delete(f"/api/user/tokens/{first}").status_code == 204
        assert bearer.get("/api/user", validate=False).status_code == 401
        again = {t["id"]: t for t in api.get("/api/user/tokens").json()}
        assert again[first]["expired"] is True and again[second]["expired"] is False
        return
    assert [t["id"] for t in listed] == [second[:8], first[:8]]
    assert api.delete("/api/user/tokens/short").status_code == 400
    assert api.delete("/api/user/tokens/zzzzzzzzzz").status_code == 204
    assert bearer.delete(f"/api/user/tokens/{first[:8]}").status_code == 204  # a token can revoke itself
    assert bearer.get("/api/user", validate=False).status_code == 401
    assert [t["id"] for t in api.get("/api/user/tokens").json()] == [second[:8]]
    if sim.profile == "2.18":
        named = api.post("/api/user/tokens", json={"name": "ci", "expires_at": "2099-01-01T00:00:00Z"}).json()
        assert named["name"] == "ci" and named["expires_at"].startswith("2099")
        assert api.post("/api/user/tokens", json={"expires_at": "2001-01-01T00:00:00Z"}).status_code == 400
        assert api.post("/api/user/tokens", data="{bad", headers={"Content-Type": "application/json"}).status_code == 400
        soon = (time.time() + 1.2)
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(soon)) + f".{int(soon % 1 * 1e6):06d}Z"
        short = api.post("/api/user/tokens", json={"expires_at": stamp}).json()["id"]
        assert Api(sim, spec, token=short).get("/api/user").status_code == 200
        time.sleep(1.5)
        assert Api(sim, spec, token=short).get("/api/user", validate=False).status_code == 401


# ---- projects and templates (§6) -------------------------------------------------------------
def test_projects_and_templates(sim: Sim, spec: Spec) -> None:
    admin = token_api(sim, spec)
    member = token_api(sim, spec, "member")
    assert [p["name"] for p in admin.get("/api/projects").json()] == ["Demo", "Other"]
    assert [p["name"] for p in member.get("/api/projects").json()] == ["Demo"]
    assert member.get("/api/project/2", validate=False).status_code == 404
    assert member.get("/api/project/99", validate=False).status_code == 404
    project = admin.get("/api/project/1").json()
    assert ("max_parallel_tasks" in project) == (not since(sim.profile, "2.13"))
    names = [t["name"] for t in admin.get("/api/project/1/templates").json()]
    assert names == sorted(names)
    desc = [t["name"] for t in admin.get("/api/project/1/templates?sort=playbook&order=desc").json()]
    playbooks = [t["playbook"] for t in admin.get("/api/project/1/templates?sort=playbook&order=desc").json()]
    assert playbooks == sorted(playbooks, reverse=True) and len(desc) == 13
    bad = admin.get("/api/project/1/templates?sort=ssh_key&order=asc")
    assert bad.status_code == 400 and bad.json() == {"error": "invalid sort column"}
    one = admin.get("/api/project/1/templates/1").json()
    assert one["name"] == "Deploy app"
    assert ("permissions" in one) == (sim.profile == "2.18")
    assert ("task_params" in one) == since(sim.profile, "2.11")
    assert admin.get("/api/project/1/templates/13", validate=False).status_code == 404
    assert admin.get("/api/project/1/templates/999", validate=False).status_code == 404


# ---- tasks (§6.1 - §6.7) ---------------------------------------------------------------------
def test_task_lifecycle_and_shapes(sim: Sim, spec: Spec) -> None:
    fast(sim, 1)
    api = token_api(sim, spec)
    created = launch(api, {"template_id": 1, "message": "hello"})
    assert created["status"] == "waiting" and created["secret"] == "{}"
    assert re.match(r".*T\d\d:\d\d:\d\d\.\d{7,9}Z$", created["created"]) or created["created"].endswith("Z")
    done = wait_status(api, created["id"], ("success",))
    assert done["start"] and done["limit"] == ""  # ``end`` follows a moment later (test_real_behaviours)
    if not since(sim.profile, "2.14"):
        assert done["debug"] is False and done["arguments"] is None
        assert ("params" in done) == since(sim.profile, "2.11")
    else:
        assert "debug" not in done and "arguments" not in done
    time.sleep(0.6)
    lines = api.get(f"/api/project/1/tasks/{created['id']}/output").json()
    texts = [line["output"] for line in lines]
    assert texts[0] == f"Task {created['id']} added to queue"
    assert any(re.match(r"^web1 : ok=\d+ changed=\d+ unreachable=0 failed=0", t) for t in texts)
    assert any("\x1b[" in t for t in texts)
    first = lines[0]
    if not since(sim.profile, "2.12"):
        assert set(first) == {"task_id", "task", "time", "output"}
    elif not since(sim.profile, "2.16"):
        assert set(first) == {"task_id", "time", "output"}
    elif sim.profile == "2.16":
        assert set(first) == {"id", "task_id", "time", "output"} and first["id"] == 0
    else:
        assert first["stage_id"] is None
    raw = api.get(f"/api/project/1/tasks/{created['id']}/raw_output", validate=False)
    if not since(sim.profile, "2.14"):
        assert raw.status_code == 404
    else:
        assert raw.headers["Content-Type"].startswith("text/plain") and "\x1b" not in raw.text
        assert raw.text.endswith("\n")
    listed = api.get("/api/project/1/tasks").json()
    assert listed[0]["tpl_alias"] == "Deploy app" and listed[0]["user_name"] == "Administrator"
    assert api.get("/api/project/1/templates/1/tasks").json()[0]["id"] == created["id"]
    assert api.get("/api/project/1/templates/1/tasks/last?limit=1").json()[0]["id"] == created["id"]
    assert api.get("/api/project/1/templates/999/tasks", validate=False).status_code == 404
    template = api.get("/api/project/1/templates/1").json()
    assert template["last_task"]["id"] == created["id"] and template["tasks"] == 1


def test_task_errors(sim: Sim, spec: Spec) -> None:
    fast(sim, 1)
    admin = token_api(sim, spec)
    member = token_api(sim, spec, "member")
    guest = token_api(sim, spec, "guest")
    unknown = admin.get("/api/project/1/tasks/9999")
    assert unknown.status_code == 400 and unknown.content == b""
    assert admin.get("/api/project/1/tasks/9999/output").status_code == 400
    assert guest.post("/api/project/1/tasks", json={"template_id": 1}).status_code == 403
    assert member.post("/api/project/2/tasks", json={"template_id": 13}).status_code == 404
    missing = admin.post("/api/project/1/tasks", json={"template_id": 13}, validate=False)
    assert missing.status_code == (404 if since(sim.profile, "2.11") else 500)
    task = launch(member, {"template_id": 1})
    assert admin.delete(f"/api/project/1/tasks/{task['id']}").status_code == 400  # still active
    nobody = admin.post(f"/api/project/1/tasks/{task['id']}/stop")
    assert nobody.status_code == 400 and nobody.content == b""
    wait_status(admin, task["id"], ("success",))
    assert member.delete(f"/api/project/1/tasks/{task['id']}").status_code == 403  # task_runner lacks manage
    owner = token_api(sim, spec, "special")
    assert owner.delete(f"/api/project/1/tasks/{task['id']}").status_code == 401  # owner but not admin
    assert admin.delete(f"/api/project/1/tasks/{task['id']}").status_code == 204
    assert admin.get(f"/api/project/1/tasks/{task['id']}").status_code == 400
    other = launch(admin, {"template_id": 13}, project=2)
    assert admin.get(f"/api/project/1/tasks/{other['id']}").status_code == 400


def test_params_honouring(sim: Sim, spec: Spec) -> None:
    for template_id in (1, 4):
        sim.template(template_id, duration=5)
    api = token_api(sim, spec)
    body = {"debug": True, "dry_run": True, "diff": True, "limit": "web1, web2",
            "params": {"debug": True, "diff": True, "limit": ["web2"], "tags": ["a"], "skip_tags": ["b"]}}
    allowed = launch(api, dict(body, template_id=1))
    locked = launch(api, dict(body, template_id=4))
    state = {t["id"]: t for t in sim.state()["tasks"]}
    if not since(sim.profile, "2.11"):
        assert "params" not in allowed and allowed["limit"] == "web1, web2"
        got = api.get(f"/api/project/1/tasks/{locked['id']}").json()
        assert (got["debug"], got["dry_run"], got["diff"], got["limit"]) == (True, True, True, "web1, web2")
        assert state[locked["id"]]["effective"]["params"] == {"debug": True, "dry_run": True, "diff": True}
        return
    if not since(sim.profile, "2.14"):
        # v2.11-v2.13: both forms count, the top-level flags are copied into params, and only debug
        # needs the template's flag (v2.13)
        sent = dict(body["params"], dry_run=True)
        assert allowed["params"] == sent and locked["params"] == {k: v for k, v in sent.items() if k != "debug"}
        assert api.get(f"/api/project/1/tasks/{allowed['id']}").json()["limit"] == "web1, web2"
        assert state[allowed["id"]]["effective"]["hosts"] == ["web2"]
        return
    assert allowed["params"] == {"debug": True, "diff": True, "limit": ["web2"], "tags": ["a"], "skip_tags": ["b"]}
    assert locked["params"] == {"diff": True}
    assert allowed["limit"] == "web1, web2"  # the POST echoes the deprecated string
    assert api.get(f"/api/project/1/tasks/{allowed['id']}").json()["limit"] == ""
    converted = launch(api, {"template_id": 1, "limit": "web1, web2"})
    assert converted["params"] == {"limit": ["web1", "web2"]}
    assert launch(api, {"template_id": 4, "debug": True}).get("params") is None
    mismatch = api.post("/api/project/1/tasks", json={"template_id": 1, "params": {"limit": "web1"}}, validate=False)
    assert mismatch.status_code == 500 and mismatch.content == b""
    count = len(sim.state()["tasks"])
    bad_env = api.post("/api/project/1/tasks", json={"template_id": 1, "environment": "{nope"}, validate=False)
    assert bad_env.status_code == 500
    tasks = sim.state()["tasks"]
    assert len(tasks) == count + 1 and tasks[-1]["status"] == "error"
    if sim.profile == "2.18":
        by_name = launch(api, {"template_name": "Locked job"})
        assert by_name["template_id"] == 4 and "template_name" not in by_name
        assert launch(api, {"template_name": "Duplicate"})["template_id"] == 8
        neither = api.post("/api/project/1/tasks", json={"message": "x"}, validate=False)
        assert neither.status_code == 400
        assert neither.json() == {"error": "template_id or template_name is required"}
        assert api.post("/api/project/1/tasks", json={"template_name": "Nope"}, validate=False).status_code == 404


def test_queue_one_per_template_and_parallel(sim: Sim, spec: Spec) -> None:
    sim.template(4, duration=0.8, output_lines=10)
    sim.template(5, duration=0.8, output_lines=10)
    api = token_api(sim, spec)
    first = launch(api, {"template_id": 4})
    second = launch(api, {"template_id": 4})
    wait_status(api, first["id"], ("running",))
    assert api.get(f"/api/project/1/tasks/{second['id']}").json()["status"] == "waiting"
    wait_status(api, first["id"], ("success",))
    wait_status(api, second["id"], ("success",))
    a_task = launch(api, {"template_id": 5})
    b_task = launch(api, {"template_id": 5})
    wait_status(api, a_task["id"], ("running",))
    expected = ("running", "starting") if since(sim.profile, "2.16") else ("waiting",)
    assert api.get(f"/api/project/1/tasks/{b_task['id']}").json()["status"] in expected
    wait_status(api, b_task["id"], ("success",))
    sim.control("POST", "/_sim/config", json={"max_parallel_tasks": 1})
    c_task = launch(api, {"template_id": 4})
    d_task = launch(api, {"template_id": 5})
    wait_status(api, c_task["id"], ("running",))
    assert api.get(f"/api/project/1/tasks/{d_task['id']}").json()["status"] == "waiting"
    wait_status(api, d_task["id"], ("success",))


def test_stop_and_trap(sim: Sim, spec: Spec) -> None:
    sim.template(3, duration=20, output_lines=40)
    fast(sim, 2)
    api = token_api(sim, spec)
    slow = launch(api, {"template_id": 3})
    wait_status(api, slow["id"], ("running",))
    assert api.post(f"/api/project/1/tasks/{slow['id']}/stop", json={}).status_code == 204
    assert api.get(f"/api/project/1/tasks/{slow['id']}").json()["status"] in ("stopping", "stopped")
    # recorded 2.10.32: the killed process makes the run fail (kept by the 2.13 profile: nothing dates the change)
    wait_status(api, slow["id"], ("stopped",) if since(sim.profile, "2.16") else ("error",))
    forced = launch(api, {"template_id": 3})
    queued = launch(api, {"template_id": 3})
    wait_status(api, forced["id"], ("running",))
    assert api.post(f"/api/project/1/tasks/{queued['id']}/stop", json={"force": True}).status_code == 204
    assert api.get(f"/api/project/1/tasks/{queued['id']}").json()["status"] == "stopped"
    assert api.post(f"/api/project/1/tasks/{forced['id']}/stop", json={"force": True}).status_code == 204
    assert api.get(f"/api/project/1/tasks/{forced['id']}").json()["status"] == "stopped"
    failing = launch(api, {"template_id": 2})
    wait_status(api, failing["id"], ("error",))
    time.sleep(0.6)
    texts = [line["output"] for line in api.get(f"/api/project/1/tasks/{failing['id']}/output").json()]
    assert any(re.match(r"^web1 : .*failed=1", t) for t in texts)
    # §6.6: stopping a finished task overwrites its status
    assert api.post(f"/api/project/1/tasks/{failing['id']}/stop", json={"force": False}).status_code == 204
    assert api.get(f"/api/project/1/tasks/{failing['id']}").json()["status"] == "stopped"


def test_confirm_and_reject(sim: Sim, spec: Spec) -> None:
    sim.template(6, duration=0.4, output_lines=16)
    api = token_api(sim, spec)
    task = launch(api, {"template_id": 6})
    assert api.post(f"/api/project/1/tasks/{task['id']}/confirm", validate=False).status_code in (204, 400)
    wait_status(api, task["id"], ("waiting_confirmation",))
    assert api.post(f"/api/project/1/tasks/{task['id']}/confirm", validate=False).status_code == 204
    wait_status(api, task["id"], ("success",))
    assert api.post(f"/api/project/1/tasks/{task['id']}/confirm", validate=False).status_code == 400
    second = launch(api, {"template_id": 6})
    wait_status(api, second["id"], ("waiting_confirmation",))
    reject = api.post(f"/api/project/1/tasks/{second['id']}/reject", validate=False)
    if not since(sim.profile, "2.11"):
        assert reject.status_code == 404
        api.post(f"/api/project/1/tasks/{second['id']}/stop", json={})
        wait_status(api, second["id"], ("stopped",))
        return
    assert reject.status_code == 204
    wait_status(api, second["id"], ("error",))


def test_tasks_last_paging(sim: Sim, spec: Spec) -> None:
    fast(sim, 8, 9, duration=0.05, lines=5)
    api = token_api(sim, spec)
    ids = [launch(api, {"template_id": 8 + i % 2})["id"] for i in range(5)]
    assert [t["id"] for t in api.get("/api/project/1/tasks/last?limit=2").json()] == ids[::-1][:2]
    assert len(api.get("/api/project/1/tasks/last?limit=0").json()) == 5
    if sim.profile == "2.18":
        page = api.get(f"/api/project/1/tasks/last?count=2&before={ids[3]}")
        assert [t["id"] for t in page.json()] == [ids[2], ids[1]] and page.headers["X-Has-Next"] == "true"
        end = api.get(f"/api/project/1/tasks/last?count=2&before={ids[1]}")
        assert end.headers["X-Has-Next"] == "false"
    for task_id in ids:
        wait_status(api, task_id, ("success",))


# ---- websocket (§9) --------------------------------------------------------------------------
def test_websocket(sim: Sim, spec: Spec) -> None:
    fast(sim, 1)
    api = token_api(sim, spec)
    member = token_api(sim, spec, "member")
    ws_url = sim.url.replace("http", "ws", 1) + "/api/ws"
    with pytest.raises(websocket.WebSocketBadStatusException) as denied:
        websocket.create_connection(ws_url, timeout=5)
    assert denied.value.status_code == 401
    admin_ws = websocket.create_connection(ws_url, timeout=5, header=[f"Authorization: Bearer {api.token}"])
    member_ws = websocket.create_connection(ws_url, timeout=5, header=[f"Authorization: Bearer {member.token}"])
    try:
        task = launch(api, {"template_id": 1})
        wait_status(api, task["id"], ("success",))
        for sock in (admin_ws, member_ws):
            events: list[dict[str, Any]] = []
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                event = json.loads(sock.recv())
                events.append(event)
                if event["type"] == "update" and event["status"] == "success":
                    break
            statuses = [e["status"] for e in events if e["type"] == "update"]
            assert statuses[0] == "waiting" and statuses[-3:] == ["starting", "running", "success"]
            log = [e for e in events if e["type"] == "log"]
            assert log and set(log[0]) == {"type", "output", "time", "task_id", "project_id"}
            first_update = next(e for e in events if e["type"] == "update")
            assert set(first_update) == {"type", "start", "end", "status", "task_id", "template_id", "project_id", "version"}
    finally:
        admin_ws.close()
        member_ws.close()
    sim.control("POST", "/_sim/config", json={"websocket": False})
    with pytest.raises(websocket.WebSocketBadStatusException) as off:
        websocket.create_connection(ws_url, timeout=5, header=[f"Authorization: Bearer {api.token}"])
    assert off.value.status_code == 404


# ---- control API: faults and request log -----------------------------------------------------
def test_faults(sim: Sim, spec: Spec) -> None:
    if sim.profile != "2.16":
        pytest.skip("fault injection is profile-independent; run once")
    fast(sim, 1)
    api = token_api(sim, spec)
    sim.control("POST", "/_sim/faults", json={"path": "/api/user", "kind": "status", "status": 503,
                                              "retry_after": "2", "times": 1})
    first = api.get("/api/user", validate=False)
    assert first.status_code == 503 and first.headers["Retry-After"] == "2"
    assert api.get("/api/user").status_code == 200
    sim.control("POST", "/_sim/faults", json={"path_regex": r"/api/project/\d+", "kind": "html", "status": 502})
    page = api.get("/api/project/1", validate=False)
    assert page.status_code == 502 and page.headers["Content-Type"].startswith("text/html")
    sim.control("POST", "/_sim/faults", json={"method": "GET", "path": "/api/projects", "kind": "drop"})
    with pytest.raises(requests.ConnectionError):
        api.get("/api/projects", validate=False)
    sim.control("POST", "/_sim/faults", json={"path": "/api/projects", "kind": "truncate"})
    cut = api.get("/api/projects", validate=False)
    with pytest.raises(ValueError):
        json.loads(cut.text)
    sim.control("POST", "/_sim/faults", json={"method": "POST", "path": "/api/project/1/tasks", "kind": "status",
                                              "status": 502, "after_processing": True})
    before = len(sim.state()["tasks"])
    assert api.post("/api/project/1/tasks", json={"template_id": 1}, validate=False).status_code == 502
    assert len(sim.state()["tasks"]) == before + 1  # performed, then the answer was replaced
    sim.control("POST", "/_sim/faults", json={"path": "/api/ping", "kind": "delay", "delay": 0.5})
    start = time.monotonic()
    assert api.get("/api/ping").text == "pong"
    assert time.monotonic() - start >= 0.5
    log = sim.control("GET", "/_sim/log")["entries"]
    assert [e["fault"] for e in log if e["fault"]][:3] == ["status", "html", "drop"]
    sim.control("DELETE", "/_sim/faults")


def test_request_log_redaction_and_secrets(sim: Sim, spec: Spec) -> None:
    api = login(sim, spec)
    token = api.post("/api/user/tokens").json()["id"]
    bearer = Api(sim, spec, token=token)
    bearer.get("/api/user")
    sim.control("GET", "/_sim/state")
    bearer.delete(f"/api/user/tokens/{token}")
    entries = sim.control("GET", "/_sim/log")["entries"]
    assert not any(e["path"].startswith("/_sim") for e in entries)
    user_entry = [e for e in entries if e["path"] == "/api/user"][-1]
    assert (user_entry["auth"], user_entry["user"], user_entry["token_prefix"]) == ("bearer", "admin", token[:8])
    delete_entry = [e for e in entries if e["method"] == "DELETE"][-1]
    assert delete_entry["path"] == f"/api/user/tokens/{token[:8]}..."
    assert [e for e in entries if e["path"] == "/api/auth/login"][-1]["auth"] == "none"
    sim.control("DELETE", "/_sim/log")
    assert sim.control("GET", "/_sim/log")["entries"] == []
    time.sleep(0.2)
    text = sim.log_file.read_text(encoding="utf-8")
    assert token not in text and PASSWORDS["admin"] not in text
    cookie = api.http.cookies.get("semaphore")
    assert cookie and cookie not in text


def test_big_output(sim: Sim, spec: Spec) -> None:
    if sim.profile != "2.16":
        pytest.skip("output volume is profile-independent; run once")
    sim.template(7, duration=1.5)
    api = token_api(sim, spec)
    task = launch(api, {"template_id": 7})
    wait_status(api, task["id"], ("success",), timeout=30)
    time.sleep(0.6)
    lines = api.get(f"/api/project/1/tasks/{task['id']}/output", validate=False).json()
    assert len(lines) >= 100000


# ---- TLS -------------------------------------------------------------------------------------
def test_tls(sim_tmp: Path) -> None:
    tls_dir = sim_tmp / "tls"
    server = Sim("2.16", sim_tmp, ("--tls", "--tls-dir", str(tls_dir)))
    try:
        assert server.url.startswith("https://127.0.0.1:")
        ca = str(tls_dir / "ca.pem")
        assert requests.get(server.url + "/api/ping", verify=ca, timeout=5).text == "pong"
        localhost = server.url.replace("127.0.0.1", "localhost")
        assert requests.get(localhost + "/api/ping", verify=ca, timeout=5).text == "pong"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(server.url + "/api/ping", timeout=5)
        context = ssl.create_default_context(cafile=ca)
        assert context.cert_store_stats()["x509_ca"] == 1
    finally:
        server.stop()


def test_stop_signal_is_clean(sim_tmp: Path) -> None:
    server = Sim("2.18", sim_tmp)
    waiter = threading.Thread(target=server.stop)
    waiter.start()
    waiter.join(10)
    assert server.proc.returncode == 0
