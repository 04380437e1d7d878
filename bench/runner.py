# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The runner of `make bench` (bench/run.py): simulators, ansible runs, and the lanes of cases
(bench/cases.py) that fill a Results; bench/report.py renders them.

- Modules run the way users run them: `ansible` (ad hoc) or `ansible-playbook`, with the collection
  from this checkout. A small callback (bench/callback_plugins) stamps the wall-clock time at which
  each result reaches the controller.
- Lag = that time minus the task's `end` as the simulator recorded it (microseconds, /_sim/state).
- Requests come from the simulator's request log (/_sim/log), websocket upgrade included: per run,
  the entries of a token minted for that run alone, or (sequential cases) the entries of the run's
  time window.
- Peak memory: the module run directly (`python -m ...` with an arguments file) in a child of a
  small wrapper that reports RUSAGE_CHILDREN max RSS.
"""

from __future__ import annotations

import datetime
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

from cases import BIG, BIG_OUTPUT_LINES, BIG_RUNS, BIG_TASK_RUNS, DEFAULT_OUTPUT_LINES, LIVE, LONG_CASES, LOOP_RUNS, \
    LOOP_SIZE, PARALLEL, PROFILE, PROJECT, QUICK_RUNS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VPY = os.path.join(ROOT, '.venv', 'bin', 'python')
sys.path.insert(0, os.path.join(ROOT, 'tests', 'simulator'))
from semaphore_sim.harness import RunningSimulator, launch, load_seed, seed_admin  # noqa: E402  pylint: disable=wrong-import-position


def seed_project(name=PROJECT):
    """(project id, {template name: id}, {template name: simulated seconds}) of the seed's project."""
    project = next(item for item in load_seed().get('projects', []) if item['name'] == name)
    templates = {}
    for template in project.get('templates') or []:
        templates.setdefault(template['name'], template)  # the first of a repeated name
    return (project['id'], {name: item['id'] for name, item in templates.items()},
            {name: float((item.get('sim') or {}).get('duration', 2)) for name, item in templates.items()})


PROJECT_ID, TEMPLATE_IDS, DURATIONS = seed_project()
ADMIN = seed_admin()

_PROCS = []
_PROCS_LOCK = threading.Lock()


# -- processes: every child is tracked and killed at the end, also on Ctrl-C or failure ------------

def _spawn(cmd, **kwargs):
    proc = subprocess.Popen(cmd, start_new_session=True, **kwargs)
    with _PROCS_LOCK:
        _PROCS.append(proc)
    return proc


def _finish(proc, timeout):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        raise RuntimeError('{0} did not end within {1:.0f} s'.format(proc.args[:3], timeout)) from None
    finally:
        with _PROCS_LOCK:
            if proc in _PROCS:
                _PROCS.remove(proc)
    return out, err


def _kill(proc):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.wait(timeout=5)


def cleanup():
    with _PROCS_LOCK:
        procs = list(_PROCS)
        del _PROCS[:]
    for proc in procs:
        _kill(proc)


def run(cmd, timeout, env=None):
    """Run to the end; (wall seconds, stdout, stderr, rc)."""
    begin = time.time()
    proc = _spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    out, err = _finish(proc, timeout)
    return time.time() - begin, out, err, proc.returncode


# -- the simulator -------------------------------------------------------------------------------------

