"""Sending one recorded message (`OutgoingMail`): claim it, build it, hand it to Django's
email backend, mark it; a failure is retried with backoff (the task schedules it, see
`mail.tasks`), then reported on the ticket.

This module knows nothing of the task that calls it: `mail.tasks` imports it, and
`mail.outgoing` (which records mail) imports `mail.tasks` to enqueue; no cycle.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from email.policy import Compat32
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import F, Q

from policydesk.mail import conf
from policydesk.mail.loops import OUR_HEADER
from policydesk.mail.models import OutgoingMail
from policydesk.mail.threads import reply_address
from policydesk.oneline import one_line
from policydesk.tickets.actions import do_report_undelivered_mail

log = logging.getLogger(__name__)


#: Characters that end a line for `str.splitlines`, in ASCII: a header value with any of them is
#: folded by the standard library (which refuses an embedded header).
_LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e")
#: The line length `Header.encode` takes for none (0 or None).
_NO_LIMIT = 1_000_000


class QuickFolding(Compat32):
    """The `compat32` policy Django's messages are written with, without its folding of header
    values where folding changes nothing: a value of ASCII on one line, with no space
    at either end, that fits on the header's line (the name, ": " and the value within
    `max_line_length`) is written as it is, as `email.header.Header.encode` writes it. Every
    other value is `compat32`'s. Folding every header (17 per acknowledgement) was a third of
    the CPU of sending one (issue 17); tests/mail/test_sending.py compares the two on every
    header of the corpus and of the desk's own messages."""

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value
            and value.isascii()
            and not value[0].isspace()
            and not value[-1].isspace()
            and len(name) + 2 + len(value) <= (self.max_line_length or _NO_LIMIT)
            and _LINE_BREAKS.isdisjoint(value)
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)  # type: ignore[no-any-return, misc]  # the standard library's, private


QUICK_FOLDING = QuickFolding()


class _Email(EmailMultiAlternatives):
    """Django's message with the boundary of its multipart chosen when it is made: left unset,
    the standard library's generator picks one per message and compiles a regular expression
    to check it against the text (a third of building an acknowledgement). A random 128-bit
    boundary cannot occur in a text written before it was drawn. Written with `QUICK_FOLDING`."""

    def message(self, **kwargs: Any) -> Any:
        msg = super().message(**kwargs)
        msg.policy = QUICK_FOLDING  # the generator writes the parts with the message's policy
        return msg

    def _create_alternatives(self, msg: Any) -> Any:
        msg = super()._create_alternatives(msg)  # type: ignore[misc]  # Django's hook, not in the stubs
        if msg.is_multipart() and msg.get_boundary() is None:
            msg.set_boundary(f"==============={uuid.uuid4().hex}==")
        return msg


def build_email(outgoing: OutgoingMail) -> EmailMultiAlternatives:
    """The message as it goes out (Django's email message, any configured backend): the
    plain-text body, and the HTML alternative when the email has one."""
    headers = {
        "Message-ID": f"<{outgoing.message_id}>",
        OUR_HEADER: outgoing.kind,
        "X-Auto-Response-Suppress": "All",  # asks Exchange and friends not to auto-reply to us
    }
    if outgoing.automatic:  # RFC 3834: an answer to mail we received, or mail of our own
        replied = outgoing.kind in OutgoingMail.REPLY_KINDS
        headers["Auto-Submitted"] = "auto-replied" if replied else "auto-generated"
    if outgoing.in_reply_to:
        headers["In-Reply-To"] = f"<{outgoing.in_reply_to}>"
    if outgoing.references:
        headers["References"] = " ".join(f"<{m}>" for m in outgoing.references)
    headers.update(outgoing.headers)
    reply_to = [conf.support_address()]
    if outgoing.ticket is not None and outgoing.person is not None:
        reply_to = [reply_address(outgoing.ticket, outgoing.person)]
    email = _Email(
        subject=one_line(outgoing.subject),  # rows written before the rule, too (issue 9)
        body=outgoing.body,
        from_email=conf.from_address(),
        to=[outgoing.recipient],
        reply_to=reply_to,
        headers=headers,
    )
    if outgoing.html_body:
        email.attach_alternative(outgoing.html_body, "text/html")
    return email


#: What building a message raises (a header with a line break, an address that is no address:
#: Django's BadHeaderError and sanitize_address raise ValueError); the transport raises OSError
#: and smtplib's errors. The message is built once, by the backend, and the two told apart here.
UNBUILDABLE = (ValueError, TypeError)


