"""The survey's email: "Were you satisfied?" with one link per answer, in the customer's language."""

from __future__ import annotations

from django.urls import reverse
from django.utils import translation

from policydesk import languages
from policydesk.display import format_instant
from policydesk.mail import outgoing
from policydesk.mail.models import OutgoingMail
from policydesk.satisfaction import window
from policydesk.satisfaction.models import SatisfactionSurvey


def rating_url(survey: SatisfactionSurvey, rating: str) -> str:
    """The email's link for one answer: a page that asks to confirm it (see `portal` views)."""
    return outgoing.absolute_url(reverse("rate-link", args=[window.rating_token(survey, rating)]))


def survey_email(survey: SatisfactionSurvey) -> outgoing.Email:
    ticket, person = survey.ticket, survey.person
    lang = languages.choose(person.language, ticket.language)
    with translation.override(lang):
        closes = format_instant(window.closes_at(survey), person.time_zone, lang)
    context = {
        **outgoing.ticket_context(ticket),
        "good_url": rating_url(survey, SatisfactionSurvey.Rating.GOOD),
        "bad_url": rating_url(survey, SatisfactionSurvey.Rating.BAD),
        "closes": closes,
    }
    return outgoing.compose(
        "satisfaction/email/survey", context, kind=OutgoingMail.Kind.SATISFACTION, recipient=person.email,
        language=lang, person=person, ticket=ticket,
    )  # fmt: skip
