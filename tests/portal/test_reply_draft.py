"""A customer's reply draft on the portal ticket page: saved, restored, gone when sent."""

from __future__ import annotations

from policydesk.tickets.models import Draft
from tests.conftest import Personas, open_ticket, signed_in


def test_the_customer_reply_draft_survives_a_reload_and_goes_when_sent(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    hanna = signed_in(personas.customer)
    assert hanna.post(f"/tickets/{ticket.number}/draft/", {"text": "It fails when"}).status_code == 204
    page = hanna.get(f"/tickets/{ticket.number}/").content.decode()
    assert "It fails when</textarea>" in page and "policydesk/workspace.js" in page
    hanna.post(f"/tickets/{ticket.number}/reply/", {"text": "It fails when I log in"})
    assert not Draft.objects.exists()


def test_a_draft_is_only_for_a_ticket_the_customer_sees(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    olga = signed_in(personas.other_org_customer)
    assert olga.post(f"/tickets/{ticket.number}/draft/", {"text": "x"}).status_code == 404
    assert not Draft.objects.exists()
