# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import os
import re

import pytest
import requests

from ansible_collections.semaphore.api.plugins.module_utils import _client
from ansible_collections.semaphore.api.plugins.module_utils._client import (
    SemaphoreAuthError,
    SemaphoreClient,
    SemaphoreConnectionError,
    SemaphoreError,
    SemaphoreHTTPError,
    SemaphoreLookupError,
    SemaphoreNotFoundError,
    SemaphoreResponseError,
    api_base_url,
    parse_version,
    redact_path,
)
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import answer, attach, login_answer

SECRET = 'kwofd61g93-yuqvex8efmhjkgnbxlo8mp1tin6spyhu='
PASSWORD = 'Sp\\ec"ial pässwörd'


def make_client(script, **kwargs):
    warnings = []
    sleeps = []
    options = dict(url='http://127.0.0.1:3000', api_token=SECRET, warn=warnings.append, sleep=sleeps.append)
    options.update(kwargs)
    client = SemaphoreClient(**options)
    adapter = attach(client, script)
    adapter.warnings = warnings
    adapter.sleeps = sleeps
    return client, adapter


@pytest.mark.parametrize('url, expected', [
    ('http://sem.example.com', 'http://sem.example.com/api'),
    ('http://sem.example.com/', 'http://sem.example.com/api'),
    ('http://sem.example.com/api', 'http://sem.example.com/api'),
    ('http://sem.example.com/api/', 'http://sem.example.com/api'),
    ('https://example.com/semaphore', 'https://example.com/semaphore/api'),
    ('https://example.com/semaphore/api/', 'https://example.com/semaphore/api'),
])
def test_api_base_url_accepts_the_usual_forms(url, expected):
    assert api_base_url(url) == expected


@pytest.mark.parametrize('url', ['sem.example.com', 'ftp://sem.example.com', '', 'http://'])
def test_api_base_url_rejects_urls_without_scheme_or_host(url):
    with pytest.raises(SemaphoreError, match='must start with http'):
        api_base_url(url)


@pytest.mark.parametrize('text, expected', [
    ('2.16.51-0a1b2c3-1747000000', (2, 16, 51)),
    ('v2.10.32', (2, 10, 32)),
    ('2.18', (2, 18, 0)),
    ('undefined-00000000-', None),
    ('', None),
])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


def test_bearer_token_is_sent_and_json_decoded():
    client, adapter = make_client([answer(200, [{'id': 1, 'name': 'Demo'}])])
    assert client.list_projects() == [{'id': 1, 'name': 'Demo'}]
    assert adapter.sent[0]['headers']['Authorization'] == 'Bearer ' + SECRET
    assert adapter.sent[0]['headers']['Accept'] == 'application/json'
    assert adapter.paths() == ['GET api/projects']


def test_sub_path_is_kept_in_requests_and_messages():
    client, adapter = make_client([answer(404, 'Not Found\n', 'text/plain')], url='https://example.com/semaphore')
    with pytest.raises(SemaphoreNotFoundError) as caught:
        client.list_projects()
    assert adapter.sent[0]['url'] == 'https://example.com/semaphore/api/projects'
    assert str(caught.value) == ('GET /semaphore/api/projects returned HTTP 404: Not Found; '
                                 'check that url is the base URL of the Semaphore server')


def test_password_login_then_logout_on_close():
    client, adapter = make_client(
        [login_answer(), answer(200, []), answer(204)], api_token=None, username='Admin', password=PASSWORD)
    with client:
        assert client.list_tokens() == []
    assert adapter.paths() == ['POST api/auth/login', 'GET api/user/tokens', 'POST api/auth/logout']
    assert json.loads(adapter.sent[0]['body']) == {'auth': 'Admin', 'password': PASSWORD}
    assert 'Authorization' not in adapter.sent[1]['headers']


def test_logout_happens_when_the_work_fails():
    client, adapter = make_client(
        [login_answer(), answer(400), answer(204)], api_token=None, username='admin', password='pw-secret')
    with pytest.raises(SemaphoreHTTPError):
        with client:
            client.get_template(1, 2)
    assert adapter.paths()[-1] == 'POST api/auth/logout'


