"""A worker killed before or during a send loses no mail: the worker's sweep enqueues again
what no live sender has, after the lease (docs/email.md, "Sending")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import send, stalled_mail
from policydesk.mail.tasks import requeue_stalled
from policydesk.watch.timers import Watch
from tests.conftest import NOW
from tests.mail.test_outgoing import new_request

pytestmark = pytest.mark.usefixtures("mail_settings", "personas")

LEASE = timedelta(seconds=300)


@pytest.fixture
def ack(settings: Any) -> OutgoingMail:
    settings.POLICYDESK_MAIL_SEND_LEASE_SECONDS = LEASE.total_seconds()
    process_message(new_request(), mailbox="smtp", now=NOW)
    return OutgoingMail.objects.get(kind="ack")


def send_tasks(outgoing: OutgoingMail) -> int:
    return DBTaskResult.objects.filter(
        task_path="policydesk.mail.tasks.send_outgoing_mail", args_kwargs__args=[outgoing.pk]
    ).count()


def test_a_queued_message_is_due_when_recorded(ack: OutgoingMail) -> None:
    assert (ack.status, ack.attempt_at) == ("queued", NOW)


def test_a_queued_message_whose_task_died_is_enqueued_again_after_the_lease(ack: OutgoingMail) -> None:
    assert stalled_mail(NOW + LEASE, limit=10) == []  # not yet: its task may still run

    assert requeue_stalled(NOW + LEASE + timedelta(seconds=1)) == 1

    assert send_tasks(ack) == 2
    assert send(ack.pk, now=NOW + LEASE + timedelta(seconds=2)) == "sent"
    assert len(mail.outbox) == 1


def test_a_claim_whose_sender_died_is_taken_again_after_the_lease(ack: OutgoingMail) -> None:
    # The sender claimed it, then died before handing it over or marking it.
    OutgoingMail.objects.filter(pk=ack.pk).update(status="sending", attempt_at=NOW, attempts=1)
    assert send(ack.pk, now=NOW + LEASE - timedelta(seconds=1)) == "not queued"  # a live claim

    later = NOW + LEASE + timedelta(seconds=1)
    assert requeue_stalled(later) == 1
    assert send(ack.pk, now=later) == "sent"

    ack.refresh_from_db()
    assert (ack.status, ack.attempts, len(mail.outbox)) == ("sent", 2, 1)


def test_a_sender_past_its_lease_may_be_replaced_directly(ack: OutgoingMail) -> None:
    OutgoingMail.objects.filter(pk=ack.pk).update(status="sending", attempt_at=NOW, attempts=1)

    assert send(ack.pk, now=NOW + LEASE + timedelta(seconds=1)) == "sent"


def test_a_second_sweep_takes_nothing(ack: OutgoingMail) -> None:
    later = NOW + LEASE + timedelta(seconds=1)

    assert requeue_stalled(later) == 1
    assert requeue_stalled(later) == 0
    assert send_tasks(ack) == 2


def test_sent_suppressed_and_failed_messages_are_never_taken(ack: OutgoingMail) -> None:
    for status in ("sent", "suppressed", "failed"):
        OutgoingMail.objects.filter(pk=ack.pk).update(status=status)
        assert requeue_stalled(NOW + timedelta(days=1)) == 0


def test_a_retry_waits_for_its_backoff_before_the_sweep_takes_it(ack: OutgoingMail) -> None:
    retry_at = NOW + timedelta(minutes=2)
    OutgoingMail.objects.filter(pk=ack.pk).update(status="queued", attempt_at=retry_at, attempts=1)

    assert requeue_stalled(retry_at + LEASE - timedelta(seconds=1)) == 0
    assert requeue_stalled(retry_at + LEASE + timedelta(seconds=1)) == 1


def test_the_workers_watch_pass_runs_the_sweep(ack: OutgoingMail) -> None:
    figures = Watch().tick(NOW + LEASE + timedelta(seconds=1))

    assert figures["mail_requeued"] == 1
    assert send_tasks(ack) == 2
