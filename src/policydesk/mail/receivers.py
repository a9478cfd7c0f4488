"""What the desk mails when a ticket changes: receivers of `policydesk.tickets.signals`, run
inside the action's transaction, so the mail is recorded (and its task enqueued) only if
the change commits."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from policydesk.mail import outgoing
from policydesk.tickets import signals
from policydesk.tickets.models import Deflection, MeetingRequest, Message, Ticket


@receiver(signals.ticket_opened, dispatch_uid="policydesk.mail.acknowledge")
def acknowledge(sender: Any, ticket: Ticket, **kwargs: Any) -> None:
    """C3, C13: the requester learns the request is taken, and the first-response promise."""
    outgoing.queue_acknowledgement(ticket, ticket.created_at)


@receiver(signals.agent_replied, dispatch_uid="policydesk.mail.agent_reply")
def mail_agent_reply(sender: Any, ticket: Ticket, message: Message, **kwargs: Any) -> None:
    """C13: answers go by email."""
    if message.kind == Message.Kind.PUBLIC:
        outgoing.queue_agent_reply(ticket, message, message.created_at)


@receiver(signals.request_deflected, dispatch_uid="policydesk.mail.deflection")
def mail_deflection(sender: Any, deflection: Deflection, **kwargs: Any) -> None:
    """An emailed request that the policy sends elsewhere gets the route by email (the forms
    show it on screen)."""
    if deflection.channel == Ticket.Channel.EMAIL:
        outgoing.queue_deflection_notice(deflection, deflection.created_at)


@receiver(signals.meeting_decided, dispatch_uid="policydesk.mail.meeting")
def mail_meeting_decision(sender: Any, meeting: MeetingRequest, **kwargs: Any) -> None:
    """C7, C21: support's answer to a call request (a proposed one-off call, or why not)."""
    outgoing.queue_meeting_decision(meeting, meeting.decided_at or meeting.requested_at)
