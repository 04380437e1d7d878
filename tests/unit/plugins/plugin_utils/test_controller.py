# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The controller path's stand-in for AnsibleModule gives every module the result the module path gives."""

from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.semaphore.api.plugins.modules import (
    semaphore_environment,
    semaphore_key,
    semaphore_task,
    semaphore_task_info,
    semaphore_token,
    semaphore_token_info,
)
from ansible_collections.semaphore.api.plugins.plugin_utils._controller import ControllerModule, ModuleExit, no_log_values, process_environment
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import answer, login_answer

URL = 'https://semaphore.example.com'
TOKEN = 'kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
PASSWORD = 'Sp\\ec"ial pässwörd'
BASE = {'url': URL, 'api_token': TOKEN, 'use_websocket': False}
TOKEN_BASE = {'url': URL, 'api_token': 'x' * 43 + '='}
TASK = {'id': 57, 'template_id': 3, 'project_id': 1, 'status': 'waiting', 'created': '2025-10-14T09:12:33Z', 'user_id': 1}
ENDED = dict(TASK, status='success', start='2025-10-14T09:12:34Z', end='2025-10-14T09:12:36Z')
FAILED = dict(ENDED, status='error')
OUTPUT = [{'task_id': 57, 'output': 'PLAY [all] ***'}, {'task_id': 57, 'output': '\x1b[0;33mchanged: [web1]\x1b[0m'},
          {'task_id': 57, 'output': 'PLAY RECAP ***'},
          {'task_id': 57, 'output': 'web1 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0'}]
TOKENS = [{'id': TOKEN, 'created': '2025-01-01T00:00:00Z', 'expired': False, 'user_id': 1}]
PREFIXES = [{'id': TOKEN[:8], 'created': '2024-01-01T00:00:00Z', 'user_id': 1}]

# (module, arguments, check mode, scripted answers): each runs on both paths.
CASES = {
    'launch and wait': (semaphore_task, dict(BASE, project=1, template=3, limit=['web1']), False,
                        [answer(200, []), answer(201, TASK), answer(200, ENDED), answer(200, OUTPUT)]),
    'a failed task': (semaphore_task, dict(BASE, project=1, template=3), False,
                      [answer(200, []), answer(201, TASK), answer(200, FAILED), answer(200, OUTPUT)]),
    'check mode sends no launch': (semaphore_task, dict(BASE, project=1, template=3), True, [answer(200, [])]),
    'a server error': (semaphore_token_info, TOKEN_BASE, False, [answer(500, {'error': 'boom'})]),
    'an unknown option': (semaphore_task, dict(BASE, project=1, template=3, colour='red'), False, []),
    'a wrong type': (semaphore_task, dict(BASE, project=1, template=3, wait_timeout='soon'), False, []),
    'a rule of the module': (semaphore_task_info, dict(BASE, project=1, limit=500), False, []),
    'required options missing': (semaphore_token, {'url': URL, 'state': 'absent'}, False, []),
    'a token from a password login': (semaphore_token, {'url': URL, 'username': 'admin', 'password': PASSWORD}, False,
                                      [login_answer(), answer(200, []),
                                       answer(201, dict(TOKENS[0], created='2026-11-28T10:00:00Z')), answer(204)]),
    'tokens listed': (semaphore_token_info, TOKEN_BASE, False, [answer(200, TOKENS)]),
    'a token revoked by its secret': (semaphore_token, dict(TOKEN_BASE, token=TOKEN, state='absent'), False,
                                      [answer(200, PREFIXES), answer(204)]),
    'a token revoked by its prefix': (semaphore_token, dict(TOKEN_BASE, token=TOKEN[:8], state='absent'), False,
                                      [answer(200, PREFIXES), answer(204)]),
    'a token in check mode': (semaphore_token, TOKEN_BASE, True, [answer(200, PREFIXES)]),
}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(time, 'sleep', lambda seconds: None)


def comparable(result):
    """A result without what only says how it travelled: invocation (tested on its own) and the
    warnings' wrapping (a module process sends them as its ansible-core's warning objects)."""
    result = dict(result)
    result.pop('invocation', None)
    result['warnings'] = sorted(_message(warning) for warning in result.get('warnings') or [])
    return result


def _message(warning):
    """A warning's text: a string, or (ansible-core 2.19 and later) a dict that holds it as msg, at some depth."""
    if isinstance(warning, dict):
        return warning['msg'] if 'msg' in warning else _message(warning.get('event'))
    return warning


@pytest.mark.parametrize('case', sorted(CASES))
def test_both_paths_give_the_same_result_and_send_the_same_requests(case, run_module, run_in_controller):
    module_file, args, check_mode, script = CASES[case]
    name = 'semaphore.api.' + module_file.__name__.rsplit('.', 1)[1]
    rc, module_result, module_adapter = run_module(module_file.main, dict(args, _ansible_check_mode=check_mode,
                                                                          _ansible_module_name=name), script)
    crc, controller_result, controller_adapter = run_in_controller(module_file, args, script, check_mode=check_mode)
    assert (crc, comparable(controller_result)) == (rc, comparable(module_result))
    assert controller_adapter.paths() == module_adapter.paths()


