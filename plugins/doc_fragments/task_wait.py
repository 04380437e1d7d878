# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How semaphore_task and semaphore_task_info wait for a task and return its output."""

    DOCUMENTATION = r'''
options:
  wait_timeout:
    description:
      - How many seconds to wait at most for the task to end (status V(success), V(error) or V(stopped)).
      - The limit holds even when single requests are slow; each request's own timeout is cut to the time left.
      - V(0) waits without limit.
    type: float
    default: 3600
    version_added: 1.0.0
  poll_interval:
    description:
      - The longest pause, in seconds, between two reads of the task while waiting without the websocket.
      - The first reads come quickly, so a short task is seen finished at once. When the template ran
        before, reads are sparse at first and dense (under a second apart) around the end its recent runs
        predict.
      - While the websocket is connected, the task is only read again as a safety net (after 15, 30, then every 60 seconds).
    type: float
    default: 30
    version_added: 1.0.0
  use_websocket:
    description:
      - Listen to Semaphore's C(/api/ws) event stream to learn at once that the task has ended.
      - Needs the Python library C(websocket-client); without it, or when the socket cannot be opened,
        the module polls. The socket uses the same credentials, O(validate_certs), O(ca_path) and O(timeout) as every request.
      - The end is always confirmed by reading the task, so a lost event can only delay the result.
    type: bool
    default: true
    version_added: 1.0.0
  live_output:
    description:
      - While waiting, print the task's output lines on the controller's console as Semaphore produces them,
        each prefixed with C([semaphore task <id>]), with ANSI colours kept only when Ansible's output is in colour.
      - Lines come from the websocket's C(log) events, or without the websocket from the output read at the
        poll times the wait already uses (one more request per poll).
      - 'Needs the task to run on the controller (the usual C(hosts: localhost), C(connection: local) or
        C(delegate_to: localhost), without C(async)); elsewhere the module warns that it has no console.
        A task with C(no_log) shows no lines. The result (RV(output), RV(recap)) is the same either way.'
      - Off by default so that a playbook's log does not grow by the size of every task's output; turn it on
        for a play or a CI job with E(SEMAPHORE_LIVE_OUTPUT=true) or O(live_output) in C(module_defaults).
      - If not set, the value of the E(SEMAPHORE_LIVE_OUTPUT) environment variable is used.
    type: bool
    default: false
    version_added: 2.0.0
  output_lines:
    description:
      - How many of the last output lines to return in RV(output), with ANSI colour codes removed.
      - V(-1) returns all lines, V(0) returns none. RV(recap) is parsed from the whole output either way.
    type: int
    default: 200
    version_added: 1.0.0
  confirm:
    description:
      - What to do when the task reaches V(waiting_confirmation) (a Terraform/OpenTofu plan waiting for approval).
      - V(none) stops waiting at once and fails, naming the task and its URL; the task keeps waiting in
        Semaphore for someone to confirm or reject it. (Up to 1.0.0 it waited until O(wait_timeout).)
      - V(wait) keeps waiting until someone confirms or rejects it in Semaphore (a warning says so).
      - V(confirm) and V(reject) answer the confirmation once and then keep waiting for the end.
        V(reject) needs Semaphore 2.11 or later and is refused before anything is launched on older servers.
      - On Semaphore 2.16 and later a Terraform template may approve by itself (template C(auto_approve)), or
        allow a task to ask for it with O(semaphore.api.semaphore_task#module:params)C(.auto_approve) (template
        C(allow_auto_approve)); otherwise C(params.auto_approve) is an override the server ignores.
    type: str
    default: none
    choices: [none, confirm, reject, wait]
    version_added: 1.0.0
  orphan_timeout:
    description:
      - Semaphore does not resume a task after its own process restarts (server issues 1385 and 3287); the task
        keeps the status V(running) with no new output until someone stops it.
      - When the wait sees the server go away (refused or reset connections, the websocket closing) and the task
        then shows no new output line and no status change for this many seconds, the module fails at once
        (RV(orphaned)) instead of waiting out O(wait_timeout).
      - 'While the task is V(waiting), the module says once (a warning, also on the console on the controller)
        what it is queued behind: the active tasks of its template, or of its project when the project''s
        C(max_parallel_tasks) is reached. A task ahead of it that is V(running) with no new output for this many
        seconds is named as possibly orphaned (after a restart, or when its process died: server issue 3681),
        with how to stop it; the timeout message says the same.'
      - V(0) turns both checks off. A task that legitimately prints nothing for longer needs a higher value.
    type: float
    default: 60
    version_added: 2.1.0
  on_orphan:
    description:
      - What to do with an orphaned task (see O(orphan_timeout)).
      - V(fail) fails and leaves it; Semaphore shows it as V(running) until it is stopped, and it may hold its
        template or its project's queue.
      - V(stop) stops it first (force), so that the template is free again, then fails.
    type: str
    default: fail
    choices: [fail, stop]
    version_added: 2.1.0
requirements:
  - websocket-client (optional, for prompt notice of a task's end)
'''
