#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_token
short_description: Manage the API tokens of the Semaphore user you authenticate as
version_added: 1.0.0
description:
  - Ensures that an API token of the authenticated Semaphore user is active, or revokes one.
  - Idempotent on every Semaphore version, although the server shows tokens differently across versions.
    Up to 2.13 the token list holds full secrets and revoking marks a token expired.
    From 2.14 the list holds only 8-character prefixes and revoking deletes.
    From 2.18 tokens can carry a name and an expiry date.
  - Semaphore shows a token's secret only when it is created (from 2.14 on). A token that already exists
    comes back without RV(token), and RV(msg) says so.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff lists the 8-character prefixes of the active tokens before and after, never a secret.
options:
  state:
    description:
      - V(present) ensures an active token exists and returns it.
        With O(token), nothing changes while that token is still active; otherwise a new token is created.
        With O(name), nothing changes while an active token of that name exists.
        Without either, a new token is created every time, on every Semaphore version. A token the user already
        has is never reused, so a play that revokes the token it received (when RV(created)) never revokes one
        made for something else.
      - V(absent) revokes the tokens given by O(token) or O(name). Nothing changes when they are already gone
        or expired.
    type: str
    choices: [present, absent]
    default: present
    version_added: 1.0.0
  token:
    description:
      - A token secret you hold, or (with O(state=absent)) its first 8 characters or more.
      - This is not used to authenticate; use O(api_token) for that.
    type: str
    version_added: 1.0.0
  name:
    description:
      - The token's name. Needs Semaphore 2.18 or later.
      - With O(state=present), an active token of this name is kept, or a new one is created with this name.
    type: str
    version_added: 1.0.0
  expires_at:
    description:
      - When a newly created token stops working, as an RFC 3339 time such as V(2027-01-31T00:00:00Z).
        It must lie in the future. Needs Semaphore 2.18 or later.
      - Only used when a token is created.
    type: str
    version_added: 1.0.0
  rotate:
    description:
      - With O(state=present), revoke the tokens matching O(token) or O(name) and create a new one, so that a
        fresh secret is returned.
    type: bool
    default: false
    version_added: 1.0.0
notes:
  - Protect tasks that receive RV(token) with C(no_log=true).
  - A token passed in O(token) is not echoed back in RV(token); Ansible masks values of secret options.
  - On Semaphore 2.14 and later, tokens are revoked by their 8-character prefix so that the secret never
    appears in a URL.
seealso:
  - module: semaphore.api.semaphore_token_info
  - name: Semaphore API documentation
    description: How to obtain and use API tokens.
    link: https://docs.semaphoreui.com/administration-guide/api
'''

EXAMPLES = r'''
# The flow from the Semaphore docs: log in with a password, obtain a token, use it later.
- name: Obtain an API token with a password
  semaphore.api.semaphore_token:
    url: https://semaphore.example.com
    username: admin
    password: "{{ semaphore_admin_password }}"
    name: ci-pipeline          # Semaphore 2.18+: reuse the token of this name
  register: semaphore_login
  no_log: true

- name: Launch a task with that token
  semaphore.api.semaphore_task:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_login.token }}"
    project: Demo
    template: Deploy app
  when: semaphore_login.token is defined

- name: Keep a stored token alive, replacing it when it was revoked (log in with the password to check)
  semaphore.api.semaphore_token:
    url: https://semaphore.example.com
    username: admin
    password: "{{ semaphore_admin_password }}"
    token: "{{ vault_semaphore_token }}"
  register: kept
  no_log: true

- name: Rotate the token named ci-pipeline
  semaphore.api.semaphore_token:
    url: https://semaphore.example.com
    username: admin
    password: "{{ semaphore_admin_password }}"
    name: ci-pipeline
    rotate: true
  register: rotated
  no_log: true

- name: Revoke a token by its 8-character prefix (as shown by semaphore_token_info)
  semaphore.api.semaphore_token:
    url: https://semaphore.example.com
    api_token: "{{ vault_semaphore_token }}"
    token: kwofd61g
    state: absent

# Ad-hoc, with the connection in environment variables:
#   SEMAPHORE_URL=https://semaphore.example.com SEMAPHORE_USERNAME=admin SEMAPHORE_PASSWORD=... \
#     ansible localhost -m semaphore.api.semaphore_token
'''

RETURN = r'''
token:
  description:
    - The token secret, to use as O(api_token) or in an C(Authorization) header with the C(Bearer) scheme.
    - Returned when the module created the token.
    - Not returned when an existing token was kept (by O(name) or O(token)), since Semaphore 2.14 and later never
      show a secret again, and a secret given in O(token) is not echoed back.
  returned: when created
  type: str
  sample: kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu=
api_token:
  description: The token that is now active (created or kept), without its secret.
  returned: when O(state=present) and not in check mode creating a token
  type: dict
  contains:
    prefix:
      description: The first 8 characters of the secret, as Semaphore shows them.
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
      description: Whether the token was expired (only servers up to 2.13 expire tokens).
      type: bool
      sample: false
    expires_at:
      description: When the token stops working (Semaphore 2.18 and later), or null.
      type: str
      sample: '2027-01-31T00:00:00Z'
    user_id:
      description: The id of the user the token belongs to.
      type: int
      sample: 1
created:
  description:
    - Whether this run created the token in RV(token). Revoke at the end of a play only what a run created
      (a task with C(when) on RV(created)), so that a token kept by O(name) or O(token) stays.
    - False in check mode.
  returned: when O(state=present)
  type: bool
  sample: true
revoked:
  description: The tokens that were revoked (or would be, in check mode), without secrets.
  returned: always
  type: list
  elements: dict
  sample: [{prefix: kwofd61g, name: ci-pipeline, created: '2025-05-21T02:35:12Z', expired: false, expires_at: null, user_id: 1}]
still_accepted:
  description:
    - Prefixes of revoked tokens that the server still accepts. Semaphore up to 2.13 only flags a
      revoked token as expired, and on BoltDB it never checks that flag, so such a token keeps
      working; the module warns when it finds one.
  returned: when a revoked token still authenticates
  type: list
  elements: str
  sample: [kwofd61g]
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: A new token was created.
'''

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._tokens import PREFIX_LENGTH, TokenManager


SPEC = dict(
    argument_spec=dict(
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        token=dict(type='str', no_log=True),
        name=dict(type='str'),
        expires_at=dict(type='str'),
        rotate=dict(type='bool', default=False),
    ),
    required_if=[
        ('state', 'absent', ('token', 'name'), True),
        ('rotate', True, ('token', 'name'), True),
    ],
    supports_check_mode=True,
)


def run_module(module):
    params = module.params
    if params['token'] and len(params['token']) <= PREFIX_LENGTH:
        # An 8-character prefix is what Semaphore itself lists; it is not a secret, and masking it
        # would also mask the prefixes in the result.
        module.no_log_values.discard(params['token'])
    if params['state'] == 'absent' and (params['rotate'] or params['expires_at']):
        module.fail_json(msg='rotate and expires_at only apply to state=present')
    with module.client() as client:
        manager = TokenManager(client, check_mode=module.check_mode)
        try:
            if params['state'] == 'present':
                result = manager.ensure_present(token=params['token'], name=params['name'],
                                                rotate=params['rotate'], expires_at=params['expires_at'])
            else:
                result = manager.ensure_absent(token=params['token'], name=params['name'])
        except SemaphoreError as exc:
            module.fail_from_error(exc, **getattr(exc, 'result', {'changed': False}))
    if not module.diff_mode:
        result.pop('diff')
    module.exit_json(**result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
