"""Sending one delivery: claim it, check it still matters, send it, mark it sent.

The claim is a conditional UPDATE (`pending` → `sending`, or a `sending` row whose lease
has run out) committed before anything leaves, so two workers never send the same
delivery at the same time.

An email (SLA warning, breach, digest, email page) is not sent here: it is recorded as an
`OutgoingMail` (`mail.outgoing.queue_mail`, the one path for the desk's mail) in the same
transaction that marks the delivery sent, and the mail task sends it (loop header,
`Auto-Submitted`, retries). Record and mark commit together: exactly once. The record's
Message-ID is made from the delivery key, so even a delivery marked by no one is recorded
once.

A webhook page cannot share a transaction with the receiving server: a worker killed after
the POST and before the mark leaves a `sending` row that another worker sends again once
the lease has passed. That resend carries the same `Idempotency-Key`, so the receiving
side can recognise it; a worker killed before the send causes no duplicate at all.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime
from enum import Enum

from django.db import transaction
from django.db.models import F, Q

from policydesk.mail.outgoing import queue_mail
from policydesk.watch import config, paging
from policydesk.watch.models import Delivery, Page, Timer
from policydesk.watch.notify import Notice, notification_email
from policydesk.watch.owed import still_owed

log = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"
    SKIPPED = "skipped"  # another worker has it, or it is not due yet
    CANCELLED = "cancelled"  # no longer matters: answered, solved, acknowledged
    RETRY = "retry"
    FAILED = "failed"


def claim(delivery_id: int, now: datetime) -> bool:
    """Take a delivery for sending; False if it is not ours to send."""
    cutoff = now - config.delivery_lease()
    with transaction.atomic():
        taken = (
            Delivery.objects.filter(pk=delivery_id)
            .filter(
                Q(state=Delivery.State.PENDING, deliver_after__lte=now)
                | Q(state=Delivery.State.SENDING, claimed_at__lt=cutoff)
            )
            .update(state=Delivery.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
        )
    return taken == 1


def _still_notified(delivery: Delivery) -> list[Notice]:
    """The notifications a delivery carries whose metric is still owed: one answered, solved or
    paused since it fired is left out (owed.py)."""
    items = delivery.items.select_related("ticket", "ticket__organisation", "ticket__assignee", "timer")
    carried = [
        Notice(item.ticket, item.kind, item.timer.metric, item.timer.cycle, item.timer.due)
        for item in items.order_by("moment", "pk")
    ]
    if not carried:  # written before deliveries had items
        timer = delivery.timer
        carried = [Notice(delivery.ticket, delivery.kind, timer.metric, timer.cycle, timer.due)]
    return [notice for notice, owed in zip(carried, still_owed(carried), strict=True) if owed]


def _still_matters(delivery: Delivery) -> bool:
    return Page.objects.filter(ticket_id=delivery.ticket_id, state=Page.State.OPEN).exists()


def _send(delivery: Delivery, now: datetime, notified: list[Notice]) -> None:
    if delivery.kind != Timer.Kind.PAGE:
        assert delivery.recipient is not None  # noqa: S101 - SLA notifications go to people
        queue_mail(notification_email(delivery.recipient, notified, now), now=now, key=delivery.key)
        return
    channel = paging.channel_named(delivery.channel)
    if channel is None:
        raise RuntimeError(f"paging channel {delivery.channel!r} is not configured any more")
    page = Page.objects.get(ticket_id=delivery.ticket_id)
    people, _last = paging.targets(delivery.moment, delivery.timer.level)
    message = paging.PageMessage(
        key=delivery.key,
        page=page,
        ticket=delivery.ticket,
        level=delivery.timer.level,
        paged=people,
        recipient=delivery.recipient,
        sent_at=now,
    )
    channel.send(message)


def _finish(delivery: Delivery, now: datetime, **fields: object) -> None:
    # Only while still ours: a claim taken over after our lease ran out is the other worker's.
    mine = Delivery.objects.filter(
        pk=delivery.pk, state=Delivery.State.SENDING, claimed_at=delivery.claimed_at
    )
    if not mine.update(**fields):
        log.warning("delivery %s was taken over by another worker before it was marked", delivery.key)


def send_delivery(delivery_id: int, now: datetime) -> Outcome:
    """Claim, check, send and mark one delivery."""
    if not claim(delivery_id, now):
        return Outcome.SKIPPED
    delivery = Delivery.objects.select_related(
        "ticket", "ticket__organisation", "ticket__assignee", "recipient", "timer"
    ).get(pk=delivery_id)
    notified: list[Notice] = []
    if delivery.kind == Timer.Kind.PAGE:
        matters = _still_matters(delivery)
    else:
        notified = _still_notified(delivery)
        matters = bool(notified)
    if not matters:
        _finish(delivery, now, state=Delivery.State.CANCELLED)
        return Outcome.CANCELLED
    # An email is recorded, not sent: the record and the mark commit together (a savepoint
    # around the record, so a failure to record is marked for a retry in the same transaction).
    by_email = delivery.kind != Timer.Kind.PAGE or delivery.channel == paging.EmailPaging.name
    with transaction.atomic() if by_email else nullcontext():
        try:
            with transaction.atomic() if by_email else nullcontext():
                _send(delivery, now, notified)
        except Exception as error:  # any transport failure: retried, then recorded
            return _failed(delivery, now, error)
        _finish(delivery, now, state=Delivery.State.SENT, sent_at=now)
    return Outcome.SENT


def _failed(delivery: Delivery, now: datetime, error: Exception) -> Outcome:
    give_up = delivery.attempts >= config.max_attempts()
    log.warning("delivery %s failed (attempt %s): %s", delivery.key, delivery.attempts, error)
    _finish(
        delivery,
        now,
        state=Delivery.State.FAILED if give_up else Delivery.State.PENDING,
        enqueued_at=now,  # the sweep enqueues it again once the lease has passed
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )
    return Outcome.FAILED if give_up else Outcome.RETRY
