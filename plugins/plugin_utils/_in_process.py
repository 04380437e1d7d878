# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This plugin_utils file is private to the semaphore.api collection: its API may change without notice.

"""Run a semaphore.api module in the controller's process when the task runs on a local connection.

A module run normally ships a zip to the target, starts a Python process and imports requests:
about 0.5 s per loop item. On a local connection the same ``main()`` runs here instead, fed exactly
what the module would have read (the arguments with Ansible's internal ``_ansible_*`` keys, the
environment with the task's ``environment:``), and its printed JSON result goes through the same
parsing as a module's (``ActionBase._parse_returned_data``). There is one code path for the logic:
the module's own; this file only moves where it runs, and gives it the console for live output.

Everything else (a remote target, ``async``, become, requests missing here) runs the module as usual.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import traceback
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.module_utils.common import json as module_json
from ansible.module_utils.common import warnings as module_warnings
from ansible.plugins.action import ActionBase
from ansible.utils.color import ANSIBLE_COLOR
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash
from ansible.vars.clean import remove_internal_keys

from ansible_collections.semaphore.api.plugins.module_utils import _module
from ansible_collections.semaphore.api.plugins.module_utils._tasks import strip_ansi

try:
    # Imported when Ansible loads this plugin, which it does in its main process for every task
    # (to look at the action's class): the forked workers then start with requests already there.
    import requests  # pylint: disable=unused-import
except ImportError:  # the task then runs as a module, which reports the missing library
    requests = None

display = Display()

_PROFILE = 'legacy'
# Running a module in-process relies on how ansible-core 2.19 hands arguments to modules and reads
# their results; older cores run the module process.
_CORE_SUPPORTS_IN_PROCESS = all((hasattr(module_json, 'get_module_encoder'), hasattr(basic, '_ANSIBLE_PROFILE'),
                                 hasattr(basic, '_PARSED_MODULE_ARGS'), hasattr(module_warnings, '_global_warnings')))


class SemaphoreModuleAction(ActionBase):
    """The action plugin of every semaphore.api module; subclasses only name the module."""

    MODULE = None  # e.g. 'semaphore_task'

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        module_name = 'semaphore.api.' + self.MODULE
        reason = self._why_not_in_process(task_vars)
        if reason:
            # Exactly what ansible.builtin.normal does for any module.
            display.v('semaphore.api: {0} runs as a module ({1})'.format(self.MODULE, reason))
            wrap_async = self._task.async_val and not self._connection.has_native_async
            result = merge_hash(result, self._execute_module(module_name=module_name, task_vars=task_vars,
                                                             wrap_async=wrap_async))
            if not wrap_async:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            return result
        return merge_hash(result, self._run_in_process(module_name, task_vars))

    def _why_not_in_process(self, task_vars):
        if not boolean(self._templar.template(task_vars.get('semaphore_api_in_process', True)), strict=True):
            return 'semaphore_api_in_process is false'
        if not _CORE_SUPPORTS_IN_PROCESS:
            return 'this ansible-core runs modules only as modules'
        if self._connection.transport != 'local':
            return 'the target is reached over {0}'.format(self._connection.transport)
        if self._task.async_val:
            return 'async'
        if self._play_context.become:
            return 'become'
        if requests is None:
            return 'the Python library requests is missing on the controller'
        return None

    def _run_in_process(self, module_name, task_vars):
        args = dict(self._task.args)
        self._update_module_args(module_name, args, task_vars)
        environment = {}
        self._compute_environment_string(raw_environment_out=environment)
        encoder = module_json.get_module_encoder(_PROFILE, module_json.Direction.CONTROLLER_TO_MODULE)
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args}, cls=encoder).encode()
        module = importlib.import_module('ansible_collections.semaphore.api.plugins.modules.' + self.MODULE)
        printed = io.StringIO()
        with contextlib.ExitStack() as stack:
            stack.enter_context(mock.patch.object(basic, '_ANSIBLE_ARGS', payload))
            stack.enter_context(mock.patch.object(basic, '_ANSIBLE_PROFILE', _PROFILE))
            # The parsed arguments (secrets included) must not outlive the run in this process.
            stack.enter_context(mock.patch.object(basic, '_PARSED_MODULE_ARGS', None))
            # Module warnings are process-wide; a loop runs all its items in one worker process.
            stack.enter_context(mock.patch.dict(module_warnings._global_warnings, clear=True))
            stack.enter_context(mock.patch.dict(module_warnings._global_deprecations, clear=True))
            stack.enter_context(mock.patch.dict(os.environ, {k: str(v) for k, v in environment.items()}))
            # no_log: a console that shows nothing, so that live output stays silent without a warning.
            stack.enter_context(mock.patch.object(_module, 'CONSOLE', _silent if self._task.no_log else console_line))
            stack.enter_context(contextlib.redirect_stdout(printed))
            try:
                module.main()
            except SystemExit:
                pass
            except Exception as exc:  # pylint: disable=broad-except
                # What a module process that crashed reports (MODULE FAILURE), not an action plugin error.
                return {'failed': True, 'msg': 'MODULE FAILURE: {0}: {1}'.format(type(exc).__name__, exc),
                        'exception': traceback.format_exc(), 'module_stdout': printed.getvalue()}
        data = self._parse_returned_data({'stdout': printed.getvalue(), 'stderr': ''}, _PROFILE)
        remove_internal_keys(data)
        return data


def console_line(text):
    """Show one line on the controller's console now (from a worker process too)."""
    display.display(text if ANSIBLE_COLOR else strip_ansi(text))


def _silent(text):  # pylint: disable=unused-argument
    """The console of a task with no_log: nothing is shown."""
