"""Mail the desk sends: recorded in the transaction that caused it, sent later by a task.

Every message has a Message-ID from our domain (stored, so a reply to it threads),
`In-Reply-To`/`References` so it threads in the customer's client, the signed reply
address in `Reply-To`, our loop header, and `Auto-Submitted: auto-replied` when no person
wrote it. Automatic mail is rate limited per recipient; a sender we reject gets at most one
notice a day.
"""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.mail import conf
from policydesk.mail.loops import OUR_HEADER
from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.mail.threads import reply_address, subject_tag
from policydesk.oneline import one_line
from policydesk.promises import promise_for
from policydesk.tickets.actions import do_report_undelivered_mail
from policydesk.tickets.models import Deflection, MeetingRequest, Message, Person, Ticket

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class InboundContext:
    """The message being processed, so that what we send about it threads under it."""

    message_id: str
    references: tuple[str, ...]
    subject: str


current_inbound: contextvars.ContextVar[InboundContext | None] = contextvars.ContextVar(
    "policydesk_mail_inbound", default=None
)


def new_message_id() -> str:
    """A Message-ID of our domain, without the angle brackets."""
    return f"{uuid.uuid4().hex}@{conf.support_domain()}"


def _thread_headers(ticket: Ticket | None, *, new_ticket: bool = False) -> tuple[str, list[str]]:
    inbound = current_inbound.get()
    references: list[str] = []
    # A ticket opened in this very transaction has no Message-IDs yet: nothing to look up.
    if ticket is not None and not new_ticket:
        references = list(
            MessageLink.objects.filter(ticket=ticket)
            .order_by("created_at", "pk")
            .values_list("message_id", flat=True)
        )
    if inbound is not None and inbound.message_id:
        for message_id in [*inbound.references, inbound.message_id]:
            if message_id not in references:
                references.append(message_id)
        return inbound.message_id, references[-20:]
    return (references[-1] if references else ""), references[-20:]


def _language(person: Person | None, fallback: str = "en") -> str:
    return languages.choose(person.language if person is not None else "", fallback)


def queue_mail(
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    language: str,
    now: datetime,
    person: Person | None = None,
    ticket: Ticket | None = None,
    message: Message | None = None,
    automatic: bool = True,
    new_ticket: bool = False,
) -> OutgoingMail:
    """Record one message to send and enqueue its task, inside the caller's transaction.

    `new_ticket`: `ticket` was opened in the caller's transaction (the acknowledgement).
    """
    in_reply_to, references = _thread_headers(ticket, new_ticket=new_ticket)
    status = OutgoingMail.Status.QUEUED
    if automatic and _over_rate_limit(recipient, now):
        status = OutgoingMail.Status.SUPPRESSED
    outgoing = OutgoingMail.objects.create(
        kind=kind,
        status=status,
        automatic=automatic,
        recipient=recipient.lower(),
        person=person,
        ticket=ticket,
        ticket_message=message,
        in_reply_to=in_reply_to,
        references=references,
        message_id=new_message_id(),
        language=language,
        subject=one_line(subject)[:300],
        body=body,
        created_at=now,
    )
    if ticket is not None:
        MessageLink.objects.create(
            message_id=outgoing.message_id,
            ticket=ticket,
            ticket_message=message,
            direction=MessageLink.Direction.OUTBOUND,
            created_at=now,
        )
    if status == OutgoingMail.Status.QUEUED:
        _enqueue(outgoing.pk)
    else:
        log.warning("automatic mail to %s suppressed by the rate limit", recipient)
    return outgoing


def _over_rate_limit(recipient: str, now: datetime) -> bool:
    count, seconds = conf.automatic_rate_limit()
    recent = OutgoingMail.objects.filter(
        recipient=recipient.lower(),
        automatic=True,
        created_at__gt=now - timedelta(seconds=seconds),
        status__in=OutgoingMail.RATE_LIMITED_STATUSES,
    ).count()
    return recent >= count


def _enqueue(outgoing_id: int) -> None:
    from policydesk.mail.tasks import send_outgoing_mail

    if type(send_outgoing_mail.get_backend()).__module__.startswith("django_tasks_db"):
        # The task row commits (or rolls back) with the change that caused the mail.
        send_outgoing_mail.enqueue(outgoing_id)
    else:
        transaction.on_commit(lambda: send_outgoing_mail.enqueue(outgoing_id))


