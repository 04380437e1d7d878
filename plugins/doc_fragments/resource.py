# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """Options and behaviour shared by the modules that manage one kind of project object."""

    DOCUMENTATION = r'''
options:
  project:
    description:
      - The project the object belongs to, by name or id.
    type: str
    required: true
  name:
    description:
      - The object's name, which identifies it within its project.
      - Semaphore does not keep names unique; when two objects share the name the module fails and
        names their ids rather than guess (give O(id) then).
    type: str
    required: true
  id:
    description:
      - The object's id. When given, it identifies the object and O(name) renames it.
    type: int
  state:
    description:
      - V(present) creates the object, or updates it when a field differs. Options left unset keep
        the server's values.
      - V(absent) deletes it. Semaphore refuses to delete an object that others use (a template, an
        inventory or a repository); the module then fails and says so.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Reads only; the result and the diff show what would be sent.
  diff_mode:
    support: full
    details: The diff shows the managed fields before and after, never a secret.
notes:
  - The object is sent whole on every update, as Semaphore expects (fields it is not sent are reset).
  - References to other objects (keys, repositories) are given by name or id and sent as ids.
'''
