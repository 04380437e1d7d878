# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Task logic shared by semaphore_task and semaphore_task_info.

Launch payloads per server version, override checks against the template's flags, output
cleaning, PLAY RECAP parsing and the timings of a task. Section numbers refer to the behaviour
reference (API-BEHAVIOUR.md, summarised in docs/version-differences.md).
"""

from __future__ import annotations

import datetime
import json
import re
import time

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreResponseError,
    parse_time,
)
from ansible_collections.semaphore.api.plugins.module_utils._failure import error_lines, failed_hosts

# Section 7: the only statuses that end a task. Everything else (waiting, starting, running,
# waiting_confirmation, confirmed, rejected, stopping) is still active.
TERMINAL_STATUSES = ('success', 'error', 'stopped')
FAILED_STATUSES = ('error', 'stopped', 'stopping')


def task_has_ended(task):
    """True once the task's run is over and its status will not change again.

    Besides the terminal statuses: on 2.10 a plain stop that does not kill the process (stopped
    while the repository is prepared) leaves the task ``stopping`` for good, with ``end`` set,
    after the run finished (seen on a real 2.10.32; the runner only turns ``running`` into success).
    """
    status = (task or {}).get('status')
    return status in TERMINAL_STATUSES or (status == 'stopping' and parse_time(task.get('end')) is not None)


# Options that are copied into the launch body unchanged (no flag guards them).
_PLAIN_FIELDS = (('task_message', 'message'), ('playbook', 'playbook'))

# Override -> (where the template keeps its flag, flag name, first version that enforces it).
# Before that version the server either honoured the field unconditionally or had no flag.
# Section 6.1 and section 10.
OVERRIDE_FLAGS = {
    'debug': ('task_params', 'allow_debug', (2, 13)),
    'debug_level': ('task_params', 'allow_debug', (2, 13)),
    'limit': ('task_params', 'allow_override_limit', (2, 14)),
    'tags': ('task_params', 'allow_override_tags', (2, 14)),
    'skip_tags': ('task_params', 'allow_override_skip_tags', (2, 14)),
    'inventory': ('task_params', 'allow_override_inventory', (2, 11)),
    'arguments': ('template', 'allow_override_args_in_task', (0, 0)),
    # git_branch is absent on purpose: the server applies any non-empty branch whatever
    # allow_override_branch_in_task says (only the web UI checks that flag), so nothing is ignored.
}

# Overrides a server ignores before the release that brought them (section 10): the ``params``
# object arrived in 2.11; the task's ``git_branch`` in 2.10.31 (findings from Semaphore's source).
SINCE_VERSION = {
    'tags': (2, 11, 0),
    'skip_tags': (2, 11, 0),
    'debug_level': (2, 11, 0),
    'params': (2, 11, 0),
    'git_branch': (2, 10, 31),
}
# Terraform's params.auto_approve counts only from 2.16, and only when the template allows it.
AUTO_APPROVE_SINCE = (2, 16)
# Up to 2.15 the template's environment keys win over the task's, and a template without an
# environment makes a launch with one fail (HTTP 500, task in error); 2.16 lets the task's keys win.
TASK_ENVIRONMENT_WINS_SINCE = (2, 16)
# /tasks/{id}/reject arrived in 2.11.
REJECT_SINCE = (2, 11)

_ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]')
_RECAP_HEADER = re.compile(r'^PLAY RECAP\b')
_RECAP_LINE = re.compile(r'^(?P<host>\S+)\s*:\s*(?P<counts>(?:\w+=\d+\s*)+)$')
RECAP_KEYS = ('ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored')
# Counts every recap line has; a task's own ``key=1`` output never has them all.
_RECAP_REQUIRED = ('ok=', 'changed=', 'unreachable=', 'failed=')


class SemaphoreOverrideError(SemaphoreError):
    """Requested overrides that the template (or the server version) would silently ignore."""

    def __init__(self, refused):
        self.refused = refused
        super().__init__('the template does not allow these overrides, the server would silently ignore them: {0}'.format(
            '; '.join('{0} ({1})'.format(name, reason) for name, reason in refused)))


class SemaphoreLaunchUncertain(SemaphoreError):
    """The launch request may have reached the server but its answer was lost; it is never resent."""

    def __init__(self, cause, candidates):
        self.cause = cause
        self.candidates = candidates
        if candidates:
            found = 'task(s) {0} of this template were created by you since the attempt; check them before launching again'.format(
                ', '.join(str(task.get('id')) for task in candidates))
        else:
            found = 'no task of this template created by you since the attempt was found'
        super().__init__('the launch request failed and was not repeated ({0}); {1}'.format(cause, found))


class SemaphoreLaunchRefused(SemaphoreError):
    """The server answered a launch with HTTP 500 and no task runs: it refused, nothing was lost."""

    def __init__(self, cause, task=None, reason=None):
        self.cause = cause
        self.task = task
        if task is None:
            text = 'the server refused the launch ({0}) and created no task; its log says why'.format(cause)
        else:
            text = 'the server refused the launch ({0}): task {1} was created and failed before running{2}'.format(
                cause, task.get('id'), ': {0}'.format(reason) if reason else '')
        super().__init__(text)


class SemaphoreTaskFailed(SemaphoreError):
    """The task ended with ``error`` or ``stopped`` (or stayed ``stopping`` after its end, on 2.10);
    ``reason``: why, in one line, when its output says (module_utils/_failure.py)."""

    def __init__(self, task, reason=None):
        self.task = task
        super().__init__('task {0} ended with status {1}{2}'.format(task.get('id'), task.get('status'),
                                                                    ': ' + reason if reason else ''))


# -- launch payload --------------------------------------------------------------------------------

def as_list(value):
    """A list of strings from a list or a comma-separated string; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(',')
    return [str(item).strip() for item in value if str(item).strip()]


