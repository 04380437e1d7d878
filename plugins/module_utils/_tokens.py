# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Idempotent management of the authenticated user's API tokens, on every Semaphore version.

What the server shows of a token depends on its version (§5): up to 2.13 the list
holds full secrets, DELETE expires a token given in full and expired tokens stay listed; from 2.14
the list holds 8-character prefixes and DELETE removes every token starting with the value; 2.18
adds ``name`` and ``expires_at``. The list itself tells the first difference apart, so the version
is only read when a name or an expiry is asked for. §n: sections of docs/server-behaviour.md.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, answer_may_be_lost, parse_time
from ansible_collections.semaphore.api.plugins.module_utils._versions import shown, since

PREFIX_LENGTH = 8
# The server refuses shorter or other values with 400 (§5, DELETE).
_TOKEN_VALUE = re.compile(r'^[A-Za-z0-9_=-]{8,}$')


class TokenCreationUncertain(SemaphoreError):
    """The token POST failed without a clear answer; it is never resent (a second token would be minted)."""

    def __init__(self, cause, found):
        self.cause = cause
        super().__init__('the token request failed and was not repeated ({0}); {1}'.format(cause, found))


class TokenInputError(SemaphoreError):
    """The token options cannot be acted on (bad prefix, feature missing on this server version)."""


def token_view(raw):
    """What the module may show of a token: never its secret, only the 8-character prefix."""
    return {
        'prefix': (raw.get('id') or '')[:PREFIX_LENGTH],
        'name': raw.get('name') or None,
        'created': raw.get('created'),
        'expired': bool(raw.get('expired')),
        'expires_at': raw.get('expires_at') or None,
        'user_id': raw.get('user_id'),
    }


def is_active(raw, now=None):
    if raw.get('expired'):
        return False
    expires_at = parse_time(raw.get('expires_at'))
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return expires_at is None or expires_at > now


def newest_first(tokens):
    return sorted(tokens, key=lambda raw: raw.get('created') or '', reverse=True)


def check_token_value(value):
    if not _TOKEN_VALUE.match(value or ''):
        raise TokenInputError('token must be the full secret or at least its first {0} characters '
                              '(letters, digits, "_", "-", "="); got a value of {1} characters'.format(PREFIX_LENGTH, len(value or '')))


