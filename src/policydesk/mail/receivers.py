"""Where every email the desk sends about an event starts: receivers of the signals in
`policydesk.tickets.signals` (the list there names each one), run inside the transaction
that sent the signal, so the mail is recorded (and its task enqueued) only if the change
commits.

One way for all of it: the actions cannot call the mail app (the domain does not know
its channels), so they send signals; ingest, which could call `outgoing` directly, sends
the same kind of signal for the one event that is no action (a rejected sender), so a
reader finds every email's start here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from policydesk.mail import outgoing
from policydesk.mail.outgoing import queue_mail
from policydesk.policy.model import Policy
from policydesk.tickets import signals
from policydesk.tickets.models import Deflection, MeetingRequest, Message, Ticket
from policydesk.tickets.signals import InboundEmail


def _left_out(ticket: Ticket, message: Message, inbound: InboundEmail | None) -> None:
    """The notice naming the files of an emailed message that did not reach the ticket."""
    if inbound is not None and inbound.left_out is not None:
        person = message.author or ticket.requester
        email = outgoing.left_out_email(ticket, person, inbound.left_out)
        queue_mail(email, now=message.created_at, message=message, inbound=inbound)


@receiver(signals.ticket_opening, dispatch_uid="policydesk.mail.draft_acknowledgement")
def draft_acknowledgement(
    sender: Any,
    ticket: Ticket,
    policy: Policy | None = None,
    inbound: InboundEmail | None = None,
    **kwargs: Any,
) -> outgoing.PreparedAcknowledgement | None:
    """The acknowledgement's words and rows, worked out before the intake's transaction (issue 17)."""
    return outgoing.prepare_acknowledgement(ticket, policy, inbound)


@receiver(signals.ticket_opened, dispatch_uid="policydesk.mail.acknowledge")
def acknowledge(
    sender: Any,
    ticket: Ticket,
    message: Message,
    inbound: InboundEmail | None = None,
    policy: Policy | None = None,
    prepared: tuple[object, ...] = (),
    **kwargs: Any,
) -> None:
    """C3, C13: the requester learns the request is taken, and the first-response promise."""
    ready = next((p for p in prepared if isinstance(p, outgoing.PreparedAcknowledgement)), None)
    if ready is not None and ready.record.ticket is ticket:
        outgoing.queue_acknowledgement(ready, ticket)
    else:
        email = outgoing.acknowledgement_email(ticket, policy)
        queue_mail(email, now=ticket.created_at, new_ticket=True, inbound=inbound)
    _left_out(ticket, message, inbound)


@receiver(signals.customer_replied, dispatch_uid="policydesk.mail.left_out")
def mail_left_out_notice(
    sender: Any, ticket: Ticket, message: Message, inbound: InboundEmail | None = None, **kwargs: Any
) -> None:
    """A reply by email whose files did not all reach the ticket: the customer learns which."""
    _left_out(ticket, message, inbound)


@receiver(signals.agent_replied, dispatch_uid="policydesk.mail.agent_reply")
def mail_agent_reply(sender: Any, ticket: Ticket, message: Message, **kwargs: Any) -> None:
    """C13: answers go by email."""
    if message.kind == Message.Kind.PUBLIC:
        for email in outgoing.agent_reply_emails(ticket, message):
            queue_mail(email, now=message.created_at, message=message)


@receiver(signals.request_deflected, dispatch_uid="policydesk.mail.deflection")
def mail_deflection(
    sender: Any, deflection: Deflection, inbound: InboundEmail | None = None, **kwargs: Any
) -> None:
    """An emailed request that the policy sends elsewhere gets the route by email (the forms
    show it on screen)."""
    if deflection.channel == Ticket.Channel.EMAIL and deflection.person is not None:
        email = outgoing.deflection_email(deflection, deflection.person, inbound)
        queue_mail(email, now=deflection.created_at, inbound=inbound)


@receiver(signals.meeting_decided, dispatch_uid="policydesk.mail.meeting")
def mail_meeting_decision(sender: Any, meeting: MeetingRequest, **kwargs: Any) -> None:
    """C7, C21: support's answer to a call request (a proposed one-off call, or why not)."""
    queue_mail(outgoing.meeting_decision_email(meeting), now=meeting.decided_at or meeting.requested_at)


@receiver(signals.tickets_merged, dispatch_uid="policydesk.mail.merged")
def mail_merged(sender: Any, source: Ticket, target: Ticket, **kwargs: Any) -> None:
    """Both parties learn where the conversation goes on (the merged ticket's requester first)."""
    for email in outgoing.merged_emails(source, target):
        queue_mail(email, now=target.updated_at)


@receiver(signals.sender_rejected, dispatch_uid="policydesk.mail.rejection")
def mail_rejection_notice(
    sender: Any, address: str, language: str, inbound: InboundEmail, now: datetime, **kwargs: Any
) -> None:
    """C14: an unknown sender learns why, at most once a day."""
    if not outgoing.rejection_noticed_today(address, now):
        queue_mail(outgoing.rejection_email(address, language, inbound), now=now, inbound=inbound)
