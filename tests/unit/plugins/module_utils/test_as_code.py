# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Templates, schedules and views on the engine, and the export the role semaphore.api.project applies (§14)."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, SemaphoreHTTPError, SemaphoreLookupError
from ansible_collections.semaphore.api.plugins.module_utils._payload import OVERRIDE_FLAGS
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCES, project_as_code
from ansible_collections.semaphore.api.plugins.module_utils._resources import Field, put_value, value_at
from ansible_collections.semaphore.api.plugins.modules.semaphore_project_backup import put_back, repeated_names

from .test_resources import FakeServer, run


class ProjectServer(FakeServer):
    """The 2.10 fake with a repository, an inventory, templates, views and schedules (201 creates)."""

    def __init__(self, version=(2, 10, 32)):
        super().__init__(201, version)
        self.objects.update({
            '/project/1/repositories': [{'id': 1, 'name': 'playbooks', 'project_id': 1, 'git_url': 'https://g/p.git',
                                         'git_branch': 'main', 'ssh_key_id': 1}],
            '/project/1/inventory': [{'id': 1, 'name': 'production', 'project_id': 1, 'type': 'static',
                                      'inventory': '[web]\nweb1\n', 'ssh_key_id': None, 'become_key_id': None,
                                      'repository_id': None}],
            '/project/1/templates': [],
            '/project/1/views': [],
            '/project/1/schedules': [],
        })
        self.crons = []

    def validate_cron(self, project_id, cron_format):
        self.crons.append(cron_format)
        if len(cron_format.split()) != 5:
            raise SemaphoreError('cron_format {0!r} is refused by the server: Cron: expected exactly 5 fields'.format(cron_format))


def template(name='Deploy', **extra):
    return dict(dict(name=name, playbook='deploy.yml', repository='playbooks', inventory='production'), **extra)


def test_a_template_is_created_with_names_resolved_then_left_alone():
    server = ProjectServer()
    run(server, 'view', name='Deploys', position=1)
    first = run(server, 'template', **template(
        view='Deploys', arguments=['-v'], allow_override_args_in_task=True,
        survey_vars=[{'name': 'version', 'title': 'Version', 'required': True, 'type': '', 'description': None,
                      'values': None, 'default_value': None}]))
    body = server.writes[-1][2]
    assert first['changed'] and body['app'] == 'ansible' and body['arguments'] == '["-v"]'
    assert (body['repository_id'], body['inventory_id'], body['view_id']) == (1, 1, server.objects['/project/1/views'][0]['id'])
    assert 'task_params' not in body  # 2.10 has no task_params: a flag the version lacks is not sent
    second = run(server, 'template', **template(view='Deploys', arguments=['-v'], allow_override_args_in_task=True,
                                                survey_vars=[{'name': 'version', 'title': 'Version', 'required': True}]))
    assert not second['changed'] and len(server.writes) == 2


def test_template_flags_are_those_the_override_checks_read():
    fields = dict((field.option, field) for field in RESOURCES['template'].fields)
    for place, flag, dummy in OVERRIDE_FLAGS.values():
        assert fields[flag].api == ('task_params.' + flag if place == 'task_params' else flag)
    assert fields['allow_parallel_tasks'].since == 'template_parallel_tasks'


def test_a_flag_the_version_lacks_is_refused_when_true_and_accepted_when_false():
    server = ProjectServer()
    with pytest.raises(SemaphoreError, match='allow_override_limit needs Semaphore 2.11 or later; the server is 2.10.32'):
        run(server, 'template', allow_override_limit=True, **template())
    assert server.writes == []
    assert run(server, 'template', allow_override_limit=False, **template())['changed']
    assert 'task_params' not in server.writes[-1][2]


def test_task_params_flags_change_only_their_key():
    server = ProjectServer(version=(2, 16, 5))
    run(server, 'template', **template())
    server.objects['/project/1/templates'][0]['task_params'] = {'allow_debug': True, 'limit': ['web1']}
    result = run(server, 'template', allow_override_limit=True, **template())
    assert result['changed'] and server.writes[-1][2]['task_params'] == {'allow_debug': True, 'limit': ['web1'],
                                                                         'allow_override_limit': True}
    assert result['diff']['before']['task_params.allow_override_limit'] is False
    assert not run(server, 'template', allow_override_limit=True, allow_debug=True, **template())['changed']


