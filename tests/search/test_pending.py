"""A new ticket's entries written by the worker's indexer (`search.pending`, `indexing.opening`,
`indexing.index_pending`; POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker", issue 17): the intake
writes none and marks the ticket, the indexer writes the same entries the request would have,
whatever happened to the ticket meanwhile, and a ticket found by search is one it has reached."""

from __future__ import annotations

import threading
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext

from policydesk.search import indexing, pending
from policydesk.search.models import Entry
from policydesk.search.service import find
from policydesk.tickets import actions
from policydesk.tickets.actions.intake import opening_together
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, run_with_settings
from tests.search.test_indexing import open_with_note_and_file


@pytest.fixture
def by_worker(settings: Any) -> None:
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker"


def _entries(ticket: Ticket) -> list[tuple[str, str, bool]]:
    return sorted((e.kind, e.original, e.internal) for e in Entry.objects.filter(ticket=ticket))


def test_the_intake_leaves_the_entries_to_the_indexer(personas: Personas, by_worker: None) -> None:
    with CaptureQueriesContext(connection) as queries:
        ticket = open_with_note_and_file(personas, "Exports stop")
    assert not any('INSERT INTO "search_entry"' in q["sql"] for q in queries.captured_queries)
    ticket.refresh_from_db()
    assert ticket.search_pending is True and not Entry.objects.filter(ticket=ticket).exists()
    assert [hit.number for hit in find(personas.agent, "Exports")] == []  # not yet
    assert indexing.waiting() == 1 and indexing.drifted([ticket]) == []  # waiting, not drifted

    assert pending.index_all_pending() == 1
    ticket.refresh_from_db()
    assert ticket.search_pending is None and indexing.waiting() == 0
    # subject, requester, organisation, the request, the "entered by" note (internal), the file
    assert len(_entries(ticket)) == 6 and indexing.drifted([ticket]) == []
    assert [hit.number for hit in find(personas.agent, "Exports")] == [ticket.number]
    assert pending.index_all_pending() == 0


def test_the_worker_writes_what_the_request_would_have(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "request"
    inline = open_with_note_and_file(personas, "Same entries")
    assert inline.search_pending is None
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker"
    later = open_with_note_and_file(personas, "Same entries")
    pending.index_all_pending()
    assert _entries(later) == _entries(inline) and len(_entries(inline)) == 6


def test_one_statement_fewer_and_no_full_text_work_in_the_request(personas: Personas, settings: Any) -> None:
    counts = {}
    for mode in ("request", "worker"):
        settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = mode
        open_with_note_and_file(personas, "Warm-up")  # the policy and compiled statements loaded
        with CaptureQueriesContext(connection) as queries:
            open_with_note_and_file(personas, f"Counted {mode}")
        counts[mode] = len(queries.captured_queries)
    assert counts["worker"] == counts["request"] - 1


def test_the_request_builds_no_entry_to_drop(personas: Personas, by_worker: None, monkeypatch: Any) -> None:
    """Its first message, the note and the file build no entry that would only be dropped:
    normalising a message's text is the costly part of one."""
    built: list[str] = []
    real = indexing._entry

    def counted(ticket_id: int, kind: str, original: str, **links: object) -> Entry:
        built.append(kind)
        return real(ticket_id, kind, original, **links)

    monkeypatch.setattr(indexing, "_entry", counted)
    ticket = open_with_note_and_file(personas, "Nothing built")
    assert built == []
    reply = actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Later", now=NOW)
    assert built == ["message"] and Entry.objects.filter(message=reply).count() == 1  # not deferred


def test_what_happens_before_the_indexer_comes_is_indexed_once(personas: Personas, by_worker: None) -> None:
    ticket = open_with_note_and_file(personas, "Before the indexer")
    reply = actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="More detail", now=NOW)
    assert Entry.objects.filter(message=reply).count() == 1  # a reply is written in its request
    ticket.subject = "Renamed before the indexer"
    ticket.save(update_fields=["subject"])  # changes no entry: there is none yet

    pending.index_all_pending()
    assert Entry.objects.filter(message=reply).count() == 1  # the ticket's entries written anew
    assert Entry.objects.get(ticket=ticket, kind=Entry.Kind.SUBJECT).original == "Renamed before the indexer"
    assert len(_entries(ticket)) == 7 and indexing.drifted([ticket]) == []


