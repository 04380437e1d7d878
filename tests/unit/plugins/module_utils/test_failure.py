# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Why a task failed, read from outputs recorded on a real Semaphore 2.10.32 (recorded/*.json) and from written ones."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._failure import MAX_ERROR_LINES, error_lines, failed_hosts, failure_reason
from ansible_collections.semaphore.api.plugins.module_utils._output import output_text_lines, parse_recap
from ansible_collections.semaphore.api.plugins.module_utils._tasks import FAILED_STATUSES

RECORDED = os.path.join(os.path.dirname(__file__), 'recorded')

# Every recorded output of a task that failed or was stopped, with the failed hosts and the one-line
# reason the module must give. Recorded on a real Semaphore 2.10.32 (BoltDB) with ansible-core 2.19
# (files *_219) and 2.16 (*_216) on its PATH; Terraform with a stand-in script.
EXPECTED = {
    'ansible_fail_hosts_216.json': (['web1', 'web2'], "failed on web1, web2: [Errno 2] No such file or directory: b'/nonexistent/binary'"),
    'ansible_fail_hosts_219.json': (['web1', 'web2'], 'failed on web1, web2: Error executing command.'),
    'ansible_fail_simple_216.json': (['web1', 'web2'], 'failed on web1, web2: failing on purpose'),
    'ansible_fail_simple_219.json': (['web1', 'web2'], 'failed on web1, web2: failing on purpose'),
    'ansible_process_killed.json': ([], 'Running app failed: signal: killed'),
    'ansible_undefined_var_216.json': (['web1', 'web2'], "failed on web1, web2: The task includes an option with an undefined "
                                       "variable. The error was: 'no_such_variable' is undefined. 'no_such_variable' is undefined"),
    'ansible_undefined_var_219.json': (['web1', 'web2'], "failed on web1, web2: Task failed: Finalization of task args for "
                                       "'ansible.builtin.debug' failed: Error while resolving value for 'msg': "
                                       "'no_such_variable' is undefined"),
    'environment_env_vars_not_object_219.json': ([], 'Running app failed: json: cannot unmarshal array into Go value of type '
                                                     'map[string]string'),
    'environment_extra_vars_not_object_219.json': ([], 'Running app failed: json: cannot unmarshal array into Go value of type '
                                                       'map[string]interface {}'),
    'environment_invalid_json.json': ([], 'Error: unexpected end of JSON input'),
    'git_branch_missing_219.json': ([], 'fatal: Remote branch dev not found in upstream origin'),
    # Recorded on MariaDB: an ssh server that refuses the key.
    'git_clone_publickey_mariadb.json': (
        [], 'git@127.0.0.1: Permission denied (publickey). (Failed updating repository: exit status 128)'),
    'git_repo_missing_219.json': ([], "fatal: '/work/real/no-such-repo.git' does not appear to be a git repository"),
    'inventory_wrong_type_219.json': ([], 'Running app failed: invalid inventory type'),
    'playbook_missing_216.json': ([], 'the playbook: no_such_playbook.yml could not be found'),
    'playbook_missing_219.json': ([], 'the playbook: no_such_playbook.yml could not be found'),
    'playbook_syntax_error_216.json': ([], 'We were unable to read either as JSON nor YAML, these are the errors we got from each:'),
    'playbook_syntax_error_219.json': ([], "YAML parsing failed: While parsing a block collection did not find expected '-' indicator."),
    'playbook_unknown_module_216.json': ([], "couldn't resolve module/action 'no_such_namespace.no_such_collection.no_such_module'. "
                                             "This often indicates a misspelling, missing collection, or incorrect module path."),
    'playbook_unknown_module_219.json': ([], "couldn't resolve module/action 'no_such_namespace.no_such_collection.no_such_module'. "
                                             "This often indicates a misspelling, missing collection, or incorrect module path."),
    'queue_stop_waiting.json': ([], None),
    'restart_sigkill.json': ([], None),
    'restart_sigterm.json': ([], None),
    'restart_sigterm_216.json': ([], None),
    'stop_force.json': ([], 'Running app failed: signal: killed'),
    'stop_plain.json': ([], 'Running app failed: signal: killed'),
    'terraform_init_error.json': ([], 'Error: Failed to query available provider packages'),
    # Terraform's own lines were lost there: Semaphore's are all that is left.
    'terraform_init_error_lines_lost.json': ([], 'Running galaxy failed: exit status 1'),
    'terraform_plan_error.json': ([], 'Error: Reference to undeclared input variable'),
}


def recorded(name):
    with open(os.path.join(RECORDED, name)) as handle:
        return json.load(handle)


def test_every_recorded_failure_has_an_expectation():
    failures = [name for name in os.listdir(RECORDED)
                if name.endswith('.json') and (recorded(name).get('task') or {}).get('status') in FAILED_STATUSES]
    assert sorted(failures) == sorted(EXPECTED)


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_a_recorded_failure_is_explained(name):
    lines = output_text_lines(recorded(name)['output'])
    recap = parse_recap(lines)
    hosts, reason = EXPECTED[name]
    assert failed_hosts(recap) == hosts
    assert failure_reason(lines, recap) == reason
    found = error_lines(lines)
    assert len(found) <= MAX_ERROR_LINES and not any('\x1b' in line for line in found)
    assert bool(found) == (reason is not None)
    # The reason is the same from the error lines alone (what the module keeps).
    assert failure_reason(found, recap) == reason


@pytest.mark.parametrize('lines, reason', [
    # ansible-core before 2.19: no [ERROR] line, the msg only in the fatal line's JSON.
    (['TASK [x] ***', 'fatal: [db1]: UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via ssh", "unreachable": true}'],
     'failed on db1: Failed to connect to the host via ssh'),
    (['failed: [web1] (item=a) => {"ansible_loop_var": "item", "item": "a", "msg": "bad item"}'], 'failed on web1: bad item'),
    (['ERROR! the playbook: site.yml could not be found'], 'the playbook: site.yml could not be found'),
    (['[ERROR]: Conflicting action statements: debug, command'], 'Conflicting action statements: debug, command'),
    # Before Ansible runs: git, Semaphore itself, Terraform.
    (['Updating Repository https://example.com/app.git', 'fatal: Remote branch dev not found in upstream origin',
      'Failed updating repository: exit status 128'], 'fatal: Remote branch dev not found in upstream origin'),
    (['Failed to install inventory: open /tmp/inventory_3: no such file or directory'],
     'Failed to install inventory: open /tmp/inventory_3: no such file or directory'),
    (['Error getting environment extra vars'], 'Error getting environment extra vars'),
    (['\u2577', '\u2502 Error: Invalid reference', '\u2502 ', '\u2575'], 'Error: Invalid reference'),
    (['PLAY [all] ***', 'ok: [web1]', 'Running app failed: exit status 2'], 'Running app failed: exit status 2'),
    (['nothing here says why'], None),
])
def test_a_written_failure_is_explained(lines, reason):
    assert failure_reason(lines, parse_recap(lines)) == reason


def test_a_recap_without_a_fatal_line_still_names_the_hosts():
    lines = ['PLAY RECAP ***', 'web1 : ok=1 changed=0 unreachable=1 failed=0 skipped=0 rescued=0 ignored=0',
             'web2 : ok=2 changed=0 unreachable=0 failed=0 skipped=0 rescued=0 ignored=0']
    assert failure_reason(lines, parse_recap(lines)) == 'failed on web1'


def test_at_most_twenty_error_lines_are_kept():
    assert len(error_lines(['[ERROR]: number {0}'.format(index) for index in range(50)])) == MAX_ERROR_LINES
