"""The desk's one email service. Each email is a function that gathers its template context
and `compose`s an `Email` (its words rendered from templates in the recipient's language,
`mail.rendering`): the ticket mail below, `watch.notify` / `watch.paging`
(SLA alerts, pages), `status.tasks` (subscriptions, incident updates), `portal.signin`
(sign-in links). `queue_mail` records every one of them as an `OutgoingMail` in the
transaction that caused it; `mail.tasks` sends it later through `mail.sending`. What starts
each ticket email: `mail.receivers`.

Every message has a Message-ID from our domain (stored, so a reply to it threads),
`In-Reply-To`/`References` so it threads in the customer's client, the signed reply
address in `Reply-To`, our loop header, and `Auto-Submitted` when no person wrote it.
Automatic answers to received mail are rate limited per recipient; a sender we reject gets
at most one notice a day.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.html import escape

from policydesk import languages
from policydesk.compiled_queries import (
    PreparedInsert,
    connection_of,
    fetch_all,
    insert,
    insert_rows,
    new_row,
    prepare_insert,
    statement_cursor,
)
from policydesk.desk_policy import get_policy
from policydesk.mail import conf, rendering
from policydesk.mail.models import MessageLink, OutgoingMail
from policydesk.mail.tasks import enqueue_send, enqueue_sends, prepare_send
from policydesk.mail.threads import MESSAGE_ID_CHARS, PreparedLink, link_message_id, prepare_link, subject_tag
from policydesk.oneline import one_line
from policydesk.ops.tasks_backend import PreparedTask
from policydesk.policy.model import Policy
from policydesk.promises import promise_for
from policydesk.tickets.models import Deflection, MeetingRequest, Message, Person, Ticket
from policydesk.tickets.signals import InboundEmail
from policydesk.together import Collection, done_now, done_together

log = logging.getLogger(__name__)


def new_message_id(key: str = "") -> str:
    """A Message-ID of our domain, without the angle brackets; from `key` when the message
    must have the same one however often it is recorded (an idempotency key)."""
    return f"{key or uuid.uuid4().hex}@{conf.support_domain()}"


def _thread_headers(
    ticket: Ticket | None, inbound: InboundEmail | None, *, new_ticket: bool = False
) -> tuple[str, list[str]]:
    """(In-Reply-To, References): under the email being answered if there is one, else under
    the ticket's latest message."""
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


@dataclass(frozen=True)
class Email:
    """One email as the function that writes it returns it (its words rendered in `language`);
    `queue_mail` records and sends it. `ticket`: the ticket it is about (threading, the
    signed Reply-To for `person`, a note on the ticket if it cannot be delivered)."""

    kind: str
    recipient: str
    language: str
    subject: str
    body: str
    person: Person | None = None
    ticket: Ticket | None = None
    automatic: bool = True  # no person wrote it: Auto-Submitted
    headers: dict[str, str] = field(default_factory=dict)  # extra headers (List-Unsubscribe)
    html_body: str = ""  # the HTML alternative ('' = plain text only)


def compose(
    template: str,
    context: Mapping[str, Any],
    *,
    kind: str,
    recipient: str,
    language: str,
    person: Person | None = None,
    ticket: Ticket | None = None,
    automatic: bool = True,
    headers: dict[str, str] | None = None,
) -> Email:
    """The email whose words are the templates in the folder `template` (`mail.rendering`),
    rendered with `context` in `language`."""
    words = rendering.render(template, context, language)
    return Email(
        kind=kind, recipient=recipient, language=language, subject=words.subject, body=words.body,
        html_body=words.html_body, person=person, ticket=ticket, automatic=automatic,
        headers=headers or {},
    )  # fmt: skip


