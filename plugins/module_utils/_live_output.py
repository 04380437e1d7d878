# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""A running task's output lines on the controller's console (option live_output)."""

from __future__ import annotations

from ansible_collections.semaphore.api.plugins.module_utils._client import parse_time


class LiveOutput:
    """Shows one task's output lines on the controller's console while it runs (option live_output).

    Lines come from the socket's ``log`` events, or without the socket from the output read at the
    waiter's own poll times; ``shown`` counts what was printed so that no line is shown twice.
    """

    def __init__(self, console, task_id):
        self.console = console
        self.prefix = '[semaphore task {0}] '.format(task_id)
        self.shown = 0
        self._caught_up_to = None  # the stored time of the last line printed from a REST read

    def line(self, text):
        for part in str(text or '').rstrip('\n').split('\n'):
            self.console(self.prefix + part)
        self.shown += 1

    def event(self, event):
        """A ``log`` event; skipped when a REST read already printed it (same or earlier time)."""
        stamp = parse_time(event.get('time'))
        if self._caught_up_to is not None and stamp is not None and stamp <= self._caught_up_to:
            return
        self.line(event.get('output'))

    def catch_up(self, rows):
        """Print the stored lines not shown yet."""
        for row in rows[self.shown:]:
            self.line(row.get('output') if isinstance(row, dict) else row)
        if rows and isinstance(rows[-1], dict):
            self._caught_up_to = parse_time(rows[-1].get('time')) or self._caught_up_to
