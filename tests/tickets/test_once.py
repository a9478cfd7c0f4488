"""Every form submits once (`tickets/actions/once.py`): the same key twice makes one thing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, MeetingRequest, Message, SubmittedForm, Ticket
from tests.conftest import NOW, Personas, at_once, open_request, open_ticket
from tests.watch.test_delivery_once import ON_POSTGRES


def test_the_same_key_twice_opens_one_ticket_with_one_acknowledgement(personas: Personas) -> None:
    first = open_request(personas.customer, once_key="k1")
    again = open_request(personas.customer, now=NOW + timedelta(seconds=1), once_key="k1")
    assert first.ticket is not None and again.ticket == first.ticket
    assert again.repeated and not first.repeated and again.message == first.message
    assert Ticket.objects.count() == 1 and OutgoingMail.objects.count() == 1
    assert AuditEvent.objects.filter(action="ticket.opened").count() == 1


def test_different_keys_open_two_tickets(personas: Personas) -> None:
    open_request(personas.customer, once_key="k1")
    open_request(personas.customer, once_key="k2")
    assert Ticket.objects.count() == 2 and OutgoingMail.objects.count() == 2


def test_no_key_is_no_claim(personas: Personas) -> None:
    open_request(personas.customer)
    open_request(personas.customer)
    assert Ticket.objects.count() == 2 and not SubmittedForm.objects.exists()


def test_a_key_is_per_person(personas: Personas) -> None:
    open_request(personas.customer, once_key="k1")
    open_request(personas.same_org_customer, once_key="k1")
    assert Ticket.objects.count() == 2


def test_a_repeated_deflection_lands_on_the_first_one(personas: Personas) -> None:
    first = open_request(personas.customer, "plan-question", once_key="k1")
    again = open_request(personas.customer, "plan-question", once_key="k1")
    assert first.deflection is not None and again.deflection == first.deflection and again.repeated


def test_replies_and_notes_and_call_requests_once(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting")
    mails = OutgoingMail.objects.count()
    replies = [
        actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Hi", now=NOW, once_key="r")
        for _ in range(2)
    ]
    notes = [
        actions.do_add_note(ticket=ticket, agent=personas.agent, text="n", now=NOW, once_key="n")
        for _ in range(2)
    ]
    answers = [
        actions.do_customer_reply(
            ticket=ticket, customer=personas.customer, text="Thanks", now=NOW, once_key="c"
        )
        for _ in range(2)
    ]
    assert replies[0] == replies[1] and notes[0] == notes[1] and answers[0] == answers[1]
    assert Message.objects.filter(ticket=ticket).count() == 4  # the request, a reply, a note, an answer
    assert OutgoingMail.objects.count() == mails + 1  # the one reply to the customer


def test_a_call_request_once(premium_customer: object, personas: Personas) -> None:
    ticket = open_ticket(premium_customer, "troubleshooting")  # type: ignore[arg-type]
    calls = [
        actions.do_request_meeting(
            ticket=ticket, customer=ticket.requester, reason="x", now=NOW, once_key="m"
        )
        for _ in range(2)
    ]
    assert calls[0] == calls[1] and MeetingRequest.objects.count() == 1


def test_a_refused_action_does_not_use_up_the_key(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting")
    actions.do_set_status(ticket=ticket, status=Ticket.Status.CLOSED, actor=personas.agent, now=NOW)
    with pytest.raises(actions.ActionError):
        actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Hi", now=NOW, once_key="r")
    assert not SubmittedForm.objects.filter(key="r").exists()


def test_keys_expire_after_a_day(personas: Personas) -> None:
    open_request(personas.customer, once_key="k1")
    later = open_request(personas.customer, now=NOW + timedelta(hours=25), once_key="k1")
    assert not later.repeated and Ticket.objects.count() == 2
    assert SubmittedForm.objects.count() == 1


@pytest.mark.skipif(not ON_POSTGRES, reason="threads racing on one database need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_submits_racing_open_one_ticket(personas: Personas) -> None:
    results = at_once(2, lambda: open_request(personas.customer, once_key="race"))
    assert Ticket.objects.count() == 1 and {r.ticket for r in results} == {Ticket.objects.get()}
    assert OutgoingMail.objects.count() == 1
