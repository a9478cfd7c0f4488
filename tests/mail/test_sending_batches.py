"""The worker sends queued mail a batch at a time (issue 17): one claim, one connection, one
record, and still each message once: never sent twice by two workers, never lost by a worker
killed between claim and send (docs/email.md, "Sending")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import claim_batch, mark_sent, send_claimed, stalled_mail
from policydesk.mail.tasks import SEND_TASK_PATH, requeue_stalled, send_batch
from tests.conftest import NOW
from tests.mail.test_outgoing import new_request

pytestmark = pytest.mark.usefixtures("mail_settings", "personas")

LEASE = timedelta(seconds=300)
SENDERS = ("hanna@kumo.example", "felix@kumo.example")


@pytest.fixture
def lease(settings: Any) -> timedelta:
    settings.POLICYDESK_MAIL_SEND_LEASE_SECONDS = LEASE.total_seconds()
    settings.EMAIL_TIMEOUT = 60.0
    return LEASE


def acknowledgements(count: int) -> list[int]:
    """`count` new requests by email, each acknowledged: queued mail, each with its task."""
    for n in range(count):
        process_message(new_request(SENDERS[n % 2], f"req-{n}@kumo.example"), mailbox="smtp", now=NOW)
    return list(OutgoingMail.objects.filter(kind="ack").order_by("pk").values_list("pk", flat=True))


def ready() -> Any:
    return DBTaskResult.objects.ready()


def task_states() -> list[tuple[str, Any]]:
    return list(
        DBTaskResult.objects.filter(task_path=SEND_TASK_PATH)
        .order_by("enqueued_at")
        .values_list("status", "return_value")
    )


def sent_once_each(ids: list[int]) -> bool:
    message_ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    expected = [
        f"<{m}>" for m in OutgoingMail.objects.filter(pk__in=ids).values_list("message_id", flat=True)
    ]
    return sorted(message_ids) == sorted(expected)


def test_a_batch_sends_every_queued_message_once_and_finishes_its_tasks(lease: timedelta) -> None:
    ids = acknowledgements(3)

    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 3

    assert sent_once_each(ids)
    assert set(OutgoingMail.objects.values_list("status", "attempts", "sent_at")) == {("sent", 1, NOW)}
    assert task_states() == [("SUCCESSFUL", "sent")] * 3
    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 0  # nothing left


def test_a_batch_takes_at_most_its_limit(lease: timedelta) -> None:
    acknowledgements(3)

    assert send_batch(ready(), worker_id="w1", limit=2, now=NOW) == 2
    assert len(mail.outbox) == 2
    assert send_batch(ready(), worker_id="w1", limit=2, now=NOW) == 1
    assert len(mail.outbox) == 3


def test_statements_per_batch_do_not_grow_with_its_size(lease: timedelta) -> None:
    def batch_statements() -> int:
        with CaptureQueriesContext(connection) as queries:
            send_batch(ready(), worker_id="w1", limit=100, now=NOW)
        return len(queries.captured_queries)

    acknowledgements(1)
    one = batch_statements()
    acknowledgements(6)  # five more (the first is sent)
    assert batch_statements() == one
    # Lock and read the tasks, mark them running, claim the messages, read them back, mark
    # them sent, finish the tasks: 6 statements, and the savepoints of the two transactions.
    assert one <= 10, one


def test_a_second_worker_claims_nothing_another_has_claimed(lease: timedelta) -> None:
    ids = acknowledgements(2)
    first = claim_batch(ids, NOW)
    second = claim_batch(ids, NOW + timedelta(seconds=1))  # a second worker, racing

    outcomes, sent = send_claimed(ids, second, NOW)
    assert outcomes == dict.fromkeys(ids, "not queued") and sent == [] and mail.outbox == []

    outcomes, sent = send_claimed(ids, first, NOW)
    mark_sent(sent, NOW)
    assert outcomes == dict.fromkeys(ids, "sent") and sent_once_each(ids)


def test_two_tasks_for_one_message_send_it_once(lease: timedelta) -> None:
    (ack,) = acknowledgements(1)
    OutgoingMail.objects.filter(pk=ack).update(attempt_at=NOW - LEASE - timedelta(seconds=1))
    assert requeue_stalled(NOW) == 1  # its task still waits: now it has two

    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 2
    assert sent_once_each([ack])
    assert sorted(task_states()) == [("SUCCESSFUL", "sent")] * 2  # the one message, sent once


def test_a_worker_killed_between_claim_and_send_loses_nothing_and_sends_once(lease: timedelta) -> None:
    ids = acknowledgements(3)
    claim_batch(ids, NOW)  # committed; then the worker is killed: nothing sent, nothing marked

    assert send_batch(ready(), worker_id="w2", limit=10, now=NOW) == 3  # their tasks: not queued
    assert mail.outbox == [] and requeue_stalled(NOW + LEASE) == 0  # the claim is still live

    later = NOW + LEASE + timedelta(seconds=1)
    assert requeue_stalled(later) == 3
    assert send_batch(ready(), worker_id="w2", limit=10, now=later) == 3
    assert sent_once_each(ids)
    assert set(OutgoingMail.objects.values_list("status", "attempts")) == {("sent", 2)}
    assert requeue_stalled(later + LEASE * 2) == 0


def test_a_batch_sends_nothing_it_could_still_be_sending_when_its_lease_ends(lease: timedelta) -> None:
    ids = acknowledgements(2)
    token = claim_batch(ids, NOW)

    outcomes, sent = send_claimed(ids, token, NOW, budget=0)  # no time left to send safely

    assert outcomes == dict.fromkeys(ids, "left for the sweep") and sent == [] and mail.outbox == []
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {"sending"}
    assert requeue_stalled(NOW + LEASE + timedelta(seconds=1)) == 2  # the sweep takes them later


class RefusesFelix:
    """A mail server that refuses one recipient and takes the rest."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        if any("felix@kumo.example" in m.to for m in messages):
            raise ConnectionRefusedError("relay refuses felix")
        mail.outbox.extend(messages)
        return len(messages)


