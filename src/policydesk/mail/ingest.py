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

import copy
import email.parser
import email.policy
import hashlib
import logging
import re
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Value
from django.db.models.functions import Lower, Mod
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk import languages
from policydesk.compiled_queries import CompiledQuery, update_each
from policydesk.desk_policy import get_policy
from policydesk.mail import conf
from policydesk.mail.decoding import (
    Attachment,
    MessageRefused,
    ParsedMessage,
    all_addresses,
    message_ids,
    parse_message,
    raw_header_text,
    raw_headers,
    storable,
)
from policydesk.mail.loops import automatic_reason
from policydesk.mail.models import InboundMessage, MessageLink
from policydesk.mail.outgoing import queuing_together
from policydesk.mail.replytext import reply_text
from policydesk.mail.threads import (
    MESSAGE_ID_CHARS,
    Thread,
    find_thread,
    is_party,
    link_message_id,
    linking_together,
)
from policydesk.oneline import one_line
from policydesk.tickets.access import can_view
from policydesk.tickets.actions import (
    ActionError,
    Upload,
    do_add_outside_copy,
    do_add_participant,
    do_customer_reply,
    do_open_ticket,
)
from policydesk.tickets.actions.intake import opening_together
from policydesk.tickets.models import Message, Person, Ticket, email_is
from policydesk.tickets.signals import InboundEmail, sender_rejected
from policydesk.together import Collection, done_together, later_or_now

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


_BLANK_LINE = re.compile(rb"\r?\n\r?\n")


def header_block(raw: bytes) -> bytes:
    """The bytes up to the first empty line: all a header parser needs. The parser walks every
    line it is given, so handing it a 25 MB body to read one header cost seconds before the 250."""
    blank = _BLANK_LINE.search(raw)
    return raw[: blank.end()] if blank else raw


def message_key(raw: bytes) -> tuple[str, str, str]:
    """(key, message_id, sha256): the Message-ID when one can be read, else the SHA-256 of
    the bytes. Storing must never depend on parsing: whatever the headers hold, a key."""
    sha256 = hashlib.sha256(raw).hexdigest()
    try:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block(raw))
        ids = message_ids(raw_header_text(headers, "Message-ID"))
    except Exception:  # an unreadable Message-ID is no Message-ID: the bytes are the key
        log.warning("Message-ID unreadable; keyed by SHA-256 %s", sha256, exc_info=True)
        ids = []
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
                envelope_sender=storable(envelope.sender or "")[:998],
                envelope_recipients=[storable(r) for r in envelope.recipients],
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


#: Which of n processors' messages one takes: (k, n), the messages whose key leaves k divided by n.
Share = tuple[int, int]
WHOLE: Share = (0, 1)


def parse_share(text: str) -> Share:
    """ "k/n" (a command line's share) as (k, n); ValueError unless 0 <= k < n."""
    index, _, count = text.partition("/")
    share = (int(index), int(count))
    if not 0 <= share[0] < share[1]:
        raise ValueError(f"no share {text!r}: k/n with 0 <= k < n")
    return share


