"""Prepare any running Semaphore for the integration tests, and point them at it.

Given the URL and an admin's credentials, this creates (or reuses, by name) through the REST API
what the simulator's seed (tests/simulator/seed.yml) describes for the project (Demo): the
project, its repository (holding the playbooks of tests/integration/seed_playbooks/), inventories
(their hosts on a local connection), environment and the task templates the integration tests,
the demo and the benchmark use, plus a "None" access key; the seed's `real_server` section says
which playbook each template runs there. Then it writes tests/integration/integration_config.yml
so that `make integration` runs against that server. It configures a server; it never builds or
starts one, and creates no users.

The server must be able to clone the repository: by default this command makes a local git
repository of the seed playbooks (--repo-dir) and registers it as a file:// URL, which works when
Semaphore runs on this machine. For a remote server, push those playbooks somewhere it can reach
and pass --git-url.

    .venv/bin/python hack/seed-semaphore.py --url http://127.0.0.1:3000 --username admin --password '...'
    make integration
"""

import argparse
import os
import shutil
import subprocess
import sys

import requests
import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(REPO_ROOT, 'tests', 'integration', 'seed_playbooks')
CONFIG = os.path.join(REPO_ROOT, 'tests', 'integration', 'integration_config.yml')

SEED = os.path.join(REPO_ROOT, 'tests', 'simulator', 'seed.yml')
# The template fields of the seed that a real server gets as they are.
TEMPLATE_FIELDS = ('app', 'description', 'allow_override_args_in_task', 'allow_override_branch_in_task',
                   'allow_parallel_tasks', 'task_params')


def seed_project(path, name):
    """The seed's project ``name`` and its ``real_server`` section."""
    with open(path, encoding='utf-8') as handle:
        seed = yaml.safe_load(handle)
    for project in seed.get('projects', []):
        if project['name'] == name:
            return project, seed.get('real_server') or {}
    sys.exit('{0}: no project {1!r}'.format(path, name))


def local_hosts(inventory, host_vars):
    """A seed inventory with ``host_vars`` after every host (the groups' lines stay as they are)."""
    return ''.join(line + host_vars + '\n' if line.strip() and not line.startswith('[') else line + '\n'
                   for line in inventory.splitlines())


def template_bodies(project, real):
    """(name, body) of each template to create: the seed's, with the playbook it runs on a real server
    (``real_server.playbooks``), then those of ``real_server.templates``. Ids are the seed's: the
    caller maps inventory_id, repository_id and environment_id to the server's."""
    first = {kind: project[kind][0]['id'] for kind in ('inventories', 'repositories', 'environments')}
    playbooks = real.get('playbooks') or {}
    chosen = [dict(template, playbook=playbooks[template['name']]) for template in project.get('templates') or []
              if template['name'] in playbooks]
    chosen += real.get('templates') or []
    for template in chosen:
        body = {'app': 'ansible', 'type': '', 'playbook': template['playbook'],
                'inventory_id': template.get('inventory_id', first['inventories']),
                'repository_id': template.get('repository_id', first['repositories']),
                'environment_id': template.get('environment_id', first['environments'])}
        body.update((key, template[key]) for key in TEMPLATE_FIELDS if key in template)
        yield template['name'], body


class Seeder:
    def __init__(self, url, username, password, verify=True):
        self.api = url.rstrip('/')
        if not self.api.endswith('/api'):
            self.api += '/api'
        self.session = requests.Session()
        self.verify = verify
        response = self.session.post(self.api + '/auth/login', json={'auth': username, 'password': password},
                                     verify=verify, timeout=30)
        if response.status_code not in (200, 204):
            sys.exit('login as {0} failed: HTTP {1}'.format(username, response.status_code))

    def call(self, method, path, body=None, expected=(200, 201, 204)):
        response = self.session.request(method, self.api + path, json=body, verify=self.verify, timeout=30)
        if response.status_code not in expected:
            sys.exit('{0} {1} failed: HTTP {2} {3}'.format(method, path, response.status_code, response.text[:300]))
        return response.json() if response.content else None

    def ensure(self, path, name, body):
        """The object of that name under ``path``, created when missing."""
        for item in self.call('GET', path) or []:
            if item.get('name') == name:
                print('  reuse {0} {1!r} (id {2})'.format(path.rsplit('/', 1)[-1], name, item['id']))
                return item
        created = self.call('POST', path, dict(body, name=name))
        if created is None:  # a few create routes answer 204 without a body
            created = next(item for item in self.call('GET', path) if item.get('name') == name)
        print('  create {0} {1!r} (id {2})'.format(path.rsplit('/', 1)[-1], name, created['id']))
        return created

    def version(self):
        return (self.call('GET', '/info') or {}).get('version', '')


