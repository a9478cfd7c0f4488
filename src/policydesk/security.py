"""Protections every HTTP answer gets, whatever the view (docs/security.md).

- `RequestSizeLimitMiddleware`: a body larger than `POLICYDESK_MAX_REQUEST_BYTES` is refused
  with 413 before anything reads it (by Content-Length), and a body without one (chunked) is
  read through a counter that stops at the cap. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE does
  not cover file uploads, which are spooled to disk first.
- `PrivateCacheMiddleware`: `Cache-Control: private, no-store` on every answer to a signed-in
  person and on every API answer, so no shared cache or browser history keeps them.
- The Content-Security-Policy itself comes from django-csp (settings.CONTENT_SECURITY_POLICY),
  through `CSPMiddleware`, which builds the site's header once; `allow_framing_by` is how a view
  lets other origins frame it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from typing import Any, BinaryIO

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

GetResponse = Callable[[HttpRequest], HttpResponseBase]

API_PREFIX = "/api/"
_TOO_LARGE_FLAG = "_policydesk_body_too_large"


def max_request_bytes() -> int:
    return int(settings.POLICYDESK_MAX_REQUEST_BYTES)


class RequestBodyTooLarge(BadRequest):
    """A body without a Content-Length grew past the cap while it was read."""


class CappedStream:
    """A request body stream that refuses to give more than `limit` bytes in total."""

    def __init__(self, stream: BinaryIO, limit: int, request: HttpRequest) -> None:
        self.stream = stream
        self.limit = limit
        self.request = request
        self.position = 0

    def _take(self, data: bytes) -> bytes:
        self.position += len(data)
        if self.position > self.limit:
            setattr(self.request, _TOO_LARGE_FLAG, True)
            raise RequestBodyTooLarge(f"request body over {self.limit} bytes")
        return data

    def read(self, size: int | None = -1) -> bytes:
        # Ask for one byte more than allowed at most, so an over-long body is noticed.
        room = self.limit - self.position + 1
        wanted = room if size is None or size < 0 else min(size, room)
        return self._take(self.stream.read(wanted))

    def readline(self, size: int | None = -1) -> bytes:
        room = self.limit - self.position + 1
        wanted = room if size is None or size < 0 else min(size, room)
        return self._take(self.stream.readline(wanted))

    def __iter__(self) -> Iterable[bytes]:
        return iter(self.readline, b"")

    def close(self) -> None:
        pass


def _declared_length(request: HttpRequest) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def request_too_large(request: HttpRequest, limit: int) -> HttpResponse:
    """The 413 answer: the API's JSON error shape under /api/, a short text elsewhere."""
    lang = translation.get_language_from_request(request)
    with translation.override(lang):
        message = _("This request is too large: at most %(limit)s can be sent at once.") % {
            "limit": filesizeformat(limit)
        }
    if request.path_info.startswith(API_PREFIX):
        body = json.dumps({"error": {"code": "request_too_large", "message": message, "details": []}})
        response = HttpResponse(body, status=413, content_type="application/json")
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    response["Content-Language"] = lang
    return response


class RequestSizeLimitMiddleware:
    """Refuse bodies over POLICYDESK_MAX_REQUEST_BYTES (413); first in MIDDLEWARE."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        limit = max_request_bytes()
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            return request_too_large(request, limit)
        if declared is None and _is_chunked(request) and request.META.get("wsgi.input_terminated"):
            # Django reads nothing without a Content-Length; a server that de-chunks the body
            # and marks the input as terminated lets us read it, up to the cap.
            capped = CappedStream(request.META["wsgi.input"], limit, request)
            request._stream = capped  # type: ignore[assignment]  # Django needs only read/readline
        response = self.get_response(request)
        if getattr(request, _TOO_LARGE_FLAG, False):
            return request_too_large(request, limit)
        return response


def _signed_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and bool(user.is_authenticated)


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` for signed-in people and the API; after AuthenticationMiddleware."""

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # The API's path first: a token's request then never loads the session's user (issue 17).
        if request.path_info.startswith(API_PREFIX) or _signed_in(request):
            patch_cache_control(response, private=True, no_store=True)
        return response


#: django-csp's per-response changes (decorators, `allow_framing_by`): a response with any of
#: them has its header built for it.
_CSP_CHANGES = (
    "_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro",
)  # fmt: skip

#: The site's policy and report-only policy as django-csp builds them for a response that
#: changes nothing ("" for none); built again after a setting changes.
_site_csp: list[tuple[str, str]] = []


def forget_site_csp(**_kwargs: object) -> None:
    _site_csp.clear()


setting_changed.connect(forget_site_csp, dispatch_uid="policydesk.security.site_csp")


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp's middleware, with the site's headers built once per process (issue 17):
    django-csp builds both from the settings on every response, 1.5 % of the instructions of an
    API intake. A response that changes its policy, a request whose nonce was asked for, and
    Django's debug pages take django-csp's own path; the rest gets what that path would give
    (checked against it in tests/test_security_headers.py)."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in _CSP_CHANGES
        ):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (500, 404):
            return response  # django-csp leaves Django's debug pages alone
        csp, csp_ro = self._site_headers(request, response)
        for header, value, exempt, policy in (
            (HEADER, csp, "_csp_exempt", settings.CONTENT_SECURITY_POLICY),
            (HEADER_REPORT_ONLY, csp_ro, "_csp_exempt_ro", settings.CONTENT_SECURITY_POLICY_REPORT_ONLY),
        ):
            if not value or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response

    def _site_headers(self, request: HttpRequest, response: HttpResponseBase) -> tuple[str, str]:
        if not _site_csp:
            parts = self.get_policy_parts(request=request, response=response)
            parts_ro = self.get_policy_parts(request=request, response=response, report_only=True)
            _site_csp.append(
                (
                    build_policy(**asdict(parts)),
                    build_policy(**asdict(parts_ro), report_only=True),
                )
            )
        return _site_csp[0]


def allow_framing_by(response: HttpResponseBase, origins: str) -> HttpResponseBase:
    """Let `origins` (a CSP source list such as "https://app.example.com", or "'none'") frame
    this page; the rest of the site's Content-Security-Policy still applies."""
    replace: dict[str, Any] = {"frame-ancestors": origins.split()}
    response._csp_replace = replace  # type: ignore[attr-defined]
    return response
