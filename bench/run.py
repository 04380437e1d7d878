# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""`make bench`: what the modules cost against the simulator, as one table (see README "Performance").

Not a timed test: it measures and prints; the budget column only says whether a figure is inside.
The cases and their budgets are in bench/cases.py, the runs in bench/runner.py, the table in
bench/report.py (their pure parts are tested by tests/bench/, `make`-free: see there).

The long cases run concurrently (one simulator each for: websocket, no websocket and never ran,
no websocket and ran before), on templates switched to allow_parallel_tasks; the quick cases run
afterwards, alone, on a fourth simulator.

BENCH_QUICK=1: a smoke run of a minute or so (fewer runs, no 30 s/120 s tasks, a loop of 10).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import sys
import threading
import time

from cases import LIVE_SOCKETS, PATHS, PROFILE, QUICK
from report import build_table
from runner import ROOT, Ansible, Results, Sim, cleanup, lane_quick, lane_waits, live_delays


def main():
    workdir = os.path.join(ROOT, 'build', 'bench')
    os.makedirs(os.path.join(workdir, 'tmp'), exist_ok=True)
    for name in os.listdir(workdir):
        if name.startswith(('events-', 'sim-')) or name.endswith('.json'):
            os.remove(os.path.join(workdir, name))
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY'):
        os.environ.pop(var, None)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    begin = time.time()
    results = Results()
    sims = []
    try:
        ansible = Ansible(workdir)
        lanes = []
        for path in PATHS:
            socket_sim = Sim('socket-' + path, workdir)
            never_sim = Sim('never-' + path, workdir, websocket=False)
            ran_sim = Sim('ran-' + path, workdir, websocket=False)
            sims += [socket_sim, never_sim, ran_sim]
            lanes += [threading.Thread(target=lane_waits, args=(ansible, socket_sim, 'socket', results, False, 0.0, path)),
                      threading.Thread(target=lane_waits, args=(ansible, never_sim, 'never', results, False, 1.5, path)),
                      threading.Thread(target=lane_waits, args=(ansible, ran_sim, 'ran', results, True, 0.7, path))]
        for socket in LIVE_SOCKETS:
            live_sim = Sim('live-{0}'.format(socket), workdir, websocket=socket)
            sims.append(live_sim)
            lanes.append(threading.Thread(target=live_delays, args=(ansible, live_sim, socket, results)))
        print('bench: long cases ({0})...'.format('quick' if QUICK else 'full'), file=sys.stderr, flush=True)
        for lane in lanes:
            lane.start()
        for lane in lanes:
            lane.join()
        for sim in sims:
            sim.stop()
        print('bench: quick cases...', file=sys.stderr, flush=True)
        quick_sim = Sim('quick', workdir)
        sims.append(quick_sim)
        lane_quick(ansible, quick_sim, results)
    except KeyboardInterrupt:
        print('bench: interrupted', file=sys.stderr)
        return 130
    finally:
        for sim in sims:
            try:
                sim.stop()
            except Exception:  # pylint: disable=broad-except
                pass
        cleanup()
    took = time.time() - begin
    with open(os.path.join(workdir, 'results.json'), 'w') as handle:
        json.dump({'rows': [dict(r, key=list(r['key'])) for r in results.rows], 'errors': results.errors}, handle, indent=1)
    print()
    print('semaphore.api bench, {0}, {1}, {2} CPUs, Python {3}, simulator profile {4}{5}'.format(
        time.strftime('%Y-%m-%d'), platform.platform(), os.cpu_count(), platform.python_version(), PROFILE,
        ', BENCH_QUICK' if QUICK else ''))
    print()
    print('\n'.join(build_table(results)))
    print()
    print('Lag: result at the ansible controller (callback time) minus the task end recorded by the simulator. '
          'bench took {0:.0f} s.'.format(took))
    if results.errors:
        print('Errors:\n  ' + '\n  '.join(results.errors))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
