"""The status page over the API: public reads, staff writes (C16)."""

from __future__ import annotations

import pytest
from ninja.testing import TestClient

from policydesk.api import errors
from policydesk.api.auth import BearerToken, StaffSession
from policydesk.api.tokens import do_create_api_token
from policydesk.status import api as status_api
from policydesk.status.models import Component, Incident, IncidentTicket
from policydesk.tickets.models import Person
from tests.conftest import NOW, Personas
from tests.status.conftest import enqueued, open_incident, p0_ticket


@pytest.fixture
def client() -> TestClient:
    """The router mounted as the v1 API mounts its routers: default auth, the desk's error bodies."""
    api = errors.DeskNinjaAPI(urls_namespace="status-api-test", auth=[BearerToken(), StaffSession()])
    errors.install(api)
    api.add_router("", status_api.router)
    return TestClient(api)


def bearer(person: Person) -> dict[str, str]:
    token = do_create_api_token(person=person, name="status tests", actor=person, now=NOW)
    return {"Authorization": f"Bearer {token.secret}"}


INCIDENT = {"title": "Exports are slow", "severity": "minor", "components": ["api"], "body": "Investigating."}


def test_anyone_reads_components_and_current_incidents(
    client: TestClient, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    response = client.get("/status")
    assert response.status_code == 200
    body = response.json()
    states = {c["slug"]: c["state"] for c in body["components"]}
    assert states == {"dashboards": "major-outage", "sign-in": "operational", "api": "operational"}
    assert [i["id"] for i in body["incidents"]] == [incident.pk]
    assert body["incidents"][0]["url"] == f"https://support.example.com/status/incidents/{incident.pk}/"
    assert client.get(f"/status/incidents/{incident.pk}").json()["updates"][0]["body"].startswith("We are")
    assert client.get("/status/incidents/999").status_code == 404


@pytest.mark.parametrize("name", ["agent", "lead", "admin"])
def test_staff_open_an_incident_with_a_token(
    client: TestClient, personas: Personas, components: dict[str, Component], name: str
) -> None:
    response = client.post("/status/incidents", json=INCIDENT, headers=bearer(getattr(personas, name)))
    assert response.status_code == 201, response.json()
    created = Incident.objects.get()
    assert response.json()["components"] == ["api"] and created.created_by == getattr(personas, name)
    assert len(enqueued("fan_out_update")) == 1


@pytest.mark.parametrize("name", ["customer", "other_org_customer"])
def test_customers_cannot_post_to_the_status_page(
    client: TestClient, personas: Personas, components: dict[str, Component], name: str
) -> None:
    response = client.post("/status/incidents", json=INCIDENT, headers=bearer(getattr(personas, name)))
    assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"
    assert not Incident.objects.exists()


def test_writing_without_a_token_is_401(client: TestClient, db: None) -> None:
    response = client.post("/status/incidents", json=INCIDENT)
    assert response.status_code == 401
    assert not Incident.objects.exists()


def test_unknown_component_is_named_in_the_error(
    client: TestClient, personas: Personas, components: dict[str, Component]
) -> None:
    response = client.post(
        "/status/incidents",
        json={**INCIDENT, "components": ["api", "warp-drive"]},
        headers=bearer(personas.agent),
    )
    assert response.status_code == 422
    assert "warp-drive" in response.json()["error"]["message"]


def test_staff_post_an_update_and_link_a_p0_ticket(
    client: TestClient, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)
    headers = bearer(personas.lead)
    response = client.post(
        f"/status/incidents/{incident.pk}/updates",
        json={"state": "monitoring", "body": "A fix is deployed.", "severity": "major"},
        headers=headers,
    )
    assert response.status_code == 201
    assert (response.json()["state"], response.json()["severity"]) == ("monitoring", "major")
    response = client.post(
        f"/status/incidents/{incident.pk}/tickets", json={"ticket": ticket.number}, headers=headers
    )
    assert response.status_code == 201 and IncidentTicket.objects.filter(ticket=ticket).exists()


def test_reopening_a_resolved_incident_is_refused(
    client: TestClient, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    headers = bearer(personas.agent)
    client.post(
        f"/status/incidents/{incident.pk}/updates",
        json={"state": "resolved", "body": "Fixed."},
        headers=headers,
    )
    response = client.post(
        f"/status/incidents/{incident.pk}/updates",
        json={"state": "identified", "body": "Hm."},
        headers=headers,
    )
    assert response.status_code == 400


def test_linking_a_ticket_the_agent_cannot_see_is_404(
    client: TestClient, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)
    response = client.post(
        f"/status/incidents/{incident.pk}/tickets",
        json={"ticket": ticket.number},
        headers=bearer(personas.other_office_agent),
    )
    assert response.status_code == 404 and not IncidentTicket.objects.exists()
