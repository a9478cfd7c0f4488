"""What intake no longer reads back (issue 17), checked against reading it: the policy the
action holds reaches the mail and the watch, the watch plans a new ticket from the events the
action passes, and the API answers from the ticket the action made."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.test import Client, override_settings

from policydesk.api.tokens import do_create_api_token
from policydesk.desk_policy import get_policy
from policydesk.policy.loading import default_policy_path
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.watch import timers
from policydesk.watch.models import Timer
from tests.conftest import NOW, Personas

BODY = {"topic": "troubleshooting", "subject": "Export fails", "text": "At 50%."}


def api(person: Any) -> Client:
    token = do_create_api_token(person=person, name="crm", actor=None, now=NOW).secret
    return Client(headers={"Authorization": f"Bearer {token}"})


def test_an_edited_policy_file_reaches_the_very_next_intake_everywhere(
    personas: Personas, tmp_path: Path
) -> None:
    path = tmp_path / "policy.toml"
    text = default_policy_path().read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    client = api(personas.customer)
    with override_settings(POLICYDESK_POLICY=str(path)):
        first = client.post("/api/v1/tickets", BODY, content_type="application/json").json()["number"]
        path.write_text(text.replace('version = "2026-11-26"', 'version = "2027-01-01"'), encoding="utf-8")
        os.utime(path, ns=(0, path.stat().st_mtime_ns + 1_000_000_000))
        second = client.post("/api/v1/tickets", BODY, content_type="application/json").json()["number"]

    def versions(number: int) -> set[str]:
        ticket = Ticket.objects.get(number=number)
        return {
            ticket.policy_version,
            *MetricEvent.objects.filter(ticket=ticket).values_list("policy_version", flat=True),
            *Timer.objects.filter(ticket=ticket).values_list("policy_version", flat=True),
        }

    assert versions(first) == {"2026-11-26"}
    assert versions(second) == {"2027-01-01"}


def test_a_new_tickets_timers_are_those_planning_from_the_database_gives(personas: Personas) -> None:
    response = api(personas.customer).post("/api/v1/tickets", BODY, content_type="application/json")
    ticket = Ticket.objects.get(number=response.json()["number"])
    planned = set(Timer.objects.filter(ticket=ticket).values_list("metric", "cycle", "kind", "fire_at"))
    assert planned  # a warning and a breach at least

    again = timers.plan_ticket(ticket, get_policy(), now=ticket.created_at)  # reads the stored events

    assert (again.created, again.moved, again.reactivated, again.retagged) == (0, 0, 0, 0)
    assert (
        set(Timer.objects.filter(ticket=ticket).values_list("metric", "cycle", "kind", "fire_at")) == planned
    )