def process_pending(
    *,
    mailbox: str | None = None,
    limit: int = 100,
    batch: int = 20,
    batch_bytes: int = 4 * 1024 * 1024,
    batch_seconds: float | None = None,
    share: Share = WHOLE,
) -> int:
    """Process stored messages still pending, oldest first, each as of its arrival (the SLA
    clock starts when the customer's mail reached us, not when we got round to it); the
    number taken.

    `share`: (k, n) takes only the messages whose key divided by n leaves k, so that n
    processors side by side (`POLICYDESK_MAIL_PROCESSORS`) each take their own and never wait
    for each other's row locks (issue 17). The default takes them all.

    Several messages (up to `batch`, `batch_bytes` of raw mail, and what fits in
    `batch_seconds`) share one transaction, but each runs in its own savepoint: our own
    failure with one message rolls back only that message's work and quarantines it, the
    others keep their outcome. A database failure (temporary) rolls the whole batch back:
    its messages stay pending and are taken on the next round. Parsing happens before the
    transaction, so the database is held only for the database work; each message is parsed
    once, and those a batch had no time for open the next batch.

    Used by the SMTP listener's background processor and after a crash; safe to run in
    several processes at once (each message's row is locked and re-checked).
    """
    pending = InboundMessage.objects.filter(outcome=Outcome.PENDING)
    if mailbox is not None:
        pending = pending.filter(mailbox=mailbox)
    index, count = share
    if not 0 <= index < count:
        raise ValueError(f"no share {index}/{count}: k/n with 0 <= k < n")
    if count > 1:
        pending = pending.alias(share=Mod("pk", Value(count))).filter(share=index)
    queued = deque(pending.order_by("pk").values_list("pk", "size")[:limit])
    seconds = BATCH_SECONDS if batch_seconds is None else batch_seconds
    # Read and parsed, not yet processed: a batch that runs out of time leaves the rest here for
    # the next batch, so no stored message is parsed twice (issue 17).
    waiting: deque[tuple[InboundMessage, _Prepared | MessageRefused | Exception]] = deque()
    taken = 0
    while queued or waiting:
        size = sum(row.size for row, _prepared in waiting)
        pks: list[int] = []
        while queued and len(waiting) + len(pks) < batch:
            if (waiting or pks) and size + queued[0][1] > batch_bytes:
                break
            pk, message_size = queued.popleft()
            pks.append(pk)
            size += message_size
        if pks:
            rows = list(InboundMessage.objects.filter(pk__in=pks, outcome=Outcome.PENDING).order_by("pk"))
            taken += len(pks) - len(rows)  # no longer pending: taken by someone else
            waiting.extend((row, _prepare_or_error(row)) for row in rows)  # no database held while parsing
        if waiting:
            taken += _process_batch(waiting, seconds)
    return taken


#: How long one batch of stored mail may hold its transaction, by default (seconds).
BATCH_SECONDS = 0.25


def _process_batch(
    waiting: deque[tuple[InboundMessage, _Prepared | MessageRefused | Exception]], seconds: float
) -> int:
    """Process the waiting messages, oldest first, in one transaction until `seconds` have
    passed (at least one message); the processed are taken off `waiting`. The number processed."""
    started = time.monotonic()
    done = 0
    # The batch's intakes write what their opening blocks collect (the search index's entries)
    # once, at its end: on SQLite, each statement that writes the full-text tables flushes
    # their pending terms, a cost per statement; and the mail they queue (acknowledgements) is
    # recorded together, three statements for the batch rather than three per message (issue 17).
    with transaction.atomic(), _together():
        lookups = _BatchLookups(waiting)
        while waiting:
            row, message = waiting.popleft()
            _process_one(row, message, now=row.received_at, allowed=(Outcome.PENDING,), lookups=lookups)
            lookups.processed(message)
            done += 1
            if time.monotonic() - started >= seconds:
                break
    return done


@contextmanager
def _together() -> Iterator[None]:
    """The blocks whose work a batch does once, at its end: the intakes' opening blocks (search
    entries), the mail they queue, and the messages' outcomes (last: a row is done once its
    ticket's work is written)."""
    with (
        done_together(_waiting_outcomes, Collection, _record_outcomes),
        opening_together(),
        queuing_together(),
    ):
        yield


class _Lookups:
    """What deciding about one message reads first: its row's state (locked), the link of its
    Message-ID, the sender as a person (C14). One message at a time: three statements."""

    def state(self, pk: int) -> tuple[str, int] | None:
        """(outcome, attempts) of the row, locked; None if it is gone."""
        return _ROW_STATE.first(pk=pk)  # type: ignore[no-any-return]

    def link(self, message_id: str) -> MessageLink | None:
        """The link of a Message-ID already taken (through another mailbox), with its ticket."""
        return _LINKED_TICKET.first(message_id=message_id)  # type: ignore[no-any-return]

    def person(self, address: str) -> Person | None:
        """The active person whose login email `address` is, with their organisation."""
        return _PERSON.first(address=address.strip())  # type: ignore[no-any-return]


