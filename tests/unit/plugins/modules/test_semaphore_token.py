# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.semaphore.api.plugins.modules import semaphore_token, semaphore_token_info
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import answer, login_answer

URL = 'http://127.0.0.1:3000'
PASSWORD = 'Sp\\ec"ial pässwörd'
SECRET = 'kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
LOGIN = login_answer()
LOGOUT = answer(204)


def created(secret=SECRET, **extra):
    return answer(201, dict({'id': secret, 'created': '2026-11-28T10:00:00Z', 'expired': False, 'user_id': 1}, **extra))


def test_password_login_creates_a_token_and_logs_out(run_module):
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'username': 'admin', 'password': PASSWORD},
                                     [LOGIN, answer(200, [{'id': 'aaaaaaaa', 'created': '2025-01-01T00:00:00Z', 'expired': False}]),
                                      created(), LOGOUT])
    assert rc == 0
    assert result['changed'] is True
    assert result['token'] == SECRET
    assert result['api_token']['prefix'] == 'kwofd61g'
    assert adapter.paths() == ['POST api/auth/login', 'GET api/user/tokens', 'POST api/user/tokens', 'POST api/auth/logout']
    assert PASSWORD not in json.dumps(result)


def test_failure_still_logs_out_and_hides_the_password(run_module):
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'username': 'admin', 'password': PASSWORD},
                                     [LOGIN, answer(200, []), answer(500), answer(200, []), LOGOUT])
    assert rc == 1
    assert result['msg'] == ('the token request failed and was not repeated (POST /api/user/tokens returned HTTP 500); '
                             'no new token was created')
    assert result['status'] == 500
    assert adapter.paths()[-1] == 'POST api/auth/logout'
    assert PASSWORD not in json.dumps(result)


def test_lost_token_answer_is_not_resent_and_names_the_new_prefix(run_module):
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': SECRET},
                                     [answer(200, [{'id': 'aaaaaaaa', 'created': '2025-01-01T00:00:00Z'}]), answer(502),
                                      answer(200, [{'id': 'bbbbbbbb', 'created': '2025-01-02T00:00:00Z'},
                                                   {'id': 'aaaaaaaa', 'created': '2025-01-01T00:00:00Z'}])])
    assert rc == 1
    assert adapter.paths().count('POST api/user/tokens') == 1
    assert 'bbbbbbbb...' in result['msg'] and 'aaaaaaaa' not in result['msg']
    assert result['status'] == 502


def test_check_mode_sends_no_write(run_module):
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': SECRET, '_ansible_check_mode': True},
                                     [answer(200, [{'id': 'kwofd61g', 'created': '2025-05-21T02:35:12Z', 'expired': False}])])
    assert rc == 0 and result['changed'] is True
    assert 'token' not in result
    assert adapter.paths() == ['GET api/user/tokens']
    assert 'every run creates a new API token (1 active ones exist already and are left alone)' in json.dumps(result['warnings'])


def test_diff_mode_shows_prefixes_only(run_module):
    listed = [{'id': 'aaaaaaaa', 'created': '2025-01-01T00:00:00Z'}]
    rc, result, dummy_adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': SECRET, '_ansible_diff': True},
                                           [answer(200, listed), created()])
    assert rc == 0
    assert result['diff'] == {'before': {'tokens': ['aaaaaaaa']}, 'after': {'tokens': ['aaaaaaaa', 'kwofd61g']}}


def test_absent_needs_token_or_name(run_module):
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': SECRET, 'state': 'absent'}, [])
    assert rc == 1
    assert 'token, name' in result['msg']
    assert adapter.sent == []


def test_rotate_needs_token_or_name(run_module):
    rc, result, dummy_adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': SECRET, 'rotate': True}, [])
    assert rc == 1 and 'rotate is True' in result['msg']


def test_username_without_password_is_refused(run_module):
    rc, result, dummy_adapter = run_module(semaphore_token.main, {'url': URL, 'username': 'admin'}, [])
    assert rc == 1
    assert result['msg'] == 'parameters are required together: username, password'


@pytest.mark.parametrize('url', ['semaphore.example.com', 'ftp://x'])
def test_url_without_scheme_is_refused_before_any_request(run_module, url):
    rc, result, adapter = run_module(semaphore_token.main, {'url': url, 'api_token': SECRET}, [])
    assert rc == 1 and 'must start with http:// or https://' in result['msg']
    assert adapter.sent == []


def test_info_lists_prefixes_newest_first_even_when_secrets_are_listed(run_module):
    listed = [{'id': 'a' * 43 + '=', 'created': '2024-01-01T00:00:00Z', 'expired': True, 'user_id': 1},
              {'id': SECRET, 'created': '2024-02-01T00:00:00Z', 'expired': False, 'user_id': 1}]
    rc, result, dummy_adapter = run_module(semaphore_token_info.main, {'url': URL, 'api_token': 'other-token-value'}, [answer(200, listed)])
    assert rc == 0 and result['changed'] is False
    assert [(t['prefix'], t['active']) for t in result['tokens']] == [('kwofd61g', True), ('aaaaaaaa', False)]
    assert SECRET not in json.dumps(result)


def test_info_active_only(run_module):
    listed = [{'id': 'aaaaaaaa', 'created': '2024-01-01T00:00:00Z', 'expires_at': '2001-01-01T00:00:00Z'},
              {'id': 'bbbbbbbb', 'created': '2024-02-01T00:00:00Z'}]
    rc, result, dummy_adapter = run_module(semaphore_token_info.main, {'url': URL, 'api_token': SECRET, 'active_only': True}, [answer(200, listed)])
    assert [t['prefix'] for t in result['tokens']] == ['bbbbbbbb']


def test_a_prefix_given_as_token_is_not_masked_in_the_result(run_module):
    listed = [{'id': 'kwofd61g', 'created': '2024-01-01T00:00:00Z', 'user_id': 1}]
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': 'x' * 43 + '=', 'token': 'kwofd61g', 'state': 'absent'},
                                     [answer(200, listed), answer(204)])
    assert rc == 0 and result['changed'] is True
    assert result['revoked'][0]['prefix'] == 'kwofd61g'
    assert adapter.paths()[-1] == 'DELETE api/user/tokens/kwofd61g'


def test_a_full_secret_given_as_token_stays_masked(run_module):
    listed = [{'id': 'kwofd61g', 'created': '2024-01-01T00:00:00Z', 'user_id': 1}]
    rc, result, adapter = run_module(semaphore_token.main, {'url': URL, 'api_token': 'x' * 43 + '=', 'token': SECRET, 'state': 'absent'},
                                     [answer(200, listed), answer(204)])
    assert rc == 0
    assert SECRET not in json.dumps(result)
    assert adapter.paths()[-1] == 'DELETE api/user/tokens/kwofd61g'
