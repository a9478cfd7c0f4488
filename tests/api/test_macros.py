"""The macros endpoints: the persona matrix (an agent cannot apply a macro to a ticket outside
their queues; a customer cannot use macros at all), what applying returns, and the OpenAPI."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.macros.actions import MacroFields, do_save_macro
from policydesk.macros.models import Macro
from policydesk.tickets.models import AuditEvent, Team
from tests.api.conftest import Desk
from tests.conftest import NOW


@pytest.fixture
def shared(desk: Desk) -> Macro:
    fields = MacroFields(
        title="Ask for a trace", scope="shared", set_priority="high", add_tags=("billing",),
        remove_tags=("new",),
        text_en="Hello {{ requester.first_name }}, #{{ ticket.number }}: "
        "{{ organisation.account_executive }}",
    )  # fmt: skip
    return do_save_macro(macro=None, fields=fields, actor=desk.personas.lead, now=NOW)


# Columns: list | apply to the EMEA Growth ticket | apply to the Premium ticket.
MATRIX = {
    "customer":           "403 403 404",
    "same_org_customer":  "403 404 404",
    "other_org_customer": "403 404 404",
    "premium_customer":   "403 404 403",
    "agent":              "200 200 404",
    "other_office_agent": "200 404 404",
    "premium_agent":      "200 404 200",
    "lead":               "200 200 200",
    "admin":              "200 200 200",
    None:                 "401 401 401",
}  # fmt: skip


@pytest.mark.parametrize("persona", list(MATRIX), ids=lambda p: p or "anonymous")
def test_permission_matrix(persona: str | None, desk: Desk, as_person: Any, shared: Macro) -> None:
    api = as_person(persona)
    listing = api.get("/macros")
    eu = api.post(f"/tickets/{desk.eu_ticket.number}/macros/{shared.pk}/apply")
    premium = api.post(f"/tickets/{desk.premium_ticket.number}/macros/{shared.pk}/apply")
    assert [listing.status_code, eu.status_code, premium.status_code] == [
        int(s) for s in MATRIX[persona].split()
    ]
    applied = sum(1 for response in (eu, premium) if response.status_code == 200)
    assert Macro.objects.get(pk=shared.pk).usage_count == applied
    if listing.status_code == 200:
        assert listing.json() == [
            {"id": shared.pk, "title": "Ask for a trace", "scope": "shared", "team": None,
             "usage_count": 0, "add_tags": ["billing"], "remove_tags": ["new"]}
        ]  # fmt: skip


def test_apply_returns_the_text_the_missing_placeholders_and_the_changes(
    desk: Desk, as_person: Any, shared: Macro
) -> None:
    response = as_person("agent").post(f"/tickets/{desk.eu_ticket.number}/macros/{shared.pk}/apply")
    body = response.json()
    number = desk.eu_ticket.number
    assert body == {
        "ticket": number,
        "text": f"Hello {{{{ requester.first_name }}}}, #{number}: {{{{ organisation.account_executive }}}}",
        "language": "en",
        "missing": ["requester.first_name", "organisation.account_executive"],
        "changes": ["priority", "tags"],
    }
    desk.eu_ticket.refresh_from_db()
    assert desk.eu_ticket.priority == "high"
    assert AuditEvent.objects.filter(action="ticket.priority", actor=desk.personas.agent).count() == 1


def test_a_macro_the_caller_may_not_use_is_not_found(desk: Desk, as_person: Any) -> None:
    team = Team.objects.get(name="US West office")
    fields = MacroFields(title="US only", scope="team", team=team, text_en="Hi")
    us_only = do_save_macro(macro=None, fields=fields, actor=desk.personas.lead, now=NOW)
    api = as_person("agent")
    assert api.get("/macros").json() == []
    assert api.post(f"/tickets/{desk.eu_ticket.number}/macros/{us_only.pk}/apply").status_code == 404
    assert api.post(f"/tickets/{desk.eu_ticket.number}/macros/999999/apply").status_code == 404


def test_a_refused_change_is_a_400_and_changes_nothing(desk: Desk, as_person: Any) -> None:
    fields = MacroFields(
        title="Hand to Ava", set_assignee=desk.personas.other_office_agent, set_priority="high", text_en="Hi"
    )
    macro = do_save_macro(macro=None, fields=fields, actor=desk.personas.agent, now=NOW)
    response = as_person("agent").post(f"/tickets/{desk.eu_ticket.number}/macros/{macro.pk}/apply")
    assert response.status_code == 400 and "error" in response.json()
    desk.eu_ticket.refresh_from_db()
    assert desk.eu_ticket.priority != "high"


def test_the_macro_endpoints_are_in_the_openapi_document(as_person: Any) -> None:
    paths = as_person(None).get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/macros"]
    assert "post" in paths["/api/v1/tickets/{number}/macros/{macro_id}/apply"]
