#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_key
short_description: Manage an access key of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes an access key (the Key Store) of a Semaphore project, by name.
  - A key's secret (O(ssh) or O(login_password), logins included) is write-only on every Semaphore
    version; the server never shows it again, so the module cannot see whether it changed.
    With O(update_secret=on_create) (the default) the secret is sent when the key is created or its
    O(type) changes, and later runs report no change. With O(update_secret=always) it is sent on
    every run, which then reports a change.
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
      - The kind of key. Needed to create a key.
      - V(none) for public repositories, V(ssh) for a private key, V(login_password) for a login and password.
      - Changing the type sends the new secret, which must then be given (O(ssh) or O(login_password)).
    type: str
    choices: [none, ssh, login_password]
  ssh:
    description:
      - The secret of an V(ssh) key. Needed whenever that secret is sent.
    type: dict
    suboptions:
      login:
        description: The user name that goes with the key.
        type: str
      private_key:
        description: The private key, as PEM text.
        type: str
        required: true
      passphrase:
        description: The passphrase of the private key, if it has one.
        type: str
  login_password:
    description:
      - The secret of a V(login_password) key. Needed whenever that secret is sent.
    type: dict
    suboptions:
      login:
        description: The login.
        type: str
      password:
        description: The password.
        type: str
        required: true
  update_secret:
    description:
      - V(on_create) sends the secret when the key is created or its type changes.
      - V(always) sends it on every run (and reports a change), to rotate a secret.
    type: str
    choices: [on_create, always]
    default: on_create
'''

EXAMPLES = r'''
- name: A deploy key, whose secret is set once
  semaphore.api.semaphore_key:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: deploy key
    type: ssh
    ssh:
      login: deploy
      private_key: "{{ lookup('ansible.builtin.file', 'files/deploy_key') }}"

- name: Rotate a password (the secret is sent every run)
  semaphore.api.semaphore_key:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: registry login
    type: login_password
    login_password:
      login: ci
      password: "{{ registry_password }}"
    update_secret: always

- name: Remove a key no repository or inventory uses any more
  semaphore.api.semaphore_key:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: old key
    state: absent
'''

RETURN = r'''
key:
  description: The key as the server returned it, without any secret (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 4, name: deploy key, type: ssh, project_id: 1}
id:
  description: The key's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 4
project_id:
  description: The id of the project.
  returned: always
  type: int
  sample: 1
secret_sent:
  description: Set to V(secret) when the secret was sent (or would be, in check mode).
  returned: when the secret is sent
  type: str
  sample: secret
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: key 'deploy key' created
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import KEY_TYPES, RESOURCE_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        type=dict(type='str', choices=list(KEY_TYPES)),
        ssh=dict(type='dict', options=dict(
            login=dict(type='str'),
            private_key=dict(type='str', required=True, no_log=True),
            passphrase=dict(type='str', no_log=True),
        )),
        login_password=dict(type='dict', no_log=False, options=dict(
            login=dict(type='str'),
            password=dict(type='str', required=True, no_log=True),
        )),
        update_secret=dict(type='str', choices=['on_create', 'always'], default='on_create', no_log=False),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'key')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
