"""How long a survey can be answered, and the signed links of its email.

A link is `TimestampSigner`-signed and names the survey, its ticket, the person asked and the
answer it pre-fills; it works for the survey's window (`POLICYDESK_SATISFACTION_DAYS`, 14 days
by default) and once per answer (`SatisfactionSurvey.links_used`, checked under the row's lock
by `actions.do_rate`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing

from policydesk.satisfaction.models import SatisfactionSurvey

_SALT = "policydesk.satisfaction.rating-link"


def window() -> timedelta:
    """How long after the solve the customer may answer, or change their answer."""
    return timedelta(days=float(settings.POLICYDESK_SATISFACTION_DAYS))


def closes_at(survey: SatisfactionSurvey) -> datetime:
    return survey.asked_at + window()


def is_open(survey: SatisfactionSurvey, now: datetime) -> bool:
    return now < closes_at(survey)


def rating_token(survey: SatisfactionSurvey, rating: str) -> str:
    """The token of the email's link that answers `survey` with `rating` (a confirm page first)."""
    data = {"s": survey.pk, "t": survey.ticket_id, "p": survey.person_id, "r": rating}
    return signing.TimestampSigner(salt=_SALT).sign_object(data)


@dataclass(frozen=True)
class RatingLink:
    """What a valid link names: the survey and the answer it offers."""

    survey: SatisfactionSurvey
    rating: str


def read_rating_token(token: str, now: datetime) -> RatingLink | None:
    """The survey and answer a valid link names, while its window is open; None otherwise
    (tampered, expired, another ticket's or person's, a person no longer active)."""
    try:
        data = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=window())
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("s", "t", "p")):
        return None
    if data.get("r") not in SatisfactionSurvey.Rating.values:
        return None
    survey = (
        SatisfactionSurvey.objects.select_related("ticket", "person")
        .filter(pk=data["s"], ticket_id=data["t"], person_id=data["p"], person__is_active=True)
        .first()
    )
    if survey is None or not is_open(survey, now):
        return None
    return RatingLink(survey, str(data["r"]))
