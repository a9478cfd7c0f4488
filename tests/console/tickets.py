"""Tickets for the console tests, opened through the one intake path (do_open_ticket)."""

from __future__ import annotations

from datetime import datetime

from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, Personas


def customer_of(personas: Personas, plan: str, region: str, email: str) -> Person:
    """A customer of a new organisation on `plan` in `region`."""
    organisation = actions.do_create_organisation(
        name=f"{plan}-{region}-{email}", plan=plan, region=region, actor=personas.admin, now=NOW,
        account_executive="ae@vendor.example",
    )  # fmt: skip
    return actions.do_create_person(
        email=email, password=None, role="customer", organisation=organisation, actor=personas.admin, now=NOW
    )


def open_ticket(
    requester: Person,
    *,
    now: datetime = NOW,
    topic: str = "troubleshooting",
    subject: str = "Charts are empty",
    priority: str = "normal",
) -> Ticket:
    result = actions.do_open_ticket(
        requester=requester, topic=topic, subject=subject, text="Since this morning.", channel="web",
        now=now, priority=priority,
    )  # fmt: skip
    assert result.ticket is not None, result.decision
    return result.ticket
