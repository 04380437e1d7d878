# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A wait that meets a server restart (orphaned task) or a queue that does not move."""

from __future__ import annotations

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreConnectionError, SemaphoreHTTPError
from ansible_collections.semaphore.api.plugins.module_utils._waiter import (
    POOL_CHECK_EVERY,
    QUEUE_NOTICE_AFTER,
    WATCH_STEP,
    SemaphoreTaskOrphaned,
    SemaphoreTimeout,
    TaskWaiter,
)
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.test_waiter import FakeClock

URL = 'https://semaphore.example.com'


class Server:
    """Tasks whose status and output follow the fake clock; ``down`` = (from, to) seconds: refused.
    The admin pool listing holds every working task, except after ``pool_lost_at`` (a restart no poll saw);
    ``admin=False`` answers it 403."""

    timeout = 30

    def __init__(self, clock, tasks, down=None, pool_lost_at=None, admin=True):
        self.clock = clock
        self.start = clock.now
        self.tasks = tasks  # id -> function(elapsed) -> (status, output line count)
        self.templates = {}
        self.down = down
        self.pool_lost_at = pool_lost_at if pool_lost_at is not None else (down[0] if down else None)
        self.admin = admin
        self.requests = 0
        self.pool_reads = 0

    def elapsed(self):
        return self.clock.now - self.start

    def _answer(self, path):
        self.requests += 1
        if self.down and self.down[0] <= self.elapsed() < self.down[1]:
            raise SemaphoreConnectionError('GET', path, 'connection refused')

    def get_task(self, project_id, task_id, timeout=None):
        self._answer('/task')
        status = self.tasks[task_id](self.elapsed())[0]
        return {'id': task_id, 'status': status, 'template_id': self.templates.get(task_id, 3)}

    def get_task_output(self, project_id, task_id, timeout=None):
        self._answer('/output')
        return [{'output': 'line {0}'.format(index)} for index in range(self.tasks[task_id](self.elapsed())[1])]

    def list_tasks(self, project_id, template_id=None, limit=None):
        self._answer('/tasks/last')
        listed = [dict(self.get_task(project_id, task_id)) for task_id in sorted(self.tasks, reverse=True)]
        return [task for task in listed if template_id is None or task['template_id'] == template_id]

    def get_task_pool(self):
        self._answer('/tasks')
        self.pool_reads += 1
        if not self.admin:
            raise SemaphoreHTTPError('GET', '/api/tasks', 403)
        if self.pool_lost_at is not None and self.elapsed() >= self.pool_lost_at:
            return []
        return [{'task_id': task_id, 'location': 'running'} for task_id in self.tasks
                if self.tasks[task_id](self.elapsed())[0] in ('starting', 'running')]

    def task_web_url(self, project_id, task_id, template_id=None):
        return '{0}/project/{1}/templates/{2}?t={3}'.format(URL, project_id, template_id, task_id)


def printing_until(crash_at, lines_per_second=2):
    """A task that prints until the server dies at ``crash_at``, then never moves again (orphan)."""
    return lambda elapsed: ('running', int(min(elapsed, crash_at) * lines_per_second))


def waiter_for(server, clock, orphan_timeout=60.0, timeout=600.0, notices=None):
    return TaskWaiter(server, 1, timeout=timeout, poll_interval=30, clock=clock, sleep=clock.sleep,
                      orphan_timeout=orphan_timeout, notice=(notices if notices is not None else []).append)


def test_a_task_orphaned_by_a_restart_fails_soon_after_the_server_is_back():
    clock = FakeClock()
    server = Server(clock, {7: printing_until(crash_at=8.0)}, down=(8.0, 14.0))
    with pytest.raises(SemaphoreTaskOrphaned) as raised:
        waiter_for(server, clock).wait({'id': 7, 'status': 'running'})
    # Detected within orphan_timeout (+ one watch step) of the restart, not at wait_timeout.
    assert 14.0 + 60.0 <= server.elapsed() <= 14.0 + 60.0 + WATCH_STEP + 1
    message = str(raised.value)
    assert message.startswith('task 7 was running when Semaphore restarted and has shown no new output for 6')
    assert 'shows it as running until it is stopped; stop it with' in message
    assert 'does not resume tasks' in message and 'state=stopped task_id=7 force=true' in message
    assert URL + '/project/1/templates/3?t=7' in message
    assert server.requests < 60  # polls every few seconds while watching, not a busy loop