def test_a_template_needs_its_repository_and_inventory_and_a_known_app():
    server = ProjectServer()
    with pytest.raises(SemaphoreError, match='repository and inventory are needed to create template'):
        run(server, 'template', name='x', playbook='x.yml')
    with pytest.raises(SemaphoreError, match='app terragrunt needs Semaphore 2.16 or later'):
        run(server, 'template', app='terragrunt', **template())
    assert server.writes == []
    assert run(server, 'template', name='tf', app='terraform', repository='playbooks')['changed']
    assert run(server, 'template', name='sh', app='bash', playbook='run.sh', repository='playbooks')['changed']
    with pytest.raises(SemaphoreError, match=r"playbook is needed to create template 'py' \(python\)"):
        run(server, 'template', name='py', app='python', repository='playbooks')


def test_check_mode_names_a_reference_an_earlier_task_would_create():
    server = ProjectServer()
    engine_run = run(server, 'template', check_mode=True, **template(environment='later'))
    assert engine_run['changed'] and server.writes == []
    with pytest.raises(SemaphoreLookupError, match="environment: no environment named 'later'"):
        run(server, 'template', **template(environment='later'))


def test_a_schedule_is_validated_by_the_server_before_any_write():
    server = ProjectServer()
    run(server, 'template', **template())
    with pytest.raises(SemaphoreError, match='Cron: expected exactly 5 fields'):
        run(server, 'schedule', name='nightly', template='Deploy', cron_format='* * *')
    assert len(server.writes) == 1
    created = run(server, 'schedule', name='nightly', template='Deploy', cron_format='0 3 * * *')
    assert created['changed'] and server.writes[-1][2]['active'] is True
    assert not run(server, 'schedule', name='nightly', template='Deploy', cron_format='0 3 * * *')['changed']
    paused = run(server, 'schedule', name='nightly', active=False)
    assert paused['changed'] and server.writes[-1][2]['cron_format'] == '0 3 * * *'


def test_a_view_is_found_by_its_title():
    server = ProjectServer()
    assert run(server, 'view', name='Deploys', position=2)['view']['title'] == 'Deploys'
    assert not run(server, 'view', name='Deploys', position=2)['changed']
    moved = run(server, 'view', name='Deploys', position=0)
    assert moved['changed'] and server.writes[-1][2]['title'] == 'Deploys'


def test_the_export_names_instead_of_numbering_and_hides_secrets():
    server = ProjectServer()
    run(server, 'key', name='vault', type='login_password', login_password={'login': '', 'password': 'pw-1'})
    run(server, 'view', name='Deploys', position=1)
    run(server, 'template', view='Deploys', vaults=[{'key': 'vault', 'name': 'prod'}], **template())
    run(server, 'schedule', name='nightly', template='Deploy', cron_format='0 3 * * *')
    code = project_as_code(server, 'Demo')
    assert code['templates'] == [dict(
        name='Deploy', playbook='deploy.yml', app='ansible', description='', git_branch='', arguments=[],
        inventory='production', repository='playbooks', view='Deploys',
        vaults=[{'key': 'vault', 'name': 'prod'}], survey_vars=[], suppress_success_alerts=False,
        allow_override_args_in_task=False)]
    assert code['schedules'] == [{'name': 'nightly', 'template': 'Deploy', 'cron_format': '0 3 * * *', 'active': True}]
    assert {'name': 'vault', 'type': 'login_password', 'secret': 'key/vault'} in code['access_keys']
    assert code['views'] == [{'name': 'Deploys', 'position': 1}] and 'pw-1' not in json.dumps(code)


def test_the_export_refuses_names_that_repeat():
    server = ProjectServer()
    server.objects['/project/1/inventory'].append(dict(server.objects['/project/1/inventory'][0], id=2))
    with pytest.raises(SemaphoreError, match=r"1 inventories that share a name \(production\)"):
        project_as_code(server, 'Demo')


def test_a_backup_with_a_repeated_name_is_named():
    backup = {'views': [{'title': 'A'}, {'title': 'A'}], 'keys': [{'name': 'k'}], 'templates': [{'name': 't'}, {'name': 't'}]}
    assert repeated_names(backup) == ['views: A', 'templates: t']