def requested_overrides(options):
    """The override names the user actually set (None means not set; empty lists count as set)."""
    names = ('task_message', 'playbook', 'git_branch', 'inventory', 'environment', 'secret_environment', 'arguments',
             'limit', 'tags', 'skip_tags', 'debug', 'debug_level', 'semaphore_dry_run', 'semaphore_diff', 'params')
    return [name for name in names if options.get(name) is not None]


def needs_version(options):
    """The payload's shape, or what the server does with it, depends on the version only for these
    options (section 10)."""
    return options.get('confirm') == 'reject' or any(options.get(name) is not None for name in (
        'limit', 'tags', 'skip_tags', 'debug', 'debug_level', 'semaphore_dry_run', 'semaphore_diff', 'params',
        'inventory', 'git_branch', 'environment'))


def wants_auto_approve(options):
    return bool((options.get('params') or {}).get('auto_approve'))


def needs_template(options, version=None):
    """The template must be read only when a guarded override is requested, or an environment is
    sent to a server where the template's environment decides what happens to it."""
    if any(options.get(name) is not None for name in OVERRIDE_FLAGS) or wants_auto_approve(options):
        return True
    return needs_template_environment(options, version)


def _at_least(version, minimum):
    """An unknown version (source build) counts as the newest."""
    return version is None or tuple(version[:len(minimum)]) >= tuple(minimum)


def needs_template_environment(options, version):
    return bool(options.get('environment')) and not _at_least(version, TASK_ENVIRONMENT_WINS_SINCE)


def check_confirm(options, version):
    """confirm=reject must fail before anything is launched on a server that cannot reject."""
    if options.get('confirm') == 'reject' and _older_than(version, REJECT_SINCE):
        raise SemaphoreError('confirm=reject needs Semaphore {0} or later (this server is {1} and has no reject '
                             'endpoint); reject the plan in the web UI, or stop the task'.format(
                                 _shown(REJECT_SINCE), _shown(version)))


def _older_than(version, minimum):
    """True only for a known version below ``minimum`` (an unknown one counts as the newest)."""
    return not _at_least(version, minimum)


def _shown(version):
    return '.'.join(str(part) for part in version)


