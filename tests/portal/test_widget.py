"""The in-product form (C13 channel 1): HMAC tokens from the product backend, the iframe page
framed only by the product, submissions with channel "in-product", and widget.js."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from policydesk.portal import widget
from policydesk.tickets.models import Deflection, Ticket
from tests.conftest import Personas
from tests.portal.conftest import PRODUCT_ORIGIN, WIDGET_SECRET, set_profile


def token_for(email: str = "hanna@kumo.example", org: object = "Kumo", **overrides: Any) -> str:
    payload: dict[str, object] = {
        "email": email,
        "org": org,
        "exp": int(time.time()) + 300,
        "nonce": overrides.pop("nonce", f"n-{time.monotonic_ns()}"),
    }
    payload.update(overrides)
    return widget.mint_token(payload, overrides.pop("secret", WIDGET_SECRET))


def open_widget(client: Client, token: str) -> Any:
    return client.get("/widget/", {"token": token})


def test_valid_token_opens_the_form_already_identified(personas: Personas) -> None:
    client = Client()
    response = open_widget(client, token_for())
    body = response.content.decode()
    assert response.status_code == 200 and "hanna@kumo.example" in body
    assert 'data-testid="widget-form"' in body and 'name="widget_session"' in body
    assert client.session["_auth_user_id"] == str(personas.customer.pk)


def test_organisation_may_be_named_by_id(personas: Personas) -> None:
    assert open_widget(Client(), token_for(org=personas.customer.organisation_id)).status_code == 200


def test_iframe_page_is_frameable_only_by_the_product(personas: Personas) -> None:
    response = open_widget(Client(), token_for())
    # The site's policy (no inline scripts) holds; only framing is opened to the product.
    directives = response["Content-Security-Policy"].split("; ")
    assert f"frame-ancestors {PRODUCT_ORIGIN}" in directives and "script-src 'self'" in directives
    assert "X-Frame-Options" not in response and response["Referrer-Policy"] == "no-referrer"


def test_no_configured_origin_means_no_framing(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_WIDGET_ORIGINS = ["javascript:alert(1)", "https://ok.example; script-src *"]
    policy = open_widget(Client(), token_for())["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy.split("; ") and "ok.example" not in policy


def test_other_pages_still_refuse_framing(personas: Personas) -> None:
    assert Client().get("/signin/")["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: token_for(exp=int(time.time()) - 1), id="expired"),
        pytest.param(lambda: token_for(exp=int(time.time()) + 3600), id="lives-too-long"),
        pytest.param(lambda: token_for(secret="not-the-secret"), id="forged"),
        pytest.param(lambda: token_for(org="Other"), id="wrong-org"),
        pytest.param(lambda: token_for(email="nobody@kumo.example"), id="unknown-email"),
        pytest.param(lambda: token_for(email="jonas@example.com", org="Kumo"), id="staff-email"),
        pytest.param(lambda: token_for()[:-2], id="truncated"),
        pytest.param(lambda: "not-a-token", id="garbage"),
        pytest.param(lambda: "", id="missing"),
    ],
)
def test_bad_tokens_are_refused(personas: Personas, token: Any) -> None:
    client = Client()
    response = open_widget(client, token())
    assert response.status_code == 403 and 'data-testid="widget-error"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_payload_change_breaks_the_signature(personas: Personas) -> None:
    good = token_for(email="olga@other.example", org="Other")
    _, mac = good.split(".")
    hijacked = widget.mint_token({"email": "hanna@kumo.example", "org": "Kumo", "exp": 1, "nonce": "x"}, "k")
    forged = hijacked.split(".")[0] + "." + mac
    assert open_widget(Client(), forged).status_code == 403


def test_token_is_used_once(personas: Personas) -> None:
    token = token_for()
    assert open_widget(Client(), token).status_code == 200
    assert open_widget(Client(), token).status_code == 403


def test_every_token_is_refused_without_a_secret(personas: Personas, settings: Any) -> None:
    token = token_for()
    settings.POLICYDESK_WIDGET_SECRET = ""
    assert open_widget(Client(), token).status_code == 403


def submit_in_widget(client: Client, session: str, topic: str = "troubleshooting") -> Any:
    return client.post(
        "/widget/",
        {
            "widget_session": session,
            "topic": topic,
            "priority": "normal",
            "subject": "Export fails",
            "description": "The CSV export stops at 50%.",
        },
    )


def test_submission_opens_an_in_product_ticket_with_its_promise(personas: Personas) -> None:
    set_profile(personas.customer, time_zone="Europe/Berlin")
    client = Client(enforce_csrf_checks=True)
    page = open_widget(client, token_for())
    response = submit_in_widget(client, page.context["widget_session"])
    ticket = Ticket.objects.get()
    assert ticket.channel == "in-product" and ticket.requester == personas.customer
    body = response.content.decode()
    assert response.status_code == 200 and "We will answer by" in body and "(Europe/Berlin)" in body
    assert f"frame-ancestors {PRODUCT_ORIGIN}" in response["Content-Security-Policy"].split("; ")


def test_out_of_scope_in_the_widget_shows_the_route(personas: Personas) -> None:
    client = Client()
    session = open_widget(client, token_for()).context["widget_session"]
    body = submit_in_widget(client, session, topic="feature-request").content.decode()
    assert 'data-route-kind="feedback-form"' in body and Deflection.objects.get().channel == "in-product"


def test_submission_without_a_valid_widget_session_is_refused(personas: Personas) -> None:
    client = Client()
    open_widget(client, token_for())
    assert submit_in_widget(client, "forged:session").status_code == 403  # stands in for CSRF
    assert not Ticket.objects.exists()


def test_widget_script_adds_a_help_button_and_an_iframe(db: None) -> None:
    response = Client().get("/widget.js")
    script = response.content.decode()
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    assert "/widget/?token=" in script and "iframe" in script and "data-token" in script
