# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""The project resources the engine of module_utils/_resources.py manages, declared one by one.

Each declaration says where the objects live, which option sets which API field, which options
name other resources, and what is write-only. How the server treats each: §13 of
docs/server-behaviour.md.
"""

from __future__ import annotations

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._payload import OVERRIDE_FLAGS
from ansible_collections.semaphore.api.plugins.module_utils._resources import Field, Reconciler, Resource, value_at
from ansible_collections.semaphore.api.plugins.module_utils._versions import features, older_than, shown, since

KEY_TYPES = ('none', 'ssh', 'login_password')
INVENTORY_TYPES = ('static', 'static-yaml', 'file', 'terraform-workspace', 'tofu-workspace')
SECRET_TYPES = ('var', 'env')
TEMPLATE_APPS = ('ansible', 'terraform', 'tofu', 'bash', 'powershell', 'python', 'terragrunt', 'pulumi')
# Apps without inventory or playbook requirements (Terraform-like: the server makes a workspace).
WORKSPACE_APPS = ('terraform', 'tofu', 'terragrunt')


class ProjectResource(Resource):
    """A project; deleting it deletes everything in it."""

    def __init__(self):
        super().__init__('project', 'projects', (
            Field('name'),
            Field('alert', kind='bool'),
            Field('alert_chat'),
            Field('max_parallel_tasks', kind='int'),
        ), scoped=False)


class KeyResource(Resource):
    """An access key. Its secret is write-only on every version: the server never shows it, so a
    changed secret cannot be seen; it is sent when the key is created or its type changes
    (``update_secret: on_create``) or on every run (``always``)."""

    def __init__(self):
        super().__init__('key', 'keys', (Field('name'), Field('type')),
                         write_only=('ssh', 'login_password', 'string', 'override_secret'))

    def complete(self, reconciler, current, desired):
        params = reconciler.params
        if current is None and not params.get('type'):
            raise SemaphoreError('type is needed to create key {0!r} (none, ssh or login_password)'.format(params['name']))
        if self._sends_secret(params, current):
            kind = params.get('type') or current.get('type')
            if kind in ('ssh', 'login_password') and not params.get(kind):
                raise SemaphoreError('{0} is needed to {1} key {2!r} of type {0}'.format(
                    kind, 'create' if current is None else 'send the secret of', params['name']))

    @staticmethod
    def _sends_secret(params, current):
        if current is None or params.get('update_secret') == 'always':
            return True
        return bool(params.get('type')) and params['type'] != current.get('type')

    def secret_body(self, params, current):
        if not self._sends_secret(params, current):
            # Without override_secret the server changes the name only (§13).
            return {'override_secret': False}, None
        kind = params.get('type') or current.get('type')
        body = {'override_secret': True, 'type': kind}
        if kind in ('ssh', 'login_password'):
            # Every field of the secret object, empty strings for those not given (as the web UI sends).
            fields = ('login', 'passphrase', 'private_key') if kind == 'ssh' else ('login', 'password')
            body[kind] = dict((field, params[kind].get(field) or '') for field in fields)
        return body, 'secret'


class RepositoryResource(Resource):
    """A git repository of a project, with the key that clones it."""

    def __init__(self):
        super().__init__('repository', 'repositories', (
            Field('name'),
            Field('git_url'),
            Field('git_branch'),
            Field('ssh_key', api='ssh_key_id', reference='key'),
        ))

    def complete(self, reconciler, current, desired):
        if current is None and 'ssh_key_id' not in desired:
            # Semaphore needs a key even for a public repository (§13): every project has one of type none.
            keys = [key for key in reconciler.objects(reconciler.resources['key']) if key.get('type') == 'none']
            if not keys:
                raise SemaphoreError('ssh_key is needed: project {0} has no key of type none to clone a public '
                                     'repository with'.format(reconciler.project_id))
            desired['ssh_key_id'] = min(key['id'] for key in keys)


class InventoryResource(Resource):
    """An inventory: its text (static, static-yaml), a path in a repository (file), or a Terraform workspace."""

    def __init__(self):
        super().__init__('inventory', 'inventory', (
            Field('name'),
            Field('type'),
            Field('inventory'),
            Field('ssh_key', api='ssh_key_id', reference='key'),
            Field('become_key', api='become_key_id', reference='key'),
            Field('repository', api='repository_id', reference='repository'),
        ))

    def complete(self, reconciler, current, desired):
        if current is None and not desired.get('type'):
            raise SemaphoreError('type is needed to create inventory {0!r}'.format(reconciler.params['name']))


class EnvironmentResource(Resource):
    """An environment: extra variables, environment variables, and write-only secrets.

    The secrets listed are the environment's secrets: a missing one is created, one no longer listed
    is deleted, and with ``update_secret: always`` each is deleted and created again with its value
    (Semaphore 2.10 cannot update one in place, §13).
    """

    def __init__(self):
        super().__init__('environment', 'environment', (
            Field('name'),
            Field('extra_vars', api='json', kind='json'),
            Field('env_vars', api='env', kind='json'),
        ), secret_fields=('password',))  # the legacy vault password comes back in clear: sent back, never shown

    def shown(self, obj):
        shown = super().shown(obj)
        if shown and shown.get('secrets'):
            shown['secrets'] = [dict((key, item.get(key)) for key in ('id', 'name', 'type')) for item in shown['secrets']]
        return shown

    def complete(self, reconciler, current, desired):
        if current is None and 'json' not in desired:
            desired['json'] = {}  # the server refuses an environment without extra variables (§13)
        names = [(secret['type'], secret['name']) for secret in reconciler.params.get('secrets') or []]
        twice = sorted(set('{0} {1}'.format(*pair) for pair in names if names.count(pair) > 1))
        if twice:
            raise SemaphoreError('secrets: each name may appear once per type; repeated: {0}'.format(', '.join(twice)))

    def secret_body(self, params, current):
        wanted = params.get('secrets')
        if wanted is None:
            return {}, None
        existing = dict(((item.get('type') or 'var', item.get('name')), item.get('id'))
                        for item in (current or {}).get('secrets') or [])
        operations = []
        for secret in wanted:
            pair = (secret['type'], secret['name'])
            if pair in existing and params.get('update_secret') != 'always':
                continue
            if secret.get('value') is None:
                raise SemaphoreError('secrets: a value is needed to {0} {1} secret {2!r}'.format(
                    'send' if pair in existing else 'create', secret['type'], secret['name']))
            if pair in existing:
                operations.append({'id': existing[pair], 'name': secret['name'], 'type': secret['type'], 'operation': 'delete'})
            operations.append({'name': secret['name'], 'type': secret['type'], 'secret': secret['value'], 'operation': 'create'})
        kept = set((secret['type'], secret['name']) for secret in wanted)
        operations.extend({'id': secret_id, 'name': name, 'type': kind, 'operation': 'delete'}
                          for (kind, name), secret_id in existing.items() if (kind, name) not in kept)
        if not operations:
            return {}, None
        return {'secrets': operations}, 'secrets'


def _override_flag_fields():
    """The template's ``allow_*`` flags: those semaphore_task's override checks read (OVERRIDE_FLAGS
    of module_utils/_payload.py, one table for both), then the flags no override check reads."""
    fields, seen = [], set()
    for place, flag, dummy_checked_since in OVERRIDE_FLAGS.values():
        if flag not in seen:
            seen.add(flag)
            in_params = place == 'task_params'
            fields.append(Field(flag, api='task_params.' + flag if in_params else flag, kind='bool',
                                since='template_task_params' if in_params else None))
    fields.append(Field('allow_override_branch_in_task', kind='bool', since='template_branch_override'))
    fields.append(Field('allow_parallel_tasks', kind='bool', since='template_parallel_tasks'))
    return fields


def _survey_vars(value):
    """Survey variables as compared: every key with its empty value, so that null, [] and absent agree."""
    normal = []
    for item in value or []:
        normal.append(dict(
            name=item.get('name') or '', title=item.get('title') or '', description=item.get('description') or '',
            required=bool(item.get('required')), type=item.get('type') or '', default_value=item.get('default_value') or '',
            values=[dict(name=entry.get('name') or '', value=entry.get('value') or '') for entry in item.get('values') or []]))
    return normal


# How a vault password's key is named: by name or id, as every reference.
VAULT_KEY = Field('vaults', reference='key')


def _vaults(value):
    """Vault passwords as compared: (key id, name) pairs in order of key."""
    return sorted((int(item.get('vault_key_id') or 0), item.get('name') or '') for item in value or [])


class TemplateResource(Resource):
    """A task template: what runs (app, playbook, repository), with what (inventory, environment,
    vault keys), and what a task may override. A PUT rewrites every column (§14): the engine sends
    the template as read with the changes. Deleting a template deletes its tasks and schedules."""

    def __init__(self):
        super().__init__('template', 'templates', [
            Field('name'),
            Field('playbook'),
            Field('app'),
            Field('description'),
            Field('git_branch'),
            Field('arguments', kind='json', empty=[]),
            Field('inventory', api='inventory_id', reference='inventory'),
            Field('repository', api='repository_id', reference='repository'),
            Field('environment', api='environment_id', reference='environment'),
            Field('view', api='view_id', reference='view'),
            Field('vaults', kind='raw', normalize=_vaults),
            Field('survey_vars', kind='raw', normalize=_survey_vars),
            Field('suppress_success_alerts', kind='bool'),
        ] + _override_flag_fields())

    def complete(self, reconciler, current, desired):
        params = reconciler.params
        app = desired.get('app') or (current or {}).get('app') or 'ansible'
        self._check_app(reconciler, app)
        if current is None:
            desired['app'] = app
            # As the server validates (§14): a playbook unless Terraform-like, an inventory for Ansible.
            needed = [('repository', 'repository_id')]
            needed += [] if app in WORKSPACE_APPS else [('playbook', 'playbook')]
            needed += [('inventory', 'inventory_id')] if app == 'ansible' else []
            missing = [option for option, api in needed if not desired.get(api)]
            if missing:
                raise SemaphoreError('{0} {1} needed to create template {2!r} ({3})'.format(
                    ' and '.join(missing), 'are' if len(missing) > 1 else 'is', params['name'], app))
        if params.get('vaults') is not None:
            desired['vaults'] = [dict(vault_key_id=reconciler.resolve(VAULT_KEY, item['key']), name=item.get('name'))
                                 for item in params['vaults']]
        if params.get('survey_vars') is not None:
            if older_than(reconciler.client.server_version(), 'survey_default_value') and any(
                    item.get('default_value') for item in params['survey_vars']):
                raise SemaphoreError('survey_vars default_value needs Semaphore {0} or later; the server is {1}'.format(
                    shown(since('survey_default_value')), shown(reconciler.client.server_version())))

    def as_read(self, obj):
        """From 2.16 the link is ``environment_ids`` and a read answers ``environment_id: 0`` (§14):
        the engine compares and exports ``environment_id`` as the first of the list."""
        linked = (obj or {}).get('environment_ids')
        if linked and not obj.get('environment_id'):
            obj = dict(obj, environment_id=linked[0])
        return obj

    def complete_body(self, reconciler, body, desired):
        """From 2.16 the server takes ``environment_ids`` over ``environment_id`` whenever the list is
        in the body (which the template as read carries): a changed environment goes in the list."""
        if 'environment_id' in desired and not older_than(reconciler.client.server_version(), 'template_environment_ids'):
            body['environment_ids'] = [desired['environment_id']] if desired['environment_id'] else []

    @staticmethod
    def _check_app(reconciler, app):
        """2.10 creates the template, then refuses an app it does not know (§14): refuse it first."""
        version = reconciler.client.server_version()
        if app in ('terragrunt', 'pulumi') and older_than(version, 'template_more_apps'):
            raise SemaphoreError('app {0} needs Semaphore {1} or later; the server is {2}'.format(
                app, shown(since('template_more_apps')), shown(version)))


class ScheduleResource(Resource):
    """A cron schedule of a template. The cron expression is checked by the server's own
    ``…/schedules/validate`` before anything is written."""

    def __init__(self):
        super().__init__('schedule', 'schedules', (
            Field('name'),
            Field('template', api='template_id', reference='template'),
            Field('cron_format'),
            Field('active', kind='bool'),
        ))

    def complete(self, reconciler, current, desired):
        if current is None:
            missing = [option for option, api in (('template', 'template_id'), ('cron_format', 'cron_format'))
                       if not desired.get(api)]
            if missing:
                raise SemaphoreError('{0} needed to create schedule {1!r}'.format(
                    ' and '.join(missing), reconciler.params['name']))
            desired.setdefault('active', True)
        if desired.get('cron_format'):
            reconciler.client.validate_cron(reconciler.project_id, desired['cron_format'])


class ViewResource(Resource):
    """A view: a tab of the project's templates, by title, at a position."""

    def __init__(self):
        super().__init__('view', 'views', (Field('name', api='title'), Field('position', kind='int')),
                         identity='title')


