# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""The AnsibleModule every semaphore.api module is built on: connection options defined once."""

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    SemaphoreClient,
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
)

# Set while a module runs in the controller's process (plugins/plugin_utils/_in_process.py): a
# function that shows one line on the console at once (one that shows nothing for a task with
# no_log). None on the usual module path: a module process has no console.
CONSOLE = None

# Documented once, in plugins/doc_fragments/connection.py.
CONNECTION_ARGSPEC = dict(
    url=dict(type='str', required=True, fallback=(env_fallback, ['SEMAPHORE_URL'])),
    api_token=dict(type='str', no_log=True, fallback=(env_fallback, ['SEMAPHORE_API_TOKEN'])),
    username=dict(type='str', fallback=(env_fallback, ['SEMAPHORE_USERNAME'])),
    password=dict(type='str', no_log=True, fallback=(env_fallback, ['SEMAPHORE_PASSWORD'])),
    otp_code=dict(type='str', no_log=True, fallback=(env_fallback, ['SEMAPHORE_OTP_CODE'])),
    ldap_provider=dict(type='str', fallback=(env_fallback, ['SEMAPHORE_LDAP_PROVIDER'])),
    validate_certs=dict(type='bool', default=True, fallback=(env_fallback, ['SEMAPHORE_VALIDATE_CERTS'])),
    ca_path=dict(type='path', fallback=(env_fallback, ['SEMAPHORE_CA_PATH'])),
    timeout=dict(type='float', default=30.0, fallback=(env_fallback, ['SEMAPHORE_TIMEOUT'])),
    retries=dict(type='int', default=3, fallback=(env_fallback, ['SEMAPHORE_RETRIES'])),
)


class SemaphoreModule(AnsibleModule):
    """AnsibleModule with the shared connection options and one way to build the client."""

    def __init__(self, argument_spec=None, **kwargs):
        spec = dict(CONNECTION_ARGSPEC)
        spec.update(argument_spec or {})
        required_together = [('username', 'password')] + list(kwargs.pop('required_together', []))
        super().__init__(argument_spec=spec, required_together=required_together, **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))
        for name in ('timeout', 'retries'):
            if self.params[name] is not None and self.params[name] < 0:
                self.fail_json(msg='{0} must not be negative, got {1}'.format(name, self.params[name]))
        if self.params['timeout'] == 0:
            self.fail_json(msg='timeout must be greater than 0')

    @property
    def console(self):
        """Shows a line on the controller's console now, or None on the module path (no console)."""
        return CONSOLE

    def client(self):
        """A SemaphoreClient for this run; use it as a context manager so a password session is
        logged out when the module ends, also when it fails."""
        params = self.params
        try:
            return SemaphoreClient(
                url=params['url'], api_token=params['api_token'], username=params['username'],
                password=params['password'], otp_code=params['otp_code'], ldap_provider=params['ldap_provider'],
                validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                timeout=params['timeout'], retries=params['retries'], warn=self.warn)
        except SemaphoreError as exc:
            self.fail_json(msg=str(exc))

    def fail_from_error(self, exc, **result):
        """Turn a client error into one clear failure; the message never holds a secret."""
        message = str(exc)
        details = {}
        # An uncertain launch or token creation carries the failure that caused it.
        exc = getattr(exc, 'cause', None) or exc
        if isinstance(exc, SemaphoreHTTPError):
            details['status'] = exc.status
        if isinstance(exc, SemaphoreConnectionError):
            details['status'] = -1
        for key, value in details.items():
            result.setdefault(key, value)  # a task's own status, when the result has one, stays
        self.fail_json(msg=message, **result)
