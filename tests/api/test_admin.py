"""The Django admin: people by email, creation through the actions, tokens shown once, a
read-only audit log. (The admin lives in tickets/admin.py; its tests sit with the tokens.)"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from policydesk.api.models import ApiToken
from policydesk.api.tokens import digest_of
from policydesk.tickets.models import AuditEvent, Organisation, Person, Team
from tests.api.conftest import Desk


@pytest.fixture
def admin_client_(desk: Desk) -> Client:
    client = Client()
    client.force_login(desk.personas.admin)
    return client


@pytest.mark.parametrize(
    "model", ["tickets/organisation", "tickets/person", "tickets/team", "api/apitoken", "tickets/auditevent"]
)
def test_admin_lists_and_forms_render(admin_client_: Client, desk: Desk, model: str) -> None:
    assert admin_client_.get(f"/admin/{model}/").status_code == 200
    add = admin_client_.get(f"/admin/{model}/add/")
    assert add.status_code == (403 if model.endswith("auditevent") else 200)


def test_non_staff_cannot_use_the_admin(desk: Desk) -> None:
    client = Client()
    client.force_login(desk.personas.customer)
    assert client.get("/admin/tickets/person/").status_code == 302  # to the admin's login


def test_admin_creates_a_person_by_email_through_the_action(admin_client_: Client, desk: Desk) -> None:
    kumo = Organisation.objects.get(name="Kumo")
    response = admin_client_.post(
        "/admin/tickets/person/add/",
        {
            "email": "Mia@Kumo.example",
            "name": "Mia",
            "role": "customer",
            "organisation": kumo.pk,
            "language": "ja",
            "time_zone": "Asia/Tokyo",
            "usable_password": "true",
            "password1": "a-long-passphrase-2026",
            "password2": "a-long-passphrase-2026",
        },
    )
    assert response.status_code == 302, response.content
    mia = Person.objects.get(email="mia@kumo.example")
    assert mia.check_password("a-long-passphrase-2026") and mia.organisation == kumo
    assert AuditEvent.objects.filter(action="person.created", subject_id=str(mia.pk)).exists()
    again = admin_client_.post(
        "/admin/tickets/person/add/",
        {
            "email": "MIA@kumo.example",
            "role": "customer",
            "organisation": kumo.pk,
            "usable_password": "false",
        },
    )
    assert again.status_code == 200 and "already has an account" in again.content.decode()  # C14


def test_admin_customer_needs_an_organisation(admin_client_: Client, desk: Desk) -> None:
    response = admin_client_.post(
        "/admin/tickets/person/add/",
        {"email": "x@example.com", "role": "customer", "usable_password": "false"},
    )
    assert response.status_code == 200 and not Person.objects.filter(email="x@example.com").exists()


def test_admin_organisation_plans_and_team_offices_come_from_the_policy(
    admin_client_: Client, desk: Desk
) -> None:
    bad = admin_client_.post(
        "/admin/tickets/organisation/add/", {"name": "Acme", "plan": "gold", "region": "emea"}
    )
    assert bad.status_code == 200 and not Organisation.objects.filter(name="Acme").exists()
    good = admin_client_.post(
        "/admin/tickets/organisation/add/", {"name": "Acme", "plan": "enterprise", "region": "apac"}
    )
    assert good.status_code == 302
    acme = Organisation.objects.get(name="Acme")
    assert AuditEvent.objects.filter(action="organisation.created", subject_id=str(acme.pk)).exists()
    team = admin_client_.post(
        "/admin/tickets/team/add/", {"name": "Singapore", "kind": "office", "office": "singapore"}
    )
    assert team.status_code == 302 and Team.objects.filter(name="Singapore", office="singapore").exists()


def test_admin_edit_is_audited(admin_client_: Client, desk: Desk) -> None:
    kumo = Organisation.objects.get(name="Kumo")
    response = admin_client_.post(
        f"/admin/tickets/organisation/{kumo.pk}/change/",
        {"name": "Kumo", "plan": "growth", "region": "emea", "shares_tickets": "on"},
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="organisation.changed")
    assert event.data == {"fields": ["shares_tickets"]} and event.actor == desk.personas.admin


def test_admin_mints_a_token_and_shows_it_once(admin_client_: Client, desk: Desk) -> None:
    response = admin_client_.post(
        "/admin/api/apitoken/add/", {"person": desk.personas.agent.pk, "name": "Zapier"}, follow=True
    )
    assert response.status_code == 200
    shown = [m.message for m in response.context["messages"]]
    secret = next(word for text in shown for word in text.split() if word.startswith("pd_"))
    token = ApiToken.objects.get(name="Zapier")
    assert token.digest == digest_of(secret) and token.person == desk.personas.agent
    page = admin_client_.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert secret not in page and token.digest not in page


def test_admin_revokes_tokens(admin_client_: Client, desk: Desk, as_person: Any) -> None:
    token = ApiToken.objects.get(digest=digest_of(desk.tokens["agent"]))
    response = admin_client_.post(
        "/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert as_person("agent").get("/tickets").status_code == 401


def test_audit_log_is_read_only(admin_client_: Client, desk: Desk) -> None:
    event = AuditEvent.objects.first()
    assert event is not None
    page = admin_client_.get(f"/admin/tickets/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert admin_client_.post(f"/admin/tickets/auditevent/{event.pk}/delete/").status_code == 403
