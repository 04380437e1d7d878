"""Every playbook of examples/ runs against its own simulator and shows what the README promises.

Each example runs as a user runs it (`ansible-playbook examples/<name>.yml` with the SEMAPHORE_*
variables its header names); the test checks the exit code, what the play printed, and what the
simulator saw (`/_sim/state`, its request log). The `make demo`, `make doc` and `make sim` targets
run with their own Makefile command lines, building into a temporary directory (DEMO_BUILD).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from conftest import ADMIN_PASSWORD, BIN, REPO, Sim, ansible_env, seed_admin, simulator

EXAMPLES = REPO / "examples"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RECAP_LINE = re.compile(r"^localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=0\s+failed=(\d+)", re.MULTILINE)


def test_every_example_is_tested():
    """A new playbook in examples/ needs a test here (and a row in the README's table)."""
    tested = {"demo", "ci_deploy", "module_defaults", "stop_task", "task_output_later", "project_as_code"}
    assert {path.stem for path in EXAMPLES.glob("*.yml")} == tested
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in tested:
        assert f"(examples/{name}.yml)" in readme, name


def test_example_credentials_are_the_seeds():
    """The examples are self-contained: their default credentials are written out, and must be the
    simulator seed's admin (tests/simulator/seed.yml), which the tests below rely on."""
    defaults = re.compile(r"lookup\('ansible\.builtin\.env', 'SEMAPHORE_(USERNAME|PASSWORD)', default='([^']*)'\)")
    found = {}
    for path in sorted(EXAMPLES.glob("*.yml")):
        for name, value in defaults.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add((path.name, value))
    assert {value for dummy, value in found.get("PASSWORD", ())} == {ADMIN_PASSWORD}, found
    assert {value for dummy, value in found.get("USERNAME", ())} <= {seed_admin()[0]}, found


def run_example(collections_path: Path, tmp_path: Path, name: str, *args: str, timeout: float = 180,
                **env: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(BIN / "ansible-playbook"), str(EXAMPLES / f"{name}.yml"), *args],
                          capture_output=True, text=True, timeout=timeout, check=False, cwd=str(tmp_path),
                          env=ansible_env(collections_path, **env))
    print(done.stdout, done.stderr)
    return done


def task_result(stdout: str, task: str) -> dict:
    """The JSON the default callback printed for ``task`` (``ok: [localhost] => {...}``)."""
    block = stdout.split(f"TASK [{task}] ", 1)[1].split("\n\n", 1)[0]
    return json.loads(block.split("=> ", 1)[1])


def recap(stdout: str) -> tuple[int, int, int]:
    found = RECAP_LINE.findall(stdout)
    assert len(found) == 1, stdout
    return tuple(int(value) for value in found[0])


def login(sim: Sim, username: str = "admin", password: str = ADMIN_PASSWORD) -> requests.Session:
    session = requests.Session()
    answer = session.post(sim.url + "/api/auth/login", json={"auth": username, "password": password}, timeout=10)
    assert answer.status_code == 204, answer.text
    return session


def new_token(session: requests.Session, sim: Sim) -> str:
    answer = session.post(sim.url + "/api/user/tokens", timeout=10)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def only_task(sim: Sim) -> dict:
    tasks = sim.state()["tasks"]
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_demo(tmp_path, collections_path):
    """demo.yml: password login -> token -> run "Deploy app" -> output and recap -> token revoked."""
    with simulator(tmp_path) as sim:
        done = run_example(collections_path, tmp_path, "demo", SEMAPHORE_URL=sim.url)
        assert done.returncode == 0
        assert recap(done.stdout) == (5, 3, 0)
        task = only_task(sim)
        assert (task["template_id"], task["status"], task["user"]) == (1, "success", "admin")
        # The output and the per-host recap of that task, as the play printed them.
        output = task_result(done.stdout, "Show the task output")["run.output"]
        assert output[0] == f"Task {task['id']} added to queue"
        assert "web1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0" in output
        shown = task_result(done.stdout, "Show the PLAY RECAP per host")["run.recap"]
        assert sorted(shown) == ["web1", "web2"] and shown["web1"]["changed"] == 1
        # The launch used the new token, which is gone at the end; the password session is closed.
        state = sim.state()
        assert state["tokens"] == [] and state["sessions_active"] == 0
        launches = [entry for entry in sim.log() if entry["method"] == "POST" and entry["path"] == "/api/project/1/tasks"]
        assert [entry["auth"] for entry in launches] == ["bearer"]


