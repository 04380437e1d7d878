# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Waiting for a Semaphore task to end: prompt, and cheap in requests.

The server pushes every status change over ``/api/ws`` (§9; module_utils/_events.py). When that
socket is open the waiter learns the end at once and only polls now and then as a safety net.
Without it, polls follow the template's history (module_utils/_schedule.py). Correctness never
depends on the socket: only a GET of the task decides that it has ended. While it waits, the waiter
also watches for a task nothing runs any more (an orphan after a server restart) and for a queue
that does not move. §n: sections of docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""

from __future__ import annotations

import time

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
    is_transient,
    parse_time,
)
from ansible_collections.semaphore.api.plugins.module_utils._output import OUTPUT_SETTLE
from ansible_collections.semaphore.api.plugins.module_utils._schedule import PollSchedule
from ansible_collections.semaphore.api.plugins.module_utils._tasks import WORKING_STATUSES, active_tasks, task_has_ended

SOCKET_SAFETY = (15.0, 30.0, 60.0)  # safety polls while the socket is up
# After the final status: reads that wait for ``end`` to be stored (normally one; a busy server can take
# a second or two more, seen in CI on 2 cores; an orphan stopped on 2.10 never gets one).
END_SETTLE_READS = 10
END_SETTLE_PAUSE = 0.3
MAX_FAILED_POLLS = 5               # consecutive polls (each already retried) that may fail in a wait
WATCH_STEP = 5.0                   # seconds between polls while a suspected orphan or a queue is watched
QUEUE_NOTICE_AFTER = 10.0          # seconds in ``waiting`` before saying what the task is queued behind
QUEUE_SAMPLE = 50                  # the project's recent tasks read to find what holds the queue
# A restart between two polls leaves no trace in them; the admin-only pool listing does (a running
# task it does not hold has no run behind it). Read at the first poll of a task not launched now (it
# may be an orphan already), then, without the socket, now and then.
POOL_CHECK_EVERY = 60.0


class SemaphoreTimeout(SemaphoreError):
    """The task did not end within the wait; carries the last task object seen and what the wait
    learnt about the queue (``notes``)."""

    def __init__(self, task, elapsed, notes=()):
        self.task = task
        self.elapsed = elapsed
        super().__init__('task {0} did not end within {1:.0f} seconds; last status: {2}{3}'.format(
            task.get('id'), elapsed, task.get('status'), ''.join('; ' + note for note in notes)))


class SemaphoreTaskOrphaned(SemaphoreError):
    """Semaphore restarted while the task ran, and the task has not moved since: nothing runs it."""

    def __init__(self, task, still_seconds, url):
        self.task = task
        self.still_seconds = still_seconds
        self.url = url
        super().__init__(self._message('stop it with semaphore_task state=stopped task_id={0} force=true, or in '
                                       'Semaphore at {1}'.format(task.get('id'), url)))

    def _message(self, what_next):
        return ('task {0} was {1} when Semaphore restarted and has shown no new output for {2:.0f} seconds since: '
                'Semaphore does not resume tasks after a restart and shows it as {1} until it is stopped; {3}'.format(
                    self.task.get('id'), self.task.get('status'), self.still_seconds, what_next))

    def stopped(self, task):
        """The orphan was stopped (option on_orphan=stop): say so instead of how to stop it."""
        self.args = (self._message('on_orphan=stop stopped it (force): it is now {0} ({1})'.format(task.get('status'), self.url)),)


class Stillness:
    """How long each watched task has shown no sign of life: no status change, no new output line."""

    def __init__(self, clock):
        self.clock = clock
        self._seen = {}  # task id -> ((status, output line count), when that was first seen)

    def seconds(self, task_id, status, line_count):
        now = self.clock()
        sign = (status, line_count)
        seen = self._seen.get(task_id)
        if seen is None or seen[0] != sign:
            self._seen[task_id] = (sign, now)
            return 0.0
        return now - seen[1]


class SemaphoreAwaitingConfirmation(SemaphoreError):
    """The task waits for someone to confirm its plan, and ``confirm=none`` says not to wait for that."""

    def __init__(self, task, url):
        self.task = task
        super().__init__('task {0} waits for confirmation of its plan (status waiting_confirmation) and stays so '
                         'in Semaphore: confirm or reject it at {1}, or set confirm to confirm, reject, or wait '
                         '(to wait for a person)'.format(task.get('id'), url))


