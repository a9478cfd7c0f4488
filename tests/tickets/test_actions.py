"""The ticket actions: one intake path, clocks, replies, deflections, meetings (C2-C18)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError, Upload
from policydesk.tickets.models import AuditEvent, Deflection, Feedback, Message, Ticket
from tests.conftest import NOW, Personas, open_request


def test_open_ticket_takes_office_and_clock_from_the_policy(personas: Personas) -> None:
    result = open_request(personas.customer)
    ticket = result.ticket
    assert ticket is not None and result.deflection is None
    # Growth, EMEA -> central-europe (C9); Tue 2026-12-01 18:00Z is Tue 19:00 local, after hours:
    # clock starts Wed 10:00 local (09:00Z); 16 business hours -> Thu 18:00 local = 17:00Z (C3).
    assert ticket.office == "central-europe" and ticket.calendar == "central-europe"
    assert ticket.first_response_due.isoformat() == "2026-12-03T17:00:00+00:00"
    assert ticket.status == "new" and ticket.number == 1 and ticket.policy_version == "2026-11-26"
    assert ticket.messages.get() == result.message and result.message.text == "Since this morning."
    event = AuditEvent.objects.get(action="ticket.opened")
    assert any(reason.startswith("C9:") for reason in event.data["reasons"])


def test_ticket_numbers_are_sequential(personas: Personas) -> None:
    numbers = [open_request(personas.customer).ticket.number for _ in range(3)]
    assert numbers == [1, 2, 3]


def test_out_of_scope_request_is_deflected_and_recorded_c12(personas: Personas) -> None:
    result = open_request(personas.customer, topic="plan-question")
    assert result.ticket is None and not Ticket.objects.exists()
    assert result.route is not None and result.route.kind == "account-team"  # C17, Growth
    deflection = Deflection.objects.get()
    assert (deflection.topic, deflection.route, deflection.channel) == (
        "plan-question",
        "account-executive",
        "web",
    )


def test_feature_request_is_deflected_and_kept_as_feedback_c18(personas: Personas) -> None:
    result = open_request(personas.customer, topic="feature-request", text="Dark mode, please")
    assert result.route is not None and result.route.kind == "feedback-form"
    assert Feedback.objects.get().text == "Dark mode, please"


def test_first_public_reply_stops_the_clock_and_a_note_does_not(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Looking at logs", now=NOW)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    later = NOW + timedelta(hours=3)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Fixed?", now=later)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Again", now=later + timedelta(hours=1))
    ticket.refresh_from_db()
    assert ticket.first_responded_at == later
    assert ticket.status == "pending" and ticket.assignee == personas.agent


def test_customer_reply_reopens_a_pending_ticket(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Try this", now=NOW)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Still broken", now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_c16_priority_never_changes_the_due_time(personas: Personas) -> None:
    low = open_request(personas.customer, priority="low").ticket
    critical = open_request(personas.customer, priority="critical").ticket
    assert low is not None and critical is not None
    assert low.first_response_due == critical.first_response_due
    actions.do_set_priority(ticket=low, priority="critical", actor=personas.agent, now=NOW)
    low.refresh_from_db()
    assert low.first_response_due == critical.first_response_due and low.priority == "critical"


def test_agent_deflects_with_the_policy_route_text(personas: Personas) -> None:
    ticket = open_request(personas.customer, language="ja").ticket
    assert ticket is not None
    actions.do_deflect(ticket=ticket, agent=personas.agent, topic="product-training", now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    reply = ticket.messages.filter(kind=Message.Kind.PUBLIC).last()
    assert (
        reply is not None and "コミュニティ" in reply.text and "https://community.example.com" in reply.text
    )
    with pytest.raises(ActionError, match="already deflected"):
        actions.do_deflect(ticket=ticket, agent=personas.agent, topic="product-training", now=NOW)


def test_c7_meeting_requests_only_on_eligible_plans(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    meeting = actions.do_request_meeting(
        ticket=ticket, customer=personas.customer, reason="Screen share", now=NOW
    )
    with pytest.raises(ActionError, match="already waiting"):
        actions.do_request_meeting(ticket=ticket, customer=personas.customer, reason="Again", now=NOW)
    decided = actions.do_decide_meeting(
        meeting=meeting, agent=personas.agent, propose=True, note="Thu 10:00?", now=NOW
    )
    assert decided.status == "proposed"
    ticket.organisation.plan = "plus"
    ticket.organisation.save()
    with pytest.raises(ActionError, match="not offered on the Plus plan"):
        actions.do_request_meeting(ticket=ticket, customer=personas.customer, reason="Call?", now=NOW)


def test_html_is_sanitised(personas: Personas) -> None:
    ticket = open_request(personas.customer, html='<p onclick="x()">Hi<script>alert(1)</script></p>').ticket
    assert ticket is not None
    assert ticket.messages.get().html == "<p>Hi</p>"


def test_attachment_over_the_limit_loses_nothing_else(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 10
    with pytest.raises(ActionError, match="larger than the limit"):
        open_request(personas.customer, uploads=(Upload("big.log", "text/plain", b"x" * 11),))
    # The whole intake rolled back: no half ticket, no audit event, and the number is not used.
    assert not Ticket.objects.exists() and not AuditEvent.objects.filter(action="ticket.opened").exists()
    ticket = open_request(personas.customer, uploads=(Upload("ok.log", "text/plain", b"tiny"),)).ticket
    assert ticket is not None and ticket.number == 1 and ticket.attachments.get().size == 4


def test_only_customers_open_tickets(personas: Personas) -> None:
    with pytest.raises(ActionError, match="only a customer"):
        actions.do_open_ticket(
            requester=personas.agent, topic="concepts", subject="x", text="y", channel="web", now=NOW
        )


def test_assignment_only_to_agents_of_the_queue(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    with pytest.raises(ActionError, match="does not work the central-europe queue"):
        actions.do_assign(ticket=ticket, assignee=personas.other_office_agent, actor=personas.lead, now=NOW)
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=NOW)
    ticket.refresh_from_db()
    assert ticket.assignee == personas.agent and ticket.status == "open"


def test_closed_is_final(personas: Personas) -> None:
    ticket = open_request(personas.customer).ticket
    assert ticket is not None
    actions.do_set_status(ticket=ticket, status="closed", actor=personas.agent, now=NOW)
    with pytest.raises(ActionError, match="cannot be reopened"):
        actions.do_set_status(ticket=ticket, status="open", actor=personas.agent, now=NOW)
    with pytest.raises(ActionError, match="closed"):
        actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="hello?", now=NOW)
