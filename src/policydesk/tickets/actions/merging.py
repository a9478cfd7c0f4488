"""Merge: fold one ticket (the source) into another (the target), which goes on alone.

What moves, in order: the source's messages and attachments (the conversation stays in time
order: messages are ordered by when they were written), its tags, its requester and participants (as
participants of the target: they keep receiving public replies, and C14 lets them write), its
outside copies (they keep receiving public replies, even past the policy's number a ticket), and
the source is closed with a pointer (`merged_into`) and a note. Mail that answers the source's
old thread (its Message-IDs, its signed reply addresses, its `[#N]` tag) arrives in the target:
`mail.threads.find_thread` follows the pointer.

The first-response clock (C10): the target keeps the earliest first-response due that is not
met. If the source was still waiting for its first response and the target was not (or was due
later), the target takes the source's due time, and, if the target had been answered already,
its first response is cleared: the source's customer has not been answered yet. A source whose
first response was met brings no due time. Reports read first responses from the audit
(`ticket.replied` rows), which a merge does not rewrite.

Both tickets must belong to the same organisation (a merge shows one customer's conversation
to another's participants); neither may be closed or already merged. Unmerge is not offered;
the audit row records everything that moved.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk.tickets import signals
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.actions.stale import check_version
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Attachment, Message, OutsideCopy, Person, Ticket


def do_merge_tickets(
    *, source: Ticket, target: Ticket, agent: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """Fold `source` into `target`; returns the target. `expected_version`: the source's version
    the agent saw (the merge is made from the source's page)."""
    if source.pk == target.pk:
        raise ActionError(_("a ticket cannot be merged into itself"))
    with transaction.atomic():
        # Lock both rows in a fixed order (by id), so two merges of the same pair cannot deadlock.
        first, second = sorted((source, target), key=lambda t: t.pk)
        first, second = locked(first), locked(second)
        source, target = (first, second) if first.pk == source.pk else (second, first)
        check_version(source, expected_version)
        if source.organisation_id != target.organisation_id:
            raise ActionError(_("only tickets of the same organisation can be merged"))
        for ticket in (source, target):
            if ticket.merged_into_id is not None:
                raise ActionError(
                    _("#%(number)s was merged into another ticket already") % {"number": ticket.number}
                )
        if target.status == Ticket.Status.CLOSED:
            raise ActionError(_("the ticket to merge into is closed"))
        if source.status == Ticket.Status.CLOSED:
            raise ActionError(_("a closed ticket cannot be merged"))

        message_ids = list(source.messages.values_list("pk", flat=True))
        Message.objects.filter(pk__in=message_ids).update(ticket=target)
        moved_files = Attachment.objects.filter(ticket=source).update(ticket=target)
        people = {source.requester_id, *source.participants.values_list("pk", flat=True)}
        people.discard(target.requester_id)
        target.participants.add(*people)
        # Outside copies go on receiving the public replies; the policy's number a ticket bounds
        # adding, not a merge (nothing copied is dropped).
        already = set(target.outside_copies.values_list("address", flat=True))
        outside = sorted(set(source.outside_copies.values_list("address", flat=True)) - already)
        OutsideCopy.objects.filter(ticket=source, address__in=outside).update(ticket=target)
        tags = list(source.tags.values_list("name", flat=True))
        target.tags.add(*source.tags.all())

        due_before = target.first_response_due
        unmet_source = source.first_responded_at is None and source.first_response_due is not None
        unmet_target = target.first_responded_at is None and target.first_response_due is not None
        clock = "kept"
        if unmet_source and (not unmet_target or source.first_response_due < target.first_response_due):  # type: ignore[operator]
            target.first_response_due = source.first_response_due
            target.calendar = source.calendar
            if target.first_responded_at is not None:
                target.first_responded_at = None
                clock = "restarted"
            else:
                clock = "earlier"
        target.mission_critical = target.mission_critical or source.mission_critical
        if target.status == Ticket.Status.SOLVED:
            target.status = Ticket.Status.OPEN  # it has an open request in it now
        target.updated_at = now
        target.save()

        source.merged_into = target
        source.status = Ticket.Status.CLOSED
        source.updated_at = now
        source.save(update_fields=["merged_into", "status", "updated_at"])
        said = _("Ticket #%(source)s (%(subject)s) was merged into this ticket: %(count)s messages moved.")
        said %= {"source": source.number, "subject": source.subject, "count": len(message_ids)}
        Message.objects.create(
            ticket=target, author=agent, kind=Message.Kind.INTERNAL, channel=Ticket.Channel.WEB,
            created_at=now, text=said,
        )  # fmt: skip
        data = {
            "into": target.number,
            "messages": message_ids,
            "attachments": moved_files,
            "participants_added": sorted(people),
            "outside_copies_moved": outside,
            "tags": tags,
            "first_response_due": {
                "before": due_before.isoformat() if due_before else None,
                "after": target.first_response_due.isoformat() if target.first_response_due else None,
                "clock": clock,
            },
        }
        record_audit_event(now, agent, "ticket.merged", source, **data)
        signals.tickets_merged.send(Ticket, source=source, target=target, actor=agent)
        signals.ticket_changed.send(Ticket, ticket=source, change="merged")
        signals.ticket_changed.send(Ticket, ticket=target, change="merged")
    return target
