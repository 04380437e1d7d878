# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""A launch whose answer was lost: what the server may have done, found out without sending it again.

§n: sections of docs/server-behaviour.md; findings x: docs/real-server-findings.md.
"""

from __future__ import annotations

import datetime

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, SemaphoreHTTPError, parse_time

# Clock skew allowed when the launch time comes from the local clock (the server sent no Date).
LOCAL_CLOCK_SKEW = 120.0


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


def launch_clock(client):
    """``(when, skew)``: the time of a launch about to be sent, and the error to allow on it.

    The server's own clock from the answer just before (the Date header, floored to a second, so
    never later than the launch); the local clock, with a skew allowance, only without a Date.
    """
    if client.server_date:
        return client.server_date, 0.0
    return utc_now(), LOCAL_CLOCK_SKEW


def is_server_error(exc):
    """A launch answered HTTP 500 is often a refusal, not a lost answer (docs/version-differences.md):
    an unknown template (2.10), an environment the server cannot merge (up to 2.15), a wrong
    ``params`` type (2.11+). The caller checks the template and the tasks created since to tell."""
    return isinstance(exc, SemaphoreHTTPError) and exc.status == 500


def tasks_created_since(client, project_id, template_id, attempt_utc, known_ids=None, skew=LOCAL_CLOCK_SKEW):
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
