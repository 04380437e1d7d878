"""Fake but realistic task output: server lines, ansible-playbook and terraform logs (§6.4).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

GREEN = "\x1b[0;32m"
YELLOW = "\x1b[0;33m"
RED = "\x1b[0;31m"
CYAN = "\x1b[0;36m"
RESET = "\x1b[0m"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

STEPS = ("common : install packages", "common : configure users", "nginx : install", "nginx : template config",
         "app : fetch release", "app : migrate database", "app : restart service", "monitoring : register")


def strip_ansi(text: str) -> str:
    """Remove ANSI escape sequences (raw_output, §6.4)."""
    return _ANSI.sub("", text)


def _banner(title: str) -> str:
    return (title + " ").ljust(79, "*")


def queued_line(task_id: int) -> str:
    """The line written when a task enters the queue."""
    return f"Task {task_id} added to queue"


def preparation_lines(task_id: int, template_name: str, git_url: str, template_id: int) -> list[str]:
    """Server lines written while the task is ``starting``."""
    return [
        f"Started: {task_id}",
        f"Run TaskRunner with template: {template_name}",
        f"Preparing: {task_id}",
        f"Cloning Repository {git_url}",
        f"Cloning into 'repository_1_template_{template_id}'...",
        "Get current commit hash",
        "Get current commit message",
        "installing static inventory",
        "No collections/requirements.yml file found. Skip galaxy install process.",
        "No roles/requirements.yml file found. Skip galaxy install process.",
    ]


def recap_lines(hosts: list[str], failed: bool) -> list[str]:
    """PLAY RECAP with one line per host; the first host has failed=1 on error."""
    lines = ["", _banner("PLAY RECAP")]
    for index, host in enumerate(hosts):
        bad = failed and index == 0
        ok_count = 2 if bad else 3
        changed = 0 if bad else 1
        lines.append(f"{host} : ok={ok_count} changed={changed} unreachable=0 failed={int(bad)} "
                     f"skipped=0 rescued=0 ignored=0")
    lines.append("")
    return lines


def ansible_lines(total: int, hosts: list[str], failed: bool) -> Iterator[str]:
    """Yield about ``total`` lines of an ansible-playbook run ending with a PLAY RECAP."""
    recap = recap_lines(hosts, failed)
    yield _banner("PLAY [all]")
    yield ""
    yield _banner("TASK [Gathering Facts]")
    for host in hosts:
        yield f"{GREEN}ok: [{host}]{RESET}"
    budget = max(total - 4 - len(hosts) - len(recap) - (3 if failed else 0), 0)
    per_step = len(hosts) + 2
    steps = max(budget // per_step, 1)
    for index in range(steps):
        yield ""
        yield _banner(f"TASK [{STEPS[index % len(STEPS)]}]")
        for host in hosts:
            if index % 3 == 1:
                yield f"{YELLOW}changed: [{host}]{RESET}"
            else:
                yield f"{GREEN}ok: [{host}]{RESET}"
    for index in range(budget - steps * per_step):  # pad to exactly ``total`` lines
        yield f"{GREEN}ok: [{hosts[index % len(hosts)]}] => (item=file_{index}){RESET}"
    if failed:
        yield ""
        yield (f"{RED}fatal: [{hosts[0]}]: FAILED! => {{\"changed\": false, "
               f"\"msg\": \"Service app failed to start\"}}{RESET}")
    yield from recap
    if failed:
        # Semaphore's own last line after ansible-playbook exits non-zero (recorded on 2.10.32).
        yield "Running app failed: exit status 2"


def terraform_plan_lines(total: int) -> list[str]:
    """Lines of ``terraform plan`` (before waiting_confirmation)."""
    lines = ["Initializing the backend...", "Initializing provider plugins...",
             f"{GREEN}Terraform has been successfully initialized!{RESET}", "",
             "Terraform will perform the following actions:", ""]
    filler = max(total - len(lines) - 2, 0)
    lines.extend(f"  {GREEN}+{RESET} resource \"null_resource\" \"item_{index}\" {{ id = (known after apply) }}"
                 for index in range(filler))
    lines.extend(["", f"Plan: {max(filler, 1)} to add, 0 to change, 0 to destroy."])
    return lines


def terraform_apply_lines(total: int, failed: bool) -> list[str]:
    """Lines of ``terraform apply`` after confirmation."""
    lines = [f"null_resource.item_{index}: Creating..." for index in range(max(total - 2, 0))]
    if failed:
        lines.append(f"{RED}Error: apply failed{RESET}")
    else:
        lines.append(f"{GREEN}Apply complete! Resources: {max(total - 2, 1)} added, 0 changed, 0 destroyed.{RESET}")
    return lines