# -- what we say ------------------------------------------------------------------------


def _ticket_subject(ticket: Ticket) -> str:
    return f"{subject_tag(ticket)} {ticket.subject}"


def queue_acknowledgement(ticket: Ticket, now: datetime) -> OutgoingMail:
    person = ticket.requester
    lang = _language(person, ticket.language)
    with translation.override(lang):
        body = "\n\n".join(
            part
            for part in (
                _("We have received your request %(tag)s: %(subject)s")
                % {"tag": subject_tag(ticket), "subject": ticket.subject},
                "\n".join(promise_for(ticket, get_policy(), person.time_zone, lang).lines()),
                _("Reply to this email to add information to your request."),
            )
            if part
        )
    return queue_mail(
        kind=OutgoingMail.Kind.ACKNOWLEDGEMENT, recipient=person.email, subject=_ticket_subject(ticket),
        body=body, language=lang, now=now, person=person, ticket=ticket, new_ticket=True,
    )  # fmt: skip


def queue_agent_reply(ticket: Ticket, message: Message, now: datetime) -> list[OutgoingMail]:
    """The agent's public answer to the requester and every participant, each with their own reply address."""
    people = [ticket.requester, *ticket.participants.exclude(pk=ticket.requester_id)]
    sent = []
    for person in people:
        lang = _language(person, ticket.language)
        with translation.override(lang):
            footer = _("Reply to this email to answer. Request %(tag)s") % {"tag": subject_tag(ticket)}
        sent.append(
            queue_mail(
                kind=OutgoingMail.Kind.AGENT_REPLY,
                recipient=person.email,
                subject="Re: " + _ticket_subject(ticket),
                body=f"{message.text}\n\n-- \n{footer}",
                language=lang,
                now=now,
                person=person,
                ticket=ticket,
                message=message,
                automatic=False,
            )
        )
    return sent


def queue_left_out_notice(
    ticket: Ticket, person: Person, message: Message | None, note: Callable[[str], str], now: datetime
) -> OutgoingMail:
    """Which files of the customer's message did not reach the ticket (too large, too many),
    in their language; `note(lang)` is the list as it stands on the ticket."""
    lang = _language(person, ticket.language)
    with translation.override(lang):
        body = "\n\n".join(
            (
                _("Your message about request %(tag)s was added, but some files could not be attached.")
                % {"tag": subject_tag(ticket)},
                note(lang),
                _("Reply to this email to add information to your request."),
            )
        )
    return queue_mail(
        kind=OutgoingMail.Kind.LEFT_OUT, recipient=person.email, subject="Re: " + _ticket_subject(ticket),
        body=body, language=lang, now=now, person=person, ticket=ticket, message=message,
    )  # fmt: skip


def queue_meeting_decision(meeting: MeetingRequest, now: datetime) -> OutgoingMail:
    """C7: a proposed one-off call (with the agent's note: times, link) or a declined request."""
    ticket = meeting.ticket
    person = meeting.requested_by
    lang = _language(person, ticket.language)
    with translation.override(lang):
        if meeting.status == MeetingRequest.Status.PROPOSED:
            opening = _("Support proposes a one-off call about your request.")
        else:
            opening = _(
                "Support has answered your request for a call: a call will not be arranged this time."
            )
        footer = _("Reply to this email to answer. Request %(tag)s") % {"tag": subject_tag(ticket)}
    return queue_mail(
        kind=OutgoingMail.Kind.MEETING, recipient=person.email, subject="Re: " + _ticket_subject(ticket),
        body=f"{opening}\n\n{meeting.note}\n\n-- \n{footer}", language=lang, now=now, person=person,
        ticket=ticket, automatic=False,
    )  # fmt: skip


def queue_deflection_notice(deflection: Deflection, now: datetime) -> OutgoingMail | None:
    """C2, C12, C17-C20: where an emailed request goes instead, in the policy's words."""
    person = deflection.person
    if person is None:
        return None
    lang = _language(person)
    policy = get_policy()
    route = policy.routes[deflection.route]
    inbound = current_inbound.get()
    with translation.override(lang):
        body = "\n\n".join(
            (
                _("Thank you for your message. Email support on your plan does not cover this request."),
                policy.route_text(route, deflection.organisation.account_team(), lang),
            )
        )
        subject = "Re: " + (inbound.subject if inbound and inbound.subject else _("Your request"))
    return queue_mail(
        kind=OutgoingMail.Kind.DEFLECTION, recipient=person.email, subject=subject, body=body, language=lang,
        now=now, person=person,
    )  # fmt: skip