class TokenManager:
    """Brings the user's tokens to the wanted state; every write goes through ``_write``."""

    def __init__(self, client, check_mode=False):
        self.client = client
        self.check_mode = check_mode
        self._tokens = None
        # Prefixes of revoked tokens the server still accepts (BoltDB up to 2.13).
        self.still_accepted = []

    def tokens(self):
        if self._tokens is None:
            self._tokens = newest_first(self.client.list_tokens())
        return self._tokens

    def active_tokens(self):
        return [raw for raw in self.tokens() if is_active(raw)]

    def matching(self, token=None, name=None):
        """Active tokens given by secret or prefix (``token``) or by ``name``, newest first."""
        found = []
        for raw in self.active_tokens():
            listed = raw.get('id') or ''
            by_value = token and (listed.startswith(token) if len(listed) > PREFIX_LENGTH else listed == token[:PREFIX_LENGTH])
            by_name = name and raw.get('name') == name
            if by_value or by_name:
                found.append(raw)
        return found

    def _require_names(self, name, expires_at):
        if (name or expires_at) and not self.client.supports('token_names'):
            raise TokenInputError('token names and expiry dates need Semaphore {0} or later; this server is {1}'.format(
                shown(since('token_names')), shown(self.client.server_version())))

    def _revoke(self, raw):
        """Expire by full secret up to 2.13; delete by the 8-character prefix from 2.14, so the
        secret never travels in a URL (proxies log URLs)."""
        listed = raw.get('id') or ''
        if self.check_mode:
            return
        if len(listed) <= PREFIX_LENGTH:
            self.client.revoke_token(listed[:PREFIX_LENGTH])
            return
        self.client.revoke_token(listed)
        try:
            accepted = self.client.token_still_accepted(listed)
        except SemaphoreError as exc:
            self.client.warn('could not check that token {0}... no longer works: {1}'.format(listed[:PREFIX_LENGTH], exc))
            return
        if accepted:
            self.still_accepted.append(listed[:PREFIX_LENGTH])
            self.client.warn(
                'token {0}... is marked expired but the server still accepts it: Semaphore up to 2.13 on BoltDB '
                'ignores the expired flag, so an API token cannot be revoked there (Semaphore 2.14 and later '
                'delete tokens; SQL backends honour the flag)'.format(listed[:PREFIX_LENGTH]))

    def _prefixes(self, tokens):
        return sorted(raw.get('id', '')[:PREFIX_LENGTH] for raw in tokens)

    def ensure_present(self, token=None, name=None, rotate=False, expires_at=None):
        if token:
            check_token_value(token)
        self._require_names(name, expires_at)
        before = self.active_tokens()
        matches = self.matching(token, name) if (token or name) else []
        if matches and not rotate:
            return self._reused(matches[0], token, before)
        if not token and not name and not rotate and before:
            # Never reuse a token that was not named: the play may revoke what it receives at the end,
            # and a token the user made for something else would go with it.
            self.client.warn(
                'without name or token, every run creates a new API token ({0} active ones exist already and are '
                'left alone); pass name (Semaphore 2.18+) or token (the secret you hold), or revoke the token at '
                'the end of the play (state=absent, token=<secret>, when: result.created)'.format(len(before)))
        # Create before revoking: the matches may include the token this run authenticates with,
        # and once it is revoked the creation would be refused, leaving no token at all.
        created = None if self.check_mode else self._create(name, expires_at)
        self._revoke_after_creation(matches, created)
        after_prefixes = [p for p in self._prefixes(before) if p not in self._prefixes(matches)]
        after_prefixes.append(created['id'][:PREFIX_LENGTH] if created else '(new token)')
        result = {
            'changed': True,
            'created': not self.check_mode,
            'revoked': [token_view(raw) for raw in matches],
            'diff': {'before': {'tokens': self._prefixes(before)}, 'after': {'tokens': sorted(after_prefixes)}},
            'msg': 'A new token would be created.' if self.check_mode else 'A new token was created.',
        }
        if created:
            result['token'] = created['id']
            result['api_token'] = token_view(created)
        if self.still_accepted:
            result['still_accepted'] = list(self.still_accepted)
        return result

    def _revoke_after_creation(self, matches, created):
        new_prefix = created['id'][:PREFIX_LENGTH] if created else None
        for raw in matches:
            if (raw.get('id') or '')[:PREFIX_LENGTH] == new_prefix:
                continue  # deleting by this prefix would also delete the new token
            try:
                self._revoke(raw)
            except SemaphoreError as exc:
                # The new secret exists only in this result: hand it back with the failure.
                exc.result = {'changed': True, 'token': created['id'], 'api_token': token_view(created)}
                raise

    def _create(self, name, expires_at):
        """POST once. When the answer is lost the token may exist with its secret gone: say which."""
        known = set(self._prefixes(self.tokens()))
        try:
            return self.client.create_token(name=name, expires_at=expires_at)
        except SemaphoreError as exc:
            if not answer_may_be_lost(exc):
                raise
            try:
                fresh = [p for p in self._prefixes(newest_first(self.client.list_tokens())) if p not in known]
            except SemaphoreError:
                fresh = None
            if fresh:
                found = ('token(s) {0} appeared meanwhile and may be the one whose secret was lost; revoke with '
                         'state=absent and token=<prefix>').format(', '.join(p + '...' for p in fresh))
            elif fresh is None:
                found = 'the token list could not be read to check whether one was created'
            else:
                found = 'no new token was created'
            raise TokenCreationUncertain(exc, found) from None

    def _reused(self, raw, token, before):
        result = {
            'changed': False,
            'created': False,
            'api_token': token_view(raw),
            'revoked': [],
            'diff': {'before': {'tokens': self._prefixes(before)}, 'after': {'tokens': self._prefixes(before)}},
        }
        if token:
            result['msg'] = 'The given token is still active.'
        else:
            # Kept by name (2.18+): the server shows a token's secret only when it is created.
            result['msg'] = ("An active token '{0}' ({1}...) exists and was kept. Semaphore shows a token's secret only "
                             "when it is created, so it is not returned; use rotate=true for a new secret.").format(
                                 raw.get('name') or '', (raw.get('id') or '')[:PREFIX_LENGTH])
        return result

    def ensure_absent(self, token=None, name=None):
        if token:
            check_token_value(token)
        if name:
            self._require_names(name, None)
        before = self.active_tokens()
        matches = self.matching(token, name)
        for raw in matches:
            self._revoke(raw)
        gone = self._prefixes(matches)
        result = {
            'changed': bool(matches),
            'revoked': [token_view(raw) for raw in matches],
            'diff': {'before': {'tokens': self._prefixes(before)},
                     'after': {'tokens': [p for p in self._prefixes(before) if p not in gone]}},
            'msg': ('{0} token(s) {1}revoked.'.format(len(matches), 'would be ' if self.check_mode else '')
                    if matches else 'No matching active token; nothing to revoke.'),
        }
        if self.still_accepted:
            result['still_accepted'] = list(self.still_accepted)
        return result
