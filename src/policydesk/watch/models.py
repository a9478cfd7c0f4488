"""What the SLA watch keeps: timers for warnings, breaches and pages, the deliveries they
cause (an outbox: one row per recipient and channel, with an idempotency key), the
on-call rota, and mission-critical pages (C6). See docs/sla-watch.md.

Rows are written by `timers.py` and `paging.py` (the watch's own actions), never by views.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Person, Ticket


class Timer(models.Model):
    """One moment the watch acts at: a warning, a breach, or a paging level (C6).

    A warning or breach belongs to one instance of one SLA metric (`metric`, `cycle`: the
    how-manieth instance on the ticket, as `tickets.MetricEvent` counts them); `due` is that
    instance's due as planned, which its emails name. Pages count as the first response's.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", _("SLA warning")
        BREACH = "breach", _("SLA breach")
        PAGE = "page", _("On-call page")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        FIRED = "fired", _("Fired")
        CANCELLED = "cancelled", _("Cancelled")

    # Its index is the unique constraint's, which the ticket leads (issue 17).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="watch_timers", db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    metric = models.CharField(_("metric"), max_length=32, default="first_response")
    cycle = models.PositiveSmallIntegerField(_("cycle"), default=1)
    fire_at = models.DateTimeField(_("fires at"))
    due = models.DateTimeField(_("due"), null=True, blank=True)
    level = models.PositiveSmallIntegerField(_("paging level"), default=0)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    policy_version = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("created"))
    fired_at = models.DateTimeField(_("fired"), null=True, blank=True)
    # The batch that fired it: a conditional UPDATE sets it, then the worker reads its own rows back.
    claim = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("timer")
        verbose_name_plural = _("timers")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle", "kind", "fire_at"], name="watch_timer_once_per_metric"
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["state", "fire_at"])]

    def __str__(self) -> str:
        return (
            f"{self.kind} of {self.metric} {self.cycle} of ticket {self.ticket_id} "
            f"at {self.fire_at:%Y-%m-%d %H:%M} ({self.state})"
        )


class Delivery(models.Model):
    """One message to send: a page, or SLA notifications, to one person (or one webhook).

    `key` is the idempotency key: the email's Message-ID and the webhook's
    `Idempotency-Key`, so a resend after a crash is recognisable as the same message.

    SLA notifications are its `items`, one per (timer, person). A `digest` delivery carries
    every warning and breach that fired for its recipient while it waited to be sent (one
    email for a burst, not one per ticket); items are added only while it has never been
    claimed (`attempts == 0`), so what a resend says is what the first send said. A page, and
    a mission-critical ticket's notification (C6), is a delivery of its own. `timer`,
    `ticket`, `kind` and `moment` are those of the notification that opened the delivery.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEBHOOK = "webhook", _("Webhook")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    key = models.CharField(max_length=100, unique=True)
    timer = models.ForeignKey(Timer, on_delete=models.CASCADE, related_name="deliveries")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Timer.Kind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recipient = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    moment = models.DateTimeField(_("moment"))  # the (first) timer's instant
    deliver_after = models.DateTimeField(_("deliver after"))  # later when held for office hours
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(blank=True)
    claim = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(_("created"))
    digest = models.BooleanField(_("digest"), default=False)  # may gather more notifications
    notifications = models.PositiveIntegerField(_("notifications"), default=0)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["state", "deliver_after"])]

    def __str__(self) -> str:
        return f"{self.kind} by {self.channel} ({self.state})"


class DeliveryItem(models.Model):
    """One SLA notification, a timer told to one person, carried by one delivery.

    Unique on (timer, recipient): a fired timer tells each person once, in one message.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="items")
    timer = models.ForeignKey(Timer, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=Timer.Kind.choices)
    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    moment = models.DateTimeField(_("moment"))  # the timer's instant
    # The moment, or the opening of the recipient's office it is held for: lag counts from here.
    deliver_after = models.DateTimeField(_("deliver after"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["timer", "recipient"], name="watch_notify_person_once_per_timer"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of ticket {self.ticket_id} to person {self.recipient_id}"


class OnCallWeek(models.Model):
    """The on-call rota of one week (Monday to Sunday in the on-call zone), C6."""

    week_start = models.DateField(_("week starting (Monday)"), unique=True)

    class Meta:
        verbose_name = _("on-call week")
        verbose_name_plural = _("on-call rota")
        ordering = ("-week_start",)

    def __str__(self) -> str:
        return f"{self.week_start:%Y-%m-%d}"


class OnCallShift(models.Model):
    """A person on call in a week, in escalation order (first paged first)."""

    week = models.ForeignKey(OnCallWeek, on_delete=models.CASCADE, related_name="shifts")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    order = models.PositiveSmallIntegerField(_("escalation order"), default=0)

    class Meta:
        verbose_name = _("on-call person")
        verbose_name_plural = _("on-call people")
        ordering = ("order", "id")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["week", "person"], name="watch_oncall_person_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.week}: {self.order}. {self.person}"


class Page(models.Model):
    """A mission-critical ticket paging the on-call rota until someone acknowledges (C6)."""

    class State(models.TextChoices):
        OPEN = "open", _("Paging")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ANSWERED = "answered", _("Answered")

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="page")
    opened_at = models.DateTimeField(_("opened"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    level = models.PositiveSmallIntegerField(_("paging level"), default=0)
    acknowledged_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")

    def __str__(self) -> str:
        return f"page for ticket {self.ticket_id} ({self.state})"


class PlanMark(models.Model):
    """The last complete plan of every open ticket (`timers.plan_open_tickets`): under which
    policy version, warning share and planning rules. The actions keep each ticket's timers
    current in their own transactions, so a worker starting under the same signature has no
    need to plan 100,000 tickets again; a new policy, share or planning code does."""

    name = models.CharField(max_length=32, unique=True)
    signature = models.CharField(max_length=200)
    finished_at = models.DateTimeField()

    class Meta:
        verbose_name = _("complete plan")
        verbose_name_plural = _("complete plans")

    def __str__(self) -> str:
        return f"{self.name}: {self.signature} at {self.finished_at:%Y-%m-%d %H:%M}"
