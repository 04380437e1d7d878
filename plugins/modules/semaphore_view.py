#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_view
short_description: Manage a view (a tab of templates) of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes a view of a Semaphore project, by title. Views are the tabs the
    web UI groups templates in (semaphore.api.semaphore_template's O(semaphore.api.semaphore_template#module:view)),
    ordered by O(position).
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  name:
    description:
      - The view's title, which identifies it within its project.
    aliases: [title]
  position:
    description:
      - Where the tab is shown, from the left (lowest first).
    type: int
'''

EXAMPLES = r'''
- name: Tabs in this order
  semaphore.api.semaphore_view:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: "{{ item.0 }}"
    position: "{{ item.1 }}"
  loop: "{{ ['Deploys', 'Maintenance', 'Reports'] | zip(range(3)) | list }}"
'''

RETURN = r'''
view:
  description: The view as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 2, title: Deploys, project_id: 1, position: 0}
id:
  description: The view's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 2
project_id:
  description: The id of the project.
  returned: always
  type: int
  sample: 1
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: view 'Deploys' created
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCE_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        name=dict(type='str', required=True, aliases=['title']),
        position=dict(type='int'),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'view')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
