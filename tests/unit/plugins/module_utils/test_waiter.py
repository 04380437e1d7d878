# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.semaphore.api.plugins.module_utils import _client as _waiter_errors
from ansible_collections.semaphore.api.plugins.module_utils import _events, _live_output, _output, _waiter
from ansible_collections.semaphore.api.plugins.module_utils._events import TaskEvents
from ansible_collections.semaphore.api.plugins.module_utils._schedule import PollSchedule
from ansible_collections.semaphore.api.plugins.module_utils._waiter import SemaphoreTimeout, TaskWaiter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.now += seconds


class FakeServer:
    """A task that ends at ``ends_at`` (fake clock seconds after the start) with ``final``."""

    timeout = 30

    def __init__(self, clock, ends_at, final='success', confirm_at=None, end_lag=0.0):
        self.clock = clock
        # Semaphore stores the final status first and ``end`` a moment later.
        self.end_lag = end_lag
        self.start = clock.now
        self.ends_at = ends_at
        self.final = final
        self.confirm_at = confirm_at
        self.gets = 0
        self.ids_seen = set()
        self.timeouts = []
        self.confirmed = []
        self.rejected = []

    def status(self):
        elapsed = self.clock.now - self.start
        if self.confirm_at is not None and elapsed >= self.confirm_at and not (self.confirmed or self.rejected):
            return 'waiting_confirmation'
        if self.rejected:
            return 'error'
        return self.final if elapsed >= self.ends_at else 'running'

    def get_task(self, project_id, task_id, timeout=None):
        self.gets += 1
        self.ids_seen.add(task_id)
        self.timeouts.append(timeout)
        task = {'id': task_id, 'status': self.status(), 'start': '2025-10-14T09:12:34Z'}
        if task['status'] in ('success', 'error', 'stopped') and self.clock.now - self.start >= self.ends_at + self.end_lag:
            task['end'] = '2025-10-14T09:12:40Z'
        return task

    def get_task_pool(self):
        """The admin pool listing of a server that never restarted: it holds the task while it runs."""
        self.pool_reads = getattr(self, 'pool_reads', 0) + 1
        return [{'task_id': task_id, 'location': 'running'} for task_id in self.ids_seen] if self.status() == 'running' else []

    def confirm_task(self, project_id, task_id):
        self.confirmed.append(task_id)
        self.ends_at = self.clock.now - self.start + 1

    def reject_task(self, project_id, task_id):
        self.rejected.append(task_id)


def run(ends_at, expected=None, poll_interval=30, events=None, timeout=None, confirm_action='none', **kwargs):
    clock = FakeClock()
    server = FakeServer(clock, ends_at, **kwargs)
    if events is not None:
        events.bind(clock, server)
    waiter = TaskWaiter(server, 1, timeout=timeout, poll_interval=poll_interval, expected=expected, events=events,
                        clock=clock, sleep=clock.sleep, confirm=confirm_action)
    return waiter, server, clock


@pytest.mark.parametrize('ends_at, expected, max_polls, max_lag', [
    (2.0, None, 4, 1.1),          # never ran: quick first polls
    (2.0, (1.0, 1.0), 3, 0.9),    # ran before
    (30.5, None, 11, 3.5),        # never ran, 30 s: 3.5 s steps after the quick polls
    (121.0, None, 24, 0.12 * 121 + 0.1),  # never ran, 120 s: the step grows with the time spent
    (31.0, (30.0, 1.0), 5, 0.9),  # ran before, 30 s: sparse then dense near the end
    (121.0, (120.0, 1.0), 9, 0.9),
])
def test_schedule_is_prompt_and_cheap(ends_at, expected, max_polls, max_lag):
    waiter, server, clock = run(ends_at, expected)
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success'
    assert server.gets <= max_polls
    assert elapsed - ends_at <= max_lag


def test_poll_interval_caps_every_pause():
    schedule = PollSchedule(5, None)
    assert max(schedule.next_delay(t) for t in range(0, 600, 7)) <= 5


