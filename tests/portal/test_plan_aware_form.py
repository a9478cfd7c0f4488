"""The request form knows the customer's plan: a plan that covers some request types only
(Starter, Scholarship: critical bugs and administrative tasks, C2) is told so before typing, with
where every other question goes (C12, C17-C20), all from the policy file; the types it cannot
send are not offered. Plans covering every type see the form as it always was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import default_policy_path
from policydesk.tickets.models import Deflection, Person, Ticket
from tests.conftest import Personas, new_customer, signed_in
from tests.portal.conftest import set_profile
from tests.portal.test_widget import open_widget, token_for


def customer_of(plan: str, email: str | None = None) -> Person:
    return new_customer(email or f"someone@{plan}.example", plan, "emea", organisation_name=f"{plan} org")


def scope_of(body: str) -> str:
    start = body.index('data-testid="plan-scope"')
    return body[start : body.index("</section>", start)]


def offered_topics(response: Any) -> set[str]:
    return {str(value) for value, _label in _flat(response.context["form"].fields["topic"].choices) if value}


def _flat(choices: Any) -> list[tuple[object, object]]:
    flat: list[tuple[object, object]] = []
    for value, label in choices:
        flat.extend(label if isinstance(label, list | tuple) else [(value, label)])
    return flat


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_starter_sees_what_the_plan_covers_before_the_form(db: None, lang: str) -> None:
    policy = get_policy()
    response = signed_in(customer_of("starter")).get("/tickets/new/", {"lang": lang})
    body = response.content.decode()
    assert body.index('data-testid="plan-scope"') < body.index('name="topic"')  # before typing
    scope = scope_of(body)
    starter = policy.plans["starter"]
    heading = {"en": "Where other questions go", "ja": "その他のお問い合わせ先"}[lang]
    assert heading in scope
    assert starter.name.get(lang) in scope and starter.availability.get(lang) in scope  # C2
    for covered in ("bug-report-critical", "service-task"):
        assert policy.request_types[covered].name.get(lang) in scope
    assert policy.routes["community"].text.get(lang) in scope and "https://community.example.com" in scope
    assert policy.routes["sales-starter"].text.get(lang) in scope  # C17
    assert policy.routes["feedback-form"].text.get(lang) in scope  # C18
    assert "https://help.example.com/free-plans" in scope  # C20
    # The types Starter cannot send are listed with their route, not offered in the select.
    assert policy.request_types["troubleshooting"].name.get(lang) in scope
    offered = offered_topics(response)
    assert offered & set(policy.request_types) == {"bug-report-critical", "service-task"}
    assert set(policy.out_of_scope) <= offered  # still sent, to be shown where they go


def test_scholarship_is_pointed_at_its_own_teams(db: None) -> None:
    scope = scope_of(signed_in(customer_of("scholarship")).get("/tickets/new/?lang=en").content.decode())
    assert "scholarship@example.com" in scope  # C17


@pytest.mark.parametrize("plan", ["plus", "growth", "enterprise", "premium"])
def test_plans_covering_every_type_see_the_form_as_before(db: None, plan: str) -> None:
    response = signed_in(customer_of(plan)).get("/tickets/new/")
    assert 'data-testid="plan-scope"' not in response.content.decode()
    assert set(get_policy().request_types) <= offered_topics(response)


def test_the_panel_follows_the_policy_file(db: None, tmp_path: Path) -> None:
    edited = default_policy_path().read_text(encoding="utf-8")
    edited = edited.replace(
        'request_types = ["bug-report-critical", "service-task"]\nhandled_by = "region"\n'
        'availability = { en = "Critical bugs',
        'request_types = ["bug-report-critical", "service-task", "troubleshooting"]\n'
        'handled_by = "region"\navailability = { en = "Critical bugs',
        1,
    ).replace("The Example Analytics Community is the best place", "Our forum is the place", 1)
    path = tmp_path / "policy.toml"
    path.write_text(edited, encoding="utf-8")
    with override_settings(POLICYDESK_POLICY=str(path)):
        response = signed_in(customer_of("starter")).get("/tickets/new/?lang=en")
        scope = scope_of(response.content.decode())
        assert "Our forum is the place" in scope and "Example Analytics Community" not in scope
        assert "troubleshooting" in offered_topics(response)


def test_a_type_not_offered_but_sent_anyway_is_deflected_with_its_text_kept(db: None) -> None:
    """A form loaded before a plan change (or made by hand) loses nothing (C2, C19)."""
    client = signed_in(customer_of("starter"))
    response = client.post(
        "/tickets/new/",
        {"topic": "troubleshooting", "priority": "normal", "subject": "Charts", "description": "Empty."},
    )
    deflection = Deflection.objects.get()
    assert response["Location"] == f"/deflected/{deflection.pk}/" and not Ticket.objects.exists()
    assert (deflection.route_kind, deflection.subject, deflection.text) == ("community", "Charts", "Empty.")


def test_an_unknown_topic_is_refused_with_what_was_typed(db: None) -> None:
    response = signed_in(customer_of("starter")).post(
        "/tickets/new/", {"topic": "nonsense", "priority": "normal", "subject": "Kept", "description": "Mine"}
    )
    body = response.content.decode()
    assert response.status_code == 400 and 'data-testid="topic-errors"' in body
    assert 'value="Kept"' in body and "Mine</textarea>" in body and not Deflection.objects.exists()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_widget_form_knows_the_plan_too(db: None, lang: str) -> None:
    set_profile(customer_of("starter", email="sue@starter.example"), language=lang)
    response = open_widget(Client(), token_for("sue@starter.example", "starter org"))
    body = response.content.decode()
    assert response.status_code == 200 and body.index('data-testid="plan-scope"') < body.index('name="topic"')
    assert get_policy().routes["community"].text.get(lang) in scope_of(body)
    assert "troubleshooting" not in offered_topics(response)


def test_the_widget_form_of_a_growth_customer_is_unchanged(personas: Personas) -> None:
    assert 'data-testid="plan-scope"' not in open_widget(Client(), token_for()).content.decode()
