"""The API sets and shows the on-hold status (waiting on a third party), staff only."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import PERSONAS, Desk

#: persona -> may change the status of the EMEA ticket (staff who see it: its office, leads, admins).
CHANGES_STATUS = {"agent", "lead", "admin"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_who_see_the_ticket_put_it_on_hold(desk: Desk, as_person: Any, persona: str) -> None:
    number = desk.eu_ticket.number
    response = as_person(persona).patch(f"/tickets/{number}", {"status": "on-hold"})
    desk.eu_ticket.refresh_from_db()
    if persona in CHANGES_STATUS:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "on-hold" == desk.eu_ticket.status
        listed = as_person(persona).get("/tickets", status="on-hold").json()
        assert [item["number"] for item in listed["items"]] == [number]
    else:
        assert response.status_code in (403, 404), response.content
        assert desk.eu_ticket.status == "new"


def test_a_misspelt_status_is_refused_with_the_field_named(desk: Desk, as_person: Any) -> None:
    response = as_person("lead").patch(f"/tickets/{desk.eu_ticket.number}", {"status": "on_hold"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["loc"][-1] == "status"
    desk.eu_ticket.refresh_from_db()
    assert desk.eu_ticket.status == "new"
