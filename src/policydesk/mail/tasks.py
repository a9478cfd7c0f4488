"""Tasks of the email channel (django_tasks; the worker is `policydesk db_worker`)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from policydesk.mail import sending
from policydesk.mail.models import OutgoingMail


def send_and_retry(outgoing_id: int, now: datetime) -> str:
    """Send one recorded message; a refused send is enqueued again at its backoff time (where
    the task backend can defer), and the failure raised so the task result shows it."""
    try:
        return sending.send(outgoing_id, now=now)
    except sending.SendFailed as failed:
        if failed.retry_at is not None and send_outgoing_mail.get_backend().supports_defer:
            send_outgoing_mail.using(run_after=failed.retry_at).enqueue(outgoing_id)
        raise


@task()
def send_outgoing_mail(outgoing_id: int) -> str:
    """Send one recorded message through Django's email backend; failures are retried with backoff."""
    return send_and_retry(outgoing_id, timezone.now())


def enqueue_send(outgoing_id: int) -> None:
    """Enqueue the sending of a message just recorded, in the caller's transaction."""
    if type(send_outgoing_mail.get_backend()).__module__.startswith("django_tasks_db"):
        # The task row commits (or rolls back) with the change that caused the mail.
        send_outgoing_mail.enqueue(outgoing_id)
    else:
        transaction.on_commit(lambda: send_outgoing_mail.enqueue(outgoing_id))


def requeue_stalled(now: datetime, limit: int = 500) -> int:
    """Enqueue again what no live sender has (`sending.stalled_mail`); the worker's sweep."""
    taken = sending.stalled_mail(now, limit)
    for outgoing_id in taken:
        send_outgoing_mail.enqueue(outgoing_id)
    return len(taken)


def send_recorded(outgoing: OutgoingMail, now: datetime) -> str:
    """Send at once a message a task has just recorded (outside any transaction: the record is
    committed): the task is already the background work, a second hop through the queue adds
    only a delay. A failure is retried like any other (`send_and_retry`)."""
    if outgoing.status != OutgoingMail.Status.QUEUED:
        return str(outgoing.status)  # suppressed
    return send_and_retry(outgoing.pk, now)
