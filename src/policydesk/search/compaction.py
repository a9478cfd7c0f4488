"""The worker's compaction of SQLite's full-text index (`indexing.compact`): every
POLICYDESK_SEARCH_COMPACT_HOURS, in a thread beside the tasks, a short transaction a step."""

from __future__ import annotations

import logging

from django.conf import settings

from policydesk.ops.loops import Every
from policydesk.search import indexing

log = logging.getLogger("policydesk.search")


def interval_seconds() -> float:
    """Seconds between two compactions; 0: none (POLICYDESK_SEARCH_COMPACT_HOURS)."""
    return max(0.0, float(settings.POLICYDESK_SEARCH_COMPACT_HOURS)) * 3600


class CompactLoop(Every):
    """`indexing.compact()` once `interval` seconds after the worker starts, then every `interval`
    seconds until stopped. Only SQLite has anything to compact; a failed run (the database busy
    beyond its timeout) is logged and tried again at the next."""

    def __init__(self, interval: float) -> None:
        super().__init__("search-compaction", interval, log, wait_first=True)

    def work(self) -> None:
        log.info("search index compacted in %s steps", indexing.compact())