@override_settings(EMAIL_BACKEND="tests.mail.test_sending_batches.RefusesFelix")
def test_a_refused_message_is_retried_and_the_rest_of_the_batch_goes(lease: timedelta) -> None:
    acknowledgements(3)  # hanna, felix, hanna

    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 3

    assert [m.to for m in mail.outbox] == [["hanna@kumo.example"]] * 2
    statuses = dict(
        OutgoingMail.objects.values_list("recipient", "status").filter(recipient__startswith="felix")
    )
    assert statuses == {"felix@kumo.example": "queued"}
    assert sorted(s for s, _ in task_states()) == ["FAILED", "READY", "SUCCESSFUL", "SUCCESSFUL"]
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == NOW + timedelta(minutes=2)


@override_settings(EMAIL_BACKEND="tests.mail.test_sending_batches.RefusesFelix")
def test_a_message_refused_for_the_last_time_is_said_on_its_ticket(lease: timedelta, settings: Any) -> None:
    from policydesk.tickets.models import Message, Ticket

    settings.POLICYDESK_MAIL_SEND_ATTEMPTS = 1
    acknowledgements(2)  # hanna's goes, felix's is refused: its last attempt
    felix = OutgoingMail.objects.get(recipient="felix@kumo.example")
    assert felix.ticket is not None
    before = Ticket.objects.values().get(pk=felix.ticket_id)

    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 2

    felix.refresh_from_db()
    assert felix.status == "failed"
    notes = Message.objects.filter(ticket_id=felix.ticket_id, kind=Message.Kind.INTERNAL, author=None)
    assert [n.text.startswith("The acknowledgement email to felix@kumo.example") for n in notes] == [True]
    after = Ticket.objects.values().get(pk=felix.ticket_id)  # the ticket read whole to be written
    changed = {name for name, value in after.items() if value != before[name]}  # the note: its change
    assert changed <= {"updated_at", "search_pending"}


