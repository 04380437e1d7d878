# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""One HTTP client for every module of the collection.

Server quirks live in the named methods below, each next to the section that explains it (§n:
sections of docs/server-behaviour.md, written from Semaphore's Go source). The generic ``request``
method knows nothing about individual endpoints.
"""

from __future__ import annotations

import datetime
import email.utils
import json
import random
import re
import time
import warnings
from urllib.parse import urlparse

from ansible_collections.semaphore.api.plugins.module_utils._versions import at_least, parse_version

try:
    import requests
    from urllib3.exceptions import InsecureRequestWarning
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - reported by the module through missing_required_lib
    requests = None
    InsecureRequestWarning = None
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = exc


USER_AGENT = 'semaphore.api-ansible-collection/2.2.0'  # galaxy.yml's version (a unit test checks)

# Statuses after which a repeated request is harmless for idempotent calls.
RETRYABLE_STATUSES = frozenset((429, 502, 503, 504))
# Endpoints every Semaphore has: a 404 on one of them means the URL does not lead to Semaphore's API.
ALWAYS_PRESENT_PATHS = frozenset(('/info', '/user', '/user/tokens', '/projects', '/auth/login'))
BACKOFF_BASE = 0.5
BACKOFF_CAP = 8.0

# Semaphore serves its web UI for any path it has no route for, so HTML means a proxy's page or a
# url that misses the API.
HTML_ANSWER = 'an HTML page instead of JSON (a proxy error page, or a url that does not lead to the Semaphore API)'

CLOSED_WITHOUT_ANSWER = 'the server closed the connection without answering'
# A URL whose scheme does not match the port: said plainly, never retried.
NO_TLS_HERE = 'the server does not speak TLS on this port; use http://'
TLS_EXPECTED = 'the server expects TLS on this port; use https://'

# A path segment that holds a token secret (or a prefix of one) is never shown in full.
_TOKEN_PATH = re.compile(r'(/user/tokens/)([^/?]{8})[^/?]*')


def redact_path(path):
    """Return ``path`` with any API token in it cut to its first 8 characters."""
    return _TOKEN_PATH.sub(r'\1\2...', path)


class SemaphoreError(Exception):
    """Base class of every error the client raises; ``str()`` never holds a secret."""


class SemaphoreConnectionError(SemaphoreError):
    """The server could not be reached, or the connection broke before an answer arrived."""

    def __init__(self, method, path, reason, sent=None):
        self.method = method
        self.path = path
        self.reason = reason
        # True when the request may have reached the server before the connection broke.
        self.sent = sent
        super().__init__('{0} {1} failed: {2}'.format(method, redact_path(path), reason))


class SemaphoreHTTPError(SemaphoreError):
    """The server answered with an unexpected status."""

    def __init__(self, method, path, status, server_message=None, body=None):
        self.method = method
        self.path = path
        self.status = status
        self.server_message = server_message
        self.body = body
        text = '{0} {1} returned HTTP {2}'.format(method, redact_path(path), status)
        if server_message:
            text += ': {0}'.format(server_message)
        super().__init__(text)


class SemaphoreAuthError(SemaphoreHTTPError):
    """401: missing, wrong, expired or revoked credentials (or an unverified TOTP session)."""


class SemaphoreNotFoundError(SemaphoreHTTPError):
    """404, or the 400 the server gives for an unknown task (§6.3)."""


class SemaphoreResponseError(SemaphoreError):
    """The server's answer could not be understood (an HTML proxy page, truncated JSON...)."""

    def __init__(self, method, path, status, reason):
        self.method = method
        self.path = path
        self.status = status
        super().__init__('{0} {1} returned HTTP {2} with {3}'.format(method, redact_path(path), status, reason))


class SemaphoreLookupError(SemaphoreError):
    """A project, template or inventory name matched nothing, or more than one object."""


def is_transient(exc):
    """True for a failure that may pass by itself: no connection, no answer in time, a garbled
    answer, or 429/502/503/504. Wrong credentials, unknown objects and TLS failures are not."""
    if isinstance(exc, SemaphoreConnectionError):
        return not exc.reason.startswith(('the server certificate', 'TLS error', NO_TLS_HERE, TLS_EXPECTED))
    if isinstance(exc, SemaphoreResponseError):
        return True
    if isinstance(exc, SemaphoreHTTPError):
        return exc.status in RETRYABLE_STATUSES
    return False


def answer_may_be_lost(exc):
    """True when a write that failed may still have been carried out: the request may have reached
    the server (a broken connection, no answer in time), the answer was garbled, or the server
    failed (5xx) possibly after the write. A write that may have happened is never sent again: a
    second copy could launch a second task or mint a second token."""
    if isinstance(exc, SemaphoreConnectionError):
        return exc.sent is not False
    if isinstance(exc, SemaphoreResponseError):
        return True
    if isinstance(exc, SemaphoreHTTPError):
        return exc.status in (500, 502, 503, 504)
    return False


def parse_time(value):
    """An aware datetime from an RFC 3339 timestamp with any fractional precision, or None."""
    if not value or not isinstance(value, str) or value.startswith('0001-01-01'):
        return None
    match = re.match(r'^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)?$', value.strip())
    if not match:
        return None
    base, fraction, zone = match.groups()
    stamp = datetime.datetime.strptime(base, '%Y-%m-%dT%H:%M:%S')
    if fraction:
        stamp = stamp.replace(microsecond=int(fraction[:6].ljust(6, '0')))
    offset = datetime.timedelta(0)
    if zone and zone != 'Z':
        sign = 1 if zone[0] == '+' else -1
        digits = zone[1:].replace(':', '')
        offset = sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return stamp.replace(tzinfo=datetime.timezone(offset))


def api_base_url(url):
    """Return the API root for a server URL given with or without ``/api`` and with any sub-path."""
    if not re.match(r'^https?://[^/]+', url or '', re.IGNORECASE):
        raise SemaphoreError(
            "url must start with http:// or https:// and name a host, for example https://semaphore.example.com; got '{0}'".format(url))
    base = url.rstrip('/')
    if base.endswith('/api'):
        base = base[:-len('/api')]
    return base + '/api'


def _server_message(response):
    """The server's own error text from an error answer, or None (bodies are often empty)."""
    content_type = response.headers.get('Content-Type', '')
    text = response.text.strip() if response.content else ''
    if not text:
        return None
    if 'html' in content_type.lower() or text.lstrip().lower().startswith(('<!doctype', '<html')):
        return HTML_ANSWER
    try:
        payload = json.loads(text)
    except ValueError:
        return text[:200]
    if isinstance(payload, dict) and payload.get('error'):
        return str(payload['error'])[:200]
    return text[:200]


class SemaphoreClient:
    """Talks to one Semaphore server as one user, with a token or a login session."""

    def __init__(self, url, api_token=None, username=None, password=None, otp_code=None,
                 validate_certs=True, ca_path=None, timeout=30, retries=3, warn=None, sleep=time.sleep,
                 ldap_provider=None):
        if not HAS_REQUESTS:
            raise SemaphoreError('the Python library requests is required')
        self.base_url = api_base_url(url)
        self.web_url = self.base_url[:-len('/api')]
        # Error messages name the path as the server sees it, e.g. /api/user/tokens.
        self._display_prefix = urlparse(self.base_url).path
        self.api_token = api_token
        self.username = username
        self.password = password
        self.otp_code = otp_code
        self.ldap_provider = ldap_provider
        self.timeout = timeout
        self.retries = max(0, retries)
        # Passed on every request, not set on the session: requests lets REQUESTS_CA_BUNDLE
        # override a session-level ``verify`` (see TOOLCHAIN notes), which would silently
        # replace ca_path or validate_certs=false.
        self.verify = ca_path if (ca_path and validate_certs) else bool(validate_certs)
        self._warn = warn or (lambda message: None)
        if self.verify is False and self.base_url.lower().startswith('https://'):
            # Said once, in words, instead of urllib3's InsecureRequestWarning at every request.
            self._warn('validate_certs is false: the TLS certificate of {0} is not verified, so anyone on the '
                       'way could read or change the traffic, credentials included; use ca_path for a private '
                       'CA'.format(urlparse(self.base_url).netloc))
        self._sleep = sleep
        self._session = requests.Session()
        self._session.headers.update({'Accept': 'application/json', 'User-Agent': USER_AGENT})
        self._logged_in = False
        self._version = None
        self._user = None
        self.request_count = 0
        # Refused or reset connections, retried or not: a waiter reads it to notice a server restart
        # that the retries of one request hid.
        self.connection_failures = 0
        # The server's clock (its Date header) at the last answer: tells which tasks are newer
        # than a launch whose answer was lost, without trusting the local clock.
        self.server_date = None

    # -- context management: a password session is always logged out -------------------------

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def close(self):
        """Log out a password session (also after a failure) and close the connections."""
        try:
            if self._logged_in:
                self.logout()
        except SemaphoreError as exc:
            self._warn('Could not log out of Semaphore: {0}'.format(exc))
        finally:
            self._session.close()

    # -- generic request -----------------------------------------------------------------------

    def request(self, method, path, body=None, expected=(200,), retry=None, parse='json', timeout=None,
                authenticate=True, raw_body=None, deadline=None, headers=None):
        """Send one request to ``/api`` + ``path`` and return the decoded answer.

        ``retry`` defaults to True for GET, HEAD and DELETE only. A request that can create
        something (a task launch, a token) is never repeated: a second copy could launch a second
        task or mint a second token.
        """
        if authenticate:
            self._ensure_authenticated()
        if retry is None:
            retry = method in ('GET', 'HEAD', 'DELETE')
        url = self.base_url + path
        path = self._display_prefix + path
        kwargs = {'timeout': timeout or self.timeout, 'verify': self.verify, 'allow_redirects': False}
        if body is not None:
            kwargs['json'] = body
        elif raw_body is not None:
            kwargs['data'] = raw_body
        headers = dict(headers or {})
        if self.api_token and authenticate:
            headers['Authorization'] = 'Bearer ' + self.api_token
        attempt = 0
        while True:
            attempt += 1
            if deadline is not None and attempt > 1:
                kwargs['timeout'] = max(0.5, min(timeout or self.timeout, deadline - time.monotonic()))
            try:
                response = self._send(method, url, headers, kwargs)
            except requests.exceptions.SSLError as exc:
                raise SemaphoreConnectionError(method, path, _tls_reason(exc), sent=False) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
                if isinstance(exc, requests.exceptions.ConnectionError):  # not a slow answer (ReadTimeout)
                    self.connection_failures += 1
                reason = _connection_reason(exc, kwargs['timeout'])
                if reason == CLOSED_WITHOUT_ANSWER and url.lower().startswith('http://'):
                    # A TLS server that is not Go (a proxy, the simulator) drops plain http silently.
                    reason += '; if this port serves TLS, use https://'
                if retry and attempt <= self.retries and self._pause(method, path, attempt, reason, deadline=deadline):
                    continue
                raise SemaphoreConnectionError(method, path, reason, sent=_maybe_sent(exc)) from None
            except requests.exceptions.RequestException as exc:
                raise SemaphoreConnectionError(method, path, type(exc).__name__, sent=False) from None
            self._note_server_date(response)
            if (response.status_code in RETRYABLE_STATUSES and retry and attempt <= self.retries
                    and self._pause(method, path, attempt, 'HTTP {0}'.format(response.status_code),
                                    response.headers.get('Retry-After'), deadline)):
                continue
            return self._decode(method, path, response, expected, parse)

    def _send(self, method, url, headers, kwargs):
        self.request_count += 1
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', InsecureRequestWarning)  # said once, in __init__
            return self._session.request(method, url, headers=headers, **kwargs)

    def _note_server_date(self, response):
        try:
            stamp = email.utils.parsedate_to_datetime(response.headers.get('Date') or '')
        except (TypeError, ValueError, IndexError):
            return
        if stamp is not None and stamp.tzinfo is not None:
            self.server_date = stamp

    def _pause(self, method, path, attempt, reason, retry_after=None, deadline=None):
        """Sleep before retry ``attempt``; False (no sleep, no retry) when the deadline would pass."""
        delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** (attempt - 1)))
        delay = delay / 2 + random.uniform(0, delay / 2)  # jitter spreads parallel clients apart
        if retry_after and retry_after.strip().isdigit():
            delay = min(max(delay, float(retry_after)), 60.0)
        if deadline is not None and time.monotonic() + delay >= deadline:
            return False
        self._warn('{0} {1} failed ({2}); retry {3} of {4} in {5:.1f}s'.format(
            method, redact_path(path), reason, attempt, self.retries, delay))
        self._sleep(delay)
        return True

    def _decode(self, method, path, response, expected, parse):
        status = response.status_code
        if status not in expected:
            message = _server_message(response)
            if status == 401:
                if message == 'TOTP_REQUIRED':
                    # §3: the login succeeded but the session waits for a second factor.
                    message += ': this account needs a one-time code; set otp_code (or SEMAPHORE_OTP_CODE), or use an api_token'
                elif message == 'EMAIL_OTP_REQUIRED':
                    # The code is mailed at each login, so it cannot be known before the run.
                    message += (': this account gets a one-time code by e-mail at each login, which a playbook cannot '
                                'give ahead of time; use an api_token')
                raise SemaphoreAuthError(method, path, status, message or _auth_hint(self))
            if status == 400 and message and 'HTTP request to an HTTPS server' in message:
                # Go's answer to plain http on a TLS port.
                raise SemaphoreConnectionError(method, path, TLS_EXPECTED, sent=False)
            if status == 404:
                if path[len(self._display_prefix):] in ALWAYS_PRESENT_PATHS:
                    message = '{0}; check that url is the base URL of the Semaphore server'.format(message or 'not found')
                raise SemaphoreNotFoundError(method, path, status, message)
            raise SemaphoreHTTPError(method, path, status, message)
        if parse != 'text' and 'html' in response.headers.get('Content-Type', '').lower():
            # Semaphore serves its web UI (200, text/html, possibly empty) for any path it has no
            # route for, so an HTML answer to an API call means the URL does not lead to /api.
            raise SemaphoreResponseError(method, path, status, HTML_ANSWER)
        if parse is None or status == 204 or not response.content:
            return None if parse != 'text' else (response.text if response.content else '')
        if parse == 'text':
            return response.text
        try:
            return response.json()
        except ValueError:
            raise SemaphoreResponseError(method, path, status, 'a body that is not valid JSON (truncated or garbled)') from None

    # -- authentication (§2 and 3) ---------------------------------------------

    def _ensure_authenticated(self):
        if self.api_token or self._logged_in:
            return
        if bool(self.username) != bool(self.password):
            raise SemaphoreError('username and password must be given together; only {0} is set'.format(
                'username' if self.username else 'password'))
        if not (self.username and self.password):
            raise SemaphoreError('no credentials: set api_token, or username and password '
                                 '(or SEMAPHORE_API_TOKEN, or SEMAPHORE_USERNAME and SEMAPHORE_PASSWORD)')
        self.login()

    def login(self):
        """Log in with the password: 204 and a ``semaphore`` cookie, no body (§3).

        The server lower-cases ``auth`` itself; sending it as given keeps e-mail logins working.
        With TOTP, the session stays unverified until ``/auth/verify`` accepts the code.
        """
        body = {'auth': self.username, 'password': self.password}
        if self.ldap_provider:
            # 2026 code picks the LDAP provider from these; older servers ignore unknown fields.
            body.update(method='ldap', provider=self.ldap_provider)
        try:
            self.request('POST', '/auth/login', body, expected=(200, 204), retry=True, parse=None, authenticate=False)
        except SemaphoreAuthError as exc:
            raise SemaphoreAuthError(exc.method, exc.path, exc.status,
                                     "login as '{0}' was refused: wrong username, e-mail or password".format(self.username)) from None
        except SemaphoreHTTPError as exc:
            if exc.status != 500:
                raise
            # Up to 2.17 any LDAP failure, a wrong LDAP password included, is answered 500 (§3).
            raise SemaphoreHTTPError(exc.method, exc.path, exc.status, (exc.server_message or 'server error') + (
                "; a Semaphore with LDAP also answers 500 to a wrong LDAP password for '{0}'".format(self.username))) from None
        self._check_session_cookie()
        self._logged_in = True
        if self.otp_code:
            self._verify_otp()

    def _check_session_cookie(self):
        """The login must have set a session cookie that requests will send back."""
        cookies = [cookie for cookie in self._session.cookies if cookie.name == 'semaphore']
        if not cookies:
            raise SemaphoreError('POST {0}/auth/login set no session cookie; check that url is the base URL of the '
                                 'Semaphore server'.format(self._display_prefix))
        if self.base_url.lower().startswith('http://') and all(cookie.secure for cookie in cookies):
            # Newer Semaphore marks the cookie Secure when its web_host is https:// (§2.1, 2026
            # code); a client never sends such a cookie over plain http.
            raise SemaphoreError(
                'the server marks its session cookie Secure (its web_host is https://), so a password login '
                'cannot work over http://; use the https:// URL of the server, or an api_token')

    def _verify_otp(self):
        """Send the TOTP code (2.12+). A wrong code is 401 INVALID_PASSCODE on newer servers, 400 on older."""
        try:
            self.request('POST', '/auth/verify', {'passcode': str(self.otp_code)}, expected=(200, 204),
                         retry=False, parse=None, authenticate=False)
        except SemaphoreNotFoundError:
            raise SemaphoreError('otp_code was given but this server has no two-factor login '
                                 '(/api/auth/verify arrived in Semaphore 2.12); remove otp_code') from None
        except SemaphoreHTTPError as exc:
            if exc.status not in (400, 401):
                raise
            raise SemaphoreAuthError(exc.method, exc.path, exc.status, 'the TOTP code was refused ({0})'.format(
                exc.server_message or 'invalid or expired code')) from None

    def logout(self):
        """End the password session; the server expires it from 2.14 on (§3)."""
        self._logged_in = False
        self.request('POST', '/auth/logout', expected=(200, 204), retry=True, parse=None, authenticate=False)

    # -- server facts ----------------------------------------------------------------------------

    def server_version(self):
        """The server's (major, minor, patch), read once from ``/api/info``; None when unknown."""
        if self._version is None:
            info = self.request('GET', '/info') or {}
            self._version = parse_version(info.get('version')) or ()
        return self._version or None

    def supports(self, feature):
        """Whether this server has ``feature`` (module_utils/_versions.py); an unknown (source-built)
        server counts as the newest."""
        return at_least(self.server_version(), feature)

    def current_user(self):
        if self._user is None:
            self._user = self.request('GET', '/user')
        return self._user

    # -- API tokens (§5) -----------------------------------------------------------

    def list_tokens(self):
        return self.request('GET', '/user/tokens') or []

    def create_token(self, name=None, expires_at=None):
        """Mint a token: 201 and the full secret in ``id``. Never retried."""
        body = {}
        if name:
            body['name'] = name
        if expires_at:
            body['expires_at'] = expires_at
        return self.request('POST', '/user/tokens', body or None, expected=(201, 200), retry=False)

    def revoke_token(self, token_id):
        """Expire (up to 2.13, full secret) or delete (2.14+, by prefix) one token."""
        self.request('DELETE', '/user/tokens/' + token_id, expected=(204, 200), parse=None)

    def token_still_accepted(self, secret):
        """True when ``secret`` still authenticates. Up to 2.13 a revoked token is only flagged
        expired, and on BoltDB the server never checks that flag (§2.2)."""
        try:
            self.request('GET', '/user', authenticate=False, headers={'Authorization': 'Bearer ' + secret})
        except SemaphoreAuthError:
            return False
        return True

    def warn(self, message):
        self._warn(message)

    # -- projects, templates, inventories --------------------------------------------------------

    def list_projects(self):
        return self.request('GET', '/projects') or []

    def get_project(self, project_id):
        return self.request('GET', '/project/{0}'.format(project_id))

    def list_templates(self, project_id):
        return self.request('GET', '/project/{0}/templates'.format(project_id)) or []

    def get_template(self, project_id, template_id):
        return self.request('GET', '/project/{0}/templates/{1}'.format(project_id, template_id))

    def get_environment(self, project_id, environment_id):
        return self.request('GET', '/project/{0}/environment/{1}'.format(project_id, environment_id))

    def list_inventories(self, project_id):
        return self.request('GET', '/project/{0}/inventory'.format(project_id)) or []

    def resolve_project(self, project):
        """Project id for a name or id; an id is trusted as given and costs no request."""
        if as_id(project, 'project') is not None:
            return as_id(project, 'project')
        return pick_by_name('project', project, self.list_projects())['id']

    def resolve_template(self, project_id, template, templates=None):
        """Template id for a name or id within a project."""
        if as_id(template, 'template') is not None:
            return as_id(template, 'template')
        if templates is None:
            templates = self.list_templates(project_id)
        return pick_by_name('template', template, templates)['id']

    def resolve_inventory(self, project_id, inventory):
        if as_id(inventory, 'inventory') is not None:
            return as_id(inventory, 'inventory')
        return pick_by_name('inventory', inventory, self.list_inventories(project_id))['id']

    # -- project resources: projects, keys, repositories, inventories, environments (§13) ---------

    def list_objects(self, path):
        return self.request('GET', path) or []

    def get_object(self, path):
        return self.request('GET', path)

    def create_object(self, path, body):
        """POST a new object: 201 with it, or (2.10: keys, repositories, environments) 204 and no
        body. Never retried: a second copy would create a second object (names are not unique)."""
        return self.request('POST', path, body, expected=(201, 200, 204), retry=False)

    def update_object(self, path, body):
        """PUT the whole object (fields left out are reset, §13): 204. Not retried either: an
        environment's body can carry secrets to create."""
        self.request('PUT', path, body, expected=(204, 200), retry=False, parse=None)

    def get_backup(self, project_id):
        """Semaphore's own backup of a project (§14): names instead of ids, no secrets."""
        return self.request('GET', '/project/{0}/backup'.format(project_id))

    def restore_project(self, backup):
        """Semaphore's restore: always a new project (§14). Never retried: a second copy would make
        a second project."""
        return self.request('POST', '/projects/restore', backup, expected=(200, 201), retry=False)

    def validate_cron(self, project_id, cron_format):
        """The server's own check of a schedule's cron expression (§14): 400 ``Cron: …`` when wrong."""
        try:
            self.request('POST', '/project/{0}/schedules/validate'.format(project_id), {'cron_format': cron_format},
                         expected=(200, 204), parse=None)
        except SemaphoreHTTPError as exc:
            if exc.status != 400:
                raise
            raise SemaphoreError('cron_format {0!r} is refused by the server: {1}'.format(
                cron_format, exc.server_message or 'invalid')) from None

    def delete_object(self, path):
        """DELETE: 204; 400 with ``inUse`` when other objects use it (§13)."""
        self.request('DELETE', path, expected=(204, 200), parse=None)

    # -- tasks (§6) ---------------------------------------------------------------

    def task_path(self, project_id, task_id=None, suffix=''):
        path = '/project/{0}/tasks'.format(project_id)
        if task_id is not None:
            path += '/{0}'.format(task_id)
        return path + suffix

    def launch_task(self, project_id, payload):
        """POST a new task: 201 with status ``waiting``. Never retried: a lost answer may still
        have queued a task, and a second POST would queue a second one."""
        return self.request('POST', self.task_path(project_id), payload, expected=(201, 200), retry=False)

    def get_task(self, project_id, task_id, timeout=None):
        """One task. An unknown id gives 400, not 404 (§6.3).

        ``timeout`` bounds the whole call, retries included (the waiter's remaining wait_timeout).
        """
        deadline = time.monotonic() + timeout if timeout else None
        try:
            return self.request('GET', self.task_path(project_id, task_id), timeout=timeout, deadline=deadline)
        except SemaphoreHTTPError as exc:
            raise _unknown_task(exc, task_id) from None

    def get_task_output(self, project_id, task_id, timeout=None):
        """All output lines, oldest first; the server has no paging (§6.4)."""
        try:
            return self.request('GET', self.task_path(project_id, task_id, '/output'), timeout=timeout) or []
        except SemaphoreHTTPError as exc:
            raise _unknown_task(exc, task_id) from None

    def get_task_pool(self):
        """The tasks the server's in-memory pool holds, queued or running (admins only, 2.10+: an
        admin-wide ``GET /api/tasks``). A task that shows ``running`` but is not there has no run
        behind it any more: the server restarted since it started."""
        return self.request('GET', '/tasks') or []

    def stop_task(self, project_id, task_id, force=False):
        """Stop a task. The body is mandatory since 2.9.12: none gives 400 (§6.6)."""
        self.request('POST', self.task_path(project_id, task_id, '/stop'), {'force': bool(force)},
                     expected=(204, 200), retry=False, parse=None)

    def confirm_task(self, project_id, task_id):
        self.request('POST', self.task_path(project_id, task_id, '/confirm'), {}, expected=(204, 200),
                     retry=False, parse=None)

    def reject_task(self, project_id, task_id):
        self.request('POST', self.task_path(project_id, task_id, '/reject'), {}, expected=(204, 200),
                     retry=False, parse=None)

    def list_tasks(self, project_id, template_id=None, limit=None):
        """Newest first (the spec's "chronological" is wrong, §6.2)."""
        path = '/project/{0}'.format(project_id)
        if template_id is not None:
            path += '/templates/{0}'.format(template_id)
        path += '/tasks/last'
        if limit:
            path += '?limit={0}'.format(int(limit))
        return self.request('GET', path) or []

    def task_web_url(self, project_id, task_id, template_id=None):
        """The task's page in the web UI."""
        if template_id:
            return '{0}/project/{1}/templates/{2}?t={3}'.format(self.web_url, project_id, template_id, task_id)
        return '{0}/project/{1}/history?t={2}'.format(self.web_url, project_id, task_id)

    def event_socket_target(self):
        """URL and headers that open ``/api/ws`` as this client's user (§9): the same
        Bearer token, or the ``semaphore`` session cookie, as the REST calls."""
        self._ensure_authenticated()
        url = re.sub(r'^http', 'ws', self.base_url, flags=re.IGNORECASE) + '/ws'
        headers = ['User-Agent: ' + USER_AGENT]
        if self.api_token:
            headers.append('Authorization: Bearer ' + self.api_token)
        else:
            cookies = '; '.join('{0}={1}'.format(cookie.name, cookie.value) for cookie in self._session.cookies)
            if cookies:
                headers.append('Cookie: ' + cookies)
        return url, headers


