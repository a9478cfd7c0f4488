"""The watch's tasks, run by `policydesk worker` (django_tasks database backend).

They are enqueued inside the transaction that causes them: `send_deliveries` by the
transaction that fires a timer (or the sweep), `fire_timers_now` by the intake transaction
of a mission-critical ticket, so its first page leaves at once rather than at the next
pass of the watch loop (C6).
"""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from policydesk.watch import outbox, timers


@task()
def send_deliveries(ids: list[int]) -> dict[str, int]:
    """Send these deliveries, each claimed on its own; the outcomes, counted."""
    counts: dict[str, int] = {}
    for delivery_id in ids:
        outcome = outbox.send_delivery(delivery_id, timezone.now())
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    return counts


@task()
def fire_timers_now(ids: list[int]) -> int:
    """Fire these timers now (the watch loop would too, a few seconds later: the claim makes
    the second one harmless)."""
    return timers.fire_timers(ids, timezone.now())
