# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action plugin of every semaphore.api module, not only semaphore_task (meta/runtime.yml names it as each
module's ``action_plugin``).

A module run normally ships a zip to the target, starts a Python process and imports requests:
about 0.5 s per loop item. On a local connection the module's own ``run_module`` function runs here,
in the controller's worker, instead: the same function ``main()`` calls, given a ``ControllerModule``
(plugins/plugin_utils/_controller.py) in place of the AnsibleModule, with the task's arguments, its
``environment:``, check and diff mode, and a console for live output. Everything else (a remote
target, ``async``, become, requests missing here, an ansible-core that lacks something read below)
runs the module as a module, as ``ansible.builtin.normal`` does, with a ``-v`` note saying why.
"""

from __future__ import annotations

import importlib
import json
import traceback

from ansible import constants as C
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import module_loader
from ansible.utils.color import ANSIBLE_COLOR
from ansible.utils.display import Display
from ansible.utils.vars import merge_hash

from ansible_collections.semaphore.api.plugins.module_utils._output import strip_ansi

CONTROLLER_IMPORT_ERROR = None
try:
    from ansible_collections.semaphore.api.plugins.plugin_utils import _controller
except ImportError as exc:  # an ansible-core without the public API it is built on: the module path runs
    _controller = None
    CONTROLLER_IMPORT_ERROR = exc

try:
    # Imported when Ansible loads this plugin, which it does in its main process for every task
    # (to look at the action's class): the forked workers then start with requests already there.
    import requests  # pylint: disable=unused-import
except ImportError:  # the task then runs as a module, which reports the missing library
    requests = None

display = Display()


class ModulePathOnly(Exception):
    """The task cannot run in the controller's process, for the reason given; it runs as a module."""


