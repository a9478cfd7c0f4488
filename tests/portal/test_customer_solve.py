"""The requester marks their ticket solved from the help center, and answers "Were you satisfied?"
on its page; nobody else can do either. Agents see who solved it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

#: persona → what POST /tickets/N/solve/ on the customer's (hanna's) ticket answers.
SOLVE_MATRIX = {
    "customer": 302,  # her own: solved
    "participant": 400,  # felix, copied on it: sees it, may reply, may not solve it
    "same_org_customer": 404,  # Kumo does not share tickets
    "other_org_customer": 404,
    "agent": 302,  # staff are sent to the console; agents solve there
    "other_office_agent": 302,
    "premium_agent": 302,
    "lead": 302,
    "admin": 302,
    "anonymous": 403,  # the session ended: the signed-out page, nothing done
}


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False) as traveller:
        yield traveller


@pytest.mark.parametrize(("who", "expected"), SOLVE_MATRIX.items())
def test_only_the_requester_can_mark_a_ticket_solved(personas: Personas, who: str, expected: int) -> None:
    ticket = open_ticket(personas.customer)
    if who == "participant":
        actions.do_add_participant(
            ticket=ticket, participant=personas.same_org_customer, actor=personas.customer, now=NOW
        )
        client = signed_in(personas.same_org_customer)
    elif who == "anonymous":
        client = Client()
    else:
        client = signed_in(getattr(personas, who))
    response = client.post(f"/tickets/{ticket.number}/solve/")
    assert response.status_code == expected, who
    ticket.refresh_from_db()
    assert (ticket.status == "solved") == (who == "customer"), who
    if who == "customer":
        assert response["Location"] == f"/tickets/{ticket.number}/"
        event = AuditEvent.objects.filter(action="ticket.status").latest("pk")
        assert event.actor == personas.customer and event.data == {
            "before": "new", "after": "solved", "by": "customer",
        }  # fmt: skip
        assert SatisfactionSurvey.objects.get(ticket=ticket).solved_by == personas.customer
    if who == "participant":
        assert "only the person who made this request" in response.content.decode()


def test_the_solve_button_shows_on_open_tickets_for_the_requester_only(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_add_participant(
        ticket=ticket, participant=personas.same_org_customer, actor=personas.customer, now=NOW
    )
    page = signed_in(personas.customer).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="solve-form"' in page
    other = signed_in(personas.same_org_customer).get(f"/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="solve-form"' not in other
    signed_in(personas.customer).post(f"/tickets/{ticket.number}/solve/")
    again = signed_in(personas.customer).post(f"/tickets/{ticket.number}/solve/")
    assert again.status_code == 400 and "not open" in again.content.decode()
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1


def test_agents_see_who_solved_it(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    signed_in(personas.customer).post(f"/tickets/{ticket.number}/solve/")
    page = signed_in(personas.agent).get(f"/console/tickets/{ticket.number}/").content.decode()
    solved_by = page.split('data-testid="ticket-solved-by">')[1].split("</dd>")[0]
    assert solved_by == "hanna@kumo.example (the customer)"
    assert 'data-testid="ticket-satisfaction">asked, no answer yet<' in page


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_requester_rates_on_the_ticket_page_and_changes_the_answer(personas: Personas, lang: str) -> None:
    personas.customer.language = lang
    personas.customer.save()
    ticket = open_ticket(personas.customer)
    actions.do_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=personas.agent, now=NOW)
    client = signed_in(personas.customer)
    page = client.get(f"/tickets/{ticket.number}/?lang={lang}").content.decode()
    assert 'data-testid="survey-form"' in page
    assert ("ご満足いただけましたか" if lang == "ja" else "Were you satisfied?") in page
    assert client.post(f"/tickets/{ticket.number}/rate/", {"rating": "good"}).status_code == 302
    changed = client.post(f"/tickets/{ticket.number}/rate/", {"rating": "bad", "comment": "slow"})
    assert changed.status_code == 302
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment, survey.changes) == ("bad", "slow", 1)


def test_nobody_else_sees_or_answers_the_survey(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_add_participant(
        ticket=ticket, participant=personas.same_org_customer, actor=personas.customer, now=NOW
    )
    actions.do_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=personas.agent, now=NOW)
    participant = signed_in(personas.same_org_customer)
    assert 'data-testid="survey-form"' not in participant.get(f"/tickets/{ticket.number}/").content.decode()
    refused = participant.post(f"/tickets/{ticket.number}/rate/", {"rating": "bad"})
    assert refused.status_code == 400
    stranger = signed_in(personas.other_org_customer).post(
        f"/tickets/{ticket.number}/rate/", {"rating": "bad"}
    )
    assert stranger.status_code == 404
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == ""


def test_the_survey_leaves_the_page_when_its_window_closes(
    personas: Personas, clock: time_machine.Coordinates
) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_set_status(ticket=ticket, status=Ticket.Status.SOLVED, actor=personas.agent, now=NOW)
    clock.move_to(NOW + timedelta(days=15))
    client = signed_in(personas.customer)
    assert 'data-testid="survey-form"' not in client.get(f"/tickets/{ticket.number}/").content.decode()
    assert client.post(f"/tickets/{ticket.number}/rate/", {"rating": "good"}).status_code == 400
