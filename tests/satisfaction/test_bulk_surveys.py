"""A bulk solve asks for ratings together at the end of each chunk
(`receivers.surveying_together`, `actions.open_surveys`, `outgoing.queue_mails`): the same
surveys and emails as solving one ticket at a time (cycles, threading, the per-recipient rate
limit in order), in a number of queries that does not grow with the tickets (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.satisfaction.receivers import surveying_together
from policydesk.tickets import actions, bulk
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, Personas, open_ticket

LATER = NOW + timedelta(hours=2)


def solve_in_bulk(personas: Personas, tickets: list[Ticket]) -> None:
    job = bulk.do_start_bulk(
        actor=personas.agent, action="status", value="solved", numbers=[t.number for t in tickets], now=LATER
    )
    assert job.done == len(tickets) and not job.failed


def surveys_mail(ticket: Ticket) -> list[OutgoingMail]:
    return list(OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.SATISFACTION))


def test_a_bulk_solve_asks_each_requester_as_one_solve_at_a_time_would(personas: Personas) -> None:
    alone, *many = [open_ticket(personas.customer) for _ in range(3)]
    actions.do_set_status(ticket=alone, status="solved", actor=personas.agent, now=LATER)
    solve_in_bulk(personas, many)
    expected = SatisfactionSurvey.objects.get(ticket=alone)
    for ticket in many:
        survey = SatisfactionSurvey.objects.get(ticket=ticket)
        fields = ("cycle", "person", "agent", "solved_by", "plan", "office")
        assert [getattr(survey, f) for f in fields] == [getattr(expected, f) for f in fields]
        assert survey.asked_at == LATER
        (mail,) = surveys_mail(ticket)
        assert mail.status == OutgoingMail.Status.QUEUED
        assert mail.recipient == personas.customer.email and f"[#{ticket.number}]" in mail.subject
        # Threaded under the ticket's acknowledgement, as one solve's email is.
        acknowledgement = OutgoingMail.objects.get(ticket=ticket, kind=OutgoingMail.Kind.ACKNOWLEDGEMENT)
        assert mail.in_reply_to == acknowledgement.message_id
        assert mail.references == [acknowledgement.message_id]
        assert MessageLink.objects.filter(ticket=ticket, message_id=mail.message_id).exists()


def test_a_ticket_solved_again_after_reopening_gets_the_next_cycle(personas: Personas) -> None:
    tickets = [open_ticket(personas.customer) for _ in range(2)]
    solve_in_bulk(personas, tickets)
    for ticket in tickets:
        actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Not quite", now=LATER)
    job = bulk.do_start_bulk(
        actor=personas.agent, action="status", value="solved", numbers=[t.number for t in tickets],
        now=LATER + timedelta(hours=1),
    )  # fmt: skip
    assert job.done == 2
    for ticket in tickets:
        cycles = SatisfactionSurvey.objects.filter(ticket=ticket).order_by("cycle")
        assert list(cycles.values_list("cycle", flat=True)) == [1, 2]
        first, second = sorted(surveys_mail(ticket), key=lambda m: m.pk)
        assert second.in_reply_to != first.in_reply_to and first.message_id in second.references


def test_the_rate_limit_lets_the_first_ones_through_in_order(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (5, 4 * 3600)  # type: ignore[attr-defined]
    tickets = [open_ticket(personas.customer) for _ in range(3)]  # 3 acknowledgements in the window
    solve_in_bulk(personas, tickets)
    statuses = [surveys_mail(ticket)[0].status for ticket in tickets]
    assert statuses == ["queued", "queued", "suppressed"]
    # Every ticket still has its survey, answerable on its page.
    assert SatisfactionSurvey.objects.filter(ticket__in=tickets).count() == 3


def test_a_chunks_surveys_take_the_same_queries_for_2_tickets_or_12(personas: Personas) -> None:
    def survey_queries(count: int) -> int:
        tickets = [open_ticket(personas.customer) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            solve_in_bulk(personas, tickets)
        return sum(
            1
            for q in queries.captured_queries
            if '"satisfaction_' in q["sql"] or '"mail_messagelink"' in q["sql"]
        )

    assert survey_queries(2) == survey_queries(12)


def test_a_solve_undone_inside_the_block_is_not_asked(personas: Personas) -> None:
    undone, kept = open_ticket(personas.customer), open_ticket(personas.customer)

    def solve_then_fail() -> None:
        with transaction.atomic():  # a savepoint, as each bulk ticket's change is
            actions.do_set_status(ticket=undone, status="solved", actor=personas.agent, now=LATER)
            raise RuntimeError("a later step of this ticket's change fails")

    with transaction.atomic(), surveying_together():
        actions.do_set_status(ticket=kept, status="solved", actor=personas.agent, now=LATER)
        with pytest.raises(RuntimeError, match="later step"):
            solve_then_fail()
        assert not SatisfactionSurvey.objects.exists()  # waiting for the end of the block
    assert list(SatisfactionSurvey.objects.values_list("ticket", flat=True)) == [kept.pk]
    assert surveys_mail(undone) == [] and len(surveys_mail(kept)) == 1


def test_nothing_is_asked_when_the_block_fails_and_asking_is_immediate_after(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)

    def solve_then_fail() -> None:
        with transaction.atomic(), surveying_together():
            actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=LATER)
            raise RuntimeError("the chunk fails")

    with pytest.raises(RuntimeError, match="the chunk fails"):
        solve_then_fail()
    assert not SatisfactionSurvey.objects.exists()
    ticket.refresh_from_db()
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=LATER)
    assert SatisfactionSurvey.objects.filter(ticket=ticket).count() == 1  # no block open: at once


def test_suppressed_surveys_are_logged_once_per_address(
    personas: Personas, settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (2, 4 * 3600)  # type: ignore[attr-defined]
    tickets = [open_ticket(personas.customer) for _ in range(4)]  # the limit is used up already
    caplog.clear()  # the acknowledgements' own
    with caplog.at_level("WARNING", logger="policydesk.mail.outgoing"):
        solve_in_bulk(personas, tickets)
    lines = [r.getMessage() for r in caplog.records if "suppressed by the rate limit" in r.getMessage()]
    assert lines == [f"4 automatic mails to {personas.customer.email} suppressed by the rate limit"]


def _customers(personas: Personas, count: int) -> list[Person]:
    organisation = personas.customer.organisation
    return [
        actions.do_create_person(
            email=f"bulk{k}@kumo.example",
            password=None,
            role="customer",
            organisation=organisation,
            actor=personas.admin,
            now=NOW,
        )
        for k in range(count)
    ]


def test_a_chunks_rate_limit_is_one_grouped_count_for_2_recipients_or_12(personas: Personas) -> None:
    def rate_limit_counts(customers: list[Person]) -> int:
        tickets = [open_ticket(customer) for customer in customers]
        with CaptureQueriesContext(connection) as queries:
            solve_in_bulk(personas, tickets)
        for ticket in tickets:
            assert surveys_mail(ticket)[0].status == OutgoingMail.Status.QUEUED
        return sum(
            1
            for q in queries.captured_queries
            if q["sql"].startswith("SELECT") and "COUNT(*)" in q["sql"] and '"mail_outgoingmail"' in q["sql"]
        )

    customers = _customers(personas, 14)
    assert rate_limit_counts(customers[:2]) == rate_limit_counts(customers[2:]) == 1


def test_the_grouped_count_limits_each_recipient_by_their_own_mail(
    personas: Personas, settings: object
) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (3, 4 * 3600)  # type: ignore[attr-defined]
    quiet, busy = _customers(personas, 2)
    tickets = [open_ticket(quiet), *(open_ticket(busy) for _ in range(3))]  # busy: 3 acknowledgements
    solve_in_bulk(personas, tickets)
    statuses = [surveys_mail(ticket)[0].status for ticket in tickets]
    assert statuses == ["queued", "suppressed", "suppressed", "suppressed"]
