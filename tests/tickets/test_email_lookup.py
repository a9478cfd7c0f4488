"""Finding a person by email (C14: one login per email, whatever its case) uses the unique
index on LOWER(email), on SQLite and PostgreSQL alike: `email__iexact` scanned every person on
every intake (issue 17)."""

from __future__ import annotations

import pytest
from django.db import connection

from policydesk.tickets.models import Person, Ticket, email_is
from tests.conftest import Personas, open_ticket


def test_email_is_matches_any_case_and_surrounding_space(personas: Personas) -> None:
    shouted = f"  {personas.customer.email.upper()} "

    assert Person.objects.get(email_is(shouted)) == personas.customer


def test_email_is_does_not_match_a_prefix_or_a_pattern(personas: Personas) -> None:
    local, domain = personas.customer.email.split("@")

    assert not Person.objects.filter(email_is(f"{local[:-1]}@{domain}")).exists()
    assert not Person.objects.filter(email_is(f"{local[:-1]}_@{domain}")).exists()
    assert not Person.objects.filter(email_is(f"%@{domain}")).exists()


def test_email_is_follows_a_relation(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    open_ticket(personas.same_org_customer)

    found = Ticket.objects.filter(email_is(personas.customer.email.upper(), "requester__email"))

    assert list(found) == [ticket]


@pytest.mark.django_db
def test_the_lookup_can_use_the_unique_index() -> None:
    """Whether the index can serve the lookup (on PostgreSQL a tiny table may be scanned anyway,
    so scans are switched off: `email__iexact` shows a scan even then)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET enable_seqscan = off")
        plan = Person.objects.filter(email_is("Someone@Example.com"), is_active=True).explain()
        if connection.vendor == "postgresql":
            cursor.execute("RESET enable_seqscan")

    assert "person_email_ci_unique" in plan, plan
    if connection.vendor == "sqlite":
        assert "SCAN tickets_person" not in plan, plan
    else:
        assert "Seq Scan" not in plan, plan
