"""A Nordlicht desk's three weeks (examples/nordlicht.toml, every metric promised), through the
real actions, the same every run: the data of docs/reports.md's metric figures, of the what-if's
and of the reports' browser test. Five customers: Team and Business in Europe (Berlin office) and
North America (Toronto), Platinum (the global desk, around the clock)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from policydesk.tickets import actions
from policydesk.tickets.models import Person
from tests.conftest import Personas, new_customer, open_ticket

NORDLICHT = Path(__file__).resolve().parents[2] / "examples" / "nordlicht.toml"
#: When the figures are read: after the three weeks, Tue 1 Dec 2026 12:00 UTC.
FIGURES_AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
FIRST_MONDAY = datetime(2026, 11, 9, tzinfo=UTC)
TICKETS = 90


def customers(personas: Personas) -> list[Person]:
    def one(email: str, plan: str, region: str) -> Person:
        return new_customer(email, plan, region, actor=personas.admin, now=FIRST_MONDAY - timedelta(days=7))

    return [
        one("ute@team-eu.example", "team", "europe"),
        one("tom@team-na.example", "team", "north-america"),
        one("lena@business-eu.example", "business", "europe"),
        one("liam@business-na.example", "business", "north-america"),
        one("max@platinum.example", "platinum", "europe"),
    ]


def seed_nordlicht(personas: Personas, until: datetime = FIGURES_AT) -> None:
    """TICKETS tickets opened on weekdays from FIRST_MONDAY for three weeks, each with a first
    reply, most with a customer's answer and a next reply, many solved, a few reopened, some
    Business tickets made urgent; nothing after `until`. Under Nordlicht's policy in force."""
    rng = random.Random(15)
    people = customers(personas)
    agent = personas.lead  # sees every queue

    def maybe(when: datetime, action: object, **kwargs: object) -> bool:
        if when > until:
            return False
        action(now=when, **kwargs)  # type: ignore[operator]
        return True

    for n in range(TICKETS):
        customer = people[n % len(people)]
        day = FIRST_MONDAY + timedelta(days=7 * rng.randrange(3) + rng.randrange(5))
        created = day + timedelta(hours=rng.randrange(6, 21), minutes=rng.choice((0, 15, 30, 45)))
        topic = "incident" if customer.organisation.plan == "platinum" and rng.random() < 0.2 else "question"
        if created > until:
            continue
        ticket = open_ticket(customer, topic, created, subject=f"Ticket {n}", text="It broke.")
        at = created
        if customer.organisation.plan == "business" and rng.random() < 0.3:
            at += timedelta(minutes=5)
            actions.do_set_priority(ticket=ticket, priority="urgent", actor=agent, now=at)
        at += timedelta(hours=rng.choice((0.25, 0.5, 1, 2, 3, 5, 8, 20, 30)))
        if not maybe(at, actions.do_agent_reply, ticket=ticket, agent=agent, text="Which version?"):
            continue
        if rng.random() < 0.7:
            at += timedelta(hours=rng.uniform(0.5, 30))
            if not maybe(at, actions.do_customer_reply, ticket=ticket, customer=customer, text="2.4"):
                continue
            at += timedelta(hours=rng.choice((0.25, 0.5, 1, 2, 4, 6, 10, 26)))
            if not maybe(at, actions.do_agent_reply, ticket=ticket, agent=agent, text="Fixed in 2.5"):
                continue
        if rng.random() < 0.6:
            at += timedelta(hours=rng.uniform(1, 50))
            if not maybe(at, actions.do_set_status, ticket=ticket, status="solved", actor=agent):
                continue
            if rng.random() < 0.15:
                at += timedelta(hours=rng.uniform(2, 40))
                maybe(at, actions.do_customer_reply, ticket=ticket, customer=customer, text="Again")
