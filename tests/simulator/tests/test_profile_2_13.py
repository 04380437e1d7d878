"""What the 2.13 profile (the client's middle branches, 2.11 - 2.14) does differently from 2.10 and 2.16.

Each test pins one difference and names the section it comes from.
§n: docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import PASSWORDS, Client, Sim


@pytest.fixture(scope="module")
def sim(sim_tmp: Path) -> Iterator[Sim]:
    """A 2.13 simulator; it replaces conftest's ``sim`` here, so conftest's reset before each test applies."""
    instance = Sim("2.13", sim_tmp)
    yield instance
    instance.stop()


def _effective(sim: Sim, task_id: int) -> dict[str, Any]:
    return {t["id"]: t for t in sim.state()["tasks"]}[task_id]["effective"]  # type: ignore[no-any-return]


def test_shapes(sim: Sim) -> None:
    """§4 info keys of v2.12-v2.13; §6 projects omit empty fields (v2.13), templates do not (v2.14);
    §6.4 output lines without ``task`` (v2.12) and without ``id`` (v2.16); no raw_output (v2.14)."""
    api = Client(sim)
    info = api.get("/api/info").json()
    assert list(info) == ["version", "ansible", "web_host", "use_remote_runner", "premium_features", "auth_methods"]
    assert info["version"].startswith("2.13.")
    project = api.get("/api/project/1").json()
    assert "max_parallel_tasks" not in project and "alert" not in project and project["type"] == ""
    template = api.get("/api/project/1/templates/2").json()
    assert template["task_params"]["allow_debug"] is False and template["runner_tag"] is None
    assert template["description"] is None and "allow_override_branch_in_task" not in template
    assert "allow_parallel_tasks" not in template and "permissions" not in template
    sim.template(1, duration=0.1, output_lines=5)
    task = api.launch({"template_id": 1})
    api.wait_end(task["id"])
    line = api.get(f"/api/project/1/tasks/{task['id']}/output").json()[0]
    assert set(line) == {"task_id", "time", "output"}
    raw = api.get(f"/api/project/1/tasks/{task['id']}/raw_output")
    assert (raw.status_code, raw.text) == (404, "Not Found\n")


def test_login_totp_and_logout(sim: Sim) -> None:
    """§3: HttpOnly cookie and TOTP from v2.12; logout expires the session only from v2.14."""
    meta = requests.get(sim.url + "/api/auth/login", timeout=10).json()
    assert meta["auth_methods"] == {"totp": {"allow_recovery": False}} and "ldap_providers" not in meta
    totp = requests.Session()
    assert totp.post(sim.url + "/api/auth/login", json={"auth": "totpuser", "password": PASSWORDS["totpuser"]},
                     timeout=10).status_code == 204
    assert totp.get(sim.url + "/api/user", timeout=10).json() == {"error": "TOTP_REQUIRED"}
    login = requests.post(sim.url + "/api/auth/login", json={"auth": "admin", "password": PASSWORDS["admin"]},
                          timeout=10)
    assert login.status_code == 204 and "HttpOnly" in login.headers["Set-Cookie"]
    cookie = {"Cookie": f"semaphore={login.cookies['semaphore']}"}
    assert requests.post(sim.url + "/api/auth/logout", headers=cookie, timeout=10).status_code == 204
    assert requests.get(sim.url + "/api/user", headers=cookie, timeout=10).status_code == 200  # still valid


def test_tokens_are_expired_not_deleted(sim: Sim) -> None:
    """§5: v2.8-v2.13 list full secrets and DELETE expires by the full secret (no prefix match)."""
    api = Client(sim)
    victim = requests.post(sim.url + "/api/user/tokens", headers={"Authorization": f"Bearer {api.token}"},
                           timeout=10).json()["id"]
    assert victim in [t["id"] for t in api.get("/api/user/tokens").json()]
    assert api.http.delete(f"{sim.url}/api/user/tokens/{victim[:8]}", timeout=10).status_code == 204
    assert requests.get(sim.url + "/api/user", headers={"Authorization": f"Bearer {victim}"},
                        timeout=10).status_code == 200  # a prefix matches nothing
    assert api.http.delete(f"{sim.url}/api/user/tokens/{victim}", timeout=10).status_code == 204
    listed = {t["id"]: t for t in api.get("/api/user/tokens").json()}
    assert listed[victim]["expired"] is True
    assert requests.get(sim.url + "/api/user", headers={"Authorization": f"Bearer {victim}"},
                        timeout=10).status_code == 401


def test_expired_token_still_valid_on_bolt(sim_tmp: Path) -> None:
    """§2.2 [Bolt]: the lookup ignores ``expired``, which matters up to v2.13."""
    bolt = Sim("2.13", sim_tmp, ("--backend", "bolt"))
    try:
        api = Client(bolt)
        assert api.http.delete(f"{bolt.url}/api/user/tokens/{api.token}", timeout=10).status_code == 204
        assert api.get("/api/user").status_code == 200
    finally:
        bolt.stop()


def test_params_and_top_level_flags(sim: Sim) -> None:
    """§6.1, §10 v2.11-v2.13: ``params`` and the top-level flags and limit are both honoured; §6.1 v2.13:
    debug needs the template's allow_debug; limit/tags are not checked until v2.14."""
    sim.template(2, duration=0.1, output_lines=5)
    api = Client(sim)
    task = api.launch({"template_id": 2, "debug": True, "dry_run": True, "limit": "web2",
                       "params": {"diff": True, "tags": ["a"]}})
    assert (task["debug"], task["dry_run"], task["diff"], task["limit"]) == (True, True, False, "web2")
    assert task["params"] == {"diff": True, "tags": ["a"], "dry_run": True}  # debug: template 2 lacks allow_debug
    assert task["environment"] == "" and task["arguments"] is None  # v2.8-v2.13: every field present
    effective = _effective(sim, task["id"])
    assert effective["params"] == task["params"] and effective["hosts"] == ["web2"]
    listed = api.launch({"template_id": 1, "debug": True, "params": {"limit": ["web1"]}})
    assert listed["params"] == {"limit": ["web1"], "debug": True}
    assert _effective(sim, listed["id"])["hosts"] == ["web1"]
    assert api.task(task["id"])["limit"] == "web2"  # the limit column is read back (v2.14+: always "")
    for task_id in (task["id"], listed["id"]):
        api.wait_end(task_id)


