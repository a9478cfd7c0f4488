"""The worker's compaction of SQLite's full-text index (`indexing.compact`): every
POLICYDESK_SEARCH_COMPACT_HOURS, in a thread beside the tasks, a short transaction a step."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from policydesk.search import indexing

log = logging.getLogger("policydesk.search")


def interval_seconds() -> float:
    """Seconds between two compactions; 0: none (POLICYDESK_SEARCH_COMPACT_HOURS)."""
    return max(0.0, float(settings.POLICYDESK_SEARCH_COMPACT_HOURS)) * 3600


class CompactLoop(threading.Thread):
    """`indexing.compact()` once `interval` seconds after the worker starts, then every `interval`
    seconds until stopped. Only SQLite has anything to compact; a failed run (the database busy
    beyond its timeout) is logged and tried again at the next."""

    def __init__(self, interval: float) -> None:
        super().__init__(name="search-compaction", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(self.interval):
                close_old_connections()
                try:
                    steps = indexing.compact()
                    log.info("search index compacted in %s steps", steps)
                except Exception:
                    log.exception("search index compaction failed")
        finally:
            connection.close()
