# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""When to poll a task next, when no websocket tells its end: sparse early, dense around the
end its template's recent runs predict. §n: sections of docs/server-behaviour.md.
"""

from __future__ import annotations

from ansible_collections.semaphore.api.plugins.module_utils._client import parse_time
from ansible_collections.semaphore.api.plugins.module_utils._output import OUTPUT_SETTLE

QUICK_DELAYS = (0.5, 1.0, 1.5)     # a short task is seen finished at once
# Never-ran template: steady polls for the first minute (a 30 s task costs 11 polls, detection
# lags 1.75 s on average), then a step that grows with the time already spent.
UNKNOWN_STEP = 3.5
UNKNOWN_GROWTH = 0.12
DENSE_STEP = 0.6                   # around the expected end
EARLY_LOOK = 1.5                   # one early poll on a long task: preparation failures, and its start time
MIN_DELAY = 0.2
# Without the socket's stream the module cannot return complete output sooner than OUTPUT_SETTLE
# after the end (§6.4), so polls aim there rather than at the end itself.


class PollSchedule:
    """How long to pause before the next poll, from what is known about the task's duration.

    ``expected`` is ``(run_seconds, queue_seconds)`` from the template's recent tasks, or None.
    ``elapsed`` counts from the launch (for an existing task, from when waiting began).
    """

    def __init__(self, poll_interval, expected=None):
        self.poll_interval = max(MIN_DELAY, float(poll_interval))
        self.expected = expected
        self.count = 0
        self.overrun = 0

    def expected_end(self, task):
        if not self.expected:
            return None
        run, queue = self.expected
        created = parse_time((task or {}).get('created'))
        started = parse_time((task or {}).get('start'))
        if created is not None and started is not None:
            queue = max(0.0, (started - created).total_seconds())
        return queue + run

    def next_delay(self, elapsed, task=None):
        count = self.count
        self.count += 1
        end = self.expected_end(task)
        if end is None:
            if count < len(QUICK_DELAYS):
                delay = QUICK_DELAYS[count]
            else:
                delay = max(UNKNOWN_STEP, elapsed * UNKNOWN_GROWTH)
            return self._bound(delay)
        run = self.expected[0]
        target = end + OUTPUT_SETTLE - 0.1
        if count == 0 and target > 4.0:
            return self._bound(EARLY_LOOK)
        if elapsed < target - 0.05:
            return self._bound(target - elapsed)
        if elapsed - end < max(3.0, 0.1 * run):
            return self._bound(DENSE_STEP)
        # Longer than usual: back off again.
        self.overrun += 1
        return self._bound(DENSE_STEP * (1.5 ** self.overrun))

    def _bound(self, delay):
        return max(MIN_DELAY, min(self.poll_interval, delay))
