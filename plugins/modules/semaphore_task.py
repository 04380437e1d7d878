#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_task
short_description: Run a Semaphore template as a task, wait for it and return what happened
version_added: 1.0.0
description:
  - Launches a task from a template of a Semaphore project, by default waits for it to end, and returns
    its status, output, per-host PLAY RECAP and timings. A task that ends with V(error) or V(stopped) fails the module.
  - Overrides the template does not allow are refused before anything is launched, because Semaphore
    would silently ignore them (see O(strict_overrides)).
  - The launch request is never repeated. When its answer is lost, the module fails and lists the tasks
    of this template you created since the attempt, so that you can check them before launching again.
  - With O(state=stopped), stops a running task instead.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.task_wait
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details:
      - Names are resolved and overrides checked; RV(payload) shows what would be sent. No task is launched or stopped.
  diff_mode:
    support: none
options:
  state:
    description:
      - V(started) launches a task from O(template).
      - V(stopped) stops the task O(task_id); nothing changes when it has already ended.
    type: str
    default: started
    choices: [started, stopped]
    version_added: 1.0.0
  project:
    description: The project, by name or numeric id.
    type: raw
    required: true
    version_added: 1.0.0
  template:
    description:
      - The template to run, by name or numeric id. Required with O(state=started).
      - An unknown name fails with the names that exist; a name that several templates share fails with their ids.
    type: raw
    version_added: 1.0.0
  task_id:
    description: The task to stop. Required with O(state=stopped).
    type: int
    version_added: 1.0.0
  force:
    description: With O(state=stopped) (or O(stop_on_timeout)), stop at once instead of letting the run end cleanly.
    type: bool
    default: false
    version_added: 1.0.0
  task_message:
    description:
      - A description of this run, shown in Semaphore's task list. Semaphore field C(message).
      - Not called C(message), a name Ansible reserves for itself.
    type: str
    version_added: 1.0.0
  git_branch:
    description:
      - Run from this branch of the repository instead of the template's. Semaphore field C(git_branch).
      - Semaphore applies it whatever the template's C(allow_override_branch_in_task) says; only its web UI checks that flag.
      - A task field only from Semaphore 2.10.31; refused on older servers (see O(strict_overrides)).
    type: str
    version_added: 1.0.0
  playbook:
    description: Run this playbook file instead of the template's. Semaphore field C(playbook).
    type: str
    version_added: 1.0.0
  inventory:
    description:
      - Use this inventory, by name or numeric id. Semaphore field C(inventory_id).
      - Needs the template's C(allow_override_inventory) (task_params, Semaphore 2.11 and later).
    type: raw
    version_added: 1.0.0
  environment:
    description:
      - Extra variables for the run, sent as the JSON string in Semaphore field C(environment).
      - On Semaphore 2.16 and later they are merged over the template's environment (the task's keys win).
      - Up to 2.15 the template's keys win and the task's only add new ones, and a template without an environment
        makes the launch fail. The module reads the template's environment there and refuses (see O(strict_overrides))
        keys the template would override, or any environment for a template without one.
    type: dict
    version_added: 1.0.0
  secret_environment:
    description:
      - Extra secret variables, not stored by Semaphore. Sent as the JSON string in Semaphore field C(secret).
    type: dict
    version_added: 1.0.0
  arguments:
    description:
      - Extra command-line arguments, for example V(['-e', 'x=1']). Sent as the JSON array string in Semaphore field C(arguments).
      - Needs the template flag C(allow_override_args_in_task).
    type: list
    elements: str
    version_added: 1.0.0
  limit:
    description:
      - Hosts or groups to limit the run to (C(--limit)); a comma-separated string is accepted too.
      - Semaphore field C(params.limit) (2.11 and later) or the top-level C(limit) (up to 2.13; both are sent to 2.11 to 2.13).
      - Needs the template's C(allow_override_limit) on Semaphore 2.14 and later.
    type: list
    elements: str
    version_added: 1.0.0
  tags:
    description:
      - Only run tasks with these tags (C(--tags)). Semaphore field C(params.tags), Semaphore 2.11 and later.
      - Needs the template's C(allow_override_tags) on Semaphore 2.14 and later.
    type: list
    elements: str
    version_added: 1.0.0
  skip_tags:
    description:
      - Skip tasks with these tags (C(--skip-tags)). Semaphore field C(params.skip_tags), Semaphore 2.11 and later.
      - Needs the template's C(allow_override_skip_tags) on Semaphore 2.14 and later.
    type: list
    elements: str
    version_added: 1.0.0
  debug:
    description:
      - Run with extra verbosity. Semaphore field C(params.debug) (top-level C(debug) up to 2.13).
      - Needs the template's C(allow_debug) on Semaphore 2.13 and later.
    type: bool
    version_added: 1.0.0
  debug_level:
    description: Verbosity with O(debug), 1 to 6 (V(4) means C(-vvvv)). Semaphore field C(params.debug_level).
    type: int
    choices: [1, 2, 3, 4, 5, 6]
    version_added: 1.0.0
  semaphore_dry_run:
    description:
      - Run the playbook with C(--check). Semaphore field C(params.dry_run) (top-level C(dry_run) up to 2.13).
      - Named so it cannot be confused with Ansible's own check mode, which makes this module launch nothing.
    type: bool
    version_added: 1.0.0
  semaphore_diff:
    description:
      - Run the playbook with C(--diff). Semaphore field C(params.diff) (top-level C(diff) up to 2.13).
      - Not related to Ansible's own diff mode for this module.
    type: bool
    version_added: 1.0.0
  params:
    description:
      - 'Raw C(params) for the task, merged under the options above; for Terraform/OpenTofu templates for example
        V({"plan": true}), V({"destroy": true}) or V({"auto_approve": true}). Semaphore 2.11 and later.'
      - Values must have the types Semaphore expects, or the server answers HTTP 500.
      - C(auto_approve) counts from Semaphore 2.16, and only when the template allows it (C(allow_auto_approve)) or
        approves by itself; otherwise the plan waits for confirmation, so the module refuses it (see O(strict_overrides)).
    type: dict
    version_added: 1.0.0
  strict_overrides:
    description:
      - Fail before launching when a requested override is not allowed by the template's flags, or not supported
        by the server's version, because Semaphore would silently ignore it.
      - V(false) launches anyway and turns each refusal into a warning.
    type: bool
    default: true
    version_added: 1.0.0
  if_running:
    description:
      - What to do when a task of this template is already waiting or running.
      - V(launch) queues another one (Semaphore runs one task per template at a time unless the template allows parallel tasks).
      - V(skip) launches nothing and returns the active task, unchanged, without waiting.
      - V(fail) fails and names the active tasks.
    type: str
    default: launch
    choices: [launch, skip, fail]
    version_added: 1.0.0
  wait:
    description:
      - Wait for the task to end. With V(false), return right after the launch.
      - With O(state=stopped), wait until the stopped task has reached V(stopped).
    type: bool
    default: true
    version_added: 1.0.0
  stop_on_timeout:
    description: When O(wait_timeout) passes, stop the task before failing.
    type: bool
    default: false
    version_added: 1.0.0
