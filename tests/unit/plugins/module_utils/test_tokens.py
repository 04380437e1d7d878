# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreHTTPError
from ansible_collections.semaphore.api.plugins.module_utils._versions import at_least
from ansible_collections.semaphore.api.plugins.module_utils._tokens import (
    TokenInputError,
    TokenManager,
    is_active,
    parse_time,
    token_view,
)

OLD = 'aaaaaaaa93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
NEW = 'bbbbbbbb93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
MINTED = 'cccccccc93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='


class FakeTokenServer:
    """The client seam: list/create/revoke as each Semaphore version answers them (reference section 5)."""

    def __init__(self, version, tokens=(), api_token=None, ignores_expired=False):
        self.version = version
        self.api_token = api_token
        self.tokens = [dict(token) for token in tokens]
        self.calls = []
        # Semaphore up to 2.13 on BoltDB never checks the expired flag (reference section 2.2).
        self.ignores_expired = ignores_expired
        self.warnings = []

    def server_version(self):
        self.calls.append('info')
        return self.version

    def supports(self, feature):
        return at_least(self.server_version(), feature)

    def list_tokens(self):
        self.calls.append('list')
        if self.version >= (2, 14):
            return [dict(token, id=token['id'][:8]) for token in self.tokens]
        return [dict(token) for token in self.tokens]

    def create_token(self, name=None, expires_at=None):
        self.calls.append(('create', name, expires_at))
        token = {'id': MINTED, 'created': '2026-11-28T10:00:00Z', 'expired': False, 'user_id': 1}
        if self.version >= (2, 18):
            token['name'] = name or ''
        self.tokens.append(token)
        return dict(token)

    def revoke_token(self, value):
        self.calls.append(('revoke', value))
        for listed in self.tokens:
            if listed['id'] == value:
                listed['expired'] = True

    def token_still_accepted(self, secret):
        self.calls.append('check')
        return any(listed['id'] == secret and (self.ignores_expired or not listed['expired']) for listed in self.tokens)

    def warn(self, message):
        self.warnings.append(message)


def token(value, created, **extra):
    return dict({'id': value, 'created': created, 'expired': False, 'user_id': 1}, **extra)


V210, V216, V218 = (2, 10, 32), (2, 16, 51), (2, 18, 2)


def writes(server):
    return [call for call in server.calls if isinstance(call, tuple)]


@pytest.mark.parametrize('version', [V210, V216, V218])
def test_without_token_or_name_a_new_token_is_created_and_existing_ones_are_left_alone(version):
    # Up to 2.13 the list shows the existing secret, but a play that revokes what it receives at the
    # end would then revoke a token the user made for something else.
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z')])
    result = TokenManager(server).ensure_present()
    assert result['changed'] is True and result['created'] is True
    assert result['token'] == MINTED
    assert result['revoked'] == []
    assert result['diff'] == {'before': {'tokens': ['aaaaaaaa']}, 'after': {'tokens': ['aaaaaaaa', 'cccccccc']}}
    assert writes(server) == [('create', None, None)]


@pytest.mark.parametrize('version', [V210, V216, V218])
def test_a_held_token_that_is_still_active_is_unchanged(version):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z')])
    result = TokenManager(server).ensure_present(token=OLD)
    assert result['changed'] is False
    assert 'token' not in result
    assert result['msg'] == 'The given token is still active.'
    assert writes(server) == []


@pytest.mark.parametrize('version', [V210, V216])
def test_a_held_token_that_is_gone_or_expired_is_replaced(version):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z', expired=True)])
    result = TokenManager(server).ensure_present(token=OLD)
    assert result['changed'] is True and result['token'] == MINTED


def test_named_token_is_kept_without_its_secret_and_the_message_says_why():
    server = FakeTokenServer(V218, [token(OLD, '2025-01-01T00:00:00Z', name='ci')])
    result = TokenManager(server).ensure_present(name='ci')
    assert result['changed'] is False
    assert 'token' not in result
    assert 'shows a token\'s secret only when it is created' in result['msg']
    assert OLD not in result['msg']
    assert writes(server) == []


