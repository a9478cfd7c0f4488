"""Mission-critical paging (C5, C6): the week's on-call rota at once, 24x7, escalating
until someone acknowledges by link or console; pages signed for webhooks."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Person
from policydesk.watch import paging
from policydesk.watch.actions import PagingError, do_acknowledge_page
from policydesk.watch.models import Page, Timer
from tests.conftest import Personas
from tests.watch.harness import WebhookReceiver, make_rota, open_ticket, run_worker, watch_outbox

SUNDAY = datetime(2026, 12, 13, 3, 0, tzinfo=UTC)  # 03:00 UTC on a Sunday: every office is closed
WEEK = date(2026, 12, 7)  # its Monday


def run_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        run_worker()


def paged(since: int = 0) -> list[str]:
    return [m.to[0] for m in watch_outbox()[since:] if m.subject.startswith("PAGE")]


def ack_path(person: Person) -> str:
    message = next(m for m in watch_outbox() if m.subject.startswith("PAGE") and m.to == [person.email])
    found = re.search(r"https?://[^/\s]+(/watch/ack/\S+/)", message.body)
    assert found is not None
    return found.group(1)


def test_mission_critical_ticket_pages_on_call_on_a_sunday_and_escalates_without_acknowledgement(
    personas: Personas, premium_customer: Person, webhook: WebhookReceiver
) -> None:
    make_rota(WEEK, personas.premium_agent, personas.other_office_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    assert ticket.mission_critical

    run_at(SUNDAY)  # the intake enqueued the first page: no waiting for a watch pass
    assert paged() == [personas.premium_agent.email]
    assert [r["json"]["level"] for r in webhook.requests] == [0]
    assert webhook.requests[0]["json"]["paged"][0]["email"] == personas.premium_agent.email

    run_at(SUNDAY + timedelta(minutes=14, seconds=59))
    assert paged() == [personas.premium_agent.email]

    run_at(SUNDAY + timedelta(minutes=15))  # not acknowledged in 15 minutes: the next person
    assert paged() == [personas.premium_agent.email, personas.other_office_agent.email]
    assert [r["json"]["level"] for r in webhook.requests] == [0, 1]
    assert Page.objects.get(ticket=ticket).level == 1


def test_acknowledging_by_link_stops_the_escalation(
    personas: Personas, premium_customer: Person, client: Client
) -> None:
    make_rota(WEEK, personas.premium_agent, personas.other_office_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    run_at(SUNDAY)
    path = ack_path(personas.premium_agent)

    with time_machine.travel(SUNDAY + timedelta(minutes=5), tick=False):
        shown = client.get(path)  # a mail scanner following the link acknowledges nothing
        assert shown.status_code == 200
        assert b'data-testid="ack-form"' in shown.content
        assert Page.objects.get(ticket=ticket).state == Page.State.OPEN
        done = client.post(path)
    assert b'data-testid="ack-done"' in done.content

    page = Page.objects.get(ticket=ticket)
    assert (page.state, page.acknowledged_by, page.acknowledged_at) == (
        Page.State.ACKNOWLEDGED, personas.premium_agent, SUNDAY + timedelta(minutes=5),
    )  # fmt: skip
    assert AuditEvent.objects.filter(action="page.acknowledged", subject_id=str(ticket.pk)).count() == 1
    run_at(SUNDAY + timedelta(hours=1))
    assert paged() == [personas.premium_agent.email]
    assert not Timer.objects.filter(ticket=ticket, kind="page", state=Timer.State.PENDING).exists()


def test_after_the_last_person_the_leads_are_paged_and_paging_ends(
    personas: Personas, premium_customer: Person
) -> None:
    make_rota(WEEK, personas.premium_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)

    for minutes in (0, 15, 30, 45, 60):
        run_at(SUNDAY + timedelta(minutes=minutes))

    assert paged() == [personas.premium_agent.email, personas.lead.email]
    assert Page.objects.get(ticket=ticket).state == Page.State.OPEN  # still acknowledgeable
    assert not Timer.objects.filter(ticket=ticket, kind="page", state=Timer.State.PENDING).exists()


def test_without_a_rota_for_the_week_the_leads_are_paged_at_once(
    personas: Personas, premium_customer: Person
) -> None:
    make_rota(WEEK - timedelta(days=7), personas.premium_agent)  # last week's rota does not count
    open_ticket(premium_customer, "bug-report-critical", SUNDAY)

    run_at(SUNDAY)

    assert paged() == [personas.lead.email]


def test_a_first_public_reply_stops_paging(personas: Personas, premium_customer: Person) -> None:
    make_rota(WEEK, personas.premium_agent, personas.other_office_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    run_at(SUNDAY)

    actions.do_agent_reply(
        ticket=ticket, agent=personas.premium_agent, text="Investigating.", now=SUNDAY + timedelta(minutes=3)
    )
    run_at(SUNDAY + timedelta(hours=3))

    assert Page.objects.get(ticket=ticket).state == Page.State.ANSWERED
    assert paged() == [personas.premium_agent.email]
    assert [
        m.subject for m in watch_outbox() if not m.subject.startswith("PAGE")
    ] == []  # no warning, no breach


def test_unanswered_mission_critical_tickets_warn_and_breach_around_the_clock(
    personas: Personas, premium_customer: Person
) -> None:
    make_rota(WEEK, personas.premium_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    do_acknowledge_page(page=Page.objects.get(ticket=ticket), person=personas.premium_agent, now=SUNDAY)

    run_at(SUNDAY + timedelta(minutes=90))  # 75% of 2 hours (C6), on a Sunday, not held
    run_at(SUNDAY + timedelta(hours=2))

    subjects = [(m.to[0], m.subject.split(":")[0]) for m in watch_outbox()]
    assert subjects == [
        (personas.premium_agent.email, f"[#{ticket.number}] First response due soon"),
        (personas.premium_agent.email, f"[#{ticket.number}] First response overdue"),
        (personas.lead.email, f"[#{ticket.number}] First response overdue"),
    ]


def test_only_staff_acknowledge_and_only_once(personas: Personas, premium_customer: Person) -> None:
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    page = Page.objects.get(ticket=ticket)

    with pytest.raises(PagingError):
        do_acknowledge_page(page=page, person=premium_customer, now=SUNDAY)
    assert do_acknowledge_page(page=page, person=personas.other_office_agent, now=SUNDAY) is True
    assert do_acknowledge_page(page=page, person=personas.premium_agent, now=SUNDAY) is False

    assert page.acknowledged_by == personas.other_office_agent  # the action reads the page again
    event = AuditEvent.objects.get(action="page.acknowledged")  # one row: the second click wrote none
    assert (event.actor, event.subject_type, event.data) == (
        personas.other_office_agent, "ticket", {"page": page.pk, "level": 0},
    )  # fmt: skip


def test_a_tampered_or_expired_link_is_refused(
    personas: Personas, premium_customer: Person, client: Client
) -> None:
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    page = Page.objects.get(ticket=ticket)
    with time_machine.travel(SUNDAY, tick=False):
        token = paging.ack_token(page, personas.premium_agent)
    customer_token = paging.ack_token(page, premium_customer)

    assert client.post(f"/watch/ack/{token[:-2]}xx/").status_code == 404
    with time_machine.travel(SUNDAY + timedelta(hours=25), tick=False):
        assert client.post(f"/watch/ack/{token}/").status_code == 404
    assert client.post(f"/watch/ack/{customer_token}/").status_code == 403
    assert Page.objects.get(pk=page.pk).state == Page.State.OPEN


def test_webhook_body_is_signed_with_hmac_sha256_and_carries_an_idempotency_key(
    personas: Personas, premium_customer: Person, webhook: WebhookReceiver
) -> None:
    make_rota(WEEK, personas.premium_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)

    run_at(SUNDAY)

    [request] = webhook.requests
    expected = hmac.new(b"test-secret-for-signing", request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Policydesk-Signature"] == f"sha256={expected}"
    assert request["headers"]["Idempotency-Key"] == request["json"]["idempotency_key"]
    assert request["json"]["ticket"]["number"] == ticket.number
    assert request["json"]["ticket"]["url"].endswith(f"/console/tickets/{ticket.number}/")
    assert "/watch/ack/" in request["json"]["paged"][0]["acknowledge_url"]


def test_a_premium_ticket_that_is_not_critical_pages_nobody(
    personas: Personas, premium_customer: Person
) -> None:
    make_rota(WEEK, personas.premium_agent)
    ticket = open_ticket(premium_customer, "bug-report", SUNDAY)

    run_at(SUNDAY)

    assert not ticket.mission_critical
    assert not Page.objects.exists()
    assert paged() == []


@pytest.mark.parametrize("separator", ["\r\n", "\x0b", "\x85", "\u2028"])
def test_a_page_goes_out_whatever_the_ticket_subject_holds(
    personas: Personas, premium_customer: Person, separator: str
) -> None:
    """Issue 9: a subject with a line break once made the on-call page fail five times."""
    make_rota(WEEK, personas.premium_agent)
    ticket = open_ticket(premium_customer, "bug-report-critical", SUNDAY)
    type(ticket).objects.filter(pk=ticket.pk).update(subject=f"Dashboards{separator}fail")
    run_at(SUNDAY)
    page = next(m for m in watch_outbox() if m.subject.startswith("PAGE"))
    assert page.to == [personas.premium_agent.email]
    assert "Dashboards fail" in page.subject and page.message().as_bytes().count(b"\nSubject:") == 1
