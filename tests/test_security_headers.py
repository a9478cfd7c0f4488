"""Issue 9 (11): what every answer carries, and the settings for running behind an HTTPS proxy.

- A Content-Security-Policy on every page, with no inline script or style allowed; templates
  hold no inline code for it to block (a guard over every template).
- `Cache-Control: private, no-store` on every answer to a signed-in person and every API answer.
- Behind a TLS-terminating proxy: form posts pass CSRF, http is redirected, HSTS is sent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

import policydesk
from policydesk import settings as desk_settings
from policydesk.api.tokens import do_create_api_token
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, Personas

SOURCE = Path(policydesk.__file__).parent
SITE = "https://support.example.com"


def directives(response: Any) -> dict[str, str]:
    """The response's Content-Security-Policy, directive name -> its source list."""
    policy = response["Content-Security-Policy"]
    parts = (part.strip().partition(" ") for part in policy.split(";") if part.strip())
    return {name: sources for name, _, sources in parts}


def pages(ticket: Ticket) -> list[str]:
    """A page of each part of the desk (the permission matrix's pages, and the public ones)."""
    return [
        "/", "/signin/", "/tickets/", "/tickets/new/", f"/tickets/{ticket.number}/", "/policy/",
        "/console/", "/console/queues/central-europe/", f"/console/tickets/{ticket.number}/",
        "/console/reports/", "/status/", "/status/manage/", "/admin/", "/admin/login/",
        "/api/v1/docs",
    ]  # fmt: skip


SIGNED_IN = ["customer", "agent", "lead", "admin"]


# -- Content-Security-Policy ------------------------------------------------------------


@pytest.mark.parametrize("persona", [None, *SIGNED_IN])
def test_every_page_has_a_policy_without_inline_code_or_framing(
    personas: Personas, ticket: Ticket, persona: str | None
) -> None:
    client = Client()
    if persona:
        client.force_login(getattr(personas, persona))
    seen = 0
    for url in pages(ticket):
        response = client.get(url)
        if response.status_code != 200:
            continue  # redirects and 404s of pages this persona may not see
        seen += 1
        policy = directives(response)
        assert policy["default-src"] == "'self'", url
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", url
        assert policy["frame-ancestors"] == "'none'", url
        assert "unsafe" not in response["Content-Security-Policy"], url
    assert seen >= 5


def _headers_from(middleware_class: Any, case: dict[str, Any]) -> tuple[Any, ...]:
    """What `middleware_class` puts on a response made for `case`, and whether the request's
    nonce can still be asked for afterwards (django-csp refuses it once the header is out)."""
    from csp.exceptions import CSPNonceError
    from django.http import HttpResponse
    from django.test import RequestFactory

    def respond(request: Any) -> HttpResponse:
        response = HttpResponse("ok", status=case.get("status", 200))
        for name, value in case.get("attributes", {}).items():
            setattr(response, name, value)
        if "header" in case:
            response["Content-Security-Policy"] = case["header"]
        if case.get("nonce"):
            str(request.csp_nonce)
        return response

    request = RequestFactory().get(case.get("path", "/tickets/"))
    response = middleware_class(respond)(request)
    try:
        str(request.csp_nonce)
        nonce_after = "given"
    except CSPNonceError:
        nonce_after = "refused"
    return (
        response.get("Content-Security-Policy"),
        response.get("Content-Security-Policy-Report-Only"),
        nonce_after,
    )


CSP_CASES = {
    "plain": {},
    "exempt": {"attributes": {"_csp_exempt": True}},
    "exempt from report-only alone": {"attributes": {"_csp_exempt_ro": True}},
    "framing allowed (replace)": {"attributes": {"_csp_replace": {"frame-ancestors": ["https://a.example"]}}},
    "a header of its own": {"header": "default-src 'none'"},
    "nonce asked for": {"nonce": True},
    "a 404": {"status": 404},
    "an API answer": {"path": "/api/v1/tickets"},
}

REPORT_ONLY = {"DIRECTIVES": {"default-src": ["'self'"], "report-uri": ["/csp/"]}}


@pytest.mark.parametrize("case", CSP_CASES.values(), ids=CSP_CASES.keys())
@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": REPORT_ONLY},
        {"CONTENT_SECURITY_POLICY_REPORT_ONLY": {**REPORT_ONLY, "EXCLUDE_URL_PREFIXES": ["/tickets/"]}},
        {"DEBUG": True},
    ],
    ids=["site", "report-only", "report-only, excluded prefix", "debug"],
)
def test_the_site_policy_built_once_is_what_django_csp_builds_each_time(
    settings: Any, case: dict[str, Any], overrides: dict[str, Any]
) -> None:
    from csp.middleware import CSPMiddleware as DjangoCSP

    from policydesk.security import CSPMiddleware

    for name, value in overrides.items():
        setattr(settings, name, value)
    ours = _headers_from(CSPMiddleware, case)
    assert ours == _headers_from(DjangoCSP, case)
    assert ours == _headers_from(CSPMiddleware, case)  # built once, kept
    if not case:
        assert ours[0] and "frame-ancestors 'none'" in ours[0]


def test_the_site_policy_follows_a_changed_setting(settings: Any) -> None:
    from policydesk.security import CSPMiddleware

    before = _headers_from(CSPMiddleware, {})[0]
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["https:"]}}
    after = _headers_from(CSPMiddleware, {})[0]
    assert before != after and set(after.split("; ")) == {"default-src 'self'", "img-src https:"}