def test_wrong_password_is_a_clear_error_without_the_password():
    client, adapter = make_client([answer(401)], api_token=None, username='admin', password='pw-secret')
    with pytest.raises(SemaphoreAuthError) as caught:
        client.list_projects()
    assert "login as 'admin' was refused" in str(caught.value)
    assert 'pw-secret' not in str(caught.value)
    assert adapter.paths() == ['POST api/auth/login']


def test_totp_code_is_verified_after_login():
    client, adapter = make_client(
        [login_answer(), answer(200), answer(200, {'id': 1})], api_token=None, username='totpuser', password='x', otp_code='123456')
    assert client.current_user() == {'id': 1}
    assert adapter.paths() == ['POST api/auth/login', 'POST api/auth/verify', 'GET api/user']
    assert json.loads(adapter.sent[1]['body']) == {'passcode': '123456'}


def test_missing_totp_code_surfaces_the_server_reason():
    client, adapter = make_client([login_answer(), answer(401, {'error': 'TOTP_REQUIRED'})],
                                  api_token=None, username='totpuser', password='x')
    with pytest.raises(SemaphoreAuthError, match='TOTP_REQUIRED: this account needs a one-time code; set otp_code'):
        client.current_user()


def test_no_credentials_at_all():
    client, adapter = make_client([], api_token=None)
    with pytest.raises(SemaphoreError, match='no credentials'):
        client.list_projects()
    assert adapter.sent == []


def test_revoked_token_gives_an_auth_error_naming_the_token_not_its_value():
    client, adapter = make_client([answer(401)])
    with pytest.raises(SemaphoreAuthError) as caught:
        client.current_user()
    assert 'API token was refused' in str(caught.value)
    assert SECRET not in str(caught.value)


def test_token_in_a_path_is_redacted_in_errors():
    client, adapter = make_client([answer(400)], retries=0)
    with pytest.raises(SemaphoreHTTPError) as caught:
        client.revoke_token(SECRET)
    assert SECRET not in str(caught.value)
    assert '/api/user/tokens/kwofd61g...' in str(caught.value)
    assert redact_path('/user/tokens/' + SECRET) == '/user/tokens/kwofd61g...'


def test_html_proxy_page_is_reported_not_parsed():
    page = '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>'
    client, adapter = make_client([answer(200, page, 'text/html')])
    with pytest.raises(SemaphoreResponseError, match='HTML page'):
        client.list_projects()
    client, adapter = make_client([answer(500, page, 'text/html')])
    with pytest.raises(SemaphoreHTTPError) as caught:
        client.list_projects()
    assert 'HTML page' in str(caught.value) and '<html>' not in str(caught.value)


def test_truncated_json_is_reported():
    client, adapter = make_client([answer(200, '[{"id": 1, "na')])
    with pytest.raises(SemaphoreResponseError, match='not valid JSON'):
        client.list_projects()


def test_json_error_text_is_quoted():
    client, adapter = make_client([answer(400, {'error': 'invalid sort column'})])
    with pytest.raises(SemaphoreHTTPError) as caught:
        client.list_templates(1)
    assert str(caught.value) == 'GET /api/project/1/templates returned HTTP 400: invalid sort column'
    assert caught.value.status == 400


def test_unknown_task_400_becomes_not_found():
    client, adapter = make_client([answer(400)])
    with pytest.raises(SemaphoreNotFoundError, match='no task 99'):
        client.get_task(1, 99)


def test_reads_are_retried_with_backoff_and_a_warning_each():
    client, adapter = make_client(
        [answer(503), requests.exceptions.ConnectionError('Connection aborted'), answer(200, [])], retries=3)
    assert client.list_projects() == []
    assert len(adapter.sent) == 3
    assert len(adapter.warnings) == 2 and 'retry 1 of 3' in adapter.warnings[0] and 'retry 2 of 3' in adapter.warnings[1]
    assert 0.25 <= adapter.sleeps[0] <= 0.5 and 0.5 <= adapter.sleeps[1] <= 1.0


def test_retry_after_is_honoured():
    client, adapter = make_client([answer(429, headers={'Retry-After': '3'}), answer(200, [])])
    client.list_projects()
    assert adapter.sleeps == [3.0]


def test_retries_are_bounded():
    client, adapter = make_client([answer(502)] * 3, retries=2)
    with pytest.raises(SemaphoreHTTPError) as caught:
        client.list_projects()
    assert caught.value.status == 502
    assert len(adapter.sent) == 3 and len(adapter.warnings) == 2


