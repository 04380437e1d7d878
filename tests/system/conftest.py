"""System tests: real simulators (loopback only) and real ansible/ansible-playbook processes.

Each simulator is a subprocess started with a bounded wait for its URL and always stopped. The
collection is found through a collections path whose ansible_collections/semaphore/api points at
the checkout, so the code under test is the working tree.
"""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIM_DIR = REPO / "tests" / "simulator"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
ADMIN_PASSWORD = "Adm1n-Secret!"


class Sim:
    """A running simulator: its URL, files, and helpers for the control API."""

    def __init__(self, url: str, workdir: Path, ca: Path | None) -> None:
        self.url = url
        self.workdir = workdir
        self.ca = ca

    def control(self, method: str, path: str, body: object = None) -> object:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/_sim/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        context = None
        if self.ca is not None:
            import ssl
            context = ssl.create_default_context(cafile=str(self.ca))
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:  # noqa: S310 (loopback)
            raw = answer.read()
        return json.loads(raw) if raw else None

    def log(self) -> list[dict]:
        return self.control("GET", "log")["entries"]

    def state(self) -> dict:
        return self.control("GET", "state")

    def restart(self, down_seconds: float) -> dict:
        """The simulated server dies now (sockets cut, running tasks orphaned) and listens again on the
        same port ``down_seconds`` later; the answer comes before it goes down."""
        return self.control("POST", "restart", {"down_seconds": down_seconds})

    def kill(self, task_id: int) -> dict:
        """The task's process dies while the server stays up: it stays ``running`` and keeps its
        place in the pool until it is stopped with force."""
        return self.control("POST", f"tasks/{task_id}/kill", {})


@contextlib.contextmanager
def simulator(tmp_path: Path, profile: str = "2.16", tls: bool = False):
    """Start a simulator on 127.0.0.1, yield a Sim, always stop it."""
    workdir = tmp_path / f"sim-{profile}{'-tls' if tls else ''}"
    workdir.mkdir(parents=True, exist_ok=True)
    url_file = workdir / "url"
    command = [PYTHON, "-m", "semaphore_sim", "--host", "127.0.0.1", "--port", "0", "--profile", profile,
               "--seed", str(SIM_DIR / "seed.yml"), "--port-file", str(url_file),
               "--log-file", str(workdir / "sim.log"), "--verbose"]
    if tls:
        command += ["--tls", "--tls-dir", str(workdir / "tls")]
    env = dict(os.environ, PYTHONPATH=str(SIM_DIR))
    with open(workdir / "sim.out", "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 30
        while not url_file.exists() or not url_file.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("simulator did not start: " + (workdir / "sim.out").read_text())
            time.sleep(0.1)
        yield Sim(url_file.read_text().strip(), workdir, workdir / "tls" / "ca.pem" if tls else None)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("collections")
    target = root / "ansible_collections" / "semaphore"
    target.mkdir(parents=True)
    (target / "api").symlink_to(REPO)
    return root


def ansible_env(collections_path: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(collections_path),
        "ANSIBLE_PYTHON_INTERPRETER": PYTHON,
        "ANSIBLE_LOCALHOST_WARNING": "false",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_RETRY_FILES_ENABLED": "false",
        "ANSIBLE_HOME": str(collections_path / ".ansible"),
    })
    for name in ("SEMAPHORE_URL", "SEMAPHORE_API_TOKEN", "SEMAPHORE_USERNAME", "SEMAPHORE_PASSWORD"):
        env.pop(name, None)
    env.update(extra)
    return env


def run_playbook(collections_path: Path, workdir: Path, playbook: str, extra_vars: dict, args=(), env=None,
                 timeout: float = 300) -> tuple[subprocess.CompletedProcess, dict]:
    """Run a playbook text; the play writes its registered results to results.json (when it gets there)."""
    book = workdir / "play.yml"
    book.write_text(playbook)
    variables = workdir / "vars.json"
    results = workdir / "results.json"
    if results.exists():
        results.unlink()
    variables.write_text(json.dumps(dict(extra_vars, results_file=str(results))))
    done = subprocess.run([str(BIN / "ansible-playbook"), str(book), "-e", "@" + str(variables), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env=env or ansible_env(collections_path), cwd=str(workdir), check=False)
    return done, (json.loads(results.read_text()) if results.exists() else {})


def module_playbook(module: str) -> str:
    """One task of ``module`` with the options ``margs`` (plus per-host ``host_args``) on every host,
    then every host's registered result written to ``results_file`` as {host: result}."""
    return f"""
- hosts: all
  gather_facts: false
  tasks:
    - name: Run the module
      semaphore.api.{module}: "{{{{ margs | combine(host_args | default({{}})) }}}}"
      register: outcome
      ignore_errors: true

    - name: Save every host's result
      ansible.builtin.copy:
        content: "{{{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'outcome'))) | to_json }}}}"
        dest: "{{{{ results_file }}}}"
        mode: "0600"
      delegate_to: localhost
      run_once: true
"""


def inventory(workdir: Path, host_args: list[dict]) -> Path:
    """An inventory of local hosts h0..hN, each with its own ``host_args``."""
    hosts = {f"h{index}": {"host_args": args, "ansible_connection": "local", "ansible_python_interpreter": PYTHON}
             for index, args in enumerate(host_args)}
    path = workdir / "inventory.json"
    path.write_text(json.dumps({"all": {"hosts": hosts}}))
    return path


def local_inventory(workdir: Path) -> Path:
    return inventory(workdir, [{}])
