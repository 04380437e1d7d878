# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""The body of a task launch for the server's version, and the overrides it would silently drop.

§n: sections of docs/server-behaviour.md (the version rules are in docs/version-differences.md).
Where a server version decides, the feature is looked up in module_utils/_versions.py.
"""

from __future__ import annotations

import json

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError
from ansible_collections.semaphore.api.plugins.module_utils._versions import at_least, older_than, shown, since

# Options that are copied into the launch body unchanged (no flag guards them).
_PLAIN_FIELDS = (('task_message', 'message'), ('playbook', 'playbook'))

# Override -> (where the template keeps its flag, flag name, the feature from which the server
# checks that flag; None: on every version). Before that release the server honoured the field
# unconditionally or had no flag (§6.1, §10).
OVERRIDE_FLAGS = {
    'debug': ('task_params', 'allow_debug', 'debug_override_checked'),
    'debug_level': ('task_params', 'allow_debug', 'debug_override_checked'),
    'limit': ('task_params', 'allow_override_limit', 'limit_tags_overrides_checked'),
    'tags': ('task_params', 'allow_override_tags', 'limit_tags_overrides_checked'),
    'skip_tags': ('task_params', 'allow_override_skip_tags', 'limit_tags_overrides_checked'),
    'inventory': ('task_params', 'allow_override_inventory', 'inventory_override_checked'),
    'arguments': ('template', 'allow_override_args_in_task', None),
    # git_branch is absent on purpose: the server applies any non-empty branch whatever
    # allow_override_branch_in_task says (only the web UI checks that flag), so nothing is ignored.
}

# Overrides a server ignores before the release that brought them (§10).
OPTION_FEATURES = {
    'tags': 'task_params',
    'skip_tags': 'task_params',
    'debug_level': 'task_params',
    'params': 'task_params',
    'git_branch': 'task_git_branch',
}

# The options whose payload shape, or what the server does with them, depends on its version.
_VERSION_DEPENDENT = ('limit', 'tags', 'skip_tags', 'debug', 'debug_level', 'semaphore_dry_run', 'semaphore_diff',
                      'params', 'inventory', 'git_branch', 'environment')


class SemaphoreOverrideError(SemaphoreError):
    """Requested overrides that the template (or the server version) would silently ignore."""

    def __init__(self, refused):
        self.refused = refused
        super().__init__('the template does not allow these overrides, the server would silently ignore them: {0}'.format(
            '; '.join('{0} ({1})'.format(name, reason) for name, reason in refused)))


def as_list(value):
    """A list of strings from a list or a comma-separated string; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(',')
    return [str(item).strip() for item in value if str(item).strip()]


def needs_version(options):
    """Whether the server's version must be read for these options (§10)."""
    return options.get('confirm') == 'reject' or any(options.get(name) is not None for name in _VERSION_DEPENDENT)


def wants_auto_approve(options):
    return bool((options.get('params') or {}).get('auto_approve'))


def needs_template(options, version=None):
    """The template must be read only when a guarded override is requested, or an environment is
    sent to a server where the template's environment decides what happens to it."""
    if any(options.get(name) is not None for name in OVERRIDE_FLAGS) or wants_auto_approve(options):
        return True
    return needs_template_environment(options, version)


def needs_template_environment(options, version):
    return bool(options.get('environment')) and not at_least(version, 'task_environment_wins')


def check_confirm(options, version):
    """confirm=reject must fail before anything is launched on a server that cannot reject."""
    if options.get('confirm') == 'reject' and older_than(version, 'task_reject'):
        raise SemaphoreError('confirm=reject needs Semaphore {0} or later (this server is {1} and has no reject '
                             'endpoint); reject the plan in the web UI, or stop the task'.format(
                                 shown(since('task_reject')), shown(version)))


def check_overrides(options, template, version, template_environment=None):
    """Return ``[(override, reason)]`` for overrides the server would silently drop.

    ``template_environment`` is the template's environment JSON (a string), read only for servers
    where the template's keys win (up to 2.15).
    """
    refused = _refused_by_template_flags(options, template, version)
    for name, feature in OPTION_FEATURES.items():
        if options.get(name) not in (None, [], {}) and older_than(version, feature):
            refused.append((name, 'needs Semaphore {0} or later, the server is {1}'.format(shown(since(feature)), shown(version))))
    if wants_auto_approve(options) and at_least(version, 'task_params'):
        refused.extend(_check_auto_approve(template, version))
    if needs_template_environment(options, version):
        refused.extend(_check_environment(options['environment'], template, template_environment, version))
    return refused


