#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_environment
short_description: Manage an environment (variables and secrets) of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes an environment of a Semaphore project, by name, with its extra variables,
    its environment variables and its secrets.
  - Secret values are write-only; the server shows a secret's name and type, never its value. With
    O(update_secret=on_create) (the default) a value is sent when its secret is created, and later runs
    report no change. With O(update_secret=always) every listed secret is sent again on every run
    (deleted and created anew, which works on every Semaphore version; 2.10 cannot update a secret in place).
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  extra_vars:
    description:
      - Extra variables passed to every task that uses the environment. Sent as the JSON text the server keeps.
      - An environment is created with V({}) when this is not given.
    type: dict
  env_vars:
    description:
      - Environment variables of the tasks' processes.
    type: dict
  secrets:
    description:
      - The environment's secrets. When given, these are its secrets; missing ones are created and
        those not listed are deleted. When not given, the secrets are left as they are.
    type: list
    elements: dict
    suboptions:
      name:
        description: The variable's name.
        type: str
        required: true
      value:
        description:
          - The secret value. Needed when the secret is created, and with O(update_secret=always); a
            secret that exists may be listed without it (as the role semaphore.api.project does when
            it is not given the value).
        type: str
      type:
        description: V(var) for an extra variable, V(env) for an environment variable.
        type: str
        choices: [var, env]
        default: var
  update_secret:
    description:
      - V(on_create) sends a value when its secret is created.
      - V(always) sends every listed value on every run (and reports a change).
    type: str
    choices: [on_create, always]
    default: on_create
'''

EXAMPLES = r'''
- name: The production environment
  semaphore.api.semaphore_environment:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: production
    extra_vars:
      app_version: "1.4.2"
      replicas: 3
    env_vars:
      ANSIBLE_FORCE_COLOR: "0"
    secrets:
      - name: db_password
        value: "{{ vault_db_password }}"
      - name: AWS_SECRET_ACCESS_KEY
        type: env
        value: "{{ vault_aws_secret }}"
'''

RETURN = r'''
environment:
  description: The environment as the server returned it; its secrets by id, name and type only.
  returned: always
  type: dict
  sample: {id: 2, name: production, project_id: 1, json: '{"app_version": "1.4.2"}', env: '{}', secrets: [{id: 7, name: db_password, type: var}]}
id:
  description: The environment's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 2
project_id:
  description: The id of the project.
  returned: always
  type: int
  sample: 1
secret_sent:
  description: Set to V(secrets) when secret values were sent (or would be, in check mode).
  returned: when secrets are sent
  type: str
  sample: secrets
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: environment 'production' updated, json
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCE_ARGSPEC, SECRET_TYPES, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        extra_vars=dict(type='dict'),
        env_vars=dict(type='dict'),
        secrets=dict(type='list', elements='dict', no_log=False, options=dict(
            name=dict(type='str', required=True),
            value=dict(type='str', no_log=True),
            type=dict(type='str', choices=list(SECRET_TYPES), default='var'),
        )),
        update_secret=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'environment')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
