"""Signing in to the help center: by password, or by an emailed one-time link (C14).

A link token is `TimestampSigner`-signed (15 minutes) and carries a fingerprint of the
person's login state (password hash, email, last login). Signing in changes `last_login`
(Django's `update_last_login`), so a link works once. Requests for links are limited per
email address, and the answer is the same whether or not the address has an account: the
lookup and the email happen in a task, never in the request.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django_tasks import task

from policydesk.portal.middleware import supported_language
from policydesk.tickets.models import Person

log = logging.getLogger(__name__)

LINK_MAX_AGE_SECONDS = 15 * 60
LINK_REQUESTS_PER_HOUR = 5
FAILED_PASSWORDS_PER_HOUR = 10
_LINK_SALT = "policydesk.portal.signin-link"


def _fingerprint(person: Person) -> str:
    last_login = person.last_login.isoformat() if person.last_login else ""
    state = f"{person.pk}|{person.email}|{person.password}|{last_login}|{person.is_active}"
    return salted_hmac(_LINK_SALT, state).hexdigest()[:32]


def make_link_token(person: Person) -> str:
    """A signed, short-lived token that signs `person` in once."""
    return signing.TimestampSigner(salt=_LINK_SALT).sign_object({"p": person.pk, "f": _fingerprint(person)})


def person_for_link_token(token: str) -> Person | None:
    """The person a valid, unexpired, unused token names; None otherwise."""
    try:
        data = signing.TimestampSigner(salt=_LINK_SALT).unsign_object(token, max_age=LINK_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not isinstance(data.get("p"), int) or not isinstance(data.get("f"), str):
        return None
    person = Person.objects.filter(pk=data["p"], is_active=True).first()
    if person is None or not constant_time_compare(data["f"], _fingerprint(person)):
        return None
    return person


def _bucket(kind: str, email: str) -> str:
    return f"policydesk:portal:{kind}:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def _take(key: str, limit: int) -> bool:
    """Count one use of `key` in a one-hour window; False once `limit` is passed."""
    cache.add(key, 0, timeout=3600)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=3600)
        used = 1
    return used <= limit


def allow_link_request(email: str) -> bool:
    """At most LINK_REQUESTS_PER_HOUR sign-in links per address and hour."""
    return _take(_bucket("link", email), LINK_REQUESTS_PER_HOUR)


def allow_password_attempt(email: str) -> bool:
    """True while the address has had fewer than FAILED_PASSWORDS_PER_HOUR failures this hour."""
    used = cache.get(_bucket("password", email), 0)
    return int(used) < FAILED_PASSWORDS_PER_HOUR


def record_failed_password(email: str) -> None:
    _take(_bucket("password", email), FAILED_PASSWORDS_PER_HOUR)


def request_link(email: str, lang: str) -> None:
    """Send a sign-in link to `email` if it has an account; do nothing visible otherwise."""
    send_signin_link.enqueue(email.strip().lower(), lang)


@task()
def send_signin_link(email: str, lang: str) -> None:
    """The task behind `request_link`: look the address up and email the link."""
    person = Person.objects.filter(email__iexact=email, is_active=True).first()
    if person is None:
        log.info("sign-in link requested for an address without an account")
        return
    link = settings.SITE_URL.rstrip("/") + reverse("signin-link", args=[make_link_token(person)])
    with translation.override(supported_language(person.language) or lang):
        subject = _("Your sign-in link for the help center")
        body = render_to_string(
            "portal/email/signin_link.txt",
            {"person": person, "link": link, "minutes": LINK_MAX_AGE_SECONDS // 60},
        )
    send_mail(subject, body, None, [person.email])
