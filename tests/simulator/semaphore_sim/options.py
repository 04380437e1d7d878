"""Start options that model the server's configuration rather than its version (see README.md).

findings x: docs/real-server-findings.md.
"""
from __future__ import annotations

from dataclasses import dataclass

TASK_IDS = ("ascending", "descending")
# postgres: today's default (microsecond times, /output ordered by time then id);
# mysql: whole-second output times (MySQL ``datetime`` without fractional seconds);
# bolt: BoltDB (with profile 2.10 a deleted API token still authenticates; task ids: see --task-ids).
BACKENDS = ("postgres", "mysql", "bolt")
BOLT_MAX_ID = 2147483647  # BoltDB numbers tasks 2147483647 - n (findings, "BoltDB task ids")

# Defaults of the end-of-task window (findings a), in seconds; /_sim/config can change them.
DEFAULT_FINAL_STATUS_DELAY = 0.2  # final ``update`` pushed -> status saved (end still null)
DEFAULT_END_DELAY = 0.2  # status saved -> ``end`` saved and a second ``update`` pushed
DEFAULT_OUTPUT_DELAY = 0.3  # v2.10: each line is stored this long after it was logged


@dataclass(frozen=True)
class StartOptions:
    """What ``python -m semaphore_sim`` was started with, besides the profile."""

    task_ids: str = "ascending"
    backend: str = "postgres"
    web_host: str = ""
    order_seed: int = 0
    final_status_delay: float = DEFAULT_FINAL_STATUS_DELAY
    end_delay: float = DEFAULT_END_DELAY
    output_delay: float = DEFAULT_OUTPUT_DELAY

    def __post_init__(self) -> None:
        if self.task_ids not in TASK_IDS:
            raise ValueError(f"task_ids must be one of {', '.join(TASK_IDS)}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}")

    @property
    def first_task_id(self) -> int:
        """The id of the first task created."""
        return BOLT_MAX_ID - 1 if self.task_ids == "descending" else 1

    @property
    def task_id_step(self) -> int:
        """+1 for SQL backends, -1 for BoltDB numbering."""
        return -1 if self.task_ids == "descending" else 1
