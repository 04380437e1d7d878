"""Behaviours found in Semaphore's source and on a real 2.10.32 server (docs/real-server-findings.md),
beyond docs/server-behaviour.md.

Each test names the finding section it covers. Start options are tested on extra simulator processes.
"""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import PASSWORDS, Client, Sim
from simversions import since

BOLT_FIRST = 2147483646


def _extra_sim(sim_tmp: Path, profile: str, *options: str) -> Iterator[Sim]:
    instance = Sim(profile, sim_tmp, options)
    yield instance
    instance.stop()


@pytest.fixture(scope="module")
def bolt_https(sim_tmp: Path) -> Iterator[Sim]:
    """2.18 on BoltDB numbering behind an https:// web_host."""
    yield from _extra_sim(sim_tmp, "2.18", "--task-ids", "descending", "--web-host", "https://semaphore.example.com")


@pytest.fixture(scope="module")
def mysql_210(sim_tmp: Path) -> Iterator[Sim]:
    """2.10 on MySQL."""
    yield from _extra_sim(sim_tmp, "2.10", "--backend", "mysql", "--order-seed", "7")


@pytest.fixture(scope="module")
def mysql_216(sim_tmp: Path) -> Iterator[Sim]:
    """2.16 on MySQL (has the id tie-break)."""
    yield from _extra_sim(sim_tmp, "2.16", "--backend", "mysql")


# ---- 1. BoltDB task ids ----------------------------------------------------------------------
def test_descending_task_ids(bolt_https: Sim) -> None:
    bolt_https.control("POST", "/_sim/reset")
    for template_id in (8, 9):
        bolt_https.template(template_id, duration=0.05, output_lines=5)
    api = Client(bolt_https)
    ids = [api.launch({"template_id": 8 + i % 2})["id"] for i in range(3)]
    assert ids == [BOLT_FIRST, BOLT_FIRST - 1, BOLT_FIRST - 2]
    assert [t["id"] for t in api.get("/api/project/1/tasks/last?limit=3").json()] == ids[::-1]
    assert [t["id"] for t in api.get("/api/project/1/tasks").json()][:3] == ids[::-1]
    page = api.get(f"/api/project/1/tasks/last?count=5&before={ids[1]}")
    assert [t["id"] for t in page.json()] == [ids[0]] and page.headers["X-Has-Next"] == "false"
    assert api.texts(ids[0])[0] == f"Task {BOLT_FIRST} added to queue"
    config = bolt_https.control("POST", "/_sim/config", json={})
    assert (config["task_ids"], config["backend"]) == ("descending", "postgres")
    assert [t["id"] for t in bolt_https.state()["tasks"]] == ids
    with pytest.raises(requests.HTTPError):
        bolt_https.control("POST", "/_sim/config", json={"task_ids": "ascending"})
    for task_id in ids:
        api.wait_end(task_id)
    assert api.get("/api/project/1/templates/8").json()["last_task"]["id"] == ids[2]
    bolt_https.control("POST", "/_sim/reset")
    assert Client(bolt_https).launch({"template_id": 8})["id"] == BOLT_FIRST  # numbering restarts with the seed


# ---- 2. end of a task ------------------------------------------------------------------------
def test_end_of_task_window(sim: Sim) -> None:
    config = sim.state()["config"]
    assert (config["final_status_delay"], config["end_delay"]) == (0.2, 0.2)
    sim.control("POST", "/_sim/config", json={"final_status_delay": 0.6, "end_delay": 0.6})
    sim.template(4, duration=0.3, output_lines=10)
    api = Client(sim)
    sock = api.websocket()
    try:
        task = api.launch({"template_id": 4})
        finals: list[dict[str, Any]] = []
        seen_after_first: dict[str, Any] = {}
        deadline = time.monotonic() + 10
        while len(finals) < 2 and time.monotonic() < deadline:
            event = json.loads(sock.recv())
            if event["type"] == "update" and event["task_id"] == task["id"] and event["status"] == "success":
                finals.append(event)
                if len(finals) == 1:
                    seen_after_first = api.task(task["id"])  # pushed before the status is saved
    finally:
        sock.close()
    assert len(finals) == 2
    assert finals[0]["end"] is None and finals[1]["end"] and finals[1]["start"]
    assert seen_after_first["status"] == "running"
    done = api.task(task["id"])
    assert done["status"] == "success" and done.get("end")


def test_end_is_saved_after_the_status(sim: Sim) -> None:
    sim.control("POST", "/_sim/config", json={"end_delay": 0.8})
    sim.template(4, duration=0.3, output_lines=10)
    api = Client(sim)
    task = api.launch({"template_id": 4})
    saved = api.wait(task["id"], ("success",))
    assert saved.get("end") is None  # final status with end null
    assert api.wait_end(task["id"])["status"] == "success"
    state = {t["id"]: t for t in sim.state()["tasks"]}[task["id"]]
    assert state["finished"] and state["end"]


