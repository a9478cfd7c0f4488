"""An agent opens a ticket on a customer's behalf (phone, forwarded email, chat, other): the one
intake path, with the agent recorded as the one who entered it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.actions import ActionError, Upload
from policydesk.tickets.models import AuditEvent, Deflection, Message, Ticket, triage_channel
from tests.conftest import Personas, new_customer, open_request


def test_agent_opens_a_phone_ticket_for_a_customer(personas: Personas) -> None:
    result = open_request(
        personas.customer, "troubleshooting", channel="phone", entered_by=personas.agent,
        uploads=(Upload("screen.png", "image/png", b"png"),),
    )  # fmt: skip
    ticket = result.ticket
    assert ticket is not None
    assert ticket.requester == personas.customer and ticket.channel == Ticket.Channel.PHONE
    assert ticket.office == "central-europe"  # C9: Growth, EMEA
    # C3, C8: after hours on Tuesday; 16 business hours from Wednesday 09:00 UTC
    assert ticket.first_response_due == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    first, note = ticket.messages.order_by("created_at", "id")
    assert first.author == personas.customer and first.kind == Message.Kind.PUBLIC
    assert first.attachments.get().filename == "screen.png"
    assert note.kind == Message.Kind.INTERNAL and note.author == personas.agent
    assert "jonas@example.com" in note.text and "Phone" in note.text
    opened = AuditEvent.objects.get(action="ticket.opened", subject_id=str(ticket.pk))
    assert opened.actor == personas.agent
    assert opened.data["requester"] == "hanna@kumo.example" and opened.data["channel"] == "phone"
    ack = OutgoingMail.objects.get(ticket=ticket)
    assert ack.kind == OutgoingMail.Kind.ACKNOWLEDGEMENT and ack.recipient == "hanna@kumo.example"


def test_the_entered_by_note_does_not_count_as_a_first_response(personas: Personas) -> None:
    ticket = open_request(personas.customer, channel="chat", entered_by=personas.agent).ticket
    assert ticket is not None
    assert ticket.first_responded_at is None and ticket.awaiting_first_response


def test_a_starter_customers_critical_bug_by_phone_is_a_ticket(personas: Personas) -> None:
    """The issue's case: Starter email is triaged as troubleshooting and deflected (C2); an agent
    takes the critical bug down with its real type and it is a ticket."""
    kai = new_customer("kai@small.example", "starter", "apac", actor=personas.admin)
    by_mail = open_request(kai, "troubleshooting", channel="email")
    assert by_mail.ticket is None and by_mail.route is not None  # C2, C20
    by_agent = open_request(kai, "bug-report-critical", channel="forwarded-email", entered_by=personas.agent)
    assert by_agent.ticket is not None
    assert by_agent.ticket.office == "singapore" and by_agent.ticket.first_response_due is None  # C3: none
    assert by_agent.ticket.channel == "forwarded-email"


def test_an_agent_entered_request_out_of_scope_is_deflected_with_the_agent_as_actor(
    personas: Personas,
) -> None:
    result = open_request(personas.customer, "plan-question", channel="phone", entered_by=personas.agent)
    assert result.ticket is None and result.route is not None and result.route.id == "account-executive"
    deflection = Deflection.objects.get()
    assert deflection.channel == "phone"
    audit = AuditEvent.objects.get(action="request.deflected")
    assert audit.actor == personas.agent and audit.data["channel"] == "phone"
    assert not OutgoingMail.objects.exists()  # the agent tells the customer; no mail for a phone call


@pytest.mark.parametrize("persona", ["customer", "other_org_customer"])
def test_only_staff_enter_requests_for_customers(personas: Personas, persona: str) -> None:
    with pytest.raises(ActionError):
        open_request(personas.customer, channel="phone", entered_by=getattr(personas, persona))
    assert not Ticket.objects.exists()


def test_a_request_taken_down_for_staff_is_refused(personas: Personas) -> None:
    with pytest.raises(ActionError):
        open_request(personas.agent, channel="phone", entered_by=personas.lead)  # C14


@pytest.mark.parametrize(
    ("channel", "seen"),
    [("web", "web"), ("in-product", "in-product"), ("email", "email"), ("phone", "web"),
     ("chat", "web"), ("other", "web"), ("forwarded-email", "email")],
)  # fmt: skip
def test_triage_sees_a_policy_channel_for_every_desk_channel(channel: str, seen: str) -> None:
    assert triage_channel(channel) == seen


def test_the_entered_by_note_is_in_the_words_of_the_agent_who_wrote_it(personas: Personas) -> None:
    """The note's words are worked out once per agent, language and channel (issue 17): each
    agent's own language and name, each channel's own label, whatever came before."""
    notes = []
    for language, channel in (("ja", "phone"), ("en", "phone"), ("ja", "chat"), ("ja", "phone")):
        personas.agent.language = language
        personas.agent.save(update_fields=["language"])
        ticket = open_request(personas.customer, channel=channel, entered_by=personas.agent).ticket
        assert ticket is not None
        notes.append(ticket.messages.get(kind=Message.Kind.INTERNAL).text)
    assert notes[0] == "jonas@example.com がお客様に代わって登録しました（電話）。"
    assert notes[1] == "Entered by jonas@example.com on the customer's behalf (Phone)."
    assert notes[2] != notes[0] and notes[2].startswith("jonas@example.com がお客様に代わって")
    assert notes[3] == notes[0]