class _BatchLookups(_Lookups):
    """The same reads for every message of a batch at once, in three statements, when the batch
    opens (issue 17: each was a statement per message, a round trip on PostgreSQL).

    The rows are locked together, in key order (as one at a time would), for the whole
    transaction. A Message-ID that an earlier message of the batch had too is looked up again,
    after that message's link was written; any other link committed meanwhile by another
    processor (the same message through a second mailbox) is refused by the unique key, and
    `_process_one` then decides again with `_Lookups`. People are found by the ASCII address
    lowered as the database lowers it; any other address is looked up on its own."""

    def __init__(self, waiting: deque[tuple[InboundMessage, _Prepared | MessageRefused | Exception]]) -> None:
        pks = [row.pk for row, _prepared in waiting]
        parsed = [prepared.parsed for _row, prepared in waiting if isinstance(prepared, _Prepared)]
        self._states = {
            pk: (outcome, attempts)
            for pk, outcome, attempts in InboundMessage.objects.select_for_update()
            .filter(pk__in=pks)
            .order_by("pk")
            .values_list("pk", "outcome", "attempts")
        }
        ids = {message.message_id for message in parsed if message.message_id}
        self._links = {
            link.message_id: link
            for link in MessageLink.objects.filter(message_id__in=ids).select_related("ticket")
        } if ids else {}  # fmt: skip
        keys = {_person_key(message.from_address) for message in parsed} - {None}
        self._people = {
            person.key: person
            for person in Person.objects.annotate(key=Lower("email"))
            .filter(key__in=keys, is_active=True)
            .select_related("organisation")
        } if keys else {}  # fmt: skip
        self._seen: set[str] = set()  # the Message-IDs of the batch's messages processed so far

    def processed(self, prepared: _Prepared | MessageRefused | Exception) -> None:
        """`prepared`'s message is done: a later one with its Message-ID is looked up again."""
        if isinstance(prepared, _Prepared) and prepared.parsed.message_id:
            self._seen.add(prepared.parsed.message_id)

    def state(self, pk: int) -> tuple[str, int] | None:
        return self._states.get(pk)

    def link(self, message_id: str) -> MessageLink | None:
        if message_id in self._seen:
            return super().link(message_id)
        return self._links.get(message_id)

    def person(self, address: str) -> Person | None:
        key = _person_key(address)
        if key is None:
            return super().person(address)
        found = self._people.get(key)
        return copy.copy(found) if found is not None else None  # each message its own instance


def _person_key(address: str) -> str | None:
    """`address` lowered as `Lower` lowers it in the database (ASCII: the same on both); None
    for an address with other characters, looked up one at a time."""
    address = address.strip()
    return address.lower() if address and address.isascii() else None


def _process_one(
    inbound: InboundMessage,
    prepared: _Prepared | MessageRefused | Exception,
    *,
    now: datetime,
    allowed: tuple[str, ...],
    lookups: _Lookups | None = None,
) -> IngestResult:
    """Lock and re-check the row, decide, record the outcome: in a transaction of its own, or
    in a savepoint of the caller's (a batch, with the batch's `lookups`).

    Our own failure rolls back only this message's work and quarantines it; a database
    failure propagates (the caller's transaction rolls back, the row stays pending). A unique
    key refusing what the batch's lookups did not show (a link another processor committed
    since) rolls back this message's work, and it is decided again from fresh reads.
    """
    try:
        # The batch's blocks nested in the savepoint: what this message's work collected for the
        # batch's end is taken back with it when it rolls back.
        with transaction.atomic(), _together():
            if isinstance(prepared, Exception) and not isinstance(prepared, MessageRefused):
                raise prepared
            return _process_locked(inbound, prepared, now=now, allowed=allowed, lookups=lookups or _Lookups())
    except TEMPORARY_ERRORS:
        raise
    except IntegrityError as error:
        if isinstance(lookups, _BatchLookups):
            return _process_one(inbound, prepared, now=now, allowed=allowed)
        return _quarantine_after_error(inbound, error, now=now, allowed=allowed)
    except Exception as error:
        return _quarantine_after_error(inbound, error, now=now, allowed=allowed)


def _process_locked(
    inbound: InboundMessage,
    prepared: _Prepared | MessageRefused,
    *,
    now: datetime,
    allowed: tuple[str, ...],
    lookups: _Lookups,
) -> IngestResult:
    state = lookups.state(inbound.pk)
    if state is None or state[0] not in allowed:  # another processor took it meanwhile
        return _duplicate(InboundMessage.objects.defer("raw").get(pk=inbound.pk))
    inbound.ticket_message = None  # set again by a ticket or reply (not left from an attempt rolled back)
    with linking_together():  # its own Message-ID's link and its mail's: one INSERT
        result = (
            _refuse(inbound, prepared)
            if isinstance(prepared, MessageRefused)
            else _decide(inbound, prepared, now, lookups)
        )
    inbound.outcome = result.outcome
    inbound.reason = storable(result.reason or "")
    inbound.processed_at = now
    inbound.attempts = state[1] + 1  # the row is locked: no other processor counts meanwhile
    # Only what processing wrote: the stored bytes are never rewritten. In a batch, at its end.
    later_or_now(_waiting_outcomes, [inbound], _record_outcomes)
    return result


