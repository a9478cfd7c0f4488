"""The portal's forms submit once: the form's key makes a resubmit land on the first result."""

from __future__ import annotations

import re

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import Message, Ticket
from tests.conftest import Personas, open_ticket, signed_in

FORM = {"topic": "troubleshooting", "priority": "normal", "subject": "Charts", "description": "Empty."}


def key_in(page: str) -> str:
    match = re.search(r'name="once_key" value="([^"]+)"', page)
    assert match, "the form carries a one-time key"
    return match.group(1)


def test_each_rendered_form_has_a_new_key(personas: Personas) -> None:
    client = signed_in(personas.customer)
    assert key_in(client.get("/tickets/new/").content.decode()) != key_in(
        client.get("/tickets/new/").content.decode()
    )


def test_two_posts_with_one_key_open_one_ticket_and_send_one_mail(personas: Personas) -> None:
    client = signed_in(personas.customer)
    key = key_in(client.get("/tickets/new/").content.decode())
    first = client.post("/tickets/new/", {**FORM, "once_key": key})
    second = client.post("/tickets/new/", {**FORM, "once_key": key})
    ticket = Ticket.objects.get()
    assert first["Location"] == second["Location"] == f"/tickets/{ticket.number}/"
    assert OutgoingMail.objects.count() == 1


def test_two_posts_with_different_keys_open_two_tickets(personas: Personas) -> None:
    client = signed_in(personas.customer)
    for key in ("a", "b"):
        client.post("/tickets/new/", {**FORM, "once_key": key})
    assert Ticket.objects.count() == 2 and OutgoingMail.objects.count() == 2


def test_a_form_shown_again_after_an_error_keeps_its_key(personas: Personas) -> None:
    response = signed_in(personas.customer).post("/tickets/new/", {**FORM, "subject": "", "once_key": "kept"})
    assert response.status_code == 400 and key_in(response.content.decode()) == "kept"


def test_a_reply_posted_twice_is_one_reply(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client = signed_in(personas.customer)
    key = key_in(client.get(f"/tickets/{ticket.number}/").content.decode())
    for _ in range(2):
        response = client.post(f"/tickets/{ticket.number}/reply/", {"text": "More detail", "once_key": key})
        assert response["Location"] == f"/tickets/{ticket.number}/"
    assert Message.objects.filter(ticket=ticket, text="More detail").count() == 1
