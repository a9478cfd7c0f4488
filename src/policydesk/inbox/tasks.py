"""The inbox's task, run by `policydesk worker`: a person's notification emails that are due."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

from policydesk.inbox import mailing


@task()
def send_notification_mail(person_id: int) -> str:
    """Record the email of the person's due notifications (`mailing.send_due`)."""
    outgoing = mailing.send_due(person_id, timezone.now())
    return "recorded" if outgoing is not None else "nothing due"


def enqueue_mail(person_id: int, at: datetime, now: datetime) -> None:
    """Enqueue the sending at `at` (later when held), in the caller's transaction. (A backend that
    cannot defer runs it at once: a held email then goes with the person's next one.)"""
    defer = at > now and send_notification_mail.get_backend().supports_defer
    later = send_notification_mail.using(run_after=at) if defer else send_notification_mail
    if isinstance(send_notification_mail.get_backend(), DatabaseBackend):
        later.enqueue(person_id)  # the task row commits (or rolls back) with the notification
    else:
        transaction.on_commit(lambda: later.enqueue(person_id))
