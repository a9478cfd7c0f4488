"""Bulk changes in the API (issue 13): `POST /bulk` and `GET /bulk/{id}`. Every persona: staff
change what their queues hold and get the rest back as failures with the reason (the tickets left
as they were); customers and strangers cannot; a job is its owner's alone."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets.bulk import INLINE, run_bulk
from policydesk.tickets.models import AuditEvent, BulkJob
from tests.api.conftest import PERSONAS, Desk
from tests.conftest import NOW, open_ticket

OUTSIDE = "no such ticket in your queues"

# Which of the two tickets (the EMEA Growth one, the Premium one) each persona's change reaches.
CHANGED = {
    "agent": {"eu"},
    "other_office_agent": set(),
    "premium_agent": {"premium"},
    "lead": {"eu", "premium"},
    "admin": {"eu", "premium"},
}


@pytest.mark.parametrize("persona", [*PERSONAS, None], ids=lambda p: p or "anonymous")
def test_a_bulk_change_reaches_only_the_tickets_of_your_queues(
    persona: str | None, desk: Desk, as_person: Any
) -> None:
    tickets = {"eu": desk.eu_ticket, "premium": desk.premium_ticket}
    answer = as_person(persona).post(
        "/bulk", {"action": "priority", "value": "high", "tickets": [t.number for t in tickets.values()]}
    )

    if persona not in CHANGED:
        assert answer.status_code == (401 if persona is None else 403)
        assert not BulkJob.objects.exists()
        changed: set[str] = set()
    else:
        assert answer.status_code == 201, answer.content
        job = answer.json()
        changed = CHANGED[persona]
        assert (job["state"], job["tickets"], job["done"]) == ("done", 2, len(changed))
        assert job["failed"] == [
            {"number": tickets[label].number, "reason": OUTSIDE} for label in tickets if label not in changed
        ]
    for label, ticket in tickets.items():
        ticket.refresh_from_db()
        assert (ticket.priority == "high") == (label in changed), label


def test_each_ticket_changed_has_its_own_audit_row(desk: Desk, as_person: Any) -> None:
    answer = as_person("lead").post(
        "/bulk",
        {
            "action": "status",
            "value": "pending",
            "tickets": [desk.eu_ticket.number, desk.premium_ticket.number],
        },
    )

    assert answer.status_code == 201 and answer.json()["done"] == 2
    changed = AuditEvent.objects.filter(action="ticket.status").values_list("subject_id", flat=True)
    assert sorted(map(int, changed)) == sorted([desk.eu_ticket.pk, desk.premium_ticket.pk])


def test_assign_names_the_agent_by_email(desk: Desk, as_person: Any) -> None:
    agent = desk.personas.agent
    answer = as_person("lead").post(
        "/bulk", {"action": "assign", "value": agent.email.upper(), "tickets": [desk.eu_ticket.number]}
    )

    assert answer.status_code == 201 and answer.json()["value"] == str(agent.pk)
    desk.eu_ticket.refresh_from_db()
    assert desk.eu_ticket.assignee_id == agent.pk


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"action": "status", "value": "bogus"}, 400),  # the action refuses it before it starts
        ({"action": "assign", "value": "nobody@example.org"}, 422),
        ({"action": "tags", "value": ""}, 400),
        ({"action": "merge", "value": "999999"}, 400),
        ({"action": "explode", "value": "x"}, 422),
        ({"action": "status", "value": "open", "tickets": []}, 422),
        ({"action": "status", "value": "open", "tickets": [0]}, 422),
    ],
)
def test_a_change_that_cannot_start_changes_nothing(
    body: dict[str, Any], status: int, desk: Desk, as_person: Any
) -> None:
    answer = as_person("lead").post("/bulk", {"tickets": [desk.eu_ticket.number], **body})

    assert answer.status_code == status, answer.content
    assert "error" in answer.json()
    assert not BulkJob.objects.exists()


def test_a_large_change_runs_in_the_worker_and_its_progress_is_readable(desk: Desk, as_person: Any) -> None:
    customer = desk.personas.customer
    numbers = [open_ticket(customer, subject=f"Chart {n}").number for n in range(INLINE + 1)]
    lead = as_person("lead")

    started = lead.post("/bulk", {"action": "tags", "value": "charts", "tickets": numbers})
    assert started.status_code == 201
    job = started.json()
    assert (job["state"], job["done"], job["tickets"]) == ("queued", 0, INLINE + 1)

    run_bulk(BulkJob.objects.get(pk=job["id"]), NOW)  # what the worker's task does
    finished = lead.get(f"/bulk/{job['id']}")
    assert finished.status_code == 200
    assert (finished.json()["state"], finished.json()["done"], finished.json()["failed"]) == (
        "done",
        INLINE + 1,
        [],
    )


@pytest.mark.parametrize("persona", ["agent", "admin", "customer", None], ids=lambda p: p or "anonymous")
def test_a_job_is_its_owners_alone(persona: str | None, desk: Desk, as_person: Any) -> None:
    job = (
        as_person("lead")
        .post("/bulk", {"action": "priority", "value": "high", "tickets": [desk.eu_ticket.number]})
        .json()
    )

    assert as_person(persona).get(f"/bulk/{job['id']}").status_code == (401 if persona is None else 404)
    assert as_person("lead").get(f"/bulk/{job['id']}").status_code == 200
