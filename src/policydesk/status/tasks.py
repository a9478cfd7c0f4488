"""Status-page email, sent by the task worker: confirmation links and incident updates.

An update reaches subscribers in two steps. `fan_out_update` (enqueued by the action that
posted the update, in its transaction) claims the update with a conditional UPDATE and, in
the same transaction, enqueues one `send_update_email` per confirmed subscriber: if it dies
half-way nothing is committed, and a second run finds the update claimed and does nothing.
"""

from __future__ import annotations

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from policydesk import display
from policydesk.oneline import one_line
from policydesk.status import subscriptions
from policydesk.status.models import IncidentUpdate, Subscriber

log = logging.getLogger(__name__)


def active_subscribers() -> list[int]:
    """Ids of the addresses that confirmed and have not left."""
    return list(
        Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@task()
def send_confirmation(subscriber_id: int) -> None:
    """Email the double opt-in link; nothing for an address that has confirmed meanwhile."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id, confirmed_at__isnull=True).first()
    if subscriber is None:
        return
    with translation.override(subscriber.language):
        subject = _("Confirm your status updates subscription")
        body = render_to_string(
            "status/email/confirm.txt",
            {
                "link": subscriptions.confirm_url(subscriber),
                "days": subscriptions.CONFIRM_MAX_AGE_SECONDS // 86400,
            },
        )
    EmailMessage(subject, body, None, [subscriber.email]).send()


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
    incident = update.incident
    lang = subscriber.language
    unsubscribe = subscriptions.unsubscribe_url(subscriber)
    with translation.override(lang):
        subject = _("[%(state)s] %(title)s") % {
            "state": update.get_state_display(),
            "title": incident.title_in(lang),
        }
        body = render_to_string(
            "status/email/update.txt",
            {
                "incident": incident,
                "title": incident.title_in(lang),
                "update": update,
                "text": update.body_in(lang),
                "posted": display.format_instant(update.posted_at, "UTC", lang),
                "link": subscriptions.incident_url(incident.pk),
                "unsubscribe": unsubscribe,
            },
        )
    message = EmailMessage(
        one_line(subject),  # an incident title never breaks the header (issue 9)
        body,
        None,
        [subscriber.email],
        headers={
            # RFC 8058 one-click: mail clients POST to the link (the view accepts it without CSRF).
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.send()
