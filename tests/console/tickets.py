"""Tickets for the console tests, opened through the one intake path (do_open_ticket)."""

from __future__ import annotations

from policydesk.tickets.models import Person
from tests.conftest import Personas, new_customer


def customer_of(personas: Personas, plan: str, region: str, email: str) -> Person:
    """A customer of a new organisation on `plan` in `region`."""
    return new_customer(
        email, plan, region, organisation_name=f"{plan}-{region}-{email}", actor=personas.admin,
        organisation={"account_executive": "ae@vendor.example"},
    )  # fmt: skip