def queue_mail(
    email: Email,
    *,
    now: datetime,
    message: Message | None = None,
    new_ticket: bool = False,
    inbound: InboundEmail | None = None,
    key: str = "",
    enqueue: bool = True,
) -> OutgoingMail:
    """The one way the desk sends an email: record it (threaded, rate limited) inside the
    caller's transaction and enqueue its task; `mail.sending` adds our loop header and
    `Auto-Submitted` when it goes out, and retries.

    `message`: the conversation entry it carries. `new_ticket`: `email.ticket` was opened
    in the caller's transaction (the acknowledgement). `inbound`: the received email this
    answers; the message threads under it. `key`: an idempotency key: a message with that
    key already recorded is not recorded again (the watch's deliveries, status fan-out),
    and its Message-ID is made from it. `enqueue`: False when the caller, a task already,
    sends it itself (`tasks.send_recorded`).
    """
    ticket = email.ticket
    waiting = _waiting_mail.get() if enqueue and not key else None
    if waiting is None:
        done_now(_waiting_mail, _record_waiting)  # what this one reads must see them
    message_id = new_message_id(key)
    if key:
        existing = OutgoingMail.objects.filter(message_id=message_id).first()
        if existing is not None:
            return existing
    in_reply_to, references = _thread_headers(ticket, inbound, new_ticket=new_ticket)
    status = OutgoingMail.Status.QUEUED
    if waiting is not None:  # its rate limit, row and task at the end of the `queuing_together` block
        outgoing = _record(email, status, message_id, in_reply_to, references, message, now)
        waiting.append(outgoing)
    else:
        outgoing = _record(email, status, message_id, in_reply_to, references, message, now)
        _record_one(outgoing, enqueue=enqueue)
    if ticket is not None:
        link_message_id(
            outgoing.message_id,
            ticket=ticket,
            message=message,
            direction=MessageLink.Direction.OUTBOUND,
            now=now,
        )
    return outgoing


#: Mail whose rate limit, row and task wait for the end of a `queuing_together` block (None:
#: outside one).
_waiting_mail: ContextVar[Collection[OutgoingMail] | None] = ContextVar("mail_queuing_together", default=None)


def queuing_together() -> AbstractContextManager[None]:
    """Inside the block, `queue_mail` collects the mail it is given (threaded, its Message-ID
    linked, as at once) and the block's end records them all: one read of their recipients'
    recent automatic mail for the rate limit, one INSERT of the rows, one of their tasks (issue
    17: a batch of stored mail acknowledges each request it takes, three statements each). The
    same records as one at a time, in the same order: the rate limit counts the earlier ones of
    the block. Mail with an idempotency key, or sent by its caller at once (`enqueue=False`),
    is recorded at once, after what is waiting; so is anything `rejection_noticed_today` and
    the rate limit read. A nested block that raises takes back its mail (`together`); the
    returned record of a mail still waiting has no key yet."""
    return done_together(_waiting_mail, Collection, _record_waiting)


def _record_waiting(records: list[OutgoingMail]) -> None:
    """Record the collected mail: each rate-limited one suppressed where `queue_mail` would have
    suppressed it at its own `now` (its `created_at`), counting the block's earlier ones."""
    if len(records) == 1:  # one at a time costs less than the batch's reads
        _record_one(records[0], enqueue=True)
        return
    limited = [r for r in records if r.kind in OutgoingMail.RATE_LIMITED_KINDS]
    if limited:
        count, seconds = conf.automatic_rate_limit()
        window = timedelta(seconds=seconds)
        recent = _recent_automatic_times(
            sorted({r.recipient for r in limited}), min(r.created_at for r in limited) - window
        )
        for outgoing in limited:
            times = recent.setdefault(outgoing.recipient, [])
            if sum(1 for at in times if at > outgoing.created_at - window) >= count:
                outgoing.status = OutgoingMail.Status.SUPPRESSED
            else:
                times.append(outgoing.created_at)
    insert_rows(records, read_keys=True)
    enqueue_sends([r.pk for r in records if r.status == OutgoingMail.Status.QUEUED])
    for outgoing in records:
        if outgoing.status != OutgoingMail.Status.QUEUED:
            log.warning("automatic mail to %s suppressed by the rate limit", outgoing.recipient)