def check_overrides(options, template, version, template_environment=None):
    """Return ``[(override, reason)]`` for overrides the server would silently drop.

    ``template_environment`` is the template's environment JSON (a string), read only for servers
    where the template's keys win (up to 2.15).
    """
    refused = []
    for name, (where, flag, since) in OVERRIDE_FLAGS.items():
        value = options.get(name)
        if value is None or value is False or value == []:
            # debug: false, or an empty list, asks for nothing the template could refuse.
            continue
        if name == 'debug_level' and not options.get('debug'):
            continue
        if not _at_least(version, since):
            continue
        holder = (template.get('task_params') or {}) if where == 'task_params' else template
        if not holder.get(flag):
            refused.append((name, 'template flag {0} is off'.format(flag)))
    for name, since in SINCE_VERSION.items():
        if options.get(name) not in (None, [], {}) and _older_than(version, since):
            refused.append((name, 'needs Semaphore {0} or later, the server is {1}'.format(_shown(since), _shown(version))))
    if wants_auto_approve(options) and not _older_than(version, SINCE_VERSION['params']):
        refused.extend(_check_auto_approve(template, version))
    if needs_template_environment(options, version):
        refused.extend(_check_environment(options['environment'], template, template_environment, version))
    return refused


def _check_auto_approve(template, version):
    if _older_than(version, AUTO_APPROVE_SINCE):
        return [('params.auto_approve', 'needs Semaphore {0} or later, the server is {1}; the plan will wait '
                                        'for confirmation (use confirm)'.format(_shown(AUTO_APPROVE_SINCE), _shown(version)))]
    flags = template.get('task_params') or {}
    if flags.get('auto_approve') or flags.get('allow_auto_approve'):
        return []
    return [('params.auto_approve', 'template flag allow_auto_approve is off, so the plan will wait for '
                                    'confirmation (use confirm)')]


def _check_environment(environment, template, template_environment, version):
    """Up to 2.15 the template's environment is applied over the task's (section 6.1)."""
    if not template.get('environment_id') or not (template_environment or '').strip():
        return [('environment', 'the template has no environment, and Semaphore {0} fails a launch that sends one '
                                '(fixed in {1})'.format(_shown(version), _shown(TASK_ENVIRONMENT_WINS_SINCE)))]
    try:
        fixed = json.loads(template_environment)
    except ValueError:
        fixed = {}
    clashing = sorted(key for key in environment if isinstance(fixed, dict) and key in fixed)
    if clashing:
        return [('environment', "the template's environment sets {0}, which wins over the task's on Semaphore {1} "
                                '(the task wins from {2})'.format(', '.join(clashing), _shown(version),
                                                                  _shown(TASK_ENVIRONMENT_WINS_SINCE)))]
    return []


def build_payload(template_id, options, version=None, inventory_id=None):
    """The ``POST /tasks`` body for this server version (section 6.1, section 10).

    Up to 2.10 the Ansible flags are top-level fields; 2.11 to 2.13 honour both the top-level fields
    and ``params`` (both are sent); from 2.14 only ``params`` counts. ``version`` None means newest.
    """
    payload = {'template_id': template_id}
    for option, field in _PLAIN_FIELDS:
        if options.get(option) is not None:
            payload[field] = options[option]
    if options.get('git_branch') is not None:
        payload['git_branch'] = options['git_branch']
    if inventory_id is not None:
        payload['inventory_id'] = inventory_id
    if options.get('environment') is not None:
        payload['environment'] = json.dumps(options['environment'], sort_keys=True)
    if options.get('secret_environment') is not None:
        payload['secret'] = json.dumps(options['secret_environment'], sort_keys=True)
    if options.get('arguments') is not None:
        payload['arguments'] = json.dumps([str(arg) for arg in options['arguments']])

    limit = as_list(options.get('limit'))
    flags = {}
    for option, field in (('debug', 'debug'), ('semaphore_dry_run', 'dry_run'), ('semaphore_diff', 'diff')):
        if options.get(option) is not None:
            flags[field] = bool(options[option])

    top_level = not _at_least(version, (2, 14))
    with_params = _at_least(version, (2, 11))
    if top_level:
        payload.update(flags)
        if limit is not None:
            payload['limit'] = ','.join(limit)
    if with_params:
        params = dict(options.get('params') or {})
        params.update(flags)
        if options.get('debug_level') is not None:
            params['debug_level'] = int(options['debug_level'])
        if limit is not None:
            params['limit'] = limit
        for option in ('tags', 'skip_tags'):
            if options.get(option) is not None:
                params[option] = as_list(options[option])
        if params:
            payload['params'] = params
    return payload