def test_named_token_is_created_with_its_name_and_expiry():
    server = FakeTokenServer(V218, [token(OLD, '2025-01-01T00:00:00Z', name='other')])
    result = TokenManager(server).ensure_present(name='ci', expires_at='2030-01-01T00:00:00Z')
    assert result['changed'] is True
    assert writes(server) == [('create', 'ci', '2030-01-01T00:00:00Z')]


@pytest.mark.parametrize('version', [V210, V216])
def test_names_need_2_18(version):
    server = FakeTokenServer(version)
    with pytest.raises(TokenInputError, match='need Semaphore 2.18 or later; this server is 2.1'):
        TokenManager(server).ensure_present(name='ci')
    assert writes(server) == []


@pytest.mark.parametrize('version, revoked_with', [(V210, OLD), (V216, 'aaaaaaaa'), (V218, 'aaaaaaaa')])
def test_rotate_revokes_then_creates(version, revoked_with):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z')])
    result = TokenManager(server).ensure_present(token=OLD, rotate=True)
    assert writes(server) == [('create', None, None), ('revoke', revoked_with)]
    assert result['token'] == MINTED
    assert [item['prefix'] for item in result['revoked']] == ['aaaaaaaa']


def test_check_mode_writes_nothing_and_predicts_the_change():
    server = FakeTokenServer(V216, [token(OLD, '2025-01-01T00:00:00Z', name='ci')])
    result = TokenManager(server, check_mode=True).ensure_present(token=OLD, rotate=True)
    assert result['changed'] is True
    assert writes(server) == []
    assert 'token' not in result
    assert result['diff']['after'] == {'tokens': ['(new token)']}


@pytest.mark.parametrize('version, given, revoked_with', [
    (V210, OLD, OLD), (V210, 'aaaaaaaa', OLD),
    (V216, OLD, 'aaaaaaaa'), (V216, 'aaaaaaaa', 'aaaaaaaa'),
])
def test_absent_by_secret_or_prefix(version, given, revoked_with):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z'), token(NEW, '2025-02-01T00:00:00Z')])
    result = TokenManager(server).ensure_absent(token=given)
    assert result['changed'] is True
    assert writes(server) == [('revoke', revoked_with)]
    assert result['diff']['after'] == {'tokens': ['bbbbbbbb']}


def test_a_revoked_token_that_still_works_is_reported():
    server = FakeTokenServer(V210, [token(OLD, '2025-01-01T00:00:00Z')], ignores_expired=True)
    result = TokenManager(server).ensure_absent(token='aaaaaaaa')
    assert result['changed'] is True and result['still_accepted'] == ['aaaaaaaa']
    assert server.calls[-1] == 'check'
    assert len(server.warnings) == 1 and 'still accepts it' in server.warnings[0] and OLD not in server.warnings[0]


def test_a_revoked_token_is_checked_only_where_revoking_means_expiring():
    old_server = FakeTokenServer(V210, [token(OLD, '2025-01-01T00:00:00Z')])
    assert 'still_accepted' not in TokenManager(old_server).ensure_absent(token=OLD)
    assert old_server.calls.count('check') == 1 and old_server.warnings == []
    new_server = FakeTokenServer(V216, [token(OLD, '2025-01-01T00:00:00Z')])
    TokenManager(new_server).ensure_absent(token=OLD)
    assert 'check' not in new_server.calls


@pytest.mark.parametrize('version', [V210, V216])
def test_absent_is_unchanged_when_already_gone_or_expired(version):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z', expired=True)])
    result = TokenManager(server).ensure_absent(token=OLD)
    assert result['changed'] is False
    assert writes(server) == []


def test_absent_by_name_deletes_every_token_of_that_name_by_prefix():
    server = FakeTokenServer(V218, [token(OLD, '2025-01-01T00:00:00Z', name='ci'), token(NEW, '2025-02-01T00:00:00Z', name='ci'),
                                    token(MINTED, '2025-03-01T00:00:00Z', name='keep')])
    result = TokenManager(server).ensure_absent(name='ci')
    assert writes(server) == [('revoke', 'bbbbbbbb'), ('revoke', 'aaaaaaaa')]
    assert result['diff']['after'] == {'tokens': ['cccccccc']}


