"""Engineering's status console (/status/manage/): staff only, CSRF, every write an action."""

from __future__ import annotations

import pytest
from django.test import Client

from policydesk.status.models import Component, Incident, IncidentTicket
from policydesk.tickets.models import AuditEvent, Message
from tests.conftest import Personas, signed_in
from tests.status.conftest import enqueued, open_incident, p0_ticket

STAFF = ("agent", "other_office_agent", "premium_agent", "lead", "admin")
CUSTOMERS = ("customer", "same_org_customer", "other_org_customer")

NEW_INCIDENT = {
    "title": "API errors",
    "title_ja": "APIエラー",
    "severity": "major",
    "state": "investigating",
    "body": "Some API calls fail with 503.",
    "body_ja": "",
}


@pytest.mark.parametrize("name", STAFF)
def test_staff_see_the_management_page(
    personas: Personas, components: dict[str, Component], name: str
) -> None:
    response = signed_in(getattr(personas, name)).get("/status/manage/")
    assert response.status_code == 200
    assert 'data-testid="incident-form"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", CUSTOMERS)
def test_customers_get_404_on_the_management_page(personas: Personas, name: str) -> None:
    client = signed_in(getattr(personas, name))
    assert client.get("/status/manage/").status_code == 404
    response = client.post("/status/manage/incidents/", {**NEW_INCIDENT})
    assert response.status_code == 404
    assert not Incident.objects.exists()


def test_anonymous_people_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/status/manage/")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")
    client.post("/status/manage/incidents/", {**NEW_INCIDENT})
    assert not Incident.objects.exists()


def test_agent_opens_an_incident_with_audit_event_and_email_task(
    personas: Personas, components: dict[str, Component]
) -> None:
    client = signed_in(personas.agent)
    response = client.post(
        "/status/manage/incidents/", {**NEW_INCIDENT, "components": [components["api"].pk]}, follow=True
    )
    incident = Incident.objects.get()
    assert (incident.title, incident.title_ja, incident.severity, incident.state) == (
        "API errors",
        "APIエラー",
        "major",
        "investigating",
    )
    assert list(incident.components.all()) == [components["api"]]
    assert incident.updates.get().body == "Some API calls fail with 503."
    assert incident.created_by == personas.agent
    assert AuditEvent.objects.filter(action="incident.opened", subject_id=str(incident.pk)).exists()
    assert len(enqueued("fan_out_update")) == 1
    assert "Incident published: API errors" in response.content.decode()


def test_management_forms_need_a_csrf_token(personas: Personas) -> None:
    client = signed_in(personas.lead, enforce_csrf_checks=True)
    assert client.post("/status/manage/incidents/", {**NEW_INCIDENT}).status_code == 403
    assert not Incident.objects.exists()


def test_invalid_incident_form_says_why_and_creates_nothing(personas: Personas) -> None:
    response = signed_in(personas.agent).post(
        "/status/manage/incidents/", {**NEW_INCIDENT, "title": "", "severity": "apocalyptic"}, follow=True
    )
    assert not Incident.objects.exists()
    assert response.content.decode().count('data-level="error"') == 2


def test_posting_an_update_moves_the_state(personas: Personas, components: dict[str, Component]) -> None:
    incident = open_incident(personas, components)
    response = signed_in(personas.lead).post(
        f"/status/manage/incidents/{incident.pk}/updates/",
        {
            f"u{incident.pk}-state": "resolved",
            f"u{incident.pk}-body": "All good again.",
            f"u{incident.pk}-severity": "",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.resolved_at is not None
    assert incident.severity == "critical"  # unchanged
    assert incident.updates.count() == 2


def test_resolved_incident_is_not_reopened(personas: Personas, components: dict[str, Component]) -> None:
    incident = open_incident(personas, components)
    client = signed_in(personas.agent)
    prefix = f"u{incident.pk}"
    client.post(
        f"/status/manage/incidents/{incident.pk}/updates/",
        {f"{prefix}-state": "resolved", f"{prefix}-body": "Fixed."},
    )
    response = client.post(
        f"/status/manage/incidents/{incident.pk}/updates/",
        {f"{prefix}-state": "investigating", f"{prefix}-body": "Back?"},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.state == "resolved" and incident.updates.count() == 2
    assert "open a new one" in response.content.decode()


def test_staff_add_a_component(personas: Personas) -> None:
    signed_in(personas.admin).post(
        "/status/manage/components/",
        {"slug": "exports", "name": "Exports", "name_ja": "エクスポート", "position": "4"},
    )
    component = Component.objects.get()
    assert (component.slug, component.name_ja, component.position) == ("exports", "エクスポート", 4)
    response = signed_in(personas.admin).post(
        "/status/manage/components/", {"slug": "exports", "name": "Again"}, follow=True
    )
    assert Component.objects.count() == 1 and "exists already" in response.content.decode()


# -- P0 tickets linked to an incident (C16) --------------------------------------------


def test_linking_a_p0_ticket_tells_its_customer_where_updates_appear(
    personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)
    response = signed_in(personas.agent).post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number}, follow=True
    )
    assert "is linked" in response.content.decode()
    link = IncidentTicket.objects.get()
    assert (link.incident, link.ticket, link.linked_by) == (incident, ticket, personas.agent)
    message = ticket.messages.filter(kind=Message.Kind.PUBLIC, author=personas.agent).get()
    assert f"https://support.example.com/status/incidents/{incident.pk}/" in message.text
    assert "Dashboards do not load" in message.text
    assert AuditEvent.objects.filter(action="incident.ticket_linked", data__ticket=ticket.number).exists()
    # The customer sees it on their ticket.
    page = signed_in(personas.customer).get(f"/tickets/{ticket.number}/")
    assert f"/status/incidents/{incident.pk}/" in page.content.decode()


def test_linking_a_ticket_of_japanese_language_uses_the_japanese_title(
    personas: Personas, components: dict[str, Component]
) -> None:
    from policydesk.tickets.models import Ticket

    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)
    Ticket.objects.filter(pk=ticket.pk).update(language="ja")
    signed_in(personas.agent).post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number}
    )
    assert "ダッシュボードが表示されない" in ticket.messages.get(author=personas.agent).text


