"""Warnings and breaches at their business-time moments (C3, C8), to the right people,
inside their office hours, cancelled or moved when the ticket changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from policydesk.desk_policy import get_policy
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from policydesk.watch import timers
from policydesk.watch.models import Delivery, DeliveryItem, Timer
from tests.conftest import Personas, new_customer
from tests.watch.harness import open_ticket, run_worker, sent_to, watch_outbox

# Wednesday 23 Dec 2026, 16:00 in central Europe (UTC+1, open 10-18 = 09-17 UTC).
CREATED = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
# Growth: 2 business days = 16 h. Wed 2 h + Thu 8 h; Fri 25 Dec and (NL) Sat 26 Dec are
# holidays, then the weekend; Monday 28 Dec from 09:00 UTC: 75% (12 h) at 11:00, 16 h at 15:00.
WARNING_AT = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)
BREACH_AT = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)


def pending(ticket_id: int) -> dict[str, datetime]:
    rows = Timer.objects.filter(ticket_id=ticket_id, state=Timer.State.PENDING)
    return {row.kind: row.fire_at for row in rows}


def run_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        run_worker()


def test_warning_and_breach_are_planned_in_business_time_across_a_holiday_and_a_weekend(
    personas: Personas,
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)

    assert ticket.first_response_due == BREACH_AT
    assert pending(ticket.pk) == {"warning": WARNING_AT, "breach": BREACH_AT}


def test_warning_and_breach_fire_at_their_moments_and_not_before(personas: Personas) -> None:
    open_ticket(personas.customer, "troubleshooting", CREATED)

    for quiet in ("2026-12-24T16:59", "2026-12-25T12:00", "2026-12-26T12:00", "2026-12-27T23:00"):
        run_at(datetime.fromisoformat(quiet + "+00:00"))
    run_at(WARNING_AT - timedelta(seconds=1))
    assert watch_outbox() == []

    run_at(WARNING_AT)
    # Unassigned: the central-europe office team hears of it.
    assert sent_to("due soon") == [personas.agent.email]
    assert "/console/tickets/" in watch_outbox()[0].body

    run_at(BREACH_AT - timedelta(seconds=1))
    assert len(watch_outbox()) == 1
    run_at(BREACH_AT)
    # The breach goes to the team and the leads.
    assert sent_to("overdue") == [personas.agent.email, personas.lead.email]

    run_at(BREACH_AT + timedelta(hours=1))  # and only once
    assert len(watch_outbox()) == 3


def test_notifications_go_to_the_assignee_when_there_is_one(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=CREATED)

    run_at(WARNING_AT)
    run_at(BREACH_AT)

    assert sent_to("due soon") == [personas.agent.email]
    assert sent_to("overdue") == [personas.agent.email, personas.lead.email]


def test_a_reply_before_the_due_time_cancels_the_breach(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    run_at(WARNING_AT)
    assert len(watch_outbox()) == 1

    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Looking.", now=WARNING_AT + timedelta(hours=1)
    )
    assert pending(ticket.pk) == {}
    run_at(BREACH_AT + timedelta(hours=1))

    assert len(watch_outbox()) == 1
    assert Timer.objects.get(ticket=ticket, kind="breach").state == Timer.State.CANCELLED


def test_an_internal_note_does_not_stop_the_clock(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Ask product.", now=CREATED)

    run_at(BREACH_AT)

    assert sent_to("overdue") == [personas.agent.email, personas.lead.email]


def test_solving_cancels_and_reopening_plans_again(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=CREATED)
    assert pending(ticket.pk) == {}

    actions.do_set_status(
        ticket=ticket, status="open", actor=personas.agent, now=CREATED + timedelta(hours=1)
    )

    assert pending(ticket.pk) == {"warning": WARNING_AT, "breach": BREACH_AT}
    assert Timer.objects.filter(ticket=ticket).count() == 2  # the cancelled rows came back


def test_plans_without_a_first_response_commitment_get_no_timers(personas: Personas) -> None:
    customer = new_customer("p@plus.example", "plus", "emea", organisation_name="Plus Co", now=CREATED)
    ticket = open_ticket(customer, "troubleshooting", CREATED)

    assert ticket.first_response_due is None
    assert not Timer.objects.filter(ticket=ticket).exists()


@pytest.fixture
def assigned_in_us_west(personas: Personas, premium_customer: Person) -> Ticket:
    """A Premium ticket opened Monday 7 Dec 09:00 UTC, assigned to the premium agent in us-west.

    Premium runs on the 24x5 union calendar (C2): 1 business day = 24 h. Warning (18 h) Tue
    03:00 UTC, breach Tue 09:00 UTC, both while Singapore works and us-west (09-17 UTC-8 =
    17:00-01:00 UTC) sleeps."""
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    ticket = open_ticket(premium_customer, "troubleshooting", monday)
    actions.do_assign(ticket=ticket, assignee=personas.premium_agent, actor=personas.lead, now=monday)
    return ticket


def test_a_warning_outside_the_recipients_hours_is_held_until_their_office_opens(
    personas: Personas, assigned_in_us_west: Ticket
) -> None:
    ticket = assigned_in_us_west
    assert pending(ticket.pk) == {
        "warning": datetime(2026, 12, 8, 3, 0, tzinfo=UTC),
        "breach": datetime(2026, 12, 8, 9, 0, tzinfo=UTC),
    }

    run_at(datetime(2026, 12, 8, 9, 0, tzinfo=UTC))
    # The lead has no office: the ticket's calendar (open) decides; the assignee waits.
    assert [m.to for m in watch_outbox()] == [[personas.lead.email]]

    run_at(datetime(2026, 12, 8, 16, 59, tzinfo=UTC))
    assert len(watch_outbox()) == 1
    run_at(datetime(2026, 12, 8, 17, 0, tzinfo=UTC))

    # The warning and the breach were held together: one email, about the breach.
    later = watch_outbox()[1:]
    assert [m.to for m in later] == [[personas.premium_agent.email]]
    assert later[0].subject.startswith(f"[#{ticket.number}] First response overdue")
    held = DeliveryItem.objects.filter(recipient=personas.premium_agent)
    assert sorted(item.kind for item in held) == ["breach", "warning"]
    assert {item.deliver_after for item in held} == {datetime(2026, 12, 8, 17, 0, tzinfo=UTC)}


def test_a_held_notification_is_dropped_if_the_ticket_is_answered_meanwhile(
    personas: Personas, assigned_in_us_west: Ticket
) -> None:
    ticket = assigned_in_us_west
    run_at(datetime(2026, 12, 8, 4, 0, tzinfo=UTC))  # the warning fired, held for us-west
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="On it.", now=datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
    )

    run_at(datetime(2026, 12, 8, 17, 0, tzinfo=UTC))

    assert watch_outbox() == []
    assert Delivery.objects.get().state == Delivery.State.CANCELLED


def test_emails_speak_the_recipients_language_and_zone(personas: Personas) -> None:
    Person.objects.filter(pk=personas.agent.pk).update(language="ja", time_zone="Asia/Tokyo")
    open_ticket(personas.customer, "troubleshooting", CREATED)

    run_at(WARNING_AT)

    body = watch_outbox()[0].body
    assert "2026年12月29日(火) 00:00 (Asia/Tokyo)" in body  # the due, 15:00 UTC, in Tokyo
    assert watch_outbox()[0].extra_headers["Message-ID"].startswith("<t")


def test_a_policy_change_moves_pending_warnings_but_never_repeats_a_fired_one(
    personas: Personas, settings: Any
) -> None:
    first = open_ticket(personas.customer, "troubleshooting", CREATED)
    run_at(WARNING_AT)  # the first ticket's warning has gone out
    second = open_ticket(personas.customer, "troubleshooting", WARNING_AT)

    settings.POLICYDESK_SLA_WARNING_SHARE = 0.5
    result = timers.plan_open_tickets(get_policy(), timezone.now())

    assert result.tickets == 2
    assert pending(first.pk) == {"breach": BREACH_AT}  # no second warning
    # The second ticket: half of 16 h = 8 h from Mon 11:00 UTC: 6 h on Monday, 2 h on Tuesday.
    assert pending(second.pk)["warning"] == datetime(2026, 12, 29, 11, 0, tzinfo=UTC)
    assert timers.plan_open_tickets(get_policy(), timezone.now()).created == 0  # idempotent
