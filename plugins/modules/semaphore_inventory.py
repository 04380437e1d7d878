#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_inventory
short_description: Manage an inventory of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes an inventory of a Semaphore project, by name.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  type:
    description:
      - V(static) (INI text in O(inventory)), V(static-yaml) (YAML text), V(file) (a path in O(repository),
        or on the Semaphore server), V(terraform-workspace) and V(tofu-workspace) (a Terraform or OpenTofu
        workspace name).
      - V(tofu-workspace) needs a Semaphore that has it (2.16 does; 2.10 refuses it with an error).
      - Needed to create an inventory.
    type: str
    choices: [static, static-yaml, file, terraform-workspace, tofu-workspace]
  inventory:
    description:
      - The inventory's text, its path (V(file)) or the workspace name.
    type: str
  ssh_key:
    description:
      - The key (by name or id) Ansible connects to the hosts with.
    type: str
  become_key:
    description:
      - The key (by name or id) that gives the become password.
    type: str
  repository:
    description:
      - The repository (by name or id) that holds a V(file) inventory.
    type: str
'''

EXAMPLES = r'''
- name: A static inventory
  semaphore.api.semaphore_inventory:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: production
    type: static
    inventory: |
      [web]
      web1.example.com
      web2.example.com
    ssh_key: deploy key
'''

RETURN = r'''
inventory:
  description: The inventory as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 3, name: production, project_id: 1, type: static, inventory: "[web]\nweb1\n", ssh_key_id: 4, become_key_id: null, repository_id: null}
id:
  description: The inventory's id (null when it does not exist, or would be created in check mode).
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
  sample: inventory 'production' created
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import INVENTORY_TYPES, RESOURCE_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        type=dict(type='str', choices=list(INVENTORY_TYPES)),
        inventory=dict(type='str'),
        ssh_key=dict(type='str', no_log=False),
        become_key=dict(type='str', no_log=False),
        repository=dict(type='str'),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'inventory')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
