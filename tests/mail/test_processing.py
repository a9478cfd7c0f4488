"""Background processing of stored mail (`process_pending`): several messages per
transaction, each in its own savepoint, so one message's failure never undoes another's."""

from __future__ import annotations

import io
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
    # 19 on SQLite, 18 on PostgreSQL (its ticket number comes in the ticket's INSERT). Mail's
    # own (8): lock and re-check the row, the Message-ID link look-up, the sender, the outcome;
    # the acknowledgement's rate-limit count, row and task; the two Message-ID links (the
    # request's and the acknowledgement's) in one INSERT. The rest is the savepoints (the
    # message's and do_open_ticket's, each opened and released) and do_open_ticket: the ticket
    # number, the ticket, its first message, their search entries, the audit row, the metric
    # event and the watch's timers (see docs/email.md).
    assert len(queries.captured_queries) <= 19, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    links = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "mail_messagelink"')]
    assert len(links) == 1
    ticket = Ticket.objects.get(number=2)
    directions = MessageLink.objects.filter(ticket=ticket).values_list("direction", flat=True)
    assert sorted(directions) == ["in", "out"]


def from_sender(n: int, sender: str) -> bytes:
    return request(n).replace(b"Hanna <hanna@kumo.example>", f"<{sender}>".encode())


def statements_of_a_batch(count: int) -> list[str]:
    senders = ("hanna@kumo.example", "felix@kumo.example")
    store(*(from_sender(1000 * count + n, senders[n % 2]) for n in range(count)))
    with CaptureQueriesContext(connection) as queries:
        assert process_pending(mailbox="smtp") == count
    return [q["sql"] for q in queries.captured_queries]


def test_a_batch_reads_its_rows_senders_and_links_once_for_all_its_messages(personas: Personas) -> None:
    process_stored(store(request(0))[0], now=NOW)  # the ticket counter exists, as on a running desk
    two, four = statements_of_a_batch(2), statements_of_a_batch(4)
    for sqls in (two, four):
        people = [s for s in sqls if s.startswith("SELECT") and 'FROM "tickets_person"' in s]
        links = [s for s in sqls if s.startswith("SELECT") and 'FROM "mail_messagelink"' in s]
        states = [s for s in sqls if s.startswith("SELECT") and '"attempts"' in s and '"raw"' not in s]
        assert (len(people), len(links), len(states)) == (1, 1, 1), "\n".join(s[:120] for s in sqls)
    # Each message of a batch: 11 statements on SQLite (the 19 of `process_stored` less its three
    # reads, and less its search entries, acknowledgement's rate-limit count, row and task, and
    # its outcome, which the batch writes once for all), 10 on PostgreSQL.
    assert (len(four) - len(two)) / 2 <= 11, "\n".join(s[:120] for s in four)
    assert Ticket.objects.filter(requester=personas.same_org_customer).count() == 3
    assert set(InboundMessage.objects.values_list("outcome", flat=True)) == {"ticket"}


def test_a_message_id_twice_in_one_batch_is_taken_once(personas: Personas) -> None:
    store_raw(request(1), mailbox="smtp", envelope=None, now=NOW)
    store_raw(request(1), mailbox="imap", envelope=None, now=NOW + timedelta(minutes=1))
    assert process_pending() == 2  # both mailboxes: one batch
    outcomes = list(InboundMessage.objects.order_by("pk").values_list("outcome", "reason"))
    assert outcomes == [("ticket", ""), ("duplicate", "already taken through another mailbox")]
    assert Ticket.objects.count() == 1


def test_a_link_committed_after_the_batch_read_its_links_makes_a_duplicate_not_a_quarantine(
    personas: Personas,
) -> None:
    earlier = process_stored(store(request(0))[0], now=NOW)
    store(request(1), request(2))
    real = ingest._BatchLookups.__init__

    def read_then_another_processor_links(self: Any, waiting: Any) -> None:
        real(self, waiting)  # this batch's reads: batch-2 is nobody's yet
        # ... and another mailbox's processor takes the same message and commits its link.
        MessageLink.objects.create(
            message_id="batch-2@kumo.example", ticket=earlier.inbound.ticket, direction="in", created_at=NOW
        )

    with mock.patch.object(ingest._BatchLookups, "__init__", read_then_another_processor_links):
        assert process_pending(mailbox="smtp") == 2
    second = InboundMessage.objects.get(message_id="batch-2@kumo.example")
    assert (second.outcome, second.reason, second.attempts) == (
        "duplicate", "already taken through another mailbox", 1,
    )  # fmt: skip
    assert second.ticket == earlier.inbound.ticket
    assert second.ticket_message_id is None  # not the message of the attempt rolled back
    assert Ticket.objects.count() == 2  # request 0's and request 1's, none for the twin


def test_a_sender_address_beyond_ascii_is_looked_up_on_its_own(personas: Personas) -> None:
    from policydesk.tickets import actions

    zoe = actions.do_create_person(
        email="zoë@kumo.example", password=None, role="customer",
        organisation=personas.customer.organisation, actor=personas.admin, now=NOW,
    )  # fmt: skip
    assert ingest._person_key("ZOË@kumo.example") is None
    assert ingest._person_key(" Hanna@Kumo.example ") == "hanna@kumo.example"
    store(from_sender(1, "zoë@kumo.example"), from_sender(2, "HANNA@kumo.example"))
    assert process_pending(mailbox="smtp") == 2
    requesters = list(Ticket.objects.order_by("number").values_list("requester", flat=True))
    assert requesters == [zoe.pk, personas.customer.pk]


