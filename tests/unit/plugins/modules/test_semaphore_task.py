# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import json
import re
import time

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError

from ansible_collections.semaphore.api.plugins.modules import semaphore_task, semaphore_task_info
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import answer

BASE = {'url': 'https://semaphore.example.com', 'api_token': 'kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu=',
        'use_websocket': False}
TASK = {'id': 57, 'template_id': 3, 'project_id': 1, 'status': 'waiting', 'created': '2025-10-14T09:12:33Z', 'user_id': 1}
OUTPUT = [{'task_id': 57, 'output': 'PLAY [all] ***'}, {'task_id': 57, 'output': '\x1b[0;33mchanged: [web1]\x1b[0m'},
          {'task_id': 57, 'output': 'PLAY RECAP ***'},
          {'task_id': 57, 'output': 'web1 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0'}]
LOCKED = {'id': 3, 'name': 'Locked job', 'project_id': 1}
INFO = {'version': '2.16.51-0a1b2c3-1747000000'}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(time, 'sleep', lambda seconds: None)


def task(status, **extra):
    return dict(TASK, status=status, **extra)


def test_launch_by_ids_with_a_token_and_no_wait_is_one_request(run_module):
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait=False),
                                     [answer(201, task('waiting'))])
    assert rc == 0 and result['changed'] is True
    assert result['task_id'] == 57 and result['status'] == 'waiting'
    assert adapter.paths() == ['POST api/project/1/tasks']
    assert json.loads(adapter.sent[0]['body']) == {'template_id': 3}
    assert result['url'] == 'https://semaphore.example.com/project/1/templates/3?t=57'


def test_launch_and_wait_returns_output_and_recap(run_module):
    script = [answer(200, []),  # the template's recent tasks: it never ran
              answer(201, task('waiting')),
              answer(200, task('running', start='2025-10-14T09:12:34Z')),
              answer(200, task('success', start='2025-10-14T09:12:34Z', end='2025-10-14T09:12:36Z')),
              answer(200, OUTPUT)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3), script)
    assert rc == 0, result
    assert result['status'] == 'success' and result['changed'] is True
    assert result['output'][-3:] == ['changed: [web1]', 'PLAY RECAP ***', OUTPUT[-1]['output']]
    assert result['recap'] == {'web1': {'ok': 2, 'changed': 1, 'unreachable': 0, 'failed': 0, 'skipped': 0, 'rescued': 0, 'ignored': 0}}
    assert result['duration'] == 2.0 and result['queued_seconds'] == 1.0
    assert adapter.paths()[0] == 'GET api/project/1/templates/3/tasks/last?limit=20'


def test_a_failed_task_fails_the_module_with_its_output(run_module):
    failing = OUTPUT[:-1] + [{'output': 'web1 : ok=1 changed=0 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0'}]
    script = [answer(200, []), answer(201, task('waiting')), answer(200, task('error', end='2025-10-14T09:12:36Z')),
              answer(200, failing)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, output_lines=2), script)
    assert rc == 1
    assert 'task 57 ended with status error' in result['msg']
    assert result['status'] == 'error' and result['recap']['web1']['failed'] == 1
    assert len(result['output']) == 2


def test_the_launch_is_never_retried_and_new_tasks_are_reported(run_module):
    script = [answer(200, [task('success', id=50)]),
              answer(502, '<html>Bad gateway</html>', content_type='text/html'),
              answer(200, {'id': 1, 'username': 'admin'}),
              answer(200, [task('running', id=58), task('success', id=50)])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, retries=3), script)
    assert rc == 1
    assert [path for path in adapter.paths() if path.startswith('POST')] == ['POST api/project/1/tasks']
    assert [item['id'] for item in result['possible_tasks']] == [58]
    assert 'was not repeated' in result['msg'] and '58' in result['msg']


def test_a_lost_launch_on_boltdb_finds_the_new_task_below_the_old_ids(run_module):
    script = [answer(200, [task('success', id=2147483640)]),
              answer(504, '<html>Gateway timeout</html>', content_type='text/html'),
              answer(200, {'id': 1, 'username': 'admin'}),
              answer(200, [task('running', id=2147483639), task('success', id=2147483640)])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3), script)
    assert rc == 1 and [item['id'] for item in result['possible_tasks']] == [2147483639]


