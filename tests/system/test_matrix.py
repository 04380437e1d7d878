"""What every ansible-core of the matrix (tests/matrix.yml) must do, run with that core's own ansible.

A playbook and ad hoc commands that create a token, launch and wait for a task, run a loop of
launches and use async + async_status, against a simulator; and which path each task took: on a
local connection the controller path (it alone prints the launch line on the console at once), with
async the module path (the -v note says so).
"""
from __future__ import annotations

import re
import subprocess

from conftest import ADMIN_PASSWORD, BIN, ansible_env, run_playbook, simulator

PLAY = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/semaphore.api.semaphore:
      url: "{{ url }}"
      username: admin
      password: "{{ password }}"
  tasks:
    - name: Create a token
      semaphore.api.semaphore_token: {name: matrix}
      register: minted
      no_log: true

    - name: Launch and wait, with the token
      semaphore.api.semaphore_task: {api_token: "{{ minted.token }}", username: null, password: null,
                                     project: Demo, template: Deploy app}
      register: deploy

    - name: A loop of launches
      semaphore.api.semaphore_task: {project: Demo, template: Parallel job, wait: false, task_message: "item {{ item }}"}
      loop: [1, 2, 3]
      register: launches

    - name: Launch in the background
      semaphore.api.semaphore_task: {project: Demo, template: Deploy app, wait: false}
      async: 120
      poll: 0
      register: job

    - name: Wait for the background launch
      ansible.builtin.async_status: {jid: "{{ job.ansible_job_id }}"}
      register: launched
      until: launched.finished
      retries: 60
      delay: 1

    - name: Revoke the token
      semaphore.api.semaphore_token: {state: absent, name: matrix}
      register: revoked

    - name: Save the results
      ansible.builtin.copy:
        content: "{{ {'minted': minted.changed, 'deploy': deploy, 'launches': launches.results, 'launched': launched,
                      'revoked': revoked.changed} | to_json }}"
        dest: "{{ results_file }}"
        mode: "0600"
"""


def launch_lines(out: str) -> list[str]:
    """The console lines only the controller path prints, one per launch, at the moment of the launch."""
    return re.findall(r"^semaphore task \d+ launched: \S+$", out, re.MULTILINE)


def test_a_playbook_runs_every_module_and_takes_the_expected_path(tmp_path, collections_path):
    with simulator(tmp_path, "2.18") as sim:
        done, result = run_playbook(collections_path, tmp_path, PLAY, {"url": sim.url, "password": ADMIN_PASSWORD},
                                    args=["-v"])
        tasks = sim.state()["tasks"]
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-2000:]
    assert result["minted"] is True and result["revoked"] is True
    assert result["deploy"]["status"] == "success" and result["deploy"]["recap"]["web1"]["failed"] == 0
    assert [item["status"] for item in result["launches"]] == ["waiting"] * 3
    assert result["launched"]["finished"] == 1 and result["launched"]["task_id"]
    assert len(tasks) == 5
    # The launch and the three loop items ran in the controller's process, the async task as a module.
    assert len(launch_lines(out)) == 4, out[-4000:]
    assert re.findall(r"semaphore\.api: (\S+) runs as a module \(([^)]*)\)", out) == [
        ("semaphore.api.semaphore_task", "async")]


def ad_hoc(env, tmp_path, module, margs, *extra):
    return subprocess.run([str(BIN / "ansible"), "localhost", "-m", "semaphore.api." + module, "-a", margs, "-v", *extra],
                          capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path), check=False)


def test_ad_hoc_commands_run_every_module_and_take_the_expected_path(tmp_path, collections_path):
    with simulator(tmp_path, "2.18") as sim:
        env = ansible_env(collections_path, SEMAPHORE_URL=sim.url, SEMAPHORE_USERNAME="admin",
                          SEMAPHORE_PASSWORD=ADMIN_PASSWORD)
        minted = ad_hoc(env, tmp_path, "semaphore_token", "name=adhoc")
        launched = ad_hoc(env, tmp_path, "semaphore_task", "project=Demo template='Deploy app'")
        background = ad_hoc(env, tmp_path, "semaphore_task", "project=Demo template='Deploy app'", "-B", "60", "-P", "1")
        revoked = ad_hoc(env, tmp_path, "semaphore_token", "state=absent name=adhoc")
        tasks = sim.state()["tasks"]
    for done in (minted, launched, background, revoked):
        assert done.returncode == 0 and "CHANGED" in done.stdout, done.stdout[-3000:] + done.stderr[-2000:]
    assert len(tasks) == 2 and all(task["status"] == "success" for task in tasks)
    assert len(launch_lines(launched.stdout)) == 1 and "runs as a module" not in launched.stdout
    assert "runs as a module" not in minted.stdout + revoked.stdout
    assert "runs as a module (async)" in background.stdout and not launch_lines(background.stdout)
