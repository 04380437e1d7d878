# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""A requests transport adapter that answers from a script, so the client runs unchanged above it."""

from __future__ import annotations

import email.message
import json

from requests.adapters import BaseAdapter
from requests.models import Response
from requests.structures import CaseInsensitiveDict


def answer(status, body=None, content_type='application/json', headers=None):
    """One scripted answer; ``body`` may be a dict/list (sent as JSON) or a string."""
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    all_headers = {'Content-Type': content_type}
    all_headers.update(headers or {})
    return (status, body or '', all_headers)


def login_answer(cookie='semaphore=MTc5NjE5NjU3NnxzZXNzaW9u; Path=/'):
    """Semaphore's answer to a good password login: 204, no body, a session cookie (reference section 3)."""
    return answer(204, headers={'Set-Cookie': cookie})


class _RawResponse:
    """Just enough of urllib3's response for requests to store the answer's cookies."""

    def __init__(self, headers):
        message = email.message.Message()
        for name, value in headers.items():
            message[name] = value
        self._original_response = self
        self.msg = message

    def info(self):
        return self.msg


class ScriptedAdapter(BaseAdapter):
    """Pops one scripted answer (or exception) per request and records what was sent."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.sent = []

    def send(self, request, **kwargs):
        body = request.body
        if isinstance(body, bytes):
            body = body.decode('utf-8')
        self.sent.append({'method': request.method, 'url': request.url, 'headers': dict(request.headers),
                          'body': body, 'verify': kwargs.get('verify'), 'timeout': kwargs.get('timeout')})
        if not self.script:
            raise AssertionError('unexpected request {0} {1}'.format(request.method, request.url))
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        status, text, headers = item
        response = Response()
        response.status_code = status
        response._content = text.encode('utf-8')
        response.headers = CaseInsensitiveDict(headers)
        response.raw = _RawResponse(headers)
        response.url = request.url
        response.request = request
        response.encoding = 'utf-8'
        return response

    def close(self):
        pass

    def paths(self):
        return ['{0} {1}'.format(item['method'], item['url'].split('://', 1)[1].split('/', 1)[1]) for item in self.sent]


def attach(client, script):
    """Route every request of ``client`` through a new ScriptedAdapter and return the adapter."""
    adapter = ScriptedAdapter(script)
    client._session.mount('http://', adapter)
    client._session.mount('https://', adapter)
    return adapter
