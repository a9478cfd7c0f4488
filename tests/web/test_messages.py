"""`LazyMessageMiddleware`: Django's messages middleware with its storage made on first use; what
each request stores is Django's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty

from policydesk.web.messages import LazyMessageMiddleware


def _served(middleware: type[MessageMiddleware], view: Callable[[HttpRequest], Any], cookie: str = "") -> Any:
    request = RequestFactory().get("/")
    if cookie:
        request.COOKIES["messages"] = cookie

    def respond(request: HttpRequest) -> HttpResponse:
        view(request)
        return HttpResponse("ok")

    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    return request, middleware(respond)(request)


def _says(request: HttpRequest) -> None:
    messages.success(request, "Saved.")


def _reads(request: HttpRequest) -> None:
    assert [str(message) for message in messages.get_messages(request)] == ["Saved."]


def test_what_a_request_stores_is_what_djangos_middleware_stores() -> None:
    for view in (_says, lambda request: None):
        (_, lazy), (_, django) = _served(LazyMessageMiddleware, view), _served(MessageMiddleware, view)
        assert {name: morsel.value for name, morsel in lazy.cookies.items()} == {
            name: morsel.value for name, morsel in django.cookies.items()
        }
    _, said = _served(LazyMessageMiddleware, _says)
    cookie = said.cookies["messages"].value
    assert cookie  # the message, kept for the next page
    _, read = _served(LazyMessageMiddleware, _reads, cookie)
    assert read.cookies["messages"].value == ""  # read: gone


def test_a_request_that_says_nothing_makes_no_storage() -> None:
    request, response = _served(LazyMessageMiddleware, lambda request: None)
    assert request._messages.__dict__["_wrapped"] is empty and "messages" not in response.cookies
    request, _ = _served(LazyMessageMiddleware, _says)
    assert request._messages.__dict__["_wrapped"] is not empty
