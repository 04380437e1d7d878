"""Timestamps the way the Go server writes them (§1 Timestamps).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import time
from datetime import datetime


def now_ns() -> int:
    """Wall-clock time in nanoseconds."""
    return time.time_ns()


def truncate(ns: int, digits: int) -> int:
    """Drop precision below ``digits`` fractional digits (database storage, §1)."""
    unit = 10 ** (9 - digits)
    return ns - ns % unit


def fmt_time(ns: int | None, digits: int = 6) -> str | None:
    """RFC 3339 in UTC like Go's RFC3339Nano: trailing zeros of the fraction are dropped."""
    if ns is None:
        return None
    secs, frac = divmod(ns, 1_000_000_000)
    # The year padded by hand: strftime gives "1" for year 1, and Go's zero time is 0001-01-01 (§13).
    stamp = time.gmtime(secs)
    text = f"{stamp.tm_year:04d}" + time.strftime("-%m-%dT%H:%M:%S", stamp)
    if digits > 0:
        fraction = f"{frac:09d}"[:digits].rstrip("0")
        if fraction:
            text += "." + fraction
    return text + "Z"


def parse_time(text: str) -> int:
    """Parse an RFC 3339 timestamp (optional fraction, ``Z`` or offset) into nanoseconds."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    fraction_ns = 0
    if "." in value:
        head, rest = value.split(".", 1)
        digits = ""
        idx = 0
        while idx < len(rest) and rest[idx].isdigit():
            digits += rest[idx]
            idx += 1
        if not digits:
            raise ValueError("empty fraction")
        fraction_ns = int((digits + "000000000")[:9])
        value = head + rest[idx:]
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp without time zone")
    return int(parsed.timestamp()) * 1_000_000_000 + fraction_ns
