"""§13 projects, access keys, repositories, inventories and environments, per profile.

The ``sim`` fixture runs each test on 2.10, 2.16 and 2.18 (SQL, the default backend); 2.13 and
BoltDB (``--backend bolt``) have simulators of their own below.
§n: docs/server-behaviour.md.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from conftest import Client, Sim
from simversions import since

IN_USE = "is in use by one or more templates"
SSH = {"login": "deploy", "passphrase": "", "private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END"}


def call(api: Client, method: str, path: str, body: Any = None) -> requests.Response:
    """Any method, JSON body."""
    return api.http.request(method, api.sim.url + path, json=body, timeout=10)


def create(api: Client, path: str, body: dict[str, Any], profile: str) -> dict[str, Any]:
    """POST; 2.10 answers 204 without a body (the new object is found by name), newer 201 with it."""
    response = call(api, "POST", path, body)
    if since(profile, "2.11") or path.endswith(("/inventory", "/projects")):
        assert response.status_code == 201, (response.status_code, response.text)
        return response.json()  # type: ignore[no-any-return]
    assert response.status_code == 204 and response.content == b"", (response.status_code, response.text)
    return max((item for item in api.get(path).json() if item["name"] == body["name"]), key=lambda item: item["id"])


def key_body(name: str = "deploy", **changes: Any) -> dict[str, Any]:
    """An ssh key of project 1."""
    return dict({"name": name, "type": "ssh", "project_id": 1, "ssh": SSH}, **changes)


def in_use(response: requests.Response, label: str) -> bool:
    """§13: 400 ``{"error":"<label> is in use …","inUse":true}``."""
    return response.status_code == 400 and response.json() == {"error": f"{label} {IN_USE}", "inUse": True}


def dropped(api: Client, method: str, path: str, body: Any) -> bool:
    """True when the server closed the connection without an answer (a 2.10 panic)."""
    try:
        call(api, method, path, body)
    except requests.ConnectionError:
        return True
    return False


@pytest.fixture(scope="module")
def sim_213(sim_tmp: Path) -> Iterator[Sim]:
    """A 2.13 simulator (the client's middle branches)."""
    instance = Sim("2.13", sim_tmp)
    with instance:
        yield instance


@pytest.fixture(scope="module")
def bolt_210(sim_tmp: Path) -> Iterator[Sim]:
    """2.10 on BoltDB, as the real 2.10.32 the facts were checked on."""
    instance = Sim("2.10", sim_tmp, ("--backend", "bolt"))
    with instance:
        yield instance


# ---- projects -------------------------------------------------------------------------------------
def test_project_create_update_delete(sim: Sim) -> None:
    """§13: admins create (201; members get 401); the creator is owner; a key None and an environment
    Empty come with it; PUT needs the id and replaces the object; owner or admin updates and deletes."""
    admin, member = Client(sim), Client(sim, "member")
    assert call(member, "POST", "/api/projects", {"name": "Nope"}).status_code == 401
    project = create(admin, "/api/projects", {"name": "AsCode", "alert": True, "max_parallel_tasks": 3}, sim.profile)
    assert project["name"] == "AsCode" and project["alert"] is True and project["max_parallel_tasks"] == 3
    base = f"/api/project/{project['id']}"
    stored = admin.get(base).json()  # SQL keeps only name and type of a create
    assert stored.get("alert", False) is False and stored.get("max_parallel_tasks", 0) == 0
    assert [(k["name"], k["type"]) for k in admin.get(base + "/keys").json()] == [("None", "none")]
    envs = admin.get(base + "/environment").json()
    assert [(e["name"], e["json"], e["env"]) for e in envs] == [("Empty", "{}", "{}" if since(sim.profile, "2.16") else None)]
    assert call(member, "PUT", base, dict(stored, name="x")).status_code == 404  # not a member
    missing_id = call(admin, "PUT", base, {"name": "AsCode"})
    assert missing_id.status_code == 400 and missing_id.json() == {"error": "Project ID in body and URL must be the same"}
    assert call(admin, "PUT", base, dict(stored, name="Renamed", alert=True, max_parallel_tasks=2)).status_code == 204
    again = admin.get(base).json()
    assert again["name"] == "Renamed" and again["alert"] is True and again["max_parallel_tasks"] == 2
    assert again["created"] == stored["created"] and again["type"] == ""
    assert call(Client(sim, "guest"), "PUT", "/api/project/1", {"id": 1, "name": "x"}).status_code == 403
    assert call(Client(sim, "special"), "DELETE", "/api/project/2").status_code == 403  # manager there
    assert call(admin, "DELETE", base).status_code == 204
    assert admin.get(base).status_code == 404 and "Renamed" not in [p["name"] for p in admin.get("/api/projects").json()]


def test_project_delete_takes_its_tasks(sim: Sim) -> None:
    """§13: deleting a project removes its templates and tasks (a running one is stopped)."""
    admin = Client(sim)
    task = admin.post("/api/project/2/tasks", {"template_id": 13}).json()
    assert call(admin, "DELETE", "/api/project/2").status_code == 204
    assert task["id"] not in [t["id"] for t in sim.state()["tasks"]]
    assert admin.launch({"template_id": 1})["status"] == "waiting"  # the pool goes on


# ---- access keys ----------------------------------------------------------------------------------
def test_keys_create_read_and_validate(sim: Sim) -> None:
    """§13: 204 (2.10) or 201; secrets never shown (2.10 empty strings, newer ``{}``); create errors
    carry a message, a bad type an empty body; guests read but do not write."""
    admin, guest = Client(sim), Client(sim, "guest")
    key = create(admin, "/api/project/1/keys", key_body(), sim.profile)
    shown = admin.get(f"/api/project/1/keys/{key['id']}").json()
    if since(sim.profile, "2.16"):
        assert shown == {"id": key["id"], "name": "deploy", "type": "ssh", "project_id": 1, "ssh": {}, "login_password": {}}
    else:
        assert shown["ssh"] == {"login": "", "passphrase": "", "private_key": ""} and shown["string"] == ""
        assert shown["login_password"] == {"login": "", "password": ""} and shown["override_secret"] is False
    listed = {k["name"]: k for k in guest.get("/api/project/1/keys").json()}
    assert set(listed) == {"None", "deploy"} and listed["None"].get("empty") is True  # SQL: no secret stored
    assert "empty" not in listed["deploy"]
    for body, message in ((key_body(project_id=2), "Project ID in body and URL must be the same"),
                          ({"type": "none", "project_id": 1}, "name can not be empty")):
        response = call(admin, "POST", "/api/project/1/keys", body)
        assert response.status_code == 400 and response.json() == {"error": message}, body
    for body, message in ((key_body(name="bare", ssh={}), "private key can not be empty"),
                          (key_body(type="login_password"), "password can not be empty")):
        response = call(admin, "POST", "/api/project/1/keys", body)
        if since(sim.profile, "2.16"):  # newer Validate checks the name only
            assert response.status_code == 201, response.text
        else:
            assert response.status_code == 400 and response.json() == {"error": message}, body
    bad_type = call(admin, "POST", "/api/project/1/keys", key_body(type="rsa"))
    assert bad_type.status_code == 400 and bad_type.content == b""
    assert call(guest, "POST", "/api/project/1/keys", key_body()).status_code == 403
    assert admin.get("/api/project/1/keys/999").status_code == 404
    assert admin.get("/api/project/1/keys/x").status_code == 400
    assert admin.get("/api/project/2/keys/1").status_code == 404  # key 1 is Demo's


def test_key_update_and_delete(sim: Sim) -> None:
    """§13: PUT without override_secret renames only; with it type and secret change too; errors on update
    have an empty body; without project_id 2.10 drops the connection, newer code answers 400."""
    admin = Client(sim)
    key = create(admin, "/api/project/1/keys", key_body(), sim.profile)
    path = f"/api/project/1/keys/{key['id']}"
    assert call(admin, "PUT", path, {"id": key["id"], "project_id": 1, "name": "renamed", "type": "none"}).status_code == 204
    assert (admin.get(path).json()["name"], admin.get(path).json()["type"]) == ("renamed", "ssh")
    login = {"id": key["id"], "project_id": 1, "name": "web", "type": "login_password", "override_secret": True,
             "login_password": {"login": "ci", "password": "pw"}}
    assert call(admin, "PUT", path, login).status_code == 204
    assert admin.get(path).json()["type"] == "login_password"
    empty_name = call(admin, "PUT", path, dict(login, name=""))
    assert empty_name.status_code == 400 and empty_name.content == b""
    if since(sim.profile, "2.16"):
        moved = call(admin, "PUT", path, {"id": key["id"], "name": "x"})
        assert moved.status_code == 400 and moved.json() == {"error": "You can not move access key to other project"}
    else:
        assert dropped(admin, "PUT", path, {"id": key["id"], "name": "x"})
    assert admin.get(path).json()["name"] == "web"  # the server is still there
    assert in_use(call(admin, "DELETE", "/api/project/1/keys/1"), "Access Key")  # Demo's repository uses None
    assert admin.get("/api/project/1/keys/1/refs").json()["repositories"] == [{"id": 1, "name": "app"}]
    assert call(admin, "DELETE", path).status_code == 204 and admin.get(path).status_code == 404


# ---- repositories ---------------------------------------------------------------------------------
def test_repositories(sim: Sim) -> None:
    """§13: a key is needed (404 without); empty name, URL or branch: 400 with a message (a local path
    needs no branch); PUT checks the ids; a repository used by a template cannot be deleted."""
    admin = Client(sim)
    base = "/api/project/1/repositories"
    body = {"name": "site", "project_id": 1, "git_url": "https://example.com/site.git", "git_branch": "main", "ssh_key_id": 1}
    repo = create(admin, base, body, sim.profile)
    assert admin.get(f"{base}/{repo['id']}").json() == dict(body, id=repo["id"])
    assert call(admin, "POST", base, dict(body, ssh_key_id=None)).status_code == 404
    assert call(admin, "POST", base, dict(body, ssh_key_id=2)).status_code == 404  # Other's key
    no_branch = call(admin, "POST", base, dict(body, git_branch=""))
    assert no_branch.status_code == 400 and no_branch.json() == {"error": "repository branch can't be empty"}
    assert call(admin, "POST", base, dict(body, name="local", git_url="/srv/repo", git_branch="")).status_code in (201, 204)
    wrong_id = call(admin, "PUT", f"{base}/{repo['id']}", dict(body, id=repo["id"] + 100))
    assert wrong_id.status_code == 400 and wrong_id.json() == {"error": "Repository ID in body and URL must be the same"}
    assert call(admin, "PUT", f"{base}/{repo['id']}", dict(body, id=repo["id"], git_branch="dev")).status_code == 204
    assert admin.get(f"{base}/{repo['id']}").json()["git_branch"] == "dev"
    assert in_use(call(admin, "DELETE", f"{base}/1"), "Repository")
    assert [t["id"] for t in admin.get(f"{base}/1/refs").json()["templates"]][:2] == [1, 2]
    assert call(admin, "DELETE", f"{base}/{repo['id']}").status_code == 204


def test_create_in_another_project(sim: Sim) -> None:
    """§13: after its 400 for another project's id, a 2.10 repository create goes on with that project
    (the newest code stops)."""
    admin = Client(sim)
    body = {"name": "stray", "project_id": 2, "git_url": "https://e.com/x.git", "git_branch": "main", "ssh_key_id": 2}
    response = call(admin, "POST", "/api/project/1/repositories", body)
    assert response.status_code == 400
    assert response.text.startswith('{"error":"Project ID in body and URL must be the same"}')
    stray = [r["name"] for r in admin.get("/api/project/2/repositories").json() if r["name"] == "stray"]
    assert stray == ([] if sim.profile == "2.18" else ["stray"])


# ---- inventories ----------------------------------------------------------------------------------
def test_inventories(sim: Sim) -> None:
    """§13: 201 with the object; types (tofu-workspace from 2.16); unknown keys 404; PUT replaces the whole
    object and checks a file path; in use by a template: 400."""
    admin = Client(sim)
    base = "/api/project/1/inventory"
    holder = "template_id" if since(sim.profile, "2.16") else "holder_id"
    body = {"name": "prod", "project_id": 1, "type": "static", "inventory": "[web]\nweb1\n", "ssh_key_id": 1}
    inventory = create(admin, base, body, sim.profile)
    assert inventory == {"id": inventory["id"], "name": "prod", "project_id": 1, "inventory": "[web]\nweb1\n",
                         "ssh_key_id": 1, "become_key_id": None, "type": "static", holder: None, "repository_id": None}
    tofu = call(admin, "POST", base, dict(body, type="tofu-workspace"))
    assert tofu.status_code == 201 if since(sim.profile, "2.16") else tofu.json() == {"error": "Not supported inventory type"}
    assert call(admin, "POST", base, dict(body, become_key_id=99)).status_code == 404
    item = f"{base}/{inventory['id']}"
    bad_path = call(admin, "PUT", item, dict(body, id=inventory["id"], type="file", inventory="/etc/hosts"))
    assert bad_path.json() == {"error": "Invalid inventory file pathname. Must be: path/to/inventory."}
    unknown = call(admin, "PUT", item, dict(body, id=inventory["id"], type="ini"))
    assert unknown.status_code == 400 and unknown.json() == {"error": "unknown inventory type: ini"}
    assert call(admin, "PUT", item, {"id": inventory["id"], "project_id": 1, "name": "p", "type": "file",
                                     "inventory": "inv/hosts"}).status_code == 204
    assert admin.get(item).json()["ssh_key_id"] is None and admin.get(item).json()["inventory"] == "inv/hosts"
    assert in_use(call(admin, "DELETE", f"{base}/1"), "Inventory")
    assert call(admin, "DELETE", item).status_code == 204
    # SQL orders names without case: "prod" before "Production"
    assert [i["name"] for i in admin.get(base).json()] == (["prod"] if tofu.ok else []) + ["Production", "Staging"]


# ---- environments ---------------------------------------------------------------------------------
def test_environments_and_secrets(sim: Sim) -> None:
    """§13: json required; secrets written as operations, read back without values (the list shows
    null); ``update`` renames on newer versions and does nothing on 2.10 (SQL)."""
    admin = Client(sim)
    base = "/api/project/1/environment"
    body = {"name": "prod", "project_id": 1, "json": "{\"a\": 1}", "env": None,
            "secrets": [{"name": "db", "type": "var", "secret": "s3", "operation": "create"},
                        {"name": "TOKEN", "type": "env", "secret": "t0", "operation": "create"},
                        {"name": "odd", "type": "file", "secret": "x", "operation": "create"}]}
    env = create(admin, base, body, sim.profile)
    if since(sim.profile, "2.11"):
        assert env["secrets"] == []
    item = f"{base}/{env['id']}"
    secrets = admin.get(item).json()["secrets"]
    shown = [(s["type"], s["name"], s["secret"], s["operation"]) for s in secrets]
    assert shown == [("env", "TOKEN", "", ""), ("var", "db", "", "")]  # SQL lists them by key name (recorded)
    assert {e["name"]: e["secrets"] for e in admin.get(base).json()}["prod"] is None
    no_json = call(admin, "POST", base, dict(body, json=""))
    assert no_json.status_code == 400 and no_json.json() == {"error": "Extra variables must be valid JSON"}
    update = dict(body, id=env["id"], json="{}", secrets=[
        {"id": secrets[1]["id"], "name": "db2", "type": "var", "secret": "new", "operation": "update"},
        {"id": secrets[0]["id"], "name": "TOKEN", "type": "env", "operation": "delete"}])
    assert call(admin, "PUT", item, update).status_code == 204
    after = admin.get(item).json()
    assert after["json"] == "{}" and [s["name"] for s in after["secrets"]] == ["db2" if since(sim.profile, "2.11") else "db"]
    assert in_use(call(admin, "DELETE", f"{base}/1"), "Environment")
    assert call(admin, "DELETE", item).status_code == 204
    assert admin.get(f"/api/project/1/keys/{secrets[1]['id']}").status_code == 404  # SQL deletes the secrets too


def test_secret_of_a_project_key(sim: Sim) -> None:
    """§13: a secret operation naming an ordinary key: 2.10 (and the 2.16-era code) drop the connection
    (nil dereference), the newest code answers 400; the environment's fields are saved before."""
    admin = Client(sim)
    body = {"id": 1, "name": "Default", "project_id": 1, "json": "{\"b\": 2}",
            "secrets": [{"id": 1, "name": "x", "type": "var", "operation": "delete"}]}
    if sim.profile == "2.18":
        response = call(admin, "PUT", "/api/project/1/environment/1", body)
        assert response.status_code == 400 and response.content == b""
    else:
        assert dropped(admin, "PUT", "/api/project/1/environment/1", body)
    assert admin.get("/api/project/1/environment/1").json()["json"] == "{\"b\": 2}"
    assert admin.get("/api/project/1/keys/1").status_code == 200


# ---- 2.13 and BoltDB ------------------------------------------------------------------------------
def test_2_13(sim_213: Sim) -> None:
    """2.13: 201 with the object (v2.11), secret update works (v2.11); key PUT without project_id still
    drops the connection, tofu-workspace is refused, inventories show holder_id (changes not dated)."""
    sim_213.control("POST", "/_sim/reset")
    admin = Client(sim_213)
    key = create(admin, "/api/project/1/keys", key_body(), "2.13")
    assert key["ssh"] == {"login": "", "passphrase": "", "private_key": ""}
    assert dropped(admin, "PUT", f"/api/project/1/keys/{key['id']}", {"id": key["id"], "name": "x"})
    body = {"name": "e", "project_id": 1, "json": "{}", "secrets": [{"name": "a", "type": "var", "secret": "1",
                                                                     "operation": "create"}]}
    env = create(admin, "/api/project/1/environment", body, "2.13")
    secret = admin.get(f"/api/project/1/environment/{env['id']}").json()["secrets"][0]
    update = dict(body, id=env["id"], secrets=[dict(secret, name="b", type="env", secret="", operation="update")])
    assert call(admin, "PUT", f"/api/project/1/environment/{env['id']}", update).status_code == 204
    renamed = admin.get(f"/api/project/1/environment/{env['id']}").json()["secrets"][0]
    assert (renamed["type"], renamed["name"]) == ("env", "b")  # 2.16 keeps the type
    tofu = call(admin, "POST", "/api/project/1/inventory", {"name": "t", "project_id": 1, "type": "tofu-workspace"})
    assert tofu.status_code == 400 and "holder_id" in admin.get("/api/project/1/inventory").json()[0]


def test_bolt_2_10(bolt_210: Sim) -> None:
    """BoltDB (§13): a secret ``update`` drops the connection after saving the environment; a key used only
    as a become key can be deleted, and its inventory then reads 404; a project PUT without created and
    type resets them; a create keeps the alert settings; lists by id."""
    bolt_210.control("POST", "/_sim/reset")
    admin = Client(bolt_210)
    env = admin.get("/api/project/1/environment/1").json()
    secret_op = [{"name": "s", "type": "var", "secret": "1", "operation": "create"}]
    assert call(admin, "PUT", "/api/project/1/environment/1", dict(env, secrets=secret_op)).status_code == 204
    sid = admin.get("/api/project/1/environment/1").json()["secrets"][0]["id"]
    update = dict(env, json="{\"c\": 3}", secrets=[{"id": sid, "name": "s", "type": "var", "secret": "2", "operation": "update"}])
    assert dropped(admin, "PUT", "/api/project/1/environment/1", update)
    assert admin.get("/api/project/1/environment/1").json()["json"] == "{\"c\": 3}"
    become = create(admin, "/api/project/1/keys", key_body("become"), "2.10")
    inventory = admin.get("/api/project/1/inventory/2").json()
    assert call(admin, "PUT", "/api/project/1/inventory/2", dict(inventory, become_key_id=become["id"])).status_code == 204
    assert call(admin, "DELETE", f"/api/project/1/keys/{become['id']}").status_code == 204
    assert admin.get("/api/project/1/inventory/2").status_code == 404
    assert "Staging" in [i["name"] for i in admin.get("/api/project/1/inventory").json()]
    project = create(admin, "/api/projects", {"name": "B", "alert": True, "type": "x"}, "2.10")
    assert admin.get(f"/api/project/{project['id']}").json()["alert"] is True
    assert call(admin, "PUT", f"/api/project/{project['id']}", {"id": project["id"], "name": "B2"}).status_code == 204
    reset = admin.get(f"/api/project/{project['id']}").json()
    assert (reset["created"], reset["type"], reset["alert"]) == ("0001-01-01T00:00:00Z", "", False)
    for name in ("zz", "aa"):
        assert call(admin, "POST", "/api/project/1/keys", {"name": name, "type": "none", "project_id": 1}).status_code == 204
    assert [k["name"] for k in admin.get("/api/project/1/keys").json()] == ["None", "zz", "aa"]
    assert [k["name"] for k in admin.get("/api/project/1/keys?sort=name").json()] == ["None", "aa", "zz"]
    assert "empty" not in admin.get("/api/project/1/keys").json()[0]  # BoltDB never sets it