def test_only_p0_tickets_are_linked(personas: Personas, components: dict[str, Component]) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas, priority="high")
    response = signed_in(personas.agent).post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number}, follow=True
    )
    assert not IncidentTicket.objects.exists()
    assert ticket.messages.count() == 1  # only the customer's own
    assert "Only critical (P0) tickets" in response.content.decode()


def test_an_agent_cannot_link_a_ticket_outside_their_queues(
    personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)  # central-europe queue
    signed_in(personas.other_office_agent).post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number}
    )
    assert not IncidentTicket.objects.exists() and ticket.messages.count() == 1


def test_a_ticket_in_another_office_gets_the_same_answer_as_a_missing_number(
    personas: Personas, components: dict[str, Component]
) -> None:
    """Issue 9 (10): the link form must not tell an agent which ticket numbers exist in other
    offices; what the agent may see is tickets/access.py's rule."""
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)  # central-europe queue, not the other office's agent's
    unused_number = ticket.number + 1000
    client = signed_in(personas.other_office_agent)
    url = f"/status/manage/incidents/{incident.pk}/tickets/"

    def answer(number: int) -> tuple[int, list[str]]:
        response = client.post(url, {"number": number}, follow=True)
        said = [str(m).replace(f"#{number}", "#N") for m in response.context["messages"]]
        return response.status_code, said

    assert answer(ticket.number) == answer(unused_number) == (200, ["There is no ticket #N."])
    assert not IncidentTicket.objects.exists() and ticket.messages.count() == 1


def test_a_ticket_is_linked_once(personas: Personas, components: dict[str, Component]) -> None:
    incident = open_incident(personas, components)
    ticket = p0_ticket(personas)
    client = signed_in(personas.lead)
    client.post(f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number})
    response = client.post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": ticket.number}, follow=True
    )
    assert IncidentTicket.objects.count() == 1 and ticket.messages.count() == 2
    assert "already linked" in response.content.decode()


def test_linking_an_unknown_ticket_number_says_so(
    personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    response = signed_in(personas.lead).post(
        f"/status/manage/incidents/{incident.pk}/tickets/", {"number": 4242}, follow=True
    )
    assert "There is no ticket #4242" in response.content.decode()


def test_management_page_lists_open_incidents_with_their_forms(
    personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    html = signed_in(personas.agent).get("/status/manage/").content.decode()
    assert (
        f'data-testid="update-form-{incident.pk}"' in html
        and f'data-testid="link-form-{incident.pk}"' in html
    )


def test_linking_a_closed_ticket_is_refused_and_leaves_no_link(
    personas: Personas, components: dict[str, Component]
) -> None:
    from django.utils import timezone

    from policydesk.status import actions
    from policydesk.tickets.actions import ActionError, do_set_status

    incident = open_incident(personas, components)
    ticket = do_set_status(
        ticket=p0_ticket(personas), status="closed", actor=personas.lead, now=timezone.now()
    )
    with pytest.raises(ActionError):
        actions.do_link_ticket(incident=incident, ticket=ticket, actor=personas.lead, now=timezone.now())
    assert not IncidentTicket.objects.exists()
    assert not AuditEvent.objects.filter(action="incident.ticket_linked").exists()