#: Processed rows whose outcome waits for the end of the batch (None: outside one).
_waiting_outcomes: ContextVar[Collection[InboundMessage] | None] = ContextVar("mail_outcomes", default=None)


def _record_outcomes(rows: list[InboundMessage]) -> None:
    """The processed messages' outcomes, their UPDATEs sent together (one round trip on PostgreSQL)."""
    update_each(rows, _PROCESSED_FIELDS)


#: The row's state, locked. These SELECTs, made for every message, are compiled once (compiled_queries).
_ROW_STATE = CompiledQuery(
    lambda pk: (
        InboundMessage.objects.select_for_update()
        .filter(pk=pk)
        .values_list("outcome", "attempts")
        .order_by("pk")[:1]
    ),
    pk=int,
)
#: The link of a Message-ID already taken (through another mailbox), with its ticket: one read.
_LINKED_TICKET = CompiledQuery(
    lambda message_id: MessageLink.objects.filter(message_id=message_id).select_related("ticket")[:1],
    message_id=str,
)
#: The active person whose login email the sender's is, with their organisation (C14).
_PERSON = CompiledQuery(
    lambda address: (
        Person.objects.filter(email_is(address), is_active=True)
        .select_related("organisation")
        .order_by("pk")[:1]
    ),
    address=str,
)

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
    """Our own fault with this message: keep it, whole, for a person. A last resort only:
    odd input is read leniently or refused with a reason (MessageRefused), and the fuzz
    test (tests/mail/test_fuzz.py) checks that no input ends here."""
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
class LeftOut:
    """A file of the message that is not attached to the ticket, and why."""

    filename: str
    size: int
    why: str  # "size" (over POLICYDESK_MAX_ATTACHMENT_BYTES) | "count" (over the files cap)


@dataclass(frozen=True)
class _Prepared:
    """What the raw bytes say, worked out before any database lock is taken."""

    parsed: ParsedMessage
    full_text: str
    body_text: str
    automatic: str | None
    authentication_problem: str | None
    attachments: tuple[Attachment, ...]  # the files that go on the ticket
    left_out: tuple[LeftOut, ...]


def _prepare(inbound: InboundMessage) -> _Prepared:
    parsed = parse_message(bytes(inbound.raw), max_parts=conf.max_parts())
    envelope_sender = inbound.envelope_sender if inbound.envelope_recipients else None
    attachments, left_out = _select_attachments(parsed.attachments)
    return _Prepared(
        parsed=parsed,
        full_text=parsed.text.replace("\r\n", "\n"),
        body_text=reply_text(parsed.text) if parsed.text.strip() else "",
        automatic=automatic_reason(parsed, envelope_sender),
        authentication_problem=authentication_problem(parsed),
        attachments=attachments,
        left_out=left_out,
    )


def _select_attachments(found: list[Attachment]) -> tuple[tuple[Attachment, ...], tuple[LeftOut, ...]]:
    """The files that go on the ticket: each within the size limit, at most
    `conf.max_attachments()` of them; the others are left out and named on the ticket."""
    limit = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
    cap = conf.max_attachments()
    kept: list[Attachment] = []
    left_out: list[LeftOut] = []
    for attachment in found:
        if len(attachment.content) > limit:
            left_out.append(LeftOut(attachment.filename, len(attachment.content), "size"))
        elif len(kept) >= cap:
            left_out.append(LeftOut(attachment.filename, len(attachment.content), "count"))
        else:
            kept.append(attachment)
    return tuple(kept), tuple(left_out)


def _prepare_or_error(inbound: InboundMessage) -> _Prepared | MessageRefused | Exception:
    """The prepared message, a refusal (quarantined with its reason), or our own error with
    it (quarantined as an internal error) once the row is locked."""
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


def _refuse(inbound: InboundMessage, refused: MessageRefused) -> IngestResult:
    """A message the desk will not read: quarantined with the reason, nothing else taken."""
    inbound.subject = storable(refused.subject)
    inbound.sender = storable(refused.sender)[:320]
    inbound.ticket = None
    return IngestResult(Outcome.QUARANTINED, inbound, None, str(refused))


