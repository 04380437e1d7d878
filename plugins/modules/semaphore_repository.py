#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: semaphore_repository
short_description: Manage a git repository of a Semaphore project
version_added: 2.2.0
description:
  - Creates, updates or deletes a repository of a Semaphore project, by name.
author:
  - semaphore.api contributors (@semaphore-api)
extends_documentation_fragment:
  - semaphore.api.connection
  - semaphore.api.resource
  - semaphore.api.attributes
  - semaphore.api.attributes.ACTION_GROUP
options:
  git_url:
    description:
      - Where Semaphore clones from, for example V(https://github.com/example/playbooks.git),
        V(git@github.com:example/playbooks.git), V(file:///srv/git/playbooks) or a local path.
      - Needed to create a repository.
    type: str
  git_branch:
    description:
      - The branch to check out. Needed to create a repository, unless O(git_url) is a local path.
    type: str
  ssh_key:
    description:
      - The key (by name or id) that clones the repository.
      - When a repository is created without it, the project's key of type V(none) is used
        (Semaphore creates one, named C(None), with every project), for a public repository.
    type: str
'''

EXAMPLES = r'''
- name: The playbooks, cloned with the deploy key
  semaphore.api.semaphore_repository:
    url: https://semaphore.example.com
    api_token: "{{ semaphore_token }}"
    project: Infrastructure
    name: playbooks
    git_url: git@github.com:example/playbooks.git
    git_branch: main
    ssh_key: deploy key
'''

RETURN = r'''
repository:
  description: The repository as the server returned it (null when it does not exist).
  returned: always
  type: dict
  sample: {id: 2, name: playbooks, project_id: 1, git_url: "git@github.com:example/playbooks.git", git_branch: main, ssh_key_id: 4}
id:
  description: The repository's id (null when it does not exist, or would be created in check mode).
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
  sample: repository 'playbooks' updated, git_branch
'''

from ansible_collections.semaphore.api.plugins.module_utils._module import SemaphoreModule
from ansible_collections.semaphore.api.plugins.module_utils._resource_types import RESOURCE_ARGSPEC, run_resource_module

SPEC = dict(
    argument_spec=dict(
        RESOURCE_ARGSPEC,
        git_url=dict(type='str'),
        git_branch=dict(type='str'),
        ssh_key=dict(type='str', no_log=False),
    ),
    supports_check_mode=True,
)


def run_module(module):
    run_resource_module(module, 'repository')


def main():
    run_module(SemaphoreModule(**SPEC))


if __name__ == '__main__':
    main()
