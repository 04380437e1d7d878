"""§14 templates (create, update, delete, refs), schedules, views, backup and restore, per profile.

The ``sim`` fixture runs each test on 2.10, 2.16 and 2.18 (SQL, the default backend); BoltDB has a
2.10 simulator of its own below.
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

TPL = "/api/project/1/templates"


def call(api: Client, method: str, path: str, body: Any = None) -> requests.Response:
    """Any method, JSON body."""
    return api.http.request(method, api.sim.url + path, json=body, timeout=10)


def template_body(name: str = "As code", **changes: Any) -> dict[str, Any]:
    """An ansible template of project 1."""
    return dict({"project_id": 1, "name": name, "playbook": "site.yml", "app": "ansible", "inventory_id": 1,
                 "repository_id": 1, "environment_id": 1, "description": "first"}, **changes)


@pytest.fixture(scope="module")
def bolt_210(sim_tmp: Path) -> Iterator[Sim]:
    """2.10 on BoltDB, as the real 2.10.32 the facts were checked on."""
    instance = Sim("2.10", sim_tmp, ("--backend", "bolt"))
    with instance:
        yield instance


def test_template_create_validate(sim: Sim) -> None:
    """§14: Validate's messages in order; 201 with the template; an app that is not installed (or none)
    answers 400 after the template was created; guests get 403."""
    admin = Client(sim)
    for body, message in ((template_body(inventory_id=None), "template inventory can not be empty"),
                          (template_body(name=""), "template name can not be empty"),
                          (template_body(playbook=""), "template playbook can not be empty"),
                          (template_body(arguments="[x"), "template arguments must be valid JSON")):
        answer = call(admin, "POST", TPL, body)
        assert answer.status_code == 400 and answer.json() == {"error": message}
    assert call(Client(sim, "guest"), "POST", TPL, template_body()).status_code == 403
    created = call(admin, "POST", TPL, template_body(survey_vars=[{"name": "v", "title": "V"}]))
    assert created.status_code == 201, created.text
    data = created.json()
    assert data["name"] == "As code" and data["description"] == "first" and data["project_id"] == 1
    assert admin.get(f"{TPL}/{data['id']}").json()["survey_vars"] == [{"name": "v", "title": "V"}]
    no_app = call(admin, "POST", TPL, template_body("No app", app=""))
    assert no_app.status_code == 400 and no_app.json() == {"error": "Invalid app id: "}
    assert "No app" in [t["name"] for t in admin.get(TPL).json()]


def test_template_put_resets_and_delete(sim: Sim) -> None:
    """§14: a PUT rewrites every column (a field left out is reset); ids checked; delete takes the
    template's tasks and schedules."""
    admin = Client(sim)
    data = call(admin, "POST", TPL, template_body()).json()
    item = f"{TPL}/{data['id']}"
    body = template_body(id=data["id"])
    assert call(admin, "PUT", item, dict(body, id=999)).json() == {
        "error": "template id in URL and in body must be the same"}
    assert call(admin, "PUT", item, dict(body, project_id=2)).json() == {
        "error": "You can not move template to other project"}
    assert call(admin, "PUT", item, dict(body, app="nope")).json() == {"error": "Invalid app id: nope"}
    body.pop("description")
    assert call(admin, "PUT", item, dict(body, name="Renamed")).status_code == 204
    again = admin.get(item).json()
    assert again["name"] == "Renamed" and again.get("description") is None
    task = admin.post("/api/project/1/tasks", {"template_id": data["id"]}).json()
    schedule = call(admin, "POST", "/api/project/1/schedules",
                    {"project_id": 1, "template_id": data["id"], "cron_format": "* * * * *"}).json()
    assert call(admin, "DELETE", item).status_code == 204
    assert admin.get(item).status_code == 404
    assert task["id"] not in [t["id"] for t in sim.state()["tasks"]]
    assert admin.get(f"/api/project/1/schedules/{schedule['id']}").status_code == 404


def test_terraform_template_gets_a_workspace(sim: Sim) -> None:
    """§14: a terraform template without inventory gets one, "<name> - default"."""
    admin = Client(sim)
    data = call(admin, "POST", TPL, template_body("Infra", app="terraform", playbook="", inventory_id=None)).json()
    stored = admin.get(f"{TPL}/{data['id']}").json()
    inventory = admin.get(f"/api/project/1/inventory/{stored['inventory_id']}").json()
    assert inventory["name"] == "Infra - default" and inventory["type"] == "terraform-workspace"


