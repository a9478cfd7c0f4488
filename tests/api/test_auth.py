"""Who may call the API: live tokens of active people, and staff sessions with CSRF."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from policydesk.api.models import ApiToken
from policydesk.api.tokens import (
    SHOWN_PREFIX_LENGTH,
    digest_of,
    do_create_api_token,
    do_revoke_api_token,
    person_for_token,
)
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent
from tests.api.conftest import API, Api, Desk
from tests.conftest import NOW


def test_only_the_digest_is_stored(desk: Desk) -> None:
    minted = do_create_api_token(person=desk.personas.agent, name="CRM sync", actor=None, now=NOW)
    assert minted.secret.startswith("pd_") and len(minted.secret) > 40
    row = ApiToken.objects.get(pk=minted.token.pk)
    assert row.digest == digest_of(minted.secret) and minted.secret not in (row.digest, row.prefix)
    assert row.prefix == minted.secret[:SHOWN_PREFIX_LENGTH]
    assert AuditEvent.objects.filter(action="apitoken.created", subject_id=str(row.pk)).exists()


def test_a_token_needs_a_name(desk: Desk) -> None:
    with pytest.raises(ActionError):
        do_create_api_token(person=desk.personas.agent, name=" ", actor=None, now=NOW)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer pd_not-a-real-token",
        "Bearer ",
        "Bearer nope",
        "Bearer " + "pd_" + "x" * 500,
        "Basic aGFubmE6cHc=",
    ],
)
def test_bad_credentials_are_401_with_the_error_body(desk: Desk, header: str) -> None:
    response = Client().get(f"{API}/tickets", headers={"Authorization": header})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "unauthorized"


def test_revoked_token_is_401(desk: Desk, as_person: Any) -> None:
    token = ApiToken.objects.get(digest=digest_of(desk.tokens["agent"]))
    do_revoke_api_token(token=token, actor=desk.personas.lead, now=NOW)
    do_revoke_api_token(token=token, actor=desk.personas.lead, now=NOW + timedelta(hours=1))
    assert as_person("agent").get("/tickets").status_code == 401
    assert ApiToken.objects.get(pk=token.pk).revoked_at == NOW  # revoking twice keeps the first
    assert AuditEvent.objects.filter(action="apitoken.revoked").count() == 1


def test_token_of_an_inactive_person_is_401(desk: Desk, as_person: Any) -> None:
    type(desk.personas.agent).objects.filter(pk=desk.personas.agent.pk).update(is_active=False)
    assert as_person("agent").get("/tickets").status_code == 401


def test_last_use_is_recorded_about_once_a_minute(desk: Desk) -> None:
    secret = desk.tokens["agent"]
    assert person_for_token(secret, NOW) == desk.personas.agent
    assert person_for_token(secret, NOW + timedelta(seconds=30)) == desk.personas.agent
    assert ApiToken.objects.get(digest=digest_of(secret)).last_used_at == NOW
    person_for_token(secret, NOW + timedelta(minutes=2))
    assert ApiToken.objects.get(digest=digest_of(secret)).last_used_at == NOW + timedelta(minutes=2)


def test_staff_session_works_and_unsafe_methods_need_csrf(desk: Desk) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk.personas.agent)
    assert client.get(f"{API}/tickets").status_code == 200
    path = f"{API}/tickets/{desk.eu_ticket.number}/messages"
    refused = client.post(path, {"text": "hi"}, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    csrf_token = "k" * 32  # what the desk's pages put in the browser's csrftoken cookie
    client.cookies["csrftoken"] = csrf_token
    accepted = client.post(
        path, {"text": "hi"}, content_type="application/json", headers={"X-CSRFToken": csrf_token}
    )
    assert accepted.status_code == 201


def test_customer_session_is_not_api_auth(desk: Desk) -> None:
    client = Client()
    client.force_login(desk.personas.customer)
    assert client.get(f"{API}/tickets").status_code == 401


def test_the_language_of_errors_follows_the_person(desk: Desk) -> None:
    type(desk.personas.customer).objects.filter(pk=desk.personas.customer.pk).update(language="ja")
    api = Api(desk.tokens["customer"])
    response = api.get("/tickets/999")
    assert response.status_code == 404 and response["Content-Language"] == "ja"


def test_apitoken_command_prints_a_working_token_once(desk: Desk, as_person: Any) -> None:
    out, err = StringIO(), StringIO()
    call_command("apitoken", "create", "JONAS@example.com", "--name", "laptop", stdout=out, stderr=err)
    secret = out.getvalue().strip()
    assert secret.startswith("pd_") and "not be shown again" in err.getvalue()
    assert Api(secret).get("/tickets").status_code == 200
    listing = StringIO()
    call_command("apitoken", "list", "jonas@example.com", stdout=listing)
    assert secret[:SHOWN_PREFIX_LENGTH] in listing.getvalue() and secret not in listing.getvalue()
    call_command("apitoken", "revoke", secret[:SHOWN_PREFIX_LENGTH], stdout=StringIO())
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert Api(secret).get("/tickets").status_code == 401


def test_apitoken_command_refuses_unknown_people(desk: Desk) -> None:
    with pytest.raises(CommandError, match="nobody"):
        call_command("apitoken", "create", "ghost@example.com", "--name", "x", stdout=StringIO())


def test_a_token_is_checked_afresh_on_every_request_with_its_sql_kept(
    desk: Desk, django_assert_num_queries: Any
) -> None:
    # The lookup's SQL is compiled once per connection (issue 17); its answer never is kept.
    secret = desk.tokens["agent"]
    person_for_token(secret, NOW)
    with django_assert_num_queries(1):  # the SELECT; last_used_at was written a moment ago
        person = person_for_token(secret, NOW + timedelta(seconds=10))
        assert person == desk.personas.agent and person.is_active
        assert person.organisation is None or person.organisation.name  # loaded with the person
    customer = person_for_token(desk.tokens["customer"], NOW)
    assert customer is not None and customer.organisation is not None
    with django_assert_num_queries(0):
        assert customer.organisation.plan  # loaded with the person
    type(desk.personas.agent).objects.filter(pk=desk.personas.agent.pk).update(is_active=False)
    assert person_for_token(secret, NOW + timedelta(seconds=20)) is None
    type(desk.personas.agent).objects.filter(pk=desk.personas.agent.pk).update(is_active=True)
    assert person_for_token(secret, NOW + timedelta(seconds=30)) == desk.personas.agent
    token = ApiToken.objects.get(digest=digest_of(secret))
    do_revoke_api_token(token=token, actor=desk.personas.lead, now=NOW)
    assert person_for_token(secret, NOW + timedelta(seconds=40)) is None
    assert person_for_token(secret.replace("pd_", "pd_x"), NOW) is None