def as_id(value, kind='object'):
    """An int for a numeric id (int or digit string), else None (a name).

    Zero and negative numbers are refused here, before any request: Semaphore ids start at 1, and
    a launch with template id 0 would reach the server as a write.
    """
    if isinstance(value, bool):
        return None
    text = str(value).strip()
    if isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, int) or re.match(r'^[-+]?\d+$', text):
        number = int(text)
    else:
        return None
    if number is None or number < 1:
        raise SemaphoreError('{0} id must be a positive integer, got {1}'.format(kind, text))
    return number


def check_task_id(task_id):
    """A task id given as an option must be a positive integer."""
    if task_id is not None and task_id < 1:
        raise SemaphoreError('task_id must be a positive integer, got {0}'.format(task_id))
    return task_id


def find_by_name(kind, name, items, scope='', key='name'):
    """The one item named ``name``, or None. Semaphore does not keep names unique: two items with
    the name are an error, never a guess. ``scope`` (" in project 2") goes into the message; ``key``
    is the field that holds the name (a view's is ``title``)."""
    matches = [item for item in items if item.get(key) == name]
    if len(matches) > 1:
        raise SemaphoreLookupError("{0} name '{1}' is ambiguous{2}: ids {3} share it; give the id instead".format(
            kind, name, scope, ', '.join(str(item.get('id')) for item in matches)))
    return matches[0] if matches else None