def make_local_repo(repo_dir):
    """A git repository holding the seed playbooks, for a Semaphore on this machine."""
    if os.path.exists(repo_dir):
        shutil.rmtree(repo_dir)
    shutil.copytree(PLAYBOOKS, repo_dir)
    git = ['git', '-C', repo_dir, '-c', 'user.name=semaphore.api seed', '-c', 'user.email=seed@localhost']
    subprocess.run(git[:3] + ['init', '-q', '-b', 'main'], check=True)
    subprocess.run(git + ['add', '-A'], check=True)
    subprocess.run(git + ['commit', '-q', '-m', 'seed playbooks'], check=True)
    return 'file://' + os.path.abspath(repo_dir)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--url', default=os.environ.get('SEMAPHORE_URL'), required='SEMAPHORE_URL' not in os.environ)
    parser.add_argument('--username', default=os.environ.get('SEMAPHORE_USERNAME', 'admin'))
    parser.add_argument('--password', default=os.environ.get('SEMAPHORE_PASSWORD'),
                        required='SEMAPHORE_PASSWORD' not in os.environ)
    parser.add_argument('--project', default='Demo', help='the project of the seed to create (default %(default)s)')
    parser.add_argument('--seed', default=SEED, help='the seed to read (default %(default)s)')
    parser.add_argument('--git-url', help='a repository holding tests/integration/seed_playbooks (default: a local one)')
    parser.add_argument('--repo-dir', default=os.path.join(REPO_ROOT, 'build', 'seed-repo'),
                        help='where to make the local repository (default build/seed-repo)')
    parser.add_argument('--python', help='ansible_python_interpreter for the inventory hosts')
    parser.add_argument('--no-verify', action='store_true', help='do not check the TLS certificate')
    parser.add_argument('--config', default=CONFIG, help='integration config to write (default %(default)s)')
    args = parser.parse_args()

    seeder = Seeder(args.url, args.username, args.password, verify=not args.no_verify)
    print('Semaphore {0} at {1}'.format(seeder.version(), seeder.api))
    git_url = args.git_url or make_local_repo(args.repo_dir)

    spec, real = seed_project(args.seed, args.project)
    project = seeder.ensure('/projects', args.project, {'alert': bool(spec.get('alert', False)),
                                                        'max_parallel_tasks': spec.get('max_parallel_tasks', 0)})
    base = '/project/{0}'.format(project['id'])
    scope = {'project_id': project['id']}
    key = seeder.ensure(base + '/keys', 'None', dict(scope, type='none'))
    host_vars = ' ansible_connection=local'
    if args.python:
        host_vars += ' ansible_python_interpreter=' + args.python
    ids = {'repository_id': {}, 'inventory_id': {}, 'environment_id': {}}  # seed id -> server id
    for item in spec['repositories']:
        ids['repository_id'][item['id']] = seeder.ensure(base + '/repositories', item['name'], dict(
            scope, git_url=git_url, git_branch=item.get('git_branch', 'main'), ssh_key_id=key['id']))['id']
    for item in spec['inventories']:
        ids['inventory_id'][item['id']] = seeder.ensure(base + '/inventory', item['name'], dict(
            scope, type='static', ssh_key_id=key['id'], inventory=local_hosts(item['inventory'], host_vars)))['id']
    for item in spec['environments']:
        ids['environment_id'][item['id']] = seeder.ensure(base + '/environment', item['name'],
                                                          dict(scope, json=item.get('json', '{}'), env='{}'))['id']
    for name, body in template_bodies(spec, real):
        body.update((field, ids[field][body[field]]) for field in ids)
        seeder.ensure(base + '/templates', name, dict(scope, **body))

    with open(args.config, 'w') as handle:
        handle.write('''---
# Written by hack/seed-semaphore.py for {url} (Semaphore {version}); git-ignored.
semaphore_url: {url}
semaphore_username: {username}
semaphore_password: "{password}"
semaphore_project: {project}
semaphore_template_success: Deploy app
semaphore_template_failure: Failing job
semaphore_template_slow: Slow job
semaphore_template_locked: Locked job
semaphore_validate_certs: {verify}
semaphore_simulator: false
'''.format(url=args.url.rstrip('/'), version=seeder.version(), username=args.username,
           password=args.password.replace('\\', '\\\\').replace('"', '\\"'), project=args.project,
           verify='false' if args.no_verify else 'true'))
    print('wrote {0}; run: make integration'.format(os.path.relpath(args.config)))


if __name__ == '__main__':
    main()