def _record_one(
    outgoing: OutgoingMail,
    *,
    enqueue: bool,
    statement: PreparedInsert | None = None,
    send: PreparedTask | None = None,
) -> None:
    """Record one mail at once: rate limited at its own `now`, its row, its task (`enqueue`).
    `statement`: its INSERT worked out already, its status read when written; `send`: its task
    row, likewise (`PreparedAcknowledgement`)."""
    if (
        outgoing.kind in OutgoingMail.RATE_LIMITED_KINDS
        and _rate_limit_left(outgoing.recipient, outgoing.created_at) <= 0
    ):
        outgoing.status = OutgoingMail.Status.SUPPRESSED
    if statement is None:
        insert(outgoing)
    else:
        statement.write()
    if outgoing.status != OutgoingMail.Status.QUEUED:
        log.warning("automatic mail to %s suppressed by the rate limit", outgoing.recipient)
    elif enqueue and send is not None:
        send.write((outgoing.pk,), {})
    elif enqueue:
        enqueue_send(outgoing.pk)


def queue_mails(emails: Sequence[Email], *, now: datetime) -> list[OutgoingMail]:
    """`queue_mail` for many emails at once, each threaded under its ticket's latest message
    (no `message`, `inbound`, `key`): the same records, threading and rate limit, in a handful
    of queries whatever their number (a bulk solve's satisfaction surveys). The emails are
    recorded in order: of several to one address, the first ones are within the rate limit."""
    if not emails:
        return []
    tickets = {email.ticket.pk: email.ticket for email in emails if email.ticket is not None}
    threads: dict[int, list[str]] = {pk: [] for pk in tickets}
    for ticket_id, message_id in (
        MessageLink.objects.filter(ticket_id__in=list(tickets))
        .order_by("created_at", "pk")
        .values_list("ticket_id", "message_id")
    ):
        threads[ticket_id].append(message_id)
    limited = {e.recipient.lower() for e in emails if e.kind in OutgoingMail.RATE_LIMITED_KINDS}
    left = _rate_limits_left(sorted(limited), now)
    records, links = [], []
    for email in emails:
        status = OutgoingMail.Status.QUEUED
        if email.kind in OutgoingMail.RATE_LIMITED_KINDS:
            recipient = email.recipient.lower()
            if left[recipient] <= 0:
                status = OutgoingMail.Status.SUPPRESSED
            left[recipient] -= 1
        thread = threads.get(email.ticket.pk, []) if email.ticket is not None else []
        message_id = new_message_id()
        records.append(
            _record(email, status, message_id, thread[-1] if thread else "", thread[-20:], None, now)
        )
        if email.ticket is not None and len(message_id) <= MESSAGE_ID_CHARS:  # as link_message_id
            thread.append(message_id)  # the next email about this ticket threads under this one
            links.append(
                MessageLink(
                    message_id=message_id, ticket=email.ticket, ticket_message=None,
                    direction=MessageLink.Direction.OUTBOUND, created_at=now,
                )
            )  # fmt: skip
    OutgoingMail.objects.bulk_create(records)
    MessageLink.objects.bulk_create(links)
    suppressed: dict[str, int] = {}
    for outgoing in records:
        if outgoing.status == OutgoingMail.Status.QUEUED:
            enqueue_send(outgoing.pk)
        else:
            suppressed[outgoing.recipient] = suppressed.get(outgoing.recipient, 0) + 1
    for recipient, count in suppressed.items():  # one line per address, not per message
        log.warning("%d automatic mails to %s suppressed by the rate limit", count, recipient)
    return records


def _record(
    email: Email,
    status: str,
    message_id: str,
    in_reply_to: str,
    references: list[str],
    message: Message | None,
    now: datetime,
) -> OutgoingMail:
    """The unsaved record of `email`."""
    return new_row(
        OutgoingMail,
        kind=email.kind,
        status=status,
        automatic=email.automatic,
        recipient=email.recipient.lower(),
        person=email.person,
        ticket=email.ticket,
        ticket_message=message,
        in_reply_to=in_reply_to,
        references=references,
        message_id=message_id,
        language=email.language,
        subject=one_line(email.subject)[:300],
        body=email.body,
        html_body=email.html_body,
        headers=email.headers,
        created_at=now,
        attempt_at=now,
    )


