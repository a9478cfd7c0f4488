"""A solved ticket asks its requester "Were you satisfied?": once per solve, by email (rate
limited) and on the ticket's page; never for a deflection or a merge. The email's links are the
credential: each answers one survey for one person, once, within the window."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.test import Client

from policydesk.desk_policy import get_policy
from policydesk.mail.models import OutgoingMail
from policydesk.satisfaction import window
from policydesk.satisfaction.actions import do_rate
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import NOW, Personas, open_request, open_ticket

LINK = re.compile(r"https://support\.example\.com(/satisfaction/[^/\s]+/)")


def solve(ticket: Ticket, personas: Personas, at: timedelta = timedelta(0)) -> Ticket:
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Fixed.", now=NOW + at, status=Ticket.Status.SOLVED
    )
    ticket.refresh_from_db()
    return ticket


def survey_mail(ticket: Ticket) -> OutgoingMail:
    return OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.SATISFACTION).latest("pk")


def links(ticket: Ticket) -> dict[str, str]:
    """The email's good and bad links (paths), in that order in the text."""
    good, bad = LINK.findall(survey_mail(ticket).body)
    return {"good": good, "bad": bad}


@pytest.mark.parametrize(("lang", "words"), [("en", "Were you satisfied"), ("ja", "ご満足いただけましたか")])
def test_solving_asks_the_requester_by_email_in_their_language(
    personas: Personas, lang: str, words: str
) -> None:
    personas.customer.language = lang
    personas.customer.save()
    ticket = solve(open_ticket(personas.customer), personas)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.cycle, survey.person, survey.agent, survey.solved_by) == (
        1, personas.customer, personas.agent, personas.agent,
    )  # fmt: skip
    assert (survey.plan, survey.office, survey.rating) == ("growth", "central-europe", "")
    mail = survey_mail(ticket)
    assert mail.recipient == personas.customer.email and mail.language == lang
    assert words in mail.subject and words in mail.body
    assert f"https://support.example.com/tickets/{ticket.number}/" in mail.body
    assert len(LINK.findall(mail.body)) == 2 and len(LINK.findall(mail.html_body)) >= 2


def test_each_solve_asks_once_and_a_solve_after_reopening_asks_again(personas: Personas) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    # Solved again without reopening: no new question.
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=NOW)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Not quite", now=NOW)
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=NOW + timedelta(hours=1))
    assert list(SatisfactionSurvey.objects.filter(ticket=ticket).values_list("cycle", flat=True)) == [1, 2]
    assert OutgoingMail.objects.filter(ticket=ticket, kind="satisfaction").count() == 2
    # Closing a solved ticket, or closing one outright, asks nothing more.
    actions.do_set_status(ticket=ticket, status="closed", actor=personas.agent, now=NOW + timedelta(hours=2))
    other = open_ticket(personas.customer)
    actions.do_set_status(ticket=other, status="closed", actor=personas.agent, now=NOW)
    assert SatisfactionSurvey.objects.count() == 2


