"""The inbox's writes made by people: marking notifications read. One transaction, one audit
event (`tickets.audit`), as every action of the desk."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from policydesk.inbox.models import Notification
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Ticket


def do_mark_read(*, person: Person, now: datetime, ticket: Ticket | None = None) -> int:
    """Mark `person`'s unread notifications read: those of `ticket` (they opened it), or all
    ("mark all read"). How many were marked; nothing is written (no audit row) when none were."""
    unread = Notification.objects.filter(recipient=person, read_at=None)
    if ticket is not None:
        unread = unread.filter(ticket=ticket)
    with transaction.atomic():
        marked = unread.update(read_at=now)
        if marked:
            subject = ticket if ticket is not None else person
            record_audit_event(now, person, "notifications.read", subject, count=marked)
    return marked
