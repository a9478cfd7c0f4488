"""What an agent is told (issue 11, "Agents are told"): one `Notification` per event and recipient.

Rows are written by the receivers of the ticket signals (`inbox.receivers`, inside the
action's transaction), marked read by `inbox.actions`, and marked emailed by `inbox.mailing`.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Message, Person, Ticket
from policydesk.tickets.models import Notification as Kind


class Notification(models.Model):
    """One notification for one staff member: a customer's reply on their ticket, a ticket
    assigned to them, an @mention in an internal note, their ticket reopened.

    `email_after`: when its email may go (held for office hours or gathered into a digest,
    `inbox.mailing`); None when the person does not want this kind by email. `emailed_at`: set
    in the transaction that records the email, so each notification is mailed once."""

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"))
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    email_after = models.DateTimeField(_("email after"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(fields=["recipient", "emailed_at", "email_after"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on ticket {self.ticket_id} for person {self.recipient_id}"
