#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_schedule
short_description: Manage a cron schedule of a Semaphore template
version_added: 2.2.0
description:
  - Creates, updates or deletes a schedule that runs a template of a Semaphore project, by name.
  - The cron expression is checked by the server's own validation endpoint before anything is
    written (in check mode too), so a wrong one fails with the server's reason.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  template:
    description:
      - The template (by name or id) the schedule runs. Needed to create a schedule.
    type: str
  cron_format:
    description:
      - When it runs, in cron syntax with five fields (minute hour day-of-month month day-of-week),
        for example V(30 2 * * 1-5), in the server's time zone. Needed to create a schedule.
    type: str
  active:
    description:
      - Whether the schedule runs. A schedule created without this option is active.
    type: bool
'''

EXAMPLES = r'''
- name: Deploy every weekday at 02:30
  semaphore.api.semaphore_schedule:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: nightly deploy
    template: Deploy
    cron_format: "30 2 * * 1-5"

- name: Pause it
  semaphore.api.semaphore_schedule:
    project: Infrastructure
    name: nightly deploy
    active: false
'''

RETURN = r'''
schedule:
  description: The schedule as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 1, name: nightly deploy, project_id: 1, template_id: 3, cron_format: "30 2 * * 1-5", active: true,
           repository_id: null}
id:
  description: The schedule's id (null when it does not exist, or would be created in check mode).
  returned: always
  type: int
  sample: 1
project_id:
  description: The id of the project.
  returned: always
  type: int
  sample: 1
msg:
  description: What the module did, in words.
  returned: always
  type: str
  sample: schedule 'nightly deploy' updated, active
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCE_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        template=dict(type='str'),
        cron_format=dict(type='str'),
        active=dict(type='bool'),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'schedule')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