def test_a_task_running_longer_than_usual_backs_off():
    schedule = PollSchedule(30, (10.0, 0.0))
    delays = [schedule.next_delay(t) for t in (0, 9.4, 13.5, 14.5, 16.0, 19.0)]
    assert delays[-1] > delays[-3] >= 0.8


def test_timeout_raises_with_the_last_task_and_bounds_request_timeouts():
    waiter, server, clock = run(1000, None, timeout=10)
    with pytest.raises(SemaphoreTimeout) as raised:
        waiter.wait({'id': 5, 'status': 'waiting'})
    assert raised.value.task == {'id': 5, 'status': 'running', 'start': '2025-10-14T09:12:34Z'}
    assert clock.now - 1000.0 <= 10.5
    assert max(server.timeouts) <= 10
    assert 'task 5' in str(raised.value) and 'running' in str(raised.value)


def test_an_already_ended_task_costs_nothing():
    waiter, server, clock = run(0, None)
    assert waiter.wait({'id': 5, 'status': 'error'})['status'] == 'error'
    assert server.gets == 0


def test_the_end_time_stored_after_the_final_status_is_waited_for():
    waiter, server, clock = run(2.0, (1.0, 1.0), end_lag=0.5)
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success' and task['end'] == '2025-10-14T09:12:40Z'
    assert elapsed - 2.0 <= 1.5


def test_a_task_that_never_started_is_not_read_again_for_its_end():
    waiter, server, clock = run(0, None)
    assert waiter.wait({'id': 5, 'status': 'error', 'start': None})['status'] == 'error'
    assert server.gets == 0


def test_waiting_confirmation_without_confirm_fails_at_once_with_the_task_url():
    waiter, server, clock = run(100, None, confirm_at=2, confirm_action='none')
    server.task_web_url = lambda project_id, task_id, template_id=None: 'https://semaphore.example.com/project/1/history?t=5'
    with pytest.raises(_waiter.SemaphoreAwaitingConfirmation) as raised:
        waiter.wait({'id': 5, 'status': 'waiting'})
    assert clock.now - 1000.0 < 5 and raised.value.task['status'] == 'waiting_confirmation'
    assert 'https://semaphore.example.com/project/1/history?t=5' in str(raised.value)
    assert server.confirmed == [] and server.rejected == []


def test_confirm_wait_leaves_the_plan_to_a_person():
    waiter, server, clock = run(100, None, confirm_at=2, confirm_action='wait', timeout=20)
    with pytest.raises(SemaphoreTimeout):
        waiter.wait({'id': 5, 'status': 'waiting'})
    assert server.confirmed == [] and server.rejected == []


def test_confirmation_is_answered_once():
    waiter, server, clock = run(100, None, confirm_at=2, confirm_action='confirm')
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert server.confirmed == [5] and task['status'] == 'success' and elapsed < 10


def test_rejection_ends_in_error():
    waiter, server, clock = run(100, None, confirm_at=2, confirm_action='reject')
    assert waiter.wait({'id': 5, 'status': 'waiting'})['status'] == 'error'
    assert server.rejected == [5]


class FakeEvents:
    """Delivers an update event when the fake task ends, unless ``silent``; breaks when ``break_at`` passes."""

    def __init__(self, silent=False, break_at=None):
        self.silent = silent
        self.break_at = break_at
        self.broken = False

    def bind(self, clock, server):
        self.clock = clock
        self.server = server

    def wait(self, task_id, seconds):
        end = self.server.start + self.server.ends_at
        if self.break_at is not None and self.clock.now + seconds >= self.server.start + self.break_at:
            self.clock.now = max(self.clock.now, self.server.start + self.break_at)
            self.broken = True
            return None
        if not self.silent and self.clock.now + seconds >= end:
            self.clock.now = max(self.clock.now, end)
            return 'success'
        self.clock.now += seconds
        return None


@pytest.mark.parametrize('ends_at, max_gets', [(2.0, 1), (30.0, 2), (120.0, 4)])
def test_socket_wakes_the_waiter_at_the_end(ends_at, max_gets):
    waiter, server, clock = run(ends_at, None, events=FakeEvents())
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success'
    assert elapsed - ends_at < 0.3
    assert server.gets <= max_gets


