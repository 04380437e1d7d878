# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""`make bench`, second table: a loop of launches on every ansible-core of the matrix (tests/matrix.yml).

For each core, with that core's own ansible-playbook (its venv build/venvs/<core>/, made by
hack/matrix.sh; the Debian 13 ones run through hack/in-debian-root.sh): the same loop of
launches on the controller path, on the module path, and with ansible.builtin.uri, against one
simulator. Per item = the time between the first and the last item's result at the controller,
divided by the items between them. The figure to watch: how many times cheaper the controller path
is per item than uri (the README's budget: at least 5x). Requests come from the simulator's log.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import yaml

from cases import PARALLEL, QUICK
from runner import PROJECT_ID, ROOT, TEMPLATE_IDS, VPY, Ansible, Sim, cleanup, uri_launch

LOOP_SIZE = 10 if QUICK else 30
VENVS = os.path.join(ROOT, 'build', 'venvs')
IN_ROOT = os.path.join(ROOT, 'hack', 'in-debian-root.sh')


def cores():
    """(core, python of its venv, command prefix) for the .venv (2.19) and every matrix entry."""
    with open(os.path.join(ROOT, 'tests', 'matrix.yml')) as handle:
        matrix = yaml.safe_load(handle)
    found = [(subprocess.run([VPY, '-c', 'import ansible.release as r; print(r.__version__)'], capture_output=True,
                             text=True, check=True).stdout.strip(), VPY, ())]
    for entry in matrix['entries']:
        python = os.path.join(VENVS, entry['core'], 'bin', 'python')
        found.append((entry['core'], python, (IN_ROOT,) if entry['root'] == 'debian13' else ()))
    return sorted(found, key=lambda item: [int(part) if part.isdigit() else part for part in item[0].replace('rc', '.').split('.')])


def per_item(ansible, sim, task, path):
    """(seconds per item, requests per item) of one loop."""
    seq = sim.last_seq()
    events = ansible.playbook([dict(task, loop='{{ range(%d) | list }}' % LOOP_SIZE)], {}, 600, path=path)[1]
    stamps = sorted(event['t'] for event in events if event['event'] == 'item_ok')
    if len(stamps) != LOOP_SIZE:
        raise RuntimeError('{0} of {1} items succeeded'.format(len(stamps), LOOP_SIZE))
    return (stamps[-1] - stamps[0]) / (len(stamps) - 1), sim.requests_since(seq) / LOOP_SIZE


def main():
    workdir = os.path.join(ROOT, 'build', 'bench-cores')
    os.makedirs(os.path.join(workdir, 'tmp'), exist_ok=True)
    rows, errors = [], []
    sim = None
    try:
        sim = Sim('cores', workdir)
        sim.set_template(PARALLEL, duration=0.5, output_lines=10)
        sim.control('POST', '/_sim/config', {'max_parallel_tasks': 1000})
        module_args = {'url': sim.url, 'api_token': sim.token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[PARALLEL],
                       'wait': False}
        for core, python, prefix in cores():
            if not os.path.exists(python):
                errors.append('{0}: no venv at {1} (hack/matrix.sh {0} makes it)'.format(core, python))
                continue
            print('bench: ansible-core {0}...'.format(core), file=sys.stderr, flush=True)
            core_dir = os.path.join(workdir, core)  # its own events files and temporary files
            shutil.rmtree(core_dir, ignore_errors=True)
            os.makedirs(os.path.join(core_dir, 'tmp'))
            ansible = Ansible(core_dir, python=python, prefix=prefix)
            try:
                controller, controller_requests = per_item(ansible, sim, {'semaphore.api.semaphore_task': module_args}, 'controller')
                module, dummy = per_item(ansible, sim, {'semaphore.api.semaphore_task': module_args}, 'module')
                uri, dummy = per_item(ansible, sim, {'ansible.builtin.uri': uri_launch(sim.url, sim.token)}, 'module')
            except Exception as exc:  # pylint: disable=broad-except
                errors.append('{0}: {1}'.format(core, exc))
                continue
            rows.append((core, controller, module, uri, controller_requests))
    finally:
        if sim is not None:
            sim.stop()
        cleanup()  # ansible processes left by a failure (a simulator that failed to start stopped itself)
    print()
    print('A loop of {0} launches (semaphore_task, wait: false) per ansible-core, seconds per item'.format(LOOP_SIZE))
    print()
    print('| ansible-core | controller path | module path | ansible.builtin.uri | controller vs uri | requests/item | budget >= 5x |')
    print('|---|---|---|---|---|---|---|')
    for core, controller, module, uri, requests_per_item in rows:
        ratio = uri / controller
        print('| {0} | {1:.3f} | {2:.3f} | {3:.3f} | {4:.1f}x cheaper | {5:g} | {6} |'.format(
            core, controller, module, uri, ratio, requests_per_item, 'met' if ratio >= 5 else 'NOT MET'))
    if errors:
        print('Errors:\n  ' + '\n  '.join(errors))
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