def _decide(inbound: InboundMessage, prepared: _Prepared, now: datetime, lookups: _Lookups) -> IngestResult:
    parsed = prepared.parsed
    inbound.subject = parsed.subject
    inbound.sender = parsed.from_address[:320]
    inbound.full_text = prepared.full_text
    inbound.body_text = prepared.body_text
    inbound.attachment_names = [a.filename for a in prepared.attachments]
    decision = _classify(inbound, prepared, now, lookups)
    inbound.ticket = decision.ticket
    number = decision.ticket.number if decision.ticket is not None else None
    reason = decision.reason
    if prepared.left_out and decision.outcome in (Outcome.TICKET, Outcome.REPLY):
        summary = _left_out_summary(prepared)
        reason = f"{reason}; {summary}" if reason else summary
    return IngestResult(decision.outcome, inbound, number, reason)


def _classify(inbound: InboundMessage, prepared: _Prepared, now: datetime, lookups: _Lookups) -> _Decision:
    parsed = prepared.parsed
    recipients = [str(r).lower() for r in inbound.envelope_recipients]
    if prepared.automatic is not None:  # never answered: no ticket, no notice, no loop
        thread = find_thread(parsed, recipients, None)
        return _Decision(Outcome.AUTO, prepared.automatic, thread.ticket if thread else None)
    linked = lookups.link(parsed.message_id) if parsed.message_id else None
    if linked is not None:
        # The same message reached us through another mailbox (SMTP and IMAP, two aliases).
        return _Decision(Outcome.DUPLICATE, "already taken through another mailbox", linked.ticket)
    if prepared.authentication_problem:
        return _Decision(Outcome.QUARANTINED, prepared.authentication_problem)
    # C14: the sender is the addr-spec of the one mailbox in From, never its display name.
    address = parsed.from_address
    if not address:
        return _Decision(Outcome.QUARANTINED, f"no single sender address in From: {parsed.from_problem}")
    person = lookups.person(address)
    thread = find_thread(parsed, recipients, person)
    if thread is not None:
        return _reply(inbound, prepared, person, thread, now)
    if person is None:
        sender_rejected.send(
            InboundMessage,
            address=address,
            language=_guess_language(parsed),
            inbound=_inbound_email(prepared, ""),
            now=now,
        )
        return _Decision(Outcome.REJECTED, f"{address} is not the login email of anyone here (C14)")
    if person.role != Person.Role.CUSTOMER or person.organisation is None:
        return _Decision(Outcome.REJECTED, f"{address} is not a customer of an organisation (C14)")
    return _open(inbound, prepared, person, now)


def _reply(
    inbound: InboundMessage, prepared: _Prepared, person: Person | None, thread: Thread, now: datetime
) -> _Decision:
    parsed = prepared.parsed
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
        decision = _open(inbound, prepared, person, now)
        decision.reason = f"ticket #{ticket.number} is closed: follow-up opened as a new request"
        return decision
    note = _left_out_note(prepared, ticket.language)
    try:
        message = do_customer_reply(
            ticket=ticket,
            customer=person,
            text=_with_note(inbound.body_text, note),
            now=now,
            channel=Ticket.Channel.EMAIL,
            html=parsed.html,
            uploads=_uploads(prepared),
            inbound=_inbound_email(prepared, note),
        )
    except ActionError as error:
        return _Decision(Outcome.QUARANTINED, str(error), ticket)
    _link(parsed, ticket, message, now)
    inbound.ticket_message = message
    return _Decision(Outcome.REPLY, None, ticket)


def _may_reply(person: Person, thread: Thread) -> bool:
    if thread.evidence == "reply-address" and thread.signed_for == person.pk:
        return True
    return is_party(person, thread.ticket) or can_view(person, thread.ticket)


