"""The watch's writes made by people: acknowledging a page (C6). One transaction, one audit
event (`tickets.audit`); the escalation timers stop in the same commit. (The watch's own
writes, timers and deliveries, are made by its worker in `timers.py` and `outbox.py`.)"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.tickets.actions import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person
from policydesk.watch.models import Page, Timer
from policydesk.watch.notify import STAFF_ROLES


class PagingError(ActionError):
    """A page could not be acknowledged: the message says why."""


def do_acknowledge_page(*, page: Page, person: Person, now: datetime) -> bool:
    """C6: `person` takes the page; escalation stops. True if this call acknowledged it,
    False if it was already acknowledged or answered (a second click is harmless). Only
    active staff may acknowledge: the signed link and any console button call this.

    `page` is read again afterwards, so the caller sees who took it and when."""
    if person.role not in STAFF_ROLES or not person.is_active:
        raise PagingError(_("Only support staff can acknowledge a page."))
    with transaction.atomic():
        # The claim: a conditional update, so two people acknowledging at once get one winner.
        taken = Page.objects.filter(pk=page.pk, state=Page.State.OPEN).update(
            state=Page.State.ACKNOWLEDGED, acknowledged_by=person, acknowledged_at=now
        )
        if taken:
            Timer.objects.filter(
                ticket_id=page.ticket_id, kind=Timer.Kind.PAGE, state=Timer.State.PENDING
            ).update(state=Timer.State.CANCELLED)
            record_audit_event(now, person, "page.acknowledged", page.ticket, page=page.pk, level=page.level)
    page.refresh_from_db()
    return bool(taken)