notes:
  - Only V(success), V(error) and V(stopped) end a wait; V(waiting_confirmation) is handled by O(confirm).
  - Stopping a task that has already ended would overwrite its final status with V(stopped) on the server, so the
    module reads the task first and leaves ended tasks alone.
seealso:
  - module: semaphore.api.semaphore_task_info
'''

EXAMPLES = r'''
- name: Deploy and wait for the result
  semaphore.api.semaphore_task:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Demo
    template: Deploy app
    task_message: "release {{ release }}"
    git_branch: "release/{{ release }}"
    environment:
      version: "{{ release }}"
    limit: web1,web2
    tags: [deploy]
  register: deploy

- name: Show the hosts that changed
  ansible.builtin.debug:
    msg: "{{ deploy.recap | dict2items | selectattr('value.changed', 'gt', 0) | map(attribute='key') }}"

# A CI deploy step: wait for the task, fail the play when it fails, and show why.
- name: Deploy from CI
  block:
    - name: Run the deploy template and wait for it
      semaphore.api.semaphore_task:
        project: Demo
        template: Deploy app
        git_branch: "{{ lookup('ansible.builtin.env', 'CI_COMMIT_REF_NAME') }}"
        wait_timeout: 1800
        stop_on_timeout: true
      register: deploy
  rescue:
    - name: Show the end of the task's output
      ansible.builtin.debug:
        var: ansible_failed_result.output
    - name: Fail the pipeline with the task's page
      ansible.builtin.fail:
        msg: >-
          Semaphore task {{ ansible_failed_result.task_id | default('?') }}
          ended {{ ansible_failed_result.status | default('badly') }}: {{ ansible_failed_result.url | default('') }}