def test_a_lost_event_is_caught_by_the_safety_poll():
    waiter, server, clock = run(20.0, None, events=FakeEvents(silent=True))
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success' and elapsed <= 45.1


def test_a_broken_socket_falls_back_to_polling():
    waiter, server, clock = run(40.0, None, events=FakeEvents(silent=True, break_at=3.0))
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert task['status'] == 'success' and elapsed - 40.0 <= 3.6


class FakeSocket:
    def __init__(self, frames):
        self.frames = list(frames)
        self.closed = False

    def settimeout(self, value):
        pass

    def recv(self):
        if not self.frames:
            raise _events.websocket.WebSocketTimeoutException('timed out')
        frame = self.frames.pop(0)
        if isinstance(frame, Exception):
            raise frame
        return frame

    def close(self, timeout=None):
        self.closed = True


@pytest.mark.skipif(not _events.HAS_WEBSOCKET, reason='websocket-client not installed')
def test_events_filter_by_task_and_status():
    frames = [json.dumps({'type': 'log', 'task_id': 5, 'output': 'x'}),
              json.dumps({'type': 'update', 'task_id': 6, 'status': 'success'}),
              json.dumps({'type': 'update', 'task_id': 5, 'status': 'running'}),
              'not json',
              json.dumps({'type': 'update', 'task_id': 5, 'status': 'error'})]
    events = TaskEvents(FakeSocket(frames))
    assert events.wait(5, 10) == 'error'
    assert events.wait(5, 0.01) is None and not events.broken


@pytest.mark.skipif(not _events.HAS_WEBSOCKET, reason='websocket-client not installed')
def test_a_dropped_socket_is_marked_broken():
    events = TaskEvents(FakeSocket([ConnectionResetError('gone')]))
    assert events.wait(5, 10) is None
    assert events.broken


class FakeClient:
    timeout = 30
    verify = True
    request_count = 0

    def event_socket_target(self):
        return 'ws://127.0.0.1:1/api/ws', ['Authorization: Bearer x']


def test_no_socket_library_or_no_server_means_polling(monkeypatch):
    warnings = []
    monkeypatch.setattr(_events, 'HAS_WEBSOCKET', False)
    assert TaskEvents.open(FakeClient(), 1, warnings.append) is None
    if _events.websocket is not None:
        monkeypatch.setattr(_events, 'HAS_WEBSOCKET', True)
        assert TaskEvents.open(FakeClient(), 1, warnings.append) is None
        assert warnings and 'polling instead' in warnings[0] and 'Bearer' not in warnings[0]


@pytest.mark.skipif(not _events.HAS_WEBSOCKET, reason='websocket-client not installed')
@pytest.mark.parametrize('verify, expected', [(False, {'cert_reqs': 0, 'check_hostname': False}),
                                              ('/ca.pem', {'cert_reqs': 2, 'ca_certs': '/ca.pem'})])
def test_socket_honours_tls_settings_and_timeout(monkeypatch, verify, expected):
    seen = {}

    def fake_connect(url, **kwargs):
        seen.update(kwargs, url=url)
        return FakeSocket([])

    monkeypatch.setattr(_events.websocket, 'create_connection', fake_connect)
    client = FakeClient()
    client.verify = verify
    assert TaskEvents.open(client, 7) is not None
    assert seen['sslopt'] == expected and seen['timeout'] == 7 and seen['header'] == ['Authorization: Bearer x']


@pytest.mark.skipif(not _events.HAS_WEBSOCKET, reason='websocket-client not installed')
def test_events_collect_the_watched_task_lines():
    frames = [json.dumps({'type': 'log', 'task_id': 6, 'output': 'other task'}),
              json.dumps({'type': 'log', 'task_id': 5, 'output': 'PLAY RECAP ***'}),
              json.dumps({'type': 'update', 'task_id': 5, 'status': 'success'})]
    events = TaskEvents(FakeSocket(frames))
    events.watch(5)
    assert events.wait(5, 10) == 'success'
    assert events.streamed_lines() == ['PLAY RECAP ***']
    events.broken = True
    assert events.streamed_lines() is None


