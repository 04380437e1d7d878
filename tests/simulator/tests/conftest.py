"""Fixtures: one simulator subprocess per profile, a spec-validating HTTP client."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

SIM_ROOT = Path(__file__).resolve().parent.parent
REPO_ROOT = SIM_ROOT.parent.parent
SEED = SIM_ROOT / "seed.yml"
PROFILES = ("2.10", "2.16", "2.18")

PASSWORDS = {
    "admin": "Adm1n-Secret!",
    "member": "Member-Secret1",
    "totpuser": "Totp-Secret1",
    "special": "Sp\\ec\"ial 'pässwörd' €",
    "guest": "Guest-Secret1",
}


class Sim:
    """A running simulator subprocess."""

    def __init__(self, profile: str, tmp: Path, extra: tuple[str, ...] = ()) -> None:
        self.profile = profile
        port_file = tmp / f"port-{profile}-{os.getpid()}-{time.monotonic_ns()}"
        env = dict(os.environ, PYTHONPATH=str(SIM_ROOT))
        self.log_file = tmp / f"sim-{profile}-{time.monotonic_ns()}.log"
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "semaphore_sim", "--host", "127.0.0.1", "--port", "0", "--profile", profile,
             "--seed", str(SEED), "--port-file", str(port_file), "--log-file", str(self.log_file), *extra],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while not port_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                out = self.proc.stdout.read().decode() if self.proc.stdout else ""
                self.stop()
                raise RuntimeError(f"simulator did not start: {out}")
            time.sleep(0.05)
        self.url = port_file.read_text(encoding="utf-8").strip()

    def stop(self) -> None:
        """Terminate the subprocess we started."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    def control(self, method: str, path: str, **kwargs: Any) -> Any:
        """Call the control API."""
        response = requests.request(method, self.url + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def state(self) -> dict[str, Any]:
        """``GET /_sim/state``."""
        return self.control("GET", "/_sim/state")  # type: ignore[no-any-return]

    def template(self, template_id: int, **changes: Any) -> None:
        """``POST /_sim/templates/{id}``."""
        self.control("POST", f"/_sim/templates/{template_id}", json=changes)


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