def test_no_survey_for_deflections_or_merged_tickets(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    topic = next(iter(get_policy().out_of_scope))
    actions.do_deflect(ticket=ticket, agent=personas.agent, topic=topic, now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    starter = open_request(personas.customer, topic=topic)  # deflected at intake: no ticket at all
    assert starter.ticket is None
    source, target = open_ticket(personas.customer), open_ticket(personas.customer)
    actions.do_merge_tickets(source=source, target=target, agent=personas.agent, now=NOW)
    assert not SatisfactionSurvey.objects.exists()
    assert not OutgoingMail.objects.filter(kind="satisfaction").exists()


def test_surveys_count_against_the_per_recipient_rate_limit(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (2, 3600)  # type: ignore[attr-defined]
    tickets = [open_ticket(personas.customer) for _ in range(2)]  # two acknowledgements: the limit
    for ticket in tickets:
        solve(ticket, personas)
    statuses = set(OutgoingMail.objects.filter(kind="satisfaction").values_list("status", flat=True))
    assert statuses == {OutgoingMail.Status.SUPPRESSED}
    # The question still waits on each ticket's page.
    assert SatisfactionSurvey.objects.filter(ticket__in=tickets).count() == 2


def test_the_link_shows_the_answer_and_records_only_when_confirmed(personas: Personas, clock: object) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    url = links(ticket)["good"]
    page = Client().get(url)  # no sign-in: what a mail scanner sees
    assert page.status_code == 200
    assert re.search(r'value="good"[^>]*checked', page.content.decode())
    assert page["Referrer-Policy"] == "same-origin"
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == ""
    answer = Client().post(url, {"rating": "good", "comment": "Quick and clear"})
    assert answer.status_code == 200 and b'data-testid="rate-thanks"' in answer.content
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment, survey.answered_at) == ("good", "Quick and clear", NOW)
    event = AuditEvent.objects.get(action="satisfaction.rated")
    assert event.actor == personas.customer and event.data["via"] == "email link"


def test_each_link_answers_once_and_the_other_changes_the_answer(personas: Personas, clock: object) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    urls = links(ticket)
    assert Client().post(urls["good"], {"rating": "good"}).status_code == 200
    again = Client().post(urls["good"], {"rating": "bad", "comment": "changed?"})
    assert again.status_code == 400 and b"already used" in again.content
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == "good"
    changed = Client().post(urls["bad"], {"rating": "bad", "comment": "It came back"})
    assert changed.status_code == 200
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment, survey.changes, survey.links_used) == (
        "bad", "It came back", 1, ["good", "bad"],
    )  # fmt: skip


def _token(url: str) -> str:
    return url.split("/")[2]


def _forged(survey: SatisfactionSurvey, **changes: int) -> str:
    """A token signed with our key, as `rating_token` makes it, but naming something else."""
    data = {"s": survey.pk, "t": survey.ticket_id, "p": survey.person_id, "r": "good", **changes}
    return signing.TimestampSigner(salt="policydesk.satisfaction.rating-link").sign_object(data)


def test_a_link_works_for_nobody_else_and_for_no_other_ticket(personas: Personas, clock: object) -> None:
    mine = solve(open_ticket(personas.customer), personas)
    theirs = solve(open_ticket(personas.other_org_customer, topic="troubleshooting"), personas)
    my_survey, their_survey = (SatisfactionSurvey.objects.get(ticket=t) for t in (mine, theirs))
    token = _token(links(mine)["good"])
    refused = {
        "tampered": token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "another ticket": _forged(my_survey, t=theirs.pk),
        "another recipient": _forged(my_survey, p=personas.same_org_customer.pk),
        "another survey, my person": _forged(their_survey, p=personas.customer.pk),
        "no answer": _forged(my_survey, r=0),
        "garbage": "x" * 40,
    }
    for name, bad in refused.items():
        for method in ("get", "post"):
            response = getattr(Client(), method)(f"/satisfaction/{bad}/", {"rating": "good"})
            assert response.status_code == 404, (name, method)
    assert not SatisfactionSurvey.objects.exclude(rating="").exists()
    # Signed in as someone else changes nothing: the link answers for the person it was sent to.
    client = Client()
    client.force_login(personas.other_org_customer)
    client.post(f"/satisfaction/{token}/", {"rating": "bad"})
    assert SatisfactionSurvey.objects.get(ticket=mine).rating == "bad"
    assert SatisfactionSurvey.objects.get(ticket=theirs).rating == ""


def test_a_link_stops_working_when_the_window_closes(
    personas: Personas, clock: time_machine.Coordinates
) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    url = links(ticket)["good"]
    clock.move_to(NOW + timedelta(days=14, minutes=1))
    assert Client().get(url).status_code == 404
    assert Client().post(url, {"rating": "good"}).status_code == 404
    # A token signed just before the window closed is refused after it all the same.
    clock.move_to(NOW + timedelta(days=14) - timedelta(minutes=1))
    late = window.rating_token(survey, "bad")
    clock.move_to(NOW + timedelta(days=14, minutes=1))
    assert Client().post(f"/satisfaction/{late}/", {"rating": "bad"}).status_code == 404
    with pytest.raises(ActionError, match="passed"):
        do_rate(
            survey=survey, person=personas.customer, rating="good", comment="", now=NOW + timedelta(days=15)
        )
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == ""


def test_a_deactivated_person_s_link_is_refused(personas: Personas, clock: object) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    personas.customer.is_active = False
    personas.customer.save()
    assert Client().get(links(ticket)["good"]).status_code == 404


def test_a_bad_answer_can_reopen_the_ticket_and_its_next_solve_asks_again(
    personas: Personas, clock: object
) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    response = Client().post(
        links(ticket)["bad"], {"rating": "bad", "comment": "Still broken", "reopen": "on"}
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "open"
    reopened = AuditEvent.objects.filter(action="ticket.status").latest("pk")
    assert reopened.actor == personas.customer and reopened.data["after"] == "open"
    solve(ticket, personas, at=timedelta(hours=1))
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 2


def test_a_good_answer_does_not_reopen_and_bad_input_keeps_what_was_typed(
    personas: Personas, clock: object
) -> None:
    ticket = solve(open_ticket(personas.customer), personas)
    url = links(ticket)["good"]
    refused = Client().post(url, {"rating": "good", "comment": "Thanks a lot", "reopen": "on"})
    assert refused.status_code == 400 and "Thanks a lot" in refused.content.decode()
    too_long = Client().post(url, {"rating": "good", "comment": "x" * 2001})
    assert too_long.status_code == 400 and b"x" * 2001 in too_long.content
    ticket.refresh_from_db()
    assert ticket.status == "solved" and SatisfactionSurvey.objects.get(ticket=ticket).rating == ""
    # Refused answers used nothing up: the link still works.
    assert Client().post(url, {"rating": "good"}).status_code == 200
