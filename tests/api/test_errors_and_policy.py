"""One error body everywhere; triage and the policy as the command line gives them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from policydesk.desk_policy import get_policy
from policydesk.policy.export import policy_as_json
from policydesk.policy.triage import parse_request, triage
from policydesk.tickets.models import AuditEvent, Deflection, Ticket
from tests.api.conftest import API, Desk


def assert_error_body(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]


def test_unknown_ticket_and_hidden_ticket_look_the_same(desk: Desk, as_person: Any) -> None:
    api = as_person("other_org_customer")
    hidden = assert_error_body(api.get(f"/tickets/{desk.eu_ticket.number}"), 404, "not_found")
    missing = assert_error_body(api.get("/tickets/99999"), 404, "not_found")
    assert hidden == missing


def test_error_bodies(desk: Desk, as_person: Any) -> None:
    assert_error_body(Client().get(f"{API}/tickets"), 401, "unauthorized")
    assert_error_body(as_person("lead").get("/no/such/endpoint"), 404, "not_found")
    not_a_number = assert_error_body(as_person("lead").get("/tickets/not-a-number"), 422, "invalid")
    assert not_a_number["details"][0]["loc"] == ["path", "number"]
    wrong_method = as_person("lead").client.delete(f"{API}/tickets", headers=as_person("lead").headers)
    assert_error_body(wrong_method, 405, "method_not_allowed")
    assert wrong_method["Allow"]
    invalid = assert_error_body(
        as_person("lead").get("/tickets", status="archived", limit="x"), 422, "invalid"
    )
    assert [d["loc"] for d in invalid["details"]] == [["query", "status"], ["query", "limit"]]
    assert all(d["message"] and d["type"] for d in invalid["details"])


def test_malformed_json_body_is_an_error_body(desk: Desk, as_person: Any) -> None:
    api = as_person("customer")
    response = api.client.post(
        f"{API}/tickets", "{not json", content_type="application/json", headers=api.headers
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"error"}


TRIAGE_INPUT = {
    "id": "r1",
    "plan": "premium",
    "region": "apac",
    "topic": "bug-report-critical",
    "created_at": "2026-12-05T10:00:00-08:00",
}


def test_triage_answers_like_the_command_and_writes_nothing(desk: Desk, as_person: Any) -> None:
    before = (Ticket.objects.count(), Deflection.objects.count(), AuditEvent.objects.count())
    response = as_person("agent").post("/triage", TRIAGE_INPUT)
    assert response.status_code == 200
    policy = get_policy()
    assert response.json() == triage(policy, parse_request(policy, TRIAGE_INPUT)).as_json()
    assert response.json()["mission_critical"] is True  # C6
    assert (Ticket.objects.count(), Deflection.objects.count(), AuditEvent.objects.count()) == before


def test_triage_of_an_out_of_scope_topic_names_the_route(desk: Desk, as_person: Any) -> None:
    body = as_person("customer").post("/triage", {**TRIAGE_INPUT, "topic": "feature-request"}).json()
    assert body["outcome"] == "deflect" and body["route"]["kind"] == "feedback-form"  # C18


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"plan": "gold"}, "plan: expected one of"),
        ({"created_at": "2026-12-05T10:00:00"}, "no UTC offset"),
        ({"created_at": "yesterday"}, "not an ISO-8601"),
        ({"channel": "fax"}, "channel: expected one of"),
    ],
)
def test_triage_refuses_bad_requests_with_the_commands_words(
    desk: Desk, as_person: Any, change: dict[str, str], words: str
) -> None:
    error = assert_error_body(as_person("agent").post("/triage", {**TRIAGE_INPUT, **change}), 422, "invalid")
    assert words in error["message"]


def test_policy_is_the_resolved_policy(desk: Desk, as_person: Any) -> None:
    response = as_person("customer").get("/policy")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(policy_as_json(get_policy())))


def test_openapi_document_is_served(desk: Desk) -> None:
    schema = Client().get(f"{API}/openapi.json").json()
    assert schema["info"]["title"] == "policydesk"
    assert {"/api/v1/tickets", "/api/v1/triage", "/api/v1/policy"} <= set(schema["paths"])
    assert {"BearerToken", "StaffSession"} <= set(schema["components"]["securitySchemes"])


def test_openapi_document_is_built_once_per_language(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 17: ninja built the document on every GET (145 ms of CPU), for anyone who asks.
    import ninja.main

    from policydesk.urls import api_v1

    built: list[str] = []

    def counted(*, api: Any, path_prefix: str) -> Any:
        built.append(path_prefix)
        return build(api=api, path_prefix=path_prefix)

    build = ninja.main.get_schema
    monkeypatch.setattr(ninja.main, "get_schema", counted)
    monkeypatch.setattr(api_v1, "_built_schemas", {})
    client = Client()
    first = client.get(f"{API}/openapi.json")
    again = client.get(f"{API}/openapi.json")
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first.json()["info"]["title"] == "policydesk"
    assert built == ["/api/v1/"]
    japanese = client.get(f"{API}/openapi.json", headers={"accept-language": "ja"})
    assert japanese.status_code == 200
    assert built == ["/api/v1/", "/api/v1/"]  # its own, in case a description is translated


@pytest.mark.parametrize("body", ["[null, null]", "42", '"closed"'])
def test_a_body_that_is_not_an_object_is_refused(desk: Desk, as_person: Any, body: str) -> None:
    api = as_person("lead")
    response = api.client.patch(
        f"{API}/tickets/{desk.eu_ticket.number}", body, content_type="application/json", headers=api.headers
    )
    assert_error_body(response, 422, "invalid")


def test_updated_since_is_iso_8601_not_a_unix_time(desk: Desk, as_person: Any) -> None:
    assert_error_body(as_person("lead").get("/tickets", updated_since="0.5"), 422, "invalid")