class Sim(RunningSimulator):
    """A simulator of semaphore_sim.harness (files sim-NAME.url and sim-NAME.log in ``workdir``), logged in
    as the seed's admin, with the bench's own token (its requests are left out of the counts)."""

    def __init__(self, name, workdir, websocket=True):
        super().__init__(**launch(PROFILE, python=VPY, extra_args=() if websocket else ('--no-websocket',),
                                  workdir=workdir, url_file=os.path.join(workdir, 'sim-{0}.url'.format(name)),
                                  output_file=os.path.join(workdir, 'sim-{0}.log'.format(name)), log_file=False))
        self.name = name
        try:
            self.http = requests.Session()
            self.http.trust_env = False  # loopback only, never through a proxy
            self.http.post(self.url + '/api/auth/login', json={'auth': ADMIN[0], 'password': ADMIN[1]},
                           timeout=10).raise_for_status()
            self.token = self.new_token()  # the bench's own requests use this one (excluded from counts)
        except BaseException:
            self.stop()
            raise

    def new_token(self):
        response = self.http.post(self.url + '/api/user/tokens', timeout=10)
        response.raise_for_status()
        return response.json()['id']

    def last_seq(self):
        entries = self.log()
        return entries[-1]['seq'] if entries else 0

    def requests_of_token(self, token):
        return len([e for e in self.log() if e.get('token_prefix') == token[:8]])

    def requests_since(self, seq):
        return len([e for e in self.log() if e['seq'] > seq])

    def task_state(self, task_id):
        for task in self.state()['tasks']:
            if task['id'] == task_id:
                return task
        return None

    def set_template(self, name, **changes):
        self.control('POST', 'templates/{0}'.format(TEMPLATE_IDS[name]), changes)

    def launch(self, name):
        response = self.http.post(self.url + '/api/project/{0}/tasks'.format(PROJECT_ID), json={'template_id': TEMPLATE_IDS[name]},
                                  headers={'Authorization': 'Bearer ' + self.token}, timeout=10)
        response.raise_for_status()
        return response.json()['id']

    def wait_finished(self, task_id, limit):
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            task = self.task_state(task_id)
            if task and task['finished']:
                return task
            time.sleep(0.25)
        raise RuntimeError('task {0} on simulator {1} did not finish within {2} s'.format(task_id, self.name, limit))