def test_params_type_error_and_unknown_template(sim: Sim) -> None:
    """§6.1: a wrong ``params`` type is a 500 (v2.11+); an unknown template a 404 (v2.11+, 500 before)."""
    api = Client(sim)
    assert api.post("/api/project/1/tasks", {"template_id": 1, "params": {"limit": "web1"}}).status_code == 500
    response = api.post("/api/project/1/tasks", {"template_id": 999})
    assert (response.status_code, response.content) == (404, b"")


def test_environment_template_keys_win(sim: Sim) -> None:
    """findings b: through v2.15 the template's keys win, and an empty template environment fails."""
    api = Client(sim)
    task = api.launch({"template_id": 1, "environment": json.dumps({"app_version": "2.0", "extra": "x"})})
    assert _effective(sim, task["id"])["environment"] == {"app_version": "1.0", "extra": "x"}
    response = api.post("/api/project/1/tasks", {"template_id": 14, "environment": "{\"a\": 1}"})
    assert (response.status_code, response.content) == (500, b"")
    assert api.texts(sim.state()["tasks"][-1]["id"]) == ["Error: unexpected end of JSON input"]


def test_reject_and_auto_approve(sim: Sim) -> None:
    """§6.6, §7: /reject from v2.11 (rejected, then error); findings e: v2.11-v2.15 auto-approve on the
    task's params.auto_approve alone, without the template's allow_auto_approve."""
    sim.template(6, duration=0.3, output_lines=12)
    api = Client(sim)
    task = api.launch({"template_id": 6})
    api.wait(task["id"], ("waiting_confirmation",))
    assert api.post(f"/api/project/1/tasks/{task['id']}/reject").status_code == 204
    assert api.wait(task["id"], ("error",))["status"] == "error"
    approved = api.launch({"template_id": 6, "params": {"auto_approve": True}})
    assert api.wait(approved["id"], ("success", "waiting_confirmation"))["status"] == "success"
