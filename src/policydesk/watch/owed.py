"""Whether a fired warning or breach is still owed when it is told: the first response while
the ticket awaits it; any other metric instance while the ticket is open and the instance is
neither fulfilled nor paused (its stored events, `tickets.MetricEvent`). Checked when timers
fire and again when a held notification is sent: one answered, solved or paused meanwhile is
left out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from policydesk.desk_policy import get_policy
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.watch.metric_plan import (
    FIRST_RESPONSE,
    StoredInstance,
    first_response_pauses,
    stored_instances,
)


class MetricTimer(Protocol):
    """What the check reads of a timer (or of a notification it caused)."""

    @property
    def ticket(self) -> Ticket: ...
    @property
    def metric(self) -> str: ...
    @property
    def cycle(self) -> int: ...


def still_owed(timers: Iterable[MetricTimer]) -> list[bool]:
    """For each timer (its ticket loaded), whether what it warns of is still owed; one query."""
    timers = list(timers)
    from_events = first_response_pauses(get_policy())
    by_events = [t for t in timers if t.metric != FIRST_RESPONSE or from_events]
    instances: dict[int, dict[tuple[str, int], StoredInstance]] = {}
    if by_events:
        rows = (
            MetricEvent.objects.filter(
                ticket_id__in={t.ticket.pk for t in by_events}, metric__in={t.metric for t in by_events}
            )
            .order_by("ticket_id", "at", "id")
            .values_list("ticket_id", "metric", "cycle", "kind", "at")
        )
        grouped: dict[int, list[tuple[str, int, str, datetime]]] = {}
        for ticket_id, metric, cycle, kind, at in rows:
            grouped.setdefault(ticket_id, []).append((metric, cycle, kind, at))
        instances = {ticket_id: stored_instances(events) for ticket_id, events in grouped.items()}
    owed = []
    for timer in timers:
        ticket = timer.ticket
        if timer.metric == FIRST_RESPONSE and not from_events:
            owed.append(ticket.awaiting_first_response)
            continue
        instance = instances.get(ticket.pk, {}).get((timer.metric, timer.cycle))
        owed.append(ticket.is_open and instance is not None and instance.owed)
    return owed