def queue_rejection_notice(address: str, subject: str, lang: str, now: datetime) -> OutgoingMail | None:
    """C14: an unknown sender learns why, at most once a day."""
    if OutgoingMail.objects.filter(
        recipient=address.lower(), kind=OutgoingMail.Kind.REJECTION, created_at__gt=now - timedelta(days=1)
    ).exists():
        return None
    policy = get_policy()
    identity = policy.notes.get("identity")
    with translation.override(lang):
        body = "\n\n".join(
            part
            for part in (
                _(
                    "We could not accept your message: support answers requests sent from the email "
                    "address you use to log in to your organisation."
                ),
                identity.get(lang) if identity else "",
            )
            if part
        )
        subject = "Re: " + (subject or _("Your request"))
    return queue_mail(
        kind=OutgoingMail.Kind.REJECTION,
        recipient=address,
        subject=subject,
        body=body,
        language=lang,
        now=now,
    )


# -- sending ------------------------------------------------------------------------------


def build_email(outgoing: OutgoingMail) -> EmailMessage:
    """The message as it goes out (Django's EmailMessage, any configured backend)."""
    headers = {
        "Message-ID": f"<{outgoing.message_id}>",
        OUR_HEADER: outgoing.kind,
        "X-Auto-Response-Suppress": "All",  # asks Exchange and friends not to auto-reply to us
    }
    if outgoing.automatic:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834
    if outgoing.in_reply_to:
        headers["In-Reply-To"] = f"<{outgoing.in_reply_to}>"
    if outgoing.references:
        headers["References"] = " ".join(f"<{m}>" for m in outgoing.references)
    reply_to = [conf.support_address()]
    if outgoing.ticket is not None and outgoing.person is not None:
        reply_to = [reply_address(outgoing.ticket, outgoing.person)]
    return EmailMessage(
        subject=one_line(outgoing.subject),  # rows written before the rule, too (issue 9)
        body=outgoing.body,
        from_email=conf.from_address(),
        to=[outgoing.recipient],
        reply_to=reply_to,
        headers=headers,
    )


#: What building a message raises (a header with a line break, an address that is no address:
#: Django's BadHeaderError and sanitize_address raise ValueError); the transport raises OSError
#: and smtplib's errors. The message is built once, by the backend, and the two told apart here.
UNBUILDABLE = (ValueError, TypeError)


class SendFailed(RuntimeError):
    """The mail backend refused; the task is retried."""


def send(outgoing_id: int, *, now: datetime) -> str:
    """Send one queued message; claimed with a conditional update so a second worker does nothing."""
    claimed = OutgoingMail.objects.filter(pk=outgoing_id, status=OutgoingMail.Status.QUEUED).update(
        status=OutgoingMail.Status.SENDING, attempts=F("attempts") + 1
    )
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
        OutgoingMail.objects.filter(pk=outgoing_id).update(
            status=OutgoingMail.Status.FAILED if final else OutgoingMail.Status.QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
        )
        if final:
            _report_on_ticket(outgoing, f"the mail server refused it {outgoing.attempts} times", now)
        else:
            _retry_later(outgoing_id, outgoing.attempts, now)
        raise SendFailed(f"sending {outgoing_id} failed (attempt {outgoing.attempts})") from error
    OutgoingMail.objects.filter(pk=outgoing_id).update(status=OutgoingMail.Status.SENT, sent_at=now)
    return "sent"


def _give_up(outgoing: OutgoingMail, reason: str, now: datetime) -> None:
    OutgoingMail.objects.filter(pk=outgoing.pk).update(status=OutgoingMail.Status.FAILED, last_error=reason)
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


def _retry_later(outgoing_id: int, attempts: int, now: datetime) -> None:
    from policydesk.mail.tasks import send_outgoing_mail

    if send_outgoing_mail.get_backend().supports_defer:
        delay = timedelta(minutes=2**attempts)
        send_outgoing_mail.using(run_after=now + delay).enqueue(outgoing_id)


def connection_check() -> None:
    """Open and close the configured mail backend's connection (for `policydesk mail check`)."""
    with get_connection() as connection:
        connection.open()
