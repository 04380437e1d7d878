"""Fixtures: one simulator subprocess per profile, a spec-validating HTTP client."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import websocket
from semaphore_sim.harness import RunningSimulator, launch, seed_passwords

SIM_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = SIM_ROOT.parent.parent
SEED = SIM_ROOT / "seed.yml"
PROFILES = ("2.10", "2.13", "2.16", "2.18")

PASSWORDS = seed_passwords(SEED)


class Sim(RunningSimulator):
    """A running simulator subprocess (semaphore_sim.harness), each in its own directory under ``tmp``."""

    def __init__(self, profile: str, tmp: Path, extra: tuple[str, ...] = ()) -> None:
        super().__init__(**launch(profile, seed=SEED, extra_args=extra, start_timeout=15,
                                  workdir=tmp / f"sim-{profile}-{os.getpid()}-{time.monotonic_ns()}"))
        self.proc = self.process
        self.log_file = self.log_path

    def control(self, method: str, path: str, body: Any = None, timeout: float = 10, **kwargs: Any) -> Any:
        """Call the control API with ``requests`` (``json=...``); an HTTP error raises requests.HTTPError."""
        if body is not None:
            kwargs["json"] = body
        response = requests.request(method, self.url + (path if path.startswith("/") else "/_sim/" + path),
                                    timeout=timeout, **kwargs)
        response.raise_for_status()
        return response.json()

    def template(self, template_id: int, **changes: Any) -> None:
        """``POST /_sim/templates/{id}``."""
        self.control("POST", f"/_sim/templates/{template_id}", json=changes)


class Client:
    """A bearer-token client (no spec validation; test_contract.py covers the shapes)."""

    def __init__(self, sim: Sim, user: str = "admin") -> None:
        self.sim = sim
        login = requests.post(sim.url + "/api/auth/login", json={"auth": user, "password": PASSWORDS[user]},
                              timeout=10)
        assert login.status_code == 204
        # sent by hand: with an https:// web_host the cookie is Secure and requests keeps it off http
        cookie = {"Cookie": f"semaphore={login.cookies['semaphore']}"}
        self.token = requests.post(sim.url + "/api/user/tokens", headers=cookie, timeout=10).json()["id"]
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {self.token}"

    def get(self, path: str) -> requests.Response:
        """GET."""
        return self.http.get(self.sim.url + path, timeout=10)

    def post(self, path: str, body: Any = None) -> requests.Response:
        """POST JSON."""
        return self.http.post(self.sim.url + path, json=body, timeout=10)

    def task(self, task_id: int) -> dict[str, Any]:
        """GET one task of project 1."""
        return self.get(f"/api/project/1/tasks/{task_id}").json()  # type: ignore[no-any-return]

    def launch(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST a task and expect 201."""
        response = self.post("/api/project/1/tasks", body)
        assert response.status_code == 201, (response.status_code, response.text)
        return response.json()  # type: ignore[no-any-return]

    def wait(self, task_id: int, statuses: tuple[str, ...], timeout: float = 15.0) -> dict[str, Any]:
        """Poll until the task has one of ``statuses``."""
        deadline = time.monotonic() + timeout
        data: dict[str, Any] = {}
        while time.monotonic() < deadline:
            data = self.task(task_id)
            if data["status"] in statuses:
                return data
            time.sleep(0.02)
        raise AssertionError(f"task {task_id} stuck in {data.get('status')}, wanted {statuses}")

    def wait_end(self, task_id: int, timeout: float = 15.0) -> dict[str, Any]:
        """Poll until ``end`` is set."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.task(task_id)
            if data.get("end"):
                return data
            time.sleep(0.02)
        raise AssertionError(f"task {task_id} never got an end")

    def texts(self, task_id: int) -> list[str]:
        """The stored output lines."""
        return [line["output"] for line in self.get(f"/api/project/1/tasks/{task_id}/output").json()]

    def websocket(self) -> websocket.WebSocket:
        """An authenticated /api/ws connection."""
        return websocket.create_connection(self.sim.url.replace("http", "ws", 1) + "/api/ws", timeout=10,
                                           header=[f"Authorization: Bearer {self.token}"])


@pytest.fixture(scope="session")
def sim_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for port files and logs."""
    return tmp_path_factory.mktemp("sim")


@pytest.fixture(scope="module", params=PROFILES)
def sim(request: pytest.FixtureRequest, sim_tmp: Path) -> Iterator[Sim]:
    """A simulator for each profile."""
    instance = Sim(request.param, sim_tmp)
    yield instance
    instance.stop()


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> None:
    """Every test starts from the seed."""
    if "sim" in request.fixturenames:
        request.getfixturevalue("sim").control("POST", "/_sim/reset")