@pytest.mark.parametrize('failure', [answer(502), requests.exceptions.ConnectionError('Connection aborted')])
def test_launch_is_never_retried(failure):
    client, adapter = make_client([failure], retries=5)
    with pytest.raises((SemaphoreHTTPError, SemaphoreConnectionError)):
        client.launch_task(1, {'template_id': 3})
    assert adapter.paths() == ['POST api/project/1/tasks']
    assert adapter.warnings == []


def test_token_creation_is_never_retried():
    client, adapter = make_client([requests.exceptions.ReadTimeout('slow')], retries=5)
    with pytest.raises(SemaphoreConnectionError, match='timeout of 30 seconds') as caught:
        client.create_token()
    assert caught.value.sent is True
    assert len(adapter.sent) == 1


def test_refused_connection_says_so_and_was_not_sent():
    client, adapter = make_client([requests.exceptions.ConnectionError('[Errno 111] Connection refused')], retries=0)
    with pytest.raises(SemaphoreConnectionError, match='connection refused') as caught:
        client.list_projects()
    assert caught.value.sent is False


def test_certificate_failure_names_the_fix():
    client, adapter = make_client([requests.exceptions.SSLError('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')])
    with pytest.raises(SemaphoreConnectionError, match='could not be verified; give the CA'):
        client.list_projects()


@pytest.mark.parametrize('kwargs, verify', [
    ({}, True),
    ({'validate_certs': False}, False),
    ({'ca_path': '/etc/ca.pem'}, '/etc/ca.pem'),
    ({'ca_path': '/etc/ca.pem', 'validate_certs': False}, False),
])
def test_verify_is_passed_on_every_request(kwargs, verify, monkeypatch):
    # requests swaps verify=True for these bundles; the private-CA and off cases must survive them.
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    client, adapter = make_client([answer(200, [])], **kwargs)
    client.list_projects()
    assert adapter.sent[0]['verify'] == verify


def test_timeout_is_set_on_every_request():
    client, adapter = make_client([answer(200, []), answer(200, {})], timeout=7)
    client.list_projects()
    client.get_task(1, 2, timeout=1.5)
    assert [item['timeout'] for item in adapter.sent] == [7, 1.5]


def test_stop_always_sends_a_json_body():
    client, adapter = make_client([answer(204)])
    client.stop_task(1, 5)
    assert json.loads(adapter.sent[0]['body']) == {'force': False}


def test_server_version_is_read_once():
    client, adapter = make_client([answer(200, {'version': '2.10.32-6ab1c3d-1729000000'})])
    assert client.server_version() == (2, 10, 32)
    assert client.supports('token_names') is False
    assert len(adapter.sent) == 1


def test_source_build_counts_as_newest():
    client, adapter = make_client([answer(200, {'version': 'undefined-00000000-'})])
    assert client.server_version() is None
    assert client.supports('token_names') is True


def test_ids_cost_no_request_names_are_looked_up():
    client, adapter = make_client([answer(200, [{'id': 4, 'name': 'Demo'}, {'id': 5, 'name': 'Other'}])])
    assert client.resolve_project(7) == 7
    assert client.resolve_project('7') == 7
    assert adapter.sent == []
    assert client.resolve_project('Other') == 5


def test_unknown_name_lists_the_existing_ones():
    client, adapter = make_client([answer(200, [{'id': 4, 'name': 'Demo'}, {'id': 5, 'name': 'Other'}])])
    with pytest.raises(SemaphoreLookupError, match="no project named 'Nope'; existing project names: Demo, Other"):
        client.resolve_project('Nope')


def test_ambiguous_name_lists_the_ids():
    client, adapter = make_client([answer(200, [{'id': 8, 'name': 'Duplicate'}, {'id': 9, 'name': 'Duplicate'}])])
    with pytest.raises(SemaphoreLookupError, match="'Duplicate' is ambiguous: ids 8, 9"):
        client.resolve_template(1, 'Duplicate')


def test_requests_missing_is_reported(monkeypatch):
    monkeypatch.setattr(_client, 'HAS_REQUESTS', False)
    with pytest.raises(SemaphoreError, match='requests is required'):
        SemaphoreClient(url='http://127.0.0.1:3000')


