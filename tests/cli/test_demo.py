"""`policydesk demo` (issue 16, the first five minutes): tickets in every state across the offices
and plans, deflected requests from the plans that cannot ask (C2, C20), a mission-critical ticket
(C5, C6) and an incident on the status page; loading twice adds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from policydesk.status.models import Incident
from policydesk.tickets.models import Deflection, Ticket

pytestmark = pytest.mark.django_db


def test_the_demo_has_tickets_in_every_state_and_loads_once() -> None:
    call_command("demo", stdout=io.StringIO())
    tickets = Ticket.objects.all()
    assert {t.status for t in tickets} >= {"new", "open", "pending", "solved"}
    assert {t.office for t in tickets} == {"us-west", "singapore", "central-europe", "global"}
    assert tickets.filter(mission_critical=True, organisation__plan="premium").count() == 1
    assert (
        Deflection.objects.filter(ticket=None, organisation__plan__in=["starter", "scholarship"]).count() == 2
    )
    assert tickets.filter(tags__name="文字化け").exists()
    assert Incident.objects.count() == 1
    counts = (Ticket.objects.count(), Deflection.objects.count(), Incident.objects.count())
    call_command("demo", stdout=io.StringIO())
    assert (Ticket.objects.count(), Deflection.objects.count(), Incident.objects.count()) == counts


def test_the_first_pages_are_not_empty(client: Client) -> None:
    call_command("demo", stdout=io.StringIO())
    assert client.login(username="jonas@example.com", password="demo-desk-2026")
    queue = client.get("/console/queues/central-europe/").content.decode()
    assert queue.count('data-testid="queue-row"') == 3  # new, new and pending; the solved one is not
    assert "Payments dashboard errors" in client.get("/status/").content.decode()
