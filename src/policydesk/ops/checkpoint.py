"""SQLite: the worker copies the write-ahead log into the database (a passive checkpoint) every
POLICYDESK_SQLITE_CHECKPOINT_SECONDS, on a thread of its own (issue 17).

Without it, the process whose commit takes the log past POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT
pages copies it, inside that commit: a web request then waits for the copy and two fsyncs. With
the worker copying the log a few times a second, it rarely grows that far, and the copying
happens beside the requests, not in one of them. A passive checkpoint takes no lock that writers
or readers wait for; the mark stays as the fallback for a desk run without a worker.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection

from policydesk.ops.loops import Every

log = logging.getLogger("policydesk.ops")


def interval_seconds() -> float:
    """Seconds between two checkpoints; 0: none (POLICYDESK_SQLITE_CHECKPOINT_SECONDS)."""
    return max(0.0, float(settings.POLICYDESK_SQLITE_CHECKPOINT_SECONDS))


def checkpoint() -> tuple[int, int]:
    """One passive checkpoint of this thread's connection: (frames in the log, frames copied)."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        _busy, frames, copied = cursor.fetchone()
    return int(frames), int(copied)


class CheckpointLoop(Every):
    """`checkpoint()` every `interval` seconds until stopped; a failed one is logged and tried
    again at the next."""

    def __init__(self, interval: float) -> None:
        super().__init__("sqlite-checkpoint", interval, log, wait_first=True)

    def work(self) -> None:
        checkpoint()