RESOURCES = dict((resource.kind, resource) for resource in (
    ProjectResource(), KeyResource(), RepositoryResource(), InventoryResource(), EnvironmentResource(),
    ViewResource(), TemplateResource(), ScheduleResource()))

# Options every resource module has besides its fields; documented in doc_fragments/resource.py
# (PROJECT_ARGSPEC: semaphore_project, whose objects belong to no project).
PROJECT_ARGSPEC = dict(
    name=dict(type='str', required=True),
    id=dict(type='int'),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
)
RESOURCE_ARGSPEC = dict(PROJECT_ARGSPEC, project=dict(type='str', required=True))


def run_resource_module(module, kind):
    """The whole run of the module that manages resources of ``kind`` (a key of RESOURCES)."""
    with module.client() as client:
        reconciler = Reconciler(client, RESOURCES[kind], module.params, RESOURCES, module.check_mode)
        try:
            result = reconciler.run()
        except SemaphoreError as exc:
            module.fail_from_error(exc, **getattr(exc, 'result', {'changed': False}))
    for warning in reconciler.warnings:
        module.warn(warning)
    if not module.diff_mode:
        result.pop('diff', None)
    module.exit_json(**result)


def project_contents(client, project):
    """A project and what it holds, as semaphore_project_info returns it (no secret anywhere)."""
    project_id = client.resolve_project(project)
    version = client.server_version()
    result = {'project': client.get_project(project_id), 'server_version': shown(version), 'features': features(version)}
    for kind, key in (('key', 'access_keys'), ('repository', 'repositories'), ('inventory', 'inventories')):
        resource = RESOURCES[kind]
        result[key] = [resource.shown(item) for item in client.list_objects(resource.list_path(project_id))]
    environments = RESOURCES['environment']
    # The list leaves the secrets out (2.10 shows null): each environment is read for its secrets' names.
    result['environments'] = [environments.shown(client.get_object(environments.item_path(project_id, item['id'])))
                              for item in client.list_objects(environments.list_path(project_id))]
    result['templates'] = client.list_templates(project_id)
    for kind, key in (('view', 'views'), ('schedule', 'schedules')):
        result[key] = client.list_objects(RESOURCES[kind].list_path(project_id))
    listed = ('access_keys', 'repositories', 'inventories', 'environments', 'views', 'templates', 'schedules')
    result['msg'] = "project '{0}': {1}".format(
        result['project'].get('name'), ', '.join('{0} {1}'.format(len(result[key]), key) for key in listed))
    return result


