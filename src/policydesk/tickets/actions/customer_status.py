"""The requester's own say on where their ticket stands: "my problem is solved" from the help
center, and "please reopen it" after a bad rating (`satisfaction`). Staff change a ticket's
status with `assignment.do_set_status`; these are the customer's two moves, each audited as a
status change with the customer as its actor, so agents see who solved or reopened it."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.tickets import signals
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import OPEN_STATUSES, Person, Ticket
from policydesk.tickets.sla_metrics import record_metric_events


def _requester_only(ticket: Ticket, customer: Person) -> None:
    # Participants and colleagues who can read a shared ticket may write on it, but only the
    # person who asked decides that it is solved.
    if customer.pk != ticket.requester_id:
        raise ActionError(_("only the person who made this request can change its status"))


def do_customer_solve(*, ticket: Ticket, customer: Person, now: datetime) -> Ticket:
    """The requester marks their open ticket solved: the clocks stop as for an agent's solve,
    and they are asked how we did (`signals.ticket_solved`)."""
    _requester_only(ticket, customer)
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.status not in OPEN_STATUSES:
            raise ActionError(_("this request is not open"))
        before = ticket.status
        ticket.status = Ticket.Status.SOLVED
        ticket.updated_at = now
        ticket.save(update_fields=["status", "updated_at"])
        record_audit_event(
            now, customer, "ticket.status", ticket, before=before, after=ticket.status, by="customer"
        )
        record_metric_events(ticket, now)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="status")
        signals.ticket_solved.send(Ticket, ticket=ticket, actor=customer, now=now)
    return ticket


def do_customer_reopen(*, ticket: Ticket, customer: Person, now: datetime) -> Ticket:
    """The requester asks for more help on a solved ticket (the "reopen my ticket" of a bad
    rating): it is open again and its agents are told, as when an agent reopens it."""
    _requester_only(ticket, customer)
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.status != Ticket.Status.SOLVED:
            raise ActionError(_("only a solved request can be reopened"))
        ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save(update_fields=["status", "updated_at"])
        record_audit_event(
            now, customer, "ticket.status", ticket, before=Ticket.Status.SOLVED, after=ticket.status,
            by="customer",
        )  # fmt: skip
        record_metric_events(ticket, now)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="status")
        signals.ticket_reopened.send(Ticket, ticket=ticket, actor=customer)
    return ticket