def redact_payload(payload):
    """The payload as it may be shown: the secret variables are hidden."""
    shown = dict(payload)
    if 'secret' in shown:
        shown['secret'] = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    return shown


# -- output -----------------------------------------------------------------------------------------

def strip_ansi(text):
    return _ANSI.sub('', text or '').replace('\r', '')


def output_raw_texts(raw_lines):
    """Output lines (the server's ``[{output, time, ...}]``) as the strings the server sent."""
    return [line.get('output') if isinstance(line, dict) else str(line) for line in raw_lines or []]


def output_text_lines(raw_lines):
    """Output lines as plain strings without ANSI codes."""
    return [strip_ansi(text) for text in output_raw_texts(raw_lines)]


def bound_lines(lines, output_lines):
    """The last ``output_lines`` lines; -1 keeps all, 0 keeps none."""
    if output_lines is None or output_lines < 0:
        return list(lines)
    if output_lines == 0:
        return []
    return list(lines[-output_lines:])


def parse_recap(lines):
    """``{host: {ok, changed, unreachable, failed, skipped, rescued, ignored}}`` from the PLAY RECAP.

    Returns None when the output holds no recap (not an Ansible run, or the run died before it).
    The recap's host lines are recognised by their shape wherever they stand after the last play's
    start, not only right under the header: Semaphore 2.10 on MySQL returns the lines of one
    second in any order, and a recap can come back split around its header.
    """
    headers = [index for index, line in enumerate(lines) if _RECAP_HEADER.match(line.strip())]
    if not headers:
        return None
    # Several recaps (several runs in one task): the last one counts, read below its header.
    plays = [index for index, line in enumerate(lines[:headers[-1]]) if line.strip().startswith('PLAY [')]
    start = headers[-1] if len(headers) > 1 else (plays[-1] if plays else 0)
    recap = {}
    for line in lines[start:]:
        host_counts = _recap_host_counts(line)
        if host_counts is not None:
            recap[host_counts[0]] = host_counts[1]
    return recap


def _recap_host_counts(text):
    """``(host, counts)`` for a PLAY RECAP host line, else None."""
    match = _RECAP_LINE.match(text.strip())
    if not match or not all(key in match.group('counts') for key in _RECAP_REQUIRED):
        return None
    counts = dict((key, 0) for key in RECAP_KEYS)
    for pair in match.group('counts').split():
        key, value = pair.split('=', 1)
        counts[key] = int(value)
    return match.group('host'), counts


def order_output(raw, streamed=None):
    """``(rows, reordered)``: the output rows in the order the task printed them, as far as known.

    Semaphore 2.10 on MySQL/MariaDB stores ``time`` in whole seconds and orders ``/output`` by it
    alone: lines of one second come back shuffled (seen on a real 2.10.32 + MariaDB). When the
    websocket streamed every line, its order is the true one. Otherwise the PLAY RECAP block (and
    Semaphore's own closing line) is put back at the end so that the tail reads right; the order of
    other lines within a second stays unknown, which ``reordered`` tells.
    """
    times = [row.get('time') for row in raw if isinstance(row, dict)]
    if len(times) < 2 or any(not isinstance(stamp, str) or '.' in stamp for stamp in times) or len(set(times)) == len(times):
        return raw, False
    if streamed and len(streamed) == len(raw) and sorted(streamed) == sorted(output_raw_texts(raw)):
        return [{'output': line} for line in streamed], False
    texts = output_text_lines(raw)
    block = [index for index, text in enumerate(texts)
             if _RECAP_HEADER.match(text.strip()) or _recap_host_counts(text) or text.startswith('Running app failed')]
    if not block:
        return raw, True
    key = {index: (0 if _RECAP_HEADER.match(texts[index].strip()) else 2 if texts[index].startswith('Running app') else 1,
                   texts[index]) for index in block}
    chosen = set(block)
    rows = [row for index, row in enumerate(raw) if index not in chosen]
    rows.extend(raw[index] for index in sorted(block, key=key.get))
    return rows, True


