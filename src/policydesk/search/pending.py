"""The worker's search indexer: new tickets' entries written soon after their intake
(`indexing.opening`, `indexing.index_pending`), every POLICYDESK_SEARCH_INDEX_SECONDS, by the
worker's loop between batches of tasks (`policydesk worker`), a batch of tickets per transaction
until none waits."""

from __future__ import annotations

import math
import time

from django.conf import settings

from policydesk.search import indexing


def interval_seconds() -> float:
    """Seconds between two looks for tickets waiting for their entries; 0: this worker does not
    look (POLICYDESK_SEARCH_INDEX_SECONDS)."""
    return max(0.0, float(settings.POLICYDESK_SEARCH_INDEX_SECONDS))


#: Seconds between two batches of one look: SQLite's writers wait for its one write lock by
#: looking every 0.2 ms (`sqlite_writers`), and a writer that asks again at once after its commit
#: gets it before them. Batch after batch, intakes waited for a whole look (p99 55 -> 149 ms).
PAUSE = 0.002


#: Seconds one look of the worker's loop goes on at most (`index_for`): the loop sends mail and
#: runs tasks between two looks, and a backlog of thousands of tickets (after a burst, or a worker
#: that was down) must not hold up the acknowledgements for as long as it takes.
LOOK_SECONDS = 0.2


def index_for(seconds: float) -> tuple[int, bool]:
    """Batches of waiting tickets given their entries, with the pause between two, until none
    waits or `seconds` have passed (the batch under way is finished); how many, and whether some
    may still wait. A batch smaller than the most it could take ends it (what another worker
    holds on PostgreSQL, or what arrives meanwhile, is taken at the next look)."""
    deadline = time.monotonic() + seconds
    done = 0
    while True:
        taken = indexing.index_pending(indexing.INDEX_BATCH)
        done += taken
        if taken < indexing.INDEX_BATCH:
            return done, False
        if time.monotonic() >= deadline:
            return done, True
        time.sleep(PAUSE)


def index_all_pending() -> int:
    """Every ticket waiting for its entries given them (`index_for`, with no end but the last
    batch); how many."""
    return index_for(math.inf)[0]