def _open(inbound: InboundMessage, prepared: _Prepared, person: Person, now: datetime) -> _Decision:
    parsed = prepared.parsed
    subject = one_line(parsed.subject) or _("(no subject)")  # a subject of control characters only
    language = person.language or _guess_language(parsed)
    note = _left_out_note(prepared, language)
    try:
        result = do_open_ticket(
            requester=person,
            topic=get_policy().desk.email_request_type,  # C11
            subject=subject,
            text=_with_note(inbound.body_text, note),
            channel=Ticket.Channel.EMAIL,
            now=now,
            html=parsed.html,
            uploads=_uploads(prepared),
            language=language,
            inbound=_inbound_email(prepared, note),
        )
    except ActionError as error:
        return _Decision(Outcome.QUARANTINED, str(error))
    if result.ticket is None:
        route = result.decision.route
        # The CLI contract has no "deflected": the request was not taken, the sender was told where to go.
        return _Decision(Outcome.REJECTED, f"deflected by the policy (C2): {route.id if route else 'route'}")
    _link(parsed, result.ticket, result.message, now)
    not_copied = _copy_cc(parsed, result.ticket, person, now)
    inbound.ticket_message = result.message
    return _Decision(Outcome.TICKET, not_copied, result.ticket)


#: At most this many `Cc:` addresses of a new request are looked up (a list of hundreds is not a
#: conversation to join people to).
MAX_CC = 20


def _copy_cc(parsed: ParsedMessage, ticket: Ticket, requester: Person, now: datetime) -> str | None:
    """Known customers of the requester's organisation in the new request's `Cc:` are copied on the
    ticket (participants: they receive its replies). Where the policy allows (`[outside_copies]`),
    addresses that are nobody's sign-in become outside copies (they receive its public replies and
    cannot write: C14). Anyone else is left out. Returns what was not copied and why, or None."""
    listed = [a.lower() for a in all_addresses(parsed.message, ("Cc",))[:MAX_CC]]
    ours = conf.support_domain()  # our own address (and reply addresses) copied by the customer
    wanted = {a for a in listed if a.partition("@")[2] != ours} - {requester.email.lower()}
    if not wanted:
        return None
    people = Person.objects.annotate(address=Lower("email")).filter(address__in=wanted)
    known = {person.address: person for person in people}
    for person in known.values():
        colleague = person.role == Person.Role.CUSTOMER and person.organisation_id == ticket.organisation_id
        if person.is_active and colleague:
            do_add_participant(ticket=ticket, participant=person, actor=requester, now=now)
    if not get_policy().outside_copies.allowed:
        return None  # as before outside copies existed: strangers in Cc: are simply not copied
    left_out: dict[str, list[str]] = {}  # why -> the addresses, in the order of the Cc: header
    for address in dict.fromkeys(a for a in listed if a in wanted and a not in known):
        try:
            do_add_outside_copy(ticket=ticket, address=address, actor=requester, now=now)
        except ActionError as refused:
            left_out.setdefault(str(refused), []).append(address)
    if not left_out:
        return None
    return ("Cc not copied: " + "; ".join(f"{', '.join(a)} ({why})" for why, a in left_out.items()))[:1000]


def _inbound_email(prepared: _Prepared, note: str) -> InboundEmail:
    """The email as the mail sent about it needs it: threading by the ids that fit a stored
    Message-ID, its subject, and (when `note` says files were left out) the list of them."""
    parsed = prepared.parsed
    return InboundEmail(
        message_id=parsed.message_id if len(parsed.message_id) <= MESSAGE_ID_CHARS else "",
        references=tuple(i for i in parsed.references if len(i) <= MESSAGE_ID_CHARS),
        subject=parsed.subject,
        left_out=(lambda lang: _left_out_note(prepared, lang)) if note else None,
    )


def _link(parsed: ParsedMessage, ticket: Ticket, message: Message | None, now: datetime) -> None:
    # `_classify` found no link with this Message-ID in this transaction, so it is not looked
    # for again; the unique key still refuses a concurrent twin from another mailbox.
    link_message_id(
        parsed.message_id, ticket=ticket, message=message, direction=MessageLink.Direction.INBOUND, now=now
    )


def _uploads(prepared: _Prepared) -> tuple[Upload, ...]:
    return tuple(Upload(a.filename, a.content_type, a.content) for a in prepared.attachments)


# -- files left out (too large, too many) --------------------------------------------------

