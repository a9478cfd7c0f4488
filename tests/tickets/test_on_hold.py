"""On hold: waiting on a third party or on engineering, distinct from pending (waiting on the
customer). Open like pending, set by staff in the console, pausing resolution (the default
`[sla.pause_on]`), shown to the customer as waiting on us."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from policydesk.desk_policy import get_policy
from policydesk.policy.model import Policy, TargetRule, Text
from policydesk.sla import Target
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import OPEN_STATUSES, OPEN_TICKET, Ticket
from policydesk.tickets.sla_metrics import metric_states
from tests.conftest import SEES_CUSTOMERS_TICKET, Personas, open_ticket, signed_in
from tests.tickets.test_sla_metrics import z

HOUR = timedelta(hours=1)


@pytest.fixture
def policy() -> Policy:
    """The desk's policy with Growth promising a 3-business-day resolution and a next reply."""
    desk = get_policy()
    growth = replace(
        desk.plans["growth"],
        next_reply=TargetRule(Target.business_hours(2), None, Text("x", "x")),
        resolution=TargetRule(Target.business_days(3), None, Text("x", "x")),
    )
    return replace(desk, plans={**desk.plans, "growth": growth})


def test_on_hold_is_open_and_distinct_from_pending(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T11:00:00"))
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.ON_HOLD != Ticket.Status.PENDING
    assert ticket.is_open and "on-hold" in OPEN_STATUSES
    assert Ticket.objects.filter(OPEN_TICKET).get() == ticket
    assert ticket.get_status_display() == "On hold (waiting on a third party)"


def test_an_unknown_status_is_refused_and_changes_nothing(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    with pytest.raises(ActionError, match="on_hold"):
        actions.do_set_status(
            ticket=ticket, status="on_hold", actor=personas.agent, now=z("2026-12-01T11:00:00")
        )
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_on_hold_pauses_resolution_and_not_the_next_reply(personas: Personas, policy: Policy) -> None:
    # Kumo: central-europe, 09:00-17:00 UTC on weekdays.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))  # Tuesday
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Asking", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Ok", now=z("2026-12-01T12:00:00")
    )
    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T13:00:00"))
    ticket.refresh_from_db()

    during = {(m.metric, m.cycle): m for m in metric_states(ticket, policy, z("2026-12-02T13:00:00"))}
    resolution = during["resolution", 1]
    # Pending 11:00-12:00 (waiting on the customer), on hold from 13:00: 1 h + 1 h elapsed.
    assert resolution.state == "paused" and resolution.elapsed == 2 * HOUR and resolution.due is None
    assert resolution.pauses == (
        (z("2026-12-01T11:00:00"), z("2026-12-01T12:00:00")),
        (z("2026-12-01T13:00:00"), None),
    )
    next_reply = during["next_reply", 1]  # owed whatever the status (default pause_on)
    assert next_reply.state == "breached" and next_reply.due == z("2026-12-01T14:00:00")

    actions.do_set_status(ticket=ticket, status="open", actor=personas.agent, now=z("2026-12-03T09:00:00"))
    ticket.refresh_from_db()
    after = {(m.metric, m.cycle): m for m in metric_states(ticket, policy, z("2026-12-03T10:00:00"))}
    resolution = after["resolution", 1]
    assert resolution.state == "running" and resolution.elapsed == 3 * HOUR
    # 22 h left from Thu 09:00: Thu 8, Fri 8, Mon 6: due Mon 7 Dec 15:00.
    assert resolution.due == z("2026-12-07T15:00:00")


def test_a_customer_message_leaves_an_on_hold_ticket_on_hold(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="News?", now=z("2026-12-01T12:00:00")
    )
    ticket.refresh_from_db()
    assert ticket.status == "on-hold"


@pytest.mark.parametrize("persona", list(SEES_CUSTOMERS_TICKET))
def test_only_staff_who_see_the_ticket_put_it_on_hold_in_the_console(
    personas: Personas, persona: str
) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    person = getattr(personas, persona)
    client = signed_in(person)
    response = client.post(f"/console/tickets/{ticket.number}/status/", {"status": "on-hold"})
    ticket.refresh_from_db()
    allowed = person.role != "customer" and SEES_CUSTOMERS_TICKET[persona]
    assert (ticket.status == "on-hold") == allowed, response.status_code
    if allowed:
        page = client.get(f"/console/tickets/{ticket.number}/").content.decode()
        assert 'value="on-hold"' in page  # the status select offers it


def test_the_customer_reads_on_hold_as_waiting_on_us_in_both_languages(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T11:00:00"))
    hanna = signed_in(personas.customer)
    for path in (f"/tickets/{ticket.number}/", "/tickets/"):
        page = hanna.get(path).content.decode()
        assert "Open (waiting on us)" in page and "third party" not in page and "On hold" not in page
    personas.customer.language = "ja"
    personas.customer.save(update_fields=["language"])
    page = signed_in(personas.customer).get(f"/tickets/{ticket.number}/").content.decode()
    assert "対応中（弊社の対応待ち）" in page and "待機中" not in page
