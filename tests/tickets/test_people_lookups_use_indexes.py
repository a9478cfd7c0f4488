"""The people, token and organisation lookups stay index look-ups (issue 17): with a million
people a lookup that reads the whole people table costs tens of milliseconds a request, one
through an index a fraction of one (benchmarks/people_scale.py). Each test runs a real call site,
captures what it asks the database, and asks the database's planner how it would answer it.

SQLite: `EXPLAIN QUERY PLAN` calls a read of a whole table `SCAN <table>` (also when an index
only orders it) and a look-up `SEARCH`. PostgreSQL: a test database is small, and a planner
rightly reads a small table whole, so sequential scans are priced out (`enable_seqscan = off`);
every read of those tables must then be an index scan with an index condition that picks rows
(not `IS NOT NULL`), or a bitmap heap scan or an UPDATE fed by one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.api.tokens import do_create_api_token
from policydesk.console.queries import customer_by_email, customers
from policydesk.mail.ingest import process_message
from policydesk.portal.signin import make_link_token, send_signin_link
from policydesk.tickets.actions import ActionError
from policydesk.tickets.actions.copies import do_add_outside_copy
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, open_ticket
from tests.mail.conftest import rfc5322
from tests.portal.conftest import PRODUCT_ORIGIN, WIDGET_SECRET
from tests.portal.test_widget import open_widget, token_for

WATCHED = ("tickets_person", "tickets_organisation", "tickets_apitoken")


def whole_table_reads(run: Callable[[], object], watched: tuple[str, ...] = WATCHED) -> list[str]:
    """The `watched` tables some statement of `run` would read whole, with the statement."""
    with CaptureQueriesContext(connection) as captured:
        run()
    found = []
    for sql in (query["sql"] for query in captured.captured_queries):
        if sql.lstrip().upper().startswith(("SELECT", "UPDATE")) and any(t in sql for t in watched):
            found += [f"{table}: {sql[:300]}" for table in _read_whole(sql, watched)]
    return found


def _read_whole(sql: str, watched: tuple[str, ...]) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            details = [row[3] for row in cursor.fetchall()]
            return [t for d in details for t in watched if _sqlite_reads_whole(d, t)]
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute("SET LOCAL enable_seqscan = on")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return [
        node["Relation Name"]
        for node in _nodes(plan[0]["Plan"])
        if node.get("Relation Name") in watched
        and node["Node Type"] != "ModifyTable"  # an UPDATE: the scan under it is checked
        and not any(_picks(condition) for condition in _index_conditions(node))
    ]


def _sqlite_reads_whole(detail: str, table: str) -> bool:
    if detail == f"SCAN {table}" or detail.startswith(f"SCAN {table} "):
        return True
    # A range that is everyone (`organisation_id IS NOT NULL` becomes `organisation_id>?`).
    return detail.startswith(f"SEARCH {table} ") and "=" not in detail.rpartition("(")[2]


def _index_conditions(node: dict[str, Any]) -> list[str]:
    if node["Node Type"] == "Bitmap Heap Scan":
        return [child["Index Cond"] for child in _nodes(node) if "Index Cond" in child]
    return [node["Index Cond"]] if "Index Cond" in node else []


def _picks(condition: str) -> bool:
    """An index condition that picks rows, not one that is everyone (`x IS NOT NULL`)."""
    return not condition.rstrip(")").endswith("IS NOT NULL")


def _nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def test_the_check_itself_sees_a_whole_table_read(personas: Personas) -> None:
    from policydesk.tickets.models import Person

    # `email__iexact` (UPPER() on PostgreSQL, LIKE on SQLite) cannot use the LOWER(email) index.
    found = whole_table_reads(lambda: Person.objects.filter(email__iexact="Hanna@Kumo.example").first())
    assert found and found[0].startswith("tickets_person: ")


def test_email_intake_finds_the_sender_and_the_cc_by_index(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAIL_DOMAIN = "example.com"
    raw = rfc5322("""
From: Hanna <HANNA@kumo.example>
To: support@example.com
Cc: Felix <felix@KUMO.example>, stranger@elsewhere.example
Subject: Export question
Message-ID: <indexes-1@kumo.example>
Content-Type: text/plain; charset=utf-8

