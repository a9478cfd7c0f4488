"""A ticket's SLA metrics (issue 15): every metric instance, current and past cycles, with its state,
due, elapsed business time and events. Whoever may see the ticket may see them: a customer sees the
promises made to them on their own tickets (all four metrics are about public replies and solving,
nothing internal), staff those of the tickets they may answer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from policydesk import languages
from policydesk.api.auth import caller
from policydesk.api.errors import not_found, responses
from policydesk.api.schemas import MetricOut, TicketNumber
from policydesk.desk_policy import get_policy
from policydesk.sla.clock import business_seconds_for
from policydesk.tickets.access import visible_tickets
from policydesk.tickets.sla_metrics import stored_metric_states, ticket_rules

router = Router(tags=["tickets"])


@router.get(
    "/tickets/{number}/metrics", response={200: list[MetricOut], **responses(404)}, url_name="ticket_metrics"
)
def list_metrics(request: HttpRequest, number: TicketNumber) -> list[dict[str, Any]]:
    """The ticket's SLA metric instances in activation order (none when its plan promises nothing)."""
    person = caller(request)
    ticket = visible_tickets(person).select_related("organisation").filter(number=number).first()
    if ticket is None:
        raise not_found()
    policy, now, lang = get_policy(), timezone.now(), languages.current()
    rules = ticket_rules(ticket, policy)
    out = []
    for instance in stored_metric_states([ticket], policy, now).get(ticket.pk, []):
        rule, target = rules[instance.metric]
        clock = rule.clock_for(ticket.priority)
        out.append(
            {
                "metric": instance.metric,
                "cycle": instance.cycle,
                "state": instance.state,
                "activated_at": instance.activated_at,
                "due": instance.due,
                "fulfilled_at": instance.fulfilled_at,
                "breached_at": instance.breached_at,
                "target_seconds": business_seconds_for(clock.calendar, clock.target)[1] if clock else None,
                "elapsed_seconds": int(instance.elapsed.total_seconds()),
                "target_text": target.text.get(lang) if target is not None else "",
                "pauses": [{"start": low, "end": high} for low, high in instance.pauses],
                "events": [{"kind": event.kind, "at": event.at} for event in instance.events],
            }
        )
    return out
