"""The conversation on a ticket: public replies from agents and customers, internal notes,
and the desk's own notes about mail it could not deliver."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk.compiled_queries import insert
from policydesk.tickets import signals
from policydesk.tickets.actions import once
from policydesk.tickets.actions.shared import (
    ActionError,
    Upload,
    attach,
    clean_html,
    customer_message,
    locked,
)
from policydesk.tickets.actions.stale import check_version
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Draft, Message, Person, Ticket
from policydesk.tickets.sla_metrics import record_metric_events
from policydesk.tickets.workspace import discard_draft

#: What an agent's reply leaves the ticket as: waiting on the customer, or solved ("send and solve").
REPLY_STATUSES = (Ticket.Status.PENDING, Ticket.Status.SOLVED)


def do_agent_reply(
    *,
    ticket: Ticket,
    agent: Person,
    text: str,
    now: datetime,
    html: str = "",
    uploads: tuple[Upload, ...] = (),
    once_key: str = "",
    expected_version: int | None = None,
    status: str = Ticket.Status.PENDING,
) -> Message:
    """A public answer. The first one stops the first-response clock; the ticket then waits on the
    customer (pending), or, sent "and solve", is solved (`status`), in the same transaction and audit row.
    `once_key`: the form's one-time key (`actions/once.py`); `expected_version`: the ticket's
    version the agent saw (`actions/stale.py`). The agent's reply draft goes."""
    if not text.strip():
        raise ActionError(_("a reply needs text"))
    if status not in REPLY_STATUSES:
        raise ActionError(
            _("a reply leaves the ticket pending or solved, not %(status)r") % {"status": status}
        )
    with transaction.atomic():
        submit = once.claim(once_key, agent, "ticket.replied", now)
        if isinstance(submit.earlier, Message):
            return submit.earlier
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        if ticket.status == Ticket.Status.CLOSED:
            raise ActionError(_("the ticket is closed"))
        message = insert(Message(
            ticket=ticket, author=agent, kind=Message.Kind.PUBLIC, text=text, html=clean_html(html),
            channel=Ticket.Channel.WEB, created_at=now,
        ))  # fmt: skip
        attach(ticket, message, uploads, now)
        first = ticket.first_responded_at is None
        if first:
            ticket.first_responded_at = now
        if ticket.assignee_id is None:
            ticket.assignee = agent
        solved = ticket.status != Ticket.Status.SOLVED and status == Ticket.Status.SOLVED
        ticket.status = status
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, agent, "ticket.replied", ticket, message=message.pk, first_response=first, status=status
        )
        record_metric_events(ticket, now)
        signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=first)
        if solved:
            signals.ticket_solved.send(Ticket, ticket=ticket, actor=agent, now=now)
        discard_draft(ticket, agent, Draft.Kind.REPLY)
        submit.remember(message)
    return message


def do_add_note(
    *,
    ticket: Ticket,
    agent: Person,
    text: str,
    now: datetime,
    once_key: str = "",
    expected_version: int | None = None,
) -> Message:
    """An internal note: staff only, never sent to the customer, does not stop any clock.
    `expected_version` as for `do_agent_reply`; the agent's note draft goes."""
    if not text.strip():
        raise ActionError(_("a note needs text"))
    with transaction.atomic():
        submit = once.claim(once_key, agent, "ticket.noted", now)
        if isinstance(submit.earlier, Message):
            return submit.earlier
        ticket, message = _add_internal(ticket, agent, text, Ticket.Channel.WEB, now, expected_version)
        record_audit_event(now, agent, "ticket.noted", ticket, message=message.pk)
        discard_draft(ticket, agent, Draft.Kind.NOTE)
        signals.note_added.send(Ticket, ticket=ticket, message=message)
        submit.remember(message)
    return message


def _add_internal(
    ticket: Ticket,
    author: Person | None,
    text: str,
    channel: str,
    now: datetime,
    expected_version: int | None = None,
) -> tuple[Ticket, Message]:
    """An internal message on the locked ticket, which counts as its latest change; no clock moves."""
    ticket = locked(ticket)
    check_version(ticket, expected_version)
    message = insert(
        Message(
            ticket=ticket,
            author=author,
            kind=Message.Kind.INTERNAL,
            text=text,
            channel=channel,
            created_at=now,
        )
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    return ticket, message


def do_report_undelivered_mail(
    *, ticket: Ticket, recipient: str, what: str, reason: str, now: datetime
) -> Message:
    """An email about `ticket` could not be built or sent: the agents learn it on the ticket
    (an internal note by the desk itself), never only from a log (issue 9, finding 5).

    Written in the desk's default language: it is a record for whoever opens the ticket."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "The %(what)s email to %(recipient)s could not be sent: %(reason)s. "
            "They have not received it; answer again or contact them another way."
        ) % {"what": what, "recipient": recipient, "reason": reason}
    with transaction.atomic():
        # The email channel and no author: `Message.is_from_the_desk`.
        ticket, message = _add_internal(ticket, None, text, Ticket.Channel.EMAIL, now)
        record_audit_event(now, None, "mail.undelivered", ticket, message=message.pk, recipient=recipient)
    return message


def do_customer_reply(
    *,
    ticket: Ticket,
    customer: Person,
    text: str,
    now: datetime,
    channel: str = Ticket.Channel.WEB,
    html: str = "",
    uploads: tuple[Upload, ...] = (),
    inbound: signals.InboundEmail | None = None,
    once_key: str = "",
) -> Message:
    """The customer answers: a solved or pending ticket opens again. `inbound`: the email
    the answer came in, for the mail sent about it (threading). `once_key`: the form's
    one-time key (`actions/once.py`)."""
    if not text.strip() and not uploads:
        raise ActionError(_("a reply needs text"))
    with transaction.atomic():
        submit = once.claim(once_key, customer, "ticket.customer_replied", now)
        if isinstance(submit.earlier, Message):
            return submit.earlier
        ticket = locked(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise ActionError(_("the ticket is closed; please open a new one"))
        message = insert(customer_message(ticket, customer, text=text, html=html, channel=channel, now=now))
        attach(ticket, message, uploads, now)
        if customer.pk != ticket.requester_id:
            ticket.participants.add(customer)
        reopened = ticket.status == Ticket.Status.SOLVED
        if ticket.status in (Ticket.Status.PENDING, Ticket.Status.SOLVED):
            ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, customer, "ticket.customer_replied", ticket, message=message.pk, channel=channel
        )
        record_metric_events(ticket, now)
        signals.customer_replied.send(
            Ticket, ticket=ticket, message=message, inbound=inbound, reopened=reopened
        )
        discard_draft(ticket, customer, Draft.Kind.REPLY)
        submit.remember(message)
    return message
