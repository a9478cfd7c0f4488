"""Seeded tickets with known first-response figures (C3, C6, C8, C10), for the reports and
the policy what-if.

The clock stands at Mon 2026-11-16 12:00 UTC; the period is 2026-11-02 to 2026-11-15.

Growth, EMEA -> central-europe (Mon-Fri 09:00-17:00 UTC, target 16 business hours):
  G1 Fri 11-06 16:00, answered Mon 11-09 10:00: 2 h across the weekend, met
  G2 Mon 11-02 09:00 (due Tue 17:00), answered Wed 11-04 10:00: 17 h, breached
  G3 Tue 11-10 12:00 (due Thu 11-12 12:00), never answered: breached
  G4 Fri 11-13 09:00 (due Mon 11-16 17:00), answered Fri 13:00: 4 h, met
  G5 Fri 11-13 14:00 (due Tue 11-17 14:00), not answered yet: pending
  G6 Wed 11-04 09:00, deflected by an agent at 11:00: 2 h, met
Enterprise, Americas -> us-west (Mon-Fri 09:00-17:00 UTC-8 = 17:00-01:00 UTC, 8 h):
  E1 Tue 11-10 17:00, answered Wed 11-11 00:00: 7 h, met
  E2 Tue 11-10 23:00, answered Thu 11-12 22:00: 2 h Tue + Veterans Day (Wed 11-11) closed
     + 5 h Thu = 7 h, met
Plus, Americas -> us-west, no target: P1 Thu 11-12 18:00, not answered.
Premium, APAC, bug-report-critical -> mission-critical, 2 h around the clock (C6):
  M1 Sun 11-08 03:00, answered 04:30: 1.5 h, met
  M2 Sat 11-14 10:00, answered 13:00: 3 h, breached
Deflected at intake: plan-question twice, feature-request once (Growth).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from policydesk.reports.queries import Period
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import Personas, new_customer, open_request, open_ticket

REPORT_NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
PERIOD = Period(date(2026, 11, 2), date(2026, 11, 15))
HOUR = 3600


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _reports_settings(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def _open(requester: Person, created: datetime, topic: str = "troubleshooting") -> Ticket:
    return open_ticket(requester, topic, created, subject=f"{topic} at {created:%a %H:%M}", text="Help")


def _answer(ticket: Ticket, agent: Person, when: datetime) -> None:
    actions.do_agent_reply(ticket=ticket, agent=agent, text="Here is what we found.", now=when)


@pytest.fixture
def seeded(personas: Personas) -> dict[str, Ticket]:
    admin, lead = personas.admin, personas.lead
    growth = personas.customer  # Kumo: Growth, EMEA
    enterprise = personas.other_org_customer  # Other: Enterprise, Americas
    plus = new_customer(
        "pat@plusco.example", "plus", "americas", organisation_name="Plusco", actor=admin, now=at(1, 0)
    )
    premium = new_customer(
        "mei@primo.example", "premium", "apac", organisation_name="Primo", actor=admin, now=at(1, 0)
    )
    tickets = {
        "G1": _open(growth, at(6, 16)),
        "G2": _open(growth, at(2, 9)),
        "G3": _open(growth, at(10, 12)),
        "G4": _open(growth, at(13, 9)),
        "G5": _open(growth, at(13, 14)),
        "G6": _open(growth, at(4, 9)),
        "E1": _open(enterprise, at(10, 17)),
        "E2": _open(enterprise, at(10, 23)),
        "P1": _open(plus, at(12, 18)),
        "M1": _open(premium, at(8, 3), "bug-report-critical"),
        "M2": _open(premium, at(14, 10), "bug-report-critical"),
    }
    _answer(tickets["G1"], lead, at(9, 10))
    _answer(tickets["G2"], lead, at(4, 10))
    _answer(tickets["G4"], lead, at(13, 13))
    actions.do_deflect(ticket=tickets["G6"], agent=lead, topic="third-party-integration", now=at(4, 11))
    _answer(tickets["E1"], lead, at(11, 0))
    _answer(tickets["E2"], lead, at(12, 22))
    _answer(tickets["M1"], lead, at(8, 4, 30))
    _answer(tickets["M2"], lead, at(14, 13))
    _answer(tickets["M2"], lead, at(14, 14))  # a second reply is not a first response
    for day, topic in ((3, "plan-question"), (5, "plan-question"), (11, "feature-request")):
        assert open_request(growth, topic, at(day, 12), subject="q", text="Dark mode").deflection
    # Outside the period: the day before, and the Monday after (REPORT_NOW's morning).
    _open(growth, datetime(2026, 11, 1, 23, 59, tzinfo=UTC))
    _open(growth, at(16, 9))
    _read_help_centre(lead)
    for ticket in tickets.values():
        ticket.refresh_from_db()
    return tickets


def _read_help_centre(lead: Person) -> None:
    """An article read three times in the period (once outside it) and answering a question once."""
    from policydesk.helpcentre import counting
    from policydesk.helpcentre.actions import (
        ArticleFields,
        do_save_article,
        do_save_category,
        do_save_section,
    )

    category = do_save_category(
        category=None, slug="start", name_en="Start", name_ja="はじめに", actor=lead, now=at(2, 9)
    )
    section = do_save_section(
        section=None,
        category=category,
        slug="charts",
        name_en="Charts",
        name_ja="グラフ",
        actor=lead,
        now=at(2, 9),
    )
    article = do_save_article(
        article=None, actor=lead, now=at(2, 9),
        fields=ArticleFields(section=section, language="en", title="Empty charts", body="Reload."),
    )  # fmt: skip
    for day in (3, 4, 9):
        counting.count_view(article, at(day, 10))
    counting.count_view(article, at(16, 10))
    counting.count_deflection(article, at(9, 11))
    for day, query in (
        (3, "SAML login"),
        (4, "saml  login"),
        (4, "SAML login"),
        (9, "請求書 hanna@kumo.example"),
    ):
        counting.count_search_miss(query, at(day, 10))
    counting.count_search_miss("SAML login", at(16, 10))  # outside the period


@pytest.fixture
def rated(seeded: dict[str, Ticket], personas: Personas) -> dict[str, Ticket]:
    """`seeded`, with three tickets solved in the period: G1 (Growth) rated good with a comment, E1
    (Enterprise) rated bad with a comment, M1 (Premium) never answered."""
    from policydesk.satisfaction.actions import do_rate
    from policydesk.satisfaction.models import SatisfactionSurvey

    lead = personas.lead
    for name, solved_at in (("G1", at(9, 11)), ("E1", at(11, 1)), ("M1", at(8, 5))):
        actions.do_set_status(ticket=seeded[name], status="solved", actor=lead, now=solved_at)
    for name, rating, comment, when in (
        ("G1", "good", "Clear answer", at(9, 12)),
        ("E1", "bad", "Too slow", at(11, 2)),
    ):
        survey = SatisfactionSurvey.objects.get(ticket=seeded[name])
        do_rate(survey=survey, person=survey.person, rating=rating, comment=comment, now=when)
    for ticket in seeded.values():
        ticket.refresh_from_db()
    return seeded


def two_growth_timelines(personas: Personas) -> None:
    """Growth, central-europe (Mon-Fri 09:00-17:00 UTC), through the real actions:
    T1 Tue 12-01 10:00 opened; 11:00 asked (pending); 13:00 the customer answers; 14:00 solved
       with a reply.
    T2 Tue 12-01 10:00 opened; Thu 12-03 11:00 first reply (due Thu 10:00 on the seed's 2 business
       days: breached), left pending."""
    one = open_ticket(personas.customer, now=datetime(2026, 12, 1, 10, tzinfo=UTC))
    actions.do_agent_reply(
        ticket=one, agent=personas.agent, text="Which?", now=datetime(2026, 12, 1, 11, tzinfo=UTC)
    )
    actions.do_customer_reply(
        ticket=one, customer=personas.customer, text="All", now=datetime(2026, 12, 1, 13, tzinfo=UTC)
    )
    actions.do_agent_reply(
        ticket=one,
        agent=personas.agent,
        text="Done",
        now=datetime(2026, 12, 1, 14, tzinfo=UTC),
        status="solved",
    )
    two = open_ticket(personas.customer, now=datetime(2026, 12, 1, 10, tzinfo=UTC))
    actions.do_agent_reply(
        ticket=two, agent=personas.agent, text="Late", now=datetime(2026, 12, 3, 11, tzinfo=UTC)
    )