def parse_stamp(text):
    """RFC 3339 with microseconds (the simulator's /_sim/state) to epoch seconds."""
    value = text.rstrip('Z')
    if '.' not in value:
        value += '.0'
    head, frac = value.split('.')
    stamp = datetime.datetime.strptime(head, '%Y-%m-%dT%H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    return stamp.timestamp() + float('0.' + frac)


# -- running modules -----------------------------------------------------------------------------------

class Ansible:
    """Runs ansible and ansible-playbook of the venv whose python is ``python``; ``prefix`` goes before
    each command (bench/cores.py: hack/in-debian-root.sh for the venvs of the Debian 13 root)."""

    def __init__(self, workdir, python=VPY, prefix=()):
        self.workdir = workdir
        self.python = python
        self.prefix = list(prefix)
        collections = os.path.join(workdir, 'collections')
        link = os.path.join(collections, 'ansible_collections', 'semaphore', 'api')
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if not os.path.islink(link):
            os.symlink(ROOT, link)
        self.collections = collections
        self.counter = 0
        self.lock = threading.Lock()

    def env(self, events):
        env = dict(os.environ)
        env.update({
            'ANSIBLE_COLLECTIONS_PATH': self.collections,
            'ANSIBLE_CALLBACK_PLUGINS': os.path.join(ROOT, 'bench', 'callback_plugins'),
            'ANSIBLE_CALLBACKS_ENABLED': 'bench_timing',
            'ANSIBLE_LOAD_CALLBACK_PLUGINS': '1',
            'ANSIBLE_DEPRECATION_WARNINGS': '0',
            'ANSIBLE_HOST_KEY_CHECKING': '0',
            'ANSIBLE_LOCAL_TEMP': os.path.join(self.workdir, 'tmp'),
            'ANSIBLE_REMOTE_TEMP': os.path.join(self.workdir, 'tmp'),
            'BENCH_EVENTS': events,
            'NO_PROXY': '127.0.0.1,localhost',
        })
        return env

    def bin(self, name):
        return os.path.join(os.path.dirname(self.python), name)

    def _events_file(self):
        with self.lock:
            self.counter += 1
            return os.path.join(self.workdir, 'events-{0}.jsonl'.format(self.counter))

    def adhoc(self, module, args, timeout, path='controller', measured=False):
        """One ad hoc module run; (wall seconds, [events]), or with ``measured`` (wall, [events], max RSS MiB).

        ``path``: 'controller' (the action plugin runs the module in Ansible's process, the default on a
        local connection) or 'module' (semaphore_api_in_process=false: a module process, as on a remote host).
        """
        events = self._events_file()
        cmd = self.prefix + [self.bin('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
                             '-e', 'ansible_python_interpreter=' + self.python,
                             '-e', 'semaphore_api_in_process={0}'.format(path == 'controller'),
                             '-m', module, '-a', json.dumps(args)]
        if measured:
            data = measure(cmd, timeout, self.env(events))
            return data['wall'], self._read(events, data['rc'], data['out'], data['err']), data['rss_mib']
        wall, out, err, rc = run(cmd, timeout, self.env(events))
        return wall, self._read(events, rc, out, err)

    def playbook(self, tasks, extra, timeout, path='controller'):
        events = self._events_file()
        path_file = events.replace('.jsonl', '.yml')
        with open(path_file, 'w') as handle:
            json.dump([{'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle)
        extra = dict(extra, ansible_python_interpreter=self.python, semaphore_api_in_process=path == 'controller')
        cmd = self.prefix + [self.bin('ansible-playbook'), '-i', 'localhost,', '-c', 'local', '-e', json.dumps(extra), path_file]
        wall, out, err, rc = run(cmd, timeout, self.env(events))
        return wall, self._read(events, rc, out, err)

    @staticmethod
    def _read(events, rc, out, err):
        found = []
        if os.path.exists(events):
            with open(events) as handle:
                found = [json.loads(line) for line in handle if line.strip()]
        if rc != 0 or not found or any(e['event'].endswith('failed') for e in found):
            raise RuntimeError('ansible failed (rc {0}): {1}'.format(rc, (out + err)[-1500:]))
        return found

    def direct(self, module, args, timeout):
        """The module process alone: (wall seconds, max RSS MiB, {task_id, kept})."""
        handle, path = tempfile.mkstemp(suffix='.json', dir=self.workdir)
        with os.fdopen(handle, 'w') as stream:
            json.dump({'ANSIBLE_MODULE_ARGS': args}, stream)
        module_path = 'ansible_collections.semaphore.api.plugins.modules.' + module
        env = dict(os.environ, PYTHONPATH=self.collections, NO_PROXY='127.0.0.1,localhost')
        data = measure([VPY, '-m', module_path, path], timeout, env)
        result = json.loads(data['out'])
        if data['rc'] != 0 or result.get('failed'):
            raise RuntimeError('{0} failed: {1}{2}'.format(module, data['out'][-1000:], data['err']))
        return data['wall'], data['rss_mib'], {'task_id': result.get('task_id'), 'kept': len(result.get('output') or []),
                                               'end': data['end']}


_MEASURE = (
    'import json,resource,subprocess,sys,time\n'
    'b=time.time();p=subprocess.run(sys.argv[1:],capture_output=True,text=True);e=time.time()\n'
    'r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n'
    'sys.stdout.write(json.dumps({"wall":e-b,"end":e,"rss_mib":r/1024.0,"rc":p.returncode,"err":p.stderr[-2000:]})+"\\n"+p.stdout)\n')


def measure(cmd, timeout, env=None):
    """Run ``cmd`` under a wrapper: {wall, end (epoch), rss_mib (its max RSS), rc, err, out}."""
    out, err, rc = run([VPY, '-c', _MEASURE] + cmd, timeout, env)[1:]
    if rc != 0 or not out:
        raise RuntimeError('measuring {0} failed: {1}'.format(cmd[:3], err[-1000:]))
    head, rest = out.split('\n', 1)
    data = json.loads(head)
    data['out'] = rest
    return data


# -- the cases -------------------------------------------------------------------------------------------

class Results:
    def __init__(self):
        self.rows = []
        self.lock = threading.Lock()
        self.errors = []

    def add(self, key, **values):
        with self.lock:
            self.rows.append(dict(values, key=key))

    def of(self, key):
        return [row for row in self.rows if row['key'] == key]

    def error(self, where, exc):
        with self.lock:
            self.errors.append('{0}: {1}'.format(where, exc))
        print('bench: {0}: {1}'.format(where, exc), file=sys.stderr, flush=True)


def wait_run(ansible, sim, template, key, results, offset=0.0, path='controller'):
    """One launch-and-wait by id with a token of its own; lag and requests from the simulator."""
    time.sleep(offset)
    token = sim.new_token()
    args = {'url': sim.url, 'api_token': token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[template], 'wait': True}
    try:
        wall, events = ansible.adhoc('semaphore.api.semaphore_task', args, DURATIONS[template] * 2 + 120, path=path)
        result = events[-1]
        task = sim.wait_finished(result['result']['task_id'], 5)
        lag = result['t'] - parse_stamp(task['end'])
        results.add(key, lag=lag, requests=sim.requests_of_token(token), wall=wall)
    except Exception as exc:  # pylint: disable=broad-except
        results.error(key, exc)


def lane_waits(ansible, sim, mode, results, warm=False, delay=0.0, path='controller'):
    """All wait cases (LONG_CASES) of one simulator, concurrently; ``warm`` runs each template once first."""
    time.sleep(delay)
    for case in LONG_CASES:
        if case.parallel:
            sim.set_template(case.template, allow_parallel_tasks=True)

    def run_case(case):
        if warm:
            sim.wait_finished(sim.launch(case.template), DURATIONS[case.template] + 60)
        key = (mode, case.template, path)
        if not case.parallel:  # one at a time: the template does not run in parallel
            for dummy in range(1 if mode == 'never' else case.runs):
                wait_run(ansible, sim, case.template, key, results, path=path)
            return
        inner = [threading.Thread(target=wait_run, args=(ansible, sim, case.template, key, results, case.stagger * i,
                                                         path)) for i in range(case.runs)]
        for thread in inner:
            thread.start()
        for thread in inner:
            thread.join()

    threads = [threading.Thread(target=run_case, args=(case,)) for case in LONG_CASES]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def lane_quick(ansible, sim, results):
    """Sequential, alone on its simulator: counts are the request log's window of each run."""
    # Short launches and room for them all: the big-output task must not queue behind them.
    sim.set_template(PARALLEL, duration=0.5, output_lines=10)
    sim.control('POST', '/_sim/config', {'max_parallel_tasks': 100})
    # 1. launch only
    for by in ('id', 'name'):
        for auth in ('token', 'password'):
            key = ('launch', by, auth)
            for dummy in range(QUICK_RUNS):
                args = {'url': sim.url, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[PARALLEL] if by == 'id' else PARALLEL,
                        'wait': False}
                if auth == 'token':
                    args['api_token'] = sim.token
                else:
                    args.update(username=ADMIN[0], password=ADMIN[1])
                try:
                    seq = sim.last_seq()
                    wall = ansible.adhoc('semaphore.api.semaphore_task', args, 120)[0]
                    results.add(key, wall=wall, requests=sim.requests_since(seq))
                except Exception as exc:  # pylint: disable=broad-except
                    results.error(key, exc)
    for dummy in range(QUICK_RUNS):
        args = {'url': sim.url, 'api_token': sim.token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[PARALLEL], 'wait': False}
        try:
            seq = sim.last_seq()
            wall = ansible.adhoc('semaphore.api.semaphore_task', args, 120, path='module')[0]
            results.add(('launch', 'id', 'token', 'module'), wall=wall, requests=sim.requests_since(seq))
        except Exception as exc:  # pylint: disable=broad-except
            results.error('launch on the module path', exc)
        # The floor of any ad hoc command: one that runs no module at all.
        try:
            results.add(('debug',), wall=ansible.adhoc('ansible.builtin.debug', {'msg': 'x'}, 60)[0])
        except Exception as exc:  # pylint: disable=broad-except
            results.error('debug', exc)
    for dummy in range(QUICK_RUNS):
        seq = sim.last_seq()
        try:
            wall = run([VPY, os.path.join(ROOT, 'bench', 'baseline.py'), sim.url, sim.token, 'launch', str(TEMPLATE_IDS[PARALLEL])], 60)[0]
            results.add(('base', 'launch'), wall=wall, requests=sim.requests_since(seq))
        except Exception as exc:  # pylint: disable=broad-except
            results.error('baseline launch', exc)
        # The floor of a module run: one ansible.builtin.uri call making the same launch.
        try:
            seq = sim.last_seq()
            wall = ansible.adhoc('ansible.builtin.uri', uri_launch(sim.url, sim.token), 120)[0]
            results.add(('uri', 'launch'), wall=wall, requests=sim.requests_since(seq))
        except Exception as exc:  # pylint: disable=broad-except
            results.error('uri launch', exc)

    # 3. a loop of launches, and the same loop with ansible.builtin.uri, and the baseline
    loop = '{{ range(%d) | list }}' % LOOP_SIZE
    for dummy in range(LOOP_RUNS):
        module_args = {'url': sim.url, 'api_token': sim.token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[PARALLEL], 'wait': False}
        for key, task, path in ((('loop', 'controller'), {'semaphore.api.semaphore_task': module_args, 'loop': loop}, 'controller'),
                                (('loop', 'module'), {'semaphore.api.semaphore_task': module_args, 'loop': loop}, 'module'),
                                (('loop', 'uri'), {'ansible.builtin.uri': uri_launch(sim.url, sim.token), 'loop': loop}, 'module')):
            try:
                seq = sim.last_seq()
                wall, events = ansible.playbook([task], {}, 600, path=path)
                items = sorted(e['t'] for e in events if e['event'] == 'item_ok')
                per_item = (items[-1] - items[0]) / (len(items) - 1) if len(items) > 1 else None
                results.add(key, wall=wall, requests=sim.requests_since(seq), per_item=per_item)
            except Exception as exc:  # pylint: disable=broad-except
                results.error(key, exc)
        try:
            seq = sim.last_seq()
            wall = run([VPY, os.path.join(ROOT, 'bench', 'baseline.py'), sim.url, sim.token, 'launch', str(TEMPLATE_IDS[PARALLEL]),
                        str(LOOP_SIZE)], 120)[0]
            results.add(('loop', 'base'), wall=wall, requests=sim.requests_since(seq))
        except Exception as exc:  # pylint: disable=broad-except
            results.error('baseline loop', exc)

    # 4. 100 000 output lines
    big = sim.launch(BIG)
    sim.wait_finished(big, 120)
    time.sleep(1.0)  # the last batch lands ~0.5 s after the end
    for lines in BIG_OUTPUT_LINES:
        for dummy in range(BIG_RUNS):
            args = {'url': sim.url, 'api_token': sim.token, 'project': PROJECT_ID, 'task_id': big}
            if lines != DEFAULT_OUTPUT_LINES:
                args['output_lines'] = lines
            try:
                seq = sim.last_seq()
                wall, rss, result = ansible.direct('semaphore_task_info', args, 120)
                results.add(('big', 'info', lines), wall=wall, rss=rss, requests=sim.requests_since(seq), kept=result['kept'])
            except Exception as exc:  # pylint: disable=broad-except
                results.error(('big', lines), exc)
            try:
                seq = sim.last_seq()
                data = measure([VPY, os.path.join(ROOT, 'bench', 'baseline.py'), sim.url, sim.token, 'output', str(big), str(lines)], 120)
                results.add(('big', 'base', lines), wall=data['wall'], rss=data['rss_mib'], requests=sim.requests_since(seq),
                            kept=json.loads(data['out'])['kept'])
            except Exception as exc:  # pylint: disable=broad-except
                results.error(('big base', lines), exc)
        # Launch and wait on the big task itself (websocket on: 100 000 pushed lines to keep up with),
        # as a module process, and on the controller (the whole ansible command measured).
        for dummy in range(BIG_TASK_RUNS):
            args = {'url': sim.url, 'api_token': sim.token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[BIG], 'output_lines': lines}
            try:
                seq = sim.last_seq()
                wall, rss, result = ansible.direct('semaphore_task', args, 180)
                task = sim.task_state(result['task_id'])
                results.add(('big', 'task', lines), wall=wall, rss=rss, requests=sim.requests_since(seq), kept=result['kept'],
                            lag=result['end'] - parse_stamp(task['end']))
            except Exception as exc:  # pylint: disable=broad-except
                results.error(('big task', lines), exc)
            try:
                seq = sim.last_seq()
                wall, events, rss = ansible.adhoc('semaphore.api.semaphore_task', args, 180, measured=True)
                result = events[-1]['result']
                task = sim.task_state(result['task_id'])
                results.add(('big', 'task', lines, 'controller'), wall=wall, rss=rss, requests=sim.requests_since(seq),
                            kept=result['output'], lag=events[-1]['t'] - parse_stamp(task['end']))
            except Exception as exc:  # pylint: disable=broad-except
                results.error(('big task on the controller', lines), exc)


def live_delays(ansible, sim, socket, results):
    """Live output: when each line of a 30 s task shows on the console, against its time on the server."""
    key = ('live', socket)
    token = sim.new_token()
    args = {'url': sim.url, 'api_token': token, 'project': PROJECT_ID, 'template': TEMPLATE_IDS[LIVE], 'live_output': True,
            'use_websocket': socket}
    events = ansible._events_file()  # pylint: disable=protected-access
    cmd = [ansible.bin('ansible'), 'localhost', '-i', 'localhost,', '-c', 'local',
           '-e', 'ansible_python_interpreter=' + ansible.python, '-m', 'semaphore.api.semaphore_task', '-a', json.dumps(args)]
    env = dict(ansible.env(events), PYTHONUNBUFFERED='1')
    proc = _spawn(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT, bufsize=1)
    shown = []
    try:
        for line in proc.stdout:
            if line.startswith('[semaphore task '):
                shown.append(time.time())
        proc.wait(timeout=DURATIONS[LIVE] + 120)
        result = Ansible._read(events, proc.returncode, '', '')[-1]['result']  # pylint: disable=protected-access
        rows = sim.http.get('{0}/api/project/{1}/tasks/{2}/output'.format(sim.url, PROJECT_ID, result['task_id']), timeout=10,
                            headers={'Authorization': 'Bearer ' + sim.token}).json()
        delays = [at - parse_stamp(row['time']) for at, row in zip(shown, rows)]
        results.add(key, lines=len(shown), stored=len(rows), median=statistics.median(delays), max=max(delays),
                    requests=sim.requests_of_token(token))
    except Exception as exc:  # pylint: disable=broad-except
        results.error(key, exc)
    finally:
        with _PROCS_LOCK:
            if proc in _PROCS:
                _PROCS.remove(proc)


def uri_launch(url, token):
    return {'url': '{0}/api/project/{1}/tasks'.format(url, PROJECT_ID), 'method': 'POST', 'body_format': 'json',
            'body': {'template_id': TEMPLATE_IDS[PARALLEL]}, 'headers': {'Authorization': 'Bearer ' + token}, 'status_code': [201]}
