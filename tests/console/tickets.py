"""Tickets for the console tests, opened through the one intake path (do_open_ticket)."""

from __future__ import annotations

from policydesk.tickets import actions
from policydesk.tickets.models import Person
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