V210 = {'version': '2.10.32-f33944e0-1729508592'}


def test_a_500_for_an_unknown_template_is_a_plain_refusal(run_module):
    # Semaphore 2.10 answers a launch of an unknown template with 500 and an empty body.
    script = [answer(500), answer(404), answer(200, {'id': 1, 'name': 'Demo'})]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=999, wait=False), script)
    assert rc == 1 and result['changed'] is False
    assert result['msg'] == 'no template 999 in project Demo (1)'
    assert adapter.paths() == ['POST api/project/1/tasks', 'GET api/project/1/templates/999', 'GET api/project/1']


def test_a_404_launch_by_ids_names_the_missing_template_and_the_happy_path_stays_one_request(run_module):
    script = [answer(404), answer(200, {'id': 1, 'name': 'Demo'}), answer(404)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=999, wait=False), script)
    assert rc == 1 and result['changed'] is False and result['msg'] == 'no template 999 in project Demo (1)'


@pytest.mark.parametrize('status', [404, 400])
def test_an_unknown_project_id_is_named(run_module, status):
    # 2.10 on MySQL answers 400 for an unknown project, BoltDB and later versions 404.
    script = [answer(status), answer(status)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=99, template=3, wait=False), script)
    assert rc == 1 and result['msg'] == 'no project 99, or you are not a member of it'
    assert adapter.paths() == ['POST api/project/99/tasks', 'GET api/project/99']


def test_a_timeout_says_the_task_goes_on_and_how_to_stop_it(run_module, monkeypatch):
    ticks = iter(range(0, 10000))
    monkeypatch.setattr(time, 'monotonic', lambda: float(next(ticks)))  # each look at the clock: one second later
    script = [answer(200, []), answer(201, task('waiting'))] + [answer(200, task('running'))] * 3 + [answer(200, OUTPUT)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait_timeout=5), script)
    assert rc == 1
    assert re.match(r'^task 57 did not end within \d+ seconds; last status: running; it goes on running in '
                    r'Semaphore: https://semaphore\.example\.com/project/1/templates/3\?t=57; stop it with '
                    r'semaphore_task state=stopped task_id=57, or set stop_on_timeout$', result['msg']), result['msg']


def test_stopping_a_task_that_already_ended_says_so(run_module):
    script = [answer(200, task('success', end='2025-10-14T09:12:36Z'))]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, task_id=57, state='stopped'), script)
    assert rc == 0 and result['changed'] is False
    assert result['msg'] == 'task 57 had already ended (success); nothing to stop'


def test_a_500_with_the_task_marked_error_at_once_quotes_the_reason(run_module):
    # Up to 2.15 a task environment on a template without one: the task row exists, in error, and the answer is 500.
    now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
    failed = task('error', id=58, start=None, end=None, created=now)
    script = [answer(500), answer(200, LOCKED), answer(200, {'id': 1}), answer(200, [failed]),
              answer(200, [{'task_id': 58, 'output': 'Error: unexpected end of JSON input'}])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait=False), script)
    assert rc == 1 and 'possible_tasks' not in result
    assert result['msg'] == ('the server refused the launch (POST /api/project/1/tasks returned HTTP 500): task 58 was created '
                             'and failed before running: Error: unexpected end of JSON input')
    assert result['task_id'] == 58 and result['status'] == 'error'


def test_a_500_that_created_nothing_says_so(run_module):
    script = [answer(500), answer(200, LOCKED), answer(200, {'id': 1}), answer(200, [])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait=False), script)
    assert rc == 1 and result['changed'] is False
    assert 'refused the launch' in result['msg'] and 'created no task' in result['msg']
    assert adapter.paths().count('POST api/project/1/tasks') == 1