#: Names listed on the ticket per reason; the rest are counted.
_NAMES_LISTED = 20


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _left_out_note(prepared: _Prepared, language: str) -> str:
    """The lines added to the customer's message on the ticket (seen by agents and the
    customer) naming the files not attached and why, in the ticket's language; '' when none."""
    too_large = [item for item in prepared.left_out if item.why == "size"]
    too_many = [item for item in prepared.left_out if item.why == "count"]
    unread = prepared.parsed.unread_parts
    if not (too_large or too_many or unread):
        return ""
    limit_mb = settings.POLICYDESK_MAX_ATTACHMENT_BYTES // (1024 * 1024)
    with translation.override(languages.choose(language)):
        lines = [_("Not attached by the support desk:")]
        for item in too_large[:_NAMES_LISTED]:
            lines.append(
                "- "
                + _("%(name)s (%(size)s): larger than the limit of %(limit)d MB per file")
                % {"name": item.filename, "size": _megabytes(item.size), "limit": limit_mb}
            )
        if len(too_large) > _NAMES_LISTED:
            lines.append(
                "- "
                + _("%(count)d more files over the size limit") % {"count": len(too_large) - _NAMES_LISTED}
            )
        if too_many:
            names = ", ".join(item.filename for item in too_many[:_NAMES_LISTED])
            if len(too_many) > _NAMES_LISTED:
                names += ", …"
            lines.append(
                "- "
                + ngettext(
                    "%(count)d file (%(names)s): a message brings at most %(max)d files",
                    "%(count)d files (%(names)s): a message brings at most %(max)d files",
                    len(too_many),
                )
                % {"count": len(too_many), "names": names, "max": conf.max_attachments()}
            )
        if unread:
            lines.append(
                "- "
                + ngettext(
                    "%(count)d more part of the message was not read: at most %(max)d parts are read",
                    "%(count)d more parts of the message were not read: at most %(max)d parts are read",
                    unread,
                )
                % {"count": unread, "max": conf.max_parts()}
            )
        lines.append(
            _("Please send these files another way, for example as a link or in several smaller messages.")
        )
    return "\n".join(lines)


def _with_note(text: str, note: str) -> str:
    return f"{text.rstrip()}\n\n{note}".lstrip() if note else text


def _left_out_summary(prepared: _Prepared) -> str:
    """The outcome's reason for operators (the CLI's `reason`), in English."""
    names = [item.filename for item in prepared.left_out[:5]]
    more = len(prepared.left_out) - len(names)
    summary = (
        f"{len(prepared.left_out)} file(s) not attached: "
        + ", ".join(names)
        + (f" and {more} more" if more else "")
    )
    if prepared.parsed.unread_parts:
        summary += f"; {prepared.parsed.unread_parts} part(s) not read"
    return summary


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _guess_language(parsed: ParsedMessage) -> str:
    return "ja" if _JAPANESE.search(parsed.subject + parsed.text[:2000]) else "en"


_COMMENT = re.compile(r"\([^()]*\)")
_DMARC_RESULT = re.compile(r"^\s*dmarc\s*=\s*([a-z]+)", re.I)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)", re.I)


def authentication_problem(parsed: ParsedMessage) -> str | None:
    """Why the receiving server's `Authentication-Results` says the From is not genuine, or None.

    Anyone can write the header, so only one counts: the topmost that carries our receiving
    server's authserv-id (POLICYDESK_MAIL_AUTHSERV_ID; the server adds it above everything
    the sender wrote). Without that setting no header is trusted. A pass buys nothing (the
    sender is still only the From addr-spec matching a login email, C14); a DMARC fail, or
    a result for another domain than the From address's (the server and we read From
    differently), quarantines the message.
    """
    wanted = conf.authserv_id()
    if not wanted:
        return None
    for raw in raw_headers(parsed.message, "Authentication-Results"):
        value = raw.decode("ascii", errors="replace").replace("\r", "").replace("\n", "")
        for _round in range(5):  # nested comments, bounded
            value = _COMMENT.sub(" ", value)
        results = value.split(";")
        authserv = results[0].split()
        if not authserv or authserv[0].lower() != wanted:
            continue
        return _dmarc_problem(results[1:], parsed.from_address)
    return None


def _dmarc_problem(results: list[str], from_address: str) -> str | None:
    domain = from_address.rpartition("@")[2].rstrip(".")
    for result in results:
        match = _DMARC_RESULT.match(result)
        if match is None:
            continue
        checked = _HEADER_FROM.search(result)
        checked_domain = checked.group(1).lower().rpartition("@")[2].rstrip(".") if checked else ""
        if checked_domain and domain and checked_domain != domain:
            return f"Authentication-Results: DMARC was checked for {checked_domain}, but From is at {domain}"
        if match.group(1).lower() == "fail":
            return "DMARC fail in Authentication-Results"
    return None
