"""Acknowledging a page by its signed link (C6).

The link is the credential (it names the page and the person, signed, for a day), so an
on-call engineer can acknowledge from a phone without signing in. GET only shows the
question: mail scanners that follow links must not acknowledge anything; POST (with CSRF)
does it.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from policydesk.display import format_instant
from policydesk.watch import paging
from policydesk.watch.actions import PagingError, do_acknowledge_page


@require_http_methods(["GET", "POST"])
def acknowledge_page(request: HttpRequest, token: str) -> HttpResponse:
    found = paging.read_ack_token(token)
    if found is None:
        return render(request, "watch/ack_invalid.html", status=404)
    page, person = found
    outcome = None
    if request.method == "POST":
        try:
            taken = do_acknowledge_page(page=page, person=person, now=timezone.now())
        except PagingError:
            return render(request, "watch/ack_invalid.html", status=403)
        outcome = "taken" if taken else "already"
    context = {
        "page": page,
        "ticket": page.ticket,
        "person": person,
        "outcome": outcome,
        "opened": format_instant(page.opened_at, person.time_zone),
        "acknowledged": format_instant(page.acknowledged_at, person.time_zone),
    }
    return render(request, "watch/ack.html", context)
