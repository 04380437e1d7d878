# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The declarative engine against an in-memory server that answers as Semaphore 2.10.32 does (§13)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreLookupError,
    SemaphoreNotFoundError,
)
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCES, project_contents
from ansible_collections.semaphore.api.plugins.module_utils._resources import Field, Reconciler, Resource, ResourceCreateUncertain

PRIVATE_KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----'


class FakeServer:
    """Objects per collection path; ``created_status`` 204 (2.10 keys, repositories, environments) or 201."""

    def __init__(self, created_status=204, version=(2, 10, 32)):
        self.created_status = created_status
        self.version = version
        self.objects = {
            '/projects': [{'id': 1, 'name': 'Demo', 'alert': False, 'alert_chat': None, 'max_parallel_tasks': 0,
                           'created': '2026-12-04T10:00:00Z', 'type': ''}],
            '/project/1/keys': [{'id': 1, 'name': 'None', 'type': 'none', 'project_id': 1}],
            '/project/1/repositories': [],
            '/project/1/inventory': [],
            '/project/1/environment': [{'id': 1, 'name': 'Empty', 'project_id': 1, 'json': '{}', 'env': None,
                                        'password': None, 'secrets': []}],
            '/project/1/views': [],
            '/project/1/schedules': [],
        }
        self.writes = []
        self.secrets_sent = []
        self.next_id = 100
        self.fail_create = None

    def server_version(self):
        return self.version

    def resolve_project(self, project):
        return 1 if project in ('Demo', 1, '1') else pytest.fail('unknown project {0}'.format(project))

    def get_project(self, project_id):
        return self.objects['/projects'][0]

    def list_templates(self, project_id):
        return [{'id': 1, 'name': 'Deploy app'}]

    def _split(self, path):
        if path.startswith('/project/') and path.count('/') == 2:
            return '/projects', int(path.rsplit('/', 1)[1])
        collection, object_id = path.rsplit('/', 1)
        return collection, int(object_id)

    def _find(self, path):
        collection, object_id = self._split(path)
        for item in self.objects[collection]:
            if item['id'] == object_id:
                return collection, item
        raise SemaphoreNotFoundError('GET', path, 404)

    def list_objects(self, path):
        return [self._listed(path, item) for item in copy.deepcopy(self.objects[path])]

    def _listed(self, path, item):
        if path.endswith('/environment'):
            item['secrets'] = None  # 2.10 leaves them out of the list
        return item

    def get_object(self, path):
        if path.endswith('/refs'):
            key_id = int(path.split('/')[-2])
            return {'templates': [], 'inventories': [], 'repositories': [
                {'id': repo['id'], 'name': repo['name']} for repo in self.objects['/project/1/repositories']
                if repo['ssh_key_id'] == key_id]}
        return copy.deepcopy(self._find(path)[1])

    def create_object(self, path, body):
        self.writes.append(('POST', path, copy.deepcopy(body)))
        if self.fail_create:
            raise self.fail_create
        self.next_id += 1
        stored = self._stored(path, dict(body, id=self.next_id), None)
        self.objects[path].append(stored)
        return copy.deepcopy(stored) if self.created_status == 201 else None

    def update_object(self, path, body):
        self.writes.append(('PUT', path, copy.deepcopy(body)))
        collection, current = self._find(path)
        self.objects[collection][self.objects[collection].index(current)] = self._stored(collection, body, current)

    def delete_object(self, path):
        self.writes.append(('DELETE', path, None))
        collection, current = self._find(path)
        if collection.endswith('/keys') and any(repo['ssh_key_id'] == current['id'] for repo in self.objects['/project/1/repositories']):
            raise SemaphoreHTTPError('DELETE', path, 400, 'Access Key is in use by one or more templates')
        self.objects[collection].remove(current)

    def _stored(self, collection, body, current):
        stored = dict(body)
        if collection.endswith('/keys'):
            for field in ('ssh', 'login_password'):
                if stored.get(field):
                    self.secrets_sent.append(stored[field])
                stored[field] = {}
            if current is not None and not body.get('override_secret'):
                stored = dict(current, name=body['name'])  # §13: without override_secret, the name only
            stored.pop('override_secret', None)
        if collection.endswith('/environment'):
            stored['secrets'] = self._secrets(current, body.pop('secrets', None) or [])
        return stored

    def _secrets(self, current, operations):
        secrets = list((current or {}).get('secrets') or [])
        for operation in operations:
            if operation['operation'] == 'create':
                self.next_id += 1
                self.secrets_sent.append(operation['secret'])
                secrets.append({'id': self.next_id, 'name': operation['name'], 'type': operation['type'], 'secret': '',
                                'operation': ''})
            elif operation['operation'] == 'delete':
                secrets = [item for item in secrets if item['id'] != operation['id']]
        return secrets