def has_recap(lines):
    return parse_recap(lines) is not None


def _recap_in_tail(raw):
    """Whether the last lines of the output, put in order, hold a PLAY RECAP."""
    return has_recap(output_text_lines(order_output(raw)[0][-60:]))


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


def active_tasks(tasks):
    return [task for task in tasks or [] if not task_has_ended(task)]


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


# How long, at most, to keep reading an Ansible run's output that still grows and has no recap yet.
OUTPUT_GROWTH_WAIT = 10.0


def fetch_output(client, project_id, task, timeout=None, settle=0.5, sleep=time.sleep, streamed=None):
    """The output of a finished task, read once.

    The server stores output in batches about every 500 ms, so its last lines can trail the final
    status (section 6.4). When an Ansible run's PLAY RECAP is missing, the tail is taken from
    ``streamed`` (every line the websocket pushed, when complete and consistent with what was
    read), else the output is read again after ``settle`` seconds, and again while it grows.
    """
    raw = client.get_task_output(project_id, task['id'], timeout=timeout)
    ansible = task.get('status') in ('success', 'error') and _looks_like_ansible(raw)
    if not ansible or _recap_in_tail(raw):
        return raw
    if streamed and len(streamed) > len(raw) and has_recap(output_text_lines(streamed[-60:])):
        stored = output_text_lines(raw)
        if stored == output_text_lines(streamed[:len(raw)]):
            return list(raw) + [{'output': line} for line in streamed[len(raw):]]
    # Semaphore 2.10 stores lines one by one after the run: a large output can still be growing
    # seconds after ``end`` (2-4 s for 4 000 lines on a real 2.10.32). Read again while it grows.
    waited = 0.0
    while settle and waited < OUTPUT_GROWTH_WAIT:
        sleep(settle)
        waited += settle
        again = client.get_task_output(project_id, task['id'], timeout=timeout)
        grew = len(again) > len(raw)
        raw = again
        if not grew or _recap_in_tail(raw):
            break
        settle = min(settle * 2, 2.0)
    return raw


def _looks_like_ansible(raw):
    for line in raw or []:
        text = line.get('output') if isinstance(line, dict) else str(line)
        if text and (text.startswith('PLAY [') or text.startswith('TASK [')):
            return True
    return False


# -- a launch whose answer was lost -----------------------------------------------------------------

def answer_was_lost(exc):
    """True when the POST may have created a task although no answer says so."""
    if isinstance(exc, SemaphoreConnectionError):
        return exc.sent is not False
    if isinstance(exc, SemaphoreResponseError):
        return True
    if isinstance(exc, SemaphoreHTTPError):
        return exc.status in (500, 502, 503, 504)
    return False


def tasks_created_since(client, project_id, template_id, attempt_utc, known_ids=None, skew=120.0):
    """Tasks of this template, started by the current user, created since the attempt.

    ``known_ids`` (the ids listed just before the launch, newest first) is exact when known: the
    new tasks are the ones listed before the first known id. Ids are not compared by size: on
    BoltDB Semaphore numbers tasks downwards from 2147483646, on SQL upwards. Without it, the
    ``created`` time is compared with the attempt time minus ``skew`` seconds of clock skew.
    """
    user_id = (client.current_user() or {}).get('id')
    found = []
    known = set(known_ids or ())
    for task in client.list_tasks(project_id, template_id):
        if known_ids is not None and task.get('id') in known:
            break  # the list is newest first: everything from here on existed before
        if user_id is not None and task.get('user_id') not in (None, user_id):
            continue
        if known_ids is not None:
            found.append(task)
            continue
        created = parse_time(task.get('created'))
        if created is not None and (attempt_utc - created).total_seconds() <= skew:
            found.append(task)
    return found


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)
