"""No two agents at cross purposes: the stale-write guard.

A ticket's version is the id of its latest audit event. Every change to a ticket is an action and
every action records one audit row on the ticket (`tickets/audit.py`), so the version moves with
every reply, note, status, priority, assignment, request-type change, deflection and customer
answer, with no counter for each action to remember to bump, and what changed since a version
is exactly the audit rows after it (what the console shows the agent).

The console's ticket forms carry the version the page was loaded at; an action given that
`expected_version` checks it inside its transaction, with the ticket row locked, so of two agents
answering in the same second the second is held (`StaleTicket`) and the customer gets one reply.
The agent confirms by sending again with the new version (a later change warns again).
"""

from __future__ import annotations

from django.db.models import Max, QuerySet
from django.utils.translation import gettext as _

from policydesk.tickets.actions.shared import ActionError
from policydesk.tickets.models import AuditEvent, Ticket


class StaleTicket(ActionError):
    """The ticket changed since the agent loaded it: `version` is the ticket's version now and
    `since` the audit events after the one the agent saw, oldest first."""

    def __init__(self, version: int, since: list[AuditEvent]) -> None:
        super().__init__(_("the ticket changed since you opened it"))
        self.version = version
        self.since = since


def _events(ticket: Ticket) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_type="ticket", subject_id=str(ticket.pk))


def ticket_version(ticket: Ticket) -> int:
    """The id of the ticket's latest audit event (0 for none)."""
    return int(_events(ticket).aggregate(latest=Max("id"))["latest"] or 0)


def check_version(ticket: Ticket, expected_version: int | None) -> None:
    """Raise `StaleTicket` if `ticket` changed after `expected_version` (None: no check, for the
    callers that load no page: email, the API). Call it on the locked row, inside the action's
    transaction, before writing."""
    if expected_version is None:
        return
    since = list(_events(ticket).filter(id__gt=expected_version).select_related("actor").order_by("id"))
    if since:
        raise StaleTicket(since[-1].pk, since)
