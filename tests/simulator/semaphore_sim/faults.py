"""Fault injection and the request log behind the test control API."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

KINDS = ("status", "html", "drop", "delay", "truncate")

HTML_PAGE = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
             "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")

_TOKEN_IN_PATH = re.compile(r"(/tokens/)([^/]+)")


def redact_path(path: str) -> str:
    """A token in a path shows only its first 8 characters followed by ``...``."""
    def _cut(match: re.Match[str]) -> str:
        value = match.group(2)
        if len(value) <= 8:
            return match.group(0)
        return match.group(1) + value[:8] + "..."
    return _TOKEN_IN_PATH.sub(_cut, path)


class FaultError(ValueError):
    """A fault definition that cannot be used."""


@dataclass
class Fault:
    """One injected fault."""

    kind: str
    method: str | None = None
    path: str | None = None
    path_regex: re.Pattern[str] | None = None
    status: int | None = None
    delay: float = 0.0
    times: int | None = 1
    after_processing: bool = False
    retry_after: str | None = None

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        """Validate a ``POST /_sim/faults`` body."""
        if not isinstance(data, dict):
            raise FaultError("fault must be a JSON object")
        kind = data.get("kind", "status")
        if kind not in KINDS:
            raise FaultError(f"kind must be one of {', '.join(KINDS)}")
        if not data.get("path") and not data.get("path_regex"):
            raise FaultError("path or path_regex is required")
        try:
            regex = re.compile(str(data["path_regex"])) if data.get("path_regex") else None
        except re.error as exc:
            raise FaultError(f"bad path_regex: {exc}") from exc
        times = data.get("times", 1)
        retry_after = data.get("retry_after")
        status = data.get("status")
        try:
            return cls(kind=kind, method=(str(data["method"]).upper() if data.get("method") else None),
                       path=(str(data["path"]) if data.get("path") else None), path_regex=regex,
                       status=int(status) if status is not None else None, delay=float(data.get("delay") or 0.0),
                       times=int(times) if times is not None else None,
                       after_processing=bool(data.get("after_processing", False)),
                       retry_after=str(retry_after) if retry_after is not None else None)
        except (TypeError, ValueError) as exc:
            raise FaultError(f"bad fault field: {exc}") from exc

    def matches(self, method: str, path: str) -> bool:
        """Exact path (with or without the trailing slash the server strips) or regular expression."""
        if self.method is not None and self.method != method:
            return False
        if self.times is not None and self.times <= 0:
            return False
        if self.path_regex is not None:
            return self.path_regex.fullmatch(path) is not None
        stripped = path[:-1] if len(path) > 1 and path.endswith("/") else path
        return self.path in (path, stripped)

    def to_json(self) -> dict[str, Any]:
        """Echo for the control API."""
        return {"kind": self.kind, "method": self.method, "path": self.path,
                "path_regex": self.path_regex.pattern if self.path_regex else None, "status": self.status,
                "delay": self.delay, "times": self.times, "after_processing": self.after_processing,
                "retry_after": self.retry_after}


class Faults:
    """The list of active faults."""

    def __init__(self) -> None:
        self.items: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Register a fault."""
        self.items.append(fault)

    def clear(self) -> None:
        """Drop all faults."""
        self.items.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first matching fault, counting one use."""
        for fault in self.items:
            if fault.matches(method, path):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None


class RequestLog:
    """What the API saw (never the control API), with secrets redacted."""

    MAX_ENTRIES = 10000

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self.seq = 0

    def add(self, entry: dict[str, Any]) -> None:
        """Append one request, keeping the log bounded."""
        self.seq += 1
        entry = {"seq": self.seq, "time": time.time(), **entry}
        self.entries.append(entry)
        if len(self.entries) > self.MAX_ENTRIES:
            del self.entries[: len(self.entries) - self.MAX_ENTRIES]

    def clear(self) -> None:
        """Forget everything."""
        self.entries.clear()