def run(server, kind, check_mode=False, **params):
    params.setdefault('state', 'present')
    params.setdefault('id', None)
    params.setdefault('project', 'Demo')
    params.setdefault('update_secret', 'on_create')
    return Reconciler(server, RESOURCES[kind], params, RESOURCES, check_mode=check_mode).run()


def ssh_key(**extra):
    return dict(dict(name='deploy', type='ssh', ssh={'login': 'deploy', 'private_key': PRIVATE_KEY, 'passphrase': None}), **extra)


@pytest.mark.parametrize('created_status', [204, 201])
def test_a_key_is_created_once_then_left_alone(created_status):
    server = FakeServer(created_status)
    first = run(server, 'key', **ssh_key())
    assert first['changed'] and first['id'] == 101 and first['key']['type'] == 'ssh'
    assert first['secret_sent'] == 'secret' and server.secrets_sent == [{'login': 'deploy', 'passphrase': '', 'private_key': PRIVATE_KEY}]
    assert 'ssh' not in first['key'] and PRIVATE_KEY not in json.dumps(first)
    second = run(server, 'key', **ssh_key())
    assert not second['changed'] and [write[0] for write in server.writes] == ['POST']
    assert PRIVATE_KEY not in json.dumps(second)


def test_check_mode_sends_no_write_and_tells_what_would_happen():
    server = FakeServer()
    result = run(server, 'key', check_mode=True, **ssh_key())
    assert result['changed'] and result['id'] is None and server.writes == []
    assert PRIVATE_KEY not in json.dumps(result)


def test_a_rename_sends_the_whole_key_without_its_secret():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    renamed = ssh_key()
    renamed.update(name='deploy2', id=101)
    result = run(server, 'key', **renamed)
    method, path, body = server.writes[-1]
    assert (method, path) == ('PUT', '/project/1/keys/101') and result['changed']
    assert body['override_secret'] is False and body['project_id'] == 1 and body['id'] == 101 and 'ssh' not in body
    assert result['diff'] == {'before': {'name': 'deploy', 'type': 'ssh'}, 'after': {'name': 'deploy2', 'type': 'ssh'}}


def test_a_type_change_sends_the_new_secret_and_needs_it():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    with pytest.raises(SemaphoreError, match='login_password is needed'):
        run(server, 'key', name='deploy', type='login_password')
    result = run(server, 'key', name='deploy', type='login_password', login_password={'login': 'ci', 'password': 'pw-1'})
    body = server.writes[-1][2]
    assert body['override_secret'] is True and body['login_password'] == {'login': 'ci', 'password': 'pw-1'}
    assert result['key']['type'] == 'login_password' and 'pw-1' not in json.dumps(result)


def test_update_secret_always_sends_it_and_reports_a_change():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    result = run(server, 'key', update_secret='always', **ssh_key())
    assert result['changed'] and result['secret_sent'] == 'secret' and result['diff']['after']['secret'] == '(secret, write-only)'
    assert len(server.secrets_sent) == 2


def test_a_key_is_created_only_with_a_type_and_its_secret():
    server = FakeServer()
    with pytest.raises(SemaphoreError, match='type is needed'):
        run(server, 'key', name='k')
    with pytest.raises(SemaphoreError, match='ssh is needed'):
        run(server, 'key', name='k', type='ssh')
    assert server.writes == []


def test_duplicate_names_are_refused_not_guessed():
    server = FakeServer()
    server.objects['/project/1/keys'] += [{'id': 5, 'name': 'dup', 'type': 'none'}, {'id': 6, 'name': 'dup', 'type': 'none'}]
    with pytest.raises(SemaphoreLookupError, match='ambiguous.*5, 6'):
        run(server, 'key', name='dup', type='none')
    assert run(server, 'key', name='dup', id=6, type='none')['id'] == 6


