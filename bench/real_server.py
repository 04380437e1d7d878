# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""`BENCH_URL=... make bench`: the waiting cases of the benchmark against a real Semaphore.

The server must hold what hack/seed-semaphore.py creates (project Demo, templates "Bench 2s",
"Bench 30s", "Big output"). Lag = the wall-clock time at which the module's result reaches the
controller (bench/callback_plugins) minus the task's ``end`` as the server stored it (same machine,
same clock; MySQL stores ``end`` in whole seconds, so lags there carry up to a second of rounding).
A real server has no request log: request counts are not measured here (the simulator run has them).

Environment: BENCH_URL, BENCH_USERNAME (admin), BENCH_PASSWORD, BENCH_PROJECT (Demo), BENCH_QUICK.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import QUICK  # noqa: E402  pylint: disable=wrong-import-position
from runner import ROOT, Ansible, parse_stamp  # noqa: E402  pylint: disable=wrong-import-position

CASES = (
    # (template, runs, use_websocket, output_lines)
    ('Bench 2s', 2 if QUICK else 4, True, 200),
    ('Bench 2s', 2 if QUICK else 4, False, 200),
    ('Bench 30s', 1 if QUICK else 2, True, 200),
    ('Bench 30s', 1 if QUICK else 2, False, 200),
    ('Big output', 1, True, 200),
    ('Big output', 1, False, 200),
)


class Server:
    def __init__(self, url, username, password, project):
        self.api = url.rstrip('/') + '/api'
        self.http = requests.Session()
        response = self.http.post(self.api + '/auth/login', json={'auth': username, 'password': password}, timeout=30)
        response.raise_for_status()
        self.project_id = next(p['id'] for p in self.http.get(self.api + '/projects', timeout=30).json()
                               if p['name'] == project)
        self.version = self.http.get(self.api + '/info', timeout=30).json().get('version')

    def new_token(self):
        response = self.http.post(self.api + '/user/tokens', timeout=30)
        response.raise_for_status()
        return response.json()['id']

    def revoke(self, token):
        self.http.delete(self.api + '/user/tokens/' + token, timeout=30)

    def task(self, task_id):
        return self.http.get('{0}/project/{1}/tasks/{2}'.format(self.api, self.project_id, task_id), timeout=30).json()


def main():
    url = os.environ['BENCH_URL']
    server = Server(url, os.environ.get('BENCH_USERNAME', 'admin'), os.environ['BENCH_PASSWORD'],
                    os.environ.get('BENCH_PROJECT', 'Demo'))
    workdir = os.path.join(ROOT, 'build', 'bench-real')
    os.makedirs(os.path.join(workdir, 'tmp'), exist_ok=True)
    ansible = Ansible(workdir)
    began = time.time()
    lines = ['| Case | Runs | Lag after end: median (max) | Output lines kept | Recap found |', '|---|---|---|---|---|']
    for template, runs, websocket, output_lines in CASES:
        lags, kept, recaps = [], [], []
        for dummy in range(runs):
            token = server.new_token()
            args = {'url': url, 'api_token': token, 'project': server.project_id, 'template': template,
                    'use_websocket': websocket, 'output_lines': output_lines}
            try:
                events = ansible.adhoc('semaphore.api.semaphore_task', args, 600)[1]
                result = events[-1]['result']
                task = server.task(result['task_id'])
                lags.append(events[-1]['t'] - parse_stamp(task['end']))
                kept.append(result.get('output') or 0)  # the callback keeps the count of lines
                recaps.append(bool(result.get('recap')))
            except Exception as exc:  # pylint: disable=broad-except
                print('bench-real: {0}: {1}'.format(template, exc), file=sys.stderr, flush=True)
            finally:
                server.revoke(token)
        lines.append('| {0}, {1} | {2} | {3} | {4} | {5} |'.format(
            template, 'websocket' if websocket else 'no websocket', len(lags),
            '{0:.2f} s ({1:.2f} s)'.format(statistics.median(lags), max(lags)) if lags else 'failed',
            ', '.join(str(k) for k in kept), '{0}/{1}'.format(sum(recaps), len(recaps))))
    print('\nReal server {0} ({1}), {2}, {3} CPUs, Python {4}; took {5:.0f} s\n'.format(
        server.version, url, platform.platform(), os.cpu_count(), platform.python_version(), time.time() - began))
    print('\n'.join(lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
