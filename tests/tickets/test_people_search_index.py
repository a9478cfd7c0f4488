"""The console's customer search at a million people (issue 17): `person_text_contains` answers
from the people's full-text table on SQLite (migration 0021) and the trigram indexes on
PostgreSQL (0019), kept in step with every write of a person, and the LIKE of `icontains` decides."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.console.queries import customers
from policydesk.tickets import actions
from policydesk.tickets.models import Person, person_text_contains
from tests.conftest import NOW, Personas

SQLITE = connection.vendor == "sqlite"


def emails(search: str) -> list[str]:
    return [person.email for person in customers(search)]


def test_a_part_of_an_email_or_a_name_in_any_case_finds_the_customers(personas: Personas) -> None:
    personas.customer.name = "山田 花子"
    personas.customer.save()
    assert emails("kumo") == ["felix@kumo.example", "hanna@kumo.example"]
    assert emails("HANNA@KU") == ["hanna@kumo.example"]
    assert emails("田 花子") == ["hanna@kumo.example"]
    assert emails("mo") == ["felix@kumo.example", "hanna@kumo.example"]  # shorter: no index, same answer
    assert emails("山") == ["hanna@kumo.example"]
    assert emails("example.com") == []  # staff are not customers
    assert emails("zzz-nobody") == []


def test_every_write_of_a_person_keeps_the_index_in_step(personas: Personas) -> None:
    personas.customer.name = "Hanna Okafor"
    personas.customer.save()
    assert emails("okafor") == ["hanna@kumo.example"]
    personas.customer.name = "Hanna Lindqvist"
    personas.customer.email = "hanna.l@kumo.example"
    personas.customer.save()
    assert emails("okafor") == [] and emails("lindqvist") == ["hanna.l@kumo.example"]
    assert emails("hanna@kumo") == []
    personas.customer.last_login = NOW  # a sign-in writes last_login only: the index is not touched
    personas.customer.save(update_fields=["last_login"])
    assert emails("lindqvist") == ["hanna.l@kumo.example"]
    new = actions.do_create_person(
        email="mika@kumo.example", password=None, role="customer", actor=personas.admin, now=NOW,
        organisation=personas.customer.organisation, name="Mika Häkkinen",
    )  # fmt: skip
    assert emails("häkkinen") == ["mika@kumo.example"]
    Person.objects.filter(pk=new.pk).delete()
    assert emails("häkkinen") == []
    if SQLITE:
        with connection.cursor() as cursor:  # FTS5 checks the table against tickets_person
            cursor.execute(
                "INSERT INTO tickets_person_fts(tickets_person_fts, rank) VALUES ('integrity-check', 1)"
            )


@pytest.mark.skipif(not SQLITE, reason="SQLite's people index")
def test_sqlite_reads_the_index_for_three_characters_and_more(personas: Personas) -> None:
    with CaptureQueriesContext(connection) as queries:
        customers("kumo")
        customers("mo")
    indexed, scanned = (query["sql"] for query in queries.captured_queries)
    assert "tickets_person_fts MATCH" in indexed and "tickets_person_fts" not in scanned
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + indexed.replace("%", "%%"))
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "tickets_person_fts VIRTUAL TABLE INDEX" in plan, plan


@pytest.mark.skipif(not SQLITE, reason="SQLite's people index")
def test_a_stale_posting_never_makes_a_match(personas: Personas) -> None:
    with connection.cursor() as cursor:  # a posting no person's text explains
        cursor.execute(
            "INSERT INTO tickets_person_fts(rowid, email, name) VALUES (%s, 'ghost@kumo.example', 'Ghost')",
            [personas.same_org_customer.pk],
        )
    assert emails("ghost") == []
    assert Person.objects.filter(person_text_contains("ghost")).count() == 0


@pytest.mark.skipif(not SQLITE, reason="SQLite's people index")
def test_the_triggers_survive_every_migration(db: None) -> None:
    """A migration that makes SQLite rebuild tickets_person drops its triggers with the old table
    (migration 0021's docstring): the index would then go stale without a word. This fails first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tickets_person'"
        )
        triggers = {name for (name,) in cursor.fetchall()}
    assert triggers == {"tickets_person_fts_ai", "tickets_person_fts_ad", "tickets_person_fts_au"}
