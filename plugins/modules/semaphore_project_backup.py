#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_project_backup
short_description: Save a Semaphore project with Semaphore's own backup, or restore one
version_added: 2.2.0
description:
  - O(state=backup) saves what C(GET /api/project/{id}/backup) returns into a file on the host the
    module runs on (the controller for a local connection).
  - O(state=restored) sends a backup file to C(POST /api/projects/restore), which makes a B(new)
    project of the backup's name. Semaphore cannot restore into an existing project, so when a project
    of that name exists the module changes nothing (give O(name) to restore under another name).
  - Semaphore's backup links objects by name, and its restore attaches a reference to the first
    object of that name; the module refuses a backup in which a kind holds a name twice.
  - Semaphore 2.10 keeps a template's schedule as its C(cron) only (no name, no active flag), and
    keeps neither key secrets nor a template's vault keys.
  - After a restore the module puts back what Semaphore 2.10 leaves out although the backup holds it
    (RV(repaired)), namely the project's C(alert), C(alert_chat) and C(max_parallel_tasks), and a template's
    C(cron), which the server restores as a schedule bound to the template's repository, without a name
    and inactive, so that the project's schedule list (and semaphore.api.semaphore_project_info) does not
    show it. That schedule becomes a plain cron schedule named after its template, still inactive.
  - A restore cannot bring back what the backup does not hold, that is key secrets, environment secrets, and
    the repository of a C(file) inventory (it then reads its path from the template's repository).
    To move a project with everything, semaphore.api.semaphore_project_info
    O(semaphore.api.semaphore_project_info#module:as_code=true) and the role C(semaphore.api.project)
    keep more, and update a project in place.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
attributes:
  check_mode:
    support: full
    details: Reads only; the result says whether the file would change or the project would be made.
  diff_mode:
    support: none
options:
  state:
    description:
      - V(backup) writes the backup of O(project) to O(dest); V(restored) makes a project from O(src).
    type: str
    choices: [backup, restored]
    default: backup
  project:
    description:
      - The project to back up, by name or id. Needed with O(state=backup).
    type: str
  dest:
    description:
      - The file to write the backup to (JSON, mode C(0600)). Needed with O(state=backup). It is
        rewritten only when the backup differs from what it holds.
    type: path
  src:
    description:
      - The backup file to restore. Needed with O(state=restored).
    type: path
  name:
    description:
      - With O(state=restored), the name of the new project instead of the backup's.
    type: str
'''

EXAMPLES = r'''
- name: Back up the project
  semaphore.api.semaphore_project_backup:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    dest: backups/infrastructure.json

- name: Restore it on another server, unless it is there already
  semaphore.api.semaphore_project_backup:
    url: https://semaphore-2.example.com
    api_token: "{{ other_token }}"
    state: restored
    src: backups/infrastructure.json
'''

RETURN = r'''
project_id:
  description: The project backed up, or the one restored (null in check mode when it would be made).
  returned: always
  type: int
  sample: 4
name:
  description: The project's name.
  returned: always
  type: str
  sample: Infrastructure
counts:
  description: How many objects of each kind the backup holds.
  returned: always
  type: dict
  sample: {keys: 2, repositories: 1, inventories: 1, environments: 1, views: 1, templates: 3}
repaired:
  description:
    - What the module put back after the restore, in words (see the description); empty when nothing was
      left out.
  returned: when a project was restored
  type: list
  elements: str
  sample: ["set max_parallel_tasks as the backup has them"]
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: "backup of project 'Infrastructure' written to backups/infrastructure.json"
'''

import json
import os

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, find_by_name
from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule

# The lists of a backup whose objects Semaphore links by name (a view's name is its title).
BACKUP_KINDS = (('keys', 'name'), ('repositories', 'name'), ('inventories', 'name'), ('environments', 'name'),
                ('views', 'title'), ('templates', 'name'))

SPEC = dict(
    argument_spec=dict(
        state=dict(type='str', choices=['backup', 'restored'], default='backup'),
        project=dict(type='str'),
        dest=dict(type='path'),
        src=dict(type='path'),
        name=dict(type='str'),
    ),
    required_if=[('state', 'backup', ('project', 'dest')), ('state', 'restored', ('src',))],
    supports_check_mode=True,
)


def counts(backup):
    return dict((kind, len(backup.get(kind) or [])) for kind, dummy_label in BACKUP_KINDS)


def repeated_names(backup):
    """``kind: names`` for each kind of the backup that holds a name twice."""
    found = []
    for kind, label in BACKUP_KINDS:
        names = [item.get(label) for item in backup.get(kind) or []]
        twice = sorted(set(str(name) for name in names if names.count(name) > 1))
        if twice:
            found.append('{0}: {1}'.format(kind, ', '.join(twice)))
    return found


def read_file(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError) as exc:
        raise SemaphoreError('cannot read the backup {0}: {1}'.format(path, exc)) from None


def back_up(module, client):
    params = module.params
    project_id = client.resolve_project(params['project'])
    backup = client.get_backup(project_id)
    dest = params['dest']
    current = read_file(dest) if os.path.exists(dest) else None
    name = (backup.get('meta') or {}).get('name')
    result = dict(changed=current != backup, project_id=project_id, name=name, counts=counts(backup), dest=dest)
    if not result['changed']:
        result['msg'] = '{0} already holds the backup of project {1!r}'.format(dest, name)
        return result
    if not module.check_mode:
        directory = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(directory):
            raise SemaphoreError('cannot write {0}: {1} is not a directory'.format(dest, directory))
        # The backup holds inventories and variables: readable by its owner only.
        descriptor = os.open(dest + '.part', os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
            json.dump(backup, handle, indent=2, sort_keys=True)
            handle.write('\n')
        os.replace(dest + '.part', dest)
    result['msg'] = 'backup of project {0!r} {1}written to {2}'.format(name, 'would be ' if module.check_mode else '', dest)
    return result


def restore(module, client):
    params = module.params
    backup = read_file(params['src'])
    if not isinstance(backup, dict) or not isinstance(backup.get('meta'), dict):
        raise SemaphoreError('{0} is not a Semaphore project backup (no meta)'.format(params['src']))
    repeated = repeated_names(backup)
    if repeated:
        raise SemaphoreError('the backup names two objects of one kind alike ({0}); Semaphore would attach references '
                             'to the first of them: rename them first'.format('; '.join(repeated)))
    if params['name']:
        backup['meta'] = dict(backup['meta'], name=params['name'])
    name = backup['meta'].get('name')
    result = dict(project_id=None, name=name, counts=counts(backup))
    existing = find_by_name('project', name, client.list_projects())
    if existing is not None:
        result.update(changed=False, project_id=existing['id'],
                      msg='project {0!r} exists (id {1}); Semaphore restores only into a new project'.format(name, existing['id']))
        return result
    result['changed'] = True
    if module.check_mode:
        result['msg'] = 'project {0!r} would be restored from {1}'.format(name, params['src'])
        return result
    project = client.restore_project(backup) or {}
    repaired = put_back(client, project.get('id'), backup) if project.get('id') else []
    result.update(project_id=project.get('id'), repaired=repaired, msg='project {0!r} restored from {1} (id {2}){3}'.format(
        name, params['src'], project.get('id'), '; then ' + '; '.join(repaired) if repaired else ''))
    return result


# Project settings a backup's meta holds that Semaphore 2.10's restore does not store (only name and type).
PROJECT_SETTINGS = ('alert', 'alert_chat', 'max_parallel_tasks')


def put_back(client, project_id, backup):
    """What Semaphore's restore leaves out although the backup holds it, put back (§14); each
    repair in words. The project's settings: 2.10 stores only its name. A template's ``cron``: 2.10
    makes it a schedule bound to the template's repository, without a name and inactive, which the
    project's schedule list does not show; it becomes a plain cron schedule named after its
    template, left inactive (the backup does not say whether it ran)."""
    repaired = []
    project = client.get_project(project_id) or {}
    wanted = dict((key, backup['meta'][key]) for key in PROJECT_SETTINGS if backup['meta'].get(key) not in (None, ''))
    differing = sorted(key for key, value in wanted.items() if project.get(key) != value)
    if differing:
        client.update_object('/project/{0}'.format(project_id), dict(project, id=project_id, **wanted))
        repaired.append('set {0} as the backup has them'.format(', '.join(differing)))
    # A backup with a schedules section (2.16+) has them restored as they were.
    crons = set()
    if 'schedules' not in backup:
        crons = set(item.get('name') for item in backup.get('templates') or [] if item.get('cron'))
    for template in client.list_templates(project_id) if crons else []:
        if template.get('name') not in crons:
            continue
        base = '/project/{0}'.format(project_id)
        for schedule in client.list_objects('{0}/templates/{1}/schedules'.format(base, template['id'])):
            if schedule.get('repository_id') and not schedule.get('name'):
                client.update_object('{0}/schedules/{1}'.format(base, schedule['id']),
                                     dict(schedule, repository_id=None, name=template['name']))
                repaired.append('made the schedule of template {0!r} a cron schedule named {0!r} (inactive: '
                                'activate it with semaphore_schedule active=true)'.format(template['name']))
    return repaired


def run_module(module):
    with module.client() as client:
        try:
            result = (back_up if module.params['state'] == 'backup' else restore)(module, client)
        except SemaphoreError as exc:
            module.fail_from_error(exc, changed=False)
    module.exit_json(**result)


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
