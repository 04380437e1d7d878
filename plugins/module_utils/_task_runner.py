# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""What semaphore_task and semaphore_task_info do, step by step, on top of SemaphoreClient.

Every function returns the module's result, or raises a SemaphoreError whose ``result`` attribute
(when present) holds what the module should still return with its failure.
§n: sections of docs/server-behaviour.md.
"""

from __future__ import annotations

import time

from ansible.module_utils.basic import env_fallback

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreLookupError,
    SemaphoreNotFoundError,
    answer_may_be_lost,
    as_id,
    check_task_id,
)
from ansible_collections.semaphore.api.plugins.module_utils._events import TaskEvents
from ansible_collections.semaphore.api.plugins.module_utils._failure import failure_reason
from ansible_collections.semaphore.api.plugins.module_utils._launch import (
    SemaphoreLaunchRefused,
    SemaphoreLaunchUncertain,
    is_server_error,
    launch_clock,
    tasks_created_since,
)
from ansible_collections.semaphore.api.plugins.module_utils._live_output import LiveOutput
from ansible_collections.semaphore.api.plugins.module_utils._output import fetch_output, order_output, output_text_lines
from ansible_collections.semaphore.api.plugins.module_utils._payload import (
    SemaphoreOverrideError,
    build_payload,
    check_confirm,
    check_overrides,
    needs_template,
    needs_template_environment,
    needs_version,
    redact_payload,
)
from ansible_collections.semaphore.api.plugins.module_utils._tasks import (
    FAILED_STATUSES,
    SemaphoreTaskFailed,
    active_tasks,
    expected_run_seconds,
    task_has_ended,
    task_result,
)
from ansible_collections.semaphore.api.plugins.module_utils._waiter import (
    SemaphoreAwaitingConfirmation,
    SemaphoreTaskOrphaned,
    SemaphoreTimeout,
    TaskWaiter,
)

# Options shared by both modules; documented in plugins/doc_fragments/task_wait.py.
WAIT_ARGSPEC = dict(
    wait_timeout=dict(type='float', default=3600.0),
    poll_interval=dict(type='float', default=30.0),
    use_websocket=dict(type='bool', default=True),
    live_output=dict(type='bool', default=False, fallback=(env_fallback, ['SEMAPHORE_LIVE_OUTPUT'])),
    output_lines=dict(type='int', default=200),
    confirm=dict(type='str', default='none', choices=['none', 'confirm', 'reject', 'wait']),
    orphan_timeout=dict(type='float', default=60.0),
    on_orphan=dict(type='str', default='fail', choices=['fail', 'stop']),
)

HISTORY_SAMPLE = 20


def with_result(exc, result):
    """``exc`` carrying ``result``: what the module still returns with its failure."""
    exc.result = result
    return exc


class TaskRunner:
    """One module run: the client, the module's parameters, check mode and a warn callback."""

    def __init__(self, client, params, check_mode=False, warn=None, clock=None, sleep=None, console=None, notice=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.warn = warn or (lambda message: None)
        # A warning shown at once on the console too (SemaphoreModuleBase.notice); else like warn.
        self.notice = notice or self.warn
        # Shows a line on the controller's console at once; None when the module runs as a module.
        self.console = console
        self.live = None
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.output_stored_in = None  # set by _wait: seconds until the ended task's output is all stored

    # -- semaphore_task, state=started --------------------------------------------------------------

    def launch(self):
        return self._explaining_not_found(self._launch, as_id(self.params['template'], 'template'))

    def stop(self):
        check_task_id(self.params['task_id'])
        return self._explaining_not_found(self._stop)

    def info(self):
        check_task_id(self.params.get('task_id'))
        template = self.params.get('template')
        return self._explaining_not_found(self._info, as_id(template, 'template') if template is not None else None)

    def _explaining_not_found(self, work, template_id=None):
        project_id = self.client.resolve_project(self.params['project'])
        try:
            return work(project_id)
        except SemaphoreHTTPError as exc:
            # 2.10 on MySQL answers 400 where BoltDB and later versions answer 404 for an unknown project.
            if exc.status not in (400, 404):
                raise
            raise self._explain_not_found(exc, project_id, template_id) from None

    def _explain_not_found(self, exc, project_id, template_id=None, template_answered_404=False):
        """After a 404, which object is missing: the project, the template, or what the server said.

        Ids are trusted on the happy path (one request for a launch by ids); only this error path
        spends the reads that tell the user what is wrong.
        """
        result = dict(getattr(exc, 'result', None) or {'changed': False})
        try:
            project = self.client.get_project(project_id)
        except SemaphoreHTTPError as probe:
            if probe.status in (400, 404):  # 2.10 on MySQL answers 400 for an unknown project
                return with_result(SemaphoreLookupError('no project {0}, or you are not a member of it'.format(project_id)), result)
            return exc
        if template_id is None:
            return exc
        if not template_answered_404:
            try:
                self.client.get_template(project_id, template_id)
                return exc
            except SemaphoreNotFoundError:
                pass
        return with_result(SemaphoreLookupError('no template {0} in project {1} ({2})'.format(
            template_id, project.get('name'), project_id)), result)

    def _launch(self, project_id):
        params = self.params
        template_id, template = self._resolve_template(project_id)
        version = self.client.server_version() if needs_version(params) else None
        check_confirm(params, version)
        if template is None and needs_template(params, version):
            template = self._template(project_id, template_id)
        inventory_id = None
        if params.get('inventory') is not None:
            inventory_id = self.client.resolve_inventory(project_id, params['inventory'])
        refused = self._refused_overrides(project_id, template, version)
        payload = build_payload(template_id, params, version, inventory_id)
        result = {'changed': False, 'payload': redact_payload(payload), 'project_id': project_id, 'template_id': template_id}
        if refused:
            result['refused_overrides'] = [name for name, reason in refused]
        events = None
        try:
            if params['wait'] and params['use_websocket'] and not self.check_mode:
                # Opened before the launch so that no event of the new task can be missed.
                events = TaskEvents.open(self.client, min(self.client.timeout, 10.0), self.warn)
            # A template read already tells its last run (or that it never ran): no list needed then.
            want_estimate = params['wait'] and events is None and not self.check_mode and template is None
            history = None
            if params['if_running'] != 'launch' or want_estimate:
                history = self.client.list_tasks(project_id, template_id, limit=HISTORY_SAMPLE)
            if self._skip_for_running_task(project_id, template_id, history, result):
                return result
            result['changed'] = True
            if self.check_mode:
                result['msg'] = 'template {0} would be launched (check mode)'.format(template_id)
                return result
            task = self._send_launch(project_id, template_id, payload, history, result)
            if not self._announce_launch(project_id, task, result):
                return result
            task = self._wait_for_launched(project_id, task, template, history, events, result)
        finally:
            if events is not None:
                events.close()
        # The socket was open before the task existed: its lines are the whole output unless it broke.
        streamed = events.streamed_lines() if events is not None else None
        return self._result_of_ended_task(project_id, task, result, streamed)

    def _resolve_template(self, project_id):
        """``(template_id, template)``: a name costs the template list, which also gives the template;
        an id is trusted as given and costs nothing (the template is read later only when needed)."""
        template_id = as_id(self.params['template'], 'template')
        if template_id is not None:
            return template_id, None
        templates = self.client.list_templates(project_id)
        template_id = self.client.resolve_template(project_id, self.params['template'], templates)
        return template_id, next(item for item in templates if item.get('id') == template_id)

    def _refused_overrides(self, project_id, template, version):
        """The overrides the server would drop: an error with strict_overrides, else a warning each."""
        params = self.params
        if template is None and version is None:
            return []
        template_environment = None
        if template and template.get('environment_id') and needs_template_environment(params, version):
            template_environment = self.client.get_environment(project_id, template['environment_id']).get('json')
        refused = check_overrides(params, template or {}, version, template_environment)
        if refused and params['strict_overrides']:
            raise with_result(SemaphoreOverrideError(refused), {'refused_overrides': [name for name, reason in refused]})
        for name, reason in refused:
            self.warn('override {0} will be ignored by the server: {1}'.format(name, reason))
        return refused

    def _skip_for_running_task(self, project_id, template_id, history, result):
        """if_running=skip: True (``result`` filled in) when the template has an active task;
        if_running=fail: raise then; if_running=launch: False."""
        if self.params['if_running'] == 'launch':
            return False
        running = active_tasks(history)
        if not running:
            return False
        if self.params['if_running'] == 'fail':
            raise with_result(SemaphoreError('template {0} already has active task(s) {1}; if_running=fail'.format(
                template_id, ', '.join(str(task['id']) for task in running))), result)
        current = running[-1]  # the oldest active one is the one that runs
        result.update(task_result(self.client, project_id, current))
        result['skipped_launch'] = True
        result['msg'] = 'nothing launched: template {0} already has task {1} {2} (if_running=skip)'.format(
            template_id, current.get('id'), current.get('status'))
        return True

    def _announce_launch(self, project_id, task, result):
        """Fill ``result`` with the launched task; False when the module does not wait for it."""
        result.update(task_result(self.client, project_id, task))
        if self.console is not None:
            # A sign of life: where to find the task in Semaphore while this one waits.
            self.console('semaphore task {0} launched: {1}'.format(task['id'], result['url']))
        if not self.params['wait']:
            result['msg'] = 'task {0} launched ({1}); not waited for'.format(task['id'], task.get('status'))
            return False
        return True

    def _wait_for_launched(self, project_id, task, template, history, events, result):
        self._start_live(task, events)
        if events is not None:
            events.watch(task['id'])
        expected = expected_run_seconds(history) if history is not None else expected_run_seconds(
            [template['last_task']] if _has_timing(template) else [])
        return self._wait(project_id, task, events, expected, result, launched=True)

    def _template(self, project_id, template_id):
        try:
            return self.client.get_template(project_id, template_id)
        except SemaphoreNotFoundError as exc:
            raise self._explain_not_found(exc, project_id, template_id, template_answered_404=True) from None

    def _send_launch(self, project_id, template_id, payload, history, result):
        """POST the launch once. When its answer may be lost, find out what the server did, without
        sending it again (module_utils/_launch.py)."""
        attempt, skew = launch_clock(self.client)
        try:
            return self.client.launch_task(project_id, payload)
        except SemaphoreError as exc:
            if not answer_may_be_lost(exc):
                # A clear refusal (400, 403, 404...) created nothing.
                result['changed'] = False
                raise with_result(exc, result)
            raise self._lost_launch(exc, project_id, template_id, attempt, skew, history, result) from None

    def _lost_launch(self, exc, project_id, template_id, attempt, skew, history, result):
        """The error to raise after a launch whose answer may be lost: a refusal, or an uncertain launch."""
        server_error = is_server_error(exc)
        if server_error:
            # Semaphore answers 500 for refusals too (module_utils/_launch.py): tell them apart first.
            try:
                self._template(project_id, template_id)
            except SemaphoreLookupError as lookup:
                result['changed'] = False
                return with_result(lookup, result)
            except SemaphoreError:
                pass  # the probe failed too: look for created tasks all the same
        known_ids = [task.get('id') for task in history] if history is not None else None
        try:
            candidates = tasks_created_since(self.client, project_id, template_id, attempt, known_ids, skew=skew)
        except SemaphoreError as lookup:
            self.warn('could not look for a task created by the lost launch: {0}'.format(lookup))
            candidates = None
        if server_error and candidates is not None and all(task.get('status') == 'error' for task in candidates):
            return self._refused_launch(project_id, exc, candidates, result)
        result['possible_tasks'] = candidates or []
        return with_result(SemaphoreLaunchUncertain(exc, candidates or []), result)

    def _refused_launch(self, project_id, exc, failed_tasks, result):
        """A 500 after which no task runs: nothing was created, or the task was marked error at once
        (Semaphore creates the task row before it prepares the run)."""
        if not failed_tasks:
            result['changed'] = False
            return with_result(SemaphoreLaunchRefused(exc), result)
        task = failed_tasks[0]
        lines = output_text_lines(self._read_output(project_id, task))
        reason = next((line for line in lines if line.startswith('Error')), lines[-1] if lines else None)
        result.update(task_result(self.client, project_id, task))
        return with_result(SemaphoreLaunchRefused(exc, task, reason), result)

    def _start_live(self, task, events):
        """Live output (option live_output) needs the controller's console, i.e. the controller path."""
        if not self.params.get('live_output'):
            return
        if self.console is None:
            self.warn('live_output shows lines only when the task runs on the controller (a local connection, '
                      'without async); this run has no console')
            return
        self.live = LiveOutput(self.console, task['id'])
        if events is not None:
            events.live = self.live

    def _wait(self, project_id, task, events, expected, result, launched=False):
        params = self.params
        waiter = TaskWaiter(self.client, project_id, timeout=params['wait_timeout'], poll_interval=params['poll_interval'],
                            confirm=params['confirm'], expected=expected, events=events, clock=self.clock,
                            sleep=self.sleep, warn=self.notice, launched=launched, live=self.live,
                            orphan_timeout=params['orphan_timeout'], notice=self.notice)
        try:
            task = waiter.wait(task)
            self.output_stored_in = waiter.seconds_until_output_stored(task)
            return task
        except SemaphoreTaskOrphaned as exc:
            last = exc.task
            result['orphaned'] = True
            if params['on_orphan'] == 'stop':
                try:
                    self.client.stop_task(project_id, last['id'], force=True)
                    last = self.client.get_task(project_id, last['id'])
                    exc.stopped(last)
                except SemaphoreError as stop_error:
                    self.warn('could not stop orphaned task {0}: {1}'.format(last['id'], stop_error))
            result.update(task_result(self.client, project_id, last, self._read_output(project_id, last), params['output_lines']))
            raise with_result(exc, result) from None
        except SemaphoreAwaitingConfirmation as exc:
            result.update(task_result(self.client, project_id, exc.task, self._read_output(project_id, exc.task),
                                      params['output_lines']))
            raise with_result(exc, result) from None
        except SemaphoreTimeout as exc:
            last = exc.task
            url = self.client.task_web_url(project_id, last['id'], last.get('template_id'))
            if params.get('stop_on_timeout'):
                try:
                    self.client.stop_task(project_id, last['id'], force=params.get('force', False))
                    last = self.client.get_task(project_id, last['id'])
                    result['stopped_on_timeout'] = True
                    exc.args = ('{0}; it was asked to stop{1} and is now {2}: {3}'.format(
                        exc, ' (force)' if params.get('force') else '', last.get('status'), url),)
                except SemaphoreError as stop_error:
                    self.warn('could not stop task {0} after the timeout: {1}'.format(last['id'], stop_error))
            if not result.get('stopped_on_timeout') and params.get('state', 'started') == 'started':
                # A launch or an info wait; a state=stopped wait is already the stop.
                exc.args = ('{0}; it goes on running in Semaphore: {1}; stop it with semaphore_task state=stopped '
                            'task_id={2}{3}'.format(exc, url, last['id'],
                                                    ', or set stop_on_timeout' if 'stop_on_timeout' in params else ''),)
            result.update(task_result(self.client, project_id, last, self._read_output(project_id, last),
                                      params['output_lines']))
            raise with_result(exc, result) from None

    def _read_output(self, project_id, task, settle=0.0, streamed=None):
        try:
            raw = fetch_output(self.client, project_id, task, settle=settle, sleep=self.sleep, streamed=streamed)
        except SemaphoreError as exc:
            self.warn('could not read the output of task {0}: {1}'.format(task.get('id'), exc))
            return []
        rows, reordered = order_output(raw, streamed)
        if self.live is not None:
            self.live.catch_up(rows)  # the last lines, before the task's result line
        if reordered:
            self.warn('the server returned the output lines of each second in no particular order (Semaphore 2.10 on '
                      'MySQL/MariaDB stores whole seconds): lines of the same second may be out of order; a PLAY RECAP '
                      'is put back at the end')
        return rows

    def _result_of_ended_task(self, project_id, task, result, streamed=None):
        if streamed is None and self.output_stored_in:
            # Without the socket's lines, read once when the last output batch is stored (§6.4).
            self.sleep(self.output_stored_in)
        output = self._read_output(project_id, task, settle=0.5, streamed=streamed)
        result.update(task_result(self.client, project_id, task, output, self.params['output_lines']))
        if task.get('status') in FAILED_STATUSES and self.params.get('state', 'started') == 'started':
            raise with_result(SemaphoreTaskFailed(task, failure_reason(result['error_lines'], result['recap'])), result)
        result['msg'] = 'task {0} ended with status {1}'.format(task.get('id'), task.get('status'))
        return result

    # -- semaphore_task, state=stopped --------------------------------------------------------------

    def _stop(self, project_id):
        params = self.params
        # GET first: a stop sent to a finished task overwrites its status with "stopped" (§6.6).
        task = self.client.get_task(project_id, params['task_id'])
        result = {'changed': False, 'project_id': project_id, 'template_id': task.get('template_id')}
        if task_has_ended(task):
            result.update(task_result(self.client, project_id, task))
            result['msg'] = 'task {0} had already ended ({1}); nothing to stop'.format(task['id'], task.get('status'))
            return result
        # A task already stopping needs no second plain stop; force still ends it at once.
        already_stopping = task.get('status') == 'stopping' and not params['force']
        result['changed'] = not already_stopping
        if self.check_mode:
            result.update(task_result(self.client, project_id, task))
            result['msg'] = 'task {0} ({1}) would be asked to stop (check mode)'.format(task['id'], task.get('status'))
            return result
        if not already_stopping:
            self.client.stop_task(project_id, task['id'], force=params['force'])
            task = self.client.get_task(project_id, task['id'])
        if params['wait'] and not task_has_ended(task):
            task = self._wait(project_id, task, None, None, result)
        output = self._read_output(project_id, task) if task_has_ended(task) else None
        result.update(task_result(self.client, project_id, task, output, params['output_lines']))
        if already_stopping:
            result['msg'] = 'task {0} was already stopping; it is now {1}'.format(task['id'], task.get('status'))
        else:
            result['msg'] = 'task {0} was asked to stop{1}; it is now {2}'.format(
                task['id'], ' (force)' if params['force'] else '', task.get('status'))
        return result

    # -- semaphore_task_info --------------------------------------------------------------------------

    def _info(self, project_id):
        params = self.params
        client = self.client
        if params.get('task_id') is None:
            template_id = None
            if params.get('template') is not None:
                template_id = client.resolve_template(project_id, params['template'])
            tasks = client.list_tasks(project_id, template_id, limit=params['limit'])
            for task in tasks:
                task['url'] = client.task_web_url(project_id, task.get('id'), task.get('template_id'))
            return {'changed': False, 'project_id': project_id, 'tasks': tasks,
                    'msg': '{0} task(s) found, newest first'.format(len(tasks))}

        events = None
        try:
            if params['wait'] and params['use_websocket']:
                events = TaskEvents.open(client, min(client.timeout, 10.0), self.warn)
            task = client.get_task(project_id, params['task_id'])
            result = {'changed': False, 'project_id': project_id, 'template_id': task.get('template_id')}
            if params['wait']:
                if not task_has_ended(task):
                    self._start_live(task, events)
                    if self.live is not None:
                        # The socket only carries lines from now on: print what is stored first.
                        self.live.catch_up(client.get_task_output(project_id, task['id']))
                # Also for a task that has just ended: its ``end`` may be stored a moment after its status.
                task = self._wait(project_id, task, events, None, result)
        finally:
            if events is not None:
                events.close()
        output = self._read_output(project_id, task, settle=0.5 if params['wait'] else 0.0)
        result.update(task_result(client, project_id, task, output, params['output_lines']))
        result['msg'] = 'task {0} {1} {2}'.format(task['id'], 'has ended with status' if task_has_ended(task) else 'is',
                                                  task.get('status'))
        reason = failure_reason(result['error_lines'], result['recap']) if task.get('status') in FAILED_STATUSES else None
        if reason:
            result['msg'] += ': ' + reason
        return result


# Options that only shape a launch: with state=stopped they would be silently ignored.
LAUNCH_ONLY = ('task_message', 'git_branch', 'playbook', 'inventory', 'environment', 'secret_environment', 'arguments',
               'limit', 'tags', 'skip_tags', 'debug', 'debug_level', 'semaphore_dry_run', 'semaphore_diff', 'params')


def info_option_conflicts(params):
    """semaphore_task_info: a message for options that contradict each other (checked before any request), or None."""
    if params.get('wait') and params.get('task_id') is None:
        return 'wait=true needs task_id: only a single task can be waited for'
    return None


def task_option_conflicts(params):
    """semaphore_task: a message for options that contradict each other (checked before any request), or None."""
    if params['state'] == 'stopped':
        given = [name for name in LAUNCH_ONLY if params.get(name) is not None]
        if params.get('if_running', 'launch') != 'launch':
            given.append('if_running')
        if params.get('stop_on_timeout'):
            given.append('stop_on_timeout')
        if given:
            return 'state=stopped launches nothing, so these launch options would be ignored: {0}'.format(', '.join(given))
        return None
    if params.get('task_id') is not None:
        return 'task_id only applies to state=stopped; a launch creates a new task'
    if params.get('stop_on_timeout') and not params.get('wait'):
        return 'stop_on_timeout needs wait=true: without waiting there is no timeout'
    return None


def _has_timing(template):
    last = (template or {}).get('last_task') or {}
    return bool(last.get('start') and last.get('end'))
