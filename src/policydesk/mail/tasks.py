"""Tasks of the email channel (django_tasks; the worker is `policydesk db_worker`)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from policydesk.mail import outgoing


@task()
def send_outgoing_mail(outgoing_id: int) -> str:
    """Send one recorded message through Django's email backend; failures are retried with backoff."""
    return outgoing.send(outgoing_id, now=timezone.now())
