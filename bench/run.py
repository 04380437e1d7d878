# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""`make bench`: what the modules cost against the simulator, as one table (see README "Performance").

Not a timed test: it measures and prints; the budget column only says whether a figure is inside.

- Modules run the way users run them: `ansible` (ad hoc) or `ansible-playbook`, with the collection
  from this checkout. A small callback (bench/callback_plugins) stamps the wall-clock time at which
  each result reaches the controller.
- Lag = that time minus the task's `end` as the simulator recorded it (microseconds, /_sim/state).
- Requests come from the simulator's request log (/_sim/log), websocket upgrade included: per run,
  the entries of a token minted for that run alone, or (sequential cases) the entries of the run's
  time window.
- Peak memory: the module run directly (`python -m ...` with an arguments file) in a child of a
  small wrapper that reports RUSAGE_CHILDREN max RSS.
- The long cases run concurrently (one simulator each for: websocket, no websocket and never ran,
  no websocket and ran before), on templates switched to allow_parallel_tasks; the quick cases run
  afterwards, alone, on a fourth simulator.

BENCH_QUICK=1: a smoke run of a minute or so (fewer runs, no 30 s/120 s tasks, a loop of 10).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VPY = os.path.join(ROOT, '.venv', 'bin', 'python')
QUICK = os.environ.get('BENCH_QUICK', '') not in ('', '0')
ADMIN = ('admin', 'Adm1n-Secret!')

TPL_PARALLEL, TPL_BIG, TPL_2S, TPL_30S, TPL_120S = 5, 7, 10, 11, 12
DURATION = {TPL_2S: 2, TPL_30S: 30, TPL_120S: 120}
LONG_RUNS = {TPL_2S: 2 if QUICK else 5, TPL_30S: 5, TPL_120S: 3}
LONG_CASES = (TPL_2S,) if QUICK else (TPL_2S, TPL_30S, TPL_120S)
STAGGER = {TPL_2S: 0.0, TPL_30S: 3.0, TPL_120S: 4.0}
# Where the module's code runs: in Ansible's controller process (the action plugin, on a local
# connection) or in a module process (as on a remote host).
PATHS = ('controller', 'module')
QUICK_RUNS = 2 if QUICK else 5
LOOP_SIZE = 10 if QUICK else 50
LOOP_RUNS = 1 if QUICK else 2
BIG_RUNS = 1 if QUICK else 3

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

