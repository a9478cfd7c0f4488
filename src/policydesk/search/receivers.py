"""The index follows every write of what it holds, in the same transaction.

Django's `post_save` of the records themselves, not the desk's action signals: a message is
written by several actions (and some, such as the desk's own note about undelivered mail or
the note saying who took a request down, send no signal), an attachment by `attach`, a
person or organisation by the admin. Whatever saves them, the index row is written in the same
transaction, and rolls back with it. Deletes follow by the entries' foreign keys (CASCADE)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_save

from policydesk.search import indexing
from policydesk.tickets import signals
from policydesk.tickets.actions import intake
from policydesk.tickets.models import Attachment, Message, Organisation, Person, Ticket


def on_ticket_to_be_saved(sender: type, instance: Ticket, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        indexing.ticket_to_be_saved(instance)


def on_ticket_saved(sender: type, instance: Ticket, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        indexing.ticket_saved(instance, created, kwargs.get("update_fields"))


def on_message_saved(
    sender: type, instance: Message, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        indexing.message_saved(instance, created)


def on_attachment_saved(
    sender: type, instance: Attachment, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw:
        indexing.attachment_saved(instance, created)


def on_person_saved(sender: type, instance: Person, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not raw and not created:
        indexing.person_saved(instance, kwargs.get("update_fields"))


def on_organisation_saved(
    sender: type, instance: Organisation, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    if not raw and not created:
        indexing.organisation_saved(instance, kwargs.get("update_fields"))


def on_tickets_merged(sender: type, source: Ticket, target: Ticket, **kwargs: Any) -> None:
    """A merge moves messages and files with `update()` (no `post_save`): both tickets' entries
    are written again, in the merge's transaction."""
    indexing.reindex([source, target])


def connect() -> None:
    intake.register_opening_context("search.index", indexing.opening, preparing=indexing.preparing)
    pre_save.connect(on_ticket_to_be_saved, sender=Ticket, dispatch_uid="search.ticket_to_be_saved")
    signals.tickets_merged.connect(on_tickets_merged, dispatch_uid="search.tickets_merged")
    post_save.connect(on_ticket_saved, sender=Ticket, dispatch_uid="search.ticket")
    post_save.connect(on_message_saved, sender=Message, dispatch_uid="search.message")
    post_save.connect(on_attachment_saved, sender=Attachment, dispatch_uid="search.attachment")
    post_save.connect(on_person_saved, sender=Person, dispatch_uid="search.person")
    post_save.connect(on_organisation_saved, sender=Organisation, dispatch_uid="search.organisation")
