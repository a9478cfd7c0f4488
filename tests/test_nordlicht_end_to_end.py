"""A second policy with other names for every fact the desk treats specially runs end to end.

examples/nordlicht.toml names its feedback topic `wishes`, its plan-question topic `pricing`,
its P0 priority `urgent`, its default priority `routine`, its email request type `question`,
its global queue "Platinum desk", its contact roles `key-account-manager` and
`success-partner`, and has no `24x7` calendar of its own. With POLICYDESK_POLICY pointing at
it: the portal form, the console's queue and ticket pages, email intake with its
acknowledgement, and the reports page all speak Nordlicht's names.

The clock: Tue 2026-12-01 18:00 UTC = 19:00 in Berlin, after the Berlin office closed
(08:30-12:30, 13:30-17:30, Europe/Berlin).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from policydesk.desk_policy import get_policy
from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import Deflection, Feedback, Person, Ticket
from tests.conftest import NOW, Personas, new_customer, open_request, open_ticket, signed_in
from tests.mail.conftest import rfc5322

NORDLICHT = Path(__file__).resolve().parents[1] / "examples" / "nordlicht.toml"


@dataclass(frozen=True)
class Nordlicht:
    business: Person  # Business plan, Europe (Berlin office)
    platinum: Person  # Platinum plan, handled globally, with a key account manager
    lead: Person


@pytest.fixture
def nordlicht(personas: Personas, settings: Any) -> Iterator[Nordlicht]:
    """Nordlicht's policy in force, two of its customers, and the personas' lead."""
    settings.POLICYDESK_POLICY = str(NORDLICHT)
    settings.POLICYDESK_MAIL_DOMAIN = "nordlicht.example"
    settings.POLICYDESK_MAIL_RATE_LIMIT = (10, 3600)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    assert get_policy().id == "nordlicht"
    cache.clear()

    def customer(email: str, plan: str, **organisation: Any) -> Person:
        return new_customer(
            email, plan, "europe", organisation_name=f"{plan} GmbH", organisation=organisation,
            password="pw-" + email, actor=personas.admin, time_zone="Europe/Berlin",
        )  # fmt: skip

    with time_machine.travel(NOW, tick=False):
        yield Nordlicht(
            business=customer("lena@business.example", "business"),
            platinum=customer(
                "max@platinum.example",
                "platinum",
                account_executive="kam@nordlicht.example",
                customer_success_manager="csp@nordlicht.example",
            ),
            lead=personas.lead,
        )
    cache.clear()


def submit(client: Client, topic: str, priority: str = "routine", text: str = "It broke.") -> Any:
    return client.post(
        "/tickets/new/",
        {"topic": topic, "priority": priority, "subject": "Sync stopped", "description": text},
    )


def test_portal_form_offers_nordlichts_topics_and_preselects_its_default_priority(
    nordlicht: Nordlicht,
) -> None:
    page = signed_in(nordlicht.business).get("/tickets/new/").content.decode()
    assert 'value="question"' in page and 'value="wishes"' in page and 'value="pricing"' in page
    assert re.search(r'value="routine"[^>]*checked', page)  # desk.default_priority
    assert not re.search(r'value="urgent"[^>]*checked', page)


def test_portal_ticket_promises_nordlichts_target_and_points_its_p0_to_the_status_page(
    nordlicht: Nordlicht,
) -> None:
    client = signed_in(nordlicht.business)
    response = submit(client, "question", priority="urgent")
    ticket = Ticket.objects.get()
    assert ticket.topic == "question" and ticket.priority == "urgent"
    assert ticket.office == ticket.calendar == "berlin"  # the region's office and its hours (C9)
    page = client.get(response["Location"]).content.decode()
    # 2 business hours from Tue 19:00 Berlin: Wed 08:30 + 2 h = 10:30 (C3, C8).
    assert "We will answer by Wed 2 Dec 2026, 10:30 (Europe/Berlin)." in page
    assert "Within 2 business hours" in page
    assert "https://status.nordlicht.example" in page  # desk.outage_priority = urgent (C16)


def test_portal_wish_is_kept_as_feedback_and_pricing_names_the_account_team(nordlicht: Nordlicht) -> None:
    client = signed_in(nordlicht.platinum)
    page = client.get(submit(client, "wishes", text="Dark mode")["Location"]).content.decode()
    assert 'data-testid="feedback-recorded"' in page and "https://ideas.nordlicht.example" in page  # C18
    assert Feedback.objects.get().text == "Dark mode"
    page = client.get(submit(client, "pricing")["Location"]).content.decode()
    assert Deflection.objects.filter(topic="pricing", route="key-account").exists()  # C17
    assert "Your key account manager" in page and 'href="mailto:kam@nordlicht.example"' in page
    assert "Your success partner" in page and 'href="mailto:csp@nordlicht.example"' in page


def test_policy_page_publishes_nordlichts_plan_question_routes(nordlicht: Nordlicht) -> None:
    page = Client().get("/policy/").content.decode()
    assert "Nordlicht Support Policy" in page
    assert "Your key account manager and success partner answer pricing questions." in page  # C17


def test_console_queue_and_ticket_page_use_nordlichts_names(nordlicht: Nordlicht) -> None:
    critical = open_ticket(
        nordlicht.platinum,
        "incident",
        subject="Production down",
        text="All sync jobs fail.",
        priority="urgent",
    )
    assert critical.office == "global" and critical.mission_critical
    assert critical.calendar == "24x7"  # calendar-time target: the always-open calendar's own id (C6)
    assert critical.first_response_due == datetime(2026, 12, 1, 18, 15, tzinfo=UTC)  # 15 minutes
    client = signed_in(nordlicht.lead)
    queue = client.get("/console/queues/global/").content.decode()
    assert "Platinum desk" in queue and "Production down" in queue and "Premium (global)" not in queue
    page = client.get(f"/console/tickets/{critical.number}/").content.decode()
    assert "Platinum desk" in page and "Incident" in page and "Urgent" in page
    # The deflect preview names the organisation's own account team (C17).
    assert "answer pricing questions. (kam@nordlicht.example, csp@nordlicht.example)" in page


def test_email_opens_a_ticket_of_nordlichts_type_and_acknowledges_with_its_promise(
    nordlicht: Nordlicht,
) -> None:
    raw = rfc5322("""
From: Lena <lena@business.example>
To: support@nordlicht.example
Subject: Sync stopped
Message-ID: <sync-1@business.example>
Date: Tue, 01 Dec 2026 18:00:00 +0000
Content-Type: text/plain; charset=utf-8

Nothing has synced since noon.
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.topic, ticket.priority) == ("email", "question", "routine")  # [desk]
    ack = OutgoingMail.objects.get(kind="ack")
    assert ack.recipient == "lena@business.example"
    assert "We will answer by Wed 2 Dec 2026, 10:30 (Europe/Berlin)." in ack.body
    assert "Within 2 business hours" in ack.body  # the policy's own words (C3)


def test_reports_page_counts_nordlichts_tickets_under_its_names(nordlicht: Nordlicht) -> None:
    earlier = NOW - timedelta(hours=1)  # the report counts what happened before now
    for person, topic in (
        (nordlicht.business, "question"),
        (nordlicht.platinum, "incident"),
        (nordlicht.platinum, "wishes"),
    ):
        open_request(person, topic, earlier, subject="Sync stopped", text="x")
    response = signed_in(nordlicht.lead).get("/console/reports/?start=2026-11-30&end=2026-12-06")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Platinum desk" in page and "Berlin" in page  # queues
    assert "Business" in page and "Platinum" in page  # plans
    assert "Wishes for the product" in page  # deflections by topic
