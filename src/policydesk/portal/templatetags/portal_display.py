"""Template access to the one time formatter (policydesk.display), and a ticket's status as
its customer reads it."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.translation import gettext

from policydesk.display import format_instant
from policydesk.tickets.models import Ticket

register = template.Library()


@register.filter
def instant(value: datetime | None, time_zone: str | None) -> str:
    """`{{ ticket.created_at|instant:user.time_zone }}`: in the viewer's zone and language."""
    return format_instant(value, time_zone)


@register.filter
def customer_status(ticket: Ticket) -> str:
    """`{{ ticket|customer_status }}`: the status a customer sees. On hold is the desk's own
    business (a third party or engineering is what it waits on), so the customer reads that it
    waits on us, not on whom; the other statuses read as the console names them."""
    if ticket.status == Ticket.Status.ON_HOLD:
        return gettext("Open (waiting on us)")
    return str(ticket.get_status_display())
