#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_task_info
short_description: Read Semaphore tasks, their status and output
version_added: 1.0.0
description:
  - With O(task_id), returns one task with its status, output (without ANSI codes), PLAY RECAP and timings,
    optionally after waiting for it to end.
  - Without O(task_id), lists the recent tasks of a project, or of one template, newest first.
  - Never changes anything on the server (O(confirm) is ignored).
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.task_wait
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
  - semaphore.api.attributes.INFO_MODULE
options:
  project:
    description: The project, by name or numeric id.
    type: raw
    required: true
    version_added: 1.0.0
  task_id:
    description: The task to read.
    type: int
    version_added: 1.0.0
  template:
    description: Without O(task_id), only list this template's tasks (by name or numeric id).
    type: raw
    version_added: 1.0.0
  limit:
    description: Without O(task_id), how many recent tasks to list, from 1 to 200 (the server's own bound).
    type: int
    default: 20
    version_added: 1.0.0
  wait:
    description: With O(task_id), wait for the task to end before returning it (it fails only on O(wait_timeout)).
    type: bool
    default: false
    version_added: 1.0.0
seealso:
  - module: semaphore.api.semaphore_task
'''

EXAMPLES = r'''
- name: Read a task and its last 50 output lines
  semaphore.api.semaphore_task_info:
    project: Demo
    task_id: 57
    output_lines: 50
  register: task

- name: Wait for a task launched earlier with wait=false
  semaphore.api.semaphore_task_info:
    project: Demo
    task_id: "{{ launched.task_id }}"
    wait: true
    wait_timeout: 600
  register: finished

- name: The ten latest runs of a template
  semaphore.api.semaphore_task_info:
    project: Demo
    template: Deploy app
    limit: 10
  register: history
'''

RETURN = r'''
msg:
  description: What was read, in one line, for example C(task 57 has ended with status success) or C(5 task(s) found, newest first).
  returned: always
  type: str
  sample: task 57 has ended with status success
task_id:
  description: The task's id.
  returned: with O(task_id)
  type: int
  sample: 57
status:
  description: The task's status; V(success), V(error) or V(stopped) once it has ended.
  returned: with O(task_id)
  type: str
  sample: success
task:
  description: The task object as the server returned it.
  returned: with O(task_id)
  type: dict
  sample: {id: 57, template_id: 3, project_id: 1, status: success, created: '2025-10-14T09:12:33Z'}
output:
  description: The last O(output_lines) output lines, without ANSI colour codes.
  returned: with O(task_id)
  type: list
  elements: str
  sample: ['PLAY RECAP *********', 'web1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0']
failed_hosts:
  description: The hosts the output's PLAY RECAP counts as failed or unreachable, in the recap's order; empty when none.
  returned: with O(task_id)
  type: list
  elements: str
  sample: [web1, web2]
  version_added: 2.1.0
error_lines:
  description:
    - For a task that did not succeed, the output lines that say why (at most 20, without ANSI colour codes) -
      Ansible's C(fatal:) and C([ERROR]) lines, Semaphore's own (C(Failed updating repository), C(Running app failed),
      C(Failed to install inventory)...), and git's or Terraform's errors. Empty for a task that succeeded.
    - 'RV(msg) of a failed task quotes the first reason, for example
      C(task 57 ended with status error: failed on web1, web2: failing on purpose).'
  returned: with O(task_id)
  type: list
  elements: str
  sample: ['fatal: [web1]: FAILED! => {"changed": false, "msg": "failing on purpose"}']
  version_added: 2.1.0
orphaned:
  description: True when the task was given up on as orphaned (see O(orphan_timeout)); with O(on_orphan=stop) it was also stopped.
  returned: when the wait found the task orphaned
  type: bool
  sample: true
  version_added: 2.1.0
recap:
  description: The counts of the output's last PLAY RECAP per host (keys C(ok), C(changed), C(unreachable), C(failed),
    C(skipped), C(rescued), C(ignored)); null when there is none.
  returned: with O(task_id)
  type: dict
  sample: {web1: {ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0}}
created:
  description: When the task was queued.
  returned: with O(task_id)
  type: str
  sample: '2025-10-14T09:12:33Z'
started_at:
  description:
    - When the task started running, or null.
    - Named C(started) up to 1.0.0; renamed because Ansible's C(async_status) reads a result key C(started).
  returned: with O(task_id)
  type: str
  sample: '2025-10-14T09:12:39Z'
finished_at:
  description:
    - When the task ended, or null.
    - Named C(finished) up to 1.0.0; renamed because Ansible's C(async_status) reads a result key C(finished).
  returned: with O(task_id)
  type: str
  sample: '2025-10-14T09:13:02Z'
duration:
  description: Seconds from start to end, or null.
  returned: with O(task_id)
  type: float
  sample: 23.0
queued_seconds:
  description: Seconds from being queued to starting, or null.
  returned: with O(task_id)
  type: float
  sample: 6.0
url:
  description: The task's page in Semaphore's web UI.
  returned: with O(task_id)
  type: str
  sample: https://semaphore.example.com/project/1/templates/3?t=57
project_id:
  description: The project's id.
  returned: always
  type: int
  sample: 1
template_id:
  description: The task's template id.
  returned: with O(task_id)
  type: int
  sample: 3
tasks:
  description: The recent tasks, newest first, as the server lists them, each with its web UI C(url) added.
  returned: without O(task_id)
  type: list
  elements: dict
  contains:
    id:
      description: Task id.
      type: int
      sample: 57
    template_id:
      description: Template id.
      type: int
      sample: 3
    status:
      description: Status.
      type: str
      sample: success
    tpl_alias:
      description: The template's name.
      type: str
      sample: Deploy app
    user_name:
      description: Who started the task.
      type: str
      sample: Administrator
    url:
      description: The task's page in the web UI.
      type: str
      sample: https://semaphore.example.com/project/1/templates/3?t=57
  sample: [{id: 57, template_id: 3, status: success, tpl_alias: Deploy app}]
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._task_runner import WAIT_ARGSPEC, TaskRunner, info_option_conflicts


SPEC = dict(
    argument_spec=dict(
        project=dict(type='raw', required=True),
        task_id=dict(type='int'),
        template=dict(type='raw'),
        limit=dict(type='int', default=20),
        wait=dict(type='bool', default=False),
        **WAIT_ARGSPEC
    ),
    mutually_exclusive=[('task_id', 'template')],
    supports_check_mode=True,
)


def run_module(module):
    problem = info_option_conflicts(module.params)
    if not 1 <= module.params['limit'] <= 200:
        # The server clamps other values to 200 rows without saying so (§6.2 of docs/server-behaviour.md).
        problem = 'limit must be between 1 and 200, got {0}'.format(module.params['limit'])
    if problem:
        module.fail_json(msg=problem)
    # An info module never answers a confirmation: it waits for whoever does.
    params = dict(module.params, confirm='wait')
    with module.client() as client:
        try:
            result = TaskRunner(client, params, warn=module.warn, console=module.console, notice=module.notice).info()
        except SemaphoreError as exc:
            module.fail_from_error(exc, **getattr(exc, 'result', {}))
    module.exit_json(**result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
