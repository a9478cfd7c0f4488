"""The error pages (web/errors.py): the site's page in the person's language, with a way back,
and the text a refused form carried kept to copy. DEBUG is off here, as in production."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from policydesk.tickets.models import Message
from tests.conftest import Personas, open_ticket, signed_in

JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def failing(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.web.failing_urls"
    assert settings.DEBUG is False


def page(response: Any) -> str:
    body = response.content.decode()
    assert 'data-testid="error-page"' in body and 'data-testid="error-home"' in body  # the way back
    assert 'data-testid="skip-link"' in body or "site-header" in body  # the site's own page
    return body


@pytest.mark.parametrize(
    ("path", "status", "en", "ja"),
    [
        ("/suspicious/", 400, "Bad request", "リクエストを理解できませんでした"),
        ("/forbidden/", 403, "Not allowed", "この操作は許可されていません"),
        ("/no/such/page/", 404, "Page not found", "ページが見つかりません"),
        ("/tickets/1/broken/", 500, "Something went wrong", "問題が発生しました"),
    ],
)
def test_error_pages_in_english_and_japanese(
    db: None, failing: None, path: str, status: int, en: str, ja: str
) -> None:
    client = Client(raise_request_exception=False)
    english = client.get(path, **EN)  # type: ignore[arg-type]
    japanese = client.get(path, **JA)  # type: ignore[arg-type]
    assert english.status_code == japanese.status_code == status
    assert en in page(english) and ja in page(japanese)
    assert japanese["Content-Language"] == "ja" and '<html lang="ja">' in japanese.content.decode()


def test_the_500_page_of_an_address_on_a_ticket_links_back_to_it(db: None, failing: None) -> None:
    body = page(Client(raise_request_exception=False).get("/tickets/1/broken/"))
    assert 'href="/tickets/1/" data-testid="error-back-to-ticket"' in body


def test_a_ticket_that_is_not_there_is_the_404_page(personas: Personas) -> None:
    response = signed_in(personas.customer).get("/tickets/999/", **JA)  # type: ignore[arg-type]
    assert response.status_code == 404 and "ページが見つかりません" in page(response)
    assert "error-back-to-ticket" not in response.content.decode()  # the failing page is the ticket


def test_a_visit_to_the_reply_address_goes_to_the_ticket(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    response = signed_in(personas.customer).get(f"/tickets/{ticket.number}/reply/")
    assert response.status_code == 302 and response["Location"] == f"/tickets/{ticket.number}/"


def test_other_405s_are_the_page_with_the_allowed_methods(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    for client, path in (
        (Client(), "/signout/"),
        (signed_in(personas.agent), f"/console/tickets/{ticket.number}/note/"),
    ):
        response = client.get(path, **JA)  # type: ignore[arg-type]
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert "フォームを送るためのアドレスです" in page(response)


def test_the_api_keeps_its_own_405(db: None) -> None:
    response = Client().delete("/api/v1/tickets")
    assert response.status_code == 405 and 'data-testid="error-page"' not in response.content.decode()


def test_a_refused_form_keeps_the_text_in_the_persons_language(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client = signed_in(personas.customer, enforce_csrf_checks=True)
    text = "A long answer <b>with</b> everything I found."
    for headers, title in ((EN, "This form has expired"), (JA, "このフォームは期限切れです")):
        response = client.post(
            f"/tickets/{ticket.number}/reply/",
            {"text": text, "once_key": "k", "csrfmiddlewaretoken": "stale"},
            **headers,  # type: ignore[arg-type]
        )
        body = page(response)
        assert response.status_code == 403 and title in body
        assert "A long answer &lt;b&gt;with&lt;/b&gt; everything I found.</textarea>" in body  # kept, escaped
        assert f'href="/tickets/{ticket.number}/" data-testid="error-back-to-ticket"' in body
    assert not Message.objects.filter(text=text).exists()


def test_a_form_sent_after_the_session_ended_keeps_the_text(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    for client, path in (
        (Client(), f"/tickets/{ticket.number}/reply/"),
        (Client(), f"/console/tickets/{ticket.number}/reply/"),
    ):
        response = client.post(path, {"text": "Typed before the session ended", "once_key": "k"}, **JA)  # type: ignore[arg-type]
        body = page(response)
        assert response.status_code == 403 and "ログアウトされました" in body
        assert "Typed before the session ended</textarea>" in body
        ticket_page = path.removesuffix("reply/")
        assert f'href="/signin/?next={ticket_page}" data-testid="error-signin"' in body
    assert not Message.objects.filter(text="Typed before the session ended").exists()


def test_a_password_is_never_shown_back(db: None) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/signin/", {"email": "a@example.com", "password": "hunter2-secret"})
    assert response.status_code == 403 and "hunter2-secret" not in page(response)
