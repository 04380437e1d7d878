# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreResponseError,
    answer_may_be_lost,
)
from ansible_collections.semaphore.api.plugins.module_utils._launch import tasks_created_since
from ansible_collections.semaphore.api.plugins.module_utils._output import (
    bound_lines,
    fetch_output,
    order_output,
    output_text_lines,
    parse_recap,
    strip_ansi,
)
from ansible_collections.semaphore.api.plugins.module_utils._payload import (
    build_payload,
    check_confirm,
    check_overrides,
    needs_template,
    redact_payload,
)
from ansible_collections.semaphore.api.plugins.module_utils._tasks import (
    active_tasks,
    expected_run_seconds,
    task_has_ended,
    task_timings,
)

FLAGS = dict(debug=True, semaphore_dry_run=True, semaphore_diff=False, limit=['web1', 'web2'])

ALL_ALLOWED = {'allow_override_args_in_task': True, 'allow_override_branch_in_task': True,
               'task_params': {'allow_debug': True, 'allow_override_limit': True, 'allow_override_tags': True,
                               'allow_override_skip_tags': True, 'allow_override_inventory': True}}
LOCKED = {'id': 4, 'name': 'Locked job'}  # 2.14.8+ omits false flags altogether


@pytest.mark.parametrize('version, top_level, in_params', [
    ((2, 10, 32), True, False),
    ((2, 11, 0), True, True),
    ((2, 13, 5), True, True),
    ((2, 14, 0), False, True),
    ((2, 16, 51), False, True),
    (None, False, True),  # a source build counts as the newest
])
def test_payload_shape_follows_the_server_version(version, top_level, in_params):
    payload = build_payload(3, FLAGS, version)
    assert payload['template_id'] == 3
    if top_level:
        assert payload['debug'] is True and payload['dry_run'] is True and payload['diff'] is False
        assert payload['limit'] == 'web1,web2'
    else:
        for field in ('debug', 'dry_run', 'diff', 'limit'):
            assert field not in payload
    if in_params:
        assert payload['params'] == {'debug': True, 'dry_run': True, 'diff': False, 'limit': ['web1', 'web2']}
    else:
        assert 'params' not in payload


def test_strings_the_server_wants_as_json():
    payload = build_payload(3, {'environment': {'version': '1.2', 'n': 1}, 'secret_environment': {'pw': 's3cr3t'},
                                'arguments': ['-e', 'x=1'], 'task_message': 'nightly', 'git_branch': 'main',
                                'playbook': 'other.yml'}, (2, 16, 0), inventory_id=2)
    assert json.loads(payload['environment']) == {'version': '1.2', 'n': 1}
    assert isinstance(payload['environment'], str)
    assert json.loads(payload['arguments']) == ['-e', 'x=1']
    assert json.loads(payload['secret']) == {'pw': 's3cr3t'}
    assert payload['inventory_id'] == 2
    assert payload['message'] == 'nightly' and payload['git_branch'] == 'main' and payload['playbook'] == 'other.yml'
    assert 's3cr3t' not in json.dumps(redact_payload(payload))


def test_tags_debug_level_and_raw_params_go_into_params():
    payload = build_payload(3, {'tags': ['a', 'b'], 'skip_tags': ['c'], 'debug': True, 'debug_level': 2,
                                'params': {'plan': True}, 'limit': ['x']}, (2, 16, 0))
    assert payload['params'] == {'tags': ['a', 'b'], 'skip_tags': ['c'], 'debug': True, 'debug_level': 2,
                                 'plan': True, 'limit': ['x']}


def test_a_launch_without_overrides_is_just_the_template():
    assert build_payload(7, {}, None) == {'template_id': 7}


def test_overrides_the_locked_template_refuses_on_2_16():
    options = {'limit': ['web1'], 'tags': ['t'], 'skip_tags': ['s'], 'debug': True, 'inventory': 2,
               'arguments': ['-v'], 'git_branch': 'dev', 'task_message': 'ok', 'semaphore_diff': True}
    refused = dict(check_overrides(options, LOCKED, (2, 16, 51)))
    # git_branch is applied by the server whatever the template says, so it is never refused.
    assert sorted(refused) == ['arguments', 'debug', 'inventory', 'limit', 'skip_tags', 'tags']
    assert 'allow_override_limit' in refused['limit']
    assert check_overrides(options, ALL_ALLOWED, (2, 16, 51)) == []


