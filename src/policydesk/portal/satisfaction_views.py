"""The customer's end of a ticket: marking it solved, and the satisfaction survey, answered on the
ticket's page (signed in) or from the email's links (no sign-in: the signed link is the
credential, `satisfaction.window`).

An email link never records anything by itself: GET shows the answer it stands for, pre-chosen,
with a comment box and a button; only that form's POST records it. Mail scanners and link
previews that fetch every link of a message (and some follow each one several times) would
otherwise answer "good" and "bad" both, in whatever order they fetched them.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from policydesk import languages
from policydesk.display import format_instant
from policydesk.portal.forms import RatingForm
from policydesk.portal.satisfaction_page import survey_for
from policydesk.portal.views import _person, _ticket_page, _visible_ticket, customer_page
from policydesk.satisfaction import window
from policydesk.satisfaction.actions import do_rate
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.web.language import explicit_language, with_language


@require_POST
@with_language
@customer_page
def ticket_solve(request: HttpRequest, number: int) -> HttpResponse:
    """The requester marks their ticket solved (`do_customer_solve`); anyone else is refused."""
    person = _person(request)
    ticket = _visible_ticket(person, number)
    try:
        actions.do_customer_solve(ticket=ticket, customer=person, now=timezone.now())
    except ActionError as refusal:
        return _ticket_page(request, ticket, status=400, refusal=str(refusal))
    messages.success(request, _("Your request is marked as solved. Thank you!"))
    return redirect("ticket", number=ticket.number)


@require_POST
@with_language
@customer_page
def ticket_rate(request: HttpRequest, number: int) -> HttpResponse:
    """The survey answered on the ticket's page, signed in."""
    person = _person(request)
    ticket = _visible_ticket(person, number)
    form = RatingForm(request.POST)
    survey = survey_for(ticket, person)
    if survey is None:
        form.add_error(None, _("There is no survey to answer on this request."))
    elif form.is_valid():
        data = form.cleaned_data
        try:
            do_rate(
                survey=survey, person=person, rating=data["rating"], comment=data["comment"],
                now=timezone.now(), reopen=data["reopen"],
            )  # fmt: skip
        except ActionError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _thanks(data["rating"], data["reopen"]))
            return redirect("ticket", number=ticket.number)
    return _ticket_page(request, ticket, status=400, rating_form=form)


def _thanks(rating: str, reopened: bool) -> str:
    if reopened:
        return _("Thank you. Your request is open again; we will get back to you.")
    if rating == SatisfactionSurvey.Rating.GOOD:
        return _("Thank you for your answer. We are glad we could help.")
    return _("Thank you for your answer. We are sorry we did not help enough; we read every comment.")


@require_http_methods(["GET", "POST"])
def rate_link(request: HttpRequest, token: str) -> HttpResponse:
    """The email's link: GET shows the answer pre-chosen; POST records it (see the module's note)."""
    now = timezone.now()
    link = window.read_rating_token(token, now)
    if link is None:
        with translation.override(explicit_language(request) or languages.current()):
            return _private(render(request, "portal/rate_invalid.html", status=404))
    survey = link.survey
    lang = explicit_language(request) or languages.choose(survey.person.language, survey.ticket.language)
    with translation.override(lang):
        status, thanks = 200, ""
        if request.method == "POST":
            form = RatingForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    do_rate(
                        survey=survey, person=survey.person, rating=data["rating"],
                        comment=data["comment"], now=now, link=link.rating, reopen=data["reopen"],
                    )  # fmt: skip
                except ActionError as refusal:
                    form.add_error(None, str(refusal))
                else:
                    thanks = _thanks(data["rating"], data["reopen"])
            if not thanks:
                status = 400
        else:
            form = RatingForm(initial={"rating": link.rating, "comment": survey.comment})
        context = {
            "survey": survey,
            "ticket": survey.ticket,
            "form": form,
            "thanks": thanks,
            "used": link.rating in survey.links_used and not thanks,
            "closes": format_instant(window.closes_at(survey), survey.person.time_zone, lang),
            "lang": lang,
        }
        return _private(render(request, "portal/rate.html", context, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    # The token is in the URL: no other site learns it from a Referer. "same-origin", not
    # "no-referrer": under that, browsers send `Origin: null` with the form, which CSRF refuses.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
