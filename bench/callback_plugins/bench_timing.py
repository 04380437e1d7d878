# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Benchmark helper (not part of the collection): writes when each task result reaches the controller.

Enabled by bench/run.py only. One JSON line per result into the file named by BENCH_EVENTS:
``{"t": <wall-clock seconds>, "event": "ok|failed|item_ok|item_failed", "result": {...}}``.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: bench_timing
type: aggregate
short_description: timestamps of task results for bench/run.py
description: Writes the arrival time of each task result to the file named by BENCH_EVENTS.
requirements: [BENCH_EVENTS set in the environment]
'''

_KEEP = ('task_id', 'status', 'changed', 'failed', 'msg', 'output', 'url', 'status_code', 'recap')


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bench_timing'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, event, result):
        stamp = time.time()
        path = os.environ.get('BENCH_EVENTS')
        if not path:
            return
        data = dict((key, result._result.get(key)) for key in _KEEP if key in result._result)
        if 'output' in data and isinstance(data['output'], list):
            data['output'] = len(data['output'])  # only the count matters here
        with open(path, 'a') as handle:
            handle.write(json.dumps({'t': stamp, 'event': event, 'result': data}, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write('ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write('failed', result)

    def v2_runner_item_on_ok(self, result):
        self._write('item_ok', result)

    def v2_runner_item_on_failed(self, result):
        self._write('item_failed', result)