def test_polls_without_socket_aim_where_the_output_is_complete():
    # Ran before (30 s run, 1 s queue): one early look, then the first poll after the expected end
    # lands when the last output batch is stored (~0.5 s later), not before it.
    waiter, server, clock = run(31.0, (30.0, 1.0))
    task = waiter.wait({'id': 5, 'status': 'waiting'})
    elapsed = waiter.elapsed
    assert server.gets == 2
    assert _output.OUTPUT_SETTLE - 0.2 <= elapsed - 31.0 <= _output.OUTPUT_SETTLE


@pytest.mark.parametrize('end, now_after_created, pause', [
    ('2025-10-14T09:13:02.200000Z', 29.4, 0.6),    # seen at once: the full settle time
    ('2025-10-14T09:13:02.200000Z', 30.0, 0.3),    # seen 0.3 s after the end (29.7 s after created)
    ('2025-10-14T09:13:02.200000Z', 35.0, 0.0),    # seen late: the output is complete
    ('2025-10-14T09:13:02Z', 29.9, None),          # whole seconds (MySQL): too coarse to tell
])
def test_seconds_until_output_stored_uses_the_server_clock_of_a_launched_task(end, now_after_created, pause):
    clock = FakeClock()
    server = FakeServer(clock, 0)
    wall = {'now': 5000.0}  # the client's clock is 5000 s away from the server's: only differences count
    waiter = TaskWaiter(server, 1, clock=clock, sleep=clock.sleep, launched=True, wall=lambda: wall['now'])
    task = {'id': 5, 'status': 'success', 'created': '2025-10-14T09:12:32.500000Z', 'end': end}
    waiter.wait(task)
    wall['now'] += now_after_created
    assert waiter.seconds_until_output_stored(task) == (None if pause is None else pytest.approx(pause, abs=1e-3))


def test_seconds_until_output_stored_is_unknown_for_a_task_not_launched_now():
    clock = FakeClock()
    waiter = TaskWaiter(FakeServer(clock, 0), 1, clock=clock, sleep=clock.sleep, wall=lambda: 0.0)
    task = {'id': 5, 'status': 'success', 'created': '2025-10-14T09:12:32.5Z', 'end': '2025-10-14T09:13:02.2Z'}
    waiter.wait(task)
    assert waiter.seconds_until_output_stored(task) is None


class FlakyServer(FakeServer):
    """Fails ``failures`` reads in a row (each already retried by the client) with ``error``."""

    def __init__(self, clock, ends_at, failures, error, **kwargs):
        super().__init__(clock, ends_at, **kwargs)
        self.failures = failures
        self.error = error

    def get_task(self, project_id, task_id, timeout=None):
        if self.failures:
            self.failures -= 1
            self.gets += 1
            raise self.error
        return super().get_task(project_id, task_id, timeout)


@pytest.mark.parametrize('error', [
    _waiter_errors.SemaphoreHTTPError('GET', '/api/project/1/tasks/7', 503),
    _waiter_errors.SemaphoreConnectionError('GET', '/api/project/1/tasks/7', 'the server closed the connection without answering'),
    _waiter_errors.SemaphoreResponseError('GET', '/api/project/1/tasks/7', 200, 'a body that is not valid JSON'),
])
def test_transient_read_failures_do_not_end_the_wait(error):
    clock = FakeClock()
    server = FlakyServer(clock, 5.0, failures=5, error=error, final='error')
    warnings = []
    waiter = TaskWaiter(server, 1, poll_interval=30, clock=clock, sleep=clock.sleep, warn=warnings.append)
    task = waiter.wait({'id': 7, 'status': 'running'})
    assert task['status'] == 'error'
    assert len(warnings) == 5 and all('still waiting' in warning for warning in warnings)


