# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The cases of `make bench` (bench/run.py) and their budgets: data only, no process is started here.

Templates are named as in the simulator's seed (tests/simulator/seed.yml, project Demo); the runner
finds their ids (and durations) there. A budget is the text the table shows and the limits
``Budget.check`` holds the measured figures to.
"""

from __future__ import annotations

import operator
import os
from dataclasses import dataclass, field

QUICK = os.environ.get('BENCH_QUICK', '') not in ('', '0')
PROFILE = '2.16'
PROJECT = 'Demo'

# Templates of the seed's project Demo.
PARALLEL = 'Parallel job'  # the quick launches (switched to 0.5 s, 10 lines by the runner)
BIG = 'Big output'  # 100 000 lines
LIVE = 'Bench 30s'  # the live-output case

# Where the module's code runs: in Ansible's controller process (the action plugin, on a local
# connection) or in a module process (as on a remote host).
PATHS = ('controller', 'module')
# How a wait learns the end: (mode, label). One simulator per mode and path.
MODES = (('socket', 'websocket'), ('ran', 'no websocket, template ran before'), ('never', 'no websocket, never ran'))

QUICK_RUNS = 2 if QUICK else 5
LOOP_SIZE = 10 if QUICK else 50
LOOP_RUNS = 1 if QUICK else 2
BIG_RUNS = 1 if QUICK else 3
BIG_TASK_RUNS = 1 if QUICK else 2
BIG_LINES = 100000  # the seed's output_lines of BIG
DEFAULT_OUTPUT_LINES = 200  # the modules' default output_lines
LIVE_SOCKETS = (True, False)

# Comparisons: figure (compare) reference; ratio = figure / reference, speedup = reference / figure.
_OPS = {'<=': operator.le, '<': operator.lt, '>=': operator.ge, '==': operator.eq}


@dataclass(frozen=True)
class Budget:
    """What the table shows in its Budget column, and the limits behind it: (figure, comparison, value).

    Figures: requests_max (the most requests of any run), lag (median seconds), ratio, speedup,
    seconds (median wall), rss (median peak MiB), delay (median live-output delay), kept (every run kept
    the lines asked for: True/False).
    """

    text: str
    limits: tuple = ()

    def check(self, figures):
        """True when every limit holds, False when one fails, None (n/a) when a figure is missing."""
        missing = False
        for name, compare, value in self.limits:
            got = figures.get(name)
            if got is None:
                missing = True
            elif not _OPS[compare](got, value):
                return False
        return None if missing else True


@dataclass(frozen=True)
class LongCase:
    """Launch + wait on a template, ``runs`` times per mode and path: ``parallel`` ones concurrently,
    ``stagger`` seconds apart (the template switched to allow_parallel_tasks), the others one at a
    time (and once in mode never: after that it ran); ``budgets`` by mode."""

    template: str
    label: str
    runs: int
    parallel: bool
    stagger: float = 0.0
    budgets: dict = field(default_factory=dict)


ONE_LAUNCH = Budget('1 request (the launch)', (('requests_max', '<=', 1),))

LONG_CASES = tuple(case for case in (
    LongCase('Bench 2s', '2 s', 2 if QUICK else 5, parallel=False),
    LongCase('Bench 30s', '30 s', 5, parallel=True, stagger=3.0, budgets={
        'socket': Budget('<= 6 requests, lag <= 0.3 s', (('requests_max', '<=', 6), ('lag', '<=', 0.3))),
        'ran': Budget('<= 8 requests, lag <= 1.0 s', (('requests_max', '<=', 8), ('lag', '<=', 1.0))),
        'never': Budget('<= 15 requests, lag <= 2.0 s', (('requests_max', '<=', 15), ('lag', '<=', 2.0))),
    }),
    LongCase('Bench 120s', '120 s', 3, parallel=True, stagger=4.0, budgets={
        'socket': Budget('<= 8 requests', (('requests_max', '<=', 8),)),
        'ran': Budget('<= 12 requests', (('requests_max', '<=', 12),)),
    }),
) if not QUICK or case.template == 'Bench 2s')
# A peer's `until` loop on the 30 s task, for comparison (shown when that case runs).
PEER_NOTE = 'peer `until` loop, 30 s task: 9 req / 1.7 s lag (5 s delay), 17 req / 2.0 s lag (2 s delay)'

# The quick lane: (label, results key, (reference label, reference key), budget). Figure: median time.
LAUNCHES = (
    ('Launch only (wait: false), by id, token', ('launch', 'id', 'token'), ('requests script', ('base', 'launch')),
     ONE_LAUNCH),
    ('Launch only (wait: false), by id, password', ('launch', 'id', 'password'), ('requests script', ('base', 'launch')),
     None),
    ('Launch only (wait: false), by name, token', ('launch', 'name', 'token'), ('requests script', ('base', 'launch')),
     None),
    ('Launch only (wait: false), by name, password', ('launch', 'name', 'password'),
     ('requests script', ('base', 'launch')), None),
    ('ansible.builtin.uri, same launch (floor)', ('uri', 'launch'), ('requests script', ('base', 'launch')), None),
    ('Launch only (wait: false), by id, token, module path', ('launch', 'id', 'token', 'module'),
     ('requests script', ('base', 'launch')), ONE_LAUNCH),
    ('Module path vs one uri call (ad hoc, whole command)', ('launch', 'id', 'token', 'module'), ('uri', ('uri', 'launch')),
     Budget('<= 1.5x uri', (('ratio', '<=', 1.5),))),
    ('Controller path vs ad hoc ansible.builtin.debug (the floor of any command)', ('launch', 'id', 'token'),
     ('debug', ('debug',)), Budget('<= 1.2x debug', (('ratio', '<=', 1.2),))),
)

# Loops of LOOP_SIZE launches in one playbook.
LOOP_CONTROLLER_BUDGET = Budget('>= 5x faster per item than uri', (('speedup', '>=', 5),))
LOOP_MODULE_VS_URI_BUDGET = Budget('<= 1.5x uri', (('ratio', '<=', 1.5),))

# semaphore_task_info on the 100 000 lines, and launch + wait on BIG, per output_lines asked for.
BIG_OUTPUT_LINES = (DEFAULT_OUTPUT_LINES, -1)
BIG_INFO_BUDGET = Budget('< 3 s, < 300 MB, only the lines asked for',
                         (('seconds', '<', 3), ('rss', '<', 300), ('kept', '==', True)))
BIG_TASK_BUDGET = Budget('< 3 s after end, < 300 MB', (('lag', '<', 3), ('rss', '<', 300), ('kept', '==', True)))
# Lines a run asking for all of them (-1) may miss: the last batch lands after the end.
BIG_ALL_SLACK = 50

LIVE_BUDGETS = {True: Budget('median <= 1 s', (('delay', '<=', 1.0),)), False: None}