def test_schedules(sim: Sim) -> None:
    """§14: cron check (400 "Cron: …"), 201, list with tpl_name, whole-row PUT, active, delete."""
    admin, base = Client(sim), "/api/project/1/schedules"
    assert call(admin, "POST", base + "/validate", {"cron_format": "* * * * *"}).status_code == 200
    bad = call(admin, "POST", base + "/validate", {"cron_format": "* * * *"})
    assert bad.status_code == 400 and bad.json() == {"error": "Cron: expected exactly 5 fields, found 4: [* * * *]"}
    assert call(Client(sim, "guest"), "POST", base + "/validate", {"cron_format": "@daily"}).status_code == 403
    created = call(admin, "POST", base, {"project_id": 1, "template_id": 1, "cron_format": "0 1 * * *", "name": "n"})
    assert created.status_code == 201
    schedule = created.json()
    assert schedule == {"id": schedule["id"], "project_id": 1, "template_id": 1, "cron_format": "0 1 * * *",
                        "name": "n", "active": False, "repository_id": None}
    assert [s["tpl_name"] for s in admin.get(base).json()] == ["Deploy app"]
    item = f"{base}/{schedule['id']}"
    assert call(admin, "PUT", item, dict(schedule, cron_format="61 * * * *")).json() == {
        "error": "Cron: end of range (61) above maximum (59): 61"}
    assert call(admin, "PUT", item, {"id": schedule["id"], "project_id": 1, "template_id": 1,
                                     "cron_format": "@hourly"}).status_code == 204
    assert admin.get(item).json()["name"] == ""
    assert call(admin, "PUT", item + "/active", {"active": True}).status_code == 204
    assert admin.get(item).json()["active"] is True
    assert admin.get("/api/project/1/templates/1/schedules").json() == []  # SQL: only with repository_id
    assert call(admin, "DELETE", item).status_code == 204 and admin.get(item).status_code == 404


def test_views(sim: Sim) -> None:
    """§14: create (201), positions, update, templates of a view, delete; 2.16+ projects have "All"."""
    admin, base = Client(sim), "/api/project/1/views"
    before = admin.get(base).json()
    assert [v["title"] for v in before] == (["All"] if since(sim.profile, "2.16") else [])
    assert call(admin, "POST", base, {"project_id": 1, "title": ""}).json() == {"error": "title can not be empty"}
    assert call(admin, "POST", base, {"title": "x"}).json() == {"error": "Project ID in body and URL must be the same"}
    first = call(admin, "POST", base, {"project_id": 1, "title": "Build", "position": 5}).json()
    second = call(admin, "POST", base, {"project_id": 1, "title": "Deploy", "position": 6}).json()
    assert call(admin, "POST", base + "/positions", {str(first["id"]): 9}).status_code == 204
    assert [v["title"] for v in admin.get(base).json()][-2:] == ["Deploy", "Build"]
    assert call(admin, "PUT", f"{base}/{second['id']}", dict(second, title="Ship")).status_code == 204
    assert admin.get(f"{base}/{second['id']}").json()["title"] == "Ship"
    tpl = call(admin, "POST", TPL, template_body("In view", view_id=second["id"])).json()
    assert [t["id"] for t in admin.get(f"{base}/{second['id']}/templates").json()] == [tpl["id"]]
    assert call(admin, "DELETE", f"{base}/{second['id']}").status_code == 204
    assert admin.get(f"{TPL}/{tpl['id']}").json().get("view_id") is None  # SQL: on delete set null
    project = admin.post("/api/projects", {"name": "Fresh"}).json()
    fresh = admin.get(f"/api/project/{project['id']}/views").json()
    assert [v["title"] for v in fresh] == (["All"] if since(sim.profile, "2.16") else [])