# Connection settings once for every semaphore.api module of the play.
- name: Nightly runs
  module_defaults:
    group/semaphore.api.semaphore:
      url: https://semaphore.example.com
      api_token: "{{ vault_semaphore_token }}"
  block:
    - name: Backup
      semaphore.api.semaphore_task:
        project: Demo
        template: Nightly backup
    - name: Report
      semaphore.api.semaphore_task:
        project: Demo
        template: Nightly report
        wait: false

# Ad-hoc, with the connection in environment variables:
#   export SEMAPHORE_URL=https://semaphore.example.com SEMAPHORE_API_TOKEN=...
#   ansible localhost -m semaphore.api.semaphore_task -a 'project=Demo template="Deploy app"'

- name: Launch a dry run with --check --diff, do not wait
  semaphore.api.semaphore_task:
    project: 1
    template: 3
    semaphore_dry_run: true
    semaphore_diff: true
    wait: false

- name: Run only when no run of this template is active
  semaphore.api.semaphore_task:
    project: Demo
    template: Nightly backup
    if_running: skip

- name: Apply a Terraform plan, approving it, for at most 30 minutes
  semaphore.api.semaphore_task:
    project: Infra
    template: Terraform apply
    confirm: confirm
    wait_timeout: 1800
    stop_on_timeout: true

- name: Stop a task
  semaphore.api.semaphore_task:
    project: Demo
    task_id: "{{ deploy.task_id }}"
    state: stopped
'''

RETURN = r'''
msg:
  description:
    - 'What happened, in one line, for example C(task 57 ended with status success), C(task 57 launched (waiting); not
      waited for), C(nothing launched: template 3 already has task 56 running (if_running=skip)),
      C(task 57 had already ended (success); nothing to stop), or the reason of a failure.'
  returned: always
  type: str
  sample: task 57 ended with status success
task_id:
  description: The id of the task launched, found running (O(if_running=skip)) or stopped.
  returned: when a task was launched, found or stopped (not in check mode, which launches nothing)
  type: int
  sample: 57
status:
  description: The task's last status seen; V(success), V(error) or V(stopped) once it has ended.
  returned: when a task was launched, found or stopped
  type: str
  sample: success
task:
  description: The task object as the server returned it last.
  returned: when a task was launched, found or stopped
  type: dict
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
    created:
      description: When the task was queued.
      type: str
      sample: '2025-10-14T09:12:33Z'
    start:
      description: When it started running (absent or null before).
      type: str
      sample: '2025-10-14T09:12:39Z'
    end:
      description: When it ended (absent or null before).
      type: str
      sample: '2025-10-14T09:13:02Z'
    params:
      description: The task's params (Semaphore 2.11 and later).
      type: dict
      sample: {diff: true, limit: [web1]}
  sample: {id: 57, template_id: 3, project_id: 1, status: success, created: '2025-10-14T09:12:33Z'}
output:
  description: The last O(output_lines) lines of the task's output, without ANSI colour codes.
  returned: when the wait ended (also on failure and timeout)
  type: list
  elements: str
  sample: ['PLAY RECAP *********', 'web1 : ok=3 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0']
failed_hosts:
  description: The hosts the output's PLAY RECAP counts as failed or unreachable, in the recap's order; empty when none.
  returned: when the wait ended (also on failure and timeout)
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
  returned: when the wait ended (also on failure and timeout)
  type: list
  elements: str
  sample: ['fatal: [web1]: FAILED! => {"changed": false, "msg": "failing on purpose"}']
  version_added: 2.1.0
recap:
  description: The counts of the output's last PLAY RECAP per host; null when the output has none.
  returned: when the wait ended (also on failure and timeout)
  type: dict
  contains:
    ok:
      description: Tasks that were ok.
      type: int
      sample: 3
    changed:
      description: Tasks that changed something.
      type: int
      sample: 1
    unreachable:
      description: Unreachable count.
      type: int
      sample: 0
    failed:
      description: Failed tasks.
      type: int
      sample: 0
    skipped:
      description: Skipped tasks.
      type: int
      sample: 0
    rescued:
      description: Rescued tasks.
      type: int
      sample: 0
    ignored:
      description: Failures ignored.
      type: int
      sample: 0
  sample: {web1: {ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0}}
created:
  description: When the task was queued (RFC 3339, server time).
  returned: when a task was launched, found or stopped
  type: str
  sample: '2025-10-14T09:12:33Z'
