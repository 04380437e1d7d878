# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Why a Semaphore task failed, in one line, from its output (ANSI-free text lines) and its recap.

Three kinds of line say why, in this order of trust:

- Ansible's own: ``fatal: [web1]: FAILED! => {... "msg": "..."}`` (also ``UNREACHABLE!`` and a loop's
  ``failed: [web1] (item=...) => ...``), ``[ERROR]: ...`` (ansible-core 2.19 and later) and
  ``ERROR! ...`` (older ansible-core);
- Semaphore's own, for a task that never reached Ansible (services/tasks/LocalJob.go and
  TaskRunner.go in Semaphore's source): ``Failed updating repository: ...``, ``Failed to install
  inventory: ...``, ``Running app failed: ...``, ``Error getting environment extra vars``...;
- the tools it runs: git (``fatal: Remote branch dev not found in upstream origin``, ``error: ...``),
  ssh under git (``git@host: Permission denied (publickey).``, which says more than git's
  ``fatal: Could not read from remote repository.`` after it) and Terraform/OpenTofu (``Error: ...``,
  also inside its ``│`` box).
"""

from __future__ import annotations

import json
import re

MAX_ERROR_LINES = 20

_HOST_FAILURE = re.compile(r'^fatal: \[(?P<host>[^\]]+)\]: (?:FAILED|UNREACHABLE)! => (?P<detail>.*)$')
_LOOP_FAILURE = re.compile(r'^failed: \[(?P<host>[^\]]+)\] \(item=.*\) => (?P<detail>.*)$')
_ANSIBLE_ERROR = re.compile(r'^(?:\[ERROR\]:|ERROR!)\s*(?P<text>.+)$')
_SERVER_ERROR = re.compile(
    r'^(?:Failed (?:updating|to|in) .+|Running (?:app|galaxy) failed: .+|Creating tmp dir failed: .+'
    r'|Error(?::| getting) .+|fatal: (?!\[).+|error: .+)$')
# What ssh or git says about a clone or fetch that failed, before git's generic "fatal: Could not read
# from remote repository." (recorded on 2.10.32: ``git@127.0.0.1: Permission denied (publickey).``).
_CLONE_CAUSE = re.compile(
    r'^(?:\S+: )?Permission denied \(.+\)\.?$|^Host key verification failed\.?$|^ssh: .+$|^remote: .+$'
    r'|^fatal: (?:Authentication failed|could not read Username|unable to access|repository \S+ not found).*$')
_BOX = re.compile(r'^[\u2502\u2577\u2575|]\s*')  # Terraform draws its errors in a box: "│ Error: ..."
_MSG = re.compile(r'"msg"\s*:\s*"(?P<msg>(?:[^"\\]|\\.)*)"')


def _detail_message(detail):
    """The first line of the ``msg`` of the JSON after ``FAILED! =>``, or the text itself when it has none."""
    try:
        data = json.loads(detail)
    except ValueError:
        found = _MSG.search(detail)
        message = json.loads('"{0}"'.format(found.group('msg'))) if found else detail
    else:
        message = str(data['msg']) if isinstance(data, dict) and data.get('msg') else detail
    return message.strip().split('\n')[0]


def failed_hosts(recap):
    """The hosts of a PLAY RECAP that failed or were unreachable, in the recap's order."""
    return [host for host, counts in (recap or {}).items() if counts.get('failed') or counts.get('unreachable')]


def error_lines(lines):
    """The lines of an output that say why it failed (at most MAX_ERROR_LINES), in order."""
    found = []
    for line in lines:
        text = _BOX.sub('', line.strip())
        if (_HOST_FAILURE.match(text) or _LOOP_FAILURE.match(text) or _ANSIBLE_ERROR.match(text) or _SERVER_ERROR.match(text)
                or _CLONE_CAUSE.match(text)):
            found.append(text)
            if len(found) == MAX_ERROR_LINES:
                break
    return found


def failure_reason(lines, recap):
    """One line that says why a task failed, or None when its output says nothing recognisable.

    ``failed on web1, web2: <the first host failure's msg>`` when the recap names failed hosts;
    else the first Ansible error; else Semaphore's or a tool's own error line. ``lines`` may be the
    whole output or its error_lines().
    """
    found = error_lines(lines)
    hosts = failed_hosts(recap)
    host_failures = (_HOST_FAILURE.match(text) or _LOOP_FAILURE.match(text) for text in found)
    first_host_failure = next((match for match in host_failures if match), None)
    if hosts:
        reason = 'failed on {0}'.format(', '.join(hosts))
        if first_host_failure:
            reason += ': {0}'.format(_detail_message(first_host_failure.group('detail')))
        return reason
    if first_host_failure:
        return 'failed on {0}: {1}'.format(first_host_failure.group('host'), _detail_message(first_host_failure.group('detail')))
    for text in found:
        ansible = _ANSIBLE_ERROR.match(text)
        if ansible:
            return ansible.group('text')
    cause = next((text for text in found if _CLONE_CAUSE.match(text)), None)
    if cause:
        # The line that says why, with Semaphore's own about what it was doing.
        context = next((text for text in found if text.startswith('Failed ')), None)
        return '{0} ({1})'.format(cause, context) if context else cause
    return found[0] if found else None
