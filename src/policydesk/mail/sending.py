"""Sending one recorded message (`OutgoingMail`): claim it, build it, hand it to Django's
email backend, mark it; a failure is retried with backoff (the task schedules it, see
`mail.tasks`), then reported on the ticket.

This module knows nothing of the task that calls it: `mail.tasks` imports it, and
`mail.outgoing` (which records mail) imports `mail.tasks` to enqueue; no cycle.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q

from policydesk.mail import conf
from policydesk.mail.loops import OUR_HEADER
from policydesk.mail.models import OutgoingMail
from policydesk.mail.threads import reply_address
from policydesk.oneline import one_line
from policydesk.tickets.actions import do_report_undelivered_mail

log = logging.getLogger(__name__)


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
    email = EmailMultiAlternatives(
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
    stalled = Q(status=OutgoingMail.Status.SENDING, attempt_at__lt=now - conf.send_lease())
    claimed = OutgoingMail.objects.filter(
        Q(status=OutgoingMail.Status.QUEUED) | stalled, pk=outgoing_id
    ).update(status=OutgoingMail.Status.SENDING, attempt_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not queued"
    outgoing = OutgoingMail.objects.select_related("ticket", "person").get(pk=outgoing_id)
    try:
        build_email(outgoing).send(fail_silently=False)
    except UNBUILDABLE as error:  # not the transport's fault: retrying cannot help
        log.exception("outgoing mail %s cannot be built", outgoing_id)
        _give_up(outgoing, f"the message could not be built ({type(error).__name__})", now)
        return "failed"
    except Exception as error:
        final = outgoing.attempts >= conf.send_attempts()
        retry_at = None if final else now + timedelta(minutes=2**outgoing.attempts)  # 2, 4, 8 ... minutes
        OutgoingMail.objects.filter(pk=outgoing_id).update(
            status=OutgoingMail.Status.FAILED if final else OutgoingMail.Status.QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            # The sweep takes it after its backoff (and the lease) if no deferred task does.
            attempt_at=retry_at or now,
        )
        if final:
            _purge_secret(outgoing)
            _report_on_ticket(outgoing, f"the mail server refused it {outgoing.attempts} times", now)
        raise SendFailed(f"sending {outgoing_id} failed (attempt {outgoing.attempts})", retry_at) from error
    OutgoingMail.objects.filter(pk=outgoing_id).update(status=OutgoingMail.Status.SENT, sent_at=now)
    _purge_secret(outgoing)
    return "sent"


def stalled_mail(now: datetime, limit: int) -> list[int]:
    """Messages no live sender has: queued past their due moment by more than the lease (the
    task that was to send them died with its worker, or never ran), or claimed longer ago
    than the lease and never marked (the sender died mid-send). Each is taken back once, with
    a conditional update (a second sweep takes nothing), and returned to be enqueued again."""
    cutoff = now - conf.send_lease()
    stale = OutgoingMail.objects.filter(
        status__in=(OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING), attempt_at__lt=cutoff
    )
    taken = []
    for outgoing_id, status, attempt_at in stale.order_by("attempt_at").values_list(
        "pk", "status", "attempt_at"
    )[:limit]:
        if OutgoingMail.objects.filter(pk=outgoing_id, status=status, attempt_at=attempt_at).update(
            status=OutgoingMail.Status.QUEUED, attempt_at=now
        ):
            taken.append(outgoing_id)
    if taken:
        log.warning("%d outgoing messages had no live sender; enqueued again", len(taken))
    return taken


def _purge_secret(outgoing: OutgoingMail) -> None:
    """A body that carries a secret (a sign-in token) is not kept once it is out or given up:
    the record stays (who, when, whether it went), the token does not sit in the database."""
    if outgoing.kind in OutgoingMail.BODY_PURGED_AFTER_SENDING:
        OutgoingMail.objects.filter(pk=outgoing.pk).update(body="", html_body="")


def _give_up(outgoing: OutgoingMail, reason: str, now: datetime) -> None:
    OutgoingMail.objects.filter(pk=outgoing.pk).update(status=OutgoingMail.Status.FAILED, last_error=reason)
    _purge_secret(outgoing)
    _report_on_ticket(outgoing, reason, now)


def _report_on_ticket(outgoing: OutgoingMail, reason: str, now: datetime) -> None:
    """A failed mail about a ticket is said on the ticket, where the agent looks."""
    if outgoing.ticket is None:
        return
    do_report_undelivered_mail(
        ticket=outgoing.ticket,
        recipient=outgoing.recipient,
        what=str(outgoing.get_kind_display()).lower(),
        reason=reason,
        now=now,
    )


def connection_check() -> None:
    """Open and close the configured mail backend's connection (for `policydesk mail check`)."""
    with get_connection() as connection:
        connection.open()
