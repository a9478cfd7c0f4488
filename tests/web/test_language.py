"""The page language: ?lang= (remembered), then the person's preference, then Accept-Language."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.test.client import RequestFactory

from policydesk.web.language import PersonLanguageMiddleware, choose_language
from tests.conftest import Personas, signed_in
from tests.portal.conftest import set_profile


def test_anonymous_visitor_gets_the_browsers_language(db: None) -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9")
    assert response["Content-Language"] == "ja" and "ヘルプセンター" in response.content.decode()


def test_persons_preference_beats_the_browser(personas: Personas) -> None:
    set_profile(personas.customer, language="ja")
    response = signed_in(personas.customer).get("/tickets/", HTTP_ACCEPT_LANGUAGE="en-US")
    assert response["Content-Language"] == "ja"


def test_explicit_choice_is_remembered_in_the_language_cookie(personas: Personas, settings: Any) -> None:
    set_profile(personas.customer, language="ja")
    client = signed_in(personas.customer)
    response = client.get("/tickets/?lang=en")
    assert response["Content-Language"] == "en"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert client.get("/tickets/")["Content-Language"] == "en"


def test_unsupported_languages_fall_back_to_english(db: None) -> None:
    assert Client().get("/", HTTP_ACCEPT_LANGUAGE="de-DE")["Content-Language"] == "en"


def test_middleware_applies_the_same_rule_to_any_page(personas: Personas) -> None:
    set_profile(personas.customer, language="ja")
    request = RequestFactory().get("/anything", HTTP_ACCEPT_LANGUAGE="en")
    request.user = personas.customer
    seen: list[str] = []

    def page(req: Any) -> Any:
        from django.http import HttpResponse
        from django.utils import translation

        seen.append(translation.get_language())
        return HttpResponse("ok")

    response = PersonLanguageMiddleware(page)(request)
    assert seen == ["ja"] and response["Content-Language"] == "ja" and choose_language(request) == "ja"
