"""An intake works out its rows before its transaction and only runs their statements in it
(issue 17: on SQLite the transaction holds the one write lock; `tickets/actions/intake.py`,
`compiled_queries.prepare_insert`)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from policydesk import compiled_queries
from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.tickets.models import AuditEvent, Message, MetricEvent
from policydesk.watch import timers
from policydesk.watch.models import Timer
from tests.conftest import NOW, Personas, open_request


def test_an_intake_works_out_every_row_before_its_transaction(
    personas: Personas, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """Every row's values (the ticket, its message and the note, the audit row, the metric
    events, the acknowledgement's record, task and Message-ID link, the timers) are worked out
    outside the intake's transaction; in it only the statements run, each value read late
    (a key, the number, the rate limit's verdict) included. The search entries are the
    worker's (the default; with "request" they are built in the transaction)."""
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker"
    depths: list[tuple[str, int]] = []
    values, rows = compiled_queries._Statement.values, timers._timer_rows

    def watched_values(statement: Any, instance: Any, add: bool, on: Any) -> list[Any]:
        depths.append((type(instance).__name__, len(connection.atomic_blocks)))
        return values(statement, instance, add, on)

    def watched_rows(*args: Any) -> Any:
        depths.append(("Timer", len(connection.atomic_blocks)))
        return rows(*args)

    monkeypatch.setattr(compiled_queries._Statement, "values", watched_values)
    monkeypatch.setattr(timers, "_timer_rows", watched_rows)
    outside = len(connection.atomic_blocks)  # the test's own transaction
    ticket = open_request(personas.customer, entered_by=personas.agent).ticket
    assert ticket is not None and ticket.number
    made = {name for name, _ in depths}
    every = {"Ticket", "Message", "AuditEvent", "MetricEvent", "OutgoingMail", "DBTaskResult", "MessageLink"}
    assert made >= every | {"Timer"}
    assert [(name, depth) for name, depth in depths if depth != outside] == []
    # ...and what was written is whole: each row with the ticket's key.
    assert Message.objects.filter(ticket=ticket).count() == 2
    assert AuditEvent.objects.get(action="ticket.opened").subject_id == str(ticket.pk)
    assert MetricEvent.objects.filter(ticket=ticket).exists() and Timer.objects.filter(ticket=ticket).exists()
    ack = OutgoingMail.objects.get(ticket=ticket, kind="ack")
    assert str(ticket.number) in ack.subject and str(ticket.number) in ack.body
    assert ticket.search_pending  # marked for the worker when it was worked out
    assert MessageLink.objects.filter(ticket=ticket, message_id=ack.message_id).exists()
    task = DBTaskResult.objects.get()
    assert task.args_kwargs == {"args": [ack.pk], "kwargs": {}}


def test_an_acknowledgement_worked_out_before_is_rate_limited_when_recorded(
    personas: Personas, settings: Any
) -> None:
    """The rate limit is read in the transaction, where the record is written: the second
    acknowledgement to the same address is suppressed and gets no task."""
    settings.POLICYDESK_MAIL_RATE_LIMIT = (1, 3600)
    for n in range(2):
        assert open_request(personas.customer, subject=f"Request {n}", now=NOW).ticket is not None
    statuses = list(OutgoingMail.objects.filter(kind="ack").order_by("pk").values_list("status", flat=True))
    assert statuses == ["queued", "suppressed"]
    first = OutgoingMail.objects.filter(kind="ack").order_by("pk").first()
    assert first is not None
    assert [t.args_kwargs["args"] for t in DBTaskResult.objects.all()] == [[first.pk]]
