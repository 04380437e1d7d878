"""Every integration scenario at -vvvv: no password, token secret, session cookie or TOTP code in
Ansible's output (results, warnings, errors, debug lines) or in the simulator's own logs."""
from __future__ import annotations

import os
import re

from conftest import ADMIN_PASSWORD, REPO, ansible_env, local_inventory, run_playbook, simulator

TARGETS = os.environ.get("SYSTEST_SECRET_TARGETS", "semaphore_token semaphore_task semaphore_task_info bad_input faults "
                         "semaphore_key semaphore_environment semaphore_template project_as_code").split()
# The write-only secrets the resource targets send (key secrets, environment secrets): every value
# there starts with this, and the private keys' bodies are these texts.
RESOURCE_SECRETS = ("not-shown", "b3BlbnNzaC1rZXktdjEAAAAA", "not-a-real-key")

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: Run every integration target
      ansible.builtin.include_role:
        name: "{{ item }}"
      loop: "{{ targets }}"
"""

# The documented exception: semaphore_token returns the new secret as ``token``; a task that does
# not set no_log shows it. Such an occurrence is allowed only in exactly that shape.
_TOKEN_RESULT = '"token": "{0}"'


def _hits(text, secret, allow_token_result=False):
    if allow_token_result:
        text = text.replace(_TOKEN_RESULT.format(secret), '"token": <documented result>')
    if secret.isdigit():  # a TOTP code: six digits standing alone
        return len(re.findall(r"(?<![0-9]){0}(?![0-9])".format(secret), text))
    return text.count(secret)


def test_no_secret_in_any_output_at_vvvv(tmp_path, collections_path):
    with simulator(tmp_path, "2.16") as sim:
        config = {
            "semaphore_url": sim.url, "semaphore_username": "admin", "semaphore_password": ADMIN_PASSWORD,
            "semaphore_project": "Demo", "semaphore_template_success": "Deploy app",
            "semaphore_template_failure": "Failing job", "semaphore_template_slow": "Slow job",
            "semaphore_simulator": True, "semaphore_profile": "2.16", "targets": TARGETS,
            "output_dir": str(tmp_path),  # as ansible-test gives each target (project_as_code's backup file)
        }
        env = ansible_env(collections_path, ANSIBLE_ROLES_PATH=str(REPO / "tests" / "integration" / "targets"))
        done, dummy = run_playbook(collections_path, tmp_path, PLAYBOOK, config,
                                   args=["-vvvv", "-i", str(local_inventory(tmp_path))], env=env, timeout=600)
        secrets = sim.control("GET", "secrets")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert "PLAY RECAP" in output and "failed=0" in output
    # The scan must have something to find: the scenarios used the password, minted tokens, logged in
    # and (semaphore_token target) used a TOTP code.
    if "SYSTEST_SECRET_TARGETS" not in os.environ:  # the full set of targets
        assert len(secrets["tokens"]) >= 5 and len(secrets["cookies"]) >= 20 and secrets["totp_codes"]
    sim_logs = (sim.workdir / "sim.log").read_text() + (sim.workdir / "sim.out").read_text()
    assert "/api/auth/login" in sim_logs  # the simulator did log requests
    found = {}
    for kind in ("passwords", "tokens", "cookies", "totp_codes"):
        for secret in secrets[kind]:
            for where, text in (("ansible output", output), ("simulator logs", sim_logs)):
                count = _hits(text, secret, allow_token_result=(kind == "tokens" and where == "ansible output"))
                if count:
                    at = text.find(secret)
                    context = text[max(0, at - 300):at].replace(secret, "<SECRET>") + "<SECRET>"
                    found.setdefault(kind, []).append("{0}x in {1}, after: {2}".format(count, where, context[-300:]))
    if "semaphore_key" in TARGETS:
        for secret in RESOURCE_SECRETS:
            for where, text in (("ansible output", output), ("simulator logs", sim_logs)):
                if secret in text:
                    at = text.find(secret)
                    found.setdefault("resource secrets", []).append("in {0}, after: {1}".format(where, text[max(0, at - 300):at]))
    assert found == {}
