#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_template
short_description: Manage a task template of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes a task template of a Semaphore project, by name.
  - Inventory, repository, environment, view and vault keys are given by name (or id).
  - A flag or an app the server's version does not have is refused with the release that has it,
    rather than sent and silently dropped.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  state:
    description:
      - V(absent) deletes the template B(and every task it ran, with their output, and its schedules),
        as Semaphore does.
  app:
    description:
      - What the template runs. V(ansible) when a template is created without it.
      - V(terragrunt) and V(pulumi) need a newer Semaphore (2.10 refuses them, and does so only after
        it created the template; the module refuses them first).
    type: str
    choices: [ansible, terraform, tofu, bash, powershell, python, terragrunt, pulumi]
  playbook:
    description:
      - The playbook (or script) in the repository. Needed to create a template, except for
        Terraform-like apps.
    type: str
  repository:
    description:
      - The repository (by name or id) the playbook comes from. Needed to create a template.
    type: str
  inventory:
    description:
      - The inventory (by name or id). Needed to create an V(ansible) template; a Terraform-like
        template created without one gets a workspace inventory made by Semaphore.
    type: str
  environment:
    description:
      - The environment (by name or id).
    type: str
  view:
    description:
      - The view (tab, by title or id) the template is shown in.
    type: str
  description:
    description:
      - A description.
    type: str
  git_branch:
    description:
      - The branch this template checks out instead of the repository's.
    type: str
  arguments:
    description:
      - Extra command-line arguments, one per element (Semaphore keeps them as a JSON list).
    type: list
    elements: str
  vaults:
    description:
      - The vault passwords of the template, each a key (by name or id) of type V(login_password)
        whose password unlocks an Ansible Vault, with an optional vault id name. The list replaces
        the template's vaults.
    type: list
    elements: dict
    suboptions:
      key:
        description:
          - The key, by name or id.
        type: str
        required: true
      name:
        description:
          - The vault id (C(--vault-id name@...)); none for the default vault.
        type: str
  survey_vars:
    description:
      - The variables a user is asked for when running the template in the web UI. The list replaces
        the template's survey variables.
    type: list
    elements: dict
    suboptions:
      name:
        description: The variable's name.
        type: str
        required: true
      title:
        description: What the form shows.
        type: str
        required: true
      description:
        description: A help text.
        type: str
      type:
        description: V(int), V(enum), or empty for a string.
        type: str
        choices: ['', int, enum]
        default: ''
      required:
        description: Whether a value is required.
        type: bool
        default: false
      values:
        description: The choices of an V(enum) variable.
        type: list
        elements: dict
      default_value:
        description: The value the form starts with (Semaphore 2.19 or later).
        type: str
  suppress_success_alerts:
    description:
      - Send no alert when a task of this template succeeds.
    type: bool
  allow_override_args_in_task:
    description:
      - A task may set its own O(arguments) (semaphore.api.semaphore_task's O(semaphore.api.semaphore_task#module:arguments)).
    type: bool
  allow_override_branch_in_task:
    description:
      - The web UI lets a task choose its branch (Semaphore 2.14 or later).
    type: bool
  allow_debug:
    description:
      - A task may ask for debug output (kept in the template's C(task_params); Semaphore 2.11 or later).
    type: bool
  allow_override_inventory:
    description:
      - A task may use another inventory (C(task_params); Semaphore 2.11 or later).
    type: bool
  allow_override_limit:
    description:
      - A task may set a limit (C(task_params); Semaphore 2.11 or later, checked from 2.14).
    type: bool
  allow_override_tags:
    description:
      - A task may set tags (C(task_params); Semaphore 2.11 or later, checked from 2.14).
    type: bool
  allow_override_skip_tags:
    description:
      - A task may set tags to skip (C(task_params); Semaphore 2.11 or later, checked from 2.14).
    type: bool
  allow_parallel_tasks:
    description:
      - Tasks of this template may run at the same time (Semaphore 2.16.1 or later; before, one runs at a time).
    type: bool
notes:
  - A flag set to V(true) for a server that does not have it fails the module, naming the release
    that has it; V(false) is accepted there (it is what that server does).
  - semaphore.api.semaphore_task reads the same flags to refuse overrides a template does not allow.
'''

EXAMPLES = r'''
- name: The deploy template
  semaphore.api.semaphore_template:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: Deploy
    playbook: deploy.yml
    repository: playbooks
    inventory: production
    environment: production
    view: Deploys
    arguments: ["--diff"]
    allow_override_limit: true
    survey_vars:
      - {name: version, title: Version to deploy, required: true}

- name: A Terraform template (Semaphore makes its workspace inventory)
  semaphore.api.semaphore_template:
    project: Infrastructure
    name: Network
    app: terraform
    playbook: network/
    repository: terraform

- name: Remove a template, and the tasks it ran
  semaphore.api.semaphore_template:
    project: Infrastructure
    name: Old deploy
    state: absent
'''

RETURN = r'''
template:
  description: The template as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 3, name: Deploy, project_id: 1, playbook: deploy.yml, app: ansible, repository_id: 1, inventory_id: 2,
           environment_id: 1, view_id: 1, arguments: '["--diff"]', vaults: [], survey_vars: []}
id:
  description: The template's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 3
project_id:
  description: The id of the project.
  returned: always
  type: int
  sample: 1
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: template 'Deploy' updated, arguments, task_params.allow_override_limit
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import (
    RESOURCE_ARGSPEC,
    TEMPLATE_APPS,
    run_resource_module,
)

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        app=dict(type='str', choices=list(TEMPLATE_APPS)),
        playbook=dict(type='str'),
        repository=dict(type='str'),
        inventory=dict(type='str'),
        environment=dict(type='str'),
        view=dict(type='str'),
        description=dict(type='str'),
        git_branch=dict(type='str'),
        arguments=dict(type='list', elements='str', no_log=False),
        vaults=dict(type='list', elements='dict', no_log=False, options=dict(
            key=dict(type='str', required=True, no_log=False),
            name=dict(type='str'),
        )),
        survey_vars=dict(type='list', elements='dict', options=dict(
            name=dict(type='str', required=True),
            title=dict(type='str', required=True),
            description=dict(type='str'),
            type=dict(type='str', choices=['', 'int', 'enum'], default=''),
            required=dict(type='bool', default=False),
            values=dict(type='list', elements='dict'),
            default_value=dict(type='str'),
        )),
        suppress_success_alerts=dict(type='bool'),
        allow_override_args_in_task=dict(type='bool'),
        allow_override_branch_in_task=dict(type='bool'),
        allow_debug=dict(type='bool'),
        allow_override_inventory=dict(type='bool'),
        allow_override_limit=dict(type='bool'),
        allow_override_tags=dict(type='bool'),
        allow_override_skip_tags=dict(type='bool'),
        allow_parallel_tasks=dict(type='bool'),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'template')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