def test_210_lines_land_after_the_final_status(sim: Sim) -> None:
    if sim.profile != "2.10":
        pytest.skip("v2.10 writes lines one by one with a lag; newer versions batch them")
    assert sim.state()["config"]["output_delay"] == 0.3
    sim.control("POST", "/_sim/config", json={"final_status_delay": 0.05, "end_delay": 0.05, "output_delay": 0.8})
    sim.template(4, duration=0.3, output_lines=20)
    api = Client(sim)
    task = api.launch({"template_id": 4})
    api.wait(task["id"], ("success",))
    early = api.texts(task["id"])
    assert not any(t.startswith("staging1 : ok=") for t in early)  # the recap is not stored yet
    time.sleep(1.0)
    late = api.texts(task["id"])
    assert any(t.startswith("staging1 : ok=") for t in late) and late[:len(early)] == early


# ---- 3. MySQL output order -------------------------------------------------------------------
def _run_logged(sim: Sim) -> tuple[Client, int, list[tuple[str, str]]]:
    """Run template 1; its output as pushed on the websocket (insertion order): (second, text)."""
    sim.control("POST", "/_sim/reset")
    sim.template(1, duration=1.0, output_lines=40)
    api = Client(sim)
    sock = api.websocket()
    logged: list[tuple[str, str]] = []
    try:
        task = api.launch({"template_id": 1})
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            event = json.loads(sock.recv())
            if event["task_id"] != task["id"]:
                continue
            if event["type"] == "log":
                logged.append((event["time"][:19], event["output"]))
            elif event["end"]:
                break
    finally:
        sock.close()
    time.sleep(0.6)
    return api, task["id"], logged


def test_mysql_210_orders_by_whole_seconds_only(mysql_210: Sim) -> None:
    api, task_id, logged = _run_logged(mysql_210)
    lines = api.get(f"/api/project/1/tasks/{task_id}/output").json()
    times = [line["time"] for line in lines]
    assert all("." not in stamp for stamp in times) and times == sorted(times)
    texts = [line["output"] for line in lines]
    assert sorted(texts) == sorted(text for _second, text in logged) and len(set(times)) >= 2
    for stamp in set(times):  # the lines of one second, in an arbitrary order
        group = [line["output"] for line in lines if line["time"] == stamp]
        in_log = [text for second, text in logged if second == stamp[:19]]
        assert sorted(group) == sorted(in_log)
        assert group != in_log or len(set(group)) < 2
    assert texts != [text for _second, text in logged]
    assert api.texts(task_id) == texts  # deterministic (seeded)


def test_mysql_216_keeps_the_id_tie_break(mysql_216: Sim) -> None:
    api, task_id, logged = _run_logged(mysql_216)
    lines = api.get(f"/api/project/1/tasks/{task_id}/output").json()
    assert all("." not in line["time"] for line in lines)
    assert [line["output"] for line in lines] == [text for _second, text in logged]


# ---- 4. environment merge --------------------------------------------------------------------
def test_environment_merge(sim: Sim) -> None:
    api = Client(sim)
    merged = api.launch({"template_id": 1, "environment": json.dumps({"app_version": "2.0", "extra": "x"})})
    plain = api.launch({"template_id": 14})
    empty_task_env = api.launch({"template_id": 14, "environment": ""})
    effective = {t["id"]: t["effective"]["environment"] for t in sim.state()["tasks"]}
    expected = "2.0" if since(sim.profile, "2.16") else "1.0"  # template keys win until v2.15
    assert effective[merged["id"]] == {"app_version": expected, "extra": "x"}
    assert effective[plain["id"]] == {} and effective[empty_task_env["id"]] == {}
    before = len(sim.state()["tasks"])
    response = api.post("/api/project/1/tasks", {"template_id": 14, "environment": "{\"a\": 1}"})
    tasks = sim.state()["tasks"]
    if sim.profile == "2.18":  # 2026 code accepts an empty template environment
        assert response.status_code == 201
        assert tasks[-1]["effective"]["environment"] == {"a": 1}
        return
    assert response.status_code == 500 and response.content == b""
    assert len(tasks) == before + 1 and tasks[-1]["status"] == "error" and tasks[-1]["finished"]
    assert api.texts(tasks[-1]["id"]) == ["Error: unexpected end of JSON input"]  # never queued
    assert tasks[-1]["id"] not in sim.state()["queue"]


# ---- 5., 6., 7. launch errors, reject, git_branch on 2.10 -------------------------------------
def test_unknown_template_creates_no_task(sim: Sim) -> None:
    api = Client(sim)
    before = len(sim.state()["tasks"])
    for template_id in (13, 999):
        response = api.post("/api/project/1/tasks", {"template_id": template_id})
        assert response.status_code == (404 if since(sim.profile, "2.11") else 500) and response.content == b""
    assert len(sim.state()["tasks"]) == before