@pytest.mark.parametrize('state, value', [('absent', 'short'), ('absent', 'abc/defgh'), ('present', 'x')])
def test_prefix_shorter_than_8_or_with_bad_characters_is_refused(state, value):
    server = FakeTokenServer(V216)
    manager = TokenManager(server)
    with pytest.raises(TokenInputError, match='at least its first 8 characters'):
        manager.ensure_absent(token=value) if state == 'absent' else manager.ensure_present(token=value)
    assert server.calls == []


def test_token_past_its_expiry_is_not_active():
    assert is_active(token(OLD, '2025-01-01T00:00:00Z', expires_at='2000-01-01T00:00:00Z')) is False
    assert is_active(token(OLD, '2025-01-01T00:00:00Z', expires_at='2999-01-01T00:00:00.5+02:00')) is True
    assert is_active(token(OLD, '2025-01-01T00:00:00Z', expired=True)) is False


def test_view_never_holds_the_secret():
    view = token_view(token(OLD, '2025-01-01T00:00:00Z', name='ci'))
    assert OLD not in str(view)
    assert view == {'prefix': 'aaaaaaaa', 'name': 'ci', 'created': '2025-01-01T00:00:00Z', 'expired': False,
                    'expires_at': None, 'user_id': 1}


def test_parse_time_accepts_fractions_and_offsets():
    assert parse_time('2025-10-14T09:12:33.481516227Z').isoformat() == '2025-10-14T09:12:33.481516+00:00'
    assert parse_time('2025-10-14T09:12:33+02:00').utcoffset().total_seconds() == 7200
    assert parse_time('') is None and parse_time('garbage') is None


@pytest.mark.parametrize('version', [V210, V216])
def test_the_token_this_run_authenticates_with_is_not_reused_either(version):
    server = FakeTokenServer(version, [token(NEW, '2025-02-01T00:00:00Z')], api_token=NEW)
    result = TokenManager(server).ensure_present()
    assert result['created'] is True and result['token'] == MINTED
    assert writes(server) == [('create', None, None)]


def test_a_kept_token_is_reported_as_not_created():
    server = FakeTokenServer(V210, [token(OLD, '2025-01-01T00:00:00Z')])
    result = TokenManager(server).ensure_present(token=OLD)
    assert result['created'] is False


def test_check_mode_reports_that_nothing_was_created():
    server = FakeTokenServer(V210, [token(OLD, '2025-01-01T00:00:00Z')])
    result = TokenManager(server, check_mode=True).ensure_present()
    assert result['changed'] is True and result['created'] is False
    assert writes(server) == []


@pytest.mark.parametrize('version', [V210, V216])
def test_rotating_the_authenticating_token_creates_before_revoking(version):
    server = FakeTokenServer(version, [token(OLD, '2025-01-01T00:00:00Z')], api_token=OLD)
    result = TokenManager(server).ensure_present(token=OLD, rotate=True)
    assert [call[0] for call in writes(server)] == ['create', 'revoke']
    assert result['token'] == MINTED


def test_a_failed_revoke_after_creation_still_returns_the_new_secret():
    class RevokeFails(FakeTokenServer):
        def revoke_token(self, value):
            raise SemaphoreHTTPError('DELETE', '/api/user/tokens/' + value, 500)

    server = RevokeFails(V216, [token(OLD, '2025-01-01T00:00:00Z')])
    with pytest.raises(SemaphoreHTTPError) as caught:
        TokenManager(server).ensure_present(token=OLD, rotate=True)
    assert caught.value.result['changed'] is True
    assert caught.value.result['token'] == MINTED


@pytest.mark.parametrize('version, listed, warned', [(V216, [token(OLD, '2025-01-01T00:00:00Z')], True),
                                                     (V210, [token(OLD, '2025-01-01T00:00:00Z')], True),
                                                     (V210, [token(OLD, '2025-01-01T00:00:00Z', expired=True)], False),
                                                     (V216, [], False), (V210, [], False)])
def test_a_token_without_name_or_secret_warns_where_each_run_creates_one(version, listed, warned):
    server = FakeTokenServer(version, listed)
    TokenManager(server).ensure_present()
    assert bool([w for w in server.warnings if 'every run creates a new API token' in w]) is warned
