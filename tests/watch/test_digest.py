"""A burst of warnings and breaches is one email per person, not one per ticket; a
mission-critical ticket still notifies on its own at once (C6); a digest held for office
hours goes out when the office opens, with what gathered meanwhile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from policydesk.mail import conf
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import send
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from policydesk.watch import outbox, timers
from policydesk.watch.actions import do_acknowledge_page
from policydesk.watch.models import Delivery, DeliveryItem, Page
from tests.conftest import Personas
from tests.watch.harness import open_ticket, run_worker, watch_outbox

# Growth, central Europe (see test_sla_timers): opened Wed 23 Dec 15:00 UTC, warned Mon 28 Dec
# 11:00 UTC, overdue at 15:00 UTC; a ticket opened a minute later is a minute later each time.
CREATED = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
WARNING_AT = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)
BREACH_AT = datetime(2026, 12, 28, 15, 0, tzinfo=UTC)
BURST = 12
# Premium (24x5, 1 business day = 24 h), premium_agent in us-west: open 17:00-01:00 UTC.
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
US_WEST_OPENS = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)


def run_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        run_worker()


def burst(customer: Person, count: int, start: datetime) -> list[Ticket]:
    return [open_ticket(customer, "troubleshooting", start + timedelta(minutes=i)) for i in range(count)]


def links(body: str) -> list[str]:
    return [line.strip() for line in body.splitlines() if "/console/tickets/" in line]


def test_a_burst_of_warnings_is_one_email_per_person_listing_every_ticket(personas: Personas) -> None:
    tickets = burst(personas.customer, BURST, CREATED)

    run_at(WARNING_AT + timedelta(minutes=BURST))  # every warning of the burst is due

    [digest] = watch_outbox()
    assert digest.to == [personas.agent.email]
    assert digest.subject == f"{BURST} tickets await a first response: 0 overdue, {BURST} due soon"
    assert links(digest.body) == [f"http://127.0.0.1:8000/console/tickets/{t.number}/" for t in tickets]
    assert Delivery.objects.get().notifications == DeliveryItem.objects.count() == BURST


def test_a_burst_of_breaches_is_one_email_to_the_team_and_one_to_each_lead(personas: Personas) -> None:
    tickets = burst(personas.customer, BURST, CREATED)
    run_at(WARNING_AT + timedelta(minutes=BURST))

    run_at(BREACH_AT + timedelta(minutes=BURST))
    run_at(BREACH_AT + timedelta(hours=1))  # and nothing more

    breaches = watch_outbox()[1:]
    assert sorted(m.to[0] for m in breaches) == sorted([personas.agent.email, personas.lead.email])
    for message in breaches:
        assert message.subject == f"{BURST} tickets await a first response: {BURST} overdue, 0 due soon"
        assert len(links(message.body)) == BURST
        assert f"#{tickets[0].number} Dashboards fail to load" in message.body


def test_a_ticket_warned_and_overdue_in_the_same_pass_is_listed_once_as_overdue(
    personas: Personas,
) -> None:
    burst(personas.customer, 2, CREATED)

    run_at(BREACH_AT + timedelta(minutes=2))  # both warnings and both breaches at once

    to_agent = [m for m in watch_outbox() if m.to == [personas.agent.email]]
    assert [m.subject for m in to_agent] == ["2 tickets await a first response: 2 overdue, 0 due soon"]
    assert len(links(to_agent[0].body)) == 2


def test_a_digest_speaks_the_recipients_language_and_zone(personas: Personas) -> None:
    Person.objects.filter(pk=personas.agent.pk).update(language="ja", time_zone="Asia/Tokyo")
    burst(personas.customer, 2, CREATED)

    run_at(WARNING_AT + timedelta(minutes=2))

    body = watch_outbox()[0].body
    assert "2026年12月29日(火) 00:00 (Asia/Tokyo)" in body  # the first due, 15:00 UTC, in Tokyo
    assert "2026年12月29日(火) 00:01 (Asia/Tokyo)" in body


def test_a_mission_critical_ticket_is_told_on_its_own_beside_the_digest(
    personas: Personas, premium_customer: Person
) -> None:
    # Two Premium tickets warned at 03:00 and 03:01 UTC and overdue at 09:00 and 09:01, held
    # for us-west; a mission-critical one opened at 15:30 UTC is warned at 17:00 (75% of 2 h,
    # C6). All fire in one pass.
    tickets = burst(premium_customer, 2, MONDAY)
    critical = open_ticket(premium_customer, "bug-report-critical", datetime(2026, 12, 8, 15, 30, tzinfo=UTC))
    do_acknowledge_page(
        page=Page.objects.get(ticket=critical), person=personas.premium_agent, now=critical.created_at
    )

    run_at(US_WEST_OPENS + timedelta(minutes=5))

    subjects = sorted(m.subject for m in watch_outbox() if m.to == [personas.premium_agent.email])
    assert subjects == [
        "2 tickets await a first response: 2 overdue, 0 due soon",
        f"[#{critical.number}] First response due soon: Dashboards fail to load",
    ]
    digest = Delivery.objects.get(digest=True, recipient=personas.premium_agent)
    assert sorted(digest.items.values_list("ticket_id", flat=True)) == sorted(2 * [t.pk for t in tickets])
    assert Delivery.objects.get(digest=False, kind="warning").ticket == critical


def test_a_held_digest_gathers_later_passes_and_goes_out_when_the_office_opens(
    personas: Personas, premium_customer: Person
) -> None:
    # Warnings at 03:00 and 03:01 UTC, breaches at 09:00 and 09:01: all while us-west sleeps.
    first, second = burst(premium_customer, 2, MONDAY)
    second_warning = datetime(2026, 12, 8, 3, 1, tzinfo=UTC)

    run_at(second_warning - timedelta(seconds=1))  # the first warning fires, held
    run_at(second_warning)  # the second fires in a later pass and joins it
    run_at(datetime(2026, 12, 8, 9, 5, tzinfo=UTC))  # both breaches, a third pass, join too
    run_at(US_WEST_OPENS - timedelta(seconds=1))
    assert [m for m in watch_outbox() if m.to == [personas.premium_agent.email]] == []

    run_at(US_WEST_OPENS)

    [digest] = [m for m in watch_outbox() if m.to == [personas.premium_agent.email]]
    assert digest.subject == "2 tickets await a first response: 2 overdue, 0 due soon"
    assert len(links(digest.body)) == 2
    delivery = Delivery.objects.get(recipient=personas.premium_agent)
    assert (delivery.deliver_after, delivery.notifications, delivery.state) == (
        US_WEST_OPENS,
        4,
        Delivery.State.SENT,
    )
    assert sorted(delivery.items.values_list("ticket_id", "kind")) == sorted(
        (ticket.pk, kind) for ticket in (first, second) for kind in ("warning", "breach")
    )


def test_a_held_digest_leaves_out_a_ticket_answered_meanwhile(
    personas: Personas, premium_customer: Person
) -> None:
    first, second = burst(premium_customer, 2, MONDAY)
    run_at(datetime(2026, 12, 8, 4, 0, tzinfo=UTC))  # both warnings fired, held
    actions.do_agent_reply(
        ticket=first, agent=personas.premium_agent, text="On it.", now=datetime(2026, 12, 8, 5, 0, tzinfo=UTC)
    )

    run_at(US_WEST_OPENS)

    # One ticket left (warned, then overdue at 09:01): its own email, not a digest of one.
    assert [m.subject for m in watch_outbox() if m.to == [personas.premium_agent.email]] == [
        f"[#{second.number}] First response overdue: Dashboards fail to load"
    ]


def test_a_digest_a_sender_has_claimed_is_never_added_to(personas: Personas) -> None:
    burst(personas.customer, 2, CREATED)
    timers.fire_due(WARNING_AT)
    claimed = Delivery.objects.get()
    assert outbox.claim(claimed.pk, WARNING_AT)  # a sender has it: what it says is fixed

    timers.fire_due(WARNING_AT + timedelta(minutes=1))

    claimed.refresh_from_db()
    assert claimed.notifications == claimed.items.count() == 1
    fresh = Delivery.objects.exclude(pk=claimed.pk).get()
    assert (fresh.notifications, fresh.state, fresh.attempts) == (1, Delivery.State.PENDING, 0)


def test_a_digest_is_sent_once_with_one_message_id_even_if_swept_twice(personas: Personas) -> None:
    burst(personas.customer, 3, CREATED)
    instant = WARNING_AT + timedelta(minutes=3)
    timers.fire_due(instant)
    delivery = Delivery.objects.get()

    assert outbox.send_delivery(delivery.pk, instant) == outbox.Outcome.SENT
    assert outbox.send_delivery(delivery.pk, instant) == outbox.Outcome.SKIPPED
    [recorded] = OutgoingMail.objects.filter(message_id__startswith=delivery.key)  # what the mail task sends
    assert (recorded.kind, recorded.status) == (OutgoingMail.Kind.SLA_DIGEST, OutgoingMail.Status.QUEUED)
    assert send(recorded.pk, now=instant) == "sent"

    [message] = watch_outbox()
    assert message.extra_headers["Message-ID"] == f"<{delivery.key}@{conf.support_domain()}>"
