"""do_change_request_type: triage runs again as if the ticket had come in with the new type at its
creation time (a new due time, the mission-critical flag, a queue), or deflects it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, Deflection, Message, Person, Ticket
from policydesk.watch.models import Page, Timer
from tests.conftest import NOW, Personas, new_customer, open_ticket

LATER = NOW + timedelta(minutes=30)


def change(ticket: Ticket, topic: str, agent: Person, now: datetime = LATER) -> actions.RequestTypeChange:
    return actions.do_change_request_type(ticket=ticket, topic=topic, agent=agent, now=now)


def breach_at(ticket: Ticket) -> datetime | None:
    timer = Timer.objects.filter(ticket=ticket, kind=Timer.Kind.BREACH, state=Timer.State.PENDING).first()
    return timer.fire_at if timer else None


def test_a_premium_bug_retyped_critical_becomes_mission_critical(
    personas: Personas, premium_customer: Person
) -> None:
    ticket = open_ticket(premium_customer, "bug-report")
    assert ticket.first_response_due == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)  # C3: 24 h on 24x5
    done = change(ticket, "bug-report-critical", personas.premium_agent)
    ticket.refresh_from_db()
    assert ticket.topic == "bug-report-critical" and ticket.mission_critical  # C6
    assert ticket.first_response_due == NOW + timedelta(hours=2)  # C6: from creation, 24x7
    assert ticket.office == "global" and ticket.calendar == "24x7"
    assert done.before.first_response_due == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert done.after.first_response_due == NOW + timedelta(hours=2) and done.deflection is None
    assert breach_at(ticket) == NOW + timedelta(hours=2)  # the watch re-planned its timers
    assert Page.objects.get(ticket=ticket).state == Page.State.OPEN  # C5, C6: on call is paged
    audit = AuditEvent.objects.get(action="ticket.request_type")
    assert audit.actor == personas.premium_agent
    assert audit.data["before"]["topic"] == "bug-report" and audit.data["after"]["mission_critical"] is True
    assert any(reason.startswith("C6:") for reason in audit.data["reasons"])
    assert audit.data["outcome"] == "ticket"


def test_a_critical_bug_retyped_down_stops_paging_and_moves_the_due_time_later(
    personas: Personas, premium_customer: Person
) -> None:
    ticket = open_ticket(premium_customer, "bug-report-critical")
    assert Page.objects.get(ticket=ticket).state == Page.State.OPEN
    change(ticket, "troubleshooting", personas.premium_agent)
    ticket.refresh_from_db()
    assert not ticket.mission_critical and ticket.first_response_due == datetime(
        2026, 12, 2, 18, 0, tzinfo=UTC
    )
    assert Page.objects.get(ticket=ticket).state != Page.State.OPEN
    assert breach_at(ticket) == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


def test_an_out_of_scope_type_deflects_and_solves_the_ticket(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    done = change(ticket, "plan-question", personas.agent)
    ticket.refresh_from_db()
    assert done.deflection is not None and done.deflection.route == "account-executive"  # C17
    assert ticket.status == Ticket.Status.SOLVED and ticket.topic == "plan-question"
    answer = ticket.messages.get(kind=Message.Kind.PUBLIC, author=personas.agent)
    assert "account executive" in answer.text
    assert OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.AGENT_REPLY).exists()
    assert breach_at(ticket) is None
    audit = AuditEvent.objects.get(action="ticket.request_type")
    assert audit.data["outcome"] == "deflect" and audit.data["route"] == "account-executive"


def test_a_type_the_plan_does_not_offer_deflects_to_the_plans_route(personas: Personas) -> None:
    kai = new_customer("kai@small.example", "starter", "apac", actor=personas.admin)
    ticket = open_ticket(kai, "service-task")
    done = change(ticket, "troubleshooting", personas.lead)
    assert done.deflection is not None and done.deflection.route == "community"  # C2, C20
    assert Deflection.objects.get(ticket=ticket).topic == "troubleshooting"


def test_an_answered_ticket_keeps_its_first_response(personas: Personas, premium_customer: Person) -> None:
    ticket = open_ticket(premium_customer, "bug-report")
    actions.do_agent_reply(
        ticket=ticket, agent=personas.premium_agent, text="On it.", now=NOW + timedelta(hours=3)
    )
    change(ticket, "bug-report-critical", personas.premium_agent, now=NOW + timedelta(hours=4))
    ticket.refresh_from_db()
    assert ticket.first_responded_at == NOW + timedelta(hours=3)
    assert ticket.first_response_due == NOW + timedelta(hours=2)  # measured against the right promise (C10)
    assert breach_at(ticket) is None  # the clock stays stopped
    assert not Page.objects.filter(ticket=ticket, state=Page.State.OPEN).exists()  # nobody to page for


def test_a_closed_ticket_keeps_its_type(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_set_status(ticket=ticket, status="closed", actor=personas.agent, now=NOW)
    with pytest.raises(ActionError):
        change(ticket, "bug-report", personas.agent)


@pytest.mark.parametrize("topic", ["troubleshooting", "no-such-type"])
def test_the_same_or_an_unknown_type_is_refused(personas: Personas, topic: str) -> None:
    ticket = open_ticket(personas.customer)
    with pytest.raises(ActionError):
        change(ticket, topic, personas.agent)
    assert not AuditEvent.objects.filter(action="ticket.request_type").exists()
