"""Demo data for `make run`: organisations on every kind of plan, agents in each office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from policydesk.tickets import actions
from policydesk.tickets.models import Person

DEMO_PASSWORD = "demo-desk-2026"  # noqa: S105 - published demo login, printed by make run


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    what: str


# (organisation, plan, region, customer email, language, time zone)
ORGANISATIONS = [
    ("Kumo Retail GmbH", "growth", "emea", "hanna@kumo-retail.example", "en", "Europe/Berlin"),
    ("Sakura Games KK", "enterprise", "apac", "yui@sakura-games.example", "ja", "Asia/Tokyo"),
    ("Redwood Bank", "premium", "americas", "maria@redwood-bank.example", "en", "America/New_York"),
    ("Plusly Inc", "plus", "americas", "sam@plusly.example", "en", "America/Denver"),
    ("Tiny Startup", "starter", "emea", "leo@tiny-startup.example", "en", "Europe/Paris"),
    ("Student Lab", "scholarship", "apac", "ken@student-lab.example", "ja", "Asia/Tokyo"),
]
# (email, name, office, language)
AGENTS = [
    ("ava@example.com", "Ava (US West)", "us-west", "en"),
    ("wei@example.com", "Wei (Singapore)", "singapore", "en"),
    ("jonas@example.com", "Jonas (Central Europe)", "central-europe", "en"),
]


def load_demo(now: datetime) -> list[DemoLogin]:
    """Create the demo desk unless it exists; return the logins to print."""
    logins = [DemoLogin(email, "agent", f"agent, {office}") for email, _, office, _ in AGENTS]
    logins += [
        DemoLogin("priya@example.com", "agent", "agent, Premium team (US West)"),
        DemoLogin("lead@example.com", "lead", "support operations lead"),
        DemoLogin("admin@example.com", "admin", "admin (/admin/)"),
    ]
    logins += [DemoLogin(email, "customer", f"customer, {org} ({plan}, {region})")
               for org, plan, region, email, _, _ in ORGANISATIONS]  # fmt: skip
    if Person.objects.filter(email="admin@example.com").exists():
        return logins
    admin = actions.do_create_person(
        email="admin@example.com", password=DEMO_PASSWORD, role=Person.Role.ADMIN, actor=None, now=now,
        name="Admin",
    )  # fmt: skip
    teams = {
        office: actions.do_create_team(
            name=f"{label} office", kind="office", office=office, actor=admin, now=now
        )
        for office, label in (
            ("us-west", "US West"),
            ("singapore", "Singapore"),
            ("central-europe", "Central Europe"),
        )
    }
    premium = actions.do_create_team(
        name="Premium Americas", kind="premium", office="us-west", actor=admin, now=now
    )
    for email, name, office, language in AGENTS:
        actions.do_create_person(
            email=email, password=DEMO_PASSWORD, role=Person.Role.AGENT, actor=admin, now=now,
            name=name, teams=(teams[office],), language=language,
        )  # fmt: skip
    actions.do_create_person(
        email="priya@example.com", password=DEMO_PASSWORD, role=Person.Role.AGENT, actor=admin, now=now,
        name="Priya (Premium)", teams=(teams["us-west"], premium),
    )  # fmt: skip
    actions.do_create_person(
        email="lead@example.com", password=DEMO_PASSWORD, role=Person.Role.LEAD, actor=admin, now=now,
        name="Lena (lead)",
    )  # fmt: skip
    for org_name, plan, region, email, language, zone in ORGANISATIONS:
        organisation = actions.do_create_organisation(
            name=org_name, plan=plan, region=region, actor=admin, now=now,
            account_executive=f"ae-{region}@example.com",
            customer_success_manager="csm@example.com" if plan in ("enterprise", "premium") else "",
            dedicated_team=premium if plan == "premium" else None,
        )  # fmt: skip
        actions.do_create_person(
            email=email, password=DEMO_PASSWORD, role=Person.Role.CUSTOMER, actor=admin, now=now,
            name=email.split("@")[0].title(), organisation=organisation, language=language, time_zone=zone,
        )  # fmt: skip
    return logins