def _rate_limit_left(recipient: str, now: datetime) -> int:
    """How many more automatic messages `recipient` may be sent now (0 or less: none)."""
    return _rate_limits_left([recipient.lower()], now)[recipient.lower()]


#: Recipients per grouped COUNT: well under SQLite's limit of bound parameters.
RATE_LIMIT_RECIPIENTS_PER_COUNT = 500


def _rate_limits_left(recipients: Sequence[str], now: datetime) -> dict[str, int]:
    """`_rate_limit_left` of each of `recipients` (lower case), in one grouped COUNT per
    `RATE_LIMIT_RECIPIENTS_PER_COUNT` recipients, not one COUNT each (a bulk solve's surveys)."""
    count, seconds = conf.automatic_rate_limit()
    since = now - timedelta(seconds=seconds)
    recent: dict[str, int] = {}
    for start in range(0, len(recipients), RATE_LIMIT_RECIPIENTS_PER_COUNT):
        recent.update(
            _recent_automatic_by_recipient(recipients[start : start + RATE_LIMIT_RECIPIENTS_PER_COUNT], since)
        )
    # At most `count` each: more than the limit is no more "none left".
    return {recipient: count - min(recent.get(recipient, 0), count) for recipient in recipients}


def _recent_automatic_times(recipients: Sequence[str], since: datetime) -> dict[str, list[datetime]]:
    """When each of `recipients` was recorded a rate-limited message after `since` (what
    `_recent_automatic_by_recipient` counts, the instants themselves: a block's mail each counts
    from its own `now`)."""
    field = OutgoingMail._meta.get_field("created_at")
    column = field.get_col(OutgoingMail._meta.db_table)
    connection = connection_of()
    converters = connection.ops.get_db_converters(column)  # SQLite: text to an aware datetime
    times: dict[str, list[datetime]] = {}
    for start in range(0, len(recipients), RATE_LIMIT_RECIPIENTS_PER_COUNT):
        rows = _rate_limited_rows(
            f"{_quote('recipient')}, {_quote('created_at')}",
            recipients[start : start + RATE_LIMIT_RECIPIENTS_PER_COUNT],
            since,
        )
        for recipient, at in rows:
            for convert in converters:
                at = convert(at, column, connection)
            times.setdefault(recipient, []).append(at)
    return times


def _recent_automatic_by_recipient(recipients: Sequence[str], since: datetime) -> dict[str, int]:
    """How many rate-limited messages were recorded for each of `recipients` after `since`, in one
    statement grouped by recipient (those with none are left out). A recipient has at most the
    limit of them in the window (the rest are suppressed, not counted), so each count stays small."""
    rows = _rate_limited_rows(f"{_quote('recipient')}, COUNT(*)", recipients, since, group=True)
    return {recipient: int(number) for recipient, number in rows}


def _quote(name: str) -> str:
    return str(connection_of().ops.quote_name(name))


def _rate_limited_rows(
    columns: str, recipients: Sequence[str], since: datetime, *, group: bool = False
) -> list[tuple[Any, ...]]:
    """`columns` of the rate-limited mail recorded for `recipients` after `since` (grouped by
    recipient when `group`): the rate limit's one WHERE, on the `mail_out_rate_limit` index.
    SQL kept as text, made once per database, columns and count of recipients: the ORM compiled
    the same COUNT for every acknowledgement, 1 ms of CPU of the 8 of an intake (issue 17)."""
    kinds, statuses = _RATE_LIMITED
    connection = connection_of()
    key = (connection.vendor, columns, len(recipients), group)
    sql = _rate_limited_sql.get(key)
    if sql is None:

        def marks(count: int) -> str:
            return ", ".join(["%s"] * count)

        sql = _rate_limited_sql[key] = (
            f"SELECT {columns} FROM {_quote(OutgoingMail._meta.db_table)}"  # noqa: S608 - quoted identifiers, bound values
            f" WHERE {_quote('recipient')} IN ({marks(len(recipients))})"
            f" AND {_quote('kind')} IN ({marks(len(kinds))})"
            f" AND {_quote('created_at')} > %s AND {_quote('status')} IN ({marks(len(statuses))})"
            + (f" GROUP BY {_quote('recipient')}" if group else "")
        )
    params = [*recipients, *kinds, connection.ops.adapt_datetimefield_value(since), *statuses]
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        return list(fetch_all(cursor))


#: The rate limit's kinds and statuses, as bound.
_RATE_LIMITED = (
    tuple(map(str, OutgoingMail.RATE_LIMITED_KINDS)),
    tuple(map(str, OutgoingMail.RATE_LIMITED_STATUSES)),
)
#: (database vendor, columns, recipients, grouped) -> the rate limit's SELECT
_rate_limited_sql: dict[tuple[str, str, int, bool], str] = {}


# -- what we say about tickets ----------------------------------------------------------
# Each function gathers its template context; the words are in templates/mail/<name>/.


def absolute_url(path: str) -> str:
    """`path` on the desk's public address (`POLICYDESK_SITE_URL`): links in mail must work
    outside any request."""
    return str(settings.SITE_URL).rstrip("/") + path


def ticket_url(ticket: Ticket) -> str:
    """The ticket's page in the help center (the customer signs in first if they must)."""
    head, tail = _ticket_path(get_script_prefix(), get_urlconf())
    return absolute_url(f"{head}{int(ticket.number)}{tail}")


#: A number that stands once in the ticket page's path (`_ticket_path`).
_PROBE = 987_654_321_987_654_321


@lru_cache(maxsize=16)
def _ticket_path(script_prefix: str, urlconf: str | None) -> tuple[str, str]:
    """`reverse("ticket", args=[number])` around its number, once per script prefix and URLconf
    (issue 17: every email about a ticket links to it, and `reverse` was a fiftieth of an intake)."""
    head, found, tail = reverse("ticket", args=[_PROBE], urlconf=urlconf).partition(str(_PROBE))
    if not found or str(_PROBE) in tail:  # pragma: no cover - the route is `tickets/<int:number>/`
        raise ValueError("the ticket page's path does not hold its number once")
    return head, tail


def ticket_context(ticket: Ticket) -> dict[str, Any]:
    """What every email about a ticket says of it: its tag, subject and page (every email to a
    customer about a ticket links to it)."""
    return {"tag": subject_tag(ticket), "subject": ticket.subject, "ticket_url": ticket_url(ticket)}


def acknowledgement_email(ticket: Ticket, policy: Policy | None = None) -> Email:
    """C3, C13: the request is taken, with the plan's first-response promise (under `policy`,
    the one the ticket was triaged under when the caller has it, else the desk's)."""
    lang, context = _acknowledgement_context(ticket, policy)
    person = ticket.requester
    return compose(
        "mail/acknowledgement", context, kind=OutgoingMail.Kind.ACKNOWLEDGEMENT, recipient=person.email,
        language=lang, person=person, ticket=ticket,
    )  # fmt: skip


def _acknowledgement_context(ticket: Ticket, policy: Policy | None) -> tuple[str, dict[str, Any]]:
    """The acknowledgement's language and template context."""
    person = ticket.requester
    lang = languages.choose(person.language, ticket.language)
    with translation.override(lang):  # the promise's own words are gettext's, in the active language
        promise = promise_for(ticket, policy or get_policy(), person.time_zone, lang).lines()
    return lang, {**ticket_context(ticket), "promise": promise}


@dataclass(frozen=True)
class NumberlessDraft:
    """An email about a ticket that has no number yet (one being opened), rendered with
    `placeholder` where the number goes (its tag, its link): its words are ready before the
    intake's transaction, and `numbered` puts the number in once the ticket has one (issue 17)."""

    email: Email
    placeholder: str

    def numbered(self, ticket: Ticket) -> Email:
        """The email, word for word as if rendered for `ticket` with its number."""
        number = str(ticket.number)

        def put(text: str) -> str:
            return text.replace(self.placeholder, number)

        email = self.email
        return replace(
            email, subject=put(email.subject), body=put(email.body), html_body=put(email.html_body),
            ticket=ticket,
        )  # fmt: skip


def acknowledgement_draft(ticket: Ticket, policy: Policy | None = None) -> NumberlessDraft | None:
    """`acknowledgement_email` for a ticket not saved yet (no number), or None when it cannot be
    drafted (the caller then renders it in full). The placeholder is a number of 18 random digits
    that the ticket's subject, the only words of the customer in it, does not contain: every
    other occurrence in the email is the number's (the rest are the policy's and ours).

    Drafts whose words differ only by their subject share one rendering (`_shared_draft`)."""
    if ticket.number is not None:
        return None
    shared = _shared_draft(ticket, policy)
    if shared is not None:
        return shared
    placeholder = _placeholder_number(ticket.subject)
    ticket.number = placeholder
    try:
        email = acknowledgement_email(ticket, policy)
    finally:
        ticket.number = None
    if str(placeholder) not in email.subject:  # the tag is not where the number goes: render later
        return None
    return NumberlessDraft(email=email, placeholder=str(placeholder))


@dataclass(frozen=True)
class PreparedAcknowledgement:
    """The acknowledgement of a ticket not saved yet, recorded in the intake's transaction by
    `queue_acknowledgement` as `queue_mail` records it, its words drafted and its rows (the
    record, its task, its Message-ID's link) worked out before (`prepare_acknowledgement`; issue
    17: recording it was a third of the time an intake held SQLite's write lock)."""

    draft: NumberlessDraft
    inbound: InboundEmail | None
    record: OutgoingMail  # its status and words filled in when written
    statement: PreparedInsert | None  # None: in a batch, which records its mail at its end
    send: PreparedTask | None  # None: enqueued as `enqueue_send` does (or by the batch)
    link: PreparedLink | None


def prepare_acknowledgement(
    ticket: Ticket, policy: Policy | None = None, inbound: InboundEmail | None = None
) -> PreparedAcknowledgement | None:
    """The acknowledgement of `ticket` (unsaved), prepared; None when it cannot be drafted
    (`acknowledgement_draft`): it is then rendered and recorded once the ticket is saved."""
    draft = acknowledgement_draft(ticket, policy)
    if draft is None:
        return None
    now = ticket.created_at
    in_reply_to, references = _thread_headers(ticket, inbound, new_ticket=True)
    status = OutgoingMail.Status.QUEUED
    record = _record(draft.email, status, new_message_id(), in_reply_to, references, None, now)
    direction = MessageLink.Direction.OUTBOUND
    link = prepare_link(record.message_id, ticket=ticket, message=None, direction=direction, now=now)
    if _waiting_mail.get() is not None:  # a batch of stored mail: its rows at the batch's end
        return PreparedAcknowledgement(draft, inbound, record, None, None, link)
    statement = prepare_insert([record], late=_NUMBERED, read_keys=True, signals=True)
    return PreparedAcknowledgement(draft, inbound, record, statement, prepare_send(), link)


#: What an acknowledgement's record takes when it is written: its words, with the ticket's
#: number, and its status (the rate limit).
_NUMBERED = ("status", "subject", "body", "html_body")


def queue_acknowledgement(prepared: PreparedAcknowledgement, ticket: Ticket) -> OutgoingMail:
    """`queue_mail(prepared.draft.numbered(ticket), now=ticket.created_at, new_ticket=True,
    inbound=prepared.inbound)`, from what was prepared: the same record, rate limit, task and
    link, in the caller's transaction (the one that saved `ticket`)."""
    email = prepared.draft.numbered(ticket)
    record = prepared.record
    record.subject, record.body, record.html_body = one_line(email.subject)[:300], email.body, email.html_body
    waiting = _waiting_mail.get()
    if waiting is not None:  # its rate limit, row and task at the end of the `queuing_together` block
        waiting.append(record)
    else:
        _record_one(record, enqueue=True, statement=prepared.statement, send=prepared.send)
    if prepared.link is not None:
        prepared.link.write()
    return record


#: The number and the subject a shared draft is rendered with (`_shared_draft`): fixed for the
#: process, so that tickets with the same promise, language and address share their words.
_SHARED_NUMBER = 10**17 + secrets.randbelow(9 * 10**17)
_SHARED_SUBJECT = "subject" + secrets.token_hex(16)
#: Shared renderings by what their words depend on (the template context, the language); the
#: oldest are dropped past `SHARED_DRAFTS`, and all when a template file changes (`forget_shared_drafts`).
_shared_drafts: dict[tuple[object, ...], rendering.Rendered] = {}
SHARED_DRAFTS = 256


def _shared_draft(ticket: Ticket, policy: Policy | None) -> NumberlessDraft | None:
    """The acknowledgement's draft, its words rendered once for every ticket with the same context
    apart from the subject (issue 17: the three templates were a tenth of the CPU of an email
    intake): rendered with a fixed number and a fixed word for the subject, which is then put in
    its place, as the templates put it (raw in the text parts, HTML-escaped in the HTML part).

    None for a subject that is not one clean line (`one_line` would change it: the email's
    subject line is trimmed where its body is not) or that holds either placeholder: the caller
    renders those in full. tests/mail/test_outgoing.py checks, word for word, that a shared draft is
    the email rendered for the saved ticket."""
    subject = ticket.subject
    if (
        not subject
        or one_line(subject) != subject
        or str(_SHARED_NUMBER) in subject
        or _SHARED_SUBJECT in subject
    ):
        return None
    number = ticket.number  # None: not saved yet
    ticket.number, ticket.subject = _SHARED_NUMBER, _SHARED_SUBJECT
    try:
        lang, context = _acknowledgement_context(ticket, policy)
    finally:
        ticket.number, ticket.subject = number, subject
    key = (
        lang,
        *(
            (name, tuple(value) if isinstance(value, list) else value)
            for name, value in sorted(context.items())
        ),
    )
    words = _shared_drafts.get(key)
    if words is None:
        words = rendering.render("mail/acknowledgement", context, lang)
        if len(_shared_drafts) >= SHARED_DRAFTS:
            del _shared_drafts[next(iter(_shared_drafts))]
        _shared_drafts[key] = words
    placeholder = str(_SHARED_NUMBER)
    if placeholder not in words.subject:  # the tag is not where the number goes: render later
        return None
    person = ticket.requester
    email = Email(
        kind=OutgoingMail.Kind.ACKNOWLEDGEMENT, recipient=person.email, language=lang,
        subject=words.subject.replace(_SHARED_SUBJECT, subject),
        body=words.body.replace(_SHARED_SUBJECT, subject),
        html_body=words.html_body.replace(_SHARED_SUBJECT, escape(subject)),
        person=person, ticket=ticket,
    )  # fmt: skip
    return NumberlessDraft(email=email, placeholder=placeholder)


def forget_shared_drafts(**kwargs: object) -> None:
    """Drop the shared renderings (a template file changed: `autoreload.file_changed`; tests)."""
    _shared_drafts.clear()


def _placeholder_number(subject: str) -> int:
    while True:
        number = 10**17 + secrets.randbelow(9 * 10**17)
        if str(number) not in subject:
            return number


def agent_reply_emails(ticket: Ticket, message: Message) -> list[Email]:
    """The agent's public answer to the requester and every participant, each with their own reply
    address, then to each outside copy in the ticket's language (no Person: the desk's plain
    address in Reply-To, and a footer saying its replies do not reach the ticket, C14)."""
    people = [ticket.requester, *ticket.participants.exclude(pk=ticket.requester_id)]
    # The files come with links to download them (after signing in, by people who may see the
    # ticket: the portal's attachment view checks), never as attachments of the email.
    files = [
        {"name": a.filename, "size": a.size, "url": absolute_url(reverse("attachment", args=[a.pk]))}
        for a in (message.attachments.order_by("id") if message.pk else ())  # a preview is unsaved
    ]
    context = {**ticket_context(ticket), "text": message.text, "files": files}
    emails = [
        compose(
            "mail/agent_reply",
            context,
            kind=OutgoingMail.Kind.AGENT_REPLY,
            recipient=person.email,
            language=languages.choose(person.language, ticket.language),
            person=person,
            ticket=ticket,
            automatic=False,
        )
        for person in people
    ]
    outside_language = languages.choose(ticket.language)
    emails += [
        compose(
            "mail/agent_reply",
            # No links: an outside address cannot sign in to the ticket or download its files.
            {**context, "outside": True, "files": []},
            kind=OutgoingMail.Kind.AGENT_REPLY,
            recipient=address,
            language=outside_language,
            ticket=ticket,
            automatic=False,
        )
        for address in ticket.outside_copies.values_list("address", flat=True)
    ]
    return emails


def left_out_email(ticket: Ticket, person: Person, note: Callable[[str], str]) -> Email:
    """Which files of the customer's message did not reach the ticket (too large, too many),
    in their language; `note(lang)` is the list as it stands on the ticket."""
    lang = languages.choose(person.language, ticket.language)
    return compose(
        "mail/left_out", {**ticket_context(ticket), "note": note(lang)}, kind=OutgoingMail.Kind.LEFT_OUT,
        recipient=person.email, language=lang, person=person, ticket=ticket,
    )  # fmt: skip


def merged_emails(source: Ticket, target: Ticket) -> list[Email]:
    """A merge told to both parties: the merged ticket's requester (where their conversation goes on)
    and the surviving ticket's, if another person (who now shares the replies). Both about the
    surviving ticket: its signed Reply-To, its thread."""
    context = {
        **ticket_context(target),
        "source_tag": subject_tag(source), "source_subject": source.subject,
        "target_tag": subject_tag(target), "target_subject": target.subject,
    }  # fmt: skip
    people = [(source.requester, True)]
    if target.requester_id != source.requester_id:
        people.append((target.requester, False))
    return [
        compose(
            "mail/merged",
            {**context, "is_source": is_source},
            kind=OutgoingMail.Kind.MERGED,
            recipient=person.email,
            language=languages.choose(person.language, target.language),
            person=person,
            ticket=target,
            automatic=False,
        )
        for person, is_source in people
    ]


def meeting_decision_email(meeting: MeetingRequest) -> Email:
    """C7: a proposed one-off call (with the agent's note: times, link) or a declined request."""
    ticket = meeting.ticket
    person = meeting.requested_by
    context = {
        **ticket_context(ticket),
        "proposed": meeting.status == MeetingRequest.Status.PROPOSED,
        "note": meeting.note,
    }
    return compose(
        "mail/meeting_decision", context, kind=OutgoingMail.Kind.MEETING, recipient=person.email,
        language=languages.choose(person.language, ticket.language), person=person, ticket=ticket,
        automatic=False,
    )  # fmt: skip


def deflection_email(deflection: Deflection, person: Person, inbound: InboundEmail | None) -> Email:
    """C2, C12, C17-C20: where an emailed request goes instead, in the policy's words."""
    lang = languages.choose(person.language)
    policy = get_policy()
    route = policy.routes[deflection.route]
    context = {
        "original_subject": inbound.subject if inbound else "",
        "route_text": policy.route_text(route, deflection.organisation.account_team(), lang),
    }
    return compose(
        "mail/deflection", context, kind=OutgoingMail.Kind.DEFLECTION, recipient=person.email,
        language=lang, person=person,
    )  # fmt: skip


def rejection_noticed_today(address: str, now: datetime) -> bool:
    """C14: an unknown sender gets at most one notice a day."""
    done_now(_waiting_mail, _record_waiting)
    return OutgoingMail.objects.filter(
        recipient=address.lower(), kind=OutgoingMail.Kind.REJECTION, created_at__gt=now - timedelta(days=1)
    ).exists()


def rejection_email(address: str, lang: str, inbound: InboundEmail) -> Email:
    """C14: why the message of an unknown sender was not accepted, with the policy's note.
    Plain text only: it answers a stranger, who may be a forger or a mail loop."""
    identity = get_policy().notes.get("identity")
    context = {"original_subject": inbound.subject, "identity_note": identity.get(lang) if identity else ""}
    return compose(
        "mail/rejection", context, kind=OutgoingMail.Kind.REJECTION, recipient=address, language=lang
    )
