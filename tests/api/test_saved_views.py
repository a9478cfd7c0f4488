"""Saved views through the API: the same views as the console's sidebar (own and shared), saved
and deleted under the console's rules, for every persona; in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from policydesk.tickets.actions import do_save_view
from policydesk.tickets.models import AuditEvent, SavedView
from tests.api.conftest import API, Desk
from tests.conftest import NOW


@pytest.fixture
def views(desk: Desk) -> dict[str, SavedView]:
    personas = desk.personas
    return {
        "shared": do_save_view(
            owner=personas.lead, name="Billing, all", queue="central-europe", query="tag=billing&status=all",
            shared=True, now=NOW,
        ),
        "jonas": do_save_view(
            owner=personas.agent, name="My high", queue="central-europe", query="priority=high",
            shared=False, now=NOW,
        ),
    }  # fmt: skip


def delete(desk: Desk, persona: str | None, view_id: int) -> Any:
    headers = {"Authorization": f"Bearer {desk.tokens[persona]}"} if persona else {}
    return Client().delete(f"{API}/views/{view_id}", headers=headers)


# Columns: list | save a view of central-europe | delete Jonas's own view | delete the lead's shared view.
# Another's personal view is not found (404); a shared view is seen by all staff, deleted by leads.
MATRIX = {
    "customer":           "403 403 403 403",
    "same_org_customer":  "403 403 403 403",
    "other_org_customer": "403 403 403 403",
    "premium_customer":   "403 403 403 403",
    "agent":              "200 201 204 403",
    "other_office_agent": "200 422 404 403",
    "premium_agent":      "200 422 404 403",
    "lead":               "200 201 404 204",
    "admin":              "200 201 404 204",
    None:                 "401 401 401 401",
}  # fmt: skip

LISTED = {"agent": ["Billing, all", "My high"]}


@pytest.mark.parametrize("persona", list(MATRIX), ids=lambda p: p or "anonymous")
def test_permission_matrix(
    persona: str | None, desk: Desk, as_person: Any, views: dict[str, SavedView]
) -> None:
    api = as_person(persona)
    listing = api.get("/views")
    saved = api.post("/views", {"name": "Mine", "queue": "central-europe", "filters": {"status": "all"}})
    own = delete(desk, persona, views["jonas"].pk)
    shared = delete(desk, persona, views["shared"].pk)
    actual = [listing.status_code, saved.status_code, own.status_code, shared.status_code]
    assert actual == [int(s) for s in MATRIX[persona].split()]
    if listing.status_code == 200:
        names = [view["name"] for view in listing.json()]
        assert names == LISTED.get(persona or "", ["Billing, all"])
    assert SavedView.objects.filter(pk=views["jonas"].pk).exists() == (own.status_code != 204)
    assert SavedView.objects.filter(pk=views["shared"].pk).exists() == (shared.status_code != 204)


def test_a_view_reads_with_its_filters_and_console_address(
    desk: Desk, as_person: Any, views: dict[str, SavedView]
) -> None:
    listed = as_person("agent").get("/views").json()
    assert listed[0] == {
        "id": views["shared"].pk, "name": "Billing, all", "queue": "central-europe",
        "filters": {"tag": "billing", "status": "all"}, "shared": True, "owner": desk.personas.lead.email,
        "url": "/console/queues/central-europe/?status=all&tag=billing",
    }  # fmt: skip


def test_saving_keeps_only_the_queue_filters_and_only_leads_share(desk: Desk, as_person: Any) -> None:
    body = {"name": "Old", "queue": "central-europe", "filters": {"status": "all", "after": "x", "evil": "1"}}
    saved = as_person("agent").post("/views", body)
    assert saved.status_code == 201 and saved.json()["filters"] == {"status": "all"}
    assert AuditEvent.objects.filter(action="view.saved", actor=desk.personas.agent).count() == 1
    refused = as_person("agent").post("/views", {**body, "name": "Team", "shared": True})
    assert refused.status_code == 400 and not SavedView.objects.filter(name="Team").exists()
    shared = as_person("lead").post("/views", {**body, "name": "Team", "shared": True})
    assert shared.status_code == 201 and shared.json()["shared"] is True


@pytest.mark.parametrize(
    "body",
    [{"name": "", "queue": "central-europe"}, {"name": "x" * 81, "queue": "central-europe"},
     {"name": "Nowhere", "queue": "no-such-queue"}, {"name": "Bad", "queue": "central-europe", "filters": []},
     ["not", "an", "object"]],
)  # fmt: skip
def test_bad_input_is_refused_and_nothing_saved(as_person: Any, body: Any) -> None:
    assert as_person("agent").post("/views", body).status_code == 422
    assert not SavedView.objects.exists()


def test_the_saved_view_endpoints_are_in_the_openapi_document(as_person: Any) -> None:
    paths = as_person(None).get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/views"])
    assert "delete" in paths["/api/v1/views/{view_id}"]