def test_backup_and_restore(sim: Sim) -> None:
    """§14: the backup names instead of ids; a restore makes a new project, linked by name."""
    admin = Client(sim)
    view = call(admin, "POST", "/api/project/1/views", {"project_id": 1, "title": "Ops"}).json()
    call(admin, "POST", TPL, template_body("Backed", view_id=view["id"]))
    call(admin, "POST", "/api/project/1/schedules", {"project_id": 1, "template_id": 1, "cron_format": "@daily"})
    backup = admin.get("/api/project/1/backup").json()
    assert set(backup) >= {"meta", "templates", "repositories", "keys", "views", "inventories", "environments",
                           "integrations", "integration_aliases"}
    assert ("schedules" in backup) == since(sim.profile, "2.16")
    entry = next(t for t in backup["templates"] if t["name"] == "Backed")
    assert entry["view"] == "Ops" and entry["repository"] == "app" and "id" not in entry
    assert next(t for t in backup["templates"] if t["name"] == "Deploy app")["cron"] == "@daily"
    restored = call(admin, "POST", "/api/projects/restore", dict(backup, meta=dict(backup["meta"], name="Copy")))
    assert restored.status_code == 200 and restored.json()["name"] == "Copy"
    base = f"/api/project/{restored.json()['id']}"
    names = {t["name"]: t for t in admin.get(base + "/templates").json()}
    assert {"Backed", "Deploy app"} <= set(names)
    views = {v["id"]: v["title"] for v in admin.get(base + "/views").json()}
    assert views[names["Backed"]["view_id"]] == "Ops"
    broken = dict(backup, templates=[dict(entry, repository="nope")])
    assert call(admin, "POST", "/api/projects/restore", broken).status_code == 400
    assert call(admin, "POST", "/api/projects/restore", [1]).status_code == 400


def test_a_build_template_in_use_is_refused_on_sql_and_refs_name_its_user(sim: Sim) -> None:
    """§14 on SQL: deleting a template another one builds from fails its foreign key: 400 with an
    empty body (recorded on 2.10.32 MariaDB); ``/refs`` names the deploy template."""
    admin = Client(sim)
    build = call(admin, "POST", TPL, template_body("Build", type="build")).json()
    deploy = call(admin, "POST", TPL, template_body("Deploy", type="deploy", build_template_id=build["id"])).json()
    refused = call(admin, "DELETE", f"{TPL}/{build['id']}")
    assert (refused.status_code, refused.text) == (400, "")
    assert admin.get(f"{TPL}/{build['id']}/refs").json()["templates"] == [{"id": deploy["id"], "name": "Deploy"}]


def test_bolt_2_10(bolt_210: Sim) -> None:
    """§14 BoltDB: views by id, template schedules all, a schedule of a missing template breaks the
    list (404), a build template in use cannot be deleted (409), environment secrets listed as created."""
    admin = Client(bolt_210)
    call(admin, "POST", "/api/project/1/views", {"project_id": 1, "title": "B", "position": 2})
    call(admin, "POST", "/api/project/1/views", {"project_id": 1, "title": "A", "position": 1})
    assert [v["title"] for v in admin.get("/api/project/1/views").json()] == ["B", "A"]
    created = call(admin, "POST", "/api/project/1/schedules",
                   {"project_id": 1, "template_id": 1, "cron_format": "@daily"}).json()
    assert [s["id"] for s in admin.get("/api/project/1/templates/1/schedules").json()] == [created["id"]]
    build = call(admin, "POST", TPL, template_body("Build", type="build")).json()
    assert build["vaults"] == []
    call(admin, "POST", TPL, template_body("Deploy", type="deploy", build_template_id=build["id"]))
    assert call(admin, "DELETE", f"{TPL}/{build['id']}").status_code == 409
    assert call(admin, "POST", "/api/project/1/schedules",
                {"project_id": 1, "template_id": 999, "cron_format": "@daily"}).status_code == 201
    assert admin.get("/api/project/1/schedules").status_code == 404
    env = {"name": "ordered", "project_id": 1, "json": "{}", "secrets": [
        {"name": name, "type": kind, "secret": "x", "operation": "create"} for kind, name in (("var", "zeta"), ("env", "Beta"))]}
    call(admin, "POST", "/api/project/1/environment", env)
    made = [e for e in admin.get("/api/project/1/environment").json() if e["name"] == "ordered"][0]
    listed = admin.get(f"/api/project/1/environment/{made['id']}").json()["secrets"]
    assert [(s["type"], s["name"]) for s in listed] == [("var", "zeta"), ("env", "Beta")]  # as created (recorded)
