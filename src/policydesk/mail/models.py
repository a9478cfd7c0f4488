"""The email channel's records: every message as it arrived, the Message-IDs that thread a
conversation, the mail we send, and where the IMAP poller left off.

Rows here are written by `ingest.py`, `outgoing.py` and `imap.py` inside their own
transactions (the mail adapters' counterpart of `tickets.actions`).
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from policydesk.tickets.models import Message, Person, Ticket


class InboundMessage(models.Model):
    """One received message, its raw bytes stored first and never rebuilt, and what became of it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")  # stored, not yet processed (or processing failed on our side)
        TICKET = "ticket", _("New ticket")
        REPLY = "reply", _("Reply added")
        AUTO = "auto", _("Automatic mail, not answered")
        REJECTED = "rejected", _("Sender rejected")
        QUARANTINED = "quarantined", _("Quarantined")
        DUPLICATE = "duplicate", _("Already taken through another mailbox")

    mailbox = models.CharField(_("mailbox"), max_length=64)
    # The Message-ID, or "sha256:<hex>" of the raw bytes when there is none: one row per message.
    key = models.CharField(max_length=255)
    message_id = models.CharField(max_length=998, blank=True)
    sha256 = models.CharField(max_length=64)
    raw = models.BinaryField()
    size = models.PositiveIntegerField()
    envelope_sender = models.CharField(max_length=998, blank=True)
    envelope_recipients = models.JSONField(default=list)
    received_at = models.DateTimeField(_("received"), db_index=True)

    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING, db_index=True
    )
    reason = models.TextField(_("reason"), blank=True)
    sender = models.CharField(_("sender"), max_length=320, blank=True)
    subject = models.TextField(_("subject"), blank=True)
    body_text = models.TextField(blank=True)  # the reply text stored on the ticket
    full_text = models.TextField(blank=True)  # with the quoted history ("show quoted")
    attachment_names = models.JSONField(default=list)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["mailbox", "key"], name="mail_inbound_once_per_mailbox"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox}:{self.key} ({self.outcome})"


class MessageLink(models.Model):
    """A Message-ID we received or sent, and the ticket (and conversation entry) it belongs to:
    the In-Reply-To/References evidence for threading."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Received")
        OUTBOUND = "out", _("Sent")

    message_id = models.CharField(max_length=255, unique=True)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"<{self.message_id}> → {self.ticket_id}"


class OutgoingMail(models.Model):
    """A message the desk sends, recorded in the transaction that caused it, sent by a task."""

    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "ack", _("Acknowledgement")
        AGENT_REPLY = "reply", _("Agent reply")
        DEFLECTION = "deflection", _("Deflection notice")
        REJECTION = "rejection", _("Unknown sender notice")
        MEETING = "meeting", _("Call proposal or answer")
        LEFT_OUT = "left_out", _("Files not attached notice")
        SLA_WARNING = "sla_warning", _("First response due soon alert")
        SLA_BREACH = "sla_breach", _("First response overdue alert")
        SLA_DIGEST = "sla_digest", _("First response alerts digest")
        PAGE = "page", _("On-call page")
        STATUS_CONFIRM = "status_confirm", _("Status subscription confirmation")
        STATUS_UPDATE = "status_update", _("Incident update")
        SIGNIN = "signin", _("Sign-in link")
        NOTICE = "notice", _("Agent notification")
        NOTICE_DIGEST = "notice_digest", _("Agent notifications digest")
        MERGED = "merged", _("Tickets merged notice")
        SATISFACTION = "satisfaction", _("Satisfaction survey")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SUPPRESSED = "suppressed", _("Suppressed (rate limit)")
        FAILED = "failed", _("Failed")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    automatic = models.BooleanField(default=True)  # Auto-Submitted: auto-replied, rate limited
    recipient = models.CharField(max_length=320)  # indexed first in mail_out_rate_limit (Meta)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    ticket_message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    in_reply_to = models.CharField(max_length=255, blank=True)
    references = models.JSONField(default=list)
    message_id = models.CharField(max_length=255, unique=True)
    language = models.CharField(max_length=8, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()  # emptied once sent for the kinds in BODY_PURGED_AFTER_SENDING
    html_body = models.TextField(blank=True, default="")  # the HTML alternative ('' = text only); purged too
    headers = models.JSONField(default=dict, blank=True)  # extra headers (List-Unsubscribe)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Queued: when its (next) send is due (recorded, or a retry's backoff); sending: when a
    # sender claimed it. Older than the lease, the worker's sweep enqueues it again
    # (`sending.requeue_stalled`): a worker killed before or during a send loses nothing.
    attempt_at = models.DateTimeField(null=True, blank=True)
    # The token of the claim that took it last (a batch of the worker's, or the sweep): the
    # claimed rows are read back by it, so one conditional UPDATE claims a whole batch.
    claim = models.CharField(max_length=32, blank=True, default="")

    #: What counts against the per-recipient rate limit of automatic mail.
    RATE_LIMITED_STATUSES = (Status.QUEUED, Status.SENDING, Status.SENT)
    #: Automatic answers to mail we received (RFC 3834 `auto-replied`): the kinds that can feed
    #: a mail loop, so under the per-recipient rate limit. Staff alerts (SLA, pages) must never
    #: be dropped by it; sign-in links and status mail have limits of their own.
    REPLY_KINDS = (Kind.ACKNOWLEDGEMENT, Kind.DEFLECTION, Kind.REJECTION, Kind.LEFT_OUT)
    #: The kinds under the per-recipient rate limit: the answers above, and the satisfaction
    #: survey (`auto-generated`, not an answer, but automatic mail that many solves at once
    #: could multiply).
    RATE_LIMITED_KINDS = (*REPLY_KINDS, Kind.SATISFACTION)
    #: Kinds whose body carries a secret (a sign-in token): not kept once the message is out
    #: (the HTML part neither).
    BODY_PURGED_AFTER_SENDING = (Kind.SIGNIN,)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            # The rate-limit count reads only the mail that counts: a flood from one sender
            # (thousands of suppressed acknowledgements) must not make every count slower.
            models.Index(fields=["recipient", "status", "created_at"], name="mail_out_rate_limit"),
            models.Index(fields=["status", "attempt_at"], name="mail_out_stalled"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient} ({self.status})"


class ImapFolderState(models.Model):
    """Where the IMAP poller is in one folder; a new UIDVALIDITY starts it over (duplicates
    are then caught by the inbound unique key)."""

    mailbox = models.CharField(max_length=64)
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField(default=0)
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="mail_imap_state_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.mailbox}:{self.folder} uidvalidity={self.uidvalidity} last={self.last_uid}"
