"""Who may open the console: staff only; customers get 404, anonymous people sign in first."""

from __future__ import annotations

import pytest
from django.test import Client

from policydesk.tickets.models import Message
from tests.conftest import Personas, open_ticket
from tests.console.tickets import customer_of


def test_anonymous_is_sent_to_sign_in_with_the_page_to_come_back_to(
    client: Client, personas: Personas
) -> None:
    ticket = open_ticket(personas.customer)
    for url in ("/console/", "/console/queues/central-europe/", f"/console/tickets/{ticket.number}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/signin/?next={url}"


def test_anonymous_post_changes_nothing(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    response = client.post(f"/console/tickets/{ticket.number}/note/", {"text": "hello"})
    # Signed out (issue 11): a page to sign in again that keeps the text, not a bare redirect.
    body = response.content.decode()
    assert response.status_code == 403 and "hello</textarea>" in body
    assert f'href="/signin/?next=/console/tickets/{ticket.number}/"' in body
    assert not Message.objects.filter(kind="internal").exists()


@pytest.mark.parametrize("who", ["customer", "same_org_customer", "other_org_customer"])
def test_customers_get_404_everywhere_in_the_console(client: Client, personas: Personas, who: str) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(getattr(personas, who))
    for url in ("/console/", "/console/queues/central-europe/", f"/console/tickets/{ticket.number}/"):
        assert client.get(url).status_code == 404, url
    response = client.post(f"/console/tickets/{ticket.number}/reply/", {"text": "I answer myself"})
    assert response.status_code == 404
    assert ticket.messages.count() == 1


def test_agent_of_another_office_gets_404_on_the_ticket_and_cannot_act_on_it(
    client: Client, personas: Personas
) -> None:
    ticket = open_ticket(personas.customer)  # Growth, EMEA: central-europe (C9)
    client.force_login(personas.other_office_agent)
    assert client.get(f"/console/tickets/{ticket.number}/").status_code == 404
    assert client.get("/console/queues/central-europe/").status_code == 404
    for action in ("reply", "note"):
        assert client.post(f"/console/tickets/{ticket.number}/{action}/", {"text": "x"}).status_code == 404
    assert client.post(f"/console/tickets/{ticket.number}/status/", {"status": "solved"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == "new" and ticket.messages.count() == 1


def test_office_agent_cannot_open_the_premium_queue_or_a_premium_ticket(
    client: Client, personas: Personas
) -> None:
    premium = open_ticket(customer_of(personas, "premium", "americas", "maria@redwood.example"))
    assert premium.office == "global"  # C9
    client.force_login(personas.other_office_agent)
    assert client.get("/console/queues/global/").status_code == 404
    assert client.get(f"/console/tickets/{premium.number}/").status_code == 404
    client.force_login(personas.premium_agent)
    assert client.get("/console/queues/global/").status_code == 200
    assert client.get(f"/console/tickets/{premium.number}/").status_code == 200


@pytest.mark.parametrize("who", ["agent", "lead", "admin"])
def test_staff_who_may_see_the_ticket_open_it(client: Client, personas: Personas, who: str) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(getattr(personas, who))
    response = client.get(f"/console/tickets/{ticket.number}/")
    assert response.status_code == 200
    assert response["Cache-Control"].count("private") == 1 and "no-store" in response["Cache-Control"]


def test_unknown_queue_and_ticket_are_404(client: Client, personas: Personas) -> None:
    client.force_login(personas.lead)
    assert client.get("/console/queues/atlantis/").status_code == 404
    assert client.get("/console/tickets/999/").status_code == 404


def test_console_index_opens_the_agents_own_office_queue(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    response = client.get("/console/")
    assert response.status_code == 302 and response["Location"] == "/console/queues/central-europe/"


def test_console_answers_in_the_staff_members_language(client: Client, personas: Personas) -> None:
    personas.agent.language = "ja"
    personas.agent.save(update_fields=["language"])  # test set-up, not a console write
    client.force_login(personas.agent)
    response = client.get("/console/queues/central-europe/", HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "ja"
    assert "中央ヨーロッパ" in response.content.decode()  # the office's name from the policy
