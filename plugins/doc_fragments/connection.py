# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    """How every semaphore.api module connects and authenticates."""

    DOCUMENTATION = r'''
options:
  url:
    description:
      - Base URL of the Semaphore server, for example V(https://semaphore.example.com).
      - A trailing C(/api) and a sub-path (when Semaphore is served under one) are both accepted.
      - If not set, the value of the E(SEMAPHORE_URL) environment variable is used.
    type: str
    required: true
    version_added: 1.0.0
  api_token:
    description:
      - An API token of the user to act as, sent as an C(Authorization) header with the C(Bearer) scheme.
      - Takes precedence over O(username) and O(password). Tokens skip TOTP.
      - If not set, the value of the E(SEMAPHORE_API_TOKEN) environment variable is used.
    type: str
    version_added: 1.0.0
  username:
    description:
      - Login name or e-mail address to log in with, together with O(password).
      - The module logs in with C(POST /api/auth/login) and logs out when it ends, also when it fails.
        Before Semaphore 2.14 the logout only clears the cookie and the server keeps the session; prefer
        O(api_token) for runs that repeat often against those versions.
      - If not set, the value of the E(SEMAPHORE_USERNAME) environment variable is used.
    type: str
    version_added: 1.0.0
  password:
    description:
      - Password for O(username).
      - If not set, the value of the E(SEMAPHORE_PASSWORD) environment variable is used.
    type: str
    version_added: 1.0.0
  otp_code:
    description:
      - The current TOTP code for an account with two-factor authentication, used after a password login.
      - If not set, the value of the E(SEMAPHORE_OTP_CODE) environment variable is used.
    type: str
    version_added: 1.0.0
  ldap_provider:
    description:
      - For a password login through one of several LDAP providers (Semaphore 2026 code), the provider's id;
        the login is then sent with C(method=ldap) and this C(provider). Older servers ignore both fields and
        need none of them (their single LDAP is tried first anyway).
      - If not set, the value of the E(SEMAPHORE_LDAP_PROVIDER) environment variable is used.
    type: str
    version_added: 2.0.0
  validate_certs:
    description:
      - Whether to check the server's TLS certificate. Only set to V(false) for test servers.
      - If not set, the value of the E(SEMAPHORE_VALIDATE_CERTS) environment variable is used.
    type: bool
    default: true
    version_added: 1.0.0
  ca_path:
    description:
      - A PEM file with the CA certificate(s) to trust, for a server with a private CA.
      - If not set, the value of the E(SEMAPHORE_CA_PATH) environment variable is used.
    type: path
    version_added: 1.0.0
  timeout:
    description:
      - Seconds to wait for each single HTTP request.
      - If not set, the value of the E(SEMAPHORE_TIMEOUT) environment variable is used.
    type: float
    default: 30
    version_added: 1.0.0
  retries:
    description:
      - How many times a request that is harmless to repeat (reads, deletes, login) is retried after a
        connection error, a timeout or an HTTP 429, 502, 503 or 504 answer, with exponential backoff.
      - Requests that create something (a task launch, a new token) are never retried.
      - If not set, the value of the E(SEMAPHORE_RETRIES) environment variable is used.
    type: int
    default: 3
    version_added: 1.0.0
requirements:
  - requests
notes:
  - Secrets (O(password), O(api_token), O(otp_code), the session cookie) never appear in results, warnings or error messages.
'''
