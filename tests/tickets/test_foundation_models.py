"""Organisations, people and teams: the foundation actions and their audit events."""

from __future__ import annotations

import pytest
from django.db import IntegrityError

from policydesk.tickets import actions
from policydesk.tickets.demo import ORGANISATIONS, load_demo
from policydesk.tickets.models import AuditEvent, Organisation, Person
from tests.conftest import NOW, Personas


def test_c14_login_email_is_unique_whatever_its_case(personas: Personas) -> None:
    with pytest.raises(actions.ActionError, match="already has an account"):
        actions.do_create_person(email="Hanna@KUMO.example", password=None, role="customer", actor=None,
                                 now=NOW, organisation=personas.customer.organisation)  # fmt: skip


def test_c14_the_database_refuses_a_case_variant_too(personas: Personas) -> None:
    with pytest.raises(IntegrityError):
        Person.objects.create(email="HANNA@kumo.example")


def test_organisation_needs_a_plan_and_region_of_the_policy(db: None) -> None:
    with pytest.raises(actions.ActionError, match="unknown plan 'gold'"):
        actions.do_create_organisation(name="X", plan="gold", region="emea", actor=None, now=NOW)
    with pytest.raises(actions.ActionError, match="unknown region 'mars'"):
        actions.do_create_organisation(name="X", plan="growth", region="mars", actor=None, now=NOW)
    assert not Organisation.objects.exists()
    assert not AuditEvent.objects.exists()


def test_every_action_writes_one_audit_event(db: None) -> None:
    organisation = actions.do_create_organisation(
        name="Y", plan="premium", region="apac", actor=None, now=NOW
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.subject_id, event.at) == ("organisation.created", str(organisation.pk), NOW)


def test_customer_without_organisation_is_refused(db: None) -> None:
    with pytest.raises(actions.ActionError, match="belongs to an organisation"):
        actions.do_create_person(email="a@b.example", password=None, role="customer", actor=None, now=NOW)


def test_demo_data_loads_once_with_every_office_and_plan(db: None) -> None:
    logins = load_demo(NOW)
    again = load_demo(NOW)
    assert logins == again
    assert Organisation.objects.count() == len(ORGANISATIONS)
    assert set(Organisation.objects.values_list("plan", flat=True)) == {
        "starter", "scholarship", "plus", "growth", "enterprise", "premium"
    }  # fmt: skip
    offices = set(Person.objects.filter(role="agent").values_list("teams__office", flat=True))
    assert offices == {"us-west", "singapore", "central-europe"}
    assert Person.objects.get(email="lead@example.com").role == "lead"
