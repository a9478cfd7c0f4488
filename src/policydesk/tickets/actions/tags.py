"""A ticket's tags: set, added to, removed from; and the tags' normal form (`tickets/tags.py`).

As the other ticket actions, these do not check who asks: the console finds the ticket among
those the agent may answer (else 404) and the API among those the caller sees, staff only."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.actions.stale import check_version
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Tag, Ticket
from policydesk.tickets.tags import BadTag, normalise_all

#: A ticket carries at most this many tags.
MAX_TAGS = 20


def _normalised(names: Iterable[str]) -> list[str]:
    try:
        tags = normalise_all(list(names))
    except BadTag as bad:
        raise ActionError(bad.explained()) from bad
    return tags


def do_set_tags(
    *, ticket: Ticket, tags: Iterable[str], actor: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """The ticket's tags become `tags` (normalised; new tags are created). One audit row
    `ticket.tags` with what was added and removed; none when nothing changes."""
    wanted = _normalised(tags)
    return _change_tags(ticket, lambda current: wanted, actor, now, expected_version)


def do_add_tags(
    *, ticket: Ticket, tags: Iterable[str], actor: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """`tags` added to the ticket's own (for bulk changes and macros)."""
    more = _normalised(tags)
    return _change_tags(ticket, lambda current: [*current, *more], actor, now, expected_version)


def do_remove_tags(
    *, ticket: Ticket, tags: Iterable[str], actor: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """`tags` taken off the ticket (those it does not have are ignored)."""
    unwanted = set(_normalised(tags))
    return _change_tags(
        ticket,
        lambda current: [name for name in current if name not in unwanted],
        actor,
        now,
        expected_version,
    )


def _change_tags(
    ticket: Ticket,
    change: Callable[[list[str]], list[str]],
    actor: Person,
    now: datetime,
    expected_version: int | None,
) -> Ticket:
    """The ticket's tags become `change(its tags)`, read and written with its row locked."""
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        current = {tag.name: tag for tag in ticket.tags.all()}
        wanted = list(dict.fromkeys(change(sorted(current))))
        if len(wanted) > MAX_TAGS:
            raise ActionError(_("A ticket has at most %(max)s tags.") % {"max": MAX_TAGS})
        added = [name for name in wanted if name not in current]
        removed = sorted(name for name in current if name not in wanted)
        if not added and not removed:
            return ticket
        if removed:
            ticket.tags.remove(*(current[name] for name in removed))
        if added:
            ticket.tags.add(*_tags_named(added, now))
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
        record_audit_event(now, actor, "ticket.tags", ticket, added=added, removed=removed)
    return ticket


def _tags_named(names: list[str], now: datetime) -> list[Tag]:
    """The Tag rows of `names` (normalised), created when new; a concurrent creation is harmless."""
    Tag.objects.bulk_create([Tag(name=name, created_at=now) for name in names], ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=names))