class ActionModule(ActionBase):
    """Runs a semaphore.api module in the controller's process on a local connection, else as a module."""

    _supports_check_mode = True
    _supports_async = True

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        try:
            task = self._read_task(task_vars)
            reason = self._why_module_path(task, task_vars)
        except ModulePathOnly as exc:
            task, reason = None, str(exc)
        if reason:
            display.v('semaphore.api: {0} runs as a module ({1})'.format(self._task.action, reason))
            return merge_hash(result, self._run_as_module(task_vars, task['module'] if task else None))
        return merge_hash(result, self._run_in_controller(task))

    def _read_task(self, task_vars):
        """Everything the controller path reads from ansible-core, read here and only here.

        Public API: ActionBase's ``_task``, ``_templar``, ``_connection`` and ``_play_context`` (the
        attributes every action plugin reads), the task fields below, ``Templar.template``,
        ``module_loader.find_plugin_with_context``, ``ansible.constants.config`` and, in
        plugin_utils/_controller.py, ``ArgumentSpecValidator`` and ``remove_values``. Checked on
        ansible-core 2.16.19, 2.17.14, 2.18.19, 2.19.14, 2.20.10, 2.21.5 and 2.22.0rc1 (tests/matrix.yml).
        Whatever is missing raises ModulePathOnly: the task runs as a module. (The module path uses
        what ansible.builtin.normal uses: ``_execute_module``, ``_remove_tmp_path``, ``_shell.tmpdir``.)
        """
        try:
            task = self._task
            return dict(
                module=_module_name(task),
                args=dict(task.args),
                check_mode=bool(task.check_mode),
                diff_mode=bool(task.diff),
                no_log=bool(task.no_log),
                async_val=task.async_val,
                become=self._play_context.become,
                transport=self._connection.transport,
                environment=self._task_environment(task.environment),
                invocation=_inject_invocation(task_vars),
            )
        except AttributeError as exc:
            raise ModulePathOnly('this ansible-core lacks {0}'.format(getattr(exc, 'name', None) or exc)) from exc

    def _task_environment(self, environments):
        """The task's ``environment:`` (play, block and task levels, the task's winning) as a module
        would see it: templated, merged in order."""
        merged = {}
        for environment in environments if isinstance(environments, list) else [environments]:
            if environment:
                templated = self._templar.template(environment)
                if not isinstance(templated, dict):
                    # The module path fails on it, in ansible-core's own words.
                    raise ModulePathOnly('the environment is not a dictionary')
                merged.update(templated)
        return merged

    def _why_module_path(self, task, task_vars):
        if not boolean(self._templar.template(task_vars.get('semaphore_api_in_process', True)), strict=True):
            return 'semaphore_api_in_process is false'
        if task['transport'] != 'local':
            return 'the target is reached over {0}'.format(task['transport'])
        if task['async_val']:
            return 'async'
        if task['become']:
            return 'become'
        if requests is None:
            return 'the Python library requests is missing on the controller'
        if _controller is None:
            return 'this ansible-core lacks an API the controller path uses: {0}'.format(CONTROLLER_IMPORT_ERROR)
        if not task['module'] or _module_file(task['module']) is None:
            return 'no run function found for {0}'.format(task['module'] or self._task.action)
        return None

    def _run_as_module(self, task_vars, module_name):
        """What ansible.builtin.normal does for any module (which passes no name: the task's action)."""
        wrap_async = self._task.async_val and not getattr(self._connection, 'has_native_async', False)
        outcome = self._execute_module(module_name=module_name, task_vars=task_vars, wrap_async=wrap_async)
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return outcome

    def _run_in_controller(self, task):
        module_file = _module_file(task['module'])
        # What a module process would read: plain JSON values (no templating tags, vaulted values
        # decrypted as the module path sends them).
        args = json.loads(json.dumps(task['args'], default=str))
        console = _silent if task['no_log'] else console_line
        with _controller.process_environment(task['environment']):
            try:
                module = _controller.ControllerModule(
                    module_file.SPEC, args, task['module'], check_mode=task['check_mode'], diff_mode=task['diff_mode'],
                    console=console, invocation=task['invocation'])
                module_file.run_module(module)
            except _controller.ModuleExit as done:
                return done.result
            except Exception as exc:  # pylint: disable=broad-except
                # What a module process that crashed reports (MODULE FAILURE), not an action plugin error.
                return {'failed': True, 'msg': 'MODULE FAILURE: {0}: {1}'.format(type(exc).__name__, exc),
                        'exception': traceback.format_exc()}
        return {'failed': True, 'msg': 'MODULE FAILURE: {0} ended without a result'.format(task['module'])}


def _module_name(task):
    """The module's fully qualified name. Not ``task.resolved_action``: up to ansible-core 2.18 that
    names this action plugin, since meta/runtime.yml routes each module's action to it."""
    found = module_loader.find_plugin_with_context(task.action, collection_list=task.collections)
    return found.resolved_fqcn if found.resolved else None


def _module_file(name):
    """The Python module of a collection module given by its fully qualified name, or None when it
    has no run function (e.g. this action plugin used as a task of its own)."""
    if name.count('.') != 2:
        return None
    try:
        found = importlib.import_module('ansible_collections.{0}.{1}.plugins.modules.{2}'.format(*name.split('.')))
    except ImportError:
        return None
    return found if hasattr(found, 'SPEC') and hasattr(found, 'run_module') else None


def _inject_invocation(task_vars):
    """Whether a module's result carries ``invocation``: always before ansible-core 2.21, since then
    as the INJECT_INVOCATION setting says (default false)."""
    if 'INJECT_INVOCATION' not in C.config.get_configuration_definitions():
        return True
    return bool(C.config.get_config_value('INJECT_INVOCATION', variables=task_vars))


def console_line(text):
    """Show one line on the controller's console now (from a worker process too)."""
    display.display(text if ANSIBLE_COLOR else strip_ansi(text))


def _silent(text):  # pylint: disable=unused-argument
    """The console of a task with no_log: nothing is shown."""