def test_a_lasting_outage_or_a_hard_error_still_ends_the_wait():
    clock = FakeClock()
    server = FlakyServer(clock, 500.0, failures=100, error=_waiter_errors.SemaphoreHTTPError('GET', '/x', 502))
    waiter = TaskWaiter(server, 1, poll_interval=30, clock=clock, sleep=clock.sleep)
    with pytest.raises(_waiter_errors.SemaphoreHTTPError):
        waiter.wait({'id': 7, 'status': 'running'})
    assert server.gets == _waiter.MAX_FAILED_POLLS + 1
    clock = FakeClock()
    server = FlakyServer(clock, 5.0, failures=1, error=_waiter_errors.SemaphoreAuthError('GET', '/x', 401))
    waiter = TaskWaiter(server, 1, poll_interval=30, clock=clock, sleep=clock.sleep)
    with pytest.raises(_waiter_errors.SemaphoreAuthError):
        waiter.wait({'id': 7, 'status': 'running'})


@pytest.mark.parametrize('environ, url, expected', [
    ({}, 'ws://127.0.0.1:3000/api/ws', {'http_no_proxy': ['127.0.0.1']}),
    # REST would go direct (NO_PROXY), so the socket goes direct too.
    ({'HTTP_PROXY': 'http://proxy:3128', 'NO_PROXY': 'semaphore.internal'}, 'ws://semaphore.internal/api/ws',
     {'http_no_proxy': ['semaphore.internal']}),
    # REST goes through the proxy, so the socket does too, with the same credentials.
    ({'HTTPS_PROXY': 'http://user:p%40ss@proxy:3128', 'NO_PROXY': 'localhost'}, 'wss://semaphore.example.com/api/ws',
     {'http_proxy_host': 'proxy', 'http_proxy_port': 3128, 'proxy_type': 'http', 'http_proxy_auth': ('user', 'p@ss')}),
    ({'ALL_PROXY': 'socks5://proxy:1080'}, 'ws://semaphore.example.com/api/ws',
     {'http_proxy_host': 'proxy', 'http_proxy_port': 1080, 'proxy_type': 'socks5'}),
])
def test_the_socket_follows_the_proxy_rules_of_the_rest_calls(monkeypatch, environ, url, expected):
    for name in ('HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert _events.socket_proxy_options(url) == expected


def test_live_output_prints_each_line_once_with_the_task_prefix():
    shown = []
    live = _live_output.LiveOutput(shown.append, 57)
    rows = [{'output': 'PLAY [all] ***', 'time': '2026-12-02T07:35:32.100Z'},
            {'output': 'ok: [web1]\n', 'time': '2026-12-02T07:35:33.200Z'}]
    live.catch_up(rows[:1])
    live.catch_up(rows)
    # A socket line already printed from a REST read (same time) is skipped; a newer one is shown.
    live.event({'type': 'log', 'output': 'ok: [web1]', 'time': '2026-12-02T07:35:33.200Z'})
    live.event({'type': 'log', 'output': 'PLAY RECAP ***', 'time': '2026-12-02T07:35:34Z'})
    assert shown == ['[semaphore task 57] PLAY [all] ***', '[semaphore task 57] ok: [web1]', '[semaphore task 57] PLAY RECAP ***']
    assert live.shown == 3


def test_without_the_socket_live_output_is_read_at_the_poll_times_only():
    waiter, server, clock = run(2.0, (1.0, 1.0))
    reads = []
    server.get_task_output = lambda project_id, task_id, timeout=None: reads.append(task_id) or [{'output': 'line'}]
    shown = []
    waiter.live = _live_output.LiveOutput(shown.append, 5)
    waiter.wait({'id': 5, 'status': 'waiting'})
    assert len(reads) == server.gets and shown == ['[semaphore task 5] line']


def test_a_flood_of_lines_is_not_kept_once_past_the_limit(monkeypatch):
    monkeypatch.setattr(_events, 'MAX_STREAMED_LINES', 3)
    frames = [json.dumps({'type': 'log', 'task_id': 5, 'output': 'line {0}'.format(n)}) for n in range(10)]
    frames.append(json.dumps({'output': '', 'status': 'success', 'task_id': 5, 'type': 'update'}))
    events = TaskEvents(FakeSocket(frames))
    events.watch(5)
    assert events.wait(5, 10) == 'success'
    assert events.overflowed and events.lines == [] and events.streamed_lines() is None