def _clock_offset(created, now):
    """Server clock minus client clock, from a task created just now; None without a precise stamp.

    The stamp was taken before the answer arrived, so the offset comes out slightly low and pauses
    computed from it err on the long side.
    """
    if not isinstance(created, str) or '.' not in created:
        return None
    stamp = parse_time(created)
    return None if stamp is None else stamp.timestamp() - now


class TaskWaiter:
    """Wait for one task to reach ``success``, ``error`` or ``stopped`` (§7).

    ``wait(task)`` returns the ended task (``elapsed`` then holds the seconds waited); it raises
    SemaphoreTimeout (carrying the last task) when ``timeout`` passes first.
    """

    def __init__(self, client, project_id, timeout=None, poll_interval=30.0, confirm='none', expected=None,
                 events=None, clock=time.monotonic, sleep=time.sleep, warn=None, launched=False, wall=time.time,
                 live=None, orphan_timeout=60.0, notice=None):
        self.client = client
        self.project_id = project_id
        self.timeout = timeout if timeout and timeout > 0 else None
        self.poll_interval = poll_interval
        self.confirm = confirm or 'none'
        self.expected = expected
        self.events = events
        self.clock = clock
        self.sleep = sleep
        self.warn = warn or (lambda message: None)
        self.confirmation_handled = False
        self.polls = 0
        self.failed_polls = 0
        # ``launched``: the task was created just now, so its ``created`` stamp tells the server's clock.
        self.launched = launched
        self.wall = wall
        # Without the socket, live output is read at the poll times the schedule already chose.
        self.live = live
        self._offset = None
        # Orphans (see WORKING_STATUSES): after signs that the server went away, a task that does not
        # move for orphan_timeout seconds is given up on; 0 turns the check off.
        self.orphan_timeout = orphan_timeout or 0.0
        self.server_went_away = False
        self.stillness = Stillness(clock)
        self._pool_due = None          # when the pool may be read next (set when the wait starts)
        self._pool_read = False        # whether it was read in this wait
        self._pool_readable = True     # False once the server refused it (not an admin, or too old)
        # What a waiting task is queued behind (said once through ``notice``: at once on the
        # console where there is one), and which of those look orphaned.
        self.notice = notice or self.warn
        self.notes = []
        self._waiting_since = None     # set when the wait starts
        self._blockers = None          # id -> task, once the queue was looked at
        self._flagged = set()
        self._safety_polls = 0         # safety polls made while the socket was up
        self.elapsed = None            # seconds the last wait took

    def wait(self, task):
        start = self.clock()
        self._waiting_since = start
        # A task launched now cannot be an orphan yet; one found running may be one already.
        self._pool_due = start + POOL_CHECK_EVERY if self.launched else start
        if self.launched:
            self._offset = _clock_offset(task.get('created'), self.wall())
        deadline = start + self.timeout if self.timeout else None
        self._safety_polls = 0
        last = task
        schedule = PollSchedule(self.poll_interval, self.expected)
        while not task_has_ended(last):
            if last.get('status') == 'waiting_confirmation' and self._handle_confirmation(last):
                schedule = PollSchedule(self.poll_interval, None)
            now = self.clock()
            if deadline is not None and now >= deadline:
                raise SemaphoreTimeout(last, now - start, self.notes)
            self._pause_before_poll(last, schedule, now - start, deadline)
            last = self._poll(last, deadline)
            self._check_orphan(last)
            self._check_queue(last)
        ended = self._read_until_end_stored(last, deadline)
        self.elapsed = self.clock() - start
        return ended

    def _pause_before_poll(self, last, schedule, elapsed, deadline):
        """Listen to the socket (woken by the task's end) or sleep on the schedule until the next poll."""
        watching = self._watching(last)
        if self.events is None or self.events.broken:
            delay = schedule.next_delay(elapsed, last)
            self.sleep(self._until_deadline(min(delay, WATCH_STEP) if watching else delay, deadline))
            return
        if watching:
            delay = WATCH_STEP  # orphan and queue checks need fresh reads, whatever the socket says
        else:
            delay = SOCKET_SAFETY[min(self._safety_polls, len(SOCKET_SAFETY) - 1)]
            self._safety_polls += 1
        woken = self.events.wait(last['id'], self._until_deadline(delay, deadline))
        if woken is None and self.events.broken:
            # The socket died (the server may have gone away: the next poll and a look at the pool
            # tell): continue with polling on the history-based schedule, from its second, quick step.
            schedule.count = 1
            self._pool_due = self.clock()

    def _watching(self, task):
        """Whether the next poll must come soon: a suspected orphan, or working tasks ahead in the queue."""
        if not self.orphan_timeout:
            return False
        if self.server_went_away:
            # The status last seen may be older than the restart (a launch's ``waiting``, with the
            # socket up since): the schedule's wait for the end the history predicts would delay
            # the orphan check by up to poll_interval.
            return task.get('status') in WORKING_STATUSES or task.get('status') == 'waiting'
        return task.get('status') == 'waiting' and bool(self._blockers)

    def _connection_failures(self):
        return getattr(self.client, 'connection_failures', 0)

    def _line_count(self, task_id):
        return len(self.client.get_task_output(self.project_id, task_id))

    def _url(self, task):
        return self.client.task_web_url(self.project_id, task.get('id'), task.get('template_id'))

    def _check_orphan(self, task):
        """After the server went away: a working task that shows no sign of life is an orphan."""
        if not (self.orphan_timeout and task.get('status') in WORKING_STATUSES) or self.failed_polls:
            return
        if not self.server_went_away:
            self._look_at_the_pool(task)
        if not self.server_went_away:
            return
        try:
            still = self.stillness.seconds(task['id'], task.get('status'), self._line_count(task['id']))
        except SemaphoreError:
            return  # the server is still away: the poll's own handling applies
        if still >= self.orphan_timeout:
            raise SemaphoreTaskOrphaned(task, still, self._url(task))

    def _look_at_the_pool(self, task):
        """A working task the server's pool does not hold: a restart happened between two polls, or
        before this wait began."""
        live_socket = self.events is not None and not self.events.broken
        if (live_socket and self._pool_read) or not self._pool_readable or self.clock() < self._pool_due:
            return
        self._pool_due = self.clock() + POOL_CHECK_EVERY
        self._pool_read = True
        try:
            pool = self.client.get_task_pool()
        except SemaphoreHTTPError as exc:
            self._pool_readable = exc.status not in (401, 403, 404)
            return
        except SemaphoreError:
            return
        if not any(isinstance(row, dict) and row.get('task_id') == task['id'] for row in pool):
            # Also when the task ended just after the poll: then the next poll ends the wait.
            self.server_went_away = True

    def _check_queue(self, task):
        """A task left ``waiting``: say once what it is queued behind, then watch those for orphans."""
        if task.get('status') != 'waiting' or self.failed_polls:
            return
        now = self.clock()
        if self._waiting_since is None:
            self._waiting_since = now
        if self._blockers is None:
            if now - self._waiting_since < QUEUE_NOTICE_AFTER:
                return
            try:
                self._blockers = self._queue_ahead_of(task)
            except SemaphoreError:
                pass
            return
        if self.orphan_timeout:
            for blocker in list(self._blockers.values()):
                self._check_blocker(task, blocker)

    def _queue_ahead_of(self, task):
        """The active tasks ``task`` waits behind: its template's, else the project's; noted once."""
        scope = 'of the same template'
        ahead = [item for item in active_tasks(self.client.list_tasks(self.project_id, task.get('template_id'), limit=QUEUE_SAMPLE))
                 if item.get('id') != task['id'] and item.get('status') != 'waiting']
        if not ahead:
            scope = 'of the project (its max_parallel_tasks, or the server\'s, is reached)'
            ahead = [item for item in active_tasks(self.client.list_tasks(self.project_id, limit=QUEUE_SAMPLE))
                     if item.get('id') != task['id'] and item.get('status') != 'waiting']
        if not ahead:
            note = ('task {0} is waiting in Semaphore\'s queue with no active task of its project ahead of it: Semaphore may '
                    'have lost its queue (it keeps it in memory, and a restart empties it)'.format(task['id']))
        else:
            note = 'task {0} is waiting in Semaphore\'s queue behind {1} {2}'.format(
                task['id'], ', '.join('task {0} ({1}, {2})'.format(item['id'], item.get('status'), self._url(item))
                                      for item in ahead), scope)
        self.notes.append(note)
        self.notice(note)
        return {item['id']: item for item in ahead if item.get('status') in WORKING_STATUSES}

    def _check_blocker(self, task, blocker):
        try:
            current = self.client.get_task(self.project_id, blocker['id']) or blocker
            if task_has_ended(current):
                del self._blockers[blocker['id']]
                return
            still = self.stillness.seconds(blocker['id'], current.get('status'), self._line_count(blocker['id']))
        except SemaphoreError:
            return
        if still >= self.orphan_timeout and blocker['id'] not in self._flagged:
            self._flagged.add(blocker['id'])
            note = ('task {0}, ahead of task {1} in the queue, has been {2} with no new output for {3:.0f} seconds: it may be '
                    'orphaned (Semaphore restarted, or its process died) and then holds the queue until it is stopped; stop '
                    'it with semaphore_task state=stopped task_id={0} force=true, or in Semaphore at {4}').format(
                        blocker['id'], task['id'], current.get('status'), still, self._url(current))
            self.notes.append(note)
            self.notice(note)

    def seconds_until_output_stored(self, task):
        """Seconds until the ended ``task``'s output is all stored (§6.4), or None when unknown.

        Reading the output once, when it is complete, is cheaper than reading it at once and again
        when the recap is missing. The server's clock is taken from the launched task's ``created``
        (the client's clock may differ); an ``end`` stored to whole seconds (MySQL) is too coarse.
        """
        end = task.get('end')
        if self._offset is None or not isinstance(end, str) or '.' not in end:
            return None
        ended = parse_time(end)
        if ended is None:
            return None
        age = self.wall() + self._offset - ended.timestamp()
        return max(0.0, min(OUTPUT_SETTLE, OUTPUT_SETTLE - age))

    def _until_deadline(self, delay, deadline):
        if deadline is None:
            return delay
        return max(0.0, min(delay, deadline - self.clock()))

    def _poll(self, last, deadline):
        timeout = None
        if deadline is not None:
            # wait_timeout holds even when single requests are slow.
            timeout = max(1.0, min(self.client.timeout, deadline - self.clock()))
        self.polls += 1
        failures_before = self._connection_failures()
        try:
            task = self.client.get_task(self.project_id, last['id'], timeout=timeout) or last
        except SemaphoreError as exc:
            if isinstance(exc, SemaphoreConnectionError):
                # Refused or reset: the server is down or restarting, and will not resume a running task.
                self.server_went_away = True
            if deadline is not None and self.clock() >= deadline:
                raise SemaphoreTimeout(last, self.timeout, self.notes) from None
            # A burst of 502/503 or a dropped connection outlasting one request's retries must not
            # end the wait: the task runs on regardless. The next poll follows the schedule.
            self.failed_polls += 1
            if not is_transient(exc) or self.failed_polls > MAX_FAILED_POLLS:
                raise
            self.warn('could not read task {0} ({1}); still waiting'.format(last['id'], exc))
            return last
        self.failed_polls = 0
        if self._connection_failures() > failures_before:
            self.server_went_away = True  # a retry got through: the server was away for a moment
        if self.live is not None and (self.events is None or self.events.broken):
            try:
                self.live.catch_up(self.client.get_task_output(self.project_id, task['id'], timeout=timeout))
            except SemaphoreError as exc:
                self.warn('could not read the output of task {0} for live output: {1}'.format(task['id'], exc))
        return task

    def _read_until_end_stored(self, task, deadline):
        """The ended task once its ``end`` is stored.

        Semaphore saves the final status first and ``end`` a moment later, after alerts and autorun
        tasks (seen on a real 2.10.32, docs/version-differences.md: two final ``update`` events, the first with
        no end).
        A few quick reads, bounded by END_SETTLE_READS and the deadline, get the real timings.
        """
        for dummy in range(END_SETTLE_READS):
            if parse_time(task.get('end')) is not None or parse_time(task.get('start')) is None:
                break  # a task that never started (failed in preparation) gets no end at all
            pause = self._until_deadline(END_SETTLE_PAUSE, deadline)
            if pause <= 0:
                break
            self.sleep(pause)
            try:
                task = self.client.get_task(self.project_id, task['id']) or task
            except SemaphoreError as exc:
                if not is_transient(exc):
                    raise
                break
        return task

    def _handle_confirmation(self, task):
        """Confirm or reject once (option ``confirm``); ``wait`` leaves it to a person; ``none`` stops
        waiting at once rather than sitting silently until the timeout."""
        if self.confirmation_handled:
            return False
        self.confirmation_handled = True
        if self.confirm == 'confirm':
            self.client.confirm_task(self.project_id, task['id'])
            return True
        if self.confirm == 'reject':
            self.client.reject_task(self.project_id, task['id'])
            return True
        if self.confirm == 'none':
            raise SemaphoreAwaitingConfirmation(task, self.client.task_web_url(self.project_id, task['id'], task.get('template_id')))
        self.warn('task {0} waits for confirmation; waiting for someone to confirm or reject it in Semaphore'.format(task['id']))
        return False
