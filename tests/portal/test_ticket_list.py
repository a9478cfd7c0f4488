"""My tickets and the organisation's tickets: newest first, paginated, a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.tickets.models import Organisation, Person
from tests.conftest import NOW, Personas, open_ticket, signed_in


def open_tickets(requester: Person, count: int) -> None:
    for index in range(count):
        open_ticket(
            requester, "concepts", NOW + timedelta(minutes=index), subject=f"Question {index}", text="?"
        )


def queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def share_tickets(person: Person) -> None:
    Organisation.objects.filter(pk=person.organisation_id).update(shares_tickets=True)


def test_list_is_newest_first_and_paginated(personas: Personas) -> None:
    open_tickets(personas.customer, 25)
    client = signed_in(personas.customer)
    first = client.get("/tickets/").content.decode()
    assert first.index("Question 24") < first.index("Question 5") and "Question 4<" not in first
    assert 'data-testid="status-badge"' in first and 'data-testid="pagination"' in first
    second = client.get("/tickets/?page=2").content.decode()
    assert "Question 4<" in second and "Question 0<" in second and "Question 24" not in second


def test_mine_excludes_colleagues_tickets_even_when_shared(personas: Personas) -> None:
    open_tickets(personas.same_org_customer, 1)
    share_tickets(personas.customer)
    client = signed_in(personas.customer)
    assert "Question 0" not in client.get("/tickets/").content.decode()
    assert "Question 0" in client.get("/tickets/?scope=organisation").content.decode()


def test_organisation_scope_is_ignored_when_the_organisation_does_not_share(personas: Personas) -> None:
    open_tickets(personas.same_org_customer, 1)
    body = signed_in(personas.customer).get("/tickets/?scope=organisation").content.decode()
    assert "Question 0" not in body and 'data-testid="ticket-scope"' not in body


def test_other_organisations_tickets_never_appear(personas: Personas) -> None:
    open_tickets(personas.other_org_customer, 2)
    share_tickets(personas.customer)
    body = signed_in(personas.customer).get("/tickets/?scope=organisation").content.decode()
    assert "Question" not in body and 'data-testid="no-tickets"' in body


def test_query_count_does_not_grow_with_the_number_of_tickets(
    personas: Personas, django_assert_max_num_queries: object
) -> None:
    share_tickets(personas.customer)
    client = signed_in(personas.customer)
    open_tickets(personas.customer, 1)
    few = queries_for(client, "/tickets/"), queries_for(client, "/tickets/?scope=organisation")
    open_tickets(personas.customer, 29)
    open_tickets(personas.same_org_customer, 30)
    many = queries_for(client, "/tickets/"), queries_for(client, "/tickets/?scope=organisation")
    assert few == many
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        client.get("/tickets/?scope=organisation")
