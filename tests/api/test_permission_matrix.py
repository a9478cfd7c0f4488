"""Every persona × every API endpoint: allowed or denied, and nothing leaks. A ticket a person
may not see is a 404, never a 403, so ticket numbers and attachment ids say nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.conftest import Desk

GLOBAL = ("list", "create", "triage", "policy", "openapi")
PER_TICKET = ("get", "messages", "reply", "attachments", "upload", "download", "patch", "merge", "metrics")

# Columns: GLOBAL | the EMEA Growth ticket (central-europe queue) | the Premium ticket (global queue).
# `metrics`: whoever sees a ticket sees its SLA metrics (a customer, those of her own tickets).
# `create` opens a ticket for hanna (`customer`): herself, or staff on her behalf (C14).
MATRIX = {
    "customer":           "200 201 200 200 200 | 200 200 201 200 201 200 403 403 200 | 404 404 404 404 404 404 404 404 404",  # noqa: E501
    "same_org_customer":  "200 403 200 200 200 | 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404",  # noqa: E501
    "other_org_customer": "200 403 200 200 200 | 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404",  # noqa: E501
    "premium_customer":   "200 403 200 200 200 | 404 404 404 404 404 404 404 404 404 | 200 200 201 200 201 200 403 403 200",  # noqa: E501
    "agent":              "200 201 200 200 200 | 200 200 201 200 201 200 200 400 200 | 404 404 404 404 404 404 404 404 404",  # noqa: E501
    "other_office_agent": "200 201 200 200 200 | 404 404 404 404 404 404 404 404 404 | 404 404 404 404 404 404 404 404 404",  # noqa: E501
    "premium_agent":      "200 201 200 200 200 | 404 404 404 404 404 404 404 404 404 | 200 200 201 200 201 200 200 400 200",  # noqa: E501
    "lead":               "200 201 200 200 200 | 200 200 201 200 201 200 200 400 200 | 200 200 201 200 201 200 200 400 200",  # noqa: E501
    "admin":              "200 201 200 200 200 | 200 200 201 200 201 200 200 400 200 | 200 200 201 200 201 200 200 400 200",  # noqa: E501
    None:                 "401 401 401 401 200 | 401 401 401 401 401 401 401 401 401 | 401 401 401 401 401 401 401 401 401",  # noqa: E501
}  # fmt: skip

# Which of the two tickets each persona's list shows.
LISTED = {
    "customer": {"eu"},
    "same_org_customer": set(),  # Kumo does not share tickets between its people
    "other_org_customer": set(),
    "premium_customer": {"premium"},
    "agent": {"eu"},
    "other_office_agent": set(),
    "premium_agent": {"premium"},  # on the Premium team: the global queue (C4, C9)
    "lead": {"eu", "premium"},
    "admin": {"eu", "premium"},
    None: set(),
}

TRIAGE = {
    "id": "r1",
    "plan": "growth",
    "region": "emea",
    "topic": "troubleshooting",
    "created_at": "2026-12-01T18:00:00+00:00",
}


def expected(persona: str | None) -> dict[str, int]:
    statuses = [int(cell) for cell in MATRIX[persona].replace("|", " ").split()]
    columns = [*GLOBAL, *(f"eu:{c}" for c in PER_TICKET), *(f"premium:{c}" for c in PER_TICKET)]
    assert len(statuses) == len(columns)
    return dict(zip(columns, statuses, strict=True))


def test_the_matrix_covers_every_persona() -> None:
    assert set(MATRIX) == set(LISTED)
    for persona in MATRIX:
        expected(persona)


@pytest.mark.parametrize("persona", list(MATRIX), ids=lambda p: p or "anonymous")
def test_permission_matrix(persona: str | None, desk: Desk, as_person: Any) -> None:
    api = as_person(persona)
    actual: dict[str, int] = {}
    listing = api.get("/tickets")
    actual["list"] = listing.status_code
    actual["create"] = api.post(
        "/tickets",
        {
            "topic": "troubleshooting",
            "subject": "Login loop",
            "text": "It keeps asking.",
            "requester_email": desk.personas.customer.email,
        },
    ).status_code
    actual["triage"] = api.post("/triage", TRIAGE).status_code
    actual["policy"] = api.get("/policy").status_code
    actual["openapi"] = api.get("/openapi.json").status_code
    found = api.get("/search", q="morning")  # both tickets' first message: "Since this morning."
    for label, ticket, attachment in (
        ("eu", desk.eu_ticket, desk.eu_attachment),
        ("premium", desk.premium_ticket, desk.premium_attachment),
    ):
        n = ticket.number
        actual[f"{label}:get"] = api.get(f"/tickets/{n}").status_code
        actual[f"{label}:messages"] = api.get(f"/tickets/{n}/messages").status_code
        actual[f"{label}:reply"] = api.post(f"/tickets/{n}/messages", {"text": "Any news?"}).status_code
        actual[f"{label}:attachments"] = api.get(f"/tickets/{n}/attachments").status_code
        actual[f"{label}:upload"] = api.upload(
            f"/tickets/{n}/attachments",
            {"file": SimpleUploadedFile("log.txt", b"trace", "text/plain"), "text": "The log"},
        ).status_code
        actual[f"{label}:download"] = api.get(f"/attachments/{attachment.pk}").status_code
        actual[f"{label}:patch"] = api.patch(f"/tickets/{n}", {"priority": "high"}).status_code
        # Into itself: refused by the action (400) for staff who may merge it, so nothing changes.
        actual[f"{label}:merge"] = api.post(f"/tickets/{n}/merge", {"into": n}).status_code
        actual[f"{label}:metrics"] = api.get(f"/tickets/{n}/metrics").status_code

    assert actual == expected(persona)
    assert found.status_code == (401 if persona is None else 200)  # search: everyone signed in
    if persona is not None:
        numbers = {item["number"] for item in listing.json()["items"]}
        listed = {
            {"eu": desk.eu_ticket.number, "premium": desk.premium_ticket.number}[label]
            for label in LISTED[persona]
        }
        assert numbers == listed
        assert {item["ticket"] for item in found.json()["items"]} == listed
        noted = {item["ticket"] for item in api.get("/search", q="old plan").json()["items"]}
        staff = persona in ("agent", "other_office_agent", "premium_agent", "lead", "admin")
        assert noted == (listed & {desk.eu_ticket.number} if staff else set())  # the note: staff only
