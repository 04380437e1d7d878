"""Credentials: bearer parsing, sessions and TOTP (§2, §3).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from dataclasses import dataclass

from .state import Session, Store, Token, User
from .timefmt import now_ns

TOTP_STEP = 30
TOTP_DIGITS = 6


def totp_code(secret: str, at: float | None = None, offset: int = 0) -> str:
    """RFC 6238 TOTP (HMAC-SHA1, 30 s step, 6 digits)."""
    padded = secret.strip().replace(" ", "").upper()
    padded += "=" * (-len(padded) % 8)
    key = base64.b32decode(padded)
    counter = int((time.time() if at is None else at) // TOTP_STEP) + offset
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    start = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[start:start + 4])[0] & 0x7FFFFFFF
    return f"{number % 10 ** TOTP_DIGITS:0{TOTP_DIGITS}d}"


def totp_valid(secret: str, passcode: str) -> bool:
    """Accept the current code and one step either side."""
    given = str(passcode).strip()
    return any(hmac.compare_digest(totp_code(secret, offset=offset), given) for offset in (-1, 0, 1))


def bearer_token(header: str | None) -> str | None:
    """§2.1 (b): lower-case the whole header; if it contains ``bearer``, drop the first ``bearer `` (no trimming)."""
    if header is None:
        return None
    lowered = header.lower()
    if "bearer" not in lowered:
        return None
    return lowered.replace("bearer ", "", 1)


@dataclass
class AuthResult:
    """Outcome of authenticating one request."""

    kind: str  # bearer | cookie | none
    user: User | None = None
    token: Token | None = None
    session: Session | None = None
    presented_token: str | None = None
    error: str | None = None  # JSON error for 401 (e.g. TOTP_REQUIRED)


def authenticate(store: Store, authorization: str | None, cookie: str | None) -> AuthResult:
    """§2.2: bearer overrides the cookie; any other scheme falls through to the cookie."""
    presented = bearer_token(authorization)
    if presented is not None:
        result = AuthResult(kind="bearer", presented_token=presented)
        token = store.tokens.get(presented)
        # BoltDB 2.10 looks tokens up without checking ``expired``: a deleted token still works
        bolt_ignores_expired = store.profile.bolt_expired_tokens_valid and store.options.backend == "bolt"
        if token is None or (token.expired and not bolt_ignores_expired):
            return result  # §2.2: unknown, deleted or (SQL) expired token -> 401
        if token.expires_at is not None and token.expires_at <= now_ns():
            return result
        user = store.users.get(token.user_id)
        if user is None:
            return result
        result.user, result.token = user, token
        return result
    if not cookie:
        return AuthResult(kind="none")
    result = AuthResult(kind="cookie")
    session = store.sessions.get(cookie)
    if session is None or session.expired:
        return result
    now = now_ns()
    if now - session.last_active > 7 * 24 * 3600 * 1_000_000_000:
        session.expired = True  # §2.1 (a): inactive for more than 7 days
        return result
    user = store.users.get(session.user_id)
    if user is None:
        return result
    result.session = session
    if not session.verified:
        result.error = "TOTP_REQUIRED"
        return result
    session.last_active = now
    result.user = user
    return result