def test_environment_on_2_10_is_refused_when_the_template_would_override_it(run_module):
    template = dict(LOCKED, environment_id=1)
    script = [answer(200, V210), answer(200, template), answer(200, {'id': 1, 'json': '{"app_version": "1.0"}'})]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3,
                                                               environment={'app_version': '2.0'}), script)
    assert rc == 1 and result['refused_overrides'] == ['environment']
    assert "sets app_version, which wins over the task's on Semaphore 2.10.32" in result['msg']
    assert not [path for path in adapter.paths() if path.startswith('POST')]


def test_reject_on_2_10_fails_before_launching(run_module):
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, confirm='reject'),
                                     [answer(200, V210)])
    assert rc == 1 and 'confirm=reject needs Semaphore 2.11' in result['msg']
    assert adapter.paths() == ['GET api/info']


def test_a_plan_waiting_for_confirmation_fails_at_once_without_confirm(run_module):
    script = [answer(200, []), answer(201, task('waiting')), answer(200, task('waiting_confirmation')),
              answer(200, OUTPUT[:1])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3), script)
    assert rc == 1 and result['status'] == 'waiting_confirmation'
    assert 'task 57 waits for confirmation' in result['msg'] and result['url'] in result['msg']


def test_a_dropped_connection_on_launch_is_not_retried_either(run_module):
    script = [RequestsConnectionError('Connection aborted.'), answer(200, {'id': 1}), answer(200, [])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait=False), script)
    assert rc == 1 and result['possible_tasks'] == []
    assert adapter.paths().count('POST api/project/1/tasks') == 1


def test_refused_overrides_fail_before_anything_is_launched(run_module):
    script = [answer(200, LOCKED), answer(200, INFO)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, limit='web1,web2',
                                                               git_branch='dev', semaphore_diff=True), script)
    assert rc == 1
    assert sorted(result['refused_overrides']) == ['limit']
    assert 'allow_override_limit' in result['msg']
    assert not [path for path in adapter.paths() if path.startswith('POST')]


def test_non_strict_overrides_warn_and_launch(run_module):
    script = [answer(200, LOCKED), answer(200, INFO), answer(201, task('waiting'))]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, limit=['web1'],
                                                               strict_overrides=False, wait=False), script)
    assert rc == 0 and result['refused_overrides'] == ['limit']
    assert any('allow_override_limit' in json.dumps(warning) for warning in result['warnings'])
    assert json.loads(adapter.sent[-1]['body'])['params'] == {'limit': ['web1']}


def test_check_mode_resolves_names_and_sends_no_launch(run_module):
    templates = [dict(LOCKED, name='Deploy app', id=3, task_params={'allow_override_limit': True}), {'id': 4, 'name': 'Other'}]
    script = [answer(200, [{'id': 1, 'name': 'Demo'}]), answer(200, templates), answer(200, INFO)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project='Demo', template='Deploy app', limit=['web1'],
                                                               secret_environment={'pw': 'hidden-value'},
                                                               _ansible_check_mode=True), script)
    assert rc == 0 and result['changed'] is True
    assert result['payload']['params'] == {'limit': ['web1']} and result['payload']['template_id'] == 3
    assert 'hidden-value' not in json.dumps(result)
    assert not [path for path in adapter.paths() if path.startswith('POST')]


def test_unknown_template_name_lists_the_names(run_module):
    script = [answer(200, [{'id': 3, 'name': 'Deploy app'}, {'id': 4, 'name': 'Slow job'}])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template='Nope'), script)
    assert rc == 1 and 'Deploy app, Slow job' in result['msg']


def test_if_running_skip_returns_the_active_task_unchanged(run_module):
    script = [answer(200, [task('waiting', id=60), task('running', id=59), task('success', id=58)])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, if_running='skip'), script)
    assert rc == 0 and result['changed'] is False and result['task_id'] == 59 and result['skipped_launch']
    assert len(adapter.sent) == 1


def test_if_running_fail_names_the_active_tasks(run_module):
    script = [answer(200, [task('running', id=59)])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, if_running='fail'), script)
    assert rc == 1 and '59' in result['msg']