def test_fields_inside_an_object_field():
    body = {'task_params': {'limit': ['a']}}
    put_value(body, 'task_params.allow_debug', True)
    assert body == {'task_params': {'limit': ['a'], 'allow_debug': True}}
    assert value_at(body, 'task_params.allow_debug') is True and value_at({}, 'task_params.x') is None
    assert value_at({'task_params': None}, 'task_params.x') is None
    assert Field('arguments', kind='json', empty=[]).normal(None) == [] == Field('a', kind='json', empty=[]).normal('[]')


class EnvironmentIdsServer(ProjectServer):
    """2.16+ templates (§14): the links are ``environment_ids``; a read answers ``environment_id: 0``;
    a write without the list but with ``environment_id`` > 0 links ``[environment_id]``, one with neither
    clears the links."""

    def __init__(self):
        super().__init__((2, 16, 51))

    def _stored(self, collection, body, current):
        stored = super()._stored(collection, body, current)
        if collection.endswith('/templates'):
            linked = stored.get('environment_ids')
            if linked is None:
                linked = [stored['environment_id']] if (stored.get('environment_id') or 0) > 0 else []
            stored.update(environment_ids=list(linked), environment_id=0)
        return stored


def test_a_template_environment_on_2_16_is_idempotent_changed_in_the_list_and_exported():
    server = EnvironmentIdsServer()
    run(server, 'environment', name='prod', extra_vars={'a': 1})
    run(server, 'environment', name='stage', extra_vars={'a': 2})
    prod, stage = (item['id'] for item in server.objects['/project/1/environment'][1:])
    created = run(server, 'template', **template(environment='prod'))
    assert created['changed'] and server.objects['/project/1/templates'][0]['environment_ids'] == [prod]
    writes = len(server.writes)
    assert not run(server, 'template', **template(environment='prod'))['changed']
    assert len(server.writes) == writes
    moved = run(server, 'template', **template(environment='stage'))
    assert moved['changed'] and server.writes[-1][2]['environment_ids'] == [stage]
    assert server.objects['/project/1/templates'][0]['environment_ids'] == [stage]
    assert project_as_code(server, 'Demo')['templates'][0]['environment'] == 'stage'
    cleared = run(server, 'template', **template(environment=''))
    assert cleared['changed'] and server.objects['/project/1/templates'][0]['environment_ids'] == []
    assert 'environment' not in project_as_code(server, 'Demo')['templates'][0]


def test_before_2_16_the_environment_is_the_column_and_no_list_is_sent():
    server = ProjectServer()
    run(server, 'environment', name='prod', extra_vars={'a': 1})
    run(server, 'template', **template(environment='prod'))
    assert 'environment_ids' not in server.writes[-1][2]
    assert not run(server, 'template', **template(environment='prod'))['changed']


class BuildRefsServer(ProjectServer):
    """A template another one builds from cannot be deleted (§14): SQL 400, BoltDB 409, empty body."""

    def __init__(self, refused_with):
        super().__init__()
        self.refused_with = refused_with

    def _users(self, template_id):
        return [{'id': item['id'], 'name': item['name']} for item in self.objects['/project/1/templates']
                if item.get('build_template_id') == template_id]

    def get_object(self, path):
        if '/templates/' in path and path.endswith('/refs'):
            return {'templates': self._users(int(path.split('/')[-2])), 'inventories': [], 'repositories': []}
        return super().get_object(path)

    def delete_object(self, path):
        if '/templates/' in path and self._users(int(path.rsplit('/', 1)[1])):
            self.writes.append(('DELETE', path, None))
            raise SemaphoreHTTPError('DELETE', path, self.refused_with)
        super().delete_object(path)


@pytest.mark.parametrize('refused_with', [400, 409])
def test_a_refused_template_delete_names_the_template_that_builds_from_it(refused_with):
    server = BuildRefsServer(refused_with)
    run(server, 'template', **template(name='Build'))
    build_id = server.objects['/project/1/templates'][0]['id']
    server.objects['/project/1/templates'].append(dict(server.objects['/project/1/templates'][0], id=build_id + 1,
                                                       name='Deploy', type='deploy', build_template_id=build_id))
    with pytest.raises(SemaphoreError, match=r"template 'Build' \(id {0}\) is in use by template 'Deploy'; change or delete "
                                             r"them first".format(build_id)):
        run(server, 'template', name='Build', state='absent')


