"""hack/seed-semaphore.py creates what tests/simulator/seed.yml describes, on a fake Semaphore that
stores what it is sent (the simulator has no create routes)."""
from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

from conftest import PYTHON, REPO, SIM_DIR

PLAYBOOKS = REPO / "tests" / "integration" / "seed_playbooks"


class FakeSemaphore(BaseHTTPRequestHandler):
    """Login, /api/info, and GET/POST of any list (a POST stores the body with a new id)."""

    store: dict[str, list[dict]] = {}

    def log_message(self, *args) -> None:  # quiet
        pass

    def _answer(self, status: int, body: object = None) -> None:
        raw = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        if self.path == "/api/info":
            self._answer(200, {"version": "fake"})
        else:
            self._answer(200, self.store.get(self.path, []))

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
        if self.path == "/api/auth/login":
            self._answer(204)
            return
        items = self.store.setdefault(self.path, [])
        items.append(dict(body, id=sum(len(values) for values in self.store.values()) + 1))
        self._answer(201, items[-1])


def test_seed_semaphore_creates_the_seeds_project(tmp_path):
    FakeSemaphore.store = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeSemaphore)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:{0}".format(server.server_address[1])
        config = tmp_path / "integration_config.yml"
        done = subprocess.run([PYTHON, str(REPO / "hack" / "seed-semaphore.py"), "--url", url, "--username", "root",
                               "--password", 'p"w\\d', "--repo-dir", str(tmp_path / "repo"), "--config", str(config)],
                              capture_output=True, text=True, timeout=120, check=False)
        print(done.stdout, done.stderr)
        assert done.returncode == 0
        # A second run reuses everything by name.
        again = subprocess.run([PYTHON, str(REPO / "hack" / "seed-semaphore.py"), "--url", url, "--username", "root",
                                "--password", "x", "--repo-dir", str(tmp_path / "repo"), "--config", str(config)],
                               capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 0 and " create " not in again.stdout, again.stdout
    finally:
        server.shutdown()
        server.server_close()
    seed = yaml.safe_load((SIM_DIR / "seed.yml").read_text(encoding="utf-8"))
    demo = next(project for project in seed["projects"] if project["name"] == "Demo")
    real = seed["real_server"]
    store = FakeSemaphore.store
    (project,) = store["/api/projects"]
    assert project["name"] == "Demo" and project["max_parallel_tasks"] == demo["max_parallel_tasks"]
    base = "/api/project/{0}".format(project["id"])
    inventories = {item["name"]: item for item in store[base + "/inventory"]}
    assert sorted(inventories) == sorted(item["name"] for item in demo["inventories"])
    assert inventories["Production"]["inventory"] == "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"
    (environment,) = store[base + "/environment"]
    assert json.loads(environment["json"]) == json.loads(demo["environments"][0]["json"])
    templates = {item["name"]: item for item in store[base + "/templates"]}
    assert sorted(templates) == sorted(list(real["playbooks"]) + [item["name"] for item in real["templates"]])
    seeded = {item["name"]: item for item in reversed(demo["templates"])}
    for name, playbook in real["playbooks"].items():
        assert (PLAYBOOKS / playbook).exists(), playbook
        made, wanted = templates[name], seeded[name]
        assert made["playbook"] == playbook
        assert made["app"] == wanted.get("app", "ansible")
        for flag in ("allow_override_args_in_task", "allow_override_branch_in_task", "allow_parallel_tasks", "task_params"):
            assert made.get(flag) == wanted.get(flag), (name, flag)
        inventory = next(item["name"] for item in demo["inventories"] if item["id"] == wanted["inventory_id"])
        assert made["inventory_id"] == inventories[inventory]["id"]
    written = yaml.safe_load(config.read_text(encoding="utf-8"))
    assert written["semaphore_url"] == url and written["semaphore_password"] == "x"
    assert {written[key] for key in written if key.startswith("semaphore_template_")} <= set(templates)