def pick_by_name(kind, name, items, scope='', key='name'):
    """The one item named ``name``; none is an error that lists the names there are."""
    found = find_by_name(kind, name, items, scope, key)
    if found is None:
        names = sorted({str(item.get(key)) for item in items})
        raise SemaphoreLookupError("no {0} named '{1}'{2}; existing {0} names: {3}".format(
            kind, name, scope, ', '.join(names) if names else '(none)'))
    return found


def _unknown_task(exc, task_id):
    """Semaphore answers 400 for a task that does not exist (§6.3)."""
    if exc.status in (400, 404):
        return SemaphoreNotFoundError(exc.method, exc.path, exc.status,
                                      exc.server_message or 'no task {0} in this project'.format(task_id))
    return exc


def _auth_hint(client):
    if client.api_token:
        return 'the API token was refused (unknown, expired or revoked)'
    return 'not authenticated (the session was refused or has expired)'


def _tls_reason(exc):
    text = str(exc)
    if 'CERTIFICATE_VERIFY_FAILED' in text or 'certificate verify failed' in text:
        return ('the server certificate could not be verified; give the CA that signed it with ca_path, '
                'or set validate_certs to false for a test server')
    if 'WRONG_VERSION_NUMBER' in text or 'wrong version number' in text or 'record layer failure' in text:
        return NO_TLS_HERE
    # The library's text names the pool and retries; only the TLS library's own reason says anything.
    match = re.search(r'\[SSL: [A-Z_]+\] ([^(\'"]+)', text)
    if match:
        return 'TLS error: {0}'.format(match.group(1).strip())
    # requests quotes the URL, which may hold a token up to 2.13 (token DELETE): cut it to its prefix.
    return 'TLS error: {0}'.format(redact_path(text)[:200])


def _connection_reason(exc, timeout):
    if isinstance(exc, requests.exceptions.Timeout):
        return 'no answer within the timeout of {0} seconds'.format(timeout)
    text = str(exc)
    if 'Connection refused' in text:
        return 'connection refused (is Semaphore running at this URL and port?)'
    if 'Name or service not known' in text or 'nodename nor servname' in text or 'getaddrinfo' in text:
        return 'the host name could not be resolved'
    if 'RemoteDisconnected' in text or 'Connection aborted' in text or 'reset by peer' in text:
        return CLOSED_WITHOUT_ANSWER
    return 'connection error ({0})'.format(type(exc).__name__)


def _maybe_sent(exc):
    """False when the request certainly never reached the server (refused, unresolvable)."""
    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    return not ('Connection refused' in text or 'Name or service not known' in text or 'getaddrinfo' in text)
