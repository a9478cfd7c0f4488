"""No two agents at cross purposes, and nothing typed is lost: the console's stale-write guard,
presence and drafts, through the views."""

from __future__ import annotations

import re

from django.test import Client

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.actions import ticket_version
from policydesk.tickets.models import Draft, Message, Ticket
from tests.conftest import Personas, open_ticket, signed_in


def _version(client: Client, ticket: Ticket) -> str:
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found.group(1)


def test_the_second_reply_is_held_with_the_new_activity_and_the_text_kept(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    jonas, lead = signed_in(personas.agent), signed_in(personas.lead)
    loaded = _version(jonas, ticket)
    lead.post(
        f"/console/tickets/{ticket.number}/reply/",
        {"text": "We are on it", "version": _version(lead, ticket)},
    )
    mails = OutgoingMail.objects.count()

    held = jonas.post(
        f"/console/tickets/{ticket.number}/reply/", {"text": "Please restart", "version": loaded}
    )

    assert held.status_code == 409
    page = held.content.decode()
    assert "Since you opened this ticket" in page and 'data-testid="stale-change"' in page
    assert "lead@example.com replied at" in page
    assert "Please restart</textarea>" in page and 'data-testid="send-anyway"' in page
    assert 'data-testid="message-new"' in page
    assert 'data-testid="presence-changed"' in page and "policydesk/workspace.js" in page
    assert not Message.objects.filter(text="Please restart").exists()
    assert OutgoingMail.objects.count() == mails
    newer = re.search(r'name="version" value="(\d+)"', page)
    assert newer and newer.group(1) != loaded

    sent = jonas.post(
        f"/console/tickets/{ticket.number}/reply/",
        {"text": "Please restart", "version": newer.group(1), "confirm": "1"},
    )
    assert sent.status_code == 302
    assert Message.objects.filter(text="Please restart").count() == 1
    assert OutgoingMail.objects.count() == mails + 1


def test_a_status_change_on_a_stale_page_is_held(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    jonas, lead = signed_in(personas.agent), signed_in(personas.lead)
    loaded = _version(jonas, ticket)
    lead.post(f"/console/tickets/{ticket.number}/status/", {"status": "pending", "version": loaded})
    held = jonas.post(f"/console/tickets/{ticket.number}/status/", {"status": "solved", "version": loaded})
    assert held.status_code == 409
    assert "set the status to Pending" in held.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "pending"


def test_presence_shows_who_else_is_viewing_and_typing(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    jonas, lead = signed_in(personas.agent), signed_in(personas.lead)
    url = f"/console/tickets/{ticket.number}/presence/"
    assert jonas.post(url, {"state": "viewing"}).json()["line"] == ""
    lead.post(f"/console/tickets/{ticket.number}/draft/", {"kind": "reply", "text": "Hello"})
    answer = jonas.post(url, {"state": "viewing"}).json()
    assert answer["line"] == "lead@example.com is typing a reply"
    assert answer["version"] == ticket_version(ticket)  # the page compares it with its own
    assert lead.post(url, {"state": "viewing"}).json()["line"] == "jonas@example.com is viewing"
    assert lead.post(url, {"state": "gone"}).status_code == 204
    assert jonas.post(url, {"state": "viewing"}).json()["line"] == ""


def test_presence_and_drafts_are_staff_only(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    customer = signed_in(personas.customer)
    assert (
        customer.post(f"/console/tickets/{ticket.number}/presence/", {"state": "viewing"}).status_code == 404
    )
    assert (
        customer.post(f"/console/tickets/{ticket.number}/draft/", {"kind": "reply", "text": "x"}).status_code
        == 404
    )


def test_a_draft_is_restored_on_the_page_and_goes_when_sent(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    jonas = signed_in(personas.agent)
    jonas.post(f"/console/tickets/{ticket.number}/draft/", {"kind": "reply", "text": "Half a reply"})
    jonas.post(f"/console/tickets/{ticket.number}/draft/", {"kind": "note", "text": "Half a note"})
    page = jonas.get(f"/console/tickets/{ticket.number}/").content.decode()
    # One composer: the reply's draft is in the box, the note's is shown beside it, never dropped.
    assert "Half a reply</textarea>" in page
    assert re.search(r'data-testid="other-draft"[^>]*>.*Half a note', page, re.S)
    # Another agent's page does not show them.
    assert (
        "Half a reply"
        not in signed_in(personas.lead).get(f"/console/tickets/{ticket.number}/").content.decode()
    )
    jonas.post(f"/console/tickets/{ticket.number}/reply/", {"text": "Half a reply, finished"})
    assert list(Draft.objects.values_list("kind", flat=True)) == ["note"]
    jonas.post(f"/console/tickets/{ticket.number}/note/", {"text": "Done"})
    assert not Draft.objects.exists()


def test_signed_out_the_ticket_page_sends_to_sign_in_and_back(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    response = Client().get(f"/console/tickets/{ticket.number}/")
    assert response.status_code == 302
    assert f"next=/console/tickets/{ticket.number}/" in response["Location"].replace("%2F", "/")
    signin = Client().post(
        "/signin/", {"email": "jonas@example.com", "password": "pw-jonas@example.com",
                     "next": f"/console/tickets/{ticket.number}/"},
    )  # fmt: skip
    assert signin.status_code == 302 and signin["Location"] == f"/console/tickets/{ticket.number}/"
