# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""Semaphore's event stream, ``/api/ws`` (§9 of docs/server-behaviour.md): status changes and
output lines pushed as they happen.

The stream only wakes the waiter early and backs up output the server has not stored yet; only a
GET of the task decides that it has ended. It needs the optional websocket-client library and uses
the same credentials, TLS settings and proxies as the REST calls.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import time
from urllib.parse import unquote, urlparse

from ansible_collections.semaphore.api.plugins.module_utils._client import SemaphoreError, requests
from ansible_collections.semaphore.api.plugins.module_utils._tasks import TERMINAL_STATUSES, task_has_ended

try:
    import websocket  # websocket-client
    HAS_WEBSOCKET = True
except ImportError:  # pragma: no cover - the waiter polls instead
    websocket = None
    HAS_WEBSOCKET = False

# Lines kept from the stream (a fallback for an output whose recap is not stored yet); beyond
# this the task's ``log`` frames are skipped undecoded.
MAX_STREAMED_LINES = 10000
_LOG_FRAME = re.compile(r'"type"\s*:\s*"log"')  # anywhere: Go writes map keys sorted, "type" last

# Statuses the socket reports that make the waiter read the task at once.
_WAKE_STATUSES = TERMINAL_STATUSES + ('waiting_confirmation',)


class TaskEvents:
    """The ``/api/ws`` event stream, used only to wake up early (§9)."""

    def __init__(self, ws, clock=time.monotonic):
        self._ws = ws
        self._clock = clock
        self.broken = False
        self.watched = None
        # Output lines of the watched task as pushed by the server, in order. Complete only when the
        # socket was open before the task was created and never broke (see streamed_lines).
        self.lines = []
        self.overflowed = False
        self.live = None

    def watch(self, task_id):
        """Collect the output lines of ``task_id`` from now on."""
        self.watched = task_id
        self.lines = []

    def streamed_lines(self):
        """The watched task's whole output as streamed, or None when lines may be missing."""
        return None if self.broken or self.overflowed else list(self.lines)

    @classmethod
    def open(cls, client, timeout, warn=None):
        """Connect with the client's credentials and TLS settings; None when that is not possible."""
        if not HAS_WEBSOCKET:
            return None
        try:
            url, headers = client.event_socket_target()
            verify = client.verify
            if verify is False:
                sslopt = {'cert_reqs': ssl.CERT_NONE, 'check_hostname': False}
            elif isinstance(verify, str):
                sslopt = {'cert_reqs': ssl.CERT_REQUIRED, 'ca_certs': verify}
            else:
                sslopt = {'cert_reqs': ssl.CERT_REQUIRED}
            client.request_count += 1
            # The server pushes every output line: a large output is 100 000 frames, and checking
            # each one's UTF-8 in pure Python is most of the time spent reading them.
            ws = websocket.create_connection(url, header=headers, sslopt=sslopt, timeout=timeout,
                                             skip_utf8_validation=True, **socket_proxy_options(url))
        except SemaphoreError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            # Any failure (401, proxy, TLS, no upgrade) only means: poll instead.
            if warn:
                warn('task events over the websocket are not available ({0}); polling instead'.format(type(exc).__name__))
            return None
        return cls(ws)

    def wait(self, task_id, seconds):
        """Read events for up to ``seconds``; return the status when ``task_id`` reaches an end or
        waits for confirmation, else None. A broken socket returns None at once and stays broken."""
        deadline = self._clock() + seconds
        while not self.broken:
            remaining = deadline - self._clock()
            if remaining <= 0:
                return None
            try:
                self._ws.settimeout(remaining)
                frame = self._ws.recv()
            except (socket.timeout, getattr(websocket, 'WebSocketTimeoutException', socket.timeout)):
                return None
            except Exception:  # pylint: disable=broad-except
                self.broken = True
                return None
            if self.overflowed and self.live is None and isinstance(frame, str) and _LOG_FRAME.search(frame):
                continue  # nobody needs these lines any more: skip decoding them
            event = _event(frame)
            if event.get('task_id') != task_id:
                continue
            if event.get('type') == 'log':
                if task_id == self.watched and not self.overflowed:
                    self.lines.append(str(event.get('output') or ''))
                    if len(self.lines) > MAX_STREAMED_LINES:
                        # The stream only backs up a missing recap; a large output is read over REST.
                        self.overflowed = True
                        self.lines = []
                if self.live is not None:
                    self.live.event(event)
            elif event.get('type') == 'update' and (event.get('status') in _WAKE_STATUSES or task_has_ended(event)):
                return event['status']
        return None

    def close(self):
        try:
            self._ws.close(timeout=1)
        except Exception:  # pylint: disable=broad-except
            pass


def socket_proxy_options(url):
    """websocket-client options that send the socket the way requests sends the REST calls.

    websocket-client reads the proxy variables itself, but its ``http_no_proxy`` argument replaces
    NO_PROXY: the socket could go through a proxy while REST goes direct, or the reverse. The
    decision is taken here, once, by requests' own rules, and handed over explicitly.
    """
    http_url = 'http' + url[2:]  # ws://... -> http://..., wss://... -> https://...
    target = urlparse(http_url)
    proxies = requests.utils.get_environ_proxies(http_url) if requests is not None else {}
    proxy = proxies.get(target.scheme) or proxies.get('all')
    if not proxy:
        return {'http_no_proxy': [target.hostname]}
    parsed = urlparse(proxy if '://' in proxy else 'http://' + proxy)
    # Without a port, urllib3 uses the scheme's own: 80 for http://, 443 for https://, 1080 for SOCKS.
    default_port = {'http': 80, 'https': 443}.get(parsed.scheme, 1080)
    options = {'http_proxy_host': parsed.hostname, 'http_proxy_port': parsed.port or default_port,
               'proxy_type': parsed.scheme if parsed.scheme in ('socks4', 'socks4a', 'socks5', 'socks5h') else 'http'}
    if parsed.username:
        options['http_proxy_auth'] = (unquote(parsed.username), unquote(parsed.password or ''))
    return options


def _event(frame):
    if isinstance(frame, bytes):
        frame = frame.decode('utf-8', 'replace')
    try:
        event = json.loads(frame)
    except (TypeError, ValueError):
        return {}
    return event if isinstance(event, dict) else {}
