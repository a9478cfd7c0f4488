"""Every write in the Django admin is recorded once by the audit helper (issue 10): creations
through the actions, every other edit (change, password, delete, bulk delete, inlines) by
`AuditedAdmin`; an admin that can write and is not audited fails here."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from policydesk.tickets.admin_audit import AuditedAdmin
from policydesk.tickets.models import AuditEvent, Organisation, Person, Team
from policydesk.watch.models import OnCallWeek
from tests.conftest import Personas, signed_in


@pytest.fixture
def operator(personas: Personas) -> Client:
    return signed_in(personas.admin)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def only_event(action: str) -> tuple[Person | None, str, object]:
    """Who, on what and with which data: the one audit event of `action` (fails on none or two)."""
    [event] = events(action)
    return event.actor, event.subject_id, event.data


def test_every_admin_that_can_write_is_audited(personas: Personas) -> None:
    request = RequestFactory().get("/admin/")
    request.user = personas.admin  # a superuser: every permission the admin class allows
    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedAdmin)
        and (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
    ]
    assert unaudited == []


def test_an_organisation_deleted_in_the_admin_is_recorded(operator: Client, personas: Personas) -> None:
    acme = Organisation.objects.create(name="Acme", plan="growth", region="emea")
    response = operator.post(f"/admin/tickets/organisation/{acme.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Organisation.objects.filter(pk=acme.pk).exists()
    assert only_event("organisation.deleted") == (personas.admin, str(acme.pk), {"name": "Acme"})


def test_a_bulk_delete_records_each_row(operator: Client, personas: Personas) -> None:
    teams = [Team.objects.create(name=name, kind="office", office="us-west") for name in ("A", "B")]
    response = operator.post(
        "/admin/tickets/team/",
        {"action": "delete_selected", "_selected_action": [t.pk for t in teams], "post": "yes"},
    )
    assert response.status_code == 302 and not Team.objects.filter(name__in=["A", "B"]).exists()
    assert sorted(e.subject_id for e in events("team.deleted")) == sorted(str(t.pk) for t in teams)


def test_a_password_set_in_the_admin_is_recorded_without_the_password(
    operator: Client, personas: Personas
) -> None:
    customer = personas.customer
    response = operator.post(
        f"/admin/tickets/person/{customer.pk}/password/",
        {
            "set_usable_password": "true",
            "password1": "a-new-passphrase-2026",
            "password2": "a-new-passphrase-2026",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.check_password("a-new-passphrase-2026")
    assert only_event("person.changed") == (
        personas.admin,
        str(customer.pk),
        {"fields": ["password"]},
    )


def test_a_refused_password_change_records_nothing(operator: Client, personas: Personas) -> None:
    response = operator.post(
        f"/admin/tickets/person/{personas.customer.pk}/password/",
        {
            "set_usable_password": "true",
            "password1": "a-new-passphrase-2026",
            "password2": "another-one-2026",
        },
    )
    assert response.status_code == 200 and events("person.changed") == []


def test_the_on_call_rota_edited_in_the_admin_is_recorded_with_who_is_paged(
    operator: Client, personas: Personas
) -> None:
    rota = {
        "week_start": "2026-12-07",
        "shifts-TOTAL_FORMS": "2", "shifts-INITIAL_FORMS": "0", "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "1000",
        "shifts-0-person": personas.premium_agent.pk, "shifts-0-order": "0",
        "shifts-1-person": personas.agent.pk, "shifts-1-order": "1",
    }  # fmt: skip
    assert operator.post("/admin/watch/oncallweek/add/", rota).status_code == 302
    week = OnCallWeek.objects.get(week_start=date(2026, 12, 7))
    assert only_event("oncallweek.created") == (
        personas.admin,
        str(week.pk),
        {
            "fields": ["shifts", "week_start"],
            "week_start": "2026-12-07",
            "on_call": [personas.premium_agent.email, personas.agent.email],
        },
    )

    shifts = list(week.shifts.order_by("order"))
    swap = {
        "week_start": "2026-12-07",
        "shifts-TOTAL_FORMS": "2", "shifts-INITIAL_FORMS": "2", "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "1000",
        "shifts-0-id": shifts[0].pk, "shifts-0-week": week.pk, "shifts-0-person": personas.premium_agent.pk,
        "shifts-0-order": "1",
        "shifts-1-id": shifts[1].pk, "shifts-1-week": week.pk, "shifts-1-person": personas.agent.pk,
        "shifts-1-order": "0",
    }  # fmt: skip
    assert operator.post(f"/admin/watch/oncallweek/{week.pk}/change/", swap).status_code == 302
    [changed] = events("oncallweek.changed")
    assert changed.data == {
        "fields": ["shifts"],
        "week_start": "2026-12-07",
        "on_call": [personas.agent.email, personas.premium_agent.email],
    }


def test_a_group_edit_is_recorded(operator: Client, personas: Personas) -> None:
    response = operator.post("/admin/auth/group/add/", {"name": "Auditors"})
    assert response.status_code == 302
    group = Group.objects.get(name="Auditors")
    assert only_event("group.created") == (
        personas.admin,
        str(group.pk),
        {"fields": ["name"]},
    )


def test_a_creation_through_an_action_is_recorded_once(operator: Client, personas: Personas) -> None:
    response = operator.post(
        "/admin/tickets/team/add/", {"name": "Singapore", "kind": "office", "office": "singapore"}
    )
    assert response.status_code == 302
    team = Team.objects.get(name="Singapore")
    assert [e.action for e in AuditEvent.objects.filter(subject_type="team", subject_id=str(team.pk))] == [
        "team.created"
    ]
