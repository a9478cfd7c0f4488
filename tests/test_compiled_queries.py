"""Queries compiled once (`policydesk.compiled_queries`): the same rows as the ORM gives, run after run;
and `insert`, the same row and signals as `save(force_insert=True)`."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

from policydesk.compiled_queries import CompiledQuery, insert
from policydesk.search.models import Entry
from policydesk.tickets.models import AuditEvent, Counter, Message, Organisation, Person, Ticket, email_is
from tests.conftest import NOW, Personas

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


def test_insert_refused_by_the_database_raises_and_leaves_nothing(personas: Personas) -> None:
    insert(Counter(name="twice"))
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(Counter(name="twice"))
    assert Counter.objects.filter(name="twice").count() == 1
    with pytest.raises(ValueError, match="unsaved related object"):
        insert(
            Message(ticket=Ticket(subject="never saved"), author=personas.customer, text="x", created_at=NOW)
        )
