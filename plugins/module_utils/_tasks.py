# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""What a task is: its status words, its timings, and the result the task modules return for it.

§n: sections of docs/server-behaviour.md; findings x: docs/real-server-findings.md.
The launch body is built in _payload.py, the output read in _output.py, a lost launch looked for in
_launch.py, and the wait in _waiter.py.
"""

from __future__ import annotations

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, parse_time
from ansible_collections.semaphore.api.plugins.module_utils._failure import error_lines, failed_hosts
from ansible_collections.semaphore.api.plugins.module_utils._output import bound_lines, output_text_lines, parse_recap

# §7: the only statuses that end a task. Everything else (waiting, starting, running,
# waiting_confirmation, confirmed, rejected, stopping) is still active.
TERMINAL_STATUSES = ('success', 'error', 'stopped')
FAILED_STATUSES = ('error', 'stopped', 'stopping')
# Statuses of a task that a runner works on. Semaphore does not resume such a task after its
# process restarts (server issues 1385, 3287), nor when the task's own process dies (3681): it
# shows the status forever, with no new output.
WORKING_STATUSES = ('starting', 'running')


def task_has_ended(task):
    """True once the task's run is over and its status will not change again.

    Besides the terminal statuses: on 2.10 a plain stop that does not kill the process (stopped
    while the repository is prepared) leaves the task ``stopping`` for good, with ``end`` set,
    after the run finished (seen on a real 2.10.32; the runner only turns ``running`` into success).
    """
    status = (task or {}).get('status')
    return status in TERMINAL_STATUSES or (status == 'stopping' and parse_time(task.get('end')) is not None)


def active_tasks(tasks):
    return [task for task in tasks or [] if not task_has_ended(task)]


class SemaphoreTaskFailed(SemaphoreError):
    """The task ended with ``error`` or ``stopped`` (or stayed ``stopping`` after its end, on 2.10);
    ``reason``: why, in one line, when its output says (module_utils/_failure.py)."""

    def __init__(self, task, reason=None):
        self.task = task
        super().__init__('task {0} ended with status {1}{2}'.format(task.get('id'), task.get('status'),
                                                                    ': ' + reason if reason else ''))


# -- timings ----------------------------------------------------------------------------------------

def _seconds(later, earlier):
    if later is None or earlier is None:
        return None
    return round((later - earlier).total_seconds(), 3)


def task_timings(task):
    created = parse_time(task.get('created'))
    started = parse_time(task.get('start'))
    finished = parse_time(task.get('end'))
    return {
        'created': task.get('created'),
        # Not 'started'/'finished': async_status reads those keys of a result as its own job state.
        'started_at': task.get('start') if started else None,
        'finished_at': task.get('end') if finished else None,
        'duration': _seconds(finished, started),
        'queued_seconds': _seconds(started, created),
    }


def expected_run_seconds(recent_tasks, sample=5):
    """Median ``(run seconds, queue seconds)`` of the template's recent finished tasks, or None.

    Used to poll densely only around the expected end when no websocket is available.
    """
    runs, queues = [], []
    for task in recent_tasks or []:
        # A stopped run says nothing about how long a full run takes.
        if task.get('status') not in ('success', 'error'):
            continue
        timings = task_timings(task)
        if timings['duration'] is None or timings['duration'] < 0:
            continue
        runs.append(timings['duration'])
        if timings['queued_seconds'] is not None and timings['queued_seconds'] >= 0:
            queues.append(timings['queued_seconds'])
        if len(runs) >= sample:
            break
    if not runs:
        return None
    return _median(runs), (_median(queues) if queues else 1.0)


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2.0


# -- the result a user sees -------------------------------------------------------------------------

def task_result(client, project_id, task, raw_output=None, output_lines=200):
    """The common part of both modules' results for one task."""
    result = {'task_id': task.get('id'), 'status': task.get('status'), 'task': task,
              'url': client.task_web_url(project_id, task.get('id'), task.get('template_id'))}
    result.update(task_timings(task))
    if raw_output is not None:
        lines = output_text_lines(raw_output)
        result['output'] = bound_lines(lines, output_lines)
        result['recap'] = parse_recap(lines)
        result['failed_hosts'] = failed_hosts(result['recap'])
        result['error_lines'] = error_lines(lines) if task.get('status') != 'success' else []
    return result
