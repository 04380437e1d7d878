# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This plugin_utils file is private to the semaphore.api collection: its API may change without notice.

"""A module's run function called in the controller's process, with a stand-in for AnsibleModule.

``ControllerModule`` gives ``run_module`` (plugins/module_utils/_module.py) what ``SemaphoreModule``
gives it on the module path, built only from public ansible-core API: the arguments validated by
``ArgumentSpecValidator`` (the class AnsibleModule validates with), ``exit_json``/``fail_json`` that
end the run with a result instead of printing it, and that result masked with ``remove_values``
exactly as AnsibleModule masks it.
"""

from __future__ import annotations

import contextlib
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.parameters import remove_values
from ansible.module_utils.common.validation import check_type_str
from ansible.module_utils.errors import UnsupportedError

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModuleBase, full_spec


class ModuleExit(BaseException):
    """Raised by exit_json and fail_json: the run is over and this is its result. Like the
    SystemExit of a module process, no ``except Exception`` on the way stops it."""

    def __init__(self, result):
        super().__init__('module result')
        self.result = result


class ControllerModule(SemaphoreModuleBase):
    """Stands in for SemaphoreModule when a module's run function runs in the controller's process.

    ``args`` are the task's arguments (module_defaults included), ``name`` the module's fully
    qualified name, ``console`` a function that shows one line on the controller's console.
    ``invocation``: whether the result carries ``invocation.module_args``, as a module's would.
    """

    def __init__(self, spec, args, name, check_mode=False, diff_mode=False, console=None, invocation=True):
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.console = console
        self.params = dict(args)
        self.no_log_values = set()
        self._name = name
        self._invocation = invocation
        self._warnings = []
        spec = full_spec(**spec)
        spec.pop('supports_check_mode')  # every semaphore.api module supports check mode
        validated = ArgumentSpecValidator(**spec).validate(self.params)
        self.params = validated.validated_parameters
        self.no_log_values = no_log_values(spec['argument_spec'], self.params)
        if validated.error_messages:
            # AnsibleModule's own wording, so that both paths fail alike.
            message = validated.errors.msg
            if isinstance(validated.errors[0], UnsupportedError):
                message = 'Unsupported parameters for ({0}) module: {1}'.format(name, message)
            self.fail_json(msg=message)
        self.check_connection_options()

    def warn(self, warning):
        self._warnings.append(warning)

    def exit_json(self, **result):
        raise ModuleExit(self._formatted(result))

    def fail_json(self, msg, **result):
        result.pop('exception', None)  # a module's traceback text; the controller shows its own
        result.update(failed=True, msg=str(msg))
        raise ModuleExit(self._formatted(result))

    def _formatted(self, result):
        """What AnsibleModule adds to a result before it prints it: invocation, warnings, masking."""
        if self._invocation:
            result.setdefault('invocation', {'module_args': self.params})
        if self._warnings:
            result['warnings'] = list(self._warnings)
        return remove_values(result, self.no_log_values)


def no_log_values(argument_spec, params):
    """The values AnsibleModule masks in a result: every string inside an option marked no_log.

    The same values AnsibleModule collects (its own helper for this is private to ansible-core):
    strings, and numbers written as strings, at any depth of the option's value, dict keys aside;
    and so on down the suboptions of a dict or list-of-dicts option.
    """
    found = set()

    def collect(value):
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                collect(item)
        elif isinstance(value, bool) or value is None:
            return
        elif isinstance(value, (str, int, float)):
            text = check_type_str(value, allow_conversion=True)
            if text:
                found.add(text)

    for name, option in argument_spec.items():
        value = params.get(name)
        if value is None:
            continue
        if option.get('no_log'):
            collect(value)
        if option.get('options'):
            # Suboptions (a dict, or a list of dicts) carry their own no_log flags.
            for element in value if isinstance(value, list) else [value]:
                if isinstance(element, dict):
                    found |= no_log_values(option['options'], element)
    return found


@contextlib.contextmanager
def process_environment(extra):
    """The task's ``environment:`` added to this process's environment while a module runs, as a
    module process would have it (fallbacks such as SEMAPHORE_URL, proxies, CA bundles); then put back."""
    saved = dict(os.environ)
    os.environ.update({str(key): str(value) for key, value in extra.items()})
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