def test_flags_count_only_from_the_version_that_enforces_them():
    options = {'limit': ['web1'], 'debug': True, 'git_branch': 'dev'}
    # 2.12 honours limit and debug whatever the template says; the branch flag does not exist yet.
    assert check_overrides(options, LOCKED, (2, 12, 0)) == []
    assert [name for name, reason in check_overrides(options, LOCKED, (2, 13, 0))] == ['debug']


def test_debug_false_and_empty_lists_ask_for_nothing():
    assert check_overrides({'debug': False, 'limit': []}, LOCKED, (2, 16, 0)) == []


def test_params_only_overrides_are_refused_before_2_11():
    refused = dict(check_overrides({'tags': ['t'], 'params': {'plan': True}}, {}, (2, 10, 32)))
    assert sorted(refused) == ['params', 'tags']
    assert '2.11' in refused['tags']


def test_ansi_codes_are_stripped():
    assert strip_ansi('\x1b[0;32mok: [web1]\x1b[0m') == 'ok: [web1]'
    assert strip_ansi('\x1b[1;31mfatal\x1b[0m\r') == 'fatal'
    assert output_text_lines([{'output': '\x1b[33mchanged\x1b[0m'}, {'output': 'plain'}]) == ['changed', 'plain']


@pytest.mark.parametrize('bound, expected', [(2, ['c', 'd']), (10, ['a', 'b', 'c', 'd']), (-1, ['a', 'b', 'c', 'd']), (0, [])])
def test_output_is_bounded_to_the_last_lines(bound, expected):
    assert bound_lines(['a', 'b', 'c', 'd'], bound) == expected


RECAP_OUTPUT = [
    'PLAY [all] ****',
    'TASK [ping] ****',
    'ok: [web1]',
    'PLAY RECAP *********************************************************************',
    'web1                       : ok=3    changed=1    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0   ',
    'db.example.com             : ok=1    changed=0    unreachable=1    failed=1    skipped=0    rescued=1    ignored=1   ',
    '',
    'Running playbook finished',
]


def test_play_recap_is_parsed_per_host():
    recap = parse_recap(RECAP_OUTPUT)
    assert recap == {
        'web1': {'ok': 3, 'changed': 1, 'unreachable': 0, 'failed': 0, 'skipped': 2, 'rescued': 0, 'ignored': 0},
        'db.example.com': {'ok': 1, 'changed': 0, 'unreachable': 1, 'failed': 1, 'skipped': 0, 'rescued': 1, 'ignored': 1},
    }


def test_old_recap_without_rescued_and_ignored_and_the_last_recap_wins():
    lines = ['PLAY RECAP ***', 'a : ok=1 changed=0 unreachable=0 failed=0', '', 'PLAY RECAP ***',
             'b : ok=2 changed=1 unreachable=0 failed=0']
    assert parse_recap(lines) == {'b': {'ok': 2, 'changed': 1, 'unreachable': 0, 'failed': 0, 'skipped': 0, 'rescued': 0, 'ignored': 0}}


def test_no_recap_gives_none():
    assert parse_recap(['Terraform has been successfully initialized']) is None


def test_timings_with_mixed_precision():
    timings = task_timings({'created': '2025-10-14T09:12:33.481516227Z', 'start': '2025-10-14T09:12:39Z',
                            'end': '2025-10-14T09:13:02.5Z'})
    assert timings['queued_seconds'] == pytest.approx(5.518, abs=0.001)
    assert timings['duration'] == 23.5
    assert task_timings({'created': '2025-10-14T09:12:33Z', 'start': None})['started_at'] is None


def test_expected_duration_from_recent_tasks():
    tasks = [
        {'status': 'running', 'created': '2025-01-01T00:09:00Z', 'start': '2025-01-01T00:09:01Z'},
        {'status': 'success', 'created': '2025-01-01T00:00:00Z', 'start': '2025-01-01T00:00:01Z', 'end': '2025-01-01T00:00:31Z'},
        {'status': 'error', 'created': '2025-01-01T00:01:00Z', 'start': '2025-01-01T00:01:02Z', 'end': '2025-01-01T00:01:30Z'},
        {'status': 'success', 'created': '2025-01-01T00:02:00Z', 'start': '2025-01-01T00:02:01Z', 'end': '2025-01-01T00:02:33Z'},
    ]
    assert expected_run_seconds(tasks) == (30.0, 1.0)
    assert expected_run_seconds([]) is None


