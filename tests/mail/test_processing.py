"""Background processing of stored mail (`process_pending`): several messages per
transaction, each in its own savepoint, so one message's failure never undoes another's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from policydesk.mail import ingest
from policydesk.mail.ingest import process_pending, process_stored, store_raw
from policydesk.mail.models import InboundMessage, MessageLink, OutgoingMail
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")


def request(n: int, subject: str = "") -> bytes:
    return rfc5322(f"""
From: Hanna <hanna@kumo.example>
To: support@example.com
Subject: {subject or f"Export question {n}"}
Message-ID: <batch-{n}@kumo.example>
Content-Type: text/plain; charset=utf-8

The CSV export stops at 1000 rows ({n}).
""")


def store(*messages: bytes) -> list[InboundMessage]:
    return [
        store_raw(raw, mailbox="smtp", envelope=None, now=NOW + timedelta(minutes=i))[0]
        for i, raw in enumerate(messages)
    ]


def failing_on(subject: str, error: Exception) -> Any:
    """do_open_ticket that fails after writing the ticket, for one subject only."""
    real = ingest.do_open_ticket

    def open_ticket(**kwargs: Any) -> Any:
        result = real(**kwargs)
        if kwargs["subject"] == subject:
            raise error
        return result

    return mock.patch.object(ingest, "do_open_ticket", side_effect=open_ticket)


def test_pending_messages_become_tickets_each_as_of_its_arrival(personas: Personas) -> None:
    stored = store(request(1), request(2), request(3))
    assert process_pending(mailbox="smtp") == 3
    for inbound in stored:
        inbound.refresh_from_db()
        assert inbound.outcome == "ticket" and inbound.attempts == 1
        assert inbound.ticket is not None and inbound.ticket.created_at == inbound.received_at
        assert inbound.ticket_message == inbound.ticket.messages.get()
        assert bytes(inbound.raw).startswith(b"From: Hanna")  # the stored bytes are left alone
    assert MessageLink.objects.filter(direction="in").count() == 3
    assert process_pending(mailbox="smtp") == 0


def test_our_failure_with_one_message_of_a_batch_quarantines_only_that_one(personas: Personas) -> None:
    store(request(1), request(2, subject="Boom"), request(3))
    with failing_on("Boom", RuntimeError("bug")):
        assert process_pending(mailbox="smtp") == 3
    outcomes = dict(InboundMessage.objects.values_list("message_id", "outcome"))
    assert outcomes == {
        "batch-1@kumo.example": "ticket",
        "batch-2@kumo.example": "quarantined",
        "batch-3@kumo.example": "ticket",
    }
    # Everything the failing message wrote is rolled back: ticket, audit event, acknowledgement.
    subjects = sorted(Ticket.objects.values_list("subject", flat=True))
    assert subjects == ["Export question 1", "Export question 3"]
    assert AuditEvent.objects.filter(action="ticket.opened").count() == 2
    assert OutgoingMail.objects.filter(kind="ack").count() == 2
    assert not MessageLink.objects.filter(message_id="batch-2@kumo.example").exists()
    quarantined = InboundMessage.objects.get(message_id="batch-2@kumo.example")
    assert quarantined.reason == "internal error: RuntimeError" and quarantined.attempts == 1


def test_database_failure_in_a_batch_leaves_every_message_of_it_pending(personas: Personas) -> None:
    store(request(1), request(2, subject="Locked"), request(3))
    with failing_on("Locked", OperationalError("database is locked")), pytest.raises(OperationalError):
        process_pending(mailbox="smtp")
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"pending"}
    assert Ticket.objects.count() == 0 and OutgoingMail.objects.count() == 0
    assert process_pending(mailbox="smtp") == 3
    assert Ticket.objects.count() == 3
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"ticket"}


def test_a_message_already_taken_is_not_taken_again_from_a_stale_row(personas: Personas) -> None:
    (stale,) = store(request(1))
    assert process_stored(InboundMessage.objects.get(pk=stale.pk), now=NOW).outcome == "ticket"
    again = process_stored(stale, now=NOW)  # `stale` still says pending
    assert again.outcome == "duplicate" and Ticket.objects.count() == 1
    assert InboundMessage.objects.get(pk=stale.pk).attempts == 1


def counting(name: str) -> Any:
    """Patch `ingest.<name>` with a spy that calls the real function: `.call_count`, `.call_args_list`."""
    return mock.patch.object(ingest, name, side_effect=getattr(ingest, name))


def test_a_batch_out_of_time_commits_and_the_next_batch_goes_on_with_the_rest(personas: Personas) -> None:
    store(request(1), request(2), request(3))
    with counting("_process_batch") as batches:
        assert process_pending(mailbox="smtp", batch_seconds=0) == 3  # no time: one message a batch
    assert batches.call_count == 3
    assert Ticket.objects.count() == 3
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"ticket"}


def test_a_stored_message_is_parsed_once_even_when_batches_run_out_of_time(personas: Personas) -> None:
    store(*(request(n) for n in range(5)))
    with counting("parse_message") as parse, counting("_process_batch") as batches:
        assert process_pending(mailbox="smtp", batch=3, batch_seconds=0) == 5
    assert batches.call_count == 5  # each batch had time for one message only
    assert parse.call_count == 5  # yet each message was read and parsed once
    parsed = sorted(bytes(call.args[0]) for call in parse.call_args_list)
    assert parsed == sorted(request(n) for n in range(5))
    assert Ticket.objects.count() == 5


def test_batches_are_bounded_by_count(personas: Personas) -> None:
    store(*(request(n) for n in range(5)))
    with CaptureQueriesContext(connection) as queries:
        assert process_pending(mailbox="smtp", batch=2) == 5
    # Three batches (2 + 2 + 1), each one read of its rows.
    reads = [q for q in queries.captured_queries if 'FROM "mail_inboundmessage" WHERE' in q["sql"]]
    assert sum('"mail_inboundmessage"."raw"' in q["sql"] for q in reads) == 3


def test_processing_a_new_request_makes_a_bounded_number_of_queries(personas: Personas) -> None:
    first, second = store(request(1), request(2))
    process_stored(first, now=NOW)  # the ticket counter exists from now on, as on any running desk
    with CaptureQueriesContext(connection) as queries:
        assert process_stored(second, now=NOW).outcome == "ticket"
    # 21 on SQLite and PostgreSQL. Mail's own (9): lock and re-check the row, the Message-ID
    # link look-up, the sender, the inbound link, the outcome; the acknowledgement's rate-limit
    # count, row, outbound link and task. The rest is the savepoints (the message's and
    # do_open_ticket's, each opened and released) and do_open_ticket: the ticket number, the
    # ticket, its first message, their search entries, the audit row, the metric event and the
    # watch's timers (see docs/email.md).
    assert len(queries.captured_queries) <= 21, "\n".join(q["sql"][:120] for q in queries.captured_queries)
