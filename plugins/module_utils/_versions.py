# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Which Semaphore release brought each behaviour the collection adapts to: the one version table.

Every decision that depends on the server's version names a feature of ``SINCE`` and asks
``at_least`` or ``older_than``; nothing else in plugins/ compares versions (a unit test checks).
§n: sections of docs/server-behaviour.md; docs/version-differences.md tells the same per feature.

A version is the ``(major, minor, patch)`` tuple of ``parse_version``, or None when the server does
not say (a source build): None counts as the newest release.
"""

from __future__ import annotations

import re

SINCE = {
    # POST /tasks (§6.1, §10)
    'task_git_branch': (2, 10, 31),         # a task's own git_branch; ignored before
    'task_params': (2, 11),                 # the params object: tags, skip_tags, debug_level; both shapes read up to 2.13
    'inventory_override_checked': (2, 11),  # task_params.allow_override_inventory guards inventory_id
    'task_reject': (2, 11),                 # POST /tasks/{id}/reject
    'debug_override_checked': (2, 13),      # task_params.allow_debug guards debug
    'flags_in_params_only': (2, 14),        # top-level debug, dry_run, diff and limit are ignored
    'limit_tags_overrides_checked': (2, 14),  # allow_override_limit / _tags / _skip_tags guard them
    'task_environment_wins': (2, 16),       # up to 2.15 the template's environment keys win, and a
                                            # template without one fails a launch that sends one
    'auto_approve': (2, 16),                # Terraform's params.auto_approve
    # API tokens (§5.2)
    'token_names': (2, 18),                 # name and expires_at
    # Templates (§6, §14)
    'template_task_params': (2, 11),        # task_params: allow_debug, allow_override_inventory/limit/tags/skip_tags
    'template_branch_override': (2, 14),    # allow_override_branch_in_task
    'template_parallel_tasks': (2, 16, 1),  # allow_parallel_tasks (2.10.32 drops it)
    'template_environment_ids': (2, 16),    # the environment is linked by environment_ids; a read
                                            # answers environment_id 0 (Terraform provider, 2.16.51)
    'template_more_apps': (2, 16),          # apps terragrunt and pulumi (2.10.32 refuses them after
                                            # creating the template; first release unplaced: 2.16 by rule)
    'survey_default_value': (2, 19),        # survey variables' default_value
}


def parse_version(text):
    """Turn ``/api/info``'s ``version`` (``2.16.51-0a1b2c3-1747000000``) into ``(2, 16, 51)``.

    Source builds report ``undefined-00000000-``: that gives None (the newest behaviour).
    """
    match = re.match(r'^v?(\d+)\.(\d+)(?:\.(\d+))?', text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def since(feature):
    """The first release that has ``feature`` (a key of SINCE)."""
    return SINCE[feature]


def at_least(version, feature):
    """True when a server of ``version`` has ``feature``; an unknown version counts as the newest."""
    minimum = SINCE[feature]
    return version is None or tuple(version[:len(minimum)]) >= minimum


def older_than(version, feature):
    """True only for a known version that lacks ``feature``."""
    return not at_least(version, feature)


def shown(version):
    """``(2, 10, 31)`` as ``2.10.31``; None (unknown) as ``unknown``."""
    return '.'.join(str(part) for part in version) if version else 'unknown'


def features(version):
    """Every feature of SINCE with whether a server of ``version`` has it."""
    return dict((feature, at_least(version, feature)) for feature in SINCE)