def test_a_batch_of_intakes_with_one_rolled_back(personas: Personas, by_worker: None) -> None:
    """As a batch of stored mail runs them: one block, each intake in a savepoint."""

    def fails() -> None:
        with transaction.atomic(), opening_together():
            open_with_note_and_file(personas, "Rolled back")
            raise RuntimeError("this message fails")

    with transaction.atomic(), opening_together():
        kept = open_with_note_and_file(personas, "Kept")
        with pytest.raises(RuntimeError):
            fails()
        reply = actions.do_customer_reply(ticket=kept, customer=personas.customer, text="Also", now=NOW)
    assert list(
        Ticket.objects.filter(subject__in=["Kept", "Rolled back"]).values_list("subject", flat=True)
    ) == ["Kept"]
    kept.refresh_from_db()
    assert kept.search_pending is True and list(Entry.objects.filter(ticket=kept)) == []  # the reply's too
    assert pending.index_all_pending() == 1
    assert Entry.objects.filter(message=reply).count() == 1 and indexing.drifted([kept]) == []


def test_search_check_counts_waiting_tickets_apart(personas: Personas, by_worker: None) -> None:
    open_with_note_and_file(personas, "Waiting")
    out = StringIO()
    call_command("search", "check", stdout=out, stderr=StringIO())  # exits 0: nothing drifted
    assert "1 new tickets wait for the worker to write their entries (not drifted)" in out.getvalue()
    assert "index agrees with the tables" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED: PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_a_ticket_another_transaction_holds_is_left_for_the_next_look(
    personas: Personas, by_worker: None
) -> None:
    """Two workers index side by side: each takes the tickets no other holds (SKIP LOCKED)."""
    held_ticket, free_ticket = (
        open_with_note_and_file(personas, "Held"),
        open_with_note_and_file(personas, "Free"),
    )
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=held_ticket.pk)
                held.set()
                release.wait(30)
        finally:
            connection.close()

    other = threading.Thread(target=hold)
    other.start()
    try:
        assert held.wait(30)
        assert indexing.index_pending() == 1  # the free one, without waiting for the other
        assert Ticket.objects.get(pk=free_ticket.pk).search_pending is None
        assert Ticket.objects.get(pk=held_ticket.pk).search_pending is True
    finally:
        release.set()
        other.join(30)
    assert indexing.index_pending() == 1 and indexing.waiting() == 0


def test_the_oldest_first_a_batch_at_a_time(personas: Personas, by_worker: None) -> None:
    tickets = [open_with_note_and_file(personas, f"Batch {n}") for n in range(3)]
    assert indexing.index_pending(limit=2) == 2
    assert [Ticket.objects.get(pk=t.pk).search_pending for t in tickets] == [None, None, True]
    assert indexing.index_pending(limit=2) == 1 and indexing.index_pending(limit=2) == 0


def test_a_worker_batch_run_and_a_reindex_leave_none_waiting(personas: Personas, by_worker: None) -> None:
    first = open_with_note_and_file(personas, "By the batch run")
    call_command("worker", "--batch", "--no-watch", verbosity=0)
    first.refresh_from_db()
    assert first.search_pending is None and len(_entries(first)) == 6
    second = open_with_note_and_file(personas, "By a reindex")
    indexing.reindex([Ticket.objects.get(pk=second.pk)])
    assert indexing.waiting() == 0 and len(_entries(second)) == 6