The CSV export stops at 1000 rows.
""")
    reads = whole_table_reads(lambda: process_message(raw, mailbox="smtp", now=NOW))
    assert reads == []
    assert Ticket.objects.get().participants.get() == personas.same_org_customer


def test_api_intake_finds_the_token_by_index(personas: Personas) -> None:
    token = do_create_api_token(person=personas.customer, name="crm", actor=None, now=NOW).secret
    client = Client(headers={"Authorization": f"Bearer {token}"})
    body = {"topic": "troubleshooting", "subject": "Export fails", "text": "At 50%."}

    def post() -> None:
        assert client.post("/api/v1/tickets", body, content_type="application/json").status_code == 201

    assert whole_table_reads(post) == []


def test_sign_in_by_password_finds_the_person_by_index(personas: Personas) -> None:
    client = Client()

    def sign_in() -> None:
        form = {"email": "Hanna@Kumo.example", "password": "pw-hanna@kumo.example"}
        assert client.post("/signin/", form).status_code == 302

    assert whole_table_reads(sign_in) == []
    assert (
        authenticate(None, email="hanna@kumo.example", password="pw-hanna@kumo.example") == personas.customer
    )


def test_sign_in_by_link_finds_the_person_by_index(personas: Personas) -> None:
    def request_and_use_link() -> None:
        send_signin_link.call("HANNA@kumo.example", "en")
        assert Client().post(f"/signin/link/{make_link_token(personas.customer)}/").status_code == 302

    assert whole_table_reads(request_and_use_link) == []


def test_the_widget_finds_its_customer_by_index(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_WIDGET_SECRET, settings.POLICYDESK_WIDGET_ORIGINS = WIDGET_SECRET, [PRODUCT_ORIGIN]

    assert whole_table_reads(lambda: open_widget(Client(), token_for())) == []


def test_console_and_outside_copies_find_people_by_email_by_index(
    personas: Personas, allow_outside_copies: Callable[..., None]
) -> None:
    allow_outside_copies()
    ticket = open_ticket(personas.customer)

    def copy_a_known_person() -> None:
        with pytest.raises(ActionError, match="cannot be copied"):
            do_add_outside_copy(ticket=ticket, address="Olga@Other.example", actor=personas.customer, now=NOW)

    assert whole_table_reads(copy_a_known_person) == []
    assert whole_table_reads(lambda: customer_by_email("FELIX@kumo.example")) == []


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's people index (tickets/0021): tests/tickets/test_people_search_index.py asks its planner",
)
def test_a_substring_of_an_email_or_a_name_is_found_through_the_trigram_indexes(personas: Personas) -> None:
    # The console's customer search (`customers`) asks for email or name `icontains`; with a
    # million people its planner takes these indexes (BENCHMARKS.md, "People at scale"). In a
    # table of ten rows it may rightly prefer another index, so the expressions are checked alone.
    from policydesk.tickets.models import Person

    for field in ("email", "name"):
        reads = whole_table_reads(
            lambda field=field: list(Person.objects.filter(**{f"{field}__icontains": "kumo"}))
        )
        assert reads == [], field
    assert {p.email for p in customers("KUMO")} == {"hanna@kumo.example", "felix@kumo.example"}


def test_staff_lists_read_people_by_role_not_every_customer(personas: Personas) -> None:
    """The few hundred staff among a million customers: assignees, the assignee filter, SLA
    alerts' leads and a note's @mentions read people through the `person_role` index."""
    from policydesk.console.queries import assignable_staff, staff_for_queues
    from policydesk.desk_policy import get_policy
    from policydesk.inbox.notices import mentioned_staff
    from policydesk.watch.notify import leads
    from policydesk.web import navigation

    ticket = open_ticket(personas.customer)
    assert whole_table_reads(lambda: list(assignable_staff("central-europe"))) == []
    assert whole_table_reads(lambda: list(assignable_staff("global"))) == []
    queues = navigation.queues_for(personas.lead, get_policy(), "en")
    assert whole_table_reads(lambda: list(staff_for_queues(personas.lead, queues))) == []
    assert whole_table_reads(leads) == []
    assert whole_table_reads(lambda: mentioned_staff("Thanks @lead, see this", ticket)) == []
