"""Tags through the API: in every ticket for staff (never for customers), set with
`PUT /tickets/{number}/tags` under the rules of the other ticket endpoints, in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent
from tests.api.conftest import API, PERSONAS, Desk
from tests.conftest import NOW


def put_tags(desk: Desk, persona: str | None, number: int, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {desk.tokens[persona]}"} if persona else {}
    return Client().put(
        f"{API}/tickets/{number}/tags", body, content_type="application/json", headers=headers
    )


# Who may tag the EMEA Growth ticket (central-europe queue) and the Premium ticket (global queue):
# staff who see it; a customer who sees it is refused (403), anyone else gets a 404 (nothing leaks).
EXPECTED = {
    "customer": (403, 404),
    "same_org_customer": (404, 404),
    "other_org_customer": (404, 404),
    "premium_customer": (404, 403),
    "agent": (200, 404),
    "other_office_agent": (404, 404),
    "premium_agent": (404, 200),
    "lead": (200, 200),
    "admin": (200, 200),
    None: (401, 401),
}


def test_the_matrix_covers_every_persona() -> None:
    assert set(EXPECTED) == {*PERSONAS, None}


@pytest.mark.parametrize("persona", list(EXPECTED), ids=lambda p: p or "anonymous")
def test_who_may_set_a_tickets_tags(desk: Desk, persona: str | None) -> None:
    eu = put_tags(desk, persona, desk.eu_ticket.number, {"tags": ["billing"]}).status_code
    premium = put_tags(desk, persona, desk.premium_ticket.number, {"tags": ["billing"]}).status_code
    assert (eu, premium) == EXPECTED[persona]
    tagged = {t.number for t in (desk.eu_ticket, desk.premium_ticket) if t.tags.exists()}
    allowed = {
        t.number
        for t, status in zip((desk.eu_ticket, desk.premium_ticket), EXPECTED[persona], strict=True)
        if status == 200
    }
    assert tagged == allowed


def test_put_tags_replaces_them_in_their_normal_form(desk: Desk, as_person: Any) -> None:
    number = desk.eu_ticket.number
    response = put_tags(desk, "agent", number, {"tags": ["Billing", "ＡＰＩ", "請求"]})
    assert response.status_code == 200 and response.json()["tags"] == ["api", "billing", "請求"]
    response = put_tags(desk, "agent", number, {"tags": ["billing"]})
    assert response.json()["tags"] == ["billing"]
    assert as_person("agent").get(f"/tickets/{number}").json()["tags"] == ["billing"]
    event = AuditEvent.objects.filter(action="ticket.tags").latest("id")
    assert event.data == {"added": [], "removed": ["api", "請求"]} and event.actor == desk.personas.agent


@pytest.mark.parametrize(
    "body", [{"tags": ["two words"]}, {"tags": "billing"}, {"tags": ["x" * 51]}, ["billing"], {}]
)
def test_bad_tags_are_refused_and_change_nothing(desk: Desk, body: Any) -> None:
    response = put_tags(desk, "agent", desk.eu_ticket.number, body)
    assert response.status_code == 422
    assert not desk.eu_ticket.tags.exists()


def test_customers_never_see_tags(desk: Desk, as_person: Any) -> None:
    actions.do_set_tags(ticket=desk.eu_ticket, tags=["angry"], actor=desk.personas.agent, now=NOW)
    number = desk.eu_ticket.number
    assert as_person("customer").get(f"/tickets/{number}").json()["tags"] == []
    assert [item["tags"] for item in as_person("customer").get("/tickets").json()["items"]] == [[]]
    listed = {item["number"]: item["tags"] for item in as_person("lead").get("/tickets").json()["items"]}
    assert listed[number] == ["angry"] and listed[desk.premium_ticket.number] == []


def test_tags_are_in_the_openapi_document(desk: Desk) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    operation = schema["paths"]["/api/v1/tickets/{number}/tags"]["put"]
    assert {"200", "403", "404", "422"} <= set(operation["responses"])
    # (TicketOut's properties carry no types: UtcTimes' catch-all serializer returns Any.)
    ticket = schema["components"]["schemas"]["TicketOut"]
    assert "tags" in ticket["properties"] and "tags" in ticket["required"]
    body = schema["components"]["schemas"]["TagsIn"]["properties"]["tags"]
    assert body["type"] == "array" and body["items"]["type"] == "string"
