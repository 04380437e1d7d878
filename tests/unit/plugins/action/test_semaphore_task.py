# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The action plugin picks the controller path or the module path, and never fails for a missing ansible-core name."""

from __future__ import annotations

import os
import types

import pytest
from requests.adapters import HTTPAdapter

from ansible.plugins.action import ActionBase

from ansible_collections.semaphore.api.plugins.action import semaphore_task as action
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import ScriptedAdapter, answer

URL = 'https://semaphore.example.com'
TOKEN = 'kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
TOKENS = [{'id': TOKEN[:8], 'created': '2025-01-01T00:00:00Z', 'expired': False, 'user_id': 1}]
MODULE_PATH_RESULT = {'changed': False, 'ran': 'as a module'}
NAME = 'semaphore.api.semaphore_token_info'


MISSING = object()


def task(**fields):
    """The fields of a task that the plugin reads; ``fields`` override them, MISSING removes one."""
    values = dict(action='semaphore.api.semaphore_token_info', collections=None,
                  args={'url': URL, 'api_token': TOKEN}, check_mode=False, diff=False, no_log=False, async_val=0,
                  environment=[])
    values.update(fields)
    return types.SimpleNamespace(**{key: value for key, value in values.items() if value is not MISSING})


@pytest.fixture
def plugin(monkeypatch):
    """An ActionModule for a task on a local connection, whose module path only records that it ran."""
    notes = []
    monkeypatch.setattr(ActionBase, 'run', lambda self, tmp=None, task_vars=None: {})
    monkeypatch.setattr(action.ActionModule, '_run_as_module', lambda self, task_vars, name: dict(MODULE_PATH_RESULT, name=name))
    monkeypatch.setattr(action.display, 'v', notes.append)

    def make(the_task, transport='local', become=False):
        made = action.ActionModule.__new__(action.ActionModule)
        made._task = the_task
        made._connection = types.SimpleNamespace(transport=transport)
        made._play_context = types.SimpleNamespace(become=become)
        made._templar = types.SimpleNamespace(template=lambda value: value)
        made.notes = notes
        return made
    return make


@pytest.fixture
def server(monkeypatch):
    def serve(script):
        adapter = ScriptedAdapter(script)
        monkeypatch.setattr(HTTPAdapter, 'send', lambda self, request, **kwargs: adapter.send(request, **kwargs))
        return adapter
    return serve


def test_a_local_task_runs_in_the_controller(plugin, server):
    adapter = server([answer(200, TOKENS)])
    result = plugin(task()).run(task_vars={})
    assert result['tokens'][0]['prefix'] == TOKEN[:8] and result['msg'] == '1 token(s) listed, 1 active'
    assert adapter.paths() == ['GET api/user/tokens']


@pytest.mark.parametrize('missing', ['collections', 'environment', 'check_mode', 'no_log'])
def test_a_name_this_ansible_core_lacks_gives_the_module_path_with_a_note(plugin, missing):
    made = plugin(task(**{missing: MISSING}))
    assert made.run(task_vars={}) == dict(MODULE_PATH_RESULT, name=None)
    assert made.notes == ['semaphore.api: semaphore.api.semaphore_token_info runs as a module '
                          '(this ansible-core lacks {0})'.format(missing)]


def test_a_missing_public_api_gives_the_module_path_with_a_note(plugin, monkeypatch):
    monkeypatch.setattr(action, '_controller', None)
    monkeypatch.setattr(action, 'CONTROLLER_IMPORT_ERROR', ImportError("cannot import name 'remove_values'"), raising=False)
    made = plugin(task())
    assert made.run(task_vars={}) == dict(MODULE_PATH_RESULT, name=NAME)
    assert "lacks an API the controller path uses: cannot import name 'remove_values'" in made.notes[0]


@pytest.mark.parametrize('the_task, transport, become, task_vars, reason', [
    (task(), 'ssh', False, {}, 'the target is reached over ssh'),
    (task(async_val=60), 'local', False, {}, 'async'),
    (task(), 'local', True, {}, 'become'),
    (task(), 'local', False, {'semaphore_api_in_process': 'false'}, 'semaphore_api_in_process is false'),
    (task(action='semaphore.api.no_such_module'), 'local', False, {}, 'no run function found for semaphore.api.no_such_module'),
])
def test_what_cannot_run_in_the_controller_runs_as_a_module(plugin, the_task, transport, become, task_vars, reason):
    made = plugin(the_task, transport=transport, become=become)
    assert made.run(task_vars=task_vars)['ran'] == MODULE_PATH_RESULT['ran']
    assert made.notes[0].endswith('({0})'.format(reason))


def test_the_task_environment_reaches_the_module_and_is_put_back(plugin, server, monkeypatch):
    monkeypatch.delenv('SEMAPHORE_API_TOKEN', raising=False)
    adapter = server([answer(200, TOKENS)])
    the_task = task(args={'url': URL}, environment=[{'SEMAPHORE_API_TOKEN': 'from-the-play'}, {'SEMAPHORE_API_TOKEN': TOKEN}])
    result = plugin(the_task).run(task_vars={})
    assert result['changed'] is False and adapter.sent[0]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert 'SEMAPHORE_API_TOKEN' not in os.environ


def test_a_crash_in_the_module_is_a_module_failure_not_an_action_error(plugin, monkeypatch):
    def crash(module):
        raise KeyError('boom')
    monkeypatch.setattr(action._module_file('semaphore.api.semaphore_token_info'), 'run_module', crash)
    result = plugin(task()).run(task_vars={})
    assert result['failed'] is True and result['msg'] == "MODULE FAILURE: KeyError: 'boom'"