def test_the_worker_loop_indexes_when_due_and_outlives_a_failure(
    personas: Personas, by_worker: None, settings: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    from policydesk.watch.management.commands.worker import Worker

    settings.POLICYDESK_SEARCH_INDEX_SECONDS = 60
    worker = Worker(
        watch_interval=None, queue_names=["*"], interval=0.1, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    first = open_with_note_and_file(personas, "First look")
    worker.index_when_due()
    assert Ticket.objects.get(pk=first.pk).search_pending is None
    second = open_with_note_and_file(personas, "Not due yet")
    worker.index_when_due()  # a minute has not passed
    assert Ticket.objects.get(pk=second.pk).search_pending is True

    def locked(seconds: float) -> tuple[int, bool]:
        raise OperationalError("database is locked")

    worker.next_index = 0
    monkeypatch.setattr(pending, "index_for", locked)
    worker.index_when_due()  # logged, not raised: the worker goes on
    assert "search entries failed" in caplog.text
    monkeypatch.undo()
    worker.next_index = 0
    worker.index_when_due()
    assert Ticket.objects.get(pk=second.pk).search_pending is None


def test_a_backlog_is_taken_a_short_look_at_a_time(
    personas: Personas, by_worker: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between two looks the worker's loop sends the acknowledgements: a look stops after
    LOOK_SECONDS, and the next comes at once while tickets are left."""
    from policydesk.watch.management.commands.worker import Worker

    settings.POLICYDESK_SEARCH_INDEX_SECONDS = 60
    tickets = [open_with_note_and_file(personas, f"Backlog {n}") for n in range(5)]
    monkeypatch.setattr(indexing, "INDEX_BATCH", 2)
    monkeypatch.setattr(pending, "LOOK_SECONDS", 0)  # one batch a look
    worker = Worker(
        watch_interval=None, queue_names=["*"], interval=0.1, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test", excluded_queue_names=[],
    )  # fmt: skip
    left, due_at_once = [], []
    for _ in range(3):
        worker.index_when_due()
        left.append(indexing.waiting())
        due_at_once.append(worker.next_index <= time.monotonic())
    assert left == [3, 1, 0]
    assert due_at_once == [True, True, False]  # none left: the next look in a minute
    assert all(Ticket.objects.get(pk=t.pk).search_pending is None for t in tickets)


def test_a_look_pauses_between_batches_for_waiting_writers(
    personas: Personas, by_worker: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(5):
        open_with_note_and_file(personas, f"Paused {n}")
    monkeypatch.setattr(indexing, "INDEX_BATCH", 2)
    pauses: list[float] = []
    monkeypatch.setattr(pending.time, "sleep", pauses.append)
    assert pending.index_all_pending() == 5
    assert pauses == [pending.PAUSE, pending.PAUSE]  # after the two full batches; the third ends it


def test_the_interval_comes_from_the_setting(settings: Any) -> None:
    settings.POLICYDESK_SEARCH_INDEX_SECONDS = 0.25
    assert pending.interval_seconds() == 0.25
    settings.POLICYDESK_SEARCH_INDEX_SECONDS = -1
    assert pending.interval_seconds() == 0


def test_an_unknown_mode_is_refused_at_start(tmp_path: Any) -> None:
    result = run_with_settings(
        tmp_path, "import django; django.setup()", POLICYDESK_SEARCH_INDEX_NEW_TICKETS="later",
        POLICYDESK_DEBUG="1",
    )  # fmt: skip
    assert result.returncode != 0
    assert "POLICYDESK_SEARCH_INDEX_NEW_TICKETS must be 'worker' or 'request', not 'later'" in result.stderr


def test_a_reindex_deletes_and_marks_as_the_orm_would_and_lets_a_delete_listener_hear(
    personas: Personas, by_worker: None
) -> None:
    from django.db.models.signals import pre_delete

    tickets = [open_with_note_and_file(personas, f"Again {n}") for n in range(3)]
    pending.index_all_pending()
    stale = Entry.objects.get(ticket=tickets[0], kind=Entry.Kind.SUBJECT)
    Entry.objects.filter(pk=stale.pk).update(original="stale", body="stale")  # drifted
    others = _entries(tickets[2])
    Ticket.objects.filter(pk=tickets[1].pk).update(search_pending=True)
    with CaptureQueriesContext(connection) as queries:
        indexing.reindex(list(Ticket.objects.filter(pk__in=[tickets[0].pk, tickets[1].pk])))
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(sql.startswith('DELETE FROM "search_entry"') for sql in statements) == 1
    assert sum(sql.startswith('UPDATE "tickets_ticket"') for sql in statements) == 1
    assert indexing.drifted(tickets) == [] and indexing.waiting() == 0
    assert not Entry.objects.filter(original="stale").exists() and _entries(tickets[2]) == others

    heard: list[int] = []

    def listener(sender: Any, instance: Entry, **kwargs: Any) -> None:
        heard.append(instance.ticket_id)

    pre_delete.connect(listener, sender=Entry)
    try:
        indexing.reindex([Ticket.objects.get(pk=tickets[2].pk)])
    finally:
        pre_delete.disconnect(listener, sender=Entry)
    assert heard == [tickets[2].pk] * len(others) and indexing.drifted(tickets) == []