class Sim:
    def __init__(self, name, workdir, websocket=True):
        self.name = name
        port_file = os.path.join(workdir, 'sim-{0}.url'.format(name))
        if os.path.exists(port_file):
            os.remove(port_file)  # a previous run's: its port is closed now
        cmd = [VPY, '-m', 'semaphore_sim', '--host', '127.0.0.1', '--port', '0', '--profile', '2.16',
               '--seed', os.path.join(ROOT, 'tests', 'simulator', 'seed.yml'), '--port-file', port_file]
        if not websocket:
            cmd.append('--no-websocket')
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, 'tests', 'simulator'))
        self.log_handle = open(os.path.join(workdir, 'sim-{0}.log'.format(name)), 'w')
        self.proc = _spawn(cmd, stdout=self.log_handle, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
        deadline = time.monotonic() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('simulator {0} did not start (see {1})'.format(name, self.log_handle.name))
            time.sleep(0.05)
        with open(port_file) as handle:
            self.url = handle.read().strip()
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only, never through a proxy
        self.http.post(self.url + '/api/auth/login', json={'auth': ADMIN[0], 'password': ADMIN[1]}, timeout=10).raise_for_status()
        self.token = self.new_token()  # the bench's own requests use this one (excluded from counts)

    def new_token(self):
        response = self.http.post(self.url + '/api/user/tokens', timeout=10)
        response.raise_for_status()
        return response.json()['id']

    def control(self, method, path, body=None):
        response = self.http.request(method, self.url + path, json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def log(self):
        return self.control('GET', '/_sim/log')['entries']

    def last_seq(self):
        entries = self.log()
        return entries[-1]['seq'] if entries else 0

    def requests_of_token(self, token):
        return len([e for e in self.log() if e.get('token_prefix') == token[:8]])

    def requests_since(self, seq):
        return len([e for e in self.log() if e['seq'] > seq])

    def task_state(self, task_id):
        for task in self.control('GET', '/_sim/state')['tasks']:
            if task['id'] == task_id:
                return task
        return None

    def launch(self, template_id):
        response = self.http.post(self.url + '/api/project/1/tasks', json={'template_id': template_id},
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

    def stop(self):
        _kill(self.proc)
        self.log_handle.close()


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


def wait_run(ansible, sim, template_id, key, results, offset=0.0, path='controller'):
    """One launch-and-wait by id with a token of its own; lag and requests from the simulator."""
    time.sleep(offset)
    token = sim.new_token()
    args = {'url': sim.url, 'api_token': token, 'project': 1, 'template': template_id, 'wait': True}
    try:
        wall, events = ansible.adhoc('semaphore.api.semaphore_task', args, DURATION[template_id] * 2 + 120, path=path)
        result = events[-1]
        task = sim.wait_finished(result['result']['task_id'], 5)
        lag = result['t'] - parse_stamp(task['end'])
        results.add(key, lag=lag, requests=sim.requests_of_token(token), wall=wall)
    except Exception as exc:  # pylint: disable=broad-except
        results.error(key, exc)


def lane_waits(ansible, sim, mode, results, warm=False, delay=0.0, path='controller'):
    """All wait cases of one simulator, concurrently; ``warm`` runs each template once first."""
    time.sleep(delay)
    for template_id in (TPL_30S, TPL_120S):
        sim.control('POST', '/_sim/templates/{0}'.format(template_id), {'allow_parallel_tasks': True})
    threads = []

    def case(template_id):
        if warm:
            sim.wait_finished(sim.launch(template_id), DURATION[template_id] + 60)
        runs = 1 if (mode == 'never' and template_id == TPL_2S) else LONG_RUNS[template_id]
        key = (mode, template_id, path)
        if template_id == TPL_2S:  # one at a time: the template does not run in parallel
            for dummy in range(runs):
                wait_run(ansible, sim, template_id, key, results, path=path)
            return
        inner = [threading.Thread(target=wait_run, args=(ansible, sim, template_id, key, results, STAGGER[template_id] * i,
                                                         path)) for i in range(runs)]
        for thread in inner:
            thread.start()
        for thread in inner:
            thread.join()

    for template_id in LONG_CASES:
        threads.append(threading.Thread(target=case, args=(template_id,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def lane_quick(ansible, sim, results):
    """Sequential, alone on its simulator: counts are the request log's window of each run."""
    # Short launches and room for them all: the big-output task must not queue behind them.
    sim.control('POST', '/_sim/templates/{0}'.format(TPL_PARALLEL), {'duration': 0.5, 'output_lines': 10})
    sim.control('POST', '/_sim/config', {'max_parallel_tasks': 100})
    # 1. launch only
    for by in ('id', 'name'):
        for auth in ('token', 'password'):
            key = ('launch', by, auth)
            for dummy in range(QUICK_RUNS):
                args = {'url': sim.url, 'project': 1, 'template': TPL_PARALLEL if by == 'id' else 'Parallel job', 'wait': False}
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
        args = {'url': sim.url, 'api_token': sim.token, 'project': 1, 'template': TPL_PARALLEL, 'wait': False}
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
            wall = run([VPY, os.path.join(ROOT, 'bench', 'baseline.py'), sim.url, sim.token, 'launch', str(TPL_PARALLEL)], 60)[0]
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
        module_args = {'url': sim.url, 'api_token': sim.token, 'project': 1, 'template': TPL_PARALLEL, 'wait': False}
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
            wall = run([VPY, os.path.join(ROOT, 'bench', 'baseline.py'), sim.url, sim.token, 'launch', str(TPL_PARALLEL),
                        str(LOOP_SIZE)], 120)[0]
            results.add(('loop', 'base'), wall=wall, requests=sim.requests_since(seq))
        except Exception as exc:  # pylint: disable=broad-except
            results.error('baseline loop', exc)

    # 4. 100 000 output lines
    big = sim.launch(TPL_BIG)
    sim.wait_finished(big, 120)
    time.sleep(1.0)  # the last batch lands ~0.5 s after the end
    for lines in (200, -1):
        for dummy in range(BIG_RUNS):
            args = {'url': sim.url, 'api_token': sim.token, 'project': 1, 'task_id': big}
            if lines != 200:
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
        for dummy in range(1 if QUICK else 2):
            args = {'url': sim.url, 'api_token': sim.token, 'project': 1, 'template': TPL_BIG, 'output_lines': lines}
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
    args = {'url': sim.url, 'api_token': token, 'project': 1, 'template': TPL_30S, 'live_output': True,
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
        proc.wait(timeout=DURATION[TPL_30S] + 120)
        result = Ansible._read(events, proc.returncode, '', '')[-1]['result']  # pylint: disable=protected-access
        rows = sim.http.get('{0}/api/project/1/tasks/{1}/output'.format(sim.url, result['task_id']), timeout=10,
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
    return {'url': url + '/api/project/1/tasks', 'method': 'POST', 'body_format': 'json', 'body': {'template_id': TPL_PARALLEL},
            'headers': {'Authorization': 'Bearer ' + token}, 'status_code': [201]}


# -- the table --------------------------------------------------------------------------------------------

def med(rows, field):
    values = [row[field] for row in rows if row.get(field) is not None]
    return statistics.median(values) if values else None


def fmt(value, unit='', digits=2):
    if value is None:
        return '-'
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer() and unit == ''):
        return '{0}{1}'.format(int(value), unit)
    return '{0:.{1}f}{2}'.format(value, digits, unit)


def requests_cell(rows):
    values = [row['requests'] for row in rows if row.get('requests') is not None]
    if not values:
        return '-'
    low, high, middle = min(values), max(values), statistics.median(values)
    return fmt(middle) if low == high else '{0} ({1}-{2})'.format(fmt(middle), low, high)


def verdict(ok):
    return 'n/a' if ok is None else ('met' if ok else 'MISSED')


def build_table(results):
    lines = []
    head = '| Case | Runs | Requests: median (range) | Median figure | Baseline / floor | Ratio | Budget | |'
    lines.append(head)
    lines.append('|' + '---|' * 8)

    def row(case, rows, figure, base='-', ratio='-', budget='-', ok=None):
        lines.append('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} |'.format(
            case, len(rows), requests_cell(rows), figure, base, ratio, budget, verdict(ok) if budget != '-' else ''))

    base_launch = med(results.of(('base', 'launch')), 'wall')
    uri_single = med(results.of(('uri', 'launch')), 'wall')
    for by in ('id', 'name'):
        for auth in ('token', 'password'):
            rows = results.of(('launch', by, auth))
            wall = med(rows, 'wall')
            budget, ok = '-', None
            if by == 'id' and auth == 'token':
                budget = '1 request (the launch)'
                ok = bool(rows) and max(r['requests'] for r in rows) == 1
            row('Launch only (wait: false), by {0}, {1}'.format(by, auth), rows, 'time {0}'.format(fmt(wall, ' s')),
                'requests script {0}'.format(fmt(base_launch, ' s')), fmt(wall / base_launch if wall and base_launch else None, 'x'),
                budget, ok)
    row('ansible.builtin.uri, same launch (floor)', results.of(('uri', 'launch')), 'time {0}'.format(fmt(uri_single, ' s')),
        'requests script {0}'.format(fmt(base_launch, ' s')),
        fmt(uri_single / base_launch if uri_single and base_launch else None, 'x'))
    module_path = results.of(('launch', 'id', 'token', 'module'))
    module_single = med(module_path, 'wall')
    row('Launch only (wait: false), by id, token, module path', module_path, 'time {0}'.format(fmt(module_single, ' s')),
        'requests script {0}'.format(fmt(base_launch, ' s')),
        fmt(module_single / base_launch if module_single and base_launch else None, 'x'), '1 request (the launch)',
        bool(module_path) and max(r['requests'] for r in module_path) == 1)
    row('Module path vs one uri call (ad hoc, whole command)', module_path,
        'time {0}'.format(fmt(module_single, ' s')), 'uri {0}'.format(fmt(uri_single, ' s')),
        fmt(module_single / uri_single if module_single and uri_single else None, 'x'), '<= 1.5x uri',
        None if not (module_single and uri_single) else module_single <= 1.5 * uri_single)
    controller_single = med(results.of(('launch', 'id', 'token')), 'wall')
    debug_single = med(results.of(('debug',)), 'wall')
    row('Controller path vs ad hoc ansible.builtin.debug (the floor of any command)', results.of(('launch', 'id', 'token')),
        'time {0}'.format(fmt(controller_single, ' s')), 'debug {0}'.format(fmt(debug_single, ' s')),
        fmt(controller_single / debug_single if controller_single and debug_single else None, 'x'), '<= 1.2x debug',
        None if not (controller_single and debug_single) else controller_single <= 1.2 * debug_single)

    names = {TPL_2S: '2 s', TPL_30S: '30 s', TPL_120S: '120 s'}
    modes = (('socket', 'websocket'), ('ran', 'no websocket, template ran before'), ('never', 'no websocket, never ran'))
    budgets = {('socket', TPL_30S): (6, 0.3), ('ran', TPL_30S): (8, 1.0), ('never', TPL_30S): (15, 2.0),
               ('socket', TPL_120S): (8, None), ('ran', TPL_120S): (12, None)}
    for template_id in LONG_CASES:
        for mode, label in modes:
            for path in PATHS:
                rows = results.of((mode, template_id, path))
                if not rows:
                    continue
                lag = med(rows, 'lag')
                budget, ok = '-', None
                if (mode, template_id) in budgets:
                    most, max_lag = budgets[(mode, template_id)]
                    budget = '<= {0} requests'.format(most) + (', lag <= {0} s'.format(max_lag) if max_lag else '')
                    ok = max(r['requests'] for r in rows) <= most and (max_lag is None or (lag is not None and lag <= max_lag))
                lags = [r['lag'] for r in rows]
                row('Launch + wait {0} task, token, {1}, {2} path'.format(names[template_id], label, path), rows,
                    'lag {0} (max {1})'.format(fmt(lag, ' s'), fmt(max(lags), ' s')), budget=budget, ok=ok)
    peer = 'peer `until` loop, 30 s task: 9 req / 1.7 s lag (5 s delay), 17 req / 2.0 s lag (2 s delay)'
    if TPL_30S in LONG_CASES:
        lines.append('| ({0}) | | | | | | | |'.format(peer))

    controller_loop, module_loop, uri_loop, base_loop = (results.of(('loop', k)) for k in ('controller', 'module', 'uri', 'base'))
    cw, mw, uw, bw = (med(rows, 'wall') for rows in (controller_loop, module_loop, uri_loop, base_loop))
    ci, mi, ui = (med(rows, 'per_item') for rows in (controller_loop, module_loop, uri_loop))
    row('{0} launches in a playbook loop (semaphore_task, controller path)'.format(LOOP_SIZE), controller_loop,
        'total {0}, {1}/item'.format(fmt(cw, ' s'), fmt(ci, ' s', 3)), 'uri {0}/item'.format(fmt(ui, ' s', 3)),
        fmt(ui / ci if ci and ui else None, 'x faster'), '>= 5x faster per item than uri',
        None if not (ci and ui) else ui >= 5 * ci)
    row('{0} launches in a playbook loop (semaphore_task, module path)'.format(LOOP_SIZE), module_loop,
        'total {0}, {1}/item'.format(fmt(mw, ' s'), fmt(mi, ' s', 3)), 'requests script {0}'.format(fmt(bw, ' s')),
        fmt(mw / bw if mw and bw else None, 'x'))
    row('{0} launches in a playbook loop (ansible.builtin.uri, floor)'.format(LOOP_SIZE), uri_loop,
        'total {0}, {1}/item'.format(fmt(uw, ' s'), fmt(ui, ' s', 3)), 'requests script {0}'.format(fmt(bw, ' s')),
        fmt(uw / bw if uw and bw else None, 'x'))
    row('Module path vs one uri call (per loop item)', module_loop, '{0}/item'.format(fmt(mi, ' s', 3)),
        'uri {0}/item'.format(fmt(ui, ' s', 3)), fmt(mi / ui if mi and ui else None, 'x'), '<= 1.5x uri',
        None if not (mi and ui) else mi <= 1.5 * ui)

    for lines_wanted in (200, -1):
        label = 'default output_lines (200)' if lines_wanted == 200 else 'output_lines: -1 (all)'
        rows = results.of(('big', 'info', lines_wanted))
        base = results.of(('big', 'base', lines_wanted))
        wall, rss, bwall = med(rows, 'wall'), med(rows, 'rss'), med(base, 'wall')
        want = 200 if lines_wanted == 200 else 100000
        kept_ok = bool(rows) and all(abs(r['kept'] - want) <= (0 if lines_wanted == 200 else 50) for r in rows)
        row('100 000 lines, semaphore_task_info, {0}: kept {1}'.format(label, fmt(med(rows, 'kept'))), rows,
            'time {0}, peak {1}'.format(fmt(wall, ' s'), fmt(rss, ' MB', 0)),
            'requests script {0}, peak {1}'.format(fmt(bwall, ' s'), fmt(med(base, 'rss'), ' MB', 0)),
            fmt(wall / bwall if wall and bwall else None, 'x'), '< 3 s, < 300 MB, only the lines asked for',
            None if wall is None else (wall < 3 and rss < 300 and kept_ok))
        big_cases = ((('big', 'task', lines_wanted), 'module path'),
                     (('big', 'task', lines_wanted, 'controller'), 'controller path, whole ansible command'))
        for key, path in big_cases:
            rows = results.of(key)
            if rows:
                lag, rss = med(rows, 'lag'), med(rows, 'rss')
                ok = all(r['kept'] == want or (lines_wanted < 0 and abs(r['kept'] - want) <= 50) for r in rows)
                row('100 000 lines, semaphore_task launch + wait (websocket), {0}, {1}: kept {2}'.format(
                    label, path, fmt(med(rows, 'kept'))), rows,
                    'after end {0}, peak {1}'.format(fmt(lag, ' s'), fmt(rss, ' MB', 0)), budget='< 3 s after end, < 300 MB',
                    ok=lag < 3 and rss < 300 and ok)
    for socket in (True, False):
        rows = results.of(('live', socket))
        if rows:
            first = rows[0]
            row('Live output of a 30 s task, {0}: {1} of {2} lines shown'.format(
                'websocket' if socket else 'no websocket (read at the poll times)', first['lines'], first['stored']), rows,
                'delay median {0}, max {1}'.format(fmt(first['median'], ' s'), fmt(first['max'], ' s')),
                budget='median <= 1 s' if socket else '-', ok=first['median'] <= 1.0 if socket else None)
    return lines


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
        for socket in (True, False):
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
    print('semaphore.api bench, {0}, {1}, {2} CPUs, Python {3}, simulator profile 2.16{4}'.format(
        time.strftime('%Y-%m-%d'), platform.platform(), os.cpu_count(), platform.python_version(), ', BENCH_QUICK' if QUICK else ''))
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
