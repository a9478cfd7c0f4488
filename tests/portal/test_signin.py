"""Signing in: password, one-time emailed links (valid once, expiring, no enumeration, rate
limited), sign-out, and where staff and customers land (C14)."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.core import mail
from django.test import Client

from policydesk.portal import signin
from tests.conftest import NOW, Personas, signed_in


def link_path_from_mail() -> str:
    body = mail.outbox[-1].body
    match = re.search(r"https://support\.example\.com(/signin/link/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def test_customer_signs_in_with_password_and_sees_their_tickets(personas: Personas) -> None:
    client = Client()
    response = client.post("/signin/", {"email": "Hanna@Kumo.example", "password": "pw-hanna@kumo.example"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert 'data-testid="nav-tickets"' in client.get("/").content.decode()  # home: the help centre


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(personas: Personas) -> None:
    client = Client()
    response = client.post("/signin/", {"email": "hanna@kumo.example", "password": "nope"})
    assert response.status_code == 400
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_attempts_are_limited_per_address(personas: Personas) -> None:
    client = Client()
    for _ in range(signin.FAILED_PASSWORDS_PER_HOUR):
        client.post("/signin/", {"email": "hanna@kumo.example", "password": "guess"})
    response = client.post("/signin/", {"email": "hanna@kumo.example", "password": "pw-hanna@kumo.example"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session


def test_staff_signing_in_here_are_sent_to_the_console(personas: Personas) -> None:
    response = Client().post("/signin/", {"email": "jonas@example.com", "password": "pw-jonas@example.com"})
    assert response["Location"] == "/console/"


def test_next_is_followed_only_within_the_site(personas: Personas) -> None:
    form = {"email": "hanna@kumo.example", "password": "pw-hanna@kumo.example"}
    inside = Client().post("/signin/", {**form, "next": "/tickets/new/"})
    assert inside["Location"] == "/tickets/new/"
    outside = Client().post("/signin/", {**form, "next": "https://evil.example/"})
    assert outside["Location"] == "/tickets/"


def test_emailed_link_signs_in_once(personas: Personas) -> None:
    client = Client()
    response = client.post("/signin/link/", {"email": "hanna@kumo.example"})
    assert response["Location"] == "/signin/link/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["hanna@kumo.example"]
    path = link_path_from_mail()
    # GET only asks to confirm: mail scanners that follow links must not use them up.
    confirm = client.get(path)
    assert confirm.status_code == 200 and "_auth_user_id" not in client.session
    assert client.post(path)["Location"] == "/tickets/"
    assert client.session["_auth_user_id"] == str(personas.customer.pk)
    again = Client().post(path)
    assert again.status_code == 400 and "not valid" in again.content.decode()


def test_emailed_link_expires_after_fifteen_minutes(personas: Personas) -> None:
    with time_machine.travel(NOW, tick=False) as traveller:
        Client().post("/signin/link/", {"email": "hanna@kumo.example"})
        path = link_path_from_mail()
        traveller.shift(timedelta(seconds=signin.LINK_MAX_AGE_SECONDS + 1))
        client = Client()
        assert client.post(path).status_code == 400
        assert "_auth_user_id" not in client.session


def test_tampered_link_is_refused(personas: Personas) -> None:
    Client().post("/signin/link/", {"email": "hanna@kumo.example"})
    path = link_path_from_mail()
    forged = path.replace("/signin/link/", "/signin/link/x")
    assert Client().post(forged).status_code == 400


def test_unknown_email_gets_the_same_answer_and_no_mail(personas: Personas) -> None:
    known = Client().post("/signin/link/", {"email": "hanna@kumo.example"})
    unknown = Client().post("/signin/link/", {"email": "nobody@kumo.example"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [message.to for message in mail.outbox] == [["hanna@kumo.example"]]


def test_link_requests_are_rate_limited_per_address(personas: Personas) -> None:
    client = Client()
    for _ in range(signin.LINK_REQUESTS_PER_HOUR + 3):
        response = client.post("/signin/link/", {"email": "hanna@kumo.example"})
        assert response["Location"] == "/signin/link/sent/"  # the same answer, over the limit too
    assert len(mail.outbox) == signin.LINK_REQUESTS_PER_HOUR


def test_link_points_at_the_configured_site_not_the_request_host(personas: Personas) -> None:
    Client().post("/signin/link/", {"email": "hanna@kumo.example"}, HTTP_HOST="localhost")
    assert "https://support.example.com/signin/link/" in mail.outbox[0].body


def test_sign_out_is_post_only(personas: Personas) -> None:
    client = signed_in(personas.customer)
    assert client.get("/signout/").status_code == 405
    assert client.post("/signout/")["Location"] == "/"
    assert "_auth_user_id" not in client.session


def test_sign_in_form_enforces_csrf(personas: Personas) -> None:
    client = Client(enforce_csrf_checks=True)
    form = {"email": "hanna@kumo.example", "password": "pw-hanna@kumo.example"}
    assert client.post("/signin/", form).status_code == 403
    page = client.get("/signin/")
    token = page.context["csrf_token"]
    assert client.post("/signin/", {**form, "csrfmiddlewaretoken": str(token)}).status_code == 302


def test_anonymous_home_is_the_help_centre_with_sign_in_one_click_away(db: None) -> None:
    response = Client().get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="help-search-form"' in body and 'href="/policy/"' in body
    assert 'href="/signin/" data-testid="nav-signin"' in body