def test_a_task_that_goes_on_after_a_dropped_connection_is_not_an_orphan():
    clock = FakeClock()
    # The connection failed for a while, but the task kept printing and ends normally.
    server = Server(clock, {7: lambda elapsed: ('success' if elapsed > 200 else 'running', int(elapsed))}, down=(8.0, 10.0))
    waiter = waiter_for(server, clock)
    task = waiter.wait({'id': 7, 'status': 'running'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success'


def test_a_silent_task_without_any_outage_is_never_called_orphaned():
    clock = FakeClock()
    server = Server(clock, {7: lambda elapsed: ('success' if elapsed > 300 else 'running', 3)})
    waiter = waiter_for(server, clock)
    task = waiter.wait({'id': 7, 'status': 'running'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success'


def test_orphan_timeout_zero_waits_until_the_wait_timeout():
    clock = FakeClock()
    server = Server(clock, {7: printing_until(crash_at=8.0)}, down=(8.0, 14.0))
    with pytest.raises(SemaphoreTimeout):
        waiter_for(server, clock, orphan_timeout=0, timeout=300).wait({'id': 7, 'status': 'running'})
    assert server.elapsed() >= 300


def test_a_waiting_task_says_once_what_it_waits_behind_and_names_a_silent_blocker():
    clock = FakeClock()
    notices = []
    server = Server(clock, {7: lambda elapsed: ('running', 40), 8: lambda elapsed: ('waiting', 0)})
    with pytest.raises(SemaphoreTimeout) as raised:
        waiter_for(server, clock, timeout=200, notices=notices).wait({'id': 8, 'status': 'waiting', 'template_id': 3})
    assert notices[0] == ("task 8 is waiting in Semaphore's queue behind task 7 (running, {0}/project/1/templates/3?t=7) "
                          "of the same template".format(URL))
    assert notices[1].startswith('task 7, ahead of task 8 in the queue, has been running with no new output for 6')
    assert 'may be orphaned' in notices[1] and 'state=stopped task_id=7 force=true' in notices[1]
    assert len(notices) == 2  # each said once
    assert notices[0] in str(raised.value) and notices[1] in str(raised.value)


def test_a_moving_queue_is_described_but_nothing_is_called_orphaned():
    clock = FakeClock()
    notices = []
    server = Server(clock, {7: lambda elapsed: ('success' if elapsed > 100 else 'running', int(elapsed)),
                            8: lambda elapsed: ('success' if elapsed > 130 else 'waiting' if elapsed <= 100 else 'running', 0)})
    waiter = waiter_for(server, clock, notices=notices)
    task = waiter.wait({'id': 8, 'status': 'waiting', 'template_id': 3})
    elapsed = waiter.elapsed
    assert task['status'] == 'success'
    assert len(notices) == 1 and 'behind task 7' in notices[0]
    assert QUEUE_NOTICE_AFTER <= server.elapsed()


def test_a_queue_held_by_the_project_names_its_tasks():
    clock = FakeClock()
    notices = []
    server = Server(clock, {5: lambda elapsed: ('running', int(elapsed)), 8: lambda elapsed: ('waiting', 0)})
    server.templates = {5: 4, 8: 3}  # another template's task holds the project's only place
    with pytest.raises(SemaphoreTimeout):
        waiter_for(server, clock, timeout=30, notices=notices).wait({'id': 8, 'status': 'waiting', 'template_id': 3})
    assert notices == ["task 8 is waiting in Semaphore's queue behind task 5 (running, {0}/project/1/templates/4?t=5) of "
                       "the project (its max_parallel_tasks, or the server's, is reached)".format(URL)]


def test_a_restart_between_two_polls_is_seen_in_the_admin_pool():
    clock = FakeClock()
    # No refused poll at all: the server was down only between two polls; its pool no longer holds the task.
    server = Server(clock, {7: printing_until(crash_at=100.0)}, pool_lost_at=100.0)
    with pytest.raises(SemaphoreTaskOrphaned):
        waiter_for(server, clock, timeout=3600).wait({'id': 7, 'status': 'running'})
    assert server.elapsed() <= 100.0 + POOL_CHECK_EVERY + 60.0 + 2 * WATCH_STEP
    assert server.pool_reads <= 4  # now and then, not at every poll


def test_without_admin_rights_the_pool_is_asked_once():
    clock = FakeClock()
    server = Server(clock, {7: lambda elapsed: ('success' if elapsed > 400 else 'running', int(elapsed))}, admin=False)
    waiter = waiter_for(server, clock)
    task = waiter.wait({'id': 7, 'status': 'running'})
    elapsed = waiter.elapsed
    assert server.pool_reads == 1


def test_an_orphan_found_by_a_later_wait_is_seen_in_the_pool_at_once():
    clock = FakeClock()
    # The restart happened before this wait (semaphore_task_info, wait=true) began.
    server = Server(clock, {7: printing_until(crash_at=0.0)}, pool_lost_at=0.0)
    waiter = TaskWaiter(server, 1, timeout=600, poll_interval=30, clock=clock, sleep=clock.sleep, orphan_timeout=60)
    with pytest.raises(SemaphoreTaskOrphaned):
        waiter.wait({'id': 7, 'status': 'running'})
    assert server.elapsed() <= 60.0 + 2 * WATCH_STEP and server.pool_reads == 1


def test_an_outage_hidden_by_the_retries_of_one_read_still_counts():
    clock = FakeClock()
    server = Server(clock, {7: printing_until(crash_at=8.0)}, pool_lost_at=10**6)  # the pool is not asked in time
    server.connection_failures = 0
    real_get = server.get_task

    def get_task_after_a_retry(project_id, task_id, timeout=None):
        if 8.0 <= server.elapsed() < 12.0:
            server.connection_failures += 1  # the client retried past the outage
        return real_get(project_id, task_id, timeout)
    server.get_task = get_task_after_a_retry
    with pytest.raises(SemaphoreTaskOrphaned):
        waiter_for(server, clock).wait({'id': 7, 'status': 'running'})
    assert server.elapsed() <= 12.0 + 60.0 + 2 * WATCH_STEP


class BreakingSocket:
    """The task's websocket: silent while the task runs, dropped when the server dies at ``break_at``."""

    def __init__(self, clock, break_at):
        self.clock = clock
        self.break_at = clock.now + break_at
        self.broken = False

    def wait(self, task_id, seconds):
        if self.clock.now + seconds >= self.break_at:
            self.clock.now = max(self.clock.now, self.break_at)
            self.broken = True
            return None
        self.clock.now += seconds
        return None


@pytest.mark.parametrize('expected', [None, (40.0, 0.5)], ids=['never ran', 'ran before'])
@pytest.mark.parametrize('orphan_timeout', [60.0, 20.0])
def test_a_restart_during_a_socket_wait_is_reported_within_orphan_timeout_whatever_the_history(expected, orphan_timeout):
    # The restart comes before the first safety poll, so the last status the waiter saw is the
    # launch's ``waiting``: after the socket drops, the next poll must not wait for the end the
    # template's history predicts (up to poll_interval, 30 s).
    clock = FakeClock()
    server = Server(clock, {7: lambda elapsed: ('running', int(min(elapsed, 8.0) * 2))}, down=(8.0, 12.0))
    waiter = TaskWaiter(server, 1, timeout=600.0, poll_interval=30, clock=clock, sleep=clock.sleep, launched=True,
                        expected=expected, events=BreakingSocket(clock, 8.0), orphan_timeout=orphan_timeout)
    with pytest.raises(SemaphoreTaskOrphaned):
        waiter.wait({'id': 7, 'status': 'waiting', 'created': '2026-12-07T10:00:00Z'})
    assert server.elapsed() <= 8.0 + orphan_timeout + 10.0
