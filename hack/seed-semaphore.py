"""Prepare any running Semaphore for the integration tests, and point them at it.

Given the URL and an admin's credentials, this creates (or reuses, by name) through the REST API:
a project, a "None" access key, a repository holding the playbooks of
tests/integration/seed_playbooks/, an inventory, an environment and the task templates the
integration tests, the demo and the benchmark use; then writes
tests/integration/integration_config.yml so that `make integration` runs against that server.
It configures a server; it never builds or starts one.

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

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLAYBOOKS = os.path.join(REPO_ROOT, 'tests', 'integration', 'seed_playbooks')
CONFIG = os.path.join(REPO_ROOT, 'tests', 'integration', 'integration_config.yml')

ALL_OVERRIDES = {
    'allow_debug': True,
    'allow_override_limit': True,
    'allow_override_tags': True,
    'allow_override_skip_tags': True,
    'allow_override_inventory': True,
}

# name -> template fields beyond the common ones. Names match the simulator's seed (tests/simulator/seed.yml).
TEMPLATES = {
    'Deploy app': {'playbook': 'deploy.yml', 'allow_override_args_in_task': True,
                   'allow_override_branch_in_task': True, 'task_params': ALL_OVERRIDES},
    'Failing job': {'playbook': 'fail.yml'},
    'Slow job': {'playbook': 'slow.yml'},
    # No override flag at all: the override checks are tested against it.
    'Locked job': {'playbook': 'deploy.yml'},
    'Parallel job': {'playbook': 'slow.yml', 'allow_parallel_tasks': True},
    'Big output': {'playbook': 'big.yml'},
    'Show environment': {'playbook': 'envshow.yml', 'allow_override_args_in_task': True},
    'Bench 2s': {'playbook': 'deploy.yml'},
    'Bench 30s': {'playbook': 'slow.yml'},
    # Plan, then waiting_confirmation until confirmed or rejected; needs a terraform binary on the server.
    'Terraform apply': {'playbook': 'tf', 'app': 'terraform'},
}


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
    parser.add_argument('--project', default='Demo')
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

    project = seeder.ensure('/projects', args.project, {'alert': False, 'max_parallel_tasks': 0})
    base = '/project/{0}'.format(project['id'])
    scope = {'project_id': project['id']}
    key = seeder.ensure(base + '/keys', 'None', dict(scope, type='none'))
    repository = seeder.ensure(base + '/repositories', 'playbooks',
                               dict(scope, git_url=git_url, git_branch='main', ssh_key_id=key['id']))
    host_vars = ' ansible_connection=local'
    if args.python:
        host_vars += ' ansible_python_interpreter=' + args.python
    inventory = seeder.ensure(base + '/inventory', 'Local', dict(
        scope, type='static', ssh_key_id=key['id'],
        inventory='[web]\nweb1{0}\nweb2{0}\n'.format(host_vars)))
    seeder.ensure(base + '/inventory', 'Staging', dict(
        scope, type='static', ssh_key_id=key['id'], inventory='[web]\nstaging1{0}\n'.format(host_vars)))
    environment = seeder.ensure(base + '/environment', 'Default',
                                dict(scope, json='{"app_version": "1.0"}', env='{}'))
    for name, fields in TEMPLATES.items():
        body = dict(scope, inventory_id=inventory['id'], repository_id=repository['id'],
                    environment_id=environment['id'], app='ansible', type='')
        body.update(fields)
        seeder.ensure(base + '/templates', name, body)

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