def test_timeout_fails_with_the_task_and_can_stop_it(run_module, monkeypatch):
    ticks = iter(range(0, 10000, 5))
    monkeypatch.setattr(time, 'monotonic', lambda: float(next(ticks)))
    script = [answer(200, []), answer(201, task('waiting')), answer(200, task('running')),
              answer(204, ''), answer(200, task('stopped')), answer(200, [])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, wait_timeout=12,
                                                               stop_on_timeout=True), script)
    assert rc == 1 and 'did not end within' in result['msg']
    assert result['stopped_on_timeout'] is True and result['status'] == 'stopped', adapter.paths()
    assert 'POST api/project/1/tasks/57/stop' in adapter.paths()


def test_stop_leaves_a_finished_task_alone(run_module):
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, task_id=57, state='stopped'),
                                     [answer(200, task('success'))])
    assert rc == 0 and result['changed'] is False and result['status'] == 'success'
    assert adapter.paths() == ['GET api/project/1/tasks/57']


def test_stop_a_running_task(run_module):
    script = [answer(200, task('running')), answer(204, ''), answer(200, task('stopped')), answer(200, [])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, task_id=57, state='stopped', force=True), script)
    assert rc == 0 and result['changed'] is True and result['status'] == 'stopped'
    assert json.loads(adapter.sent[1]['body']) == {'force': True}


def test_stop_of_a_task_already_stopping_sends_no_second_stop(run_module):
    script = [answer(200, task('stopping')), answer(200, task('stopped', end='2025-10-14T09:12:36Z')), answer(200, [])]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, task_id=57, state='stopped'), script)
    assert rc == 0 and result['changed'] is False and result['status'] == 'stopped'
    assert not [path for path in adapter.paths() if path.startswith('POST')]


@pytest.mark.parametrize('limit', [0, -5, 201])
def test_info_limit_outside_the_server_bound_is_refused(run_module, limit):
    rc, result, adapter = run_module(semaphore_task_info.main, dict(BASE, project=1, template=3, limit=limit), [])
    assert rc == 1 and result['msg'] == 'limit must be between 1 and 200, got {0}'.format(limit)
    assert adapter.sent == []


def test_info_reads_one_task_with_output(run_module):
    rc, result, adapter = run_module(semaphore_task_info.main, dict(BASE, project=1, task_id=57, output_lines=-1),
                                     [answer(200, task('success')), answer(200, OUTPUT)])
    assert rc == 0 and result['changed'] is False and len(result['output']) == 4 and result['recap']['web1']['changed'] == 1


def test_info_waiting_for_a_task_that_just_ended_waits_for_its_end_time(run_module):
    # Semaphore stores the final status first and ``end`` a moment later.
    script = [answer(200, task('success', start='2025-10-14T09:12:34Z')),
              answer(200, task('success', start='2025-10-14T09:12:34Z', end='2025-10-14T09:12:36Z')), answer(200, OUTPUT)]
    rc, result, adapter = run_module(semaphore_task_info.main, dict(BASE, project=1, task_id=57, wait=True), script)
    assert rc == 0 and result['finished_at'] == '2025-10-14T09:12:36Z' and result['duration'] == 2.0


def test_info_lists_recent_tasks_of_a_template(run_module):
    rc, result, adapter = run_module(semaphore_task_info.main, dict(BASE, project=1, template=3, limit=5),
                                     [answer(200, [task('success', id=58), task('error', id=57)])])
    assert rc == 0 and [item['id'] for item in result['tasks']] == [58, 57]
    assert adapter.paths() == ['GET api/project/1/templates/3/tasks/last?limit=5']


def test_live_output_without_a_console_says_so_and_changes_nothing_else(run_module):
    script = [answer(200, []), answer(201, task('waiting')),
              answer(200, task('success', start='2025-10-14T09:12:34Z', end='2025-10-14T09:12:36Z')), answer(200, OUTPUT)]
    rc, result, adapter = run_module(semaphore_task.main, dict(BASE, project=1, template=3, live_output=True), script)
    assert rc == 0 and 'live_output shows lines only when' in json.dumps(result['warnings'])
    assert result['recap']['web1']['changed'] == 1
