"""Issue 9 (10): a request body larger than the cap is refused (413) before it is read.

The finding: an anonymous 100 MB POST to the widget was spooled to disk before its 403. The
cap is POLICYDESK_MAX_REQUEST_BYTES (default: the attachment limit plus 1 MiB); a declared
Content-Length over it is refused unread, and a chunked body is read only up to it.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from policydesk.tickets.models import Ticket
from tests.conftest import Personas

HUNDRED_MB = 100 * 1000 * 1000


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("the body of a refused request was read")


class CountingBody(io.BytesIO):
    """A request body that remembers how much of it was read."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.taken += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.taken += len(data)
        return data


def post_declaring(url: str, length: int, **extra: Any) -> Any:
    """A POST whose headers announce `length` bytes of multipart body, none of which may be read."""
    return Client().post(
        url,
        data=b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_TYPE="multipart/form-data; boundary=xyz",  # the client sets it only for a body
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": UnreadableBody()},
        **extra,
    )


def test_default_cap_is_the_attachment_limit_plus_a_margin() -> None:
    assert settings.POLICYDESK_MAX_REQUEST_BYTES == settings.POLICYDESK_MAX_ATTACHMENT_BYTES + 1024 * 1024


@pytest.mark.parametrize("url", ["/widget/", "/signin/", "/admin/login/", "/tickets/new/"])
def test_an_anonymous_100_mb_post_is_refused_unread(personas: Personas, url: str) -> None:
    response = post_declaring(url, HUNDRED_MB)
    assert response.status_code == 413
    assert response.content.decode() == "This request is too large: at most 11.0\xa0MB can be sent at once."
    assert not Ticket.objects.exists()


def test_the_refusal_speaks_the_visitors_language(personas: Personas) -> None:
    response = post_declaring("/widget/", HUNDRED_MB, HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 413 and response["Content-Language"] == "ja"
    assert "リクエストが大きすぎます" in response.content.decode()


def test_the_api_answers_in_its_error_shape(personas: Personas) -> None:
    response = post_declaring("/api/v1/tickets", HUNDRED_MB, HTTP_AUTHORIZATION="Bearer pd_x")
    assert response.status_code == 413
    assert json.loads(response.content)["error"]["code"] == "request_too_large"


def widget_post(body: bytes, **extra: Any) -> Any:
    """A form POST to the widget; without a valid widget session it is a 403 once it is read."""
    return Client().post("/widget/", data=body, content_type="application/x-www-form-urlencoded", **extra)


def test_a_body_at_the_cap_is_taken_and_one_byte_more_is_not(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAX_REQUEST_BYTES = 4000
    at_cap = b"widget_session=forged&padding=" + b"x" * (4000 - 30)
    assert len(at_cap) == 4000
    assert widget_post(at_cap).status_code == 403
    assert widget_post(at_cap + b"x").status_code == 413


def chunked(body: CountingBody) -> dict[str, Any]:
    """What a server that de-chunks the body passes on: no Content-Length, a terminated input."""
    return {
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": "",
        "HTTP_TRANSFER_ENCODING": "chunked",
        "wsgi.input": body,
        "wsgi.input_terminated": True,
    }


def test_a_chunked_body_is_read_only_up_to_the_cap(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAX_REQUEST_BYTES = 1000
    body = CountingBody(b"widget_session=forged&padding=" + b"x" * 50_000)
    response = widget_post(b"", **chunked(body))
    assert response.status_code == 413
    assert 0 < body.taken <= 1001  # read, and stopped one byte past the cap


def test_a_chunked_body_under_the_cap_is_taken(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_MAX_REQUEST_BYTES = 1000
    body = CountingBody(b"widget_session=forged&padding=" + b"x" * 900)
    response = widget_post(b"", **chunked(body))
    assert response.status_code == 403  # read whole, then the forged session refused
    assert body.taken == len(body.getvalue())