def test_api_docs_load_swagger_from_our_own_static_files(personas: Personas) -> None:
    html = Client().get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn." not in html
    assert not re.search(r"<script>", html)  # the init code is a static file too


def test_downloads_keep_their_own_stricter_policy(personas: Personas, ticket: Ticket) -> None:
    client = Client()
    client.force_login(personas.customer)
    response = client.get(f"/attachments/{ticket.attachments.get().pk}/")
    response.close()
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"\sstyle=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_holds_code_the_policy_would_block() -> None:
    """The class of bug, not the instance: scripts and styles live in static files."""
    found = []
    for template in sorted(SOURCE.glob("**/templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE_CODE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(SOURCE)}:{line}: {what}")
    assert found == []


# -- Cache-Control ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_nothing_shown_to_a_signed_in_person_is_stored_by_caches(
    personas: Personas, ticket: Ticket, persona: str
) -> None:
    client = Client()
    client.force_login(getattr(personas, persona))
    for url in pages(ticket):
        response = client.get(url)
        cache_control = {part.strip() for part in response.get("Cache-Control", "").split(",")}
        assert {"private", "no-store"} <= cache_control, (url, response.status_code)
        assert "public" not in cache_control, url


def test_public_pages_for_anonymous_visitors_stay_cacheable(personas: Personas) -> None:
    for url in ("/status/", "/policy/"):
        assert "no-store" not in Client().get(url).get("Cache-Control", ""), url


def test_every_api_answer_is_private_and_not_stored(personas: Personas, ticket: Ticket) -> None:
    token = do_create_api_token(person=personas.agent, name="ci", actor=personas.admin, now=NOW).secret
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answers = [
        Client().get("/api/v1/tickets", **bearer),  # type: ignore[arg-type]
        Client().get(f"/api/v1/tickets/{ticket.number}", **bearer),  # type: ignore[arg-type]
        Client().get("/api/v1/tickets"),  # 401
        Client().get("/api/v1/no-such-thing"),  # 404
        Client().get("/api/v1/openapi.json"),
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 401, 404, 200]
    for answer in answers:
        assert answer["Cache-Control"] == "private, no-store", answer.request["PATH_INFO"]


# -- behind a TLS-terminating proxy -----------------------------------------------------


def test_proxy_header_setting_names_the_header_the_proxy_sets() -> None:
    assert desk_settings.proxy_ssl_header("X-Forwarded-Proto: https") == ("HTTP_X_FORWARDED_PROTO", "https")
    assert desk_settings.proxy_ssl_header("HTTP_X_FORWARDED_PROTO=https") == (
        "HTTP_X_FORWARDED_PROTO",
        "https",
    )
    assert desk_settings.proxy_ssl_header("") is None
    for wrong in ("X-Forwarded-Proto", "X-Forwarded-Proto: https # a comment", "X Forwarded: https"):
        with pytest.raises(ImproperlyConfigured, match="must look like 'X-Forwarded-Proto: https'"):
            desk_settings.proxy_ssl_header(wrong)


def test_trusted_origin_defaults_to_the_site_url() -> None:
    assert desk_settings.origin_of("https://support.example.com/desk/") == SITE
    with pytest.raises(ImproperlyConfigured, match="POLICYDESK_SITE_URL"):
        desk_settings.origin_of("support.example.com")


@pytest.fixture
def behind_proxy(settings: Any) -> Any:
    """The settings the documented production environment gives (docs/security.md)."""
    settings.ALLOWED_HOSTS = ["support.example.com"]
    settings.SECURE_PROXY_SSL_HEADER = desk_settings.proxy_ssl_header("X-Forwarded-Proto: https")
    settings.CSRF_TRUSTED_ORIGINS = [desk_settings.origin_of(SITE)]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    return settings


def _sign_in_through_the_proxy(person: Person, forwarded: dict[str, str]) -> Any:
    client = Client(enforce_csrf_checks=True, HTTP_HOST="support.example.com", **forwarded)
    client.get("/signin/", secure=False)  # the CSRF cookie
    token = client.cookies["csrftoken"].value
    return client.post(
        "/signin/",
        {"email": person.email, "password": "pw-" + person.email, "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=SITE,
    )


def test_a_form_post_through_the_https_proxy_passes_csrf(personas: Personas, behind_proxy: Any) -> None:
    response = _sign_in_through_the_proxy(personas.customer, {"HTTP_X_FORWARDED_PROTO": "https"})
    assert response.status_code == 302 and response["Location"] != "/signin/"
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_without_the_proxy_setting_every_form_post_failed(personas: Personas, behind_proxy: Any) -> None:
    """The finding: the request looks like http, so https's Origin and Referer fail CSRF."""
    behind_proxy.SECURE_PROXY_SSL_HEADER = None
    behind_proxy.SECURE_SSL_REDIRECT = False
    behind_proxy.CSRF_TRUSTED_ORIGINS = []
    response = _sign_in_through_the_proxy(personas.customer, {"HTTP_X_FORWARDED_PROTO": "https"})
    assert response.status_code == 403


def test_plain_http_through_the_proxy_is_redirected_to_https(personas: Personas, behind_proxy: Any) -> None:
    client = Client(HTTP_HOST="support.example.com")
    plain = client.get("/status/", HTTP_X_FORWARDED_PROTO="http")
    assert plain.status_code == 301 and plain["Location"] == "https://support.example.com/status/"
    assert client.get("/status/", HTTP_X_FORWARDED_PROTO="https").status_code == 200