def test_processors_side_by_side_each_take_their_own_share_and_together_all(personas: Personas) -> None:
    stored = store(*(request(n) for n in range(1, 6)))
    odd = [inbound.pk for inbound in stored if inbound.pk % 2 == 1]

    assert process_pending(mailbox="smtp", share=(1, 2)) == len(odd)
    assert set(InboundMessage.objects.filter(outcome="ticket").values_list("pk", flat=True)) == set(odd)
    assert process_pending(mailbox="smtp", share=(1, 2)) == 0  # its share is done; the rest is not its
    assert process_pending(mailbox="smtp", share=(0, 2)) == len(stored) - len(odd)
    assert InboundMessage.objects.filter(outcome="ticket").count() == 5 and Ticket.objects.count() == 5
    assert process_pending(mailbox="smtp") == 0  # each message once


@pytest.mark.parametrize("share", [(2, 2), (-1, 2), (0, 0)])
def test_a_share_that_names_no_processor_is_refused(share: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match="no share"):
        process_pending(mailbox="smtp", share=share)


def test_a_share_on_the_command_line_is_k_of_n() -> None:
    assert ingest.parse_share("1/3") == (1, 3)
    for text in ("3/3", "1", "a/b", "-1/2"):
        with pytest.raises(ValueError, match=r"share|invalid literal"):
            ingest.parse_share(text)


def test_mail_process_takes_its_share(personas: Personas) -> None:
    from django.core.management import call_command

    stored = store(*(request(n) for n in range(1, 5)))
    call_command("mail", "process", "--mailbox", "smtp", "--share", "0/2", stdout=io.StringIO())
    taken = set(InboundMessage.objects.filter(outcome="ticket").values_list("pk", flat=True))
    assert taken == {inbound.pk for inbound in stored if inbound.pk % 2 == 0}


def test_the_listener_runs_one_processor_on_sqlite_and_two_on_postgresql(settings: Any) -> None:
    from policydesk.mail import conf
    from policydesk.mail.smtp import ProcessorProcess

    settings.POLICYDESK_MAIL_PROCESSORS = 0
    assert conf.processors() == (2 if connection.vendor == "postgresql" else 1)
    settings.POLICYDESK_MAIL_PROCESSORS = 3
    assert conf.processors() == 3
    command = ProcessorProcess("smtp", (2, 3)).command
    assert command[-2:] == ["--processor-share", "2/3"]


@pytest.mark.parametrize("batch", [1, 20])
def test_a_batch_rate_limits_its_acknowledgements_as_one_at_a_time_would(
    personas: Personas, settings: Any, batch: int
) -> None:
    """Issue 17: a batch records its mail at its end, each counted from its own arrival with the
    batch's earlier ones; the same statuses as a message per transaction (batch=1)."""
    from policydesk.mail.outgoing import Email, queue_mail

    settings.POLICYDESK_MAIL_RATE_LIMIT = (2, 3600)
    old = Email(kind="ack", recipient="hanna@kumo.example", language="en", subject="s", body="b")
    queue_mail(old, now=NOW - timedelta(minutes=58, seconds=30))  # in the window of the first two only
    store(*(request(n) for n in range(5)))  # arriving a minute apart
    assert process_pending(mailbox="smtp", batch=batch) == 5
    statuses = list(
        OutgoingMail.objects.filter(kind="ack", created_at__gte=NOW)
        .order_by("created_at")
        .values_list("status", flat=True)
    )
    # The old one counts for the first two only; the third is in the window of the first alone.
    assert statuses == ["queued", "suppressed", "queued", "suppressed", "suppressed"]
    queued = set(OutgoingMail.objects.filter(status="queued").values_list("pk", flat=True))
    from django_tasks_db.models import DBTaskResult

    tasks = [row["args"][0] for row in DBTaskResult.objects.values_list("args_kwargs", flat=True)]
    assert sorted(tasks) == sorted(queued)  # one task for each queued mail, none for the suppressed


def test_a_batch_records_its_acknowledgements_search_entries_and_outcomes_once_for_all_its_messages(
    personas: Personas,
) -> None:
    process_stored(store(request(0))[0], now=NOW)  # the ticket counter exists, as on a running desk
    two, four = statements_of_a_batch(2), statements_of_a_batch(4)
    for sqls in (two, four):
        kinds = {
            "mail": [s for s in sqls if s.startswith('INSERT INTO "mail_outgoingmail"')],
            "tasks": [s for s in sqls if s.startswith('INSERT INTO "django_tasks_database_dbtaskresult"')],
            "rate": [s for s in sqls if s.startswith("SELECT") and 'FROM "mail_outgoingmail"' in s],
            "search": [s for s in sqls if s.startswith('INSERT INTO "search_entry"')],
            "outcomes": [s for s in sqls if 'UPDATE "mail_inboundmessage"' in s],  # sent together
        }
        found = {kind: len(found) for kind, found in kinds.items()}
        assert found == {"mail": 1, "tasks": 1, "rate": 1, "search": 1, "outcomes": 1}
    assert OutgoingMail.objects.filter(kind="ack", status="queued").count() == 7
