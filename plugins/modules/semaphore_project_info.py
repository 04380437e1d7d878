#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_project_info
short_description: Read a Semaphore project with what it holds, or export it as code
version_added: 2.2.0
description:
  - Returns one project and what it holds. Key secrets and environment secret values are never returned
    (the server does not give them); environment secrets are listed by name and type.
  - With O(as_code=true) it also returns the project as code, which the role C(semaphore.api.project)
    applies to this or any other Semaphore server.
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
  as_code:
    description:
      - Also return RV(as_code), the project as one structure the role C(semaphore.api.project) applies, with
        the options of each module (semaphore.api.semaphore_key, semaphore.api.semaphore_repository,
        semaphore.api.semaphore_inventory, semaphore.api.semaphore_environment, semaphore.api.semaphore_view,
        semaphore.api.semaphore_template, semaphore.api.semaphore_schedule), objects named instead of
        ids, each secret replaced by a placeholder, its name (C(key/deploy),
        C(environment/production/var/db_password)), under which the role looks its value up, and
        what is unset (no reference, a zero, a null) left out.
      - Names link the objects, so the export fails when two objects of one kind share a name.
    type: bool
    default: false
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

- name: Export the project as code, to review in git and apply with the role semaphore.api.project
  semaphore.api.semaphore_project_info:
    project: Infrastructure
    as_code: true
  register: exported

- name: Keep it in a file
  ansible.builtin.copy:
    content: "{{ exported.as_code | to_nice_yaml(indent=2, sort_keys=false) }}"
    dest: infrastructure.yml
    mode: "0644"
  delegate_to: localhost
'''

RETURN = r'''
project:
  description: The project.
  returned: always
  type: dict
  sample: {id: 1, name: Infrastructure, alert: false, max_parallel_tasks: 2}
access_keys:
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
views:
  description: Its views (tabs).
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, title: Deploys, position: 0, project_id: 1}]
schedules:
  description: Its schedules.
  returned: always
  type: list
  elements: dict
  sample: [{id: 1, name: nightly, template_id: 3, cron_format: "30 2 * * *", active: true}]
server_version:
  description: The server's version (V(unknown) for a build that does not say, taken as the newest).
  returned: always
  type: str
  sample: 2.10.32
features:
  description:
    - What the server's version has, by the names of the collection's version table (for example
      C(template_task_params), C(template_branch_override), C(template_parallel_tasks), C(token_names)),
      so that a playbook can set only the template flags the server has.
  returned: always
  type: dict
  sample: {template_task_params: false, template_parallel_tasks: false, token_names: false}
as_code:
  description:
    - The project as code (O(as_code=true)); each list holds the options of its module.
  returned: when O(as_code=true)
  type: dict
  sample:
    name: Infrastructure
    alert: false
    alert_chat: ''
    max_parallel_tasks: 0
    access_keys: [{name: deploy, type: ssh, secret: key/deploy}, {name: None, type: none}]
    repositories: [{name: playbooks, git_url: "git@github.com:example/playbooks.git", git_branch: main, ssh_key: deploy}]
    inventories: [{name: production, type: static, inventory: "[web]\nweb1\n", ssh_key: deploy}]
    environments: [{name: production, extra_vars: {app_env: prod}, env_vars: {}, secrets: [{name: db_password, type: var,
                   secret: environment/production/var/db_password}]}]
    views: [{name: Deploys, position: 0}]
    templates: [{name: Deploy, app: ansible, playbook: deploy.yml, repository: playbooks, inventory: production,
                 environment: production, view: Deploys, arguments: [], vaults: [], survey_vars: []}]
    schedules: [{name: nightly, template: Deploy, cron_format: "30 2 * * *", active: true}]
msg:
  description: A summary.
  returned: always
  type: str
  sample: "project 'Infrastructure': 2 keys, 1 repositories, 1 inventories, 1 environments, 1 views, 3 templates, 1 schedules"
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import project_as_code, project_contents

SPEC = dict(
    argument_spec=dict(project=dict(type='str', required=True), as_code=dict(type='bool', default=False)),
    supports_check_mode=True,
)


def run_module(module):
    with module.client() as client:
        try:
            result = project_contents(client, module.params['project'])
            if module.params['as_code']:
                result['as_code'] = project_as_code(client, result['project']['id'])
        except SemaphoreError as exc:
            module.fail_from_error(exc, changed=False)
    module.exit_json(changed=False, **result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