def test_private_ca_survives_a_ca_bundle_in_the_environment(monkeypatch):
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', '/etc/ssl/certs/ca-certificates.crt')
    client, adapter = make_client([answer(200, []), answer(200, [])], ca_path='/etc/private-ca.pem')
    client.list_projects()
    assert adapter.sent[0]['verify'] == '/etc/private-ca.pem'
    client.verify = False
    client.list_projects()
    assert adapter.sent[1]['verify'] is False


def test_a_deadline_ends_the_retries_of_a_task_read():
    slept = []
    client, adapter = make_client([answer(503), answer(503), answer(503), answer(200, {'id': 2})], sleep=slept.append)
    with pytest.raises(SemaphoreHTTPError):
        client.get_task(1, 2, timeout=0.3)
    # The first backoff (0.25 s or more) plus the request already leaves no room before the deadline.
    assert len(adapter.sent) <= 2


def test_without_a_deadline_reads_are_retried_up_to_retries():
    slept = []
    client, adapter = make_client([answer(503), answer(503), answer(200, {'id': 2})], sleep=slept.append)
    assert client.get_task(1, 2) == {'id': 2}
    assert len(adapter.sent) == 3 and len(slept) == 2


@pytest.mark.parametrize('value, expected', [(3, 3), ('12', 12), (' 7 ', 7), (4.0, 4), ('Deploy app', None), ('v2', None)])
def test_ids_and_names(value, expected):
    assert _client.as_id(value, 'template') == expected


@pytest.mark.parametrize('value', [0, -3, '0', '-1', '+0', 2.5])
def test_zero_negative_or_fractional_ids_are_refused_before_any_request(value):
    with pytest.raises(SemaphoreError, match='^template id must be a positive integer, got '):
        _client.as_id(value, 'template')


# -- what a real Semaphore 2.10.32 and newer code answer (issue: proven on a real server) ----------

def test_an_html_answer_means_the_url_misses_the_api():
    # Semaphore serves its web UI (200, text/html, here empty) for every path it has no route for.
    client, adapter = make_client([answer(200, '', content_type='text/html; charset=utf-8')],
                                  api_token=None, username='admin', password='pw-secret')
    with pytest.raises(SemaphoreResponseError, match='does not lead to the Semaphore API'):
        client.list_projects()


def test_a_login_that_sets_no_session_cookie_is_not_taken_for_a_login():
    client, adapter = make_client([answer(204)], api_token=None, username='admin', password='pw-secret')
    with pytest.raises(SemaphoreError, match='set no session cookie; check that url is the base URL'):
        client.list_projects()
    assert adapter.paths() == ['POST api/auth/login']


def test_a_secure_cookie_over_plain_http_fails_at_once_saying_why():
    client, adapter = make_client([login_answer('semaphore=MTc5Ng; Path=/; HttpOnly; Secure; SameSite=Lax')],
                                  api_token=None, username='admin', password='pw-secret')
    with pytest.raises(SemaphoreError, match=r'Secure \(its web_host is https://\).*use the https:// URL of the server, or an api_token'):
        client.list_projects()
    assert adapter.paths() == ['POST api/auth/login']


def test_a_secure_cookie_over_https_is_fine():
    client, adapter = make_client([login_answer('semaphore=MTc5Ng; Path=/; Secure'), answer(200, [])],
                                  url='https://127.0.0.1:3000', api_token=None, username='admin', password='pw-secret')
    assert client.list_projects() == []
    assert adapter.sent[1]['headers']['Cookie'] == 'semaphore=MTc5Ng'


@pytest.mark.parametrize('status, body', [(400, None), (401, {'error': 'INVALID_PASSCODE'})])
def test_a_wrong_totp_code_is_named_whatever_the_version_answers(status, body):
    # Older servers answer a wrong code with 400 and no body, 2026 code with 401 INVALID_PASSCODE.
    client, adapter = make_client([login_answer(), answer(status, body)], api_token=None, username='totpuser',
                                  password='x', otp_code='000000')
    with pytest.raises(SemaphoreAuthError, match='the TOTP code was refused') as raised:
        client.current_user()
    assert '000000' not in str(raised.value)


def test_an_otp_code_for_a_server_without_two_factor_login():
    client, adapter = make_client([login_answer(), answer(404, '404 page not found', content_type='text/plain')],
                                  api_token=None, username='admin', password='x', otp_code='123456')
    with pytest.raises(SemaphoreError, match='no two-factor login .* remove otp_code'):
        client.current_user()