def test_the_invocation_masks_secrets_as_a_module_does(run_in_controller):
    rc, result, adapter = run_in_controller(semaphore_token, {'url': URL, 'username': 'admin', 'password': PASSWORD},
                                            [login_answer(), answer(200, []), answer(500), answer(200, []), answer(204)])
    assert rc == 1 and result['invocation']['module_args']['password'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert PASSWORD not in json.dumps(result)


def test_without_invocation_the_result_has_none(run_in_controller):
    rc, result, adapter = run_in_controller(semaphore_token_info, TOKEN_BASE, [answer(200, TOKENS)], invocation=False)
    assert rc == 0 and 'invocation' not in result and result['tokens'][0]['prefix'] == TOKEN[:8]


def test_a_full_secret_given_as_token_stays_masked_and_a_prefix_does_not(run_in_controller):
    script = [answer(200, PREFIXES), answer(204)]
    rc, result, adapter = run_in_controller(semaphore_token, dict(TOKEN_BASE, token=TOKEN, state='absent'), script)
    assert rc == 0 and TOKEN not in json.dumps(result) and result['revoked'][0]['prefix'] == TOKEN[:8]
    rc, result, adapter = run_in_controller(semaphore_token, dict(TOKEN_BASE, token=TOKEN[:8], state='absent'), script)
    assert rc == 0 and result['revoked'][0]['prefix'] == TOKEN[:8]


def test_diff_mode_reaches_the_module(run_in_controller):
    script = [answer(200, PREFIXES), answer(201, dict(TOKENS[0], id='n3wsecretn3wsecretn3wsecretn3wsecretn3wsec='))]
    assert 'diff' not in run_in_controller(semaphore_token, TOKEN_BASE, script)[1]
    rc, result, adapter = run_in_controller(semaphore_token, TOKEN_BASE, script, diff_mode=True)
    assert result['diff'] == {'before': {'tokens': [TOKEN[:8]]}, 'after': {'tokens': [TOKEN[:8], 'n3wsecre']}}


def test_the_console_gets_the_launch_and_every_line(run_in_controller):
    shown = []
    script = [answer(200, []), answer(201, TASK), answer(200, ENDED), answer(200, OUTPUT), answer(200, OUTPUT)]
    rc, result, adapter = run_in_controller(semaphore_task, dict(BASE, project=1, template=3, live_output=True), script,
                                            console=shown.append)
    assert rc == 0
    assert shown[0] == 'semaphore task 57 launched: https://semaphore.example.com/project/1/templates/3?t=57'
    assert shown[1:] == ['[semaphore task 57] ' + line['output'] for line in OUTPUT]


def test_a_retry_during_the_wait_is_shown_on_the_console_as_it_happens(run_in_controller, monkeypatch):
    monkeypatch.setattr(time, 'sleep', lambda seconds: None)
    shown = []
    script = [answer(200, []), answer(201, TASK), answer(503), answer(200, ENDED), answer(200, OUTPUT)]
    rc, result, adapter = run_in_controller(semaphore_task, dict(BASE, project=1, template=3), script, console=shown.append)
    assert rc == 0
    retried = [line for line in shown if line.startswith('[WARNING]: semaphore.api: GET ') and 'HTTP 503' in line]
    assert len(retried) == 1 and shown.index(retried[0]) > 0  # after the launch line, before the end
    assert any('HTTP 503' in warning for warning in result['warnings'])


def test_environment_fallbacks_come_from_the_task_environment_and_are_put_back(run_in_controller, monkeypatch):
    monkeypatch.delenv('SEMAPHORE_URL', raising=False)
    monkeypatch.delenv('SEMAPHORE_API_TOKEN', raising=False)
    with process_environment({'SEMAPHORE_URL': URL, 'SEMAPHORE_API_TOKEN': TOKEN}):
        rc, result, adapter = run_in_controller(semaphore_token_info, {}, [answer(200, TOKENS)])
    assert rc == 0 and adapter.sent[0]['url'] == URL + '/api/user/tokens'
    assert adapter.sent[0]['headers']['Authorization'] == 'Bearer ' + TOKEN
    assert TOKEN not in json.dumps(result)  # a secret from the environment is masked too
    assert 'SEMAPHORE_URL' not in os.environ


def test_no_log_values_are_the_strings_inside_no_log_options():
    spec = {'password': {'no_log': True}, 'secret_environment': {'no_log': True}, 'name': {}}
    params = {'password': 'pw', 'name': 'visible', 'secret_environment': {'KEY': 'v1', 'N': 42, 'FLAG': True, 'L': ['v2']}}
    assert no_log_values(spec, params) == {'pw', 'v1', '42', 'v2'}


def test_no_log_suboptions_are_masked_as_ansible_module_masks_them():
    """A list of dicts (environment secrets) and a dict (a key's ssh secret) with no_log suboptions."""
    from ansible.module_utils.common.parameters import _list_no_log_values  # the module path's own helper
    spec = semaphore_environment.SPEC['argument_spec']
    params = {'secrets': [{'name': 'db_password', 'value': 'v-1', 'type': 'var'}, {'name': 'T', 'value': 'v-2', 'type': 'env'}]}
    assert no_log_values(spec, params) == {'v-1', 'v-2'} == _list_no_log_values(spec, params)
    spec = semaphore_key.SPEC['argument_spec']
    params = {'ssh': {'login': 'deploy', 'private_key': 'PEM', 'passphrase': 'pp'}, 'login_password': None}
    assert no_log_values(spec, params) == {'PEM', 'pp'} == _list_no_log_values(spec, params)


def test_exit_is_not_stopped_by_a_broad_except():
    module = ControllerModule(semaphore_token_info.SPEC, TOKEN_BASE, 'semaphore.api.semaphore_token_info')
    with pytest.raises(ModuleExit):
        try:
            module.exit_json(changed=False)
        except Exception:  # pylint: disable=broad-except
            pytest.fail('exit_json was caught as an Exception')
