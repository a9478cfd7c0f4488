"""Outside copies through the API (issue 13): every persona × add and remove on the two tickets,
with the policy allowing them and with the seed policy (refused with the reason), the OpenAPI
document, and hostile addresses refused with a clear error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import OutsideCopy, Ticket
from tests.api.conftest import PERSONAS, Desk
from tests.conftest import NOW

# persona -> (the EMEA Growth ticket, the Premium ticket): the status of adding an outside copy
# (and removing it) with the policy allowing them. Only the requester and staff who answer it.
MATRIX: dict[str | None, tuple[int, int]] = {
    "customer": (200, 404),
    "same_org_customer": (404, 404),  # cannot see hanna's ticket, let alone copy someone on it
    "other_org_customer": (404, 404),  # a customer cannot CC someone into another organisation's ticket
    "premium_customer": (404, 200),
    "agent": (200, 404),
    "other_office_agent": (404, 404),  # outside their queues
    "premium_agent": (404, 200),
    "lead": (200, 200),
    "admin": (200, 200),
    None: (401, 401),
}


def test_the_matrix_covers_every_persona() -> None:
    assert set(MATRIX) == {*PERSONAS, None}


def copies(ticket: Ticket) -> list[str]:
    return list(OutsideCopy.objects.filter(ticket=ticket).values_list("address", flat=True))


def delete(api: Any, path: str) -> Any:
    return api.client.delete("/api/v1" + path, headers=api.headers)


@pytest.mark.parametrize("persona", list(MATRIX), ids=lambda p: p or "anonymous")
def test_outside_copy_permission_matrix(
    persona: str | None, desk: Desk, as_person: Any, allow_outside_copies: Callable[..., None]
) -> None:
    allow_outside_copies()
    api = as_person(persona)
    for ticket, expected in zip((desk.eu_ticket, desk.premium_ticket), MATRIX[persona], strict=True):
        added = api.post(f"/tickets/{ticket.number}/outside-copies", {"address": "Ext@Partner.example"})
        assert added.status_code == expected, added.content
        if expected == 200:
            assert added.json()["outside_copies"] == ["ext@partner.example"]
            assert copies(ticket) == ["ext@partner.example"]
        else:
            assert copies(ticket) == []
            actions.do_add_outside_copy(
                ticket=ticket, address="ext@partner.example", actor=desk.personas.admin, now=NOW
            )
        removed = delete(api, f"/tickets/{ticket.number}/outside-copies/ext@partner.example")
        assert removed.status_code == expected
        assert copies(ticket) == ([] if expected == 200 else ["ext@partner.example"])


def test_a_copied_colleague_sees_the_copies_but_cannot_change_them(
    desk: Desk, as_person: Any, allow_outside_copies: Callable[..., None]
) -> None:
    allow_outside_copies()
    ticket = desk.eu_ticket
    actions.do_add_participant(
        ticket=ticket, participant=desk.personas.same_org_customer, actor=desk.personas.customer, now=NOW
    )
    actions.do_add_outside_copy(
        ticket=ticket, address="ext@partner.example", actor=desk.personas.agent, now=NOW
    )
    felix = as_person("same_org_customer")
    assert felix.get(f"/tickets/{ticket.number}").json()["outside_copies"] == ["ext@partner.example"]
    refused = felix.post(f"/tickets/{ticket.number}/outside-copies", {"address": "b@partner.example"})
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "Only the requester or support staff may do this."
    assert delete(felix, f"/tickets/{ticket.number}/outside-copies/ext@partner.example").status_code == 403
    assert copies(ticket) == ["ext@partner.example"]


@pytest.mark.parametrize("persona", ["customer", "agent", "lead"])
def test_the_seed_policy_refuses_outside_copies_with_the_reason(
    persona: str, desk: Desk, as_person: Any
) -> None:
    refused = as_person(persona).post(
        f"/tickets/{desk.eu_ticket.number}/outside-copies", {"address": "ext@partner.example"}
    )
    assert refused.status_code == 400
    assert "does not allow copying addresses outside" in refused.json()["error"]["message"]
    assert copies(desk.eu_ticket) == []


@pytest.mark.parametrize(
    ("address", "status", "says"),
    [
        ("ext@partner.example\r\nBcc: all@victim.example", 400, "is not one email address"),
        ("a@partner.example, b@partner.example", 400, "is not one email address"),
        ("not an address", 400, "is not one email address"),
        ("nobody@", 400, "is not a valid email address"),
        ("x" * 300 + "@partner.example", 422, ""),  # past the schema's 254 characters
    ],
)
def test_hostile_addresses_get_a_clear_error_and_change_nothing(
    address: str,
    status: int,
    says: str,
    desk: Desk,
    as_person: Any,
    allow_outside_copies: Callable[..., None],
) -> None:
    allow_outside_copies()
    refused = as_person("customer").post(
        f"/tickets/{desk.eu_ticket.number}/outside-copies", {"address": address}
    )
    assert refused.status_code == status
    assert says in refused.json()["error"]["message"]
    assert copies(desk.eu_ticket) == []


def test_the_endpoints_are_in_the_openapi_document(desk: Desk, as_person: Any) -> None:
    document = as_person("lead").get("/openapi.json").json()
    paths = document["paths"]
    assert set(paths["/api/v1/tickets/{number}/outside-copies"]) == {"post"}
    assert set(paths["/api/v1/tickets/{number}/outside-copies/{address}"]) == {"delete"}
    ticket = document["components"]["schemas"]["TicketOut"]
    assert "outside_copies" in ticket["properties"]


# persona -> the status of copying Felix (hanna's colleague) on hanna's ticket through the API.
COPY_A_COLLEAGUE: dict[str | None, int] = {
    "customer": 200,
    "same_org_customer": 404,
    "other_org_customer": 404,  # a customer cannot CC someone into another organisation's ticket
    "premium_customer": 404,
    "agent": 200,
    "other_office_agent": 404,
    "premium_agent": 404,
    "lead": 200,
    "admin": 200,
    None: 401,
}


@pytest.mark.parametrize("persona", list(COPY_A_COLLEAGUE), ids=lambda p: p or "anonymous")
def test_who_may_copy_a_colleague_through_the_api(persona: str | None, desk: Desk, as_person: Any) -> None:
    assert set(COPY_A_COLLEAGUE) == {*PERSONAS, None}
    number = desk.eu_ticket.number
    added = as_person(persona).post(f"/tickets/{number}/participants", {"email": "felix@kumo.example"})
    assert added.status_code == COPY_A_COLLEAGUE[persona]
    copied = list(desk.eu_ticket.participants.values_list("email", flat=True))
    assert copied == (["felix@kumo.example"] if added.status_code == 200 else [])