# -- a project as code (semaphore_project_info as_code=true, applied by the role semaphore.api.project) --

# The kinds of a project, in the order they are applied (each names only those before it).
AS_CODE_KINDS = (('key', 'access_keys'), ('repository', 'repositories'), ('inventory', 'inventories'),
                 ('environment', 'environments'), ('view', 'views'), ('template', 'templates'),
                 ('schedule', 'schedules'))


def secret_placeholder(*names):
    """The name a secret is replaced by in an export, and looked up by in the role's secrets."""
    return '/'.join(str(name) for name in names)


def _without_none(values):
    """A dict without its null values: an option left out means "as the server has it", and older
    ansible-core turns a null passed on through a template into the string ``None``."""
    return dict((key, value) for key, value in values.items() if value is not None)


def _export_object(reconciler, resource, obj, names):
    """One object as the options of its module: references by name, secrets as placeholders, unset
    values (no reference, a zero, a null) left out."""
    item = {}
    for field in resource.fields:
        if reconciler.lacks(field):
            continue
        value = value_at(obj, field.api)
        if field.reference:
            value = names[field.reference].get(value)
        elif field.normalize is None:
            value = field.normal(value)
        item[field.option] = value
    if resource.kind == 'key' and obj.get('type') in ('ssh', 'login_password'):
        item['secret'] = secret_placeholder('key', obj['name'])
    elif resource.kind == 'environment':
        # Sorted: the server lists secrets in storage order, which differs between BoltDB and SQL.
        secrets = sorted(((secret.get('type') or 'var', secret['name']) for secret in obj.get('secrets') or []))
        item['secrets'] = [dict(name=name, type=kind, secret=secret_placeholder('environment', obj['name'], kind, name))
                           for kind, name in secrets]
    elif resource.kind == 'template':
        vaults = [_without_none(dict(key=names['key'].get(vault.get('vault_key_id')), name=vault.get('name')))
                  for vault in obj.get('vaults') or []]
        item['vaults'] = sorted(vaults, key=lambda vault: (str(vault.get('key')), str(vault.get('name') or '')))
        item['survey_vars'] = [dict((key, value) for key, value in survey.items() if value not in ('', [], None, False))
                               for survey in _survey_vars(obj.get('survey_vars'))]
    return _without_none(item)


