"""Every persona × every page of the portal, console, reports, status management and admin:
allowed or denied, and nothing leaks. (The API has its own matrix: tests/api.)

A ticket or attachment a person may not see answers 404, never 403, so numbers say nothing.
Anonymous people are sent to sign in (302); the home page is the help centre, for everyone
(200); staff on customer pages are sent to the console (302); customers on staff pages get 404.
"""

from __future__ import annotations

import pytest
from django.test import Client

from policydesk.tickets.access import is_staff
from policydesk.tickets.actions import do_add_note
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, SEES_CUSTOMERS_TICKET, Personas

PAGES = (
    "home", "my-tickets", "new-ticket", "ticket", "attachment", "console", "queue-ce", "queue-global",
    "console-ticket", "reports", "status", "status-manage", "admin", "search", "my-search",
)  # fmt: skip

MATRIX = {
    # persona:          home my  new tkt att con qce qgl ctk rep sta man adm srh msr
    "customer":           "200 200 200 200 200 404 404 404 404 404 200 404 302 404 200",
    "same_org_customer":  "200 200 200 404 404 404 404 404 404 404 200 404 302 404 200",
    "other_org_customer": "200 200 200 404 404 404 404 404 404 404 200 404 302 404 200",
    "agent":              "200 302 302 302 200 302 200 404 200 404 200 200 302 200 302",
    "other_office_agent": "200 302 302 302 404 302 404 404 404 404 200 200 302 200 302",
    "premium_agent":      "200 302 302 302 404 302 404 200 404 404 200 200 302 200 302",
    "lead":               "200 302 302 302 200 302 200 200 200 200 200 200 200 200 302",
    "admin":              "200 302 302 302 200 302 200 200 200 200 200 200 200 200 302",
    None:                 "200 302 302 302 302 302 302 302 302 302 200 302 302 302 302",
}  # fmt: skip


def urls(ticket: Ticket) -> dict[str, str]:
    attachment = ticket.attachments.get()
    return {
        "home": "/",
        "my-tickets": "/tickets/",
        "new-ticket": "/tickets/new/",
        "ticket": f"/tickets/{ticket.number}/",
        "attachment": f"/attachments/{attachment.pk}/",
        "console": "/console/",
        "queue-ce": "/console/queues/central-europe/",
        "queue-global": "/console/queues/global/",
        "console-ticket": f"/console/tickets/{ticket.number}/",
        "reports": "/console/reports/",
        "status": "/status/",
        "status-manage": "/status/manage/",
        "admin": "/admin/",
        "search": "/console/search/?q=charts",
        "my-search": "/tickets/?q=charts",
    }


@pytest.mark.parametrize("persona", list(MATRIX))
def test_every_page_allows_or_denies_each_persona(
    personas: Personas, ticket: Ticket, persona: str | None
) -> None:
    client = Client()
    if persona is not None:
        person: Person = getattr(personas, persona)
        client.force_login(person)
    expected = dict(zip(PAGES, (int(cell) for cell in MATRIX[persona].split()), strict=True))
    pages = urls(ticket)
    actual = {}
    for name in PAGES:
        response = client.get(pages[name])
        response.close()  # a download is a streamed file: close it
        actual[name] = response.status_code
    assert actual == expected


@pytest.mark.parametrize(
    "persona", ["same_org_customer", "other_org_customer", "other_office_agent", "premium_agent"]
)
def test_a_denied_ticket_page_says_nothing_about_the_ticket(
    personas: Personas, ticket: Ticket, persona: str
) -> None:
    client = Client()
    client.force_login(getattr(personas, persona))
    for url in (f"/tickets/{ticket.number}/", f"/console/tickets/{ticket.number}/"):
        body = client.get(url).content.decode()
        assert "Charts are empty" not in body and "hanna@kumo.example" not in body


@pytest.mark.parametrize("persona", ["other_org_customer", "other_office_agent", None])
def test_denied_people_cannot_write_to_the_ticket(
    personas: Personas, ticket: Ticket, persona: str | None
) -> None:
    client = Client()
    if persona is not None:
        client.force_login(getattr(personas, persona))
    client.post(f"/tickets/{ticket.number}/reply/", {"text": "sneaky"})
    client.post(f"/console/tickets/{ticket.number}/reply/", {"text": "sneaky"})
    client.post(f"/console/tickets/{ticket.number}/status/", {"status": "closed"})
    ticket.refresh_from_db()
    assert ticket.status == "new" and not ticket.messages.filter(text="sneaky").exists()


# Search: each persona finds the ticket by a word of its subject on the console's search page
# (staff) or in "my tickets" (customers) exactly when they may see it; a note's word only staff.
@pytest.mark.parametrize(("persona", "finds"), SEES_CUSTOMERS_TICKET.items())
def test_search_finds_the_ticket_only_for_those_who_may_see_it(
    personas: Personas, ticket: Ticket, persona: str, finds: bool
) -> None:
    do_add_note(ticket=ticket, agent=personas.lead, text="Vertraulich: Rabatt", now=NOW)
    person: Person = getattr(personas, persona)
    client = Client()
    client.force_login(person)
    url = "/console/search/" if is_staff(person) else "/tickets/"
    page = client.get(url, {"q": "charts"}).content.decode()
    assert (f'data-testid="search-hit-{ticket.number}"' in page) is finds
    noted = client.get(url, {"q": "rabatt"}).content.decode()
    assert (f'data-testid="search-hit-{ticket.number}"' in noted) is (finds and is_staff(person))
    assert "Vertraulich" not in noted or is_staff(person)
