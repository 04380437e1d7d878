"""hack/with-simulator.sh (semaphore_sim.harness): the command sees the simulator, gets its exit code
back, and the simulator is stopped afterwards, also when the wrapper is told to stop."""
from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import REPO, seed_admin

WRAPPER = str(REPO / "hack" / "with-simulator.sh")
SHOW = "echo $SEMAPHORE_URL $SEMAPHORE_SIM_PROFILE $SEMAPHORE_SIM_DIR $SEMAPHORE_SIM_USERNAME ${PYTHONPATH-none}; "


def wrapper_env() -> dict:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return dict(env, VENV=str(REPO / ".venv"), SIM_START_TIMEOUT="30")


def test_runs_the_command_against_a_simulator_and_stops_it(tmp_path):
    state = tmp_path / "state"
    done = subprocess.run([WRAPPER, "--profile", "2.10", "--state-dir", str(state), "--admin-env", "--", "bash", "-c",
                           SHOW + 'test "$SEMAPHORE_PASSWORD" = "$SEMAPHORE_SIM_PASSWORD" || exit 9; '
                           'curl -sf "$SEMAPHORE_URL/api/ping" >/dev/null || exit 8; exit 3'],
                          capture_output=True, text=True, timeout=120, env=wrapper_env(), check=False)
    print(done.stdout, done.stderr)
    assert done.returncode == 3
    url, profile, directory, username, pythonpath = done.stdout.split()
    assert (profile, directory, username, pythonpath) == ("2.10", str(state), seed_admin()[0], "none")
    assert f"with-simulator: profile 2.10 at {url}" in done.stderr
    assert (state / "sim.url").read_text() == url and "listening on" in (state / "sim.log").read_text()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/ping", timeout=5)


@pytest.mark.parametrize("signum, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_wrapper_stops_the_simulator(tmp_path, signum, code):
    state = tmp_path / "state"
    process = subprocess.Popen([WRAPPER, "--state-dir", str(state), "--", "sleep", "60"], env=wrapper_env(),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not (state / "sim.url").exists():
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        url = (state / "sim.url").read_text()
        time.sleep(0.5)
        os.killpg(process.pid, signum)  # as a terminal or CI runner would: the whole group
        assert process.wait(timeout=30) == code
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/api/ping", timeout=5)


def test_usage_errors():
    for args, message in ((["--bogus"], "with-simulator: unknown option --bogus"),
                          (["--"], "with-simulator: no command given")):
        done = subprocess.run([WRAPPER, *args], capture_output=True, text=True, timeout=30, env=wrapper_env(),
                              check=False)
        assert (done.returncode, done.stderr.strip()) == (2, message)


def test_a_simulator_that_cannot_start(tmp_path):
    done = subprocess.run([WRAPPER, "--profile", "9.9", "--state-dir", str(tmp_path), "--", "true"],
                          capture_output=True, text=True, timeout=60, env=wrapper_env(), check=False)
    assert done.returncode == 1
    assert done.stderr.startswith("with-simulator: simulator exited early; its log:\n")
    assert "invalid choice: '9.9'" in done.stderr