@pytest.mark.parametrize("profile", ["2.10", "2.18"])
def test_demo_leaves_a_token_the_user_already_had_working(tmp_path, collections_path, profile):
    """A token made before the demo (with plain HTTP) still authenticates after it: on a server that lists
    secrets (up to 2.13) and on one that does not (the semaphore_token target covers every profile)."""
    with simulator(tmp_path, profile) as sim:
        held = new_token(login(sim), sim)
        done = run_example(collections_path, tmp_path, "demo", SEMAPHORE_URL=sim.url)
        assert done.returncode == 0, done.stdout + done.stderr
        assert only_task(sim)["status"] == "success"
        answer = requests.get(sim.url + "/api/user", headers={"Authorization": f"Bearer {held}"}, timeout=10)
        assert answer.status_code == 200
        assert held not in done.stdout + done.stderr


def test_ci_deploy_success(tmp_path, collections_path):
    """ci_deploy.yml with a token: branch, limit and the commit in the message reach the task; exit 0."""
    with simulator(tmp_path) as sim:
        token = new_token(login(sim), sim)
        done = run_example(collections_path, tmp_path, "ci_deploy", "-e", "deploy_branch=release-1",
                           "-e", "deploy_limit=web1", SEMAPHORE_URL=sim.url, SEMAPHORE_API_TOKEN=token,
                           CI_COMMIT_SHA="0123abcd")
        assert done.returncode == 0
        task = only_task(sim)
        assert task["status"] == "success"
        assert task["effective"]["git_branch"] == "release-1"
        assert task["effective"]["hosts"] == ["web1"]
        assert task_result(done.stdout, "Report the deployment")["msg"] == (
            f"Task {task['id']} ended success: {sim.url}/project/1/templates/1?t={task['id']}")
        read = requests.get(f"{sim.url}/api/project/1/tasks/{task['id']}", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
        assert read.json()["message"] == "CI deploy 0123abcd"
        assert "Show the last lines of the failed task" not in done.stdout
        assert recap(done.stdout) == (2, 1, 0)


def test_ci_deploy_failure_fails_the_play(tmp_path, collections_path):
    """ci_deploy.yml on a failing template: the last output lines, one clear message, exit code 2."""
    with simulator(tmp_path) as sim:
        done = run_example(collections_path, tmp_path, "ci_deploy", "-e", '{"deploy_template": "Failing job"}',
                           SEMAPHORE_URL=sim.url, SEMAPHORE_USERNAME="admin", SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        assert done.returncode == 2
        task = only_task(sim)
        assert (task["template_id"], task["status"]) == (2, "error")
        assert "TASK [Report the deployment]" not in done.stdout
        last_lines = task_result(done.stdout, "Show the last lines of the failed task")["msg"]
        assert 0 < len(last_lines) <= 20
        assert any(re.match(r"web1 : ok=\d+ changed=\d+ unreachable=0 failed=1", line) for line in last_lines)
        assert f"Semaphore task {task['id']} ended error:" in done.stdout
        assert re.search(r"fatal: \[localhost\]: FAILED! => .*Semaphore task", done.stdout)
        _ok, _changed, failed = recap(done.stdout)
        assert failed == 1


def test_ci_deploy_misspelt_template(tmp_path, collections_path):
    """ci_deploy.yml with a template that does not exist: nothing launched, the module's message, exit 2."""
    with simulator(tmp_path) as sim:
        done = run_example(collections_path, tmp_path, "ci_deploy", "-e", '{"deploy_template": "Deploy ap"}',
                           SEMAPHORE_URL=sim.url, SEMAPHORE_USERNAME="admin", SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        assert done.returncode == 2
        assert sim.state()["tasks"] == []
        assert re.search(r'fatal: \[localhost\]: FAILED! => \{"changed": false, "msg": "Not launched: no template named '
                         r"'Deploy ap'; existing template names: .*Deploy app", done.stdout)


@pytest.mark.parametrize("profile", ["2.10", "2.16"])
def test_module_defaults_counts_the_active_tokens(tmp_path, collections_path, profile):
    """module_defaults.yml: the token count it prints is the number of the user's active tokens.

    3 tokens, one revoked: 2.10 still lists the revoked one (expired), 2.16 deletes it; both print 2.
    """
    with simulator(tmp_path, profile) as sim:
        session = login(sim)
        tokens = [new_token(session, sim) for _index in range(3)]
        revoked = session.delete(f"{sim.url}/api/user/tokens/{tokens[2] if profile == '2.10' else tokens[2][:8]}",
                                 timeout=10)
        assert revoked.status_code == 204
        session.post(sim.url + "/api/auth/logout", timeout=10)
        sim.control("DELETE", "log")
        active = [token for token in sim.state()["tokens"] if token["user"] == "admin" and not token["expired"]]
        assert len(active) == 2
        done = run_example(collections_path, tmp_path, "module_defaults", SEMAPHORE_URL=sim.url,
                           SEMAPHORE_API_TOKEN=tokens[0])
        assert done.returncode == 0
        task = only_task(sim)
        assert task["status"] == "success"
        assert task_result(done.stdout, "Summarise")["msg"] == (
            f"{len(active)} active API token(s); task {task['id']} is success")
        # Every request used the token of module_defaults, none a password login.
        assert {entry["auth"] for entry in sim.log() if entry["path"].startswith("/api/")} == {"bearer"}


def test_module_defaults_with_a_password(tmp_path, collections_path):
    """Without SEMAPHORE_API_TOKEN: logs in with the password; the user has no token, and it says 0."""
    with simulator(tmp_path) as sim:
        done = run_example(collections_path, tmp_path, "module_defaults", SEMAPHORE_URL=sim.url,
                           SEMAPHORE_USERNAME="admin", SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        assert done.returncode == 0
        task = only_task(sim)
        assert task_result(done.stdout, "Summarise")["msg"] == f"0 active API token(s); task {task['id']} is success"
        assert sim.state()["sessions_active"] == 0


def test_stop_task(tmp_path, collections_path):
    """stop_task.yml: "Slow job" (30 s) is launched, stopped at once, and the play says so."""
    with simulator(tmp_path) as sim:
        started = time.monotonic()
        done = run_example(collections_path, tmp_path, "stop_task", SEMAPHORE_URL=sim.url,
                           SEMAPHORE_USERNAME="admin", SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        assert done.returncode == 0
        assert time.monotonic() - started < 25
        task = only_task(sim)
        assert (task["template_id"], task["status"], task["finished"]) == (3, "stopped", True)
        assert task_result(done.stdout, "Show the final status")["msg"] == f"Task {task['id']} is stopped"
        assert recap(done.stdout) == (3, 2, 0)


def test_task_output_later(tmp_path, collections_path):
    """task_output_later.yml: launched without waiting, then the last 20 lines read once it ended."""
    with simulator(tmp_path) as sim:
        token = new_token(login(sim), sim)
        done = run_example(collections_path, tmp_path, "task_output_later", SEMAPHORE_URL=sim.url,
                           SEMAPHORE_API_TOKEN=token)
        assert done.returncode == 0
        task = only_task(sim)
        assert (task["template_id"], task["status"]) == (1, "success")
        shown = task_result(done.stdout, "Show them")["msg"]
        assert shown["status"] == "success"
        output = requests.get(f"{sim.url}/api/project/1/tasks/{task['id']}/output", timeout=10,
                              headers={"Authorization": f"Bearer {token}"}).json()
        assert shown["output"] == [ANSI.sub("", line["output"]) for line in output][-20:]
        assert any(line.startswith("web2 : ok=3") for line in shown["output"])
        # The launch returned at once: the task was still running when the play went on to wait.
        assert "launched: " + f"{sim.url}/project/1/templates/1?t={task['id']}" in done.stdout


# --- make demo / make doc / make sim, with the Makefile's own command lines ---------------------------

def make_env(tmp_path: Path) -> dict:
    """The environment of a newcomer's shell: no ANSIBLE_* or SEMAPHORE_* settings of ours."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ANSIBLE_", "SEMAPHORE_", "MAKE", "MFLAGS"))}
    env["HOME"] = str(tmp_path / "home")  # no ~/.ansible.cfg, no ~/.ansible of the machine
    (tmp_path / "home").mkdir(exist_ok=True)
    return env


def make(tmp_path: Path, *args: str) -> list[str]:
    # -o: never rebuild the virtualenv from a test (`make systests` has just made it current).
    return ["make", "--no-print-directory", "-C", str(REPO), "-o", ".venv/.stamp", f"DEMO_BUILD={tmp_path / 'build'}",
            *args]


def test_make_demo_prints_no_warning(tmp_path):
    """`make demo` (build, install, simulator, playbook) prints no [WARNING]."""
    done = subprocess.run(make(tmp_path, "demo"), capture_output=True, text=True, timeout=300, check=False,
                          env=make_env(tmp_path))
    print(done.stdout, done.stderr)
    assert done.returncode == 0
    assert [line for line in (done.stdout + done.stderr).splitlines() if "[WARNING]" in line] == []
    version = re.search(r"^version: *(\S+)", (REPO / "galaxy.yml").read_text(), re.MULTILINE).group(1)
    assert "semaphore.api:{0} was installed successfully".format(version) in done.stdout
    assert "TASK [Revoke the API token]" in done.stdout
    assert recap(done.stdout) == (5, 3, 0)


def test_make_doc(tmp_path):
    """`make doc MODULE=semaphore_task` shows the module's documentation; without MODULE, the list."""
    env = dict(make_env(tmp_path), PAGER="cat", ANSIBLE_PAGER="cat")
    done = subprocess.run(make(tmp_path, "doc", "MODULE=semaphore_task"), capture_output=True, text=True,
                          timeout=300, check=False, env=env)
    print(done.stdout, done.stderr)
    assert done.returncode == 0
    assert "semaphore.api.semaphore_task" in done.stdout and "OPTIONS" in done.stdout
    assert "not found" not in done.stdout + done.stderr
    listed = subprocess.run(make(tmp_path, "doc"), capture_output=True, text=True, timeout=300, check=False, env=env)
    assert listed.returncode == 0
    for module in ("semaphore_task", "semaphore_task_info", "semaphore_token", "semaphore_token_info"):
        assert f"semaphore.api.{module} " in listed.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("profile", ["2.10"])
def test_make_sim(tmp_path, profile):
    """`make sim PROFILE=2.10 PORT=n`: a banner with the URL, users, exports and a command that works
    when pasted; Ctrl-C (SIGINT to the foreground group) stops it."""
    port = free_port()
    out = tmp_path / "sim.out"
    with open(out, "w", encoding="utf-8") as sink:
        process = subprocess.Popen(make(tmp_path, "sim", f"PROFILE={profile}", f"PORT={port}"), stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=make_env(tmp_path),
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "then try" not in out.read_text(encoding="utf-8"):
            assert process.poll() is None, out.read_text(encoding="utf-8")
            assert time.monotonic() < deadline, out.read_text(encoding="utf-8")
            time.sleep(0.2)
        time.sleep(0.5)  # the rest of the banner
        banner = out.read_text(encoding="utf-8")
        print(banner)
        url = f"http://127.0.0.1:{port}"
        assert f"Semaphore simulator (profile {profile}) at {url}" in banner
        assert re.search(rf"^  admin +{re.escape(ADMIN_PASSWORD)} +admin, owner in Demo", banner, re.MULTILINE)
        assert re.search(r"^  member +Member-Secret1 +task_runner in Demo", banner, re.MULTILINE)
        assert re.search(r'^  Demo: "Deploy app", "Failing job", "Slow job"', banner, re.MULTILINE)
        exports = [line.strip() for line in banner.splitlines() if line.startswith("  export ")]
        assert exports[:3] == [f"export SEMAPHORE_URL={url}", "export SEMAPHORE_USERNAME=admin",
                               f"export SEMAPHORE_PASSWORD={shlex.quote(ADMIN_PASSWORD)}"]
        command = next(line.strip() for line in banner.splitlines() if " -m semaphore.api.semaphore_task " in line)
        assert command.endswith("""localhost -m semaphore.api.semaphore_task -a 'project=Demo template="Deploy app"'""")
        # Paste the lines into a newcomer's shell, in another directory.
        pasted = subprocess.run(["bash", "-c", "\n".join(exports + [command])], capture_output=True, text=True,
                                timeout=120, check=False, cwd=str(tmp_path), env=make_env(tmp_path))
        print(pasted.stdout, pasted.stderr)
        assert pasted.returncode == 0
        assert "localhost | CHANGED" in pasted.stdout and '"status": "success"' in pasted.stdout
        assert "[WARNING]" not in pasted.stdout + pasted.stderr
        state = requests.get(url + "/_sim/state", timeout=10).json()
        assert state["profile"] == profile and [task["status"] for task in state["tasks"]] == ["success"]
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/ping", timeout=5)


def test_project_as_code(tmp_path, collections_path):
    """project_as_code.yml: the project is made once (a second run changes nothing), the export shows
    its templates, and no secret value reaches the output."""
    with simulator(tmp_path) as sim:
        first = run_example(collections_path, tmp_path, "project_as_code", SEMAPHORE_URL=sim.url)
        assert first.returncode == 0
        assert recap(first.stdout)[1] > 0
        second = run_example(collections_path, tmp_path, "project_as_code", SEMAPHORE_URL=sim.url)
        assert second.returncode == 0
        assert recap(second.stdout)[1] == 0, second.stdout
        shown = task_result(second.stdout, "Show the export (secrets are placeholders)")["msg"]
        assert shown.startswith("['Deploy', 'Patch'] in project 'Infrastructure'")
        for output in (first.stdout + first.stderr, second.stdout + second.stderr):
            assert "example-git-password" not in output and "example-db-password" not in output
        session = login(sim)
        projects = session.get(sim.url + "/api/projects", timeout=10).json()
        project = next(item for item in projects if item["name"] == "Infrastructure")
        templates = session.get(f"{sim.url}/api/project/{project['id']}/templates", timeout=10).json()
        assert sorted(item["name"] for item in templates) == ["Deploy", "Patch"]
        schedules = session.get(f"{sim.url}/api/project/{project['id']}/schedules", timeout=10).json()
        assert [(item["name"], item["cron_format"]) for item in schedules] == [("weekly patch", "0 4 * * 0")]
