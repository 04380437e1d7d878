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
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SIM_DIR = REPO / "tests" / "simulator"
sys.path.insert(0, str(SIM_DIR))
from semaphore_sim.harness import RunningSimulator, running_simulator, seed_admin  # noqa: E402  pylint: disable=wrong-import-position

PYTHON = sys.executable
BIN = Path(PYTHON).parent
ADMIN_PASSWORD = seed_admin()[1]

# A running simulator: url, workdir (sim.log, sim.out, tls/), ca, control(), log(), state(), restart(), kill().
Sim = RunningSimulator


@contextlib.contextmanager
def simulator(tmp_path: Path, profile: str = "2.16", tls: bool = False) -> Iterator[Sim]:
    """Start a simulator on 127.0.0.1, yield a Sim, always stop it."""
    workdir = tmp_path / f"sim-{profile}{'-tls' if tls else ''}"
    with running_simulator(profile, tls=tls, workdir=workdir, python=PYTHON, verbose=True) as sim:
        yield sim


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