def test_210_reject_route_missing_and_git_branch(sim: Sim) -> None:
    if since(sim.profile, "2.11"):
        pytest.skip("reject exists from 2.11")
    sim.template(1, duration=0.2, output_lines=10)
    api = Client(sim)
    task = api.launch({"template_id": 1, "git_branch": "feature/x"})
    assert task["git_branch"] == "feature/x"
    reject = api.post(f"/api/project/1/tasks/{task['id']}/reject")
    assert (reject.status_code, reject.text) == (404, "Not Found\n")
    assert api.task(task["id"])["git_branch"] == "feature/x"
    assert "git_branch" in api.get("/api/project/1/templates/1").json()
    state = {t["id"]: t for t in sim.state()["tasks"]}[task["id"]]
    assert state["effective"]["git_branch"] == "feature/x"
    api.wait_end(task["id"])


# ---- 8. Secure cookie ------------------------------------------------------------------------
def test_secure_cookie_with_https_web_host(bolt_https: Sim, sim: Sim) -> None:
    session = requests.Session()
    login = session.post(bolt_https.url + "/api/auth/login", json={"auth": "admin", "password": PASSWORDS["admin"]},
                         timeout=10)
    assert login.status_code == 204 and "Secure" in login.headers["Set-Cookie"]
    assert session.get(bolt_https.url + "/api/user", timeout=10).status_code == 401  # not sent over http
    assert Client(bolt_https).get("/api/info").json()["web_host"] == "https://semaphore.example.com"
    plain = requests.post(sim.url + "/api/auth/login", json={"auth": "admin", "password": PASSWORDS["admin"]},
                          timeout=10)
    assert plain.status_code == 204 and "Secure" not in plain.headers["Set-Cookie"]


# ---- 9. Terraform auto-approve ---------------------------------------------------------------
def test_terraform_auto_approve(sim: Sim) -> None:
    sim.template(6, duration=0.3, output_lines=12)
    api = Client(sim)
    has_params = since(sim.profile, "2.11")  # 2.10 has no params at all: always waits
    gated = since(sim.profile, "2.16")  # v2.11-v2.15: the task's params.auto_approve alone

    def outcome(body: dict[str, Any]) -> str:
        task = api.launch(dict(body, template_id=6))
        status = api.wait(task["id"], ("success", "waiting_confirmation"))["status"]
        if status == "waiting_confirmation":
            api.post(f"/api/project/1/tasks/{task['id']}/stop", {"force": True})
        api.wait_end(task["id"])
        return str(status)

    alone = "success" if has_params and not gated else "waiting_confirmation"  # 2.16+: ignored without the flag
    assert outcome({"params": {"auto_approve": True}}) == alone
    sim.template(6, task_params={"allow_auto_approve": True})
    assert outcome({"params": {"auto_approve": True}}) == ("success" if has_params else "waiting_confirmation")
    assert outcome({}) == "waiting_confirmation"
    if has_params:
        assert api.get("/api/project/1/templates/6").json()["task_params"]["allow_auto_approve"] is True
    sim.template(6, task_params={"allow_auto_approve": False, "auto_approve": True})
    assert outcome({}) == ("success" if gated else "waiting_confirmation")


# ---- 10., 11. TOTP and login body --------------------------------------------------------------
def test_wrong_totp_code(sim: Sim) -> None:
    if not since(sim.profile, "2.12"):
        pytest.skip("no TOTP before 2.12")
    session = requests.Session()
    assert session.post(sim.url + "/api/auth/login", json={"auth": "totpuser", "password": PASSWORDS["totpuser"]},
                        timeout=10).status_code == 204
    code = sim.control("GET", "/_sim/totp?user=totpuser")["code"]
    wrong = f"{(int(code) + 500000) % 1000000:06d}"
    answer = session.post(sim.url + "/api/auth/verify", json={"passcode": wrong}, timeout=10)
    assert answer.status_code == 401 and answer.json() == {"error": "INVALID_PASSCODE"}


def test_login_method_and_provider(sim: Sim) -> None:
    url = sim.url + "/api/auth/login"

    def status(**extra: Any) -> int:
        body = {"auth": "admin", "password": PASSWORDS["admin"], **extra}
        return requests.post(url, json=body, timeout=10).status_code

    assert status(method="password") == 204
    assert status(method="password", provider="ldap") == 204
    assert status(method="") == 204
    if sim.profile == "2.18":
        assert status(method="ldap") == 401  # no LDAP provider configured
        assert status(method=5) == 400
    else:
        assert status(method="ldap") == 204 and status(method=5, provider=[1]) == 204  # unknown fields
