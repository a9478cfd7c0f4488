"""The in-product form (C13 channel 1): tokens minted by the vendor's product backend.

Token: `base64url(payload_json) + "." + base64url(HMAC-SHA256(secret, payload_part))`, no
padding, where `payload_part` is the first half exactly as sent and the payload is
`{"email": login email (C14), "org": organisation name or id, "exp": unix seconds,
"nonce": string}`. The secret is `settings.POLICYDESK_WIDGET_SECRET`; with no secret every
token is refused. A token lives at most `MAX_LIFETIME_SECONDS` and is used once: its nonce
is recorded in the database (`limits.use_once`), so no other web process takes it again.

After the token, the iframe's form carries a `widget session`: a `TimestampSigner` value
naming the person. It identifies them on the form's POST without cookies (a cross-site
iframe often gets none) and, being secret and bound to the person, also stops CSRF.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core import signing

from policydesk.portal import limits
from policydesk.tickets.models import Person, email_is

MAX_LIFETIME_SECONDS = 10 * 60
SESSION_MAX_AGE_SECONDS = 2 * 60 * 60
_SESSION_SALT = "policydesk.portal.widget-session"
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$")


class WidgetTokenError(ValueError):
    """Why a token was refused (for the log; the visitor sees one generic message)."""


@dataclass(frozen=True)
class WidgetClaims:
    email: str
    org: str
    exp: int
    nonce: str


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def widget_secret() -> str:
    return str(settings.POLICYDESK_WIDGET_SECRET or "")


def mint_token(payload: dict[str, object], secret: str) -> str:
    """What the vendor's backend does (docs/in-product-widget.md); used by the tests."""
    payload_part = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    mac = hmac.new(secret.encode(), payload_part.encode("ascii"), hashlib.sha256).digest()
    return f"{payload_part}.{_b64encode(mac)}"


def read_token(token: str, now: float) -> WidgetClaims:
    """Check the signature, the shape and the lifetime of a token (not yet who it names)."""
    secret = widget_secret()
    if not secret:
        raise WidgetTokenError("POLICYDESK_WIDGET_SECRET is not set: every token is refused")
    payload_part, dot, mac_part = token.partition(".")
    if not dot or not payload_part or not mac_part or len(token) > 4096:
        raise WidgetTokenError("malformed token")
    expected = hmac.new(secret.encode(), payload_part.encode("ascii", "replace"), hashlib.sha256).digest()
    try:
        given = _b64decode(mac_part)
        payload = json.loads(_b64decode(payload_part))
    except (binascii.Error, ValueError):
        raise WidgetTokenError("malformed token") from None
    if not hmac.compare_digest(expected, given):
        raise WidgetTokenError("bad signature")
    if not isinstance(payload, dict):
        raise WidgetTokenError("payload is not an object")
    email, org, exp, nonce = (payload.get(key) for key in ("email", "org", "exp", "nonce"))
    if not isinstance(email, str) or not isinstance(nonce, str) or not nonce:
        raise WidgetTokenError("email and nonce must be strings")
    if isinstance(org, int) and not isinstance(org, bool):
        org = str(org)
    if not isinstance(org, str) or not isinstance(exp, int) or isinstance(exp, bool):
        raise WidgetTokenError("org must be a string or an id, exp unix seconds")
    if exp < now:
        raise WidgetTokenError("expired")
    if exp > now + MAX_LIFETIME_SECONDS:
        raise WidgetTokenError(f"lives longer than {MAX_LIFETIME_SECONDS} seconds")
    return WidgetClaims(email=email.strip().lower(), org=org.strip(), exp=exp, nonce=nonce)


def person_for_token(token: str, now: float) -> Person:
    """The customer a token identifies (C14): a valid token, a known login email, the right
    organisation, used for the first time."""
    claims = read_token(token, now)
    person = (
        Person.objects.select_related("organisation")
        .filter(email_is(claims.email), is_active=True, role=Person.Role.CUSTOMER)
        .first()
    )
    if person is None or person.organisation is None:
        raise WidgetTokenError("no customer with this login email")
    organisation = person.organisation
    if claims.org not in (organisation.name, str(organisation.pk)):
        raise WidgetTokenError("the email belongs to another organisation")
    # Single use: the nonce is remembered until the token has expired (and a minute for clocks).
    expires_at = datetime.fromtimestamp(claims.exp, UTC) + timedelta(seconds=60)
    if not limits.use_once("widget-nonce", claims.nonce, expires_at, datetime.fromtimestamp(now, UTC)):
        raise WidgetTokenError("token already used")
    return person


def make_session(person: Person) -> str:
    return signing.TimestampSigner(salt=_SESSION_SALT).sign(str(person.pk))


def person_for_session(value: str) -> Person | None:
    try:
        pk = signing.TimestampSigner(salt=_SESSION_SALT).unsign(value, max_age=SESSION_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    if not pk.isdigit():
        return None
    return (
        Person.objects.select_related("organisation")
        .filter(pk=int(pk), is_active=True, role=Person.Role.CUSTOMER)
        .first()
    )


def frame_ancestors() -> str:
    """The CSP `frame-ancestors` source list: the configured product origins, else none."""
    configured = settings.POLICYDESK_WIDGET_ORIGINS
    if isinstance(configured, str):
        configured = configured.split(",")
    origins = [origin.strip().rstrip("/") for origin in configured]
    allowed = [origin for origin in origins if _ORIGIN.match(origin)]
    if not allowed and settings.DEBUG:
        return "'self'"  # development: the demo product page (/widget/demo/) is the desk's own
    return " ".join(allowed) if allowed else "'none'"


def demo_token(person: Person, now: float) -> str:
    """A token for the development demo page, signed as the product's backend would sign it."""
    assert person.organisation_id is not None  # noqa: S101 - the demo page picks customers
    payload: dict[str, object] = {
        "email": person.email,
        "org": person.organisation_id,
        "exp": int(now) + 600,
        "nonce": secrets.token_urlsafe(16),
    }
    return mint_token(payload, settings.POLICYDESK_WIDGET_SECRET)