class SendFailed(RuntimeError):
    """The mail backend refused; `retry_at`: when to try again (None: given up)."""

    def __init__(self, message: str, retry_at: datetime | None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


def send(outgoing_id: int, *, now: datetime) -> str:
    """Send one queued message; claimed with a conditional update so a second worker does nothing.

    A claim older than the lease is a sender that died mid-send: it may be claimed again (and
    the message then goes out a second time if the dead sender had handed it over before it
    died: the same Message-ID, recognisable as a resend; docs/email.md)."""
    claimed = (
        OutgoingMail.objects.filter(_claimable(now), pk=outgoing_id)
        .update(status=OutgoingMail.Status.SENDING, attempt_at=now, attempts=F("attempts") + 1)
    )  # fmt: skip
    if not claimed:
        return "not queued"
    outgoing = OutgoingMail.objects.select_related("ticket", "person").get(pk=outgoing_id)
    outcome = _hand_over(outgoing, None, now)
    if isinstance(outcome, SendFailed):
        raise outcome from outcome.__cause__
    if outcome == "sent":
        mark_sent([outgoing], now)
    return outcome


def claim_batch(outgoing_ids: Iterable[int], now: datetime) -> str:
    """Claim for one sender, with one conditional UPDATE, those of these messages that are still
    queued (or claimed longer ago than the lease); the token it returns reads them back
    (`send_claimed`). A second sender's claim takes none of them. Run it in the transaction that
    claims their tasks."""
    token = uuid.uuid4().hex
    OutgoingMail.objects.filter(_claimable(now), pk__in=list(outgoing_ids)).update(
        status=OutgoingMail.Status.SENDING, attempt_at=now, attempts=F("attempts") + 1, claim=token
    )
    return token


#: What `send_claimed` says of a message: "sent" (mark it, `mark_sent`), "failed" (given up,
#: recorded), "not queued" (another sender has it, or had it), "left for the sweep" (no time
#: left in the lease to send it safely), or SendFailed (refused; recorded, to retry).
Outcome = str | SendFailed


def send_claimed(
    outgoing_ids: Iterable[int], token: str, now: datetime, *, budget: float | None = None
) -> tuple[dict[int, Outcome], list[OutgoingMail]]:
    """Hand the messages this claim took to the mail backend, over one connection, outside any
    transaction; (outcome of each message, the messages sent). Failures are recorded here, each
    as `send` records it; the caller marks the sent ones (`mark_sent`) with its tasks.

    A message is handed over only while the claim is surely still ours: `budget` seconds (by
    default the lease less the longest send, EMAIL_TIMEOUT) after the start. The rest stay
    claimed and the sweep takes them after the lease, so no send can outlive the lease and
    race the sweep's resend."""
    if budget is None:
        budget = conf.send_lease().total_seconds() - float(settings.EMAIL_TIMEOUT)
    started = time.monotonic()
    outcomes: dict[int, Outcome] = dict.fromkeys(outgoing_ids, "not queued")
    claimed = (
        OutgoingMail.objects.filter(pk__in=list(outcomes), claim=token)
        .select_related("ticket", "person")
        .only(*_WHAT_SENDING_READS)
    )
    sent: list[OutgoingMail] = []
    connection = get_connection()
    try:
        connection.open()  # one connection for the batch; a refusal shows on each message below
    except Exception:
        log.exception("the mail backend could not be opened; each message tries again")
    try:
        for outgoing in claimed.order_by("pk"):
            if time.monotonic() - started >= budget:
                outcomes[outgoing.pk] = "left for the sweep"
                continue
            outcome = outcomes[outgoing.pk] = _hand_over(outgoing, connection, now)
            if outcome == "sent":
                sent.append(outgoing)
            elif isinstance(outcome, SendFailed):
                with contextlib.suppress(Exception):
                    connection.close()  # the next message opens a fresh one
    finally:
        with contextlib.suppress(Exception):
            connection.close()
    return outcomes, sent


#: A claimed message's own columns, and of its ticket and person what its Reply-To is made from
#: (`reply_address`: the ticket's number, the person's key): not the two rows' other 37 columns,
#: converted for every message (issue 17). A failure said on the ticket: its action locks the
#: ticket, reading it whole.
_WHAT_SENDING_READS = (
    *(field.name for field in OutgoingMail._meta.concrete_fields),
    "ticket__id", "ticket__number", "person__id",
)  # fmt: skip


def mark_sent(sent: list[OutgoingMail], now: datetime) -> None:
    """Record these messages as sent, in one UPDATE (and the secrets of those that carry one
    purged: `BODY_PURGED_AFTER_SENDING`)."""
    if not sent:
        return
    OutgoingMail.objects.filter(pk__in=[o.pk for o in sent]).update(
        status=OutgoingMail.Status.SENT, sent_at=now
    )
    _purge_secrets(sent)


def _claimable(now: datetime) -> Q:
    """Queued, or claimed by a sender longer ago than the lease (one that died mid-send)."""
    stalled = Q(status=OutgoingMail.Status.SENDING, attempt_at__lt=now - conf.send_lease())
    return Q(status=OutgoingMail.Status.QUEUED) | stalled


def _hand_over(outgoing: OutgoingMail, connection: BaseEmailBackend | None, now: datetime) -> Outcome:
    """Build and hand over one claimed message; a failure is recorded (given up, or queued for
    its retry) and returned."""
    try:
        email = build_email(outgoing)
        email.connection = connection
        email.send(fail_silently=False)
    except UNBUILDABLE as error:  # not the transport's fault: retrying cannot help
        log.exception("outgoing mail %s cannot be built", outgoing.pk)
        _give_up(outgoing, f"the message could not be built ({type(error).__name__})", now)
        return "failed"
    except Exception as error:
        final = outgoing.attempts >= conf.send_attempts()
        retry_at = None if final else now + timedelta(minutes=2**outgoing.attempts)  # 2, 4, 8 ... minutes
        OutgoingMail.objects.filter(pk=outgoing.pk).update(
            status=OutgoingMail.Status.FAILED if final else OutgoingMail.Status.QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            # The sweep takes it after its backoff (and the lease) if no deferred task does.
            attempt_at=retry_at or now,
        )
        if final:
            _purge_secrets([outgoing])
            _report_on_ticket(outgoing, f"the mail server refused it {outgoing.attempts} times", now)
        failed = SendFailed(f"sending {outgoing.pk} failed (attempt {outgoing.attempts})", retry_at)
        failed.__cause__ = error
        return failed
    return "sent"


def stalled_mail(now: datetime, limit: int) -> list[int]:
    """Messages no live sender has: queued past their due moment by more than the lease (the
    task that was to send them died with its worker, or never ran), or claimed longer ago
    than the lease and never marked (the sender died mid-send). Taken back all at once, with
    one conditional UPDATE carrying a claim token (a second sweep takes nothing), read back by
    the token, and returned to be enqueued again."""
    stale = OutgoingMail.objects.filter(
        status__in=(OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING),
        attempt_at__lt=now - conf.send_lease(),
    )
    oldest = stale.order_by("attempt_at", "pk").values("pk")[:limit]
    token = uuid.uuid4().hex
    # The conditions are repeated outside the subquery: a row another sweep took meanwhile no
    # longer matches them when this UPDATE reaches it.
    with transaction.atomic():
        if not stale.filter(pk__in=oldest).update(
            status=OutgoingMail.Status.QUEUED, attempt_at=now, claim=token
        ):
            return []
        taken = list(
            OutgoingMail.objects.filter(status=OutgoingMail.Status.QUEUED, attempt_at=now, claim=token)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    log.warning("%d outgoing messages had no live sender; enqueued again", len(taken))
    return taken


def _purge_secrets(outgoing: list[OutgoingMail]) -> None:
    """A body that carries a secret (a sign-in token) is not kept once it is out or given up:
    the record stays (who, when, whether it went), the token does not sit in the database."""
    secret = [o.pk for o in outgoing if o.kind in OutgoingMail.BODY_PURGED_AFTER_SENDING]
    if secret:
        OutgoingMail.objects.filter(pk__in=secret).update(body="", html_body="")


def _give_up(outgoing: OutgoingMail, reason: str, now: datetime) -> None:
    OutgoingMail.objects.filter(pk=outgoing.pk).update(status=OutgoingMail.Status.FAILED, last_error=reason)
    _purge_secrets([outgoing])
    _report_on_ticket(outgoing, reason, now)


def _report_on_ticket(outgoing: OutgoingMail, reason: str, now: datetime) -> None:
    """A failed mail about a ticket is said on the ticket, where the agent looks."""
    if outgoing.ticket is None:
        return
    do_report_undelivered_mail(
        ticket=outgoing.ticket,  # perhaps read in part (`_WHAT_SENDING_READS`): the action locks it whole
        recipient=outgoing.recipient,
        what=str(outgoing.get_kind_display()).lower(),
        reason=reason,
        now=now,
    )


def connection_check() -> None:
    """Open and close the configured mail backend's connection (for `policydesk mail check`)."""
    with get_connection() as connection:
        connection.open()
