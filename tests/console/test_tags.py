"""Tags in the console: the workspace's tags form (htmx in place, plain form), the suggestions,
the queue filter by tag and the tags of each queue row."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import NOW, Personas, open_ticket

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def jonas(client: Client, personas: Personas) -> Client:
    """The central-europe agent; `ticket` (tests/conftest.py) is in his queue."""
    client.force_login(personas.agent)
    return client


def tags_url(ticket: Ticket) -> str:
    return f"/console/tickets/{ticket.number}/tags/"


def names(ticket: Ticket) -> list[str]:
    return sorted(ticket.tags.values_list("name", flat=True))


def test_tags_added_with_htmx_come_back_in_the_workspace_in_place(jonas: Client, ticket: Ticket) -> None:
    version = actions.ticket_version(ticket)
    response = jonas.post(tags_url(ticket), {"add": "Billing, ＡＰＩ 請求", "version": version}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<article id="workspace"') or 'id="workspace"' in html[:300]
    assert "<html" not in html  # the workspace alone, to swap in
    assert re.findall(r'data-testid="ticket-tag" data-tag="([^"]+)"', html) == ["api", "billing", "請求"]
    assert "Tags saved." in html
    assert names(ticket) == ["api", "billing", "請求"]


def test_a_tag_unchecked_in_the_plain_form_is_taken_off(jonas: Client, ticket: Ticket) -> None:
    actions.do_set_tags(ticket=ticket, tags=["billing", "api"], actor=ticket.requester, now=NOW)
    response = jonas.post(tags_url(ticket), {"tags": ["billing"], "add": "sso"})
    assert response.status_code == 302 and response["Location"].endswith("#tags")
    assert names(ticket) == ["billing", "sso"]
    assert AuditEvent.objects.filter(action="ticket.tags").latest("id").data == {
        "added": ["sso"],
        "removed": ["api"],
    }


def test_a_bad_tag_is_shown_with_the_form_and_changes_nothing(jonas: Client, ticket: Ticket) -> None:
    response = jonas.post(tags_url(ticket), {"add": "x" * 51}, **HTMX)
    assert response.status_code == 400
    assert "Not a tag" in response.content.decode()
    assert names(ticket) == []


def test_tags_on_a_ticket_changed_since_are_held(jonas: Client, ticket: Ticket, personas: Personas) -> None:
    loaded = actions.ticket_version(ticket)
    actions.do_set_priority(ticket=ticket, priority="high", actor=personas.lead, now=NOW)
    response = jonas.post(tags_url(ticket), {"add": "billing", "version": loaded}, **HTMX)
    assert response.status_code == 409 and names(ticket) == []


def test_an_agent_cannot_tag_a_ticket_outside_their_queues(client: Client, personas: Personas) -> None:
    theirs = open_ticket(personas.other_org_customer)  # Enterprise, Americas: us-west
    client.force_login(personas.agent)
    assert client.post(tags_url(theirs), {"add": "billing"}).status_code == 404
    assert client.post(tags_url(theirs), {"add": "billing"}, **HTMX).status_code == 404
    assert names(theirs) == []


def test_a_customer_cannot_reach_the_tags_form(client: Client, personas: Personas, ticket: Ticket) -> None:
    client.force_login(personas.customer)
    assert client.post(tags_url(ticket), {"add": "billing"}).status_code == 404
    assert client.get("/console/tags/suggest/?q=b").status_code == 404


def test_suggestions_are_the_most_used_tags_starting_with_the_last_word(
    jonas: Client, personas: Personas
) -> None:
    for index, tags in enumerate([["billing", "bug"], ["billing"], ["backup", "api"]]):
        actions.do_set_tags(
            ticket=open_ticket(personas.customer, subject=f"Q{index}"),
            tags=tags,
            actor=personas.agent,
            now=NOW,
        )
    options = jonas.get("/console/tags/suggest/", {"q": "B"}).content.decode()
    assert re.findall(r'<option value="([^"]*)">', options) == ["billing", "backup", "bug"]
    # What was typed before the last word stays: the option completes the whole input.
    options = jonas.get("/console/tags/suggest/", {"add": "api, bu"}).content.decode()
    assert re.findall(r'<option value="([^"]*)">', options) == ["api, bug"]
    assert jonas.get("/console/tags/suggest/", {"q": "x" * 60}).content == b""


def test_suggestions_stop_at_ten(jonas: Client, personas: Personas, ticket: Ticket) -> None:
    actions.do_set_tags(ticket=ticket, tags=[f"t{n:02}" for n in range(12)], actor=personas.agent, now=NOW)
    options = jonas.get("/console/tags/suggest/", {"q": "t"}).content.decode()
    assert len(re.findall(r"<option ", options)) == 10


def test_suggestions_are_only_the_tags_of_tickets_the_agent_may_see(
    jonas: Client, personas: Personas, ticket: Ticket
) -> None:
    us_west = open_ticket(personas.other_org_customer, subject="Elsewhere")  # not Jonas's queue
    actions.do_set_tags(ticket=us_west, tags=["acme-outage", "api"], actor=personas.lead, now=NOW)
    actions.do_set_tags(ticket=ticket, tags=["api"], actor=personas.agent, now=NOW)
    options = jonas.get("/console/tags/suggest/", {"q": "a"}).content.decode()
    assert re.findall(r'<option value="([^"]*)">', options) == ["api"]  # and counted on his tickets only
    lead = Client()
    lead.force_login(personas.lead)
    options = lead.get("/console/tags/suggest/", {"q": "a"}).content.decode()
    assert re.findall(r'<option value="([^"]*)">', options) == ["api", "acme-outage"]


# -- queues ---------------------------------------------------------------------------------


def row_numbers(response: object) -> list[int]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return [int(n) for n in re.findall(r'data-testid="queue-row" data-ticket="(\d+)"', html)]


def test_the_queue_filters_by_tag_and_shows_each_rows_tags(client: Client, personas: Personas) -> None:
    billing = open_ticket(personas.customer, subject="Invoice")
    other = open_ticket(personas.customer, subject="Charts")
    actions.do_set_tags(ticket=billing, tags=["billing", "請求"], actor=personas.agent, now=NOW)
    actions.do_set_tags(ticket=other, tags=["charts"], actor=personas.agent, now=NOW)
    client.force_login(personas.agent)
    assert row_numbers(client.get("/console/queues/central-europe/", {"tag": "BILLING"})) == [billing.number]
    assert row_numbers(client.get("/console/queues/central-europe/", {"tag": "請求"})) == [billing.number]
    response = client.get("/console/queues/central-europe/")
    assert row_numbers(response) == [billing.number, other.number]
    assert re.findall(r'data-testid="row-tag">([^<]+)<', response.content.decode()) == [
        "billing", "請求", "charts",
    ]  # fmt: skip
    # A tag that cannot be one is dropped, as any invalid filter: the whole queue.
    assert row_numbers(client.get("/console/queues/central-europe/", {"tag": "two words"})) == [
        billing.number, other.number,
    ]  # fmt: skip


def test_the_tag_filter_keeps_to_the_tickets_the_agent_may_see(client: Client, personas: Personas) -> None:
    theirs = open_ticket(personas.other_org_customer)
    actions.do_set_tags(ticket=theirs, tags=["billing"], actor=personas.lead, now=NOW)
    client.force_login(personas.agent)
    assert row_numbers(client.get("/console/queues/unassigned/", {"tag": "billing"})) == []


def test_row_tags_cost_one_query_whatever_the_number_of_rows(client: Client, personas: Personas) -> None:
    first = open_ticket(personas.customer)
    actions.do_set_tags(ticket=first, tags=["billing"], actor=personas.agent, now=NOW)
    client.force_login(personas.agent)
    url = "/console/queues/central-europe/?size=50"
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for index in range(20):
        ticket = open_ticket(personas.customer, subject=f"Q{index}")
        actions.do_set_tags(ticket=ticket, tags=[f"t{index}", "billing"], actor=personas.agent, now=NOW)
    with CaptureQueriesContext(connection) as many:
        assert len(row_numbers(client.get(url))) == 21
    assert len(many) == len(one)