def test_references_are_resolved_by_name_and_a_missing_one_is_named():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    repo = run(server, 'repository', name='playbooks', git_url='https://example.com/p.git', git_branch='main', ssh_key='deploy')
    assert repo['repository']['ssh_key_id'] == 101
    with pytest.raises(SemaphoreLookupError, match="ssh_key: no key named 'nope' in project 1; existing key names: None, deploy"):
        run(server, 'repository', name='playbooks', ssh_key='nope')


def test_a_repository_without_a_key_clones_with_the_projects_none_key():
    server = FakeServer()
    repo = run(server, 'repository', name='public', git_url='https://example.com/p.git', git_branch='main')
    assert repo['repository']['ssh_key_id'] == 1
    assert not run(server, 'repository', name='public', git_url='https://example.com/p.git')['changed']


def test_a_key_in_use_is_not_deleted_and_the_message_says_why():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    run(server, 'repository', name='playbooks', git_url='https://example.com/p.git', git_branch='main', ssh_key='deploy')
    with pytest.raises(SemaphoreError, match=r"key 'deploy' \(id 101\) is in use by repository 'playbooks'; change or delete them"):
        run(server, 'key', name='deploy', state='absent')
    run(server, 'repository', name='playbooks', state='absent')
    assert run(server, 'key', name='deploy', state='absent')['changed']
    assert not run(server, 'key', name='deploy', state='absent')['changed']


def test_an_environment_keeps_json_text_and_compares_it_as_data():
    server = FakeServer()
    created = run(server, 'environment', name='prod', extra_vars={'b': 2, 'a': 1}, env_vars={'X': '1'})
    assert json.loads(created['environment']['json']) == {'a': 1, 'b': 2}
    assert not run(server, 'environment', name='prod', extra_vars={'a': 1, 'b': 2})['changed']
    assert run(server, 'environment', name='prod', extra_vars={'a': 1})['changed']


def test_environment_secrets_are_created_once_replaced_on_demand_and_pruned():
    server = FakeServer()
    secrets = [{'name': 'db_password', 'value': 's3cret', 'type': 'var'}, {'name': 'TOKEN', 'value': 't0ken', 'type': 'env'}]
    first = run(server, 'environment', name='prod', secrets=secrets)
    assert first['secret_sent'] == 'secrets' and sorted(server.secrets_sent) == ['s3cret', 't0ken']
    assert [item['name'] for item in first['environment']['secrets']] == ['db_password', 'TOKEN']
    assert 's3cret' not in json.dumps(first)
    assert not run(server, 'environment', name='prod', secrets=secrets)['changed']
    again = run(server, 'environment', name='prod', secrets=secrets[:1], update_secret='always')
    operations = server.writes[-1][2]['secrets']
    assert [(item['operation'], item['name']) for item in operations] == [
        ('delete', 'db_password'), ('create', 'db_password'), ('delete', 'TOKEN')]
    assert again['changed'] and [item['name'] for item in again['environment']['secrets']] == ['db_password']


def test_an_update_sends_back_the_vault_password_it_does_not_manage():
    # 2.10.32 UpdateEnvironment writes name, json, env and password from the body: one left out is
    # wiped (a vault password set in the web UI).
    server = FakeServer()
    run(server, 'environment', name='prod', extra_vars={'a': 1})
    server.objects['/project/1/environment'][1]['password'] = 'vault-pass'
    result = run(server, 'environment', name='prod', extra_vars={'a': 2})
    method, dummy_path, body = server.writes[-1]
    assert method == 'PUT' and body['password'] == 'vault-pass'
    assert server.objects['/project/1/environment'][1]['password'] == 'vault-pass'
    assert 'vault-pass' not in json.dumps(result)


