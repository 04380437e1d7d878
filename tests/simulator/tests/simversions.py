"""Version checks for tests keyed to a simulator profile name (``"2.13"``): compare numbers, not strings."""
from __future__ import annotations


def since(profile: str, version: str) -> bool:
    """True when the simulated line ``profile`` is ``version`` or a later one ("2.9" < "2.10")."""
    return tuple(int(part) for part in profile.split(".")) >= tuple(int(part) for part in version.split("."))
