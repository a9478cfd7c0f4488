"""The index written in the write's transaction (`search.indexing`): a new ticket's entries in
one INSERT (`writing_together`, issue 17), the same entries as one by one, and nothing of an
intake that fails."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from policydesk.search import indexing
from policydesk.search.models import Entry
from policydesk.tickets import actions
from policydesk.tickets.actions import Upload
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas


def _entries(ticket: Ticket) -> list[tuple[str, str, bool, bool, bool]]:
    return sorted(
        (e.kind, e.original, e.internal, e.message_id is not None, e.attachment_id is not None)
        for e in Entry.objects.filter(ticket=ticket)
    )


def open_with_note_and_file(personas: Personas, subject: str) -> Ticket:
    """A ticket an agent takes down for the customer, with a file: six entries."""
    result = actions.do_open_ticket(
        requester=personas.customer, topic="troubleshooting", subject=subject, text="Exports stop at 50%",
        channel="web", now=NOW, entered_by=personas.agent,
        uploads=(Upload("trace.har", "application/json", b"{}"),),
    )  # fmt: skip
    assert result.ticket is not None
    return result.ticket


def test_an_intakes_entries_are_one_insert_and_the_same_as_one_by_one(personas: Personas) -> None:
    with CaptureQueriesContext(connection) as queries:
        ticket = open_with_note_and_file(personas, "Exports stop")
    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "search_entry"')
    ]
    assert len(inserts) == 1
    # subject, requester, organisation, the request, the "entered by" note (internal), the file
    assert [kind for kind, *_ in _entries(ticket)].count("message") == 2
    assert len(_entries(ticket)) == 6
    assert indexing.drifted([ticket]) == []  # what the tables say, entry for entry
    indexing.reindex([ticket])  # written again one table at a time: the same entries
    assert indexing.drifted([ticket]) == [] and len(_entries(ticket)) == 6


def test_entries_waiting_are_written_before_one_is_changed(personas: Personas) -> None:
    ticket = open_with_note_and_file(personas, "Before")
    with transaction.atomic(), indexing.writing_together():
        message = ticket.messages.create(author=personas.customer, text="More detail", created_at=NOW)
        assert not Entry.objects.filter(message=message).exists()  # waiting for the block's end
        ticket.subject = "After"
        ticket.save(update_fields=["subject"])  # an UPDATE of entries: the waiting ones go first
        assert Entry.objects.filter(message=message).exists()
    assert indexing.drifted([ticket]) == []
    assert Entry.objects.get(ticket=ticket, kind=Entry.Kind.SUBJECT).original == "After"


def test_a_message_changed_in_the_block_keeps_one_entry_of_its_new_text(personas: Personas) -> None:
    """Its collected entry is written before the old one is deleted: one entry, the new text."""
    ticket = open_with_note_and_file(personas, "Edited")
    with transaction.atomic(), indexing.writing_together():
        message = ticket.messages.create(author=personas.customer, text="First words", created_at=NOW)
        message.text = "Second thoughts"
        message.save()  # a DELETE of the message's entries, then its new one collected
    texts = Entry.objects.filter(message=message).values_list("original", flat=True)
    assert list(texts) == ["Second thoughts"]
    assert indexing.drifted([ticket]) == []


def test_a_failed_intake_leaves_no_entry(personas: Personas, settings: object) -> None:
    def fails() -> None:
        with transaction.atomic(), indexing.writing_together():
            open_with_note_and_file(personas, "Never")
            raise RuntimeError("after the ticket's writes, before the block's end")

    with pytest.raises(RuntimeError):
        fails()
    assert not Ticket.objects.filter(subject="Never").exists() and not Entry.objects.exists()


def test_more_tickets_than_one_read_takes_are_indexed_whole(personas: Personas) -> None:
    """`entries_for` reads messages and files `READ_TICKETS` tickets at a time: a batch that
    spans reads, its last one padded, gives each ticket its own entries and no other's."""
    count = indexing.READ_TICKETS + 3
    tickets = [open_with_note_and_file(personas, f"Batch {n}") for n in range(count)]
    for ticket in tickets:
        ticket.refresh_from_db()
    expected = {ticket.pk: sorted(map(indexing._key, _stored_entries(ticket))) for ticket in tickets}
    entries = indexing.entries_for(tickets)
    assert {pk: sorted(map(indexing._key, found)) for pk, found in entries.items()} == expected
    assert indexing.reindex(tickets) == 6 * count and indexing.drifted(tickets) == []
    assert {ticket.pk: sorted(map(indexing._key, _stored_entries(ticket))) for ticket in tickets} == expected


def _stored_entries(ticket: Ticket) -> list[Entry]:
    return list(Entry.objects.filter(ticket=ticket))