def project_as_code(client, project):
    """A project as one structure that the role semaphore.api.project applies to any server: the
    options of each kind's module, names instead of ids, secrets replaced by placeholders. Names must
    be unique within a kind: a structure that links by name cannot hold two objects of one name."""
    project_id = client.resolve_project(project)
    meta = client.get_project(project_id)
    reconciler = Reconciler(client, RESOURCES['project'], {}, RESOURCES)
    reconciler.project_id = project_id
    code = _export_object(reconciler, RESOURCES['project'], meta, {})
    names = {}
    for kind, key in AS_CODE_KINDS:
        resource = RESOURCES[kind]
        objects = reconciler.objects(resource)
        if kind in ('environment', 'template'):  # lists leave secrets' names and vaults out: read each
            objects = [resource.as_read(client.get_object(resource.item_path(project_id, item['id']))) for item in objects]
        labels = [item.get(resource.identity) for item in objects]
        twice = sorted(set(str(label) for label in labels if labels.count(label) > 1))
        if twice:
            raise SemaphoreError('project {0!r} has {1} {2} that share a name ({3}): rename them before exporting, '
                                 'as code names link objects'.format(meta.get('name'), len(twice), key, ', '.join(twice)))
        names[kind] = dict((item['id'], item.get(resource.identity)) for item in objects)
        code[key] = [_export_object(reconciler, resource, item, names) for item in
                     sorted(objects, key=lambda item: (item.get('position') or 0, str(item.get(resource.identity))))]
    return code
