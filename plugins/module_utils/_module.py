# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""What every semaphore.api module is built on: connection options defined once, one run function per module.

Each module declares ``SPEC`` (the AnsibleModule keyword arguments of its own options) and
``run_module(module)``, the whole of its logic. ``main()`` calls ``run_module`` with a
``SemaphoreModule`` (an AnsibleModule: the module path); the collection's action plugin calls the
same function in the controller's process with a ``ControllerModule``
(plugins/plugin_utils/_controller.py). Both give ``run_module`` the interface of ``SemaphoreModuleBase``
plus ``params``, ``check_mode``, ``diff_mode``, ``no_log_values``, ``warn``, ``exit_json`` and ``fail_json``.
"""

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


def full_spec(argument_spec=None, required_together=(), **kwargs):
    """A module's SPEC with the connection options added: the AnsibleModule keyword arguments."""
    spec = dict(CONNECTION_ARGSPEC)
    spec.update(argument_spec or {})
    return dict(argument_spec=spec, required_together=[('username', 'password')] + list(required_together), **kwargs)


class SemaphoreModuleBase:
    """The part of a module's interface that is the same on both paths."""

    # Shows one line on the controller's console at once, or None where there is no console.
    console = None

    def notice(self, message):
        """A warning that matters while the run goes on (a retry during an outage, a queue that does
        not move): shown at once where there is a console (the controller path), and in the result."""
        if self.console is not None:
            self.console('[WARNING]: semaphore.api: ' + message)
        self.warn(message)

    def check_connection_options(self):
        """What the argument spec cannot say; called once the parameters are validated."""
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=str(REQUESTS_IMPORT_ERROR))
        for name in ('timeout', 'retries'):
            if self.params[name] is not None and self.params[name] < 0:
                self.fail_json(msg='{0} must not be negative, got {1}'.format(name, self.params[name]))
        if self.params['timeout'] == 0:
            self.fail_json(msg='timeout must be greater than 0')

    def client(self):
        """A SemaphoreClient for this run; use it as a context manager so a password session is
        logged out when the module ends, also when it fails."""
        params = self.params
        try:
            return SemaphoreClient(
                url=params['url'], api_token=params['api_token'], username=params['username'],
                password=params['password'], otp_code=params['otp_code'], ldap_provider=params['ldap_provider'],
                validate_certs=params['validate_certs'], ca_path=params['ca_path'],
                timeout=params['timeout'], retries=params['retries'], warn=self.notice)
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


class SemaphoreModule(SemaphoreModuleBase, AnsibleModule):
    """The module path: an AnsibleModule with the shared connection options. A module process has no console."""

    def __init__(self, **spec):
        super().__init__(**full_spec(**spec))
        self.check_connection_options()

    @property
    def diff_mode(self):
        return self._diff
