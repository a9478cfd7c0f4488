"""Signed links for status-page subscribers: confirm (double opt-in) and unsubscribe.

Both carry the subscriber's id and address, signed with the site's secret key. A confirm
link expires after `CONFIRM_MAX_AGE_SECONDS`; an unsubscribe link never does (it is in
every email, and an old email must still let its reader leave).
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from policydesk.status.models import Subscriber

CONFIRM_MAX_AGE_SECONDS = 7 * 24 * 3600
_CONFIRM_SALT = "policydesk.status.confirm"
_UNSUBSCRIBE_SALT = "policydesk.status.unsubscribe"


def _payload(subscriber: Subscriber) -> dict[str, object]:
    return {"s": subscriber.pk, "e": subscriber.email.lower()}


def _subscriber(data: object) -> Subscriber | None:
    if not isinstance(data, dict) or not isinstance(data.get("s"), int) or not isinstance(data.get("e"), str):
        return None
    return Subscriber.objects.filter(pk=data["s"], email__iexact=data["e"]).first()


def confirm_token(subscriber: Subscriber) -> str:
    return signing.TimestampSigner(salt=_CONFIRM_SALT).sign_object(_payload(subscriber))


def subscriber_for_confirm_token(token: str) -> Subscriber | None:
    """The subscriber a valid, unexpired confirm token names; None otherwise."""
    try:
        data = signing.TimestampSigner(salt=_CONFIRM_SALT).unsign_object(
            token, max_age=CONFIRM_MAX_AGE_SECONDS
        )
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None
    return _subscriber(data)


def unsubscribe_token(subscriber: Subscriber) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign_object(_payload(subscriber))


def subscriber_for_unsubscribe_token(token: str) -> Subscriber | None:
    try:
        data = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return _subscriber(data)


def absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def confirm_url(subscriber: Subscriber) -> str:
    return absolute(reverse("status:confirm", args=[confirm_token(subscriber)]))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("status:unsubscribe", args=[unsubscribe_token(subscriber)]))


def incident_url(incident_id: int) -> str:
    return absolute(reverse("status:incident", args=[incident_id]))
