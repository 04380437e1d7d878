#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_project_info
short_description: Read a Semaphore project with its keys, repositories, inventories, environments and templates
version_added: 2.2.0
description:
  - Returns one project and what it holds. Key secrets and environment secret values are never returned
    (the server does not give them); environment secrets are listed by name and type.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
  - semaphore.api.attributes.INFO_MODULE
options:
  project:
    description:
      - The project, by name or id.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: What the project holds
  semaphore.api.semaphore_project_info:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
  register: infrastructure

- name: Its repositories' URLs
  ansible.builtin.debug:
    msg: "{{ infrastructure.repositories | map(attribute='git_url') }}"
'''

RETURN = r'''
project:
  description: The project.
  returned: always
  type: dict
  sample: {id: 1, name: Infrastructure, alert: false, max_parallel_tasks: 2}
keys:
  description: Its access keys, without secrets.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: None, type: none, project_id: 1}]
repositories:
  description: Its repositories.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: playbooks, git_url: "https://github.com/example/playbooks.git", git_branch: main, ssh_key_id: 1}]
inventories:
  description: Its inventories.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: production, type: static, inventory: "[web]\nweb1\n", ssh_key_id: 1}]
environments:
  description: Its environments, each with its secrets by id, name and type.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: Empty, json: "{}", secrets: []}]
templates:
  description: Its templates.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: Deploy app, playbook: deploy.yml, inventory_id: 1, repository_id: 1, environment_id: 1}]
msg:
  description: A summary.
  returned: always
  type: str
  sample: "project 'Infrastructure': 2 keys, 1 repository, 1 inventory, 1 environment, 3 templates"
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import project_contents

SPEC = dict(
    argument_spec=dict(project=dict(type='str', required=True)),
    supports_check_mode=True,
)


def run_module(module):
    with module.client() as client:
        try:
            result = project_contents(client, module.params['project'])
        except SemaphoreError as exc:
            module.fail_from_error(exc, changed=False)
    module.exit_json(changed=False, **result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