def test_a_refusal_with_words_of_its_own_is_not_taken_for_in_use():
    server = BuildRefsServer(400)
    run(server, 'template', **template(name='Build'))

    def refuse(path):
        raise SemaphoreHTTPError('DELETE', path, 400, 'something else')
    server.delete_object = refuse
    with pytest.raises(SemaphoreHTTPError, match='returned HTTP 400: something else'):
        run(server, 'template', name='Build', state='absent')


def test_the_export_is_the_same_whatever_order_the_server_lists_secrets_and_vaults_in():
    """BoltDB and SQL list an environment's secrets (and a template's vaults) in different orders."""
    exports = []
    for reverse in (False, True):
        server = ProjectServer()
        secrets = [{'name': 'b', 'value': '1', 'type': 'var'}, {'name': 'A', 'value': '2', 'type': 'env'},
                   {'name': 'a', 'value': '3', 'type': 'var'}]
        run(server, 'environment', name='prod', secrets=secrets[::-1] if reverse else secrets)
        keys = [('vault-b', 'x'), ('vault-a', 'y')]
        for key, dummy in keys:
            run(server, 'key', name=key, type='login_password', login_password={'login': '', 'password': 'pw'})
        vaults = [{'key': key, 'name': name} for key, name in (keys[::-1] if reverse else keys)]
        run(server, 'template', vaults=vaults, **template())
        exports.append(project_as_code(server, 'Demo'))
    assert exports[0] == exports[1]
    prod = [item for item in exports[0]['environments'] if item['name'] == 'prod'][0]
    assert [(item['type'], item['name']) for item in prod['secrets']] == [('env', 'A'), ('var', 'a'), ('var', 'b')]
    assert [vault['key'] for vault in exports[0]['templates'][0]['vaults']] == ['vault-a', 'vault-b']


class RestoredServer(ProjectServer):
    """What Semaphore 2.10's restore leaves (§14): the project's name only, and a template's cron as
    an unnamed, inactive schedule bound to the template's repository (listed only under the template)."""

    def __init__(self):
        super().__init__()
        self.objects['/project/1/templates'] = [{'id': 5, 'name': 'Deploy'}, {'id': 6, 'name': 'Scratch'}]
        self.objects['/project/1/schedules'] = [{'id': 9, 'project_id': 1, 'template_id': 5, 'cron_format': '0 3 * * *',
                                                 'name': '', 'active': False, 'repository_id': 1}]

    def list_templates(self, project_id):
        return copy.deepcopy(self.objects['/project/1/templates'])

    def list_objects(self, path):
        if path.endswith('/schedules') and '/templates/' in path:
            template_id = int(path.split('/')[-2])
            return [dict(item) for item in self.objects['/project/1/schedules']
                    if item['template_id'] == template_id and item.get('repository_id')]
        return super().list_objects(path)


def test_a_2_10_restore_gets_its_settings_and_its_schedule_back():
    server = RestoredServer()
    backup = {'meta': {'name': 'Demo', 'max_parallel_tasks': 2, 'alert': False},
              'templates': [{'name': 'Deploy', 'cron': '0 3 * * *'}, {'name': 'Scratch'}]}
    repaired = put_back(server, 1, backup)
    assert server.objects['/projects'][0]['max_parallel_tasks'] == 2
    assert server.objects['/project/1/schedules'] == [{'id': 9, 'project_id': 1, 'template_id': 5, 'cron_format': '0 3 * * *',
                                                       'name': 'Deploy', 'active': False, 'repository_id': None}]
    assert repaired == ['set max_parallel_tasks as the backup has them',
                        "made the schedule of template 'Deploy' a cron schedule named 'Deploy' (inactive: activate it with "
                        "semaphore_schedule active=true)"]
    assert put_back(server, 1, backup) == []  # nothing left to put back


def test_a_backup_with_a_schedules_section_keeps_its_schedules_as_restored():
    server = RestoredServer()
    backup = {'meta': {'name': 'Demo'}, 'templates': [{'name': 'Deploy', 'cron': '0 3 * * *'}],
              'schedules': [{'name': 'nightly', 'template': 'Deploy', 'cron_format': '0 3 * * *', 'active': True}]}
    assert put_back(server, 1, backup) == []
    assert [write[0] for write in server.writes] == []
