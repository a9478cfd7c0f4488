"""The inbox listens to the ticket actions' signals, inside the action's transaction: a
notification commits with the change that caused it (`inbox.notices` says who is told)."""

from __future__ import annotations

from typing import Any

from policydesk.inbox import notices
from policydesk.tickets import signals
from policydesk.tickets.models import Message, Person, Ticket
from policydesk.tickets.models import Notification as Kind


def on_customer_replied(
    sender: object, ticket: Ticket, message: Message, reopened: bool = False, **kwargs: Any
) -> None:
    for person in notices.told_of(ticket):
        notices.record(
            recipient=person, kind=Kind.REOPENED if reopened else Kind.CUSTOMER_REPLY,
            ticket=ticket, actor=message.author, now=message.created_at, message=message,
        )  # fmt: skip


def on_ticket_assigned(sender: object, ticket: Ticket, actor: Person, **kwargs: Any) -> None:
    notices.record(
        recipient=ticket.assignee, kind=Kind.ASSIGNED, ticket=ticket, actor=actor, now=ticket.updated_at
    )


def on_ticket_reopened(sender: object, ticket: Ticket, actor: Person, **kwargs: Any) -> None:
    for person in notices.told_of(ticket):
        notices.record(
            recipient=person, kind=Kind.REOPENED, ticket=ticket, actor=actor, now=ticket.updated_at
        )


def on_note_added(sender: object, ticket: Ticket, message: Message, **kwargs: Any) -> None:
    for person in notices.mentioned_staff(message.text, ticket):
        notices.record(
            recipient=person, kind=Kind.MENTION, ticket=ticket, actor=message.author,
            now=message.created_at, message=message,
        )  # fmt: skip


def connect() -> None:
    signals.customer_replied.connect(on_customer_replied, dispatch_uid="inbox.customer_replied")
    signals.ticket_assigned.connect(on_ticket_assigned, dispatch_uid="inbox.ticket_assigned")
    signals.ticket_reopened.connect(on_ticket_reopened, dispatch_uid="inbox.ticket_reopened")
    signals.note_added.connect(on_note_added, dispatch_uid="inbox.note_added")
