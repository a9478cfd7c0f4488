"""The console's reply and note forms submit once (the form's one-time key)."""

from __future__ import annotations

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import Message
from tests.conftest import Personas, open_ticket, signed_in


def test_the_console_reply_posted_twice_is_one_reply(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client = signed_in(personas.agent)
    page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert 'name="once_key"' in page
    mails = OutgoingMail.objects.count()
    for _ in range(2):
        client.post(f"/console/tickets/{ticket.number}/reply/", {"text": "Try again", "once_key": "r1"})
    assert Message.objects.filter(ticket=ticket, text="Try again").count() == 1
    assert OutgoingMail.objects.count() == mails + 1


def test_the_console_note_posted_twice_is_one_note(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client = signed_in(personas.agent)
    for _ in range(2):
        client.post(f"/console/tickets/{ticket.number}/note/", {"text": "Called them", "once_key": "n1"})
    assert Message.objects.filter(ticket=ticket, text="Called them").count() == 1