def _refused_by_template_flags(options, template, version):
    refused = []
    for name, (where, flag, feature) in OVERRIDE_FLAGS.items():
        value = options.get(name)
        if value is None or value is False or value == []:
            # debug: false, or an empty list, asks for nothing the template could refuse.
            continue
        if name == 'debug_level' and not options.get('debug'):
            continue
        if feature is not None and older_than(version, feature):
            continue
        holder = (template.get('task_params') or {}) if where == 'task_params' else template
        if not holder.get(flag):
            refused.append((name, 'template flag {0} is off'.format(flag)))
    return refused


def _check_auto_approve(template, version):
    if older_than(version, 'auto_approve'):
        return [('params.auto_approve', 'needs Semaphore {0} or later, the server is {1}; the plan will wait '
                                        'for confirmation (use confirm)'.format(shown(since('auto_approve')), shown(version)))]
    flags = template.get('task_params') or {}
    if flags.get('auto_approve') or flags.get('allow_auto_approve'):
        return []
    return [('params.auto_approve', 'template flag allow_auto_approve is off, so the plan will wait for '
                                    'confirmation (use confirm)')]


def _check_environment(environment, template, template_environment, version):
    """Up to 2.15 the template's environment is applied over the task's (§6.1)."""
    fixed_in = shown(since('task_environment_wins'))
    if not template.get('environment_id') or not (template_environment or '').strip():
        return [('environment', 'the template has no environment, and Semaphore {0} fails a launch that sends one '
                                '(fixed in {1})'.format(shown(version), fixed_in))]
    try:
        fixed = json.loads(template_environment)
    except ValueError:
        fixed = {}
    clashing = sorted(key for key in environment if isinstance(fixed, dict) and key in fixed)
    if clashing:
        return [('environment', "the template's environment sets {0}, which wins over the task's on Semaphore {1} "
                                '(the task wins from {2})'.format(', '.join(clashing), shown(version), fixed_in))]
    return []


def build_payload(template_id, options, version=None, inventory_id=None):
    """The ``POST /tasks`` body for this server version (§6.1, §10).

    Before ``task_params`` (2.11) the Ansible flags are top-level fields; from then until
    ``flags_in_params_only`` (2.14) the server honours both, so both are sent; from 2.14 only
    ``params`` counts. ``version`` None means newest.
    """
    payload = _common_fields(template_id, options, inventory_id)
    limit = as_list(options.get('limit'))
    flags = {}
    for option, field in (('debug', 'debug'), ('semaphore_dry_run', 'dry_run'), ('semaphore_diff', 'diff')):
        if options.get(option) is not None:
            flags[field] = bool(options[option])
    if older_than(version, 'flags_in_params_only'):
        payload.update(flags)
        if limit is not None:
            payload['limit'] = ','.join(limit)
    if at_least(version, 'task_params'):
        params = _params(options, flags, limit)
        if params:
            payload['params'] = params
    return payload


def _common_fields(template_id, options, inventory_id):
    """The fields every version reads the same way."""
    payload = {'template_id': template_id}
    for option, field in _PLAIN_FIELDS:
        if options.get(option) is not None:
            payload[field] = options[option]
    if options.get('git_branch') is not None:
        payload['git_branch'] = options['git_branch']
    if inventory_id is not None:
        payload['inventory_id'] = inventory_id
    if options.get('environment') is not None:
        payload['environment'] = json.dumps(options['environment'], sort_keys=True)
    if options.get('secret_environment') is not None:
        payload['secret'] = json.dumps(options['secret_environment'], sort_keys=True)
    if options.get('arguments') is not None:
        payload['arguments'] = json.dumps([str(arg) for arg in options['arguments']])
    return payload


def _params(options, flags, limit):
    """The ``params`` object (2.11+): the user's own params, then the Ansible flags as lists."""
    params = dict(options.get('params') or {})
    params.update(flags)
    if options.get('debug_level') is not None:
        params['debug_level'] = int(options['debug_level'])
    if limit is not None:
        params['limit'] = limit
    for option in ('tags', 'skip_tags'):
        if options.get(option) is not None:
            params[option] = as_list(options[option])
    return params


def redact_payload(payload):
    """The payload as it may be shown: the secret variables are hidden."""
    shown_payload = dict(payload)
    if 'secret' in shown_payload:
        shown_payload['secret'] = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    return shown_payload
