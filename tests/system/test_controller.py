"""The controller path (action plugins), live output, async and ad hoc -B/-P, with real ansible processes.

On a local connection the modules run in the controller's process; with async, or with
semaphore_api_in_process=false, they run as modules. Both must give the same results.
"""
from __future__ import annotations

import json
import subprocess

import pytest

from conftest import ADMIN_PASSWORD, BIN, ansible_env, local_inventory, run_playbook, simulator

LIVE_PLAY = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Deploy with live output
      semaphore.api.semaphore_task:
        url: "{{ url }}"
        username: admin
        password: "{{ password }}"
        project: Demo
        template: Deploy app
        live_output: true
        use_websocket: "{{ socket }}"
      register: deploy
      no_log: "{{ hide }}"

    - name: Save the result
      ansible.builtin.copy:
        content: "{{ deploy | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""

ASYNC_PLAY = """
- hosts: all
  gather_facts: false
  module_defaults:
    group/semaphore.api.semaphore:
      url: "{{ url }}"
      username: admin
      password: "{{ password }}"
  tasks:
    - name: Launch in the background
      semaphore.api.semaphore_task: {project: Demo, template: Deploy app, wait: false}
      async: 120
      poll: 0
      register: launch_job

    - name: Wait for the launch job
      ansible.builtin.async_status: {jid: "{{ launch_job.ansible_job_id }}"}
      register: launched
      until: launched.finished
      retries: 60
      delay: 1

    - name: Each other module in the background, polled
      semaphore.api.semaphore_task_info: {project: Demo, task_id: "{{ launched.task_id }}", wait: true}
      async: 120
      poll: 1
      register: info

    - name: Tokens in the background
      semaphore.api.semaphore_token_info: {}
      async: 60
      poll: 1
      register: tokens

    - name: A token in the background, revoked the same way
      semaphore.api.semaphore_token: {}
      async: 60
      poll: 1
      register: minted
      no_log: true

    - name: Revoke it
      semaphore.api.semaphore_token: {state: absent, token: "{{ minted.token }}"}
      async: 60
      poll: 1
      no_log: true

    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'launched': launched, 'info': info, 'tokens': tokens, 'minted': minted.changed} | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""


@pytest.mark.parametrize("socket", [True, False])
def test_live_output_reaches_the_console_before_the_task_result(tmp_path, collections_path, socket):
    with simulator(tmp_path, "2.16") as sim:
        done, result = run_playbook(collections_path, tmp_path, LIVE_PLAY,
                                    {"url": sim.url, "password": ADMIN_PASSWORD, "socket": socket, "hide": False},
                                    args=["-i", str(local_inventory(tmp_path))])
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-2000:]
    task_id = result["task_id"]
    prefix = "[semaphore task {0}] ".format(task_id)
    lines = [line[len(prefix):] for line in out.splitlines() if line.startswith(prefix)]
    # Every output line, in order, then the task's own result line.
    assert lines == result["output"]
    assert out.index("semaphore task {0} launched: {1}".format(task_id, result["url"])) < out.index(prefix)
    assert out.rindex(prefix) < out.index("\nchanged: [h0]")
    assert result["recap"]["web1"]["ok"] >= 1


def test_no_log_shows_no_line(tmp_path, collections_path):
    with simulator(tmp_path, "2.16") as sim:
        done, result = run_playbook(collections_path, tmp_path, LIVE_PLAY,
                                    {"url": sim.url, "password": ADMIN_PASSWORD, "socket": True, "hide": True},
                                    args=["-i", str(local_inventory(tmp_path))])
    assert done.returncode == 0, done.stdout[-3000:]
    assert "[semaphore task" not in done.stdout and "launched:" not in done.stdout
    assert result["status"] == "success"  # the run happened; only its lines stayed off the console


def test_async_and_async_status_work_for_every_module(tmp_path, collections_path):
    with simulator(tmp_path, "2.16") as sim:
        done, result = run_playbook(collections_path, tmp_path, ASYNC_PLAY, {"url": sim.url, "password": ADMIN_PASSWORD},
                                    args=["-i", str(local_inventory(tmp_path)), "-v"])
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert result["launched"]["finished"] == 1 and result["launched"]["status"] == "waiting"
    assert result["info"]["status"] == "success" and result["info"]["finished_at"]
    assert isinstance(result["tokens"]["tokens"], list) and result["minted"] is True
    assert "runs as a module (async)" in out


@pytest.mark.parametrize("module, margs", [
    ("semaphore_task", "project=Demo template='Deploy app'"),
    ("semaphore_task_info", "project=Demo template='Deploy app' limit=1"),
    ("semaphore_token_info", ""),
])
def test_ad_hoc_background_runs_finish(tmp_path, collections_path, module, margs):
    with simulator(tmp_path, "2.16") as sim:
        env = ansible_env(collections_path, SEMAPHORE_URL=sim.url, SEMAPHORE_USERNAME="admin",
                          SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        done = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "semaphore.api." + module, "-a", margs,
                               "-B", "60", "-P", "1"], capture_output=True, text=True, timeout=120, env=env,
                              cwd=str(tmp_path), check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "did not complete" not in done.stdout and "SUCCESS" in done.stdout or "CHANGED" in done.stdout


def test_the_module_path_gives_the_same_result(tmp_path, collections_path):
    results = {}
    for in_process in (True, False):
        with simulator(tmp_path / str(in_process), "2.16") as sim:
            env = ansible_env(collections_path, SEMAPHORE_URL=sim.url, SEMAPHORE_USERNAME="admin",
                              SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
            done = subprocess.run([str(BIN / "ansible"), "localhost", "-m", "semaphore.api.semaphore_task", "-v",
                                   "-a", "project=Demo template='Deploy app' limit=web1,web2 debug=true",
                                   "-e", "semaphore_api_in_process={0}".format(in_process)],
                                  capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path), check=False)
        assert done.returncode == 0, done.stdout[-3000:]
        body = done.stdout[done.stdout.index("{"):done.stdout.rindex("}") + 1]
        results[in_process] = json.loads(body)
        assert ("runs as a module" in done.stdout) is (not in_process)
    varying = ("task", "created", "started_at", "finished_at", "duration", "queued_seconds", "url")  # per run and port

    def same(result):
        return {key: value for key, value in result.items() if key not in varying}

    assert same(results[True]) == same(results[False])
    assert results[True]["payload"]["params"] == {"debug": True, "limit": ["web1", "web2"]}
