"""The error pages: 400, 403, 404, 405, 500, a refused form (CSRF) and a form sent after the
session ended. Each is a page of the site in the person's language (the language middleware
runs around them) with a way back: to the ticket the address belongs to, or home. A form that
could not be taken shows the text the person typed, to copy: nothing typed is lost.

Wired in `urls.py` (`handler400` ... `handler500`), `settings.CSRF_FAILURE_VIEW`, and
`MethodNotAllowedMiddleware` (Django's `require_POST` answers 405 with an empty body).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template import loader
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.web.language import View

log = logging.getLogger(__name__)

TICKET_PATH = re.compile(r"^(?P<ticket>(?:/console)?/tickets/\d+/)")
# The fields of the desk's forms that hold what a person wrote (never a password or a token).
TEXT_FIELDS = ("subject", "description", "text", "note", "reason")
# Forms posted to these addresses live on the ticket page: a visit goes there.
ON_THE_TICKET_PAGE = frozenset({"ticket-reply", "ticket-meeting"})


@dataclass(frozen=True)
class KeptText:
    label: str
    text: str


def _labels() -> dict[str, str]:
    return {
        "subject": _("Subject"),
        "description": _("Description"),
        "text": _("Your text"),
        "note": _("Note"),
        "reason": _("Why would a call help?"),
    }


def kept_texts(request: HttpRequest) -> list[KeptText]:
    """What the person typed into the form they sent, by field, to copy."""
    if request.method != "POST":
        return []
    try:
        data = request.POST
    except Exception:  # an unreadable body (over the cap, malformed): nothing to keep
        return []
    labels = _labels()
    return [KeptText(labels[name], data[name]) for name in TEXT_FIELDS if (data.get(name) or "").strip()]


def _way_back(request: HttpRequest) -> str | None:
    """The ticket the address belongs to, unless that is the page that failed."""
    match = TICKET_PATH.match(request.path)
    if match and match.group("ticket") != request.path:
        return match.group("ticket")
    return None


def error_page(
    request: HttpRequest, status: int, title: str, explanation: str, *, signin: bool = False
) -> HttpResponse:
    context = {
        "status": status,
        "title": title,
        "explanation": explanation,
        "back_url": _way_back(request),
        "kept": kept_texts(request),
        # After signing in, the page the form was on: the ticket, or the form's own address.
        "signin_url": f"{reverse('signin')}?next={_way_back(request) or request.path}" if signin else "",
        "lang": languages.current(),
    }
    try:
        body = loader.render_to_string("errors/error.html", context, request=request)
    except Exception:  # the page about an error must not fail itself (a broken database, a template)
        log.exception("the error page could not be rendered")
        body = loader.render_to_string("errors/plain.html", context)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400, _("Bad request"), _("We could not understand that request."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403, _("Not allowed"), _("You may not do this here."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request, 404, _("Page not found"), _("There is no page at this address, or it is not yours to see.")
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request,
        500,
        _("Something went wrong"),
        _("An error on our side stopped this page. Please try again in a moment."),
    )


def method_not_allowed(request: HttpRequest) -> HttpResponse:
    return error_page(request, 405, _("Not here"), _("This address takes a form, not a visit."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form came from a page too old to trust (or from before a sign-in or sign-out)."""
    log.info("form refused (CSRF): %s", reason)
    return error_page(
        request,
        403,
        _("This form has expired"),
        _(
            "The page you sent it from was too old, or you signed in or out since. Nothing was sent. "
            "Copy your text below, open the page again and send it."
        ),
        signin=not request.user.is_authenticated if hasattr(request, "user") else True,
    )


def signed_out(request: HttpRequest) -> HttpResponse:
    """A form sent after the session ended: sign in again, with the text kept to copy."""
    return error_page(
        request,
        403,
        _("You were signed out"),
        _(
            "Your session ended before the form was sent. Nothing was sent. "
            "Copy your text below, sign in again and send it."
        ),
        signin=True,
    )


class MethodNotAllowedMiddleware:
    """Django's empty 405 becomes the site's page; a visit to an address that only takes the
    ticket page's forms (`GET /tickets/N/reply/`) goes to the ticket page. The API keeps its own."""

    def __init__(self, get_response: View) -> None:
        self.get_response: Callable[[HttpRequest], HttpResponse] = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not isinstance(response, HttpResponseNotAllowed) or request.path.startswith("/api/"):
            return response
        if request.method in ("GET", "HEAD") and _url_name(request) in ON_THE_TICKET_PAGE:
            ticket = _way_back(request)
            if ticket:
                return HttpResponseRedirect(ticket)
        page = method_not_allowed(request)
        page["Allow"] = response["Allow"]
        return page


def _url_name(request: HttpRequest) -> str:
    try:
        return resolve(request.path_info).url_name or ""
    except Resolver404:
        return ""
