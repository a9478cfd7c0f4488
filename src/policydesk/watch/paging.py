"""Mission-critical paging (C5, C6): the on-call rota of the week is paged at once, 24x7,
one person after another until someone acknowledges, then the leads.

Channels are pluggable (`PagingChannel`): email to the paged person, and a generic webhook
whose JSON body is signed with HMAC-SHA256 (`X-Policydesk-Signature: sha256=<hex>`), so an
operator can bridge to PagerDuty, Opsgenie or Slack. `POLICYDESK_PAGING_CHANNELS` picks them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.core import signing
from django.urls import reverse

from policydesk import languages
from policydesk.desk_policy import plan_name
from policydesk.display import format_instant
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, compose, queue_mail
from policydesk.tickets.models import Person, Ticket
from policydesk.watch import config
from policydesk.watch.models import OnCallShift, Page, Timer
from policydesk.watch.notify import leads

log = logging.getLogger(__name__)

_ACK_SALT = "policydesk.watch.acknowledge"


# -- the rota ---------------------------------------------------------------------------


def week_start(instant: datetime) -> date:
    """The Monday of the on-call week `instant` falls in (in the on-call zone)."""
    local = instant.astimezone(ZoneInfo(config.oncall_time_zone())).date()
    return local - timedelta(days=local.weekday())


def rota(instant: datetime) -> list[Person]:
    """The people on call in the week of `instant`, in escalation order."""
    shifts = (
        OnCallShift.objects.filter(week__week_start=week_start(instant), person__is_active=True)
        .select_related("person")
        .order_by("order", "id")
    )
    return [shift.person for shift in shifts]


def targets(instant: datetime, level: int) -> tuple[list[Person], bool]:
    """Who paging level `level` reaches, and whether it is the last level (the leads)."""
    people = rota(instant)
    if level < len(people):
        return [people[level]], False
    return leads(), True


# -- acknowledgement (the action is `watch.actions.do_acknowledge_page`) ------------------


def ack_token(page: Page, person: Person) -> str:
    """A signed token that acknowledges `page` as `person` (the link in the page)."""
    return signing.TimestampSigner(salt=_ACK_SALT).sign_object({"page": page.pk, "person": person.pk})


def ack_url(page: Page, person: Person) -> str:
    return config.site_url() + reverse("watch:acknowledge", args=[ack_token(page, person)])


def read_ack_token(token: str) -> tuple[Page, Person] | None:
    """The page and person a valid, unexpired token names; None otherwise."""
    max_age = config.ack_link_max_age().total_seconds()
    try:
        data = signing.TimestampSigner(salt=_ACK_SALT).unsign_object(token, max_age=max_age)
    except (signing.BadSignature, ValueError):  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), int) for k in ("page", "person")):
        return None
    page = Page.objects.select_related("ticket").filter(pk=data["page"]).first()
    person = Person.objects.filter(pk=data["person"], is_active=True).first()
    if page is None or person is None:
        return None
    return page, person


def stop_paging(ticket: Ticket, now: datetime) -> None:
    """A public reply answers the page: no more escalation (inside the reply's transaction)."""
    stopped = Page.objects.filter(ticket=ticket, state=Page.State.OPEN).update(state=Page.State.ANSWERED)
    if stopped:
        Timer.objects.filter(ticket=ticket, kind=Timer.Kind.PAGE, state=Timer.State.PENDING).update(
            state=Timer.State.CANCELLED
        )


def open_page(ticket: Ticket, policy_version: str, now: datetime) -> Timer | None:
    """Start paging for a mission-critical ticket (inside the intake transaction): the
    first level fires at once. None if the ticket already has a page."""
    _page, created = Page.objects.get_or_create(ticket=ticket, defaults={"opened_at": now})
    if not created:
        return None
    return Timer.objects.create(
        ticket=ticket,
        kind=Timer.Kind.PAGE,
        fire_at=now,
        level=0,
        policy_version=policy_version,
        created_at=now,
    )


# -- what a page says ---------------------------------------------------------------------


@dataclass(frozen=True)
class PageMessage:
    """One page to send on one channel; `recipient` is None for the webhook."""

    key: str
    page: Page
    ticket: Ticket
    level: int
    paged: list[Person]
    recipient: Person | None
    sent_at: datetime
    extra: dict[str, Any] = field(default_factory=dict)


def page_email(message: PageMessage, person: Person) -> Email:
    """The page for `person`, in their language, times in their zone. Plain text: a page is
    read on a phone, at night, and must show in full in any mail client or pager gateway."""
    ticket = message.ticket
    lang = languages.choose(person.language)
    context = {
        "number": ticket.number,
        "subject": ticket.subject,
        "organisation": ticket.organisation.name,
        "plan": plan_name(ticket.organisation.plan, lang),
        "opened": format_instant(ticket.created_at, person.time_zone, lang),
        "due": format_instant(ticket.first_response_due, person.time_zone, lang),
        "url": config.ticket_url(ticket.number),
        "ack": ack_url(message.page, person),
        "minutes": int(config.page_ack_timeout().total_seconds() // 60),
    }
    return compose(
        "watch/email/page", context, kind=OutgoingMail.Kind.PAGE, recipient=person.email, language=lang,
        person=person, ticket=ticket,
    )  # fmt: skip


def webhook_body(message: PageMessage) -> dict[str, Any]:
    ticket = message.ticket
    return {
        "event": "page",
        "idempotency_key": message.key,
        "sent_at": message.sent_at.isoformat(),
        "level": message.level,
        "ticket": {
            "number": ticket.number,
            "subject": ticket.subject,
            "organisation": ticket.organisation.name,
            "plan": ticket.organisation.plan,
            "created_at": ticket.created_at.isoformat(),
            "first_response_due": ticket.first_response_due.isoformat()
            if ticket.first_response_due
            else None,
            "url": config.ticket_url(ticket.number),
        },
        "paged": [
            {"email": person.email, "name": person.name, "acknowledge_url": ack_url(message.page, person)}
            for person in message.paged
        ],
    }


def signature(secret: str, body: bytes) -> str:
    """The `X-Policydesk-Signature` header value for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- channels ---------------------------------------------------------------------------


class PagingChannel(Protocol):
    """A way to reach on-call people. `per_person`: one delivery per paged person, or one per level."""

    name: str
    per_person: bool

    def send(self, message: PageMessage) -> None: ...


class EmailPaging:
    """Records the page email in the caller's transaction (the delivery's, see `outbox`); the
    mail task sends it. The delivery key makes its Message-ID: recorded once however often
    the delivery is retried."""

    name = "email"
    per_person = True

    def send(self, message: PageMessage) -> None:
        assert message.recipient is not None  # noqa: S101 - per-person channel
        queue_mail(page_email(message, message.recipient), now=message.sent_at, key=message.key)


class WebhookPaging:
    """POST the page as JSON, signed with HMAC-SHA256 over the exact body bytes."""

    name = "webhook"
    per_person = False

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError(f"the paging webhook must be an http(s) URL, got {url!r}")
        self.url, self.secret, self.timeout = url, secret, timeout

    def send(self, message: PageMessage) -> None:
        body = json.dumps(webhook_body(message), sort_keys=True, separators=(",", ":")).encode()
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked in __init__
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "policydesk-paging/1",
                "Idempotency-Key": message.key,
                "X-Policydesk-Signature": signature(self.secret, body),
            },
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - checked
            if not 200 <= response.status < 300:
                raise OSError(f"paging webhook answered {response.status}")


def channels() -> list[PagingChannel]:
    """The configured paging channels; the webhook only when it has a URL and a secret."""
    chosen: list[PagingChannel] = []
    for name in config.paging_channels():
        if name == "email":
            chosen.append(EmailPaging())
        elif name == "webhook":
            url, secret = config.webhook_url(), config.webhook_secret()
            if url.startswith(("https://", "http://")) and secret:  # else policydesk.E610/E611
                chosen.append(WebhookPaging(url, secret))
        else:
            log.error("unknown paging channel %r in POLICYDESK_PAGING_CHANNELS", name)
    return chosen


def channel_named(name: str) -> PagingChannel | None:
    return next((channel for channel in channels() if channel.name == name), None)
