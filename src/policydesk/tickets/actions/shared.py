"""What the actions of several topics share: the refusal they raise, an uploaded file and how
it is attached, a message's cleaned HTML, and the ticket row locked for a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from policydesk.compiled_queries import new_row
from policydesk.tickets.models import Message, Person, Ticket


class ActionError(ValueError):
    """An action refused: the message says why, in words for the person who asked."""


@dataclass(frozen=True)
class Upload:
    """A file to attach, however it arrived (form, API, email)."""

    filename: str
    content_type: str
    content: bytes


def clean_html(html: str) -> str:
    return nh3.clean(html) if html else ""


def customer_message(
    ticket: Ticket, author: Person, *, text: str, html: str, channel: str, now: datetime
) -> Message:
    """What a customer wrote on `ticket`, unsaved, its HTML cleaned: the request that opens it, or
    a reply (its files come once it is saved)."""
    return new_row(
        Message,
        ticket=ticket,
        author=author,
        text=text,
        html=clean_html(html),
        channel=channel,
        created_at=now,
    )


def check_uploads(uploads: tuple[Upload, ...]) -> None:
    """Refuse `uploads` if one is larger than the limit (an action can ask before it writes)."""
    limit = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
    for upload in uploads:
        if len(upload.content) > limit:
            raise ActionError(
                _("%(name)s is larger than the limit of %(mb)d MB")
                % {"name": upload.filename, "mb": limit // (1024 * 1024)}
            )


def attach(ticket: Ticket, message: Message | None, uploads: tuple[Upload, ...], now: datetime) -> None:
    """Store `uploads` on `ticket` (and `message`); refuses the whole write if one is too large."""
    check_uploads(uploads)
    for upload in uploads:
        attachment = ticket.attachments.model(
            ticket=ticket,
            message=message,
            filename=upload.filename[:250] or "attachment",
            content_type=upload.content_type[:120] or "application/octet-stream",
            size=len(upload.content),
            created_at=now,
        )
        attachment.file.save("upload", ContentFile(upload.content), save=False)
        attachment.save()


def locked(ticket: Ticket) -> Ticket:
    """`ticket` read again with its row locked until the transaction ends (inside one). Its
    organisation and requester, if already read and still the ticket's, come along: the SLA
    metrics and the watch read its plan, the satisfaction survey its requester, and a bulk job
    would read each once more per ticket."""
    fresh = Ticket.objects.select_for_update().get(pk=ticket.pk)
    for field in (Ticket.organisation.field, Ticket.requester.field):
        if field.is_cached(ticket) and getattr(fresh, field.attname) == getattr(ticket, field.attname):
            field.set_cached_value(fresh, field.get_cached_value(ticket))
    return fresh
