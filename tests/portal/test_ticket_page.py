"""The ticket page: public conversation only, replies, attachments served safely, call
requests (C7), and 404 for everyone who may not see the ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.http import FileResponse
from django.test import Client

from policydesk.tickets import actions
from policydesk.tickets.actions import Upload
from policydesk.tickets.models import Attachment, MeetingRequest, Ticket
from tests.conftest import NOW, Personas, new_customer, open_ticket, signed_in


@pytest.fixture(autouse=True)
def _an_hour_later() -> Iterator[None]:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        yield


def download(client: Client, url: str) -> tuple[Any, bytes]:
    """GET a file and read it all, closing it (an unread FileResponse leaks its file)."""
    response = client.get(url)
    content = b""
    if isinstance(response, FileResponse):
        content = b"".join(response.streaming_content)  # type: ignore[arg-type]
        response.close()
    return response, content


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    return open_ticket(
        personas.customer,
        uploads=(
            Upload("evil.html", "text/html", b"<script>alert(1)</script>"),
            Upload("shot.png", "image/png", b"\x89PNG\r\n"),
        ),
    )


def attachment(name: str) -> Attachment:
    return Attachment.objects.get(filename=name)


def test_conversation_shows_public_replies_and_never_internal_notes(
    ticket: Ticket, personas: Personas
) -> None:
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Customer is on an old browser", now=NOW)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Please clear the cache.", now=NOW)
    page = signed_in(personas.customer).get(f"/tickets/{ticket.number}/").content.decode()
    assert "Please clear the cache." in page and "Since this morning." in page
    assert "old browser" not in page
    assert "Support first answered on" in page


def test_customer_reply_is_added_and_reopens_the_ticket(ticket: Ticket, personas: Personas) -> None:
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Try again?", now=NOW)
    client = signed_in(personas.customer)
    response = client.post(f"/tickets/{ticket.number}/reply/", {"text": "Still empty."})
    assert response["Location"] == f"/tickets/{ticket.number}/"
    ticket.refresh_from_db()
    assert ticket.status == "open" and ticket.messages.last().text == "Still empty."


def test_empty_reply_is_refused(ticket: Ticket, personas: Personas) -> None:
    response = signed_in(personas.customer).post(f"/tickets/{ticket.number}/reply/", {"text": "  "})
    assert response.status_code == 400 and ticket.messages.count() == 1


def test_same_org_customer_sees_the_ticket_only_when_the_organisation_shares(
    ticket: Ticket, personas: Personas
) -> None:
    url = f"/tickets/{ticket.number}/"
    assert signed_in(personas.same_org_customer).get(url).status_code == 404
    org = personas.customer.organisation
    assert org is not None
    type(org).objects.filter(pk=org.pk).update(shares_tickets=True)
    assert signed_in(personas.same_org_customer).get(url).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/tickets/{n}/"),
        ("post", "/tickets/{n}/reply/"),
        ("post", "/tickets/{n}/meeting/"),
        ("get", "/attachments/{a}/"),
    ],
)
def test_other_organisations_customer_gets_404_everywhere(
    ticket: Ticket, personas: Personas, method: str, path: str
) -> None:
    url = path.format(n=ticket.number, a=attachment("shot.png").pk)
    client = signed_in(personas.other_org_customer)
    response = client.get(url) if method == "get" else client.post(url, {"text": "hi", "reason": "call"})
    assert response.status_code == 404
    assert ticket.messages.count() == 1 and not MeetingRequest.objects.exists()


def test_missing_ticket_and_hidden_ticket_look_the_same(ticket: Ticket, personas: Personas) -> None:
    client = signed_in(personas.other_org_customer)
    assert (
        client.get(f"/tickets/{ticket.number}/").status_code == client.get("/tickets/999/").status_code == 404
    )


@pytest.mark.parametrize("path", ["/tickets/", "/tickets/1/", "/attachments/1/", "/deflected/1/"])
def test_anonymous_is_redirected_to_sign_in(path: str, db: None) -> None:
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/signin/?next=")


def test_staff_are_sent_to_the_console(ticket: Ticket, personas: Personas) -> None:
    assert signed_in(personas.agent).get(f"/tickets/{ticket.number}/")["Location"] == "/console/"


def test_attachment_is_served_as_a_download_never_inline(ticket: Ticket, personas: Personas) -> None:
    response, content = download(signed_in(personas.customer), f"/attachments/{attachment('evil.html').pk}/")
    assert response.status_code == 200
    assert (
        response["Content-Disposition"].startswith("attachment;")
        and "evil.html" in response["Content-Disposition"]
    )
    assert response["Content-Type"] == "application/octet-stream"  # never text/html
    assert response["X-Content-Type-Options"] == "nosniff"
    assert content == b"<script>alert(1)</script>"


def test_safe_types_keep_their_type_but_are_still_downloads(ticket: Ticket, personas: Personas) -> None:
    response, _ = download(signed_in(personas.customer), f"/attachments/{attachment('shot.png').pk}/")
    assert response["Content-Type"] == "image/png" and response["Content-Disposition"].startswith(
        "attachment"
    )


def test_agent_of_the_office_may_download_and_agent_of_another_may_not(
    ticket: Ticket, personas: Personas
) -> None:
    url = f"/attachments/{attachment('shot.png').pk}/"
    assert download(signed_in(personas.agent), url)[0].status_code == 200
    assert download(signed_in(personas.other_office_agent), url)[0].status_code == 404


def test_growth_customer_requests_a_call_and_sees_the_agents_answer(
    ticket: Ticket, personas: Personas
) -> None:
    client = signed_in(personas.customer)
    assert 'data-testid="meeting-form"' in client.get(f"/tickets/{ticket.number}/").content.decode()
    response = client.post(f"/tickets/{ticket.number}/meeting/", {"reason": "Screen share would help"})
    assert response.status_code == 302
    meeting = MeetingRequest.objects.get()
    actions.do_decide_meeting(meeting=meeting, agent=personas.agent, propose=True, note="Thu 10:00?", now=NOW)
    page = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Call proposed" in page and "Thu 10:00?" in page
    again = client.post(f"/tickets/{ticket.number}/meeting/", {"reason": "Another one"})
    assert again.status_code == 302  # the first was answered, a new request is allowed


def test_plan_without_calls_has_no_call_form_and_the_action_refuses(
    personas: Personas, settings: Any
) -> None:
    customer = new_customer(
        "sam@plusly.example", "plus", "americas", organisation_name="Plusly", password="pw"
    )
    ticket = open_ticket(customer, "concepts", subject="Q", text="Q")
    client = signed_in(customer)
    assert 'data-testid="meeting"' not in client.get(f"/tickets/{ticket.number}/").content.decode()
    response = client.post(f"/tickets/{ticket.number}/meeting/", {"reason": "please"})
    assert response.status_code == 400 and not MeetingRequest.objects.exists()  # C7