@pytest.mark.parametrize('kind, collection, obj, change', [
    ('project', '/projects', {'id': 1, 'name': 'Demo', 'alert': True, 'alert_chat': 'ops', 'max_parallel_tasks': 4}, {'alert': False}),
    ('repository', '/project/1/repositories', {'id': 7, 'name': 'app', 'project_id': 1, 'git_url': 'https://git.example/app.git',
                                               'git_branch': 'main', 'ssh_key_id': 1}, {'git_branch': 'dev'}),
    ('inventory', '/project/1/inventory', {'id': 8, 'name': 'hosts', 'project_id': 1, 'type': 'file', 'inventory': 'hosts.ini',
                                           'ssh_key_id': 1, 'become_key_id': None, 'holder_id': 5, 'repository_id': 3},
     {'inventory': 'other.ini'}),
    ('view', '/project/1/views', {'id': 9, 'title': 'Ops', 'project_id': 1, 'position': 3}, {'title': 'Ops2'}),
])
def test_every_field_an_update_does_not_manage_is_sent_back_as_read(kind, collection, obj, change):
    """A PUT writes the body (§13): a field the module leaves alone must be in it, as read."""
    server = FakeServer()
    server.objects[collection] = [dict(obj)] if kind != 'project' else [dict(server.objects['/projects'][0], **obj)]
    params = dict(change, name=obj.get('name', obj.get('title')), id=obj['id'])
    if kind == 'view':
        params['name'] = change['title']
        params.pop('title')
    assert run(server, kind, **params)['changed']
    method, dummy_path, body = server.writes[-1]
    assert method == 'PUT'
    for field, value in obj.items():
        if field not in change and field != ('title' if kind == 'view' else 'name'):
            assert body[field] == value, field


def test_a_project_created_without_its_settings_gets_them_at_once():
    class DroppingServer(FakeServer):
        def create_object(self, path, body):
            # 2.10 on SQL stores only the name of a new project (§13).
            return super().create_object(path, dict(body, alert=False, max_parallel_tasks=0))

    server = DroppingServer()
    result = run(server, 'project', name='Infra', max_parallel_tasks=3, alert=True)
    assert [write[0] for write in server.writes] == ['POST', 'PUT']
    assert result['project']['max_parallel_tasks'] == 3 and result['project']['alert'] is True
    assert not run(server, 'project', name='Infra', max_parallel_tasks=3, alert=True)['changed']


def test_a_lost_create_answer_is_never_resent_and_says_what_happened():
    server = FakeServer()
    server.fail_create = SemaphoreConnectionError('POST', '/api/project/1/keys', 'no answer within the timeout of 30 seconds')
    with pytest.raises(ResourceCreateUncertain, match='was not repeated.*it was not created'):
        run(server, 'key', **ssh_key())
    assert [write[0] for write in server.writes] == ['POST']


def test_the_project_info_holds_no_secret():
    server = FakeServer()
    run(server, 'key', **ssh_key())
    run(server, 'environment', name='prod', secrets=[{'name': 'pw', 'value': 's3cret', 'type': 'var'}])
    server.objects['/project/1/environment'][0]['password'] = 'vault-pass'
    info = project_contents(server, 'Demo')
    assert [key['name'] for key in info['access_keys']] == ['None', 'deploy']
    assert info['environments'][1]['secrets'] == [{'id': 103, 'name': 'pw', 'type': 'var'}]
    text = json.dumps(info)
    assert 'vault-pass' not in text and 's3cret' not in text and PRIVATE_KEY not in text


def test_without_refs_the_servers_own_words_say_why():
    class NoRefs(FakeServer):
        def get_object(self, path):
            if path.endswith('/refs'):
                raise SemaphoreNotFoundError('GET', path, 404)
            return super().get_object(path)

    server = NoRefs()
    run(server, 'key', **ssh_key())
    run(server, 'repository', name='playbooks', git_url='https://example.com/p.git', git_branch='main', ssh_key='deploy')
    with pytest.raises(SemaphoreError, match="is in use: Access Key is in use by one or more templates; change or delete what uses it"):
        run(server, 'key', name='deploy', state='absent')


def test_a_field_the_server_version_lacks_is_refused_before_any_write():
    """A field declared with ``since`` (module_utils/_versions.py) on a server older than that release."""
    server = FakeServer(version=(2, 10, 32))
    labelled = Resource('key', 'keys', (Field('name'), Field('type'), Field('label', since='token_names')))
    params = dict(project='Demo', name='deploy', id=None, state='present', type='none', label='x')
    with pytest.raises(SemaphoreError, match='label needs Semaphore 2.18 or later; the server is 2.10.32 and would ignore it'):
        Reconciler(server, labelled, params, RESOURCES).run()
    assert server.writes == []
    server.version = (2, 18, 2)
    assert Reconciler(server, labelled, params, RESOURCES).run()['changed']
