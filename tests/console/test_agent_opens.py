"""The console's "New ticket" page (an agent opens a ticket for a customer) and the ticket page's
request-type form (triage runs again): permissions for every persona, what each does and says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import AuditEvent, Deflection, Person, Ticket
from tests.conftest import NOW, Personas, new_customer, open_ticket

LATER = NOW + timedelta(minutes=30)
NEW = "/console/tickets/new/"

#: persona → (GET the new-ticket page, POST it, POST a request-type change on the customer's ticket)
MATRIX = {
    "customer": (404, 404, 404),
    "same_org_customer": (404, 404, 404),
    "other_org_customer": (404, 404, 404),
    "agent": (200, 302, 302),
    "other_office_agent": (200, 302, 404),  # any agent opens for any customer; changes only in their queues
    "premium_agent": (200, 302, 404),
    "lead": (200, 302, 302),
    "admin": (200, 302, 302),
    None: (302, 403, 403),  # anonymous: a GET goes to sign in; a post gets the page keeping its text
}


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(LATER, tick=False):
        yield


def matched(html: str) -> list[str]:
    return re.findall(r'data-testid="customer-match" data-email="([^"]+)"', html)


def form(**fields: object) -> dict[str, object]:
    return {
        "requester": "hanna@kumo.example", "channel": "phone", "topic": "troubleshooting",
        "priority": "normal", "subject": "Export fails", "text": "Called at 18:20: the CSV export fails.",
    } | fields  # fmt: skip


@pytest.mark.parametrize("persona", list(MATRIX))
def test_who_may_open_tickets_for_customers_and_change_request_types(
    personas: Personas, persona: str | None, clock: None
) -> None:
    ticket = open_ticket(personas.customer)
    client = Client()
    if persona is not None:
        client.force_login(getattr(personas, persona))
    get, post, retype = MATRIX[persona]
    assert client.get(NEW).status_code == get
    assert client.post(NEW, form()).status_code == post
    assert (
        client.post(f"/console/tickets/{ticket.number}/request-type/", {"topic": "bug-report"}).status_code
        == retype
    )
    opened_by_staff = Ticket.objects.exclude(pk=ticket.pk).count()
    assert opened_by_staff == (1 if post == 302 and persona else 0)
    ticket.refresh_from_db()
    assert ticket.topic == ("bug-report" if retype == 302 and persona else "troubleshooting")


def test_an_agent_opens_a_phone_ticket_and_lands_on_it(
    client: Client, personas: Personas, clock: None
) -> None:
    client.force_login(personas.agent)
    upload = SimpleUploadedFile("trace.log", b"trace", content_type="text/plain")
    response = client.post(NEW, form(attachments=[upload]), follow=True)
    ticket = Ticket.objects.get()
    assert response.redirect_chain[-1][0] == f"/console/tickets/{ticket.number}/"
    html = response.content.decode()
    assert f"Ticket #{ticket.number} opened for hanna@kumo.example" in html
    assert 'data-testid="ticket-channel">Phone<' in html
    assert "Entered by jonas@example.com" in html  # the internal note
    assert ticket.requester == personas.customer and ticket.attachments.get().filename == "trace.log"
    assert AuditEvent.objects.get(action="ticket.opened").actor == personas.agent


def test_a_ticket_for_another_queue_is_opened_and_the_agent_told_where(
    client: Client, personas: Personas, clock: None
) -> None:
    client.force_login(personas.other_office_agent)  # US West; Hanna's tickets go to Central Europe
    response = client.post(NEW, form(), follow=True)
    assert response.redirect_chain[-1][0] == NEW
    assert "in the Central Europe queue" in response.content.decode()
    assert Ticket.objects.get().office == "central-europe"


def test_a_deflected_request_shows_the_route_and_keeps_the_form(
    client: Client, personas: Personas, clock: None
) -> None:
    kai = new_customer("kai@small.example", "starter", "apac", actor=personas.admin)
    client.force_login(personas.agent)
    response = client.post(NEW, form(requester=kai.email, channel="forwarded-email"))
    html = response.content.decode()
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert 'data-testid="ticket-new-deflected"' in html
    assert "The Example Analytics Community is the best place" in html  # C19, C20: what to tell Kai
    assert "C2" in html  # the reasons, by clause
    assert 'value="Export fails"' in html  # the form is kept: choose another type and send again
    assert Deflection.objects.get().channel == "forwarded-email"
    again = client.post(
        NEW, form(requester=kai.email, channel="forwarded-email", topic="bug-report-critical")
    )
    assert (
        again.status_code == 302 and Ticket.objects.get().topic == "bug-report-critical"
    )  # the case


def test_an_unknown_customer_is_refused_with_the_form_kept(
    client: Client, personas: Personas, clock: None
) -> None:
    client.force_login(personas.agent)
    for email in ("nobody@nowhere.example", "jonas@example.com"):  # no such person; staff, not a customer
        response = client.post(NEW, form(requester=email))
        assert response.status_code == 400
        assert "No active customer of an organisation has this email." in response.content.decode()
    assert not Ticket.objects.exists()


def test_customer_search_by_email_or_name_in_constant_queries(
    client: Client, personas: Personas, clock: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(personas.agent)
    client.get(NEW)  # warm the session and the policy
    with CaptureQueriesContext(connection) as few:
        html = client.get(NEW, {"q": "kumo"}).content.decode()
    queries = len(few)
    assert queries <= 5  # session, person, search, and at most two more
    assert matched(client.get(NEW, {"q": "example"}).content.decode()) == [  # customers only, no staff
        "felix@kumo.example", "hanna@kumo.example", "olga@other.example",
    ]  # fmt: skip
    for index in range(10):
        new_customer(
            f"c{index}@kumo-extra.example", "growth", "emea", organisation_name=f"Extra {index}",
            actor=personas.admin, name=f"Kumo {index}",
        )  # fmt: skip
    with django_assert_max_num_queries(queries):
        more = client.get(NEW, {"q": "kumo"}).content.decode()
    assert matched(html) == ["felix@kumo.example", "hanna@kumo.example"]
    assert len(matched(more)) == 12
    chosen = client.get(NEW, {"q": "kumo", "requester": "hanna@kumo.example"}).content.decode()
    assert 'value="hanna@kumo.example"' in chosen


# -- the request type on the ticket page ----------------------------------------------


def test_the_page_says_how_the_due_time_moved(
    client: Client, personas: Personas, premium_customer: Person, clock: None
) -> None:
    ticket = open_ticket(premium_customer, "bug-report")
    client.force_login(personas.premium_agent)
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="request-type-form"' in page
    response = client.post(
        f"/console/tickets/{ticket.number}/request-type/", {"topic": "bug-report-critical"}, follow=True
    )
    html = response.content.decode()
    assert "Request type changed from Bug report to Bug report – Critical." in html
    assert "Due time moved from" in html and "It is now mission-critical (C6)." in html
    assert 'data-testid="mission-critical-flag"' in html


def test_an_out_of_scope_type_deflects_from_the_page(client: Client, personas: Personas, clock: None) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(personas.agent)
    response = client.post(
        f"/console/tickets/{ticket.number}/request-type/", {"topic": "feature-request"}, follow=True
    )
    assert "the customer got its answer and the ticket is solved" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED


def test_a_refused_change_shows_why(client: Client, personas: Personas, clock: None) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(personas.agent)
    response = client.post(f"/console/tickets/{ticket.number}/request-type/", {"topic": "troubleshooting"})
    assert response.status_code == 400
    assert "the ticket already has this request type" in response.content.decode()


def once_key_of(html: str) -> str:
    found = re.search(r'name="once_key" value="([^"]+)"', html)
    assert found is not None, "the form carries its one-time key"
    return found.group(1)


def test_the_new_ticket_form_submits_once(client: Client, personas: Personas, clock: None) -> None:
    client.force_login(personas.agent)
    key = once_key_of(client.get(NEW).content.decode())
    first = client.post(NEW, form(once_key=key))
    second = client.post(NEW, form(once_key=key))  # a double click, or the browser's resubmit
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1 and OutgoingMail.objects.filter(kind="ack").count() == 1


def test_after_a_deflection_the_form_comes_back_with_a_new_key(
    client: Client, personas: Personas, clock: None
) -> None:
    kai = new_customer("kai@small.example", "starter", "apac", actor=personas.admin)
    client.force_login(personas.agent)
    key = once_key_of(client.get(NEW).content.decode())
    deflected = client.post(NEW, form(requester=kai.email, once_key=key)).content.decode()
    fresh = once_key_of(deflected)
    assert fresh != key and Deflection.objects.count() == 1
    again = client.post(NEW, form(requester=kai.email, topic="bug-report-critical", once_key=fresh))
    assert again.status_code == 302 and Ticket.objects.get().topic == "bug-report-critical"
