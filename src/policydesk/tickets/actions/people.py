"""Who a ticket involves besides its requester and assignee: staff who follow it (they are told
what its assignee is told: `inbox.receivers`) and customers copied on it (participants: they
receive its public replies and may write to it, C13, C14).

Copied customers are active customers of the ticket's organisation: a requester cannot copy
someone of another organisation into their conversation, nor can an agent. Addresses that are
nobody's sign-in are outside copies (`copies`), where the policy allows.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.tickets.access import can_answer, is_staff
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Ticket, email_is


def do_follow(*, ticket: Ticket, person: Person, now: datetime) -> Ticket:
    """`person` (staff who may answer the ticket) follows it: told of its customer replies and reopening."""
    if not can_answer(person, ticket):
        raise ActionError(_("only staff who may answer a ticket can follow it"))
    with transaction.atomic():
        ticket = locked(ticket)
        if not ticket.followers.filter(pk=person.pk).exists():
            ticket.followers.add(person)
            record_audit_event(now, person, "ticket.followed", ticket, follower=person.email)
    return ticket


def do_unfollow(*, ticket: Ticket, person: Person, now: datetime) -> Ticket:
    """`person` stops following the ticket (nothing happens if they did not)."""
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.followers.filter(pk=person.pk).exists():
            ticket.followers.remove(person)
            record_audit_event(now, person, "ticket.unfollowed", ticket, follower=person.email)
    return ticket


def colleague_by_email(ticket: Ticket, email: str) -> Person:
    """The active person of the ticket's organisation who signs in with `email` (C14): the one
    lookup of the console, portal and API forms that copy someone on a ticket or stop."""
    person = Person.objects.filter(
        email_is(email), is_active=True, organisation_id=ticket.organisation_id
    ).first()
    if person is None:
        raise ActionError(_("%(email)s is not a customer of this ticket's organisation") % {"email": email})
    return person


def may_change_people(actor: Person, ticket: Ticket) -> bool:
    """Whether `actor` may copy people on `ticket` or remove them: its requester, or staff who answer it."""
    return actor.pk == ticket.requester_id or can_answer(actor, ticket)


def do_add_participant(*, ticket: Ticket, participant: Person, actor: Person, now: datetime) -> Ticket:
    """Copy `participant` on the ticket: the requester or staff who may answer it may; the person
    copied must be an active customer of the ticket's organisation (C14)."""
    if not may_change_people(actor, ticket):
        raise ActionError(_("only the requester or support staff can copy someone on this ticket"))
    if (
        not participant.is_active
        or is_staff(participant)
        or participant.organisation_id != ticket.organisation_id
    ):
        raise ActionError(
            _("%(email)s is not a customer of this ticket's organisation") % {"email": participant.email}
        )
    if participant.pk == ticket.requester_id:
        raise ActionError(_("the requester is on the ticket already"))
    with transaction.atomic():
        ticket = locked(ticket)
        if not ticket.participants.filter(pk=participant.pk).exists():
            ticket.participants.add(participant)
            record_audit_event(now, actor, "ticket.participant_added", ticket, participant=participant.email)
    return ticket


def do_remove_participant(*, ticket: Ticket, participant: Person, actor: Person, now: datetime) -> Ticket:
    """Stop copying `participant`: they receive no more of its mail. The requester, staff who may
    answer it, or the participant themself may."""
    if actor.pk != participant.pk and not may_change_people(actor, ticket):
        raise ActionError(_("only the requester or support staff can remove someone from this ticket"))
    with transaction.atomic():
        ticket = locked(ticket)
        if ticket.participants.filter(pk=participant.pk).exists():
            ticket.participants.remove(participant)
            record_audit_event(
                now, actor, "ticket.participant_removed", ticket, participant=participant.email
            )
    return ticket