def test_an_email_code_cannot_be_given_ahead_of_time():
    client, adapter = make_client([login_answer(), answer(401, {'error': 'EMAIL_OTP_REQUIRED'})],
                                  api_token=None, username='mailuser', password='x')
    with pytest.raises(SemaphoreAuthError, match='by e-mail at each login.*use an api_token'):
        client.current_user()


def test_token_still_accepted_asks_with_that_token_only():
    client, adapter = make_client([answer(200, {'id': 1}), answer(401)])
    assert client.token_still_accepted('a' * 43 + '=') is True
    assert client.token_still_accepted('b' * 43 + '=') is False
    assert [item['headers']['Authorization'] for item in adapter.sent] == ['Bearer ' + 'a' * 43 + '=', 'Bearer ' + 'b' * 43 + '=']


def test_an_ldap_provider_is_named_in_the_login():
    client, adapter = make_client([login_answer(), answer(200, [])], api_token=None, username='jdoe', password='x',
                                  ldap_provider='corp')
    client.list_projects()
    assert json.loads(adapter.sent[0]['body']) == {'auth': 'jdoe', 'password': 'x', 'method': 'ldap', 'provider': 'corp'}


def test_a_login_answered_500_mentions_ldap():
    client, adapter = make_client([answer(500)], api_token=None, username='jdoe', password='x', retries=0)
    with pytest.raises(SemaphoreHTTPError, match="also answers 500 to a wrong LDAP password for 'jdoe'"):
        client.list_projects()


def test_https_to_a_plain_http_port_says_so_without_library_text():
    error = requests.exceptions.SSLError("HTTPSConnectionPool(host='127.0.0.1', port=3000): Max retries exceeded with url: "
                                         "/api/auth/login (Caused by SSLError(SSLError(1, '[SSL: WRONG_VERSION_NUMBER] "
                                         "wrong version number (_ssl.c:1006)')))")
    client, adapter = make_client([error], url='https://127.0.0.1:3000')
    with pytest.raises(SemaphoreConnectionError) as raised:
        client.list_projects()
    assert str(raised.value) == 'GET /api/projects failed: the server does not speak TLS on this port; use http://'


def test_http_to_a_go_tls_port_says_so():
    client, adapter = make_client([answer(400, 'Client sent an HTTP request to an HTTPS server.\n', content_type='text/plain')])
    with pytest.raises(SemaphoreConnectionError, match='the server expects TLS on this port; use https://$'):
        client.list_projects()
    assert len(adapter.sent) == 1


def test_a_plain_http_request_dropped_by_a_tls_port_gets_a_hint():
    client, adapter = make_client([requests.exceptions.ConnectionError('Connection aborted. RemoteDisconnected')], retries=0)
    with pytest.raises(SemaphoreConnectionError, match='without answering; if this port serves TLS, use https://$'):
        client.list_projects()


def test_the_user_agent_names_the_collection_version():
    galaxy = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'galaxy.yml')
    with open(galaxy) as handle:
        version = re.search(r'^version: *(\S+)', handle.read(), re.MULTILINE).group(1)
    assert _client.USER_AGENT == 'semaphore.api-ansible-collection/' + version


def test_validate_certs_false_is_said_once_in_words_and_urllib3_warning_is_not_printed():
    import warnings
    from urllib3.exceptions import InsecureRequestWarning

    client, adapter = make_client([answer(200, []), answer(200, [])], url='https://sem.example.com',
                                  validate_certs=False)
    original_send = adapter.send

    def send_like_urllib3(request, **kwargs):
        warnings.warn('Unverified HTTPS request is being made to host', InsecureRequestWarning)
        return original_send(request, **kwargs)

    adapter.send = send_like_urllib3
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter('always')
        client.list_projects()
        client.list_projects()
    assert [str(item.message) for item in shown] == []
    assert len(adapter.warnings) == 1 and 'validate_certs is false' in adapter.warnings[0]
    assert 'sem.example.com' in adapter.warnings[0]


def test_validate_certs_false_on_plain_http_says_nothing():
    client, adapter = make_client([answer(200, [])], validate_certs=False)
    client.list_projects()
    assert adapter.warnings == []
