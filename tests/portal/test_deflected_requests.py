"""A deflected request keeps what the customer wrote (C12, C17-C20): it is listed under "My
tickets" with the answer they were given, on its own page, and in the console for staff; no other
customer sees it. "This answered my question" keeps nothing (nothing was sent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.tickets import actions
from policydesk.tickets.models import Deflection, Person
from tests.conftest import NOW, Personas, new_customer, open_request, open_ticket, signed_in
from tests.portal.conftest import set_profile
from tests.portal.test_widget import open_widget, submit_in_widget, token_for


def deflect(customer: Person, subject: str = "Upgrade to Growth?", **fields: object) -> Deflection:
    result = open_request(
        customer, "plan-question", subject=subject, text="How much is it for 40 users?", **fields
    )  # type: ignore[arg-type]
    assert result.deflection is not None
    return result.deflection


def test_the_text_of_a_deflected_request_is_kept(personas: Personas) -> None:
    row = deflect(personas.customer)
    row.refresh_from_db()
    assert (row.subject, row.text) == ("Upgrade to Growth?", "How much is it for 40 users?")


@pytest.mark.parametrize(
    ("lang", "route_text"),
    [
        ("en", "Please contact your account executive."),
        ("ja", "担当のアカウントエグゼクティブまでご連絡ください。"),
    ],
)
def test_my_tickets_lists_deflected_requests_with_their_answer(
    personas: Personas, lang: str, route_text: str
) -> None:
    set_profile(personas.customer, language=lang)
    row = deflect(personas.customer)
    body = signed_in(personas.customer).get("/tickets/").content.decode()
    listed = body[body.index('data-testid="deflected-requests"') :]
    assert f'href="/deflected/{row.pk}/"' in listed and "Upgrade to Growth?" in listed
    assert route_text in listed  # C17: the answer they were given
    page = signed_in(personas.customer).get(f"/deflected/{row.pk}/").content.decode()
    assert "How much is it for 40 users?" in page and 'data-testid="what-you-wrote"' in page


def test_a_deflection_in_the_widget_keeps_the_text_and_links_to_it(personas: Personas) -> None:
    client = Client()
    session = open_widget(client, token_for()).context["widget_session"]
    body = submit_in_widget(client, session, topic="feature-request").content.decode()
    row = Deflection.objects.get()
    assert (row.subject, row.text, row.channel) == (
        "Export fails",
        "The CSV export stops at 50%.",
        "in-product",
    )
    assert "The CSV export stops at 50%." in body and f'href="/deflected/{row.pk}/"' in body


def test_the_community_route_of_a_starter_request_is_a_link(db: None) -> None:
    starter = new_customer("sue@starter.example", "starter", "emea")
    open_request(starter, "troubleshooting", subject="Charts are empty")
    listed = signed_in(starter).get("/tickets/").content.decode()
    assert 'href="https://community.example.com"' in listed and "Charts are empty" in listed  # C19


def test_a_ticket_an_agent_deflected_stays_in_the_ticket_list_only(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, subject="Training please")
    actions.do_deflect(ticket=ticket, agent=personas.agent, topic="product-training", now=NOW)
    body = signed_in(personas.customer).get("/tickets/").content.decode()
    assert 'data-testid="deflected-requests"' not in body and "Training please" in body


#: persona → reads the text of the customer's (hanna's) deflected request: herself and staff.
SEES_DEFLECTED_TEXT = {
    "customer": True,
    "same_org_customer": False,
    "other_org_customer": False,
    "agent": True,
    "other_office_agent": True,
    "premium_agent": True,
    "lead": True,
    "admin": True,
}


@pytest.mark.parametrize("persona", sorted(SEES_DEFLECTED_TEXT))
def test_only_the_sender_and_staff_read_a_deflected_request(personas: Personas, persona: str) -> None:
    row = deflect(personas.customer, subject="Secret upgrade plans")
    client = signed_in(getattr(personas, persona))
    pages = [
        client.get(url, follow=True)
        for url in ("/tickets/", f"/deflected/{row.pk}/", f"/console/deflections/{row.pk}/")
    ]
    read = any("Secret upgrade plans" in page.content.decode() for page in pages)
    assert read is SEES_DEFLECTED_TEXT[persona]
    if not SEES_DEFLECTED_TEXT[persona]:
        assert pages[1].status_code == 404 and pages[2].status_code == 404
    if persona not in ("customer", "same_org_customer", "other_org_customer"):
        assert pages[2].status_code == 200 and "How much is it for 40 users?" in pages[2].content.decode()


def test_visitors_are_sent_to_sign_in(personas: Personas) -> None:
    row = deflect(personas.customer)
    for url in (f"/deflected/{row.pk}/", f"/console/deflections/{row.pk}/"):
        response = Client().get(url)
        assert response.status_code == 302 and "signin" in response["Location"]


def test_my_tickets_reads_deflections_in_a_constant_number_of_queries(personas: Personas) -> None:
    def queries() -> int:
        client = signed_in(personas.customer)
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/tickets/").status_code == 200
        return len(captured)

    deflect(personas.customer)
    one = queries()
    for index in range(5):
        deflect(personas.customer, subject=f"Question {index}", now=NOW + timedelta(minutes=index))
    assert queries() == one
