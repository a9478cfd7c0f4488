"""Help-centre articles in the in-product widget (C13 channel 1): suggested as the customer types
a subject, and "This answered my question" counted as a deflection by article.

The widget's security model holds: the iframe often gets no cookie, so both endpoints are POSTs
identified by the signed widget session in the form (which is also their CSRF protection, as for
the widget's request form); what is typed is used for the answer and kept nowhere; articles open
in a new tab (the help centre's pages refuse to be framed)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from policydesk.helpcentre import counting, queries
from policydesk.portal import widget
from policydesk.portal.views import frameable, widget_language
from policydesk.web.language import with_language


@csrf_exempt  # the signed widget session is the CSRF token (portal/widget.py)
@require_POST
@with_language
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles for what is typed in the widget's form (htmx): a fragment, in both languages, the
    customer's first, only articles they may read (`helpcentre.queries.suggest`, as the portal)."""
    person = widget.person_for_session(request.POST.get("widget_session", ""))
    if person is None:
        return HttpResponse(status=403)
    lang = widget_language(request, person)
    typed = f"{request.POST.get('subject', '')[:200]} {request.POST.get('description', '')[:400]}"
    with translation.override(lang):
        articles = queries.suggest(person, typed, lang) if typed.strip() else []
        response = render(request, "helpcentre/_suggestions.html", {"lang": lang, "articles": articles})
    response["Cache-Control"] = "private, no-store"
    return response


@xframe_options_exempt
@csrf_exempt  # the signed widget session is the CSRF token (portal/widget.py)
@require_POST
@with_language
def answered(request: HttpRequest) -> HttpResponse:
    """ "This answered my question" in the widget: counted by article; the request is not sent and
    what was typed is not kept (the button's form carries the session and the article only)."""
    person = widget.person_for_session(request.POST.get("widget_session", ""))
    if person is None:
        return frameable(render(request, "portal/widget_error.html", status=403))
    with translation.override(widget_language(request, person)):
        article = counting.count_answer(person, request.POST.get("article", ""), timezone.now())
        status = 200 if article is not None else 404
        page = render(request, "portal/widget_answered.html", {"article": article}, status=status)
    return frameable(page)
