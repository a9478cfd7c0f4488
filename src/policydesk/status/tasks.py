"""Status-page email, written by the task worker: confirmation links and incident updates.
Each is an `outgoing.Email` recorded and sent through the desk's one mail path
(`mail.outgoing.queue_mail`, then `mail.tasks.send_recorded` in the same task).

An update reaches subscribers in two steps. `fan_out_update` (enqueued by the action that
posted the update, in its transaction) claims the update with a conditional UPDATE and, in
the same transaction, enqueues one `send_update_email` per confirmed subscriber: if it dies
half-way nothing is committed, and a second run finds the update claimed and does nothing.
`send_update_email` records its mail under the key (update, subscriber): run twice, it
records and sends it once.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from policydesk import display
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, compose, queue_mail
from policydesk.mail.tasks import send_recorded
from policydesk.status import subscriptions
from policydesk.status.models import Incident, IncidentUpdate, Subscriber

log = logging.getLogger(__name__)


def active_subscribers() -> list[int]:
    """Ids of the addresses that confirmed and have not left."""
    return list(
        Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def confirmation_email(subscriber: Subscriber) -> Email:
    """The double opt-in link, in the subscriber's language. Plain text only, like the
    sign-in link: a short message whose one job is a link."""
    context = {
        "link": subscriptions.confirm_url(subscriber),
        "days": subscriptions.CONFIRM_MAX_AGE_SECONDS // 86400,
    }
    return compose(
        "status/email/confirm", context, kind=OutgoingMail.Kind.STATUS_CONFIRM,
        recipient=subscriber.email, language=subscriber.language,
    )  # fmt: skip


def _send(email: Email, now: datetime, key: str = "") -> None:
    send_recorded(queue_mail(email, now=now, key=key, enqueue=False), now)


@task()
def send_confirmation(subscriber_id: int) -> None:
    """Email the double opt-in link; nothing for an address that has confirmed meanwhile."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, confirmed_at__isnull=True).first()
    if subscriber is None:
        return
    _send(confirmation_email(subscriber), timezone.now())


@task()
def fan_out_update(update_id: int) -> int:
    """Enqueue one email per confirmed subscriber, once per update; returns how many."""
    with transaction.atomic():
        claimed = IncidentUpdate.objects.filter(pk=update_id, fanned_out_at__isnull=True).update(
            fanned_out_at=timezone.now()
        )
        if not claimed:
            log.info("incident update %s was already sent out", update_id)
            return 0
        subscriber_ids = active_subscribers()
        for subscriber_id in subscriber_ids:
            send_update_email.enqueue(update_id, subscriber_id)
    return len(subscriber_ids)


@task()
def send_update_email(update_id: int, subscriber_id: int) -> None:
    """One incident update to one subscriber, in their language, with a way out."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not subscriber.is_active:
        return  # unsubscribed since the update was posted
    update = IncidentUpdate.objects.select_related("incident").filter(pk=update_id).first()
    if update is None:
        return
    _send(update_email(update, subscriber), timezone.now(), key=f"status-u{update.pk}-s{subscriber.pk}")


def update_email(update: IncidentUpdate, subscriber: Subscriber) -> Email:
    """One incident update for one subscriber, in their language, with a way out (RFC 8058)."""
    incident = update.incident
    lang = subscriber.language
    unsubscribe = subscriptions.unsubscribe_url(subscriber)
    context = {
        "state": Incident.State(update.state).label,  # lazy: worded in `lang` when rendered
        "title": incident.title_in(lang),  # the subject is made one line: a title never breaks it (issue 9)
        "text": update.body_in(lang),
        "posted": display.format_instant(update.posted_at, "UTC", lang),
        "link": subscriptions.incident_url(incident.pk),
        "unsubscribe": unsubscribe,
    }
    return compose(
        "status/email/update", context, kind=OutgoingMail.Kind.STATUS_UPDATE, recipient=subscriber.email,
        language=lang,
        headers={
            # RFC 8058 one-click: mail clients POST to the link (the view accepts it without CSRF).
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )  # fmt: skip
