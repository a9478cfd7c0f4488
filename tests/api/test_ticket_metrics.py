"""GET /api/v1/tickets/{number}/metrics (issue 15): a ticket's SLA metric instances through the real
actions, for staff and for the customer whose ticket it is; in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.test import Client

from policydesk.tickets import actions
from tests.api.conftest import API, Desk
from tests.conftest import Personas, open_ticket


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


def test_metrics_of_a_ticket_through_the_actions(
    desk: Desk, personas: Personas, as_person: Any, every_metric_policy: Path
) -> None:
    # Growth, central-europe 09:00-17:00 UTC. Tue 10:00 opened; 11:00 the agent asks (pending);
    # 13:00 the customer answers (next reply owed, 2 business hours: due 15:00). Read at 18:00.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which?", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-01T13:00:00")
    )
    response = as_person("agent").get(f"/tickets/{ticket.number}/metrics")
    assert response.status_code == 200
    got = {(item["metric"], item["cycle"]): item for item in response.json()}
    assert {key: item["state"] for key, item in got.items()} == {
        ("first_response", 1): "met",
        ("resolution", 1): "running",
        ("periodic_update", 1): "running",
        ("next_reply", 1): "breached",
    }
    next_reply = got["next_reply", 1]
    assert next_reply["due"] == next_reply["breached_at"] == "2026-12-01T15:00:00Z"
    assert next_reply["target_seconds"] == 2 * 3600 and next_reply["elapsed_seconds"] == 4 * 3600
    resolution = got["resolution", 1]
    assert resolution["pauses"] == [{"start": "2026-12-01T11:00:00Z", "end": "2026-12-01T13:00:00Z"}]
    assert resolution["elapsed_seconds"] == 5 * 3600  # 10-11 and 13-17
    assert [event["kind"] for event in resolution["events"]] == ["activated", "paused", "resumed"]
    assert resolution["target_text"] == "Resolved within 3 business days"
    assert got["periodic_update", 1]["due"] == "2026-12-02T13:00:00Z"  # 8 business hours, paused 11-13
    # The customer whose ticket it is sees the same promises.
    assert as_person("customer").get(f"/tickets/{ticket.number}/metrics").json() == response.json()


def test_the_seed_policy_has_only_the_first_response(desk: Desk, as_person: Any) -> None:
    items = as_person("customer").get(f"/tickets/{desk.eu_ticket.number}/metrics").json()
    assert [(item["metric"], item["state"]) for item in items] == [("first_response", "running")]
    assert items[0]["due"] == desk.eu_ticket.first_response_due.isoformat().replace("+00:00", "Z")  # type: ignore[union-attr]


def test_another_customers_ticket_is_not_found(desk: Desk, as_person: Any) -> None:
    assert as_person("same_org_customer").get(f"/tickets/{desk.eu_ticket.number}/metrics").status_code == 404
    assert as_person("customer").get("/tickets/99999/metrics").status_code == 404


def test_the_metrics_endpoint_is_in_the_openapi_document() -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    operation = schema["paths"]["/api/v1/tickets/{number}/metrics"]["get"]
    assert "200" in operation["responses"] and "404" in operation["responses"]
    assert "elapsed_seconds" in schema["components"]["schemas"]["MetricOut"]["properties"]