def test_the_sweep_takes_back_any_number_of_messages_in_one_update(lease: timedelta) -> None:
    ids = acknowledgements(5)
    OutgoingMail.objects.filter(pk__in=ids[:2]).update(status="sending", attempt_at=NOW)
    later = NOW + LEASE + timedelta(seconds=1)

    with CaptureQueriesContext(connection) as queries:
        assert stalled_mail(later, limit=4) == ids[:4]  # the oldest first, up to the limit
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1 and len(queries.captured_queries) <= 4  # and a read back (savepoints)
    assert stalled_mail(later, limit=4) == [ids[4]]  # a second sweep: only what the first left
    assert stalled_mail(later, limit=4) == []
    assert set(OutgoingMail.objects.values_list("status", "attempt_at")) == {("queued", later)}


def test_the_worker_command_sends_queued_mail_in_batches(lease: timedelta, settings: Any) -> None:
    from django.core.management import call_command

    settings.POLICYDESK_MAIL_SEND_BATCH = 2
    ids = acknowledgements(3)

    call_command("worker", "--batch", "--no-watch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert sent_once_each(ids)
    assert task_states() == [("SUCCESSFUL", "sent")] * 3


def test_a_send_task_without_a_message_id_fails_and_the_batch_goes_on(lease: timedelta) -> None:
    ids = acknowledgements(1)
    DBTaskResult.objects.create(
        task_path=SEND_TASK_PATH, args_kwargs={"args": ["nonsense"], "kwargs": {}}, backend_name="default",
        run_after=NOW - timedelta(days=1),
    )  # fmt: skip

    assert send_batch(ready(), worker_id="w1", limit=10, now=NOW) == 2

    assert sent_once_each(ids)
    assert sorted(s for s, _ in task_states()) == ["FAILED", "SUCCESSFUL"]


def _looping_worker() -> Any:
    """The long-running worker (not `--batch`), its SLA watch off, as `policydesk worker` builds it."""
    from policydesk.watch.management.commands.worker import Worker

    return Worker(
        watch_interval=None, queue_names=["default"], interval=5.0, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="w-loop", excluded_queue_names=[],
    )  # fmt: skip


def _run_until_first_sleep(worker: Any) -> list[float]:
    """Run the worker's loop until it first sleeps; the sleeps it asked for (one)."""
    from policydesk.watch.management.commands import worker as command

    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        worker.running = False

    with (
        mock.patch.object(command.time, "sleep", sleep),
        mock.patch.object(command, "close_old_connections", return_value=None),  # the test's connection
    ):
        worker.run_tasks()
    return slept


def test_after_a_batch_that_empties_the_queue_the_worker_lets_mail_gather(
    lease: timedelta, settings: Any
) -> None:
    settings.POLICYDESK_MAIL_SEND_BATCH = 2
    settings.POLICYDESK_MAIL_SEND_GATHER_SECONDS = 0.05
    ids = acknowledgements(3)

    # A full batch (2) is followed at once by the next; that one (1) emptied the queue: a pause.
    assert _run_until_first_sleep(_looping_worker()) == [0.05]
    assert sent_once_each(ids)
    assert task_states() == [("SUCCESSFUL", "sent")] * 3


def test_with_nothing_to_send_the_worker_sleeps_its_interval(lease: timedelta, settings: Any) -> None:
    settings.POLICYDESK_MAIL_SEND_GATHER_SECONDS = 0.05
    assert _run_until_first_sleep(_looping_worker()) == [5.0]
    assert mail.outbox == []


def test_finding_no_other_task_takes_no_write_transaction(lease: timedelta) -> None:
    acknowledgements(2)  # ready tasks, but all of them sends: none for `run_one`
    worker = _looping_worker()

    with CaptureQueriesContext(connection) as queries:
        assert worker.run_one(ready().exclude(task_path=SEND_TASK_PATH)) == (True, False)
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    assert statements == ["SELECT"]  # no BEGIN IMMEDIATE / SAVEPOINT, no locking read