@pytest.mark.parametrize('error, lost', [
    (SemaphoreConnectionError('POST', '/api/project/1/tasks', 'closed', sent=True), True),
    (SemaphoreConnectionError('POST', '/api/project/1/tasks', 'connection refused', sent=False), False),
    (SemaphoreHTTPError('POST', '/api/project/1/tasks', 502), True),
    (SemaphoreHTTPError('POST', '/api/project/1/tasks', 403), False),
    (SemaphoreResponseError('POST', '/api/project/1/tasks', 201, 'truncated'), True),
])
def test_which_failures_may_hide_a_created_task(error, lost):
    assert answer_may_be_lost(error) is lost


class OutputClient:
    def __init__(self, *answers):
        self.answers = list(answers)
        self.reads = 0

    def get_task_output(self, project_id, task_id, timeout=None):
        self.reads += 1
        return self.answers.pop(0)


STORED = [{'output': 'PLAY [all] ***'}, {'output': 'ok: [web1]'}]
FULL = STORED + [{'output': 'PLAY RECAP ***'}, {'output': 'web1 : ok=1 changed=0 unreachable=0 failed=0'}]


def test_a_trailing_recap_is_taken_from_the_stream_without_a_second_read():
    client = OutputClient(STORED)
    streamed = [line['output'] for line in FULL]
    raw = fetch_output(client, 1, {'id': 5, 'status': 'success'}, streamed=streamed, sleep=lambda s: None)
    assert client.reads == 1 and parse_recap(output_text_lines(raw)) is not None


def test_an_inconsistent_stream_is_not_trusted_and_the_output_is_read_again():
    client = OutputClient(STORED, FULL)
    slept = []
    raw = fetch_output(client, 1, {'id': 5, 'status': 'success'}, streamed=['x', 'y', 'PLAY RECAP ***', 'h : ok=1'],
                       sleep=slept.append)
    assert client.reads == 2 and slept == [0.5] and raw == FULL


def test_an_output_still_being_stored_is_read_while_it_grows():
    # Semaphore 2.10 stores a large output line by line, seconds after the task's end.
    growing = [STORED, STORED + [{'output': 'ok: [web2]'}] * 100, STORED + [{'output': 'ok: [web2]'}] * 300, FULL * 101]
    client = OutputClient(*growing)
    slept = []
    raw = fetch_output(client, 1, {'id': 5, 'status': 'success'}, sleep=slept.append)
    assert client.reads == 4 and slept == [0.5, 1.0, 2.0] and raw == FULL * 101


def test_an_output_that_stopped_growing_without_a_recap_is_not_read_forever():
    client = OutputClient(STORED, STORED)
    assert fetch_output(client, 1, {'id': 5, 'status': 'error'}, sleep=lambda s: None) == STORED and client.reads == 2


def test_a_complete_output_is_read_once():
    client = OutputClient(FULL)
    assert fetch_output(client, 1, {'id': 5, 'status': 'success'}, sleep=lambda s: None) == FULL and client.reads == 1


# -- what the server does with an override, per release (found on a real 2.10.32 and in the source) --

@pytest.mark.parametrize('version, refused', [((2, 10, 30), True), ((2, 10, 31), False), ((2, 16, 0), False), (None, False)])
def test_git_branch_is_refused_where_the_server_ignores_it(version, refused):
    found = check_overrides({'git_branch': 'release'}, {}, version)
    assert (found == [('git_branch', 'needs Semaphore 2.10.31 or later, the server is 2.10.30')]) is refused


TEMPLATE_WITH_ENV = {'id': 3, 'environment_id': 1}


@pytest.mark.parametrize('template, environment_json, reason', [
    ({'id': 3, 'environment_id': None}, None, 'the template has no environment, and Semaphore 2.10.32 fails a launch'),
    (TEMPLATE_WITH_ENV, '{"app_version": "1.0", "region": "eu"}', "the template's environment sets app_version, which wins"),
])
def test_environment_up_to_2_15_is_checked_against_the_template(template, environment_json, reason):
    found = check_overrides({'environment': {'app_version': '9.9', 'extra': 'x'}}, template, (2, 10, 32), environment_json)
    assert [name for name, text in found] == ['environment'] and reason in found[0][1]


def test_environment_that_adds_keys_or_reaches_a_newer_server_is_fine():
    assert check_overrides({'environment': {'extra': 'x'}}, TEMPLATE_WITH_ENV, (2, 15, 0), '{"app_version": "1.0"}') == []
    assert check_overrides({'environment': {'app_version': '9'}}, {}, (2, 16, 0)) == []
    assert needs_template({'environment': {'a': 1}}, (2, 15, 9)) and not needs_template({'environment': {'a': 1}}, (2, 16, 0))


