"""Signing in to the help center: by password, or by an emailed one-time link (C14).

A link token is `TimestampSigner`-signed (15 minutes) and carries a fingerprint of the
person's login state (password hash, email, last login); its use is recorded in the database
(`limits.use_once`), so it signs in once even when it is posted several times at once.
Requests for links are limited, and the answer is the same whether or not the address has an
account: the lookup and the email happen in a task, never in the request.

Every password form (this help center's and the admin's) checks passwords through
`check_password`, which counts attempts in the database (issue 9, finding 8): per account
and client, per client, and per account from everywhere. A stranger can use up only their own
share: the owner signs in from their own address, and an emailed link never depends on the
password limits.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core import signing
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import ngettext
from django_tasks import task

from policydesk.languages import supported_language
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, compose, queue_mail
from policydesk.mail.tasks import send_recorded
from policydesk.portal import limits
from policydesk.portal.limits import Rule
from policydesk.tickets.models import Person, email_is

log = logging.getLogger(__name__)

LINK_MAX_AGE_SECONDS = 15 * 60
LINK_REQUESTS_PER_HOUR = 5
FAILED_PASSWORDS_PER_HOUR = 10
_LINK_SALT = "policydesk.portal.signin-link"
_HOUR = timedelta(hours=1)

# Wrong passwords (an attempt counts until the password proves right). A stranger at one
# address gets FAILED_PASSWORDS_PER_HOUR guesses at an account; one address gets 50 across
# all accounts; an account gets 30 per quarter hour from everywhere together, which only many
# addresses at once can reach, and which slows them to 120 guesses an hour.
PASSWORD_RULES = (
    Rule("password:account+client", FAILED_PASSWORDS_PER_HOUR, _HOUR, ("account", "client")),
    Rule("password:client", 50, _HOUR, ("client",)),
    Rule("password:account", 30, timedelta(minutes=15), ("account",)),
)
# Link requests: per address and client, per address (so nobody's inbox is flooded), per client.
LINK_RULES = (
    Rule("link:account+client", LINK_REQUESTS_PER_HOUR, _HOUR, ("account", "client")),
    Rule("link:account", 2 * LINK_REQUESTS_PER_HOUR, _HOUR, ("account",)),
    Rule("link:client", 20, _HOUR, ("client",)),
)


def _fingerprint(person: Person) -> str:
    last_login = person.last_login.isoformat() if person.last_login else ""
    state = f"{person.pk}|{person.email}|{person.password}|{last_login}|{person.is_active}"
    return salted_hmac(_LINK_SALT, state).hexdigest()[:32]


def make_link_token(person: Person) -> str:
    """A signed, short-lived token that signs `person` in once."""
    return signing.TimestampSigner(salt=_LINK_SALT).sign_object({"p": person.pk, "f": _fingerprint(person)})


def person_for_link_token(token: str) -> Person | None:
    """The person a valid, unexpired token names (not yet used up); None otherwise."""
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


def use_link_token(token: str, now: datetime) -> Person | None:
    """The person a valid token names, using the token up; None if invalid or used before."""
    person = person_for_link_token(token)
    expires_at = now + timedelta(seconds=LINK_MAX_AGE_SECONDS)  # refused anyway by then
    if person is None or not limits.use_once("signin-link", token, expires_at, now):
        return None
    return person


def _subjects(request: HttpRequest, email: str) -> dict[str, str]:
    return {"account": email.strip().lower(), "client": limits.client_address(request)}


def allow_link_request(request: HttpRequest, email: str, now: datetime) -> bool:
    """Count a request for a sign-in link; False over any of LINK_RULES."""
    return isinstance(limits.take(LINK_RULES, _subjects(request, email), now), limits.Taken)


@dataclass(frozen=True)
class PasswordCheck:
    """A password form's answer: the person, or why not (`retry_after`: over a limit)."""

    person: Person | None
    retry_after: int | None = None


def check_password(request: HttpRequest, email: str, password: str, now: datetime) -> PasswordCheck:
    """The one way a password is checked: within PASSWORD_RULES, counted before the check so
    that parallel guesses cannot pass the limit; a right password gives its count back."""
    subjects = _subjects(request, email)
    taken = limits.take(PASSWORD_RULES, subjects, now)
    if isinstance(taken, limits.Refused):
        log.warning("sign-in refused: over the limit %s", taken.rule.name)
        return PasswordCheck(person=None, retry_after=taken.seconds(now))
    person = authenticate(request, email=subjects["account"], password=password)
    if not isinstance(person, Person):
        return PasswordCheck(person=None)
    taken.give_back()
    return PasswordCheck(person=person)


def too_many_attempts(retry_after: int) -> str:
    """What a password form says over a limit (`retry_after` seconds)."""
    minutes = max(1, math.ceil(retry_after / 60))
    return ngettext(
        "Too many attempts. Please try again in %(minutes)d minute, or ask for a sign-in link.",
        "Too many attempts. Please try again in %(minutes)d minutes, or ask for a sign-in link.",
        minutes,
    ) % {"minutes": minutes}


def request_link(email: str, lang: str) -> None:
    """Send a sign-in link to `email` if it has an account; do nothing visible otherwise."""
    send_signin_link.enqueue(email.strip().lower(), lang)


@task()
def send_signin_link(email: str, lang: str) -> None:
    """The task behind `request_link`: look the address up and email the link."""
    person = Person.objects.filter(email_is(email), is_active=True).first()
    if person is None:
        log.info("sign-in link requested for an address without an account")
        return
    now = timezone.now()
    # Recorded like all the desk's mail; the body (it holds the token) is emptied once sent
    # (OutgoingMail.BODY_PURGED_AFTER_SENDING), so no usable link stays in the database.
    send_recorded(queue_mail(signin_link_email(person, lang), now=now, enqueue=False), now)


def signin_link_email(person: Person, lang: str) -> Email:
    """The one-time sign-in link, in the person's language (else the one they asked in).
    Plain text only: the body holds the token, and is purged once sent."""
    link = settings.SITE_URL.rstrip("/") + reverse("signin-link", args=[make_link_token(person)])
    context = {"email": person.email, "link": link, "minutes": LINK_MAX_AGE_SECONDS // 60}
    return compose(
        "portal/email/signin_link", context, kind=OutgoingMail.Kind.SIGNIN, recipient=person.email,
        language=supported_language(person.language) or lang, person=person,
    )  # fmt: skip
