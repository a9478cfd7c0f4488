"""Queries compiled once (`policydesk.compiled_queries`): the same rows as the ORM gives, run after run;
and `insert`, the same row and signals as `save(force_insert=True)`."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, Error, IntegrityError, connection, connections, transaction
from django.db.models.signals import post_init, post_save, pre_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from policydesk.compiled_queries import (
    ROWS_PER_INSERT,
    CompiledQuery,
    insert,
    insert_rows,
    new_row,
    prepare_insert,
    update,
    update_each,
)
from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.search.models import Entry
from policydesk.tickets.models import (
    AuditEvent,
    Counter,
    Message,
    MetricEvent,
    Organisation,
    Person,
    Ticket,
    email_is,
)
from tests.conftest import NOW, Personas, open_request

PERSON = CompiledQuery(
    lambda address: Person.objects.filter(email_is(address)).select_related("organisation").order_by("pk"),
    address=str,
)
ORGANISATION_NAME = CompiledQuery(
    lambda pk: Organisation.objects.filter(pk=pk).values_list("name", "plan"), pk=int
)


def test_model_rows_are_the_orms_with_the_foreign_key_loaded(personas: Personas) -> None:
    for person in (personas.customer, personas.admin):  # with an organisation, and without
        found = PERSON.first(address=person.email.upper())
        expected = Person.objects.select_related("organisation").get(pk=person.pk)
        assert found == expected and type(found) is Person and not found._state.adding
        fields = [field.attname for field in Person._meta.concrete_fields]
        assert [getattr(found, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert _made(found)[0] == _made(expected)[0] and found._state.db == expected._state.db == "default"
        with CaptureQueriesContext(connection) as queries:
            assert found.organisation == expected.organisation  # loaded with it: no query
        assert not queries.captured_queries
    assert PERSON.first(address="nobody@example.com") is None


def test_values_rows_are_tuples_and_each_run_takes_its_own_parameters(personas: Personas) -> None:
    organisation = personas.customer.organisation
    assert organisation is not None
    assert ORGANISATION_NAME.rows(pk=organisation.pk) == [(organisation.name, organisation.plan)]
    assert ORGANISATION_NAME.rows(pk=-1) == []
    with CaptureQueriesContext(connection) as queries:
        ORGANISATION_NAME.rows(pk=organisation.pk)
    assert len(queries.captured_queries) == 1  # counted as any statement


def test_a_parameter_that_is_not_one_placeholder_is_refused(personas: Personas) -> None:
    twice = CompiledQuery(lambda name: Organisation.objects.filter(name=name, plan=name), name=str)
    with pytest.raises(ValueError, match="parameter name"):
        twice.rows(name="x")


def _row(model: Any, pk: object) -> dict[str, object]:
    """The row as stored, every column (not the instance in memory)."""
    values = model.objects.filter(pk=pk).values(*[f.attname for f in model._meta.concrete_fields]).get()
    return {name: value for name, value in values.items() if name != model._meta.pk.attname}


def test_insert_stores_the_row_save_would_and_reads_its_key_back(personas: Personas) -> None:
    def event() -> AuditEvent:
        return AuditEvent(
            at=NOW, actor=personas.agent, action="ticket.noted", subject_type="ticket", subject_id="7",
            data={"reasons": ["C6: 24x7"], "n": 1, "ja": "請求"},
        )  # fmt: skip

    saved, inserted = event(), event()
    saved.save(force_insert=True)
    with CaptureQueriesContext(connection) as queries:
        assert insert(inserted) is inserted
    assert len(queries.captured_queries) == 1
    assert isinstance(inserted.pk, int) and inserted.pk != saved.pk and not inserted._state.adding
    assert inserted._state.db == "default"
    assert _row(AuditEvent, inserted.pk) == _row(AuditEvent, saved.pk)
    default = insert(AuditEvent(at=NOW, action="x", subject_type="t", subject_id="1"))  # defaults applied
    assert _row(AuditEvent, default.pk)["data"] == {} and _row(AuditEvent, default.pk)["actor_id"] is None
    counter = insert(Counter(name="insert-test", value=3))  # a primary key given, not generated
    assert counter.pk == "insert-test" and Counter.objects.get(pk="insert-test").value == 3


def test_insert_sends_save_signals_so_what_follows_a_save_follows_it(personas: Personas) -> None:
    """The search index follows a new message by `post_save`; a message built before its ticket
    was saved takes the ticket's key, as save() does."""
    seen: list[tuple[str, bool]] = []

    def before(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(("pre", instance.pk is None))

    def after(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append(("post", created))

    template = Ticket.objects.create(
        organisation=personas.customer.organisation, requester=personas.customer, channel="web",
        topic="troubleshooting", subject="Template", number=901, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    ticket = Ticket(
        organisation=template.organisation, requester=personas.customer, channel="web",
        topic="troubleshooting", subject="Exports stop", number=902, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    message = Message(
        ticket=ticket, author=personas.customer, text="キャッシュが消えない", channel="web", created_at=NOW
    )
    pre_save.connect(before, sender=Message)
    post_save.connect(after, sender=Message)
    try:
        insert(ticket)
        insert(message)
    finally:
        pre_save.disconnect(before, sender=Message)
        post_save.disconnect(after, sender=Message)
    assert seen == [("pre", True), ("post", True)]
    assert message.ticket_id == ticket.pk
    assert Message.objects.get(pk=message.pk).text == "キャッシュが消えない"
    assert Entry.objects.filter(message=message, original="キャッシュが消えない").count() == 1
    assert Entry.objects.filter(ticket=ticket, original="Exports stop").count() == 1  # the ticket's post_save


def test_a_prepared_insert_is_insert_for_each_in_one_statement(personas: Personas) -> None:
    """With signals and keys read: the same rows, signals and keys as `insert` one by one, from
    one INSERT."""
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    seen: list[tuple[str, str, bool]] = []

    def before(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(("pre", instance.text, instance.pk is None))

    def after(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        seen.append(("post", instance.text, created and instance.pk is not None))

    def messages(suffix: str) -> list[Message]:
        first = Message(
            ticket=ticket, author=personas.customer, text=f"first {suffix}", channel="web", created_at=NOW
        )
        note = Message(
            ticket=ticket, author=personas.agent, kind="internal", text=f"note {suffix}", created_at=NOW
        )
        return [first, note]

    one_by_one, together = messages("a"), messages("b")
    for message in one_by_one:
        insert(message)
    pre_save.connect(before, sender=Message)
    post_save.connect(after, sender=Message)
    try:
        with CaptureQueriesContext(connection) as queries:
            prepare_insert(together, read_keys=True, signals=True).write()
    finally:
        pre_save.disconnect(before, sender=Message)
        post_save.disconnect(after, sender=Message)
    inserts = [
        q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "tickets_message"')
    ]
    assert len(inserts) == 1
    assert seen == [
        ("pre", "first b", True),
        ("pre", "note b", True),
        ("post", "first b", True),
        ("post", "note b", True),
    ]
    assert [m.pk for m in together] == sorted(m.pk for m in together) and not together[0]._state.adding
    for a, b in zip(one_by_one, together, strict=True):
        stored_a, stored_b = _row(Message, a.pk), _row(Message, b.pk)
        assert {**stored_a, "id": 0, "text": ""} == {**stored_b, "id": 0, "text": ""}
        assert Message.objects.get(pk=b.pk).text == b.text
    assert Entry.objects.filter(message__in=together).count() == 2  # their post_save: the search index


def test_a_prepared_insert_binds_what_it_was_given_and_reads_the_late_values_when_written(
    personas: Personas,
) -> None:
    """`prepare_insert`: values worked out (and `pre_save` sent) when it is prepared; a foreign
    key to a row saved afterwards, and the fields named `late`, read when it is written (with
    `post_save`), in one statement each."""
    ticket = Ticket(
        organisation=personas.customer.organisation, requester=personas.customer, channel="web",
        topic="troubleshooting", subject="Prepared", number=904, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    message = Message(
        ticket=ticket, author=personas.customer, text="as prepared", channel="web", created_at=NOW
    )
    event = AuditEvent(at=NOW, action="prepared", subject_type="ticket", subject_id="?", data={})
    seen: list[str] = []

    def before(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(f"pre {instance.text}")

    def after(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(f"post {instance.pk == message.pk}")

    pre_save.connect(before, sender=Message)
    post_save.connect(after, sender=Message)
    try:
        messages = prepare_insert([message], read_keys=True, signals=True)
        audit = prepare_insert([event], late=("subject_id",))
        assert seen == ["pre as prepared"]
        message.text = "changed after"  # not late: bound as it was
        insert(ticket)
        event.subject_id = str(ticket.pk)
        with CaptureQueriesContext(connection) as queries:
            messages.write()
            audit.write()
    finally:
        pre_save.disconnect(before, sender=Message)
        post_save.disconnect(after, sender=Message)
    written = [q["sql"].split("(")[0] for q in queries.captured_queries if "search_entry" not in q["sql"]]
    assert written == ['INSERT INTO "tickets_message" ', 'INSERT INTO "tickets_auditevent" ']
    assert seen == ["pre as prepared", "post True"]  # and the message's search entry followed
    stored = Message.objects.get(pk=message.pk)
    assert stored.ticket_id == ticket.pk and stored.text == "as prepared"
    assert AuditEvent.objects.get(action="prepared").subject_id == str(ticket.pk)
    never = prepare_insert(
        [Message(ticket=Ticket(subject="never saved"), author=personas.customer, created_at=NOW)]
    )
    with pytest.raises(ValueError, match="unsaved related object"):
        never.write()
    with pytest.raises(TypeError, match="binds no field 'nothing'"):
        prepare_insert([AuditEvent(at=NOW, action="a", data={})], late=("nothing",))
    with pytest.raises(ValueError, match="1 to 100 rows"):
        prepare_insert([])
    with pytest.raises(TypeError, match="cannot read the keys"):
        prepare_insert([AuditEvent(at=NOW, action="a", data={})], read_keys=True, ignore_conflicts=True)


def test_insert_refused_by_the_database_raises_and_leaves_nothing(personas: Personas) -> None:
    insert(Counter(name="twice"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(Counter(name="twice"))
    assert Counter.objects.filter(name="twice").count() == 1
    with pytest.raises(ValueError, match="unsaved related object"):
        insert(
            Message(ticket=Ticket(subject="never saved"), author=personas.customer, text="x", created_at=NOW)
        )


def test_insert_rows_stores_the_rows_bulk_create_would(personas: Personas) -> None:
    def events(subject: str) -> list[AuditEvent]:
        return [
            AuditEvent(at=NOW, actor=personas.agent, action=f"a{n}", subject_type=subject, subject_id=str(n),
                       data={"n": n, "ja": "請求"})
            for n in range(3)
        ]  # fmt: skip

    AuditEvent.objects.bulk_create(events("bulk"))
    rows = events("rows")
    with CaptureQueriesContext(connection) as queries:
        insert_rows(rows)
    assert len(queries.captured_queries) == 1  # three rows, one INSERT
    assert all(not row._state.adding and row._state.db == "default" for row in rows)

    def stored(subject: str) -> list[dict[str, object]]:
        found = AuditEvent.objects.filter(subject_type=subject).order_by("subject_id")
        return [{**_row(AuditEvent, pk), "subject_type": ""} for pk in found.values_list("pk", flat=True)]

    assert stored("rows") == stored("bulk") and len(stored("rows")) == 3


def test_insert_rows_in_chunks_and_skipping_what_a_constraint_holds(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None

    def events(count: int) -> list[MetricEvent]:
        return [
            MetricEvent(ticket=ticket, metric="test", cycle=n, kind="start", at=NOW, policy_version="x")
            for n in range(count)
        ]

    insert_rows(events(3))
    with CaptureQueriesContext(connection) as queries:
        insert_rows(events(ROWS_PER_INSERT + 5), ignore_conflicts=True)  # the first three are there
    assert len(queries.captured_queries) == 2  # ROWS_PER_INSERT rows at most in one statement
    assert MetricEvent.objects.filter(ticket=ticket, metric="test").count() == ROWS_PER_INSERT + 5
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(events(1))  # without ignore_conflicts the constraint (metric_event_once) refuses it


def test_insert_rows_reads_back_the_keys_the_database_gives_in_the_order_of_the_rows(
    personas: Personas,
) -> None:
    rows = [
        AuditEvent(at=NOW, actor=personas.agent, action="k", subject_type="keys", subject_id=str(n), data={})
        for n in range(4)
    ]
    insert_rows(rows, read_keys=True)
    stored = dict(AuditEvent.objects.filter(subject_type="keys").values_list("pk", "subject_id"))
    assert {row.pk: row.subject_id for row in rows} == stored and len(stored) == 4
    with pytest.raises(TypeError, match="each with its primary key or none"):
        insert_rows(
            [AuditEvent(at=NOW, action="a", data={}), AuditEvent(pk=10**6, at=NOW, action="b", data={})]
        )
    with pytest.raises(TypeError, match="only the keys the database gives"):
        insert_rows([AuditEvent(pk=10**6, at=NOW, action="a", data={})], read_keys=True)
    with pytest.raises(TypeError, match="cannot read the keys"):
        insert_rows(rows, read_keys=True, ignore_conflicts=True)


def test_insert_rows_writes_rows_whose_keys_were_made_in_python(personas: Personas) -> None:
    """Task rows: their UUID is made before the INSERT (`tasks_backend.enqueue_each`)."""
    import uuid

    from django_tasks_db.models import DBTaskResult, get_date_max

    ids = [uuid.uuid4() for _ in range(3)]
    insert_rows([
        DBTaskResult(id=ident, args_kwargs={"args": [n], "kwargs": {}}, priority=0, task_path="x.y",
                     queue_name="default", backend_name="default", run_after=get_date_max())
        for n, ident in enumerate(ids)
    ])  # fmt: skip
    assert set(DBTaskResult.objects.values_list("id", flat=True)) >= set(ids)


def test_insert_rows_takes_the_key_of_a_row_saved_after_it_was_assigned(personas: Personas) -> None:
    """As bulk_create: the rows were built for a ticket not saved yet (an intake's metric events)."""
    ticket = Ticket(
        organisation=personas.customer.organisation, requester=personas.customer, channel="web",
        topic="troubleshooting", subject="Later", number=903, created_at=NOW, updated_at=NOW,
    )  # fmt: skip
    rows = [MetricEvent(ticket=ticket, metric="test", cycle=1, kind="start", at=NOW, policy_version="x")]
    insert(ticket)
    insert_rows(rows, ignore_conflicts=True)  # SQLite's OR IGNORE would skip a NULL ticket silently
    assert MetricEvent.objects.filter(ticket=ticket, metric="test").count() == 1
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_rows(
            [MetricEvent(ticket=Ticket(subject="never saved"), metric="m", cycle=1, kind="k", at=NOW)]
        )


def test_update_writes_what_save_with_update_fields_would(personas: Personas) -> None:
    """Only the fields named, the same values and signals as `save(update_fields=...)`, one
    statement; and the same error when the row is gone."""
    seen: list[tuple[bool, frozenset[str] | None]] = []

    def after(sender: Any, instance: Any, created: bool, update_fields: Any, **kwargs: Any) -> None:
        seen.append((created, update_fields))

    saved = open_request(personas.customer, subject="Saved").ticket
    updated = open_request(personas.customer, subject="Updated").ticket
    assert saved is not None and updated is not None
    for ticket in (saved, updated):
        ticket.subject, ticket.priority = "Renamed キャッシュ", "urgent"
        ticket.updated_at = NOW.replace(year=2027)
        ticket.status = "closed"  # changed in memory, not named: not written
    saved.save(update_fields=["subject", "priority", "updated_at"])
    post_save.connect(after, sender=Ticket)
    try:
        with CaptureQueriesContext(connection) as queries:
            assert update(updated, ["subject", "priority", "updated_at"]) is updated
    finally:
        post_save.disconnect(after, sender=Ticket)
    assert len([q for q in queries.captured_queries if q["sql"].startswith('UPDATE "tickets_ticket"')]) == 1
    assert seen == [(False, frozenset({"subject", "priority", "updated_at"}))]
    stored, expected = _row(Ticket, updated.pk), _row(Ticket, saved.pk)
    for column in ("subject", "priority", "updated_at", "status"):
        assert stored[column] == expected[column], column
    assert stored["status"] != "closed"
    # The search index followed the post_save.
    assert Entry.objects.filter(ticket=updated, original="Renamed キャッシュ").count() == 1
    gone = Ticket.objects.get(pk=updated.pk)
    Ticket.objects.filter(pk=gone.pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        update(gone, ["subject"])
    with pytest.raises(TypeError, match="primary key"):
        update(saved, ["id"])


def test_update_each_sends_the_rows_updates_together_with_each_ones_signals(personas: Personas) -> None:
    """A batch of stored mail records its outcomes so: one executemany, each row its own values and
    post_save; a row that is gone fails them all, as `update` fails."""
    seen: list[int] = []

    def after(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance.pk)

    tickets = [open_request(personas.customer, subject=f"Each {n}").ticket for n in range(3)]
    assert all(ticket is not None for ticket in tickets)
    rows = [ticket for ticket in tickets if ticket is not None]
    for n, ticket in enumerate(rows):
        ticket.subject = f"Renamed {n}"
    post_save.connect(after, sender=Ticket)
    try:
        with CaptureQueriesContext(connection) as queries:
            update_each(rows, ["subject"])
    finally:
        post_save.disconnect(after, sender=Ticket)
    updates = [q for q in queries.captured_queries if 'UPDATE "tickets_ticket"' in q["sql"]]
    assert len(updates) == 1 and seen == [ticket.pk for ticket in rows]
    stored = dict(Ticket.objects.filter(pk__in=seen).values_list("pk", "subject"))
    assert stored == {ticket.pk: f"Renamed {n}" for n, ticket in enumerate(rows)}
    Ticket.objects.filter(pk=rows[1].pk).delete()
    with pytest.raises(DatabaseError, match="did not affect any rows"), transaction.atomic():
        update_each(rows, ["subject"])


def test_insert_reads_back_what_the_database_worked_out_in_the_insert(personas: Personas) -> None:
    """`computed`: an expression of ours in VALUES, its value read back with the key, in the one
    statement (PostgreSQL's ticket number from its sequence)."""
    with CaptureQueriesContext(connection) as queries:
        counter = insert(Counter(name="computed", value=1), computed={"value": "6 * 7"})
    assert len(queries.captured_queries) == 1 and "6 * 7" in queries.captured_queries[0]["sql"]
    assert counter.value == 42 and Counter.objects.get(pk="computed").value == 42
    event = insert(
        AuditEvent(at=NOW, action="x", subject_type="t", subject_id="placeholder"),
        computed={"subject_id": "'4' || '2'"},
    )
    assert event.subject_id == "42" and AuditEvent.objects.get(pk=event.pk).subject_id == "42"
    with pytest.raises(TypeError, match="does not insert"):
        insert(AuditEvent(at=NOW, action="x", subject_type="t", subject_id="1"), computed={"id": "1"})


def test_the_values_bound_are_the_ones_a_save_computes_plain_or_not(personas: Personas) -> None:
    """`insert` and `update` bind a plain field's str, int, bool or None as it is, and compute
    every other value as a save does: enum members, lazy translations, a bool in an integer
    field, dates and JSON all come out as `get_db_prep_save` gives them."""
    from django.utils.translation import gettext_lazy

    from policydesk.compiled_queries import _insert_sql

    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    ticket.status = Ticket.Status.OPEN  # an enum member, not a str
    ticket.subject = gettext_lazy("Help")  # type: ignore[assignment]  # a lazy string a form may carry
    counter = Counter(name="plain", value=True)  # a bool in an integer field: 1, as the ORM binds it
    message = Message(ticket=ticket, author=personas.agent, kind="note", text="x", created_at=NOW)
    event = AuditEvent(at=NOW, actor=None, action="a", subject_type="t", subject_id="1", data={"n": 1})
    for instance in (ticket, counter, message, event):
        statement = _insert_sql(type(instance)._meta, connection, 1, False, True, True, {})
        expected = [
            field.get_db_prep_save(field.pre_save(instance, True), connection) for field in statement.fields
        ]
        values = statement.values(instance, True, connection)
        assert list(map(_bound, values)) == list(map(_bound, expected))
    assert any(
        plain is not None for plain in _insert_sql(Ticket._meta, connection, 1, False, True, True, {}).plain
    )


@pytest.mark.parametrize(
    "at",
    [
        NOW,
        NOW.replace(microsecond=123456),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/Berlin")),  # another zone: Django's own
        datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("UTC")),  # UTC, but not `datetime.UTC`: Django's own
    ],
)
@pytest.mark.parametrize(
    "data", [{"n": 1, "名前": "顧客", "nested": [1, None, {"x": True}]}, ["a", 2], {}, None]
)
def test_datetimes_and_json_are_bound_as_django_binds_them(
    personas: Personas, at: datetime, data: Any
) -> None:
    """The conversions `_Statement.values` knows (issue 17: a new ticket binds 22 datetimes and 7
    JSON values) give what `get_db_prep_save` gives, and hand any other value to it; the timers'
    raw rows bind their datetimes the same way (`instant_binder`)."""
    from policydesk.compiled_queries import _insert_sql, instant_binder
    from policydesk.tickets.models import BulkJob

    job = BulkJob(actor=personas.agent, action="status", numbers=[1, 2], failed=data or [], finished_at=at)
    event = AuditEvent(at=at, actor=None, action="a", subject_type="t", subject_id="1", data=data)
    for instance in (event, job):
        statement = _insert_sql(type(instance)._meta, connection, 1, False, False, False, {})
        expected = [
            field.get_db_prep_save(field.pre_save(instance, True), connection) for field in statement.fields
        ]
        assert list(map(_bound, statement.values(instance, True, connection))) == list(map(_bound, expected))
        for index in range(len(statement.fields)):
            assert _bound(statement.value(index, instance, connection)) == _bound(expected[index])
    bind = instant_binder(connection)
    for value in (at, None):
        assert bind(value) == connection.ops.adapt_datetimefield_value(value)
    converted = {
        field.name: plain is not None and plain[2] is not None
        for field, plain in zip(statement.fields, statement.plain, strict=True)
    }
    on_sqlite = connection.vendor == "sqlite"  # PostgreSQL takes datetimes as they are, wraps JSON
    assert converted["finished_at"] is on_sqlite and converted["numbers"] is on_sqlite
    from django_tasks_db.models import DBTaskResult

    tasks = _insert_sql(DBTaskResult._meta, connection, 1, False, True, False, {})
    enqueued_at = tasks.plain[tasks.index("enqueued_at")]
    assert enqueued_at is None  # auto_now_add: its `pre_save` sets the value, so Django's own


def _bound(value: object) -> tuple[type, object]:
    """A bound value's type and content (PostgreSQL's JSON wrapper compares by identity)."""
    return type(value), getattr(value, "obj", value)


def test_statements_in_a_one_cursor_block_share_one_cursor_and_are_still_counted(
    personas: Personas,
) -> None:
    """`one_cursor` (around an intake's writes, issue 17): the block's compiled statements run on
    one cursor, closed at its end; a block inside it shares it; outside, each statement has its
    own. Query counting sees every statement either way."""
    from unittest import mock

    from policydesk.compiled_queries import one_cursor, statement_cursor

    made = []
    wrapper = type(connections["default"])
    real = wrapper.cursor

    def counting(self: Any) -> Any:
        cursor = real(self)
        made.append(cursor)
        return cursor

    def events(n: int) -> list[AuditEvent]:
        return [AuditEvent(at=NOW, action="a", subject_type="t", subject_id=str(n)) for _ in range(2)]

    with transaction.atomic(), mock.patch.object(wrapper, "cursor", counting):
        with one_cursor():
            prepare_insert(events(1)).write()
            with one_cursor():
                prepare_insert(events(2), read_keys=True).write()
                assert PERSON.first(address="hanna@kumo.example") == personas.customer
                with statement_cursor(connection) as cursor:
                    assert cursor is made[0]
        assert len(made) == 1
        with pytest.raises(Error):  # closed at the block's end
            made[0].execute("SELECT 1")
        prepare_insert(events(3)).write()
        prepare_insert(events(4)).write()
        assert len(made) == 3
    with CaptureQueriesContext(connection) as counted, one_cursor():
        prepare_insert(events(5)).write()
        assert PERSON.first(address="hanna@kumo.example") == personas.customer
    assert [q["sql"].startswith("INSERT") for q in counted.captured_queries] == [True, False]
    assert AuditEvent.objects.filter(action="a").count() == 10


def _made(row: Any) -> tuple[dict[str, Any], dict[str, Any], bool, str | None]:
    attributes = {name: value for name, value in row.__dict__.items() if name != "_state"}
    return attributes, dict(row._state.fields_cache), row._state.adding, row._state.db


def test_a_new_row_is_the_one_the_models_constructor_makes(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    unsaved = Ticket(organisation=ticket.organisation, requester=personas.customer, subject="new")
    for model, values in [
        (Ticket, {"organisation": ticket.organisation, "requester": personas.customer, "subject": "s"}),
        (Ticket, {"organisation_id": ticket.organisation_id, "requester_id": personas.customer.pk}),
        (Message, {"ticket": unsaved, "author": personas.agent, "text": "hi", "created_at": NOW}),
        (Message, {"ticket": ticket, "author": None, "kind": Message.Kind.INTERNAL}),
        (AuditEvent, {"at": NOW, "actor": personas.lead, "action": "ticket.opened", "data": {"a": 1}}),
        (MetricEvent, {"ticket": unsaved, "metric": "first_response", "cycle": 1, "at": NOW}),
        (OutgoingMail, {"recipient": "a@example.com", "ticket": ticket, "references": ["<x@y>"]}),
        (MessageLink, {"message_id": "<m@example.com>", "ticket": unsaved, "direction": "out"}),
        (Organisation, {"created_at": NOW}),  # every other default: its value
        (Entry, {"ticket_id": ticket.pk, "kind": "message", "original": "x", "body": "x", "message_id": 7}),
        (Entry, {"ticket_id": ticket.pk, "kind": "attachment", "attachment_id": 3, "internal": True}),
    ]:
        made, expected = new_row(model, **values), model(**values)
        assert type(made) is model
        assert _made(made) == _made(expected), model.__name__
    before = timezone.now()
    assert before <= new_row(Organisation).created_at <= timezone.now()  # a callable default, called
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'colour'"):
        new_row(Ticket, subject="s", colour="red")


def test_a_new_row_is_made_by_the_constructor_while_anything_listens_to_its_signals(
    personas: Personas,
) -> None:
    seen: list[Any] = []

    def listen(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(listen, sender=AuditEvent)
    try:
        event = new_row(AuditEvent, at=NOW, action="ticket.opened")
    finally:
        post_init.disconnect(listen, sender=AuditEvent)
    assert seen == [event]
    new_row(AuditEvent, at=NOW, action="ticket.opened")
    assert seen == [event]


def test_a_statements_related_check_does_what_the_orms_does_before_a_save(personas: Personas) -> None:
    """`_Statement.ready_related` is `_prepare_related_fields_for_save` for the foreign keys an
    INSERT binds: a row saved since it was assigned gives its key, a key changed by hand drops
    the cached row, an unsaved one is refused with the ORM's words."""
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    statement = prepare_insert([new_row(Message, ticket=ticket, author=personas.agent)])._statement
    assert statement._related is not None  # the desk's own check, not the ORM's

    def made(check: str) -> list[tuple[Any, ...]]:
        seen = []
        for case in ("saved since", "key changed", "no row", "unsaved"):
            parent = Ticket(organisation=ticket.organisation, requester=personas.customer, subject=case)
            message = new_row(Message, ticket=parent, author=personas.agent)
            if case == "saved since":
                parent.pk = ticket.pk
            elif case == "key changed":
                parent.pk, message.ticket_id = ticket.pk, ticket.pk + 1000
            elif case == "no row":
                message = new_row(Message, ticket=None, author=None)
            try:
                if check == "ours":
                    statement.ready_related(message, "save")
                else:
                    message._prepare_related_fields_for_save(operation_name="save")  # type: ignore[attr-defined]
                seen.append((case, message.ticket_id, "ticket" not in message._state.fields_cache))
            except ValueError as refused:
                seen.append((case, str(refused)))
        return seen

    ours, orms = made("ours"), made("orm")
    assert ours == orms
    assert ours[0] == ("saved since", ticket.pk, False) and ours[1][2] is True  # the cached row dropped
    assert "prohibited to prevent data loss due to unsaved related object 'ticket'" in ours[3][1]


def test_an_instant_written_again_is_the_same_text() -> None:
    """SQLite's text of a UTC instant (`str` of it, naive), whether written just before or not."""
    from datetime import UTC, timedelta

    from policydesk.compiled_queries import _AS_DJANGO_DOES, _utc_text

    instants = [NOW, NOW, NOW.replace(microsecond=1), NOW, datetime(1, 1, 1, tzinfo=UTC)]
    instants += [datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), NOW + timedelta(days=1)] * 2
    for instant in instants:
        assert _utc_text(instant) == str(instant.replace(tzinfo=None))
    assert _utc_text(NOW.astimezone(ZoneInfo("Asia/Tokyo"))) is _AS_DJANGO_DOES  # the same instant: Django's


def test_fetch_all_gives_the_rows_and_the_errors_django_gives(personas: Personas) -> None:
    from policydesk.compiled_queries import fetch_all

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1, 'a' UNION ALL SELECT 2, 'b'")
        assert [tuple(row) for row in fetch_all(cursor)] == [(1, "a"), (2, "b")]
    raised = []
    for fetch in (fetch_all, lambda cursor: cursor.fetchall()):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.cursor.close()  # the driver's cursor gone under Django's
            with pytest.raises(Error) as error:
                fetch(cursor)
            raised.append(type(error.value))
    assert raised[0] is raised[1] and raised[0].__module__ == "django.db.utils"  # Django's, wrapped


def test_connection_of_is_the_connection_connections_gives_in_every_thread_and_loop() -> None:
    import asyncio
    import threading

    from django.utils.connection import ConnectionDoesNotExist

    from policydesk.compiled_queries import _THREAD_CRITICAL_LOCAL, connection_of

    # asgiref as the desk installs it keeps a sync thread's connections where connection_of
    # reads them; if that changes, connection_of still answers, through `connections`.
    assert _THREAD_CRITICAL_LOCAL is not None
    assert connection_of() is connections["default"] is connection_of("default")
    with pytest.raises(ConnectionDoesNotExist):
        connection_of("no-such-database")
    main = connections["default"]
    seen: dict[str, Any] = {}

    def in_a_thread() -> None:
        seen["first"] = connection_of()  # made here, as connections[...] makes it
        seen["again"] = connections["default"]
        connections["default"] = main  # shared, as Django's live server shares it
        seen["shared"] = connection_of()

    thread = threading.Thread(target=in_a_thread)
    thread.start()
    thread.join()
    assert seen["first"] is seen["again"] and seen["first"] is not main
    assert seen["shared"] is main

    async def in_a_loop() -> tuple[Any, Any]:  # a running loop: the context's own, not the thread's
        return connection_of(), connections["default"]

    in_loop, through_connections = asyncio.run(in_a_loop())
    assert in_loop is through_connections and in_loop is not main
    assert connection_of() is main