@pytest.mark.parametrize('version, task_params, refused', [
    ((2, 16, 0), {}, 'allow_auto_approve is off'),
    ((2, 16, 0), {'allow_auto_approve': True}, None),
    ((2, 18, 2), {'auto_approve': True}, None),
    ((2, 13, 0), {'allow_auto_approve': True}, 'needs Semaphore 2.16 or later'),
])
def test_terraform_auto_approve_needs_the_template_to_allow_it(version, task_params, refused):
    found = check_overrides({'params': {'auto_approve': True}}, {'app': 'terraform', 'task_params': task_params}, version)
    found = [reason for name, reason in found if name == 'params.auto_approve']
    assert (refused in found[0]) if refused else found == []


def test_reject_is_refused_before_launch_where_there_is_no_reject_endpoint():
    with pytest.raises(SemaphoreError, match='confirm=reject needs Semaphore 2.11 or later'):
        check_confirm({'confirm': 'reject'}, (2, 10, 32))
    check_confirm({'confirm': 'reject'}, (2, 11, 0))
    check_confirm({'confirm': 'confirm'}, (2, 10, 32))


class ListingClient:
    def __init__(self, listed):
        self.listed = listed

    def current_user(self):
        return {'id': 1}

    def list_tasks(self, project_id, template_id=None, limit=None):
        return self.listed


@pytest.mark.parametrize('before, after, new', [
    ([20, 19], [22, 21, 20, 19], [22, 21]),  # SQL: ids grow
    ([2147483640, 2147483641], [2147483639, 2147483640, 2147483641], [2147483639]),  # BoltDB: ids shrink
    ([], [7], [7]),  # the template never ran
])
def test_tasks_created_by_a_lost_launch_are_found_whatever_the_id_order(before, after, new):
    client = ListingClient([{'id': task_id, 'user_id': 1, 'status': 'waiting'} for task_id in after])
    found = tasks_created_since(client, 1, 3, None, known_ids=before)
    assert [task['id'] for task in found] == new


@pytest.mark.parametrize('task, ended', [
    ({'status': 'success'}, True),
    ({'status': 'stopping', 'end': None}, False),
    # 2.10: a plain stop that killed nothing leaves the task stopping for good, with its end set.
    ({'status': 'stopping', 'end': '2026-12-02T07:36:32.11191238Z'}, True),
    ({'status': 'running', 'end': None}, False),
])
def test_a_task_has_ended_when_its_status_can_no_longer_change(task, ended):
    assert task_has_ended(task) is ended
    assert (active_tasks([task]) == []) is ended


# Semaphore 2.10 on MariaDB: whole-second times, /output ordered by time alone (seen on a real 2.10.32).
MYSQL_SHUFFLED = [
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:32Z', 'output': 'PLAY [Deploy app] ****'},
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:34Z', 'output': 'web2 : ok=2 changed=1 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0'},
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:34Z', 'output': 'Running app failed: exit status 2'},
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:34Z', 'output': 'PLAY RECAP ****'},
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:34Z', 'output': '\x1b[0;33mchanged: [web1]\x1b[0m'},
    {'task_id': 12, 'task': '', 'time': '2026-12-02T07:35:34Z', 'output': 'web1 : ok=2 changed=1 unreachable=0 failed=1 skipped=0 rescued=0 ignored=0'},
]


def test_a_recap_split_around_its_header_is_still_read():
    recap = parse_recap(output_text_lines(MYSQL_SHUFFLED))
    assert sorted(recap) == ['web1', 'web2'] and recap['web1']['failed'] == 1


def test_shuffled_seconds_get_the_recap_back_at_the_end():
    rows, reordered = order_output(MYSQL_SHUFFLED)
    assert reordered is True
    assert output_text_lines(rows)[-4:] == ['PLAY RECAP ****', MYSQL_SHUFFLED[5]['output'], MYSQL_SHUFFLED[1]['output'],
                                            'Running app failed: exit status 2']
    assert sorted(map(str, rows)) == sorted(map(str, MYSQL_SHUFFLED))


def test_the_streamed_order_wins_when_every_line_was_streamed():
    streamed = [MYSQL_SHUFFLED[index]['output'] for index in (0, 4, 3, 5, 1, 2)]
    rows, reordered = order_output(MYSQL_SHUFFLED, streamed)
    assert reordered is False and [row['output'] for row in rows] == streamed


def test_output_with_precise_times_keeps_the_server_order():
    precise = [dict(row, time='2026-12-02T07:35:34.{0:06d}Z'.format(index)) for index, row in enumerate(MYSQL_SHUFFLED)]
    assert order_output(precise) == (precise, False)
