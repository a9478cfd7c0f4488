"""The worker's search indexer: new tickets' entries written soon after their intake
(`indexing.opening`, `indexing.index_pending`), every POLICYDESK_SEARCH_INDEX_SECONDS, in a thread
beside the tasks, a batch of tickets per transaction until none waits."""

from __future__ import annotations

import logging

from django.conf import settings

from policydesk.ops.loops import Every
from policydesk.search import indexing

log = logging.getLogger("policydesk.search")


def interval_seconds() -> float:
    """Seconds between two looks for tickets waiting for their entries; 0: this worker does not
    look (POLICYDESK_SEARCH_INDEX_SECONDS)."""
    return max(0.0, float(settings.POLICYDESK_SEARCH_INDEX_SECONDS))


def index_all_pending() -> int:
    """Every ticket waiting for its entries given them, a batch per transaction; how many. A
    batch smaller than the most it could take ends it (what another worker holds on PostgreSQL,
    or what arrives meanwhile, is taken at the next look)."""
    done = 0
    while True:
        taken = indexing.index_pending()
        done += taken
        if taken < indexing.INDEX_BATCH:
            return done


class IndexLoop(Every):
    """`index_all_pending()` every `interval` seconds until stopped; a failed look (SQLite busy
    beyond its timeout) is logged and tried again at the next."""

    def __init__(self, interval: float) -> None:
        super().__init__("search-index", interval, log)

    def work(self) -> None:
        if done := index_all_pending():
            log.debug("search entries written for %s new tickets", done)