started_at:
  description:
    - When the task started running, or null.
    - Named C(started) up to 1.0.0; renamed because Ansible's C(async_status) reads a result key C(started).
  returned: when a task was launched, found or stopped
  type: str
  sample: '2025-10-14T09:12:39Z'
finished_at:
  description:
    - When the task ended, or null.
    - Named C(finished) up to 1.0.0; renamed because Ansible's C(async_status) reads a result key C(finished).
  returned: when a task was launched, found or stopped
  type: str
  sample: '2025-10-14T09:13:02Z'
duration:
  description: Seconds from start to end, or null.
  returned: when a task was launched, found or stopped
  type: float
  sample: 23.0
queued_seconds:
  description: Seconds from being queued to starting, or null.
  returned: when a task was launched, found or stopped
  type: float
  sample: 6.0
url:
  description: The task's page in Semaphore's web UI.
  returned: when a task was launched, found or stopped
  type: str
  sample: https://semaphore.example.com/project/1/templates/3?t=57
payload:
  description: The launch request body (sent, or in check mode the one that would be sent); the secret variables are hidden.
  returned: with O(state=started), unless resolving or an override check failed
  type: dict
  sample: {template_id: 3, message: nightly, params: {diff: true, limit: [web1]}}
project_id:
  description: The project's id.
  returned: always
  type: int
  sample: 1
template_id:
  description: The template's id.
  returned: success
  type: int
  sample: 3
orphaned:
  description: True when the task was given up on as orphaned (see O(orphan_timeout)); with O(on_orphan=stop) it was also stopped.
  returned: when the wait found the task orphaned
  type: bool
  sample: true
  version_added: 2.1.0
refused_overrides:
  description: Overrides the template does not allow (the module failed, or warned with O(strict_overrides=false)).
  returned: when there are any
  type: list
  elements: str
  sample: [limit, arguments]
skipped_launch:
  description: True when O(if_running=skip) found an active task and launched nothing.
  returned: when no task was launched because of O(if_running=skip)
  type: bool
  sample: true
possible_tasks:
  description: Tasks of this template created by you since a launch whose answer was lost.
  returned: when the launch request failed without a clear answer
  type: list
  elements: dict
  sample: [{id: 58, status: running, created: '2025-10-14T09:12:33Z'}]
stopped_on_timeout:
  description: True when the task was stopped because O(wait_timeout) passed.
  returned: when O(stop_on_timeout) stopped the task
  type: bool
  sample: true
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._task_runner import WAIT_ARGSPEC, TaskRunner, task_option_conflicts


SPEC = dict(
    argument_spec=dict(
        state=dict(type='str', default='started', choices=['started', 'stopped']),
        project=dict(type='raw', required=True),
        template=dict(type='raw'),
        task_id=dict(type='int'),
        force=dict(type='bool', default=False),
        task_message=dict(type='str'),
        git_branch=dict(type='str'),
        playbook=dict(type='str'),
        inventory=dict(type='raw'),
        environment=dict(type='dict'),
        secret_environment=dict(type='dict', no_log=True),
        arguments=dict(type='list', elements='str'),
        limit=dict(type='list', elements='str'),
        tags=dict(type='list', elements='str'),
        skip_tags=dict(type='list', elements='str'),
        debug=dict(type='bool'),
        debug_level=dict(type='int', choices=[1, 2, 3, 4, 5, 6]),
        semaphore_dry_run=dict(type='bool'),
        semaphore_diff=dict(type='bool'),
        params=dict(type='dict'),
        strict_overrides=dict(type='bool', default=True),
        if_running=dict(type='str', default='launch', choices=['launch', 'skip', 'fail']),
        wait=dict(type='bool', default=True),
        stop_on_timeout=dict(type='bool', default=False),
        **WAIT_ARGSPEC
    ),
    required_if=[('state', 'started', ('template',)), ('state', 'stopped', ('task_id',))],
    supports_check_mode=True,
)


def run_module(module):
    problem = task_option_conflicts(module.params)
    if problem:
        module.fail_json(msg=problem)
    with module.client() as client:
        runner = TaskRunner(client, module.params, check_mode=module.check_mode, warn=module.warn, console=module.console,
                            notice=module.notice)
        try:
            result = runner.stop() if module.params['state'] == 'stopped' else runner.launch()
        except SemaphoreError as exc:
            module.fail_from_error(exc, **getattr(exc, 'result', {}))
    module.exit_json(**result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
