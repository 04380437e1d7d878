#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_project
short_description: Manage a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes a Semaphore project, by name.
  - Semaphore creates a key named C(None) (type V(none)) and an environment named C(Empty) with every new
    project; the user who creates it becomes its owner.
  - B(Deleting a project deletes everything in it), its templates, task history, keys, repositories,
    inventories, environments and schedules included. Check mode shows what would be deleted without deleting it.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Reads only; the result and the diff show what would be sent.
  diff_mode:
    support: full
    details: The diff shows the managed fields before and after.
options:
  name:
    description:
      - The project's name, which identifies it.
      - Semaphore does not keep project names unique; when two projects you can see share the name the
        module fails and names their ids rather than guess (give O(id) then).
    type: str
    required: true
  id:
    description:
      - The project's id. When given, it identifies the project and O(name) renames it.
    type: int
  state:
    description:
      - V(present) creates the project, or updates it when a field differs. Options left unset keep the server's values.
      - V(absent) deletes the project B(and everything in it).
    type: str
    choices: [present, absent]
    default: present
  alert:
    description:
      - Whether Semaphore sends alerts (e-mail, chat) when a task of the project fails.
    type: bool
  alert_chat:
    description:
      - The chat (Telegram chat id) alerts go to.
    type: str
  max_parallel_tasks:
    description:
      - How many tasks of the project may run at once; V(0) means no limit of its own.
    type: int
notes:
  - Creating a project needs an admin, unless the server lets every user create projects.
    Updating or deleting one needs its owner or an admin.
'''

EXAMPLES = r'''
- name: The infrastructure project, at most two tasks at once
  semaphore.api.semaphore_project:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    name: Infrastructure
    max_parallel_tasks: 2

- name: Delete a project and everything in it
  semaphore.api.semaphore_project:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    name: Sandbox
    state: absent
'''

RETURN = r'''
project:
  description: The project as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 1, name: Infrastructure, created: "2026-12-04T10:00:00Z", alert: false, alert_chat: null, max_parallel_tasks: 2, type: ""}
id:
  description: The project's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 1
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: project 'Infrastructure' created
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import PROJECT_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        PROJECT_ARGSPEC,
        alert=dict(type='bool'),
        alert_chat=dict(type='str'),
        max_parallel_tasks=dict(type='int'),
    ),
    supports_check_mode=True,
)


def run_module(module):
    if (module.params['max_parallel_tasks'] or 0) < 0:
        module.fail_json(msg='max_parallel_tasks must not be negative')
    run_resource_module(module, 'project')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
