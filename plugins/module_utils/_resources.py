# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Semaphore as code: one engine that brings a project resource to the state a module describes.

A resource module is an argument spec plus a ``Resource`` (module_utils/_resource_types.py): where
the objects live, the fields with their options, which fields name other resources (given by name,
sent as ids) and which are write-only secrets. ``Reconciler.run`` reads the objects, finds the one
the module names (by name within its project, or by id), builds the object wanted, compares it with
the current one after normalising what the server rewrites, and creates, updates (a PUT of the whole
object, as the server expects) or deletes it, then reads it back. ``changed`` only when something
differs; check mode sends no write; the diff and the result never hold a secret.
§13 of docs/server-behaviour.md says how the server treats these objects, version by version.
"""

from __future__ import annotations

import json

from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreLookupError,
    SemaphoreNotFoundError,
    answer_may_be_lost,
    as_id,
    find_by_name,
    pick_by_name,
)
from ansible_collections.semaphore.api.plugins.module_utils._versions import older_than, shown, since

# What ``GET …/{id}/refs`` lists: the objects that use one (§13).
REFERRING_KINDS = (('templates', 'template'), ('inventories', 'inventory'), ('repositories', 'repository'))
# Shown in a diff in place of a secret that would be sent.
SECRET_SHOWN = '(secret, write-only)'


class Field:
    """One field of a resource: the module option, the API field, and how values compare.

    ``kind``: 'str', 'int', 'bool', 'json' (a dict, or with ``empty=[]`` a list, the server keeps as
    a JSON string), 'raw' (any value, compared as ``normalize`` makes it, else as is). ``api`` may name
    a field inside an object field (``task_params.allow_debug``). ``reference``: the kind of resource
    the option names (by name or id); the API field then holds its id. ``since``: a feature of
    module_utils/_versions.py without which the server ignores the field (an option set for an older
    server is refused, and the field is neither sent nor compared there).
    """

    def __init__(self, option, api=None, kind='str', reference=None, since=None, empty=None, normalize=None):
        self.option = option
        self.api = api or option
        self.kind = kind
        self.reference = reference
        self.since = since
        self.empty = {} if empty is None else empty
        self.normalize = normalize

    def normal(self, value):
        """The value as compared: what the server stores for it."""
        if self.normalize is not None:
            return self.normalize(value)
        if self.kind == 'json':
            if isinstance(value, str):
                try:
                    value = json.loads(value) if value.strip() else None
                except ValueError:
                    return value
            return value or self.empty
        if self.kind == 'bool':
            return bool(value)
        if self.kind == 'int' or self.reference:
            return int(value) if value not in (None, '', 0) else None
        if self.kind == 'str':
            return '' if value is None else str(value)
        return value

    def encode(self, value):
        """The value as sent."""
        if self.kind == 'json':
            return json.dumps(value or self.empty, sort_keys=True)
        return value


def value_at(obj, api):
    """The value of an API field of ``obj``; ``a.b`` is field ``b`` of the object in field ``a``."""
    outer, _dot, inner = api.partition('.')
    value = (obj or {}).get(outer)
    if inner:
        return (value or {}).get(inner) if isinstance(value or {}, dict) else None
    return value


def put_value(body, api, value):
    """Set an API field of ``body``; an object field is copied, then changed (the rest is kept)."""
    outer, _dot, inner = api.partition('.')
    if inner:
        nested = body.get(outer)
        body[outer] = dict(nested if isinstance(nested, dict) else {}, **{inner: value})
    else:
        body[outer] = value


class Resource:
    """A kind of object of a project (or a project itself, ``scoped=False``)."""

    def __init__(self, kind, collection, fields, scoped=True, secret_fields=(), write_only=(), identity='name'):
        self.kind = kind
        self.collection = collection
        self.fields = tuple(fields)
        self.scoped = scoped
        self.identity = identity  # the API field that holds the name (a view's is ``title``)
        self.by_api = dict((field.api, field) for field in self.fields)
        # API fields that hold secrets: never in a result or a diff.
        self.secret_fields = tuple(secret_fields) + tuple(write_only)
        # Secret fields a read holds empty (a key's secret): never sent back. Every other field is,
        # as read, because a PUT writes what the body says (an environment's vault password).
        self.write_only = tuple(write_only)

    def list_path(self, project_id):
        return '/project/{0}/{1}'.format(project_id, self.collection) if self.scoped else '/projects'

    def item_path(self, project_id, object_id):
        if self.scoped:
            return '/project/{0}/{1}/{2}'.format(project_id, self.collection, object_id)
        return '/project/{0}'.format(object_id)

    def shown(self, obj):
        """What a result may hold of a server object: everything but its secrets."""
        if obj is None:
            return None
        return dict((key, value) for key, value in obj.items() if key not in self.secret_fields)

    # Hooks a resource type overrides -------------------------------------------------------------

    def complete(self, reconciler, current, desired):
        """Check the options against the current object (None: to be created) and add what a create
        needs that the module may leave out; raise SemaphoreError before any write."""

    def as_read(self, obj):
        """The object as the engine compares it: a type that the server answers in another shape on
        some versions brings it back to one here."""
        return obj

    def complete_body(self, reconciler, body, desired):
        """Change the body to send, once the wanted values are in (a field the server reads in place
        of the one the module manages)."""

    def secret_body(self, params, current):
        """``(body fields, what)``: the write-only part of a create or update, and a word for the
        result and the diff when it is sent (None: nothing write-only is sent)."""
        return {}, None


class ResourceCreateUncertain(SemaphoreError):
    """The create request failed without a clear answer; it is never sent again."""

    def __init__(self, cause, kind, name, found):
        self.cause = cause
        super().__init__('the request that creates {0} {1!r} failed and was not repeated ({2}); {3}'.format(
            kind, name, cause, found))


def pick(kind, items, name, object_id=None, scope='', identity='name'):
    """The object with ``object_id``, else the one named ``name`` (module_utils/_client.py
    ``find_by_name``: a shared name is an error); None when there is none."""
    if object_id is not None:
        return next((item for item in items if item.get('id') == object_id), None)
    return find_by_name(kind, name, items, scope, key=identity)


class Reconciler:
    """One module run on one resource: ``run()`` returns the module's result."""

    def __init__(self, client, resource, params, resources, check_mode=False):
        self.client = client
        self.resource = resource
        self.resources = resources  # kind -> Resource: what reference options name
        self.params = params
        self.check_mode = check_mode
        self.project_id = None
        self._lists = {}
        self.warnings = []

    # -- reading ---------------------------------------------------------------------------------

    def objects(self, resource):
        """The objects of a kind in this project, listed once per run."""
        key = resource.collection
        if key not in self._lists:
            self._lists[key] = [resource.as_read(item) for item in self.client.list_objects(resource.list_path(self.project_id))]
        return self._lists[key]

    def resolve(self, field, value):
        """The id a reference option names (a name or an id)."""
        if value in (None, ''):
            return None
        target = self.resources[field.reference]
        items = self.objects(target)
        scope = ' in project {0}'.format(self.project_id)
        object_id = as_id(value, field.reference)
        try:
            if object_id is None:
                if self.check_mode and find_by_name(target.kind, str(value), items, scope, key=target.identity) is None:
                    # A preview of a playbook whose earlier tasks create it (the role semaphore.api.project).
                    self.warnings.append('check mode: {0}: no {1} named {2!r} yet; a real run fails unless an '
                                         'earlier task creates it'.format(field.option, target.kind, value))
                    return None
                return pick_by_name(target.kind, str(value), items, scope, key=target.identity)['id']
            if pick(target.kind, items, None, object_id) is None:
                raise SemaphoreLookupError('no {0} {1}{2}'.format(target.kind, object_id, scope))
            return object_id
        except SemaphoreLookupError as exc:
            raise SemaphoreLookupError('{0}: {1}'.format(field.option, exc)) from None

    def current(self):
        """The object the module manages, read in full, or None."""
        params = self.params
        object_id = as_id(params['id'], self.resource.kind) if params.get('id') is not None else None
        listed = pick(self.resource.kind, self.objects(self.resource), name=params['name'], object_id=object_id,
                      scope=' in project {0}'.format(self.project_id) if self.resource.scoped else '',
                      identity=self.resource.identity)
        if listed is None:
            if object_id is not None and params['state'] == 'present':
                raise SemaphoreLookupError('no {0} with id {1}{2}'.format(
                    self.resource.kind, object_id, ' in project {0}'.format(self.project_id) if self.resource.scoped else ''))
            return None
        # A list item may be shorter than the object (environment secrets): read the object itself.
        return self.read(listed['id'])

    # -- the run ---------------------------------------------------------------------------------

    def run(self):
        params = self.params
        if self.resource.scoped:
            self.project_id = self.client.resolve_project(params['project'])
        self.check_versions()
        current = self.current()
        if params['state'] == 'absent':
            return self.absent(current)
        desired = self.desired()
        self.resource.complete(self, current, desired)
        if current is None:
            return self.create(desired)
        return self.update(current, desired)

    def lacks(self, field):
        """True when the server's version has no such field."""
        return bool(field.since) and older_than(self.client.server_version(), field.since)

    def check_versions(self):
        """Refuse an option the server would silently drop, naming the release that has it (its
        empty value, ``false`` for a flag, is what the older server does anyway, and passes)."""
        for field in self.resource.fields:
            value = self.params.get(field.option)
            if value is None or not self.lacks(field) or field.normal(value) == field.normal(None):
                continue
            raise SemaphoreError('{0} needs Semaphore {1} or later; the server is {2} and would ignore it'.format(
                field.option, shown(since(field.since)), shown(self.client.server_version())))

    def desired(self):
        """The API fields the module sets: options left unset keep the server's values, and a field
        the server's version lacks is left out."""
        wanted = {}
        for field in self.resource.fields:
            value = self.params.get(field.option)
            if value is None or self.lacks(field):
                continue
            wanted[field.api] = self.resolve(field, value) if field.reference else value
        return wanted

    def differences(self, current, desired):
        """The API fields whose wanted value differs from the current one."""
        fields = self.resource.by_api
        return sorted(api for api, value in desired.items()
                      if fields[api].normal(value) != fields[api].normal(value_at(current, api)))

    def body(self, current, desired, secret):
        """The whole object to send (§13: a PUT writes every field from the body, a field left out is
        reset): the current one as read, less what a read holds empty, with the wanted values, the
        project's id, and the write-only part."""
        fields = self.resource.by_api
        body = dict((key, value) for key, value in (current or {}).items()
                    if key not in self.resource.write_only and key != 'secrets')
        for api, value in desired.items():
            put_value(body, api, fields[api].encode(value))
        self.resource.complete_body(self, body, desired)
        if self.resource.scoped:
            body['project_id'] = self.project_id
        body.update(secret)
        return body

    def comparable(self, obj, desired=None):
        """The managed fields of ``obj`` (with ``desired`` applied), as a diff shows them."""
        view = {}
        for field in self.resource.fields:
            if self.lacks(field):
                continue
            value = (desired or {}).get(field.api, value_at(obj, field.api))
            view[field.api] = field.normal(value)
        return view

    def result(self, changed, obj, msg, before, after, secret_sent=None):
        result = {'changed': changed, self.resource.kind: self.resource.shown(obj), 'id': (obj or {}).get('id'),
                  'msg': msg, 'diff': {'before': before, 'after': after}}
        if self.resource.scoped:
            result['project_id'] = self.project_id
        if secret_sent:
            result['secret_sent'] = secret_sent
        return result

    # -- writes ----------------------------------------------------------------------------------

    def create(self, desired):
        name = self.params['name']
        secret, secret_sent = self.resource.secret_body(self.params, None)
        body = self.body(None, desired, secret)
        after = self.comparable(None, desired)
        if secret_sent:
            after['secret'] = SECRET_SHOWN
        if self.check_mode:
            return self.result(True, dict(body, id=None), '{0} {1!r} would be created'.format(self.resource.kind, name),
                               {}, after, secret_sent)
        known = set(item.get('id') for item in self.objects(self.resource))
        try:
            answer = self.client.create_object(self.resource.list_path(self.project_id), body)
        except SemaphoreError as exc:
            if not answer_may_be_lost(exc):
                raise
            raise self.uncertain_create(exc, known) from None
        created = self.read(self.created_object(answer, known)['id'])
        # Some servers drop fields on create (2.10 on SQL keeps no project alert settings): one
        # update brings them, so that the next run finds nothing to change.
        if self.differences(created, desired):
            self.client.update_object(self.item(created['id']), self.body(created, desired, {}))
            created = self.read(created['id'])
        return self.result(True, created, '{0} {1!r} created'.format(self.resource.kind, name), {}, after, secret_sent)

    def item(self, object_id):
        return self.resource.item_path(self.project_id, object_id)

    def read(self, object_id):
        return self.resource.as_read(self.client.get_object(self.item(object_id)))

    def created_object(self, answer, known):
        """The new object: from the answer (201), or from the list (Semaphore 2.10 answers 204 with
        no body for keys, repositories and environments): the new object with the module's name."""
        if isinstance(answer, dict) and answer.get('id'):
            return answer
        fresh = self.fresh_ids(known)
        if len(fresh) != 1:
            raise SemaphoreError('{0} {1!r} was created but could not be found again ({2} new objects with that name)'.format(
                self.resource.kind, self.params['name'], len(fresh)))
        return {'id': fresh[0]}

    def fresh_ids(self, known):
        """Ids of objects with the module's name that were not listed before the create."""
        self._lists.pop(self.resource.collection, None)
        return [item['id'] for item in self.objects(self.resource)
                if item.get(self.resource.identity) == self.params['name'] and item.get('id') not in known]

    def uncertain_create(self, exc, known):
        try:
            fresh = self.fresh_ids(known)
        except SemaphoreError:
            fresh = None
        if fresh:
            found = 'it was created after all (id {0}); run again to bring it to the wanted state'.format(
                ', '.join(str(item) for item in fresh))
        elif fresh is None:
            found = 'the list could not be read to check whether it was created'
        else:
            found = 'it was not created'
        return ResourceCreateUncertain(exc, self.resource.kind, self.params['name'], found)

    def update(self, current, desired):
        name = self.params['name']
        changes = self.differences(current, desired)
        secret, secret_sent = self.resource.secret_body(self.params, current)
        before = self.comparable(current)
        after = self.comparable(current, desired)
        if secret_sent:
            after['secret'] = SECRET_SHOWN
        if not changes and not secret_sent:
            return self.result(False, current, '{0} {1!r} is as wanted'.format(self.resource.kind, name), before, after)
        what = ', '.join(changes + ([secret_sent] if secret_sent else []))
        if self.check_mode:
            preview = dict(self.resource.shown(current), **desired)
            return self.result(True, preview, '{0} {1!r} would be updated: {2}'.format(self.resource.kind, name, what),
                               before, after, secret_sent)
        self.client.update_object(self.item(current['id']), self.body(current, desired, secret))
        return self.result(True, self.read(current['id']), '{0} {1!r} updated: {2}'.format(self.resource.kind, name, what),
                           before, after, secret_sent)

    def absent(self, current):
        name = self.params['name']
        if current is None:
            return self.result(False, None, 'no {0} {1!r}; nothing to delete'.format(self.resource.kind, name),
                               {}, {})
        before = self.comparable(current)
        if not self.check_mode:
            try:
                self.client.delete_object(self.item(current['id']))
            except SemaphoreNotFoundError:
                pass  # gone already (a retried DELETE whose first copy was carried out)
            except SemaphoreHTTPError as exc:
                raise self.in_use(exc, current) from None
        return self.result(True, current, '{0} {1!r} {2}deleted'.format(
            self.resource.kind, name, 'would be ' if self.check_mode else ''), before, {})

    def in_use(self, exc, current):
        """A delete refused because other objects use this one (§13, §14): 400 with ``inUse`` for keys,
        repositories, inventories and environments (whose text always says "templates"); for a
        template another one builds from, 400 (SQL) or 409 (BoltDB) with an empty body. ``/refs``
        tells which objects they are."""
        said = exc.server_message or ''
        if exc.status not in (400, 409) or (said and 'in use' not in said):
            return exc
        try:
            refs = self.client.get_object(self.item(current['id']) + '/refs') or {}
        except SemaphoreError:
            refs = {}
        users = ['{0} {1!r}'.format(kind, item.get('name')) for group, kind in REFERRING_KINDS
                 for item in refs.get(group) or []]
        if not users and not said:
            return exc
        return SemaphoreError('{0} {1!r} (id {2}) is in use{3}; change or delete {4} first'.format(
            self.resource.kind, self.params['name'], current['id'],
            ' by ' + ', '.join(users) if users else ': ' + said, 'them' if users else 'what uses it'))
