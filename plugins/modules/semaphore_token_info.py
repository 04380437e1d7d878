#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_token_info
short_description: List the API tokens of the Semaphore user you authenticate as
version_added: 1.0.0
description:
  - Lists the API tokens of the authenticated user, newest first, without ever returning a secret.
  - Servers up to 2.13 list full secrets; this module still returns only their 8-character prefixes.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
  - semaphore.api.attributes.INFO_MODULE
options:
  active_only:
    description: Only list tokens that still work (not expired, not past their expiry date).
    type: bool
    default: false
    version_added: 1.0.0
seealso:
  - module: semaphore.api.semaphore_token
'''

EXAMPLES = r'''
- name: List my tokens
  semaphore.api.semaphore_token_info:
    url: https://semaphore.example.com
    username: admin
    password: "{{ semaphore_admin_password }}"
  register: my_tokens

- name: Revoke every token older than the newest one
  semaphore.api.semaphore_token:
    url: https://semaphore.example.com
    username: admin
    password: "{{ semaphore_admin_password }}"
    token: "{{ item.prefix }}"
    state: absent
  loop: "{{ my_tokens.tokens[1:] }}"
  loop_control:
    label: "{{ item.prefix }}"
'''

RETURN = r'''
msg:
  description: How many tokens were listed, and how many are active.
  returned: always
  type: str
  sample: 3 token(s) listed, 2 active
tokens:
  description: The user's tokens, newest first, without secrets.
  returned: always
  type: list
  elements: dict
  contains:
    prefix:
      description: The first 8 characters of the secret.
      type: str
      sample: kwofd61g
    name:
      description: The token's name (Semaphore 2.18 and later), or null.
      type: str
      sample: ci-pipeline
    created:
      description: When the token was created (RFC 3339, UTC).
      type: str
      sample: '2025-05-21T02:35:12Z'
    expired:
      description: Whether the token was expired (only servers up to 2.13 expire tokens; later ones delete them).
      type: bool
      sample: false
    expires_at:
      description: When the token stops working (Semaphore 2.18 and later), or null.
      type: str
      sample: '2027-01-31T00:00:00Z'
    active:
      description: Whether the token still works.
      type: bool
      sample: true
    user_id:
      description: The id of the user the token belongs to.
      type: int
      sample: 1
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._tokens import TokenManager, is_active, token_view


SPEC = dict(
    argument_spec=dict(active_only=dict(type='bool', default=False)),
    supports_check_mode=True,
)


def run_module(module):
    with module.client() as client:
        try:
            raw_tokens = TokenManager(client).tokens()
        except SemaphoreError as exc:
            module.fail_from_error(exc)
    tokens = [dict(token_view(raw), active=is_active(raw)) for raw in raw_tokens]
    if module.params['active_only']:
        tokens = [token for token in tokens if token['active']]
    active = len([token for token in tokens if token['active']])
    module.exit_json(changed=False, tokens=tokens, msg='{0} token(s) listed, {1} active'.format(len(tokens), active))


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
