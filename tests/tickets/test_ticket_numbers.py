"""Ticket numbers (issue 17): unique and rising; on PostgreSQL from a sequence, so that two
intakes never wait for each other's number (migration tickets 0023)."""

from __future__ import annotations

import importlib
import threading
from types import SimpleNamespace

import pytest
from django.db import connection, connections, transaction

from policydesk.tickets.actions.intake import NUMBER_SEQUENCE
from policydesk.tickets.models import Counter, Ticket
from tests.conftest import Personas, open_request

MIGRATION = importlib.import_module("policydesk.tickets.migrations.0023_ticket_number_sequence")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's one write lock serialises intakes by design"
)


def test_a_rolled_back_intake_leaves_the_next_numbers_unique_and_rising(personas: Personas) -> None:
    first = open_request(personas.customer).ticket

    def fails_after_its_ticket_is_written() -> None:
        with transaction.atomic():
            open_request(personas.customer)
            raise RuntimeError("the request failed after its ticket was written")

    with pytest.raises(RuntimeError):
        fails_after_its_ticket_is_written()
    second, third = (open_request(personas.customer).ticket for _ in range(2))
    assert first is not None and second is not None and third is not None
    assert first.number < second.number < third.number
    assert sorted(Ticket.objects.values_list("number", flat=True)) == [
        first.number,
        second.number,
        third.number,
    ]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_second_intake_takes_its_number_while_the_first_is_still_open(personas: Personas) -> None:
    """The first intake's transaction stays open; the second, in another connection, must not
    wait for it (the counter row's lock made it wait until the first committed)."""
    opened, release = threading.Event(), threading.Event()
    numbers: dict[str, int] = {}
    failures: list[BaseException] = []

    def first_intake() -> None:
        try:
            with transaction.atomic():
                ticket = open_request(personas.customer, subject="First").ticket
                assert ticket is not None
                numbers["first"] = ticket.number
                opened.set()
                release.wait(10)
        except BaseException as error:  # reported by the test below
            failures.append(error)
            opened.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_intake)
    thread.start()
    try:
        assert opened.wait(10) and not failures
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting for the first would raise
        second = open_request(personas.same_org_customer, subject="Second").ticket
        assert second is not None
        numbers["second"] = second.number
    finally:
        release.set()
        thread.join(10)
    assert not failures
    assert numbers["second"] == numbers["first"] + 1
    assert set(Ticket.objects.values_list("subject", flat=True)) == {"First", "Second"}


def _migrate(direction: str) -> None:
    getattr(MIGRATION, direction)(None, SimpleNamespace(connection=connection))


@postgres_only
@pytest.mark.parametrize(("counter", "highest", "expected"), [(41, 17, 42), (3, 17, 18), (0, 0, 1)])
def test_the_sequence_continues_after_the_counter_and_every_ticket(
    personas: Personas, counter: int, highest: int, expected: int
) -> None:
    if highest:
        ticket = open_request(personas.customer).ticket
        assert ticket is not None
        Ticket.objects.filter(pk=ticket.pk).update(number=highest)
    _migrate("to_counter")  # back to the counter row (the state before 0023)
    Counter.objects.update_or_create(name="ticket", defaults={"value": counter})
    _migrate("to_sequence")
    assert not Counter.objects.filter(name="ticket").exists()  # one home for the next number
    assert open_request(personas.customer).ticket.number == expected  # type: ignore[union-attr]


@postgres_only
def test_going_back_leaves_the_counter_at_the_last_number_given(personas: Personas) -> None:
    numbers = [open_request(personas.customer).ticket.number for _ in range(2)]  # type: ignore[union-attr]
    _migrate("to_counter")
    assert Counter.objects.get(name="ticket").value == numbers[-1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [NUMBER_SEQUENCE])
        assert cursor.fetchone() == (None,)
    _migrate("to_sequence")  # and forward again, as the migration runs
    assert open_request(personas.customer).ticket.number == numbers[-1] + 1  # type: ignore[union-attr]
