"""Each notification is delivered once: across a worker killed mid-run and restarted, and
with two workers claiming the same timers and deliveries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings

from policydesk.mail import conf
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import send
from policydesk.watch import outbox, timers
from policydesk.watch.models import Delivery, DeliveryItem, Timer
from tests.conftest import Personas, at_once
from tests.watch.harness import open_ticket, run_worker, watch_outbox

CREATED = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
WARNING_AT = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)  # the default POLICYDESK_DELIVERY_LEASE_SECONDS
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


class Killed(BaseException):
    """A worker process dying (kill -9): nothing after this point runs."""


def run_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        run_worker()


def test_a_worker_killed_while_firing_leaves_the_timer_to_the_next_run(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)

    def die(*args: Any, **kwargs: Any) -> None:
        raise Killed

    with monkeypatch.context() as patched:
        patched.setattr(Delivery.objects, "bulk_create", die)
        with pytest.raises(Killed):
            timers.fire_due(WARNING_AT)  # claimed the timer, then died before committing
    assert Timer.objects.get(ticket=ticket, kind="warning").state == Timer.State.PENDING

    run_at(WARNING_AT + timedelta(seconds=5))  # the restarted worker
    run_at(WARNING_AT + timedelta(minutes=5))

    assert [m.to for m in watch_outbox()] == [[personas.agent.email]]


def test_a_worker_killed_after_claiming_a_delivery_is_replaced_once_the_lease_has_passed(
    personas: Personas,
) -> None:
    open_ticket(personas.customer, "troubleshooting", CREATED)
    assert timers.fire_due(WARNING_AT) == 1
    delivery = Delivery.objects.get()
    assert outbox.claim(delivery.pk, WARNING_AT)  # worker A claims it, then is killed

    run_at(WARNING_AT + LEASE - timedelta(seconds=1))  # worker B: the claim is still A's
    assert watch_outbox() == []
    assert Delivery.objects.get().state == Delivery.State.SENDING

    run_at(WARNING_AT + LEASE + timedelta(seconds=1))  # the lease is over: B sends it
    run_at(WARNING_AT + 3 * LEASE)

    assert [m.to for m in watch_outbox()] == [[personas.agent.email]]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (Delivery.State.SENT, 2)


def test_a_worker_killed_between_recording_and_marking_an_email_sends_it_once(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An email is recorded (OutgoingMail) in the transaction that marks the delivery sent
    # (docs/sla-watch.md): a worker killed before the mark recorded nothing, the next sends it.
    open_ticket(personas.customer, "troubleshooting", CREATED)
    timers.fire_due(WARNING_AT)
    delivery = Delivery.objects.get()
    finish = outbox._finish

    def die_when_marking_sent(delivery: Delivery, now: datetime, **fields: object) -> None:
        if fields.get("state") == Delivery.State.SENT:
            raise Killed
        finish(delivery, now, **fields)

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "_finish", die_when_marking_sent)
        with pytest.raises(Killed):
            outbox.send_delivery(delivery.pk, WARNING_AT)
    run_at(WARNING_AT + LEASE + timedelta(seconds=1))

    (only,) = watch_outbox()
    assert only.extra_headers["Message-ID"] == f"<{delivery.key}@{conf.support_domain()}>"
    assert OutgoingMail.objects.filter(message_id__startswith=f"{delivery.key}@").count() == 1
    assert Delivery.objects.get().state == Delivery.State.SENT


def test_two_claims_on_the_same_timer_or_delivery_give_it_to_one_worker(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    warning = Timer.objects.get(ticket=ticket, kind="warning")

    assert timers.fire_timers([warning.pk], WARNING_AT) == 1
    assert timers.fire_timers([warning.pk], WARNING_AT) == 0  # the second worker gets 0 rows
    delivery = Delivery.objects.get()
    assert outbox.claim(delivery.pk, WARNING_AT) is True
    assert outbox.claim(delivery.pk, WARNING_AT) is False
    assert outbox.send_delivery(delivery.pk, WARNING_AT) == outbox.Outcome.SKIPPED
    assert Delivery.objects.count() == 1


def test_a_timer_is_not_fired_before_its_moment(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    warning = Timer.objects.get(ticket=ticket, kind="warning")

    assert timers.fire_timers([warning.pk], WARNING_AT - timedelta(seconds=1)) == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="threads racing on one database need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_postgresql_deliver_each_notification_once(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", CREATED)
    Timer.objects.filter(ticket=ticket).delete()
    Timer.objects.bulk_create(
        Timer(ticket=ticket, kind="warning", fire_at=WARNING_AT - timedelta(seconds=n), policy_version="x",
              created_at=CREATED)
        for n in range(200)
    )  # fmt: skip

    def send_every_delivery() -> None:
        for delivery_id in Delivery.objects.order_by("?").values_list("pk", flat=True):
            outbox.send_delivery(delivery_id, WARNING_AT)

    # Two workers fire the same due timers, then both send every delivery (an error in either is raised).
    at_once(2, lambda: timers.fire_due(WARNING_AT, limit=20))
    at_once(2, send_every_delivery)

    assert Timer.objects.filter(state=Timer.State.FIRED).count() == 200
    # Each timer told the agent once, in one message; the messages (digests, joined while
    # unclaimed) were each sent once.
    items = list(DeliveryItem.objects.values_list("timer_id", "delivery_id"))
    assert len(items) == len({timer for timer, _delivery in items}) == 200
    deliveries = Delivery.objects.count()
    assert Delivery.objects.filter(state=Delivery.State.SENT).count() == deliveries
    assert sum(Delivery.objects.values_list("notifications", flat=True)) == 200
    for queued in OutgoingMail.objects.filter(status="queued").values_list("pk", flat=True):
        send(queued, now=WARNING_AT)  # the mail task's work: the deliveries recorded their email
    message_ids = [m.extra_headers["Message-ID"] for m in watch_outbox()]
    assert len(message_ids) == len(set(message_ids)) == deliveries
