"""Who works a ticket and where it stands: the assignee, the status, the priority, and an
agent's deflection of a ticket that turns out to be out of scope (which solves it)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.tickets import signals
from policydesk.tickets.access import can_answer
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Deflection, Message, Person, Ticket


def do_assign(*, ticket: Ticket, assignee: Person | None, actor: Person, now: datetime) -> Ticket:
    """Assign to an agent who works the ticket's queue, or unassign."""
    if assignee is not None and not can_answer(assignee, ticket):
        raise ActionError(
            _("%(email)s does not work the %(queue)s queue")
            % {"email": assignee.email, "queue": ticket.office}
        )
    with transaction.atomic():
        ticket = locked(ticket)
        ticket.assignee = assignee
        if ticket.status == Ticket.Status.NEW and assignee is not None:
            ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, actor, "ticket.assigned", ticket, assignee=assignee.email if assignee else None
        )
        signals.ticket_changed.send(Ticket, ticket=ticket, change="assignee")
    return ticket


def do_set_status(*, ticket: Ticket, status: str, actor: Person, now: datetime) -> Ticket:
    """Move a ticket between new, open, pending, solved and closed (closed is final)."""
    if status not in Ticket.Status.values:
        raise ActionError(_("unknown status %(status)r") % {"status": status})
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.status == Ticket.Status.CLOSED and status != Ticket.Status.CLOSED:
            raise ActionError(_("a closed ticket cannot be reopened; open a new one"))
        before = ticket.status
        ticket.status = status
        ticket.updated_at = now
        ticket.save()
        record_audit_event(now, actor, "ticket.status", ticket, before=before, after=status)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="status")
    return ticket


def do_set_priority(*, ticket: Ticket, priority: str, actor: Person, now: datetime) -> Ticket:
    """C15, C16: priority is recorded and shown; it never changes the due time."""
    if priority not in get_policy().priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": priority})
    with transaction.atomic():
        ticket = locked(ticket)
        before = ticket.priority
        ticket.priority = priority
        ticket.updated_at = now
        ticket.save(update_fields=["priority", "updated_at"])
        record_audit_event(now, actor, "ticket.priority", ticket, before=before, after=priority)
    return ticket


def do_deflect(*, ticket: Ticket, agent: Person, topic: str, now: datetime) -> Deflection:
    """An agent finds an open ticket out of scope: the customer gets the policy's route text
    as a public reply, the deflection is recorded, the ticket is solved (C12, C17-C19)."""
    policy = get_policy()
    if topic not in policy.out_of_scope:
        raise ActionError(_("%(topic)r is not an out-of-scope topic of the policy") % {"topic": topic})
    organisation = ticket.organisation
    route = policy.route_for(policy.plans[organisation.plan], topic)
    with transaction.atomic():
        ticket = locked(ticket)
        if Deflection.objects.filter(ticket=ticket).exists():
            raise ActionError(_("the ticket is already deflected"))
        lang = languages.choose(ticket.language)
        text = policy.route_text(route, organisation.account_team(), lang)
        message = Message.objects.create(
            ticket=ticket, author=agent, kind=Message.Kind.PUBLIC, text=text, channel=Ticket.Channel.WEB,
            created_at=now,
        )  # fmt: skip
        deflection = Deflection.objects.create(
            organisation=organisation, person=ticket.requester, ticket=ticket, topic=topic,
            channel=ticket.channel, route=route.id, route_kind=route.kind, policy_version=policy.version,
            created_at=now,
        )  # fmt: skip
        if ticket.first_responded_at is None:
            ticket.first_responded_at = now
        ticket.status = Ticket.Status.SOLVED
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, agent, "ticket.deflected", ticket, topic=topic, route=route.id, message=message.pk
        )
        signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=True)
    return deflection
