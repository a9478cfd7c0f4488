"""The watch's sending task, run by `policydesk worker` (django_tasks database backend).

`send_deliveries` is enqueued inside the transaction that causes it: the one that fires a
timer, or the sweep (`timers`). This module imports the outbox and nothing that imports it
back; the other watch task, `fire_timers_now`, lives in `timers` beside what it runs.
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from policydesk.watch import outbox


@task()
def send_deliveries(ids: list[int]) -> dict[str, int]:
    """Send these deliveries, each claimed on its own; the outcomes, counted."""
    counts: dict[str, int] = {}
    for delivery_id in ids:
        outcome = outbox.send_delivery(delivery_id, timezone.now())
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts
