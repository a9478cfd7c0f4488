"""The one entry for received mail (SMTP, IMAP, files): `process_message`.

1. The raw bytes are stored first, in their own transaction, under a unique key
   (mailbox, Message-ID or SHA-256): a second delivery finds the row and does nothing.
2. The message is processed in a second transaction that locks that row: automatic mail,
   DMARC, identity (C14), threading, then a ticket or a reply through `tickets.actions`;
   the outcome is recorded on the row in the same transaction.
3. A database failure propagates (the adapter answers 451 / leaves the message on the
   server; the stored row stays pending and is processed on the next delivery). Any other
   failure quarantines the message, kept whole and replayable.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from policydesk.mail import conf, outgoing
from policydesk.mail.decoding import ParsedMessage, header_text, message_ids, parse_message
from policydesk.mail.loops import automatic_reason
from policydesk.mail.models import InboundMessage, MessageLink
from policydesk.mail.replytext import reply_text
from policydesk.mail.threads import Thread, find_thread, is_party
from policydesk.tickets.access import can_view
from policydesk.tickets.actions import ActionError, Upload, do_customer_reply, do_open_ticket
from policydesk.tickets.models import Message, Person, Ticket

log = logging.getLogger(__name__)

#: Errors that mean "the database is not there right now": the sender must retry.
TEMPORARY_ERRORS = (OperationalError, InterfaceError)

Outcome = InboundMessage.Outcome


@dataclass(frozen=True)
class Envelope:
    """What the SMTP transaction said, beside the message: MAIL FROM and RCPT TO."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class IngestResult:
    """What became of one message. `outcome` is the CLI contract's word."""

    outcome: str  # "ticket" | "reply" | "duplicate" | "auto" | "rejected" | "quarantined"
    inbound: InboundMessage
    ticket_number: int | None = None
    reason: str | None = None

    def as_json(self, file: str) -> dict[str, Any]:
        """The `policydesk mail ingest` output line (a stable contract)."""
        return {
            "file": file,
            "outcome": self.outcome,
            "ticket": self.ticket_number,
            "subject": self.inbound.subject,
            "body_text": self.inbound.body_text,
            "attachments": list(self.inbound.attachment_names),
            "reason": self.reason,
        }


def message_key(raw: bytes) -> tuple[str, str, str]:
    """(key, message_id, sha256): the Message-ID when there is one, else the SHA-256 of the bytes."""
    sha256 = hashlib.sha256(raw).hexdigest()
    headers = email.parser.BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    ids = message_ids(header_text(headers, "Message-ID"))
    if not ids:
        return f"sha256:{sha256}", "", sha256
    message_id = ids[0][:998]
    if len(message_id) > 240:
        return f"mid-sha256:{hashlib.sha256(message_id.encode()).hexdigest()}", message_id, sha256
    return f"mid:{message_id}", message_id, sha256


def store_raw(
    raw: bytes, *, mailbox: str, envelope: Envelope | None, now: datetime
) -> tuple[InboundMessage, bool]:
    """Store the bytes as received (committed before anything else runs); (row, created)."""
    key, message_id, sha256 = message_key(raw)
    envelope = envelope or Envelope()
    try:
        with transaction.atomic():
            inbound = InboundMessage.objects.create(
                mailbox=mailbox,
                key=key,
                message_id=message_id,
                sha256=sha256,
                raw=raw,
                size=len(raw),
                envelope_sender=envelope.sender or "",
                envelope_recipients=list(envelope.recipients),
                received_at=now,
            )
    except IntegrityError:
        return InboundMessage.objects.get(mailbox=mailbox, key=key), False
    return inbound, True


def process_message(
    raw: bytes, *, mailbox: str, envelope: Envelope | None = None, now: datetime
) -> IngestResult:
    """Take one message exactly once: store it, then decide and record its outcome."""
    inbound, created = store_raw(raw, mailbox=mailbox, envelope=envelope, now=now)
    if not created and inbound.outcome != Outcome.PENDING:
        return _duplicate(inbound)
    return process_stored(inbound, now=now)


def process_stored(inbound: InboundMessage, *, now: datetime, replay: bool = False) -> IngestResult:
    """Process a stored message (pending, or quarantined when `replay`), recording the outcome."""
    allowed = (Outcome.PENDING, Outcome.QUARANTINED) if replay else (Outcome.PENDING,)
    return _process_one(inbound, _prepare_or_error(inbound), now=now, allowed=allowed)


def process_pending(
    *,
    mailbox: str | None = None,
    limit: int = 100,
    batch: int = 20,
    batch_bytes: int = 4 * 1024 * 1024,
    batch_seconds: float = 0.25,
) -> int:
    """Process stored messages still pending, oldest first, each as of its arrival (the SLA
    clock starts when the customer's mail reached us, not when we got round to it); the
    number taken.

    Several messages (up to `batch`, `batch_bytes` of raw mail, and what fits in
    `batch_seconds`) share one transaction, but each runs in its own savepoint: our own
    failure with one message rolls back only that message's work and quarantines it, the
    others keep their outcome. A database failure (temporary) rolls the whole batch back:
    its messages stay pending and are taken on the next round. Parsing happens before the
    transaction, so the database is held only for the database work.

    Used by the SMTP listener's background processor and after a crash; safe to run in
    several processes at once (each message's row is locked and re-checked).
    """
    pending = InboundMessage.objects.filter(outcome=Outcome.PENDING)
    if mailbox is not None:
        pending = pending.filter(mailbox=mailbox)
    queued = list(pending.order_by("pk").values_list("pk", "size")[:limit])
    taken = 0
    while queued:
        chunk = [queued.pop(0)[0]]
        size = 0
        while queued and len(chunk) < batch and size + queued[0][1] <= batch_bytes:
            size += queued[0][1]
            chunk.append(queued.pop(0)[0])
        done = _process_batch(chunk, batch_seconds)
        taken += done
        if done < len(chunk):  # out of time: the rest waits for the next round
            break
    return taken


def _process_batch(pks: list[int], seconds: float) -> int:
    rows = list(InboundMessage.objects.filter(pk__in=pks, outcome=Outcome.PENDING).order_by("pk"))
    prepared = [(row, _prepare_or_error(row)) for row in rows]  # no database held while parsing
    started = time.monotonic()
    done = 0
    with transaction.atomic():
        for row, message in prepared:
            _process_one(row, message, now=row.received_at, allowed=(Outcome.PENDING,))
            done += 1
            if time.monotonic() - started > seconds:
                break
    return done + len(pks) - len(rows)  # rows no longer pending were taken by someone else


def _process_one(
    inbound: InboundMessage, prepared: _Prepared | Exception, *, now: datetime, allowed: tuple[str, ...]
) -> IngestResult:
    """Lock and re-check the row, decide, record the outcome: in a transaction of its own, or
    in a savepoint of the caller's (a batch).

    Our own failure rolls back only this message's work and quarantines it; a database
    failure propagates (the caller's transaction rolls back, the row stays pending).
    """
    try:
        with transaction.atomic():
            if isinstance(prepared, Exception):
                raise prepared
            return _process_locked(inbound, prepared, now=now, allowed=allowed)
    except TEMPORARY_ERRORS:
        raise
    except Exception as error:
        return _quarantine_after_error(inbound, error, now=now, allowed=allowed)


def _process_locked(
    inbound: InboundMessage, prepared: _Prepared, *, now: datetime, allowed: tuple[str, ...]
) -> IngestResult:
    state = (
        InboundMessage.objects.select_for_update()
        .filter(pk=inbound.pk)
        .values_list("outcome", "attempts")
        .first()
    )
    if state is None or state[0] not in allowed:  # another processor took it meanwhile
        return _duplicate(InboundMessage.objects.defer("raw").get(pk=inbound.pk))
    result = _decide(inbound, prepared, now)
    inbound.outcome = result.outcome
    inbound.reason = result.reason or ""
    inbound.processed_at = now
    inbound.attempts = state[1] + 1  # the row is locked: no other processor counts meanwhile
    # Only what processing wrote: the stored bytes are never rewritten.
    inbound.save(update_fields=_PROCESSED_FIELDS)
    return result


_PROCESSED_FIELDS = (
    "outcome",
    "reason",
    "processed_at",
    "attempts",
    "subject",
    "sender",
    "full_text",
    "body_text",
    "attachment_names",
    "ticket",
    "ticket_message",
)


def _quarantine_after_error(
    inbound: InboundMessage, error: Exception, *, now: datetime, allowed: tuple[str, ...]
) -> IngestResult:
    """Our own fault with this message (a parser bug, an odd byte): keep it, whole, for a person."""
    log.error("message %s quarantined after an internal error", inbound.pk, exc_info=error)
    reason = f"internal error: {type(error).__name__}"
    InboundMessage.objects.filter(pk=inbound.pk, outcome__in=allowed).update(
        outcome=Outcome.QUARANTINED, reason=reason, processed_at=now, attempts=F("attempts") + 1
    )
    inbound = InboundMessage.objects.defer("raw").get(pk=inbound.pk)
    if inbound.outcome != Outcome.QUARANTINED or inbound.reason != reason:
        return _duplicate(inbound)
    return IngestResult(Outcome.QUARANTINED, inbound, None, reason)


@dataclass(frozen=True)
class _Prepared:
    """What the raw bytes say, worked out before any database lock is taken."""

    parsed: ParsedMessage
    full_text: str
    body_text: str
    automatic: str | None
    dmarc_failed: bool


def _prepare(inbound: InboundMessage) -> _Prepared:
    parsed = parse_message(bytes(inbound.raw))
    envelope_sender = inbound.envelope_sender if inbound.envelope_recipients else None
    return _Prepared(
        parsed=parsed,
        full_text=parsed.text.replace("\r\n", "\n"),
        body_text=reply_text(parsed.text) if parsed.text.strip() else "",
        automatic=automatic_reason(parsed, envelope_sender),
        dmarc_failed=dmarc_failed(parsed),
    )


def _prepare_or_error(inbound: InboundMessage) -> _Prepared | Exception:
    """The prepared message, or our own error with it (quarantined once the row is locked)."""
    try:
        return _prepare(inbound)
    except TEMPORARY_ERRORS:
        raise
    except Exception as error:
        return error


def _duplicate(inbound: InboundMessage) -> IngestResult:
    number = inbound.ticket.number if inbound.ticket_id and inbound.ticket else None
    return IngestResult("duplicate", inbound, number, f"already taken ({inbound.outcome})")


@dataclass
class _Decision:
    outcome: str
    reason: str | None = None
    ticket: Ticket | None = None


def _decide(inbound: InboundMessage, prepared: _Prepared, now: datetime) -> IngestResult:
    parsed = prepared.parsed
    inbound.subject = parsed.subject
    inbound.sender = parsed.from_address
    inbound.full_text = prepared.full_text
    inbound.body_text = prepared.body_text
    inbound.attachment_names = [a.filename for a in parsed.attachments]
    token = outgoing.current_inbound.set(
        outgoing.InboundContext(parsed.message_id, tuple(parsed.references), parsed.subject)
    )
    try:
        decision = _classify(inbound, prepared, now)
    finally:
        outgoing.current_inbound.reset(token)
    inbound.ticket = decision.ticket
    number = decision.ticket.number if decision.ticket is not None else None
    return IngestResult(decision.outcome, inbound, number, decision.reason)


def _classify(inbound: InboundMessage, prepared: _Prepared, now: datetime) -> _Decision:
    parsed = prepared.parsed
    recipients = [str(r).lower() for r in inbound.envelope_recipients]
    if prepared.automatic is not None:  # never answered: no ticket, no notice, no loop
        thread = find_thread(parsed, recipients, None)
        return _Decision(Outcome.AUTO, prepared.automatic, thread.ticket if thread else None)
    link = (
        MessageLink.objects.filter(message_id=parsed.message_id).select_related("ticket").first()
        if parsed.message_id
        else None
    )
    if link is not None:
        # The same message reached us through another mailbox (SMTP and IMAP, two aliases).
        return _Decision(Outcome.DUPLICATE, "already taken through another mailbox", link.ticket)
    if prepared.dmarc_failed:
        return _Decision(Outcome.QUARANTINED, "DMARC fail in Authentication-Results")
    address = parsed.from_address
    if not address:
        return _Decision(Outcome.QUARANTINED, "no sender address in From")
    person = (
        Person.objects.filter(email__iexact=address, is_active=True).select_related("organisation").first()
    )
    thread = find_thread(parsed, recipients, person)
    if thread is not None:
        return _reply(inbound, parsed, person, thread, now)
    if person is None:
        outgoing.queue_rejection_notice(address, parsed.subject, _guess_language(parsed), now)
        return _Decision(Outcome.REJECTED, f"{address} is not the login email of anyone here (C14)")
    if person.role != Person.Role.CUSTOMER or person.organisation is None:
        return _Decision(Outcome.REJECTED, f"{address} is not a customer of an organisation (C14)")
    return _open(inbound, parsed, person, now)


def _reply(
    inbound: InboundMessage, parsed: ParsedMessage, person: Person | None, thread: Thread, now: datetime
) -> _Decision:
    ticket = thread.ticket
    if person is None or person.role != Person.Role.CUSTOMER or not _may_reply(person, thread):
        # A stranger answering a known ticket is never appended (Zammad's mistake); a person decides.
        return _Decision(
            Outcome.QUARANTINED,
            f"reply to ticket #{ticket.number} ({thread.evidence}) from {parsed.from_address}, "
            "who is not a party of it",
            ticket,
        )
    if ticket.status == Ticket.Status.CLOSED:
        decision = _open(inbound, parsed, person, now)
        decision.reason = f"ticket #{ticket.number} is closed: follow-up opened as a new request"
        return decision
    try:
        message = do_customer_reply(
            ticket=ticket,
            customer=person,
            text=inbound.body_text,
            now=now,
            channel=Ticket.Channel.EMAIL,
            html=parsed.html,
            uploads=_uploads(parsed),
        )
    except ActionError as error:
        return _Decision(Outcome.QUARANTINED, str(error), ticket)
    _link(parsed, ticket, message.pk, now)
    inbound.ticket_message = message
    return _Decision(Outcome.REPLY, None, ticket)


def _may_reply(person: Person, thread: Thread) -> bool:
    if thread.evidence == "reply-address" and thread.signed_for == person.pk:
        return True
    return is_party(person, thread.ticket) or can_view(person, thread.ticket)


def _open(inbound: InboundMessage, parsed: ParsedMessage, person: Person, now: datetime) -> _Decision:
    subject = parsed.subject.strip() or _("(no subject)")
    try:
        result = do_open_ticket(
            requester=person,
            topic=conf.default_topic(),
            subject=subject,
            text=inbound.body_text,
            channel=Ticket.Channel.EMAIL,
            now=now,
            html=parsed.html,
            uploads=_uploads(parsed),
            language=person.language or _guess_language(parsed),
        )
    except ActionError as error:
        return _Decision(Outcome.QUARANTINED, str(error))
    if result.ticket is None:
        route = result.decision.route
        # The CLI contract has no "deflected": the request was not taken, the sender was told where to go.
        return _Decision(Outcome.REJECTED, f"deflected by the policy (C2): {route.id if route else 'route'}")
    # The action does not return the ticket's first message; one indexed look-up of its id.
    first_pk = (
        Message.objects.filter(ticket=result.ticket).order_by("pk").values_list("pk", flat=True).first()
    )
    _link(parsed, result.ticket, first_pk, now)
    inbound.ticket_message_id = first_pk
    return _Decision(Outcome.TICKET, None, result.ticket)


def _link(parsed: ParsedMessage, ticket: Ticket, message_pk: int | None, now: datetime) -> None:
    # `_classify` found no link with this Message-ID in this transaction, so it is not looked
    # for again; the unique key still refuses a concurrent twin from another mailbox.
    if not parsed.message_id or len(parsed.message_id) > 255:
        return
    MessageLink.objects.create(
        message_id=parsed.message_id,
        ticket=ticket,
        ticket_message_id=message_pk,
        direction=MessageLink.Direction.INBOUND,
        created_at=now,
    )


def _uploads(parsed: ParsedMessage) -> tuple[Upload, ...]:
    return tuple(Upload(a.filename, a.content_type, a.content) for a in parsed.attachments)


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _guess_language(parsed: ParsedMessage) -> str:
    return "ja" if _JAPANESE.search(parsed.subject + parsed.text[:2000]) else "en"


_DMARC = re.compile(r"\bdmarc\s*=\s*(\w+)", re.I)


def dmarc_failed(parsed: ParsedMessage) -> bool:
    """An `Authentication-Results` header added by our receiving server says dmarc=fail.

    With POLICYDESK_MAIL_AUTHSERV_ID set, only headers with that authserv-id count
    (anyone can write the header); otherwise the topmost, which the last hop added.
    """
    from policydesk.mail.decoding import decode_header_bytes, raw_headers

    values = [decode_header_bytes(v) for v in raw_headers(parsed.message, "Authentication-Results")]
    wanted = conf.authserv_id()
    values = [v for v in values if v.split(";")[0].strip().lower() == wanted] if wanted else values[:1]
    return any(m.group(1).lower() == "fail" for v in values for m in _DMARC.finditer(v))
