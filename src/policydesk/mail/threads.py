"""Which ticket a message belongs to, strongest evidence first (never fuzzy subject matching):

1. a signed reply address `support+<token>@domain`, the token bound to ticket and recipient;
2. `In-Reply-To` / `References` against every Message-ID we stored or sent;
3. a ticket tag `[#1234]` in the subject, accepted only from the requester or a participant.
"""

from __future__ import annotations

import hmac
import re
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from django.utils.crypto import salted_hmac

from policydesk.compiled_queries import PreparedInsert, insert_rows, new_row, prepare_insert
from policydesk.mail import conf
from policydesk.mail.decoding import ParsedMessage
from policydesk.mail.models import MessageLink
from policydesk.tickets.models import Message, Person, Ticket
from policydesk.together import Collection, done_together, later_or_now

_SALT = "policydesk.mail.reply-address"
_TOKEN = re.compile(r"^t(\d+)-(\d+)-([0-9a-f]{16})$")
_SUBJECT_TAG = re.compile(r"\[#(\d{1,10})\]")


def _signature(ticket_number: int, person_id: int) -> str:
    return salted_hmac(_SALT, f"{ticket_number}:{person_id}", algorithm="sha256").hexdigest()[:16]


def reply_token(ticket: Ticket, person: Person) -> str:
    """The token of `person`'s signed reply address for `ticket`."""
    return f"t{ticket.number}-{person.pk}-{_signature(ticket.number, int(person.pk))}"


def reply_address(ticket: Ticket, person: Person) -> str:
    """`support+<token>@domain`: the Reply-To of mail about `ticket` sent to `person`."""
    return f"{conf.support_local_part()}+{reply_token(ticket, person)}@{conf.support_domain()}"


@dataclass(frozen=True)
class SignedAddress:
    ticket_number: int
    person_id: int


def read_reply_address(address: str) -> SignedAddress | None:
    """The ticket and person a signed reply address names, or None (forged, foreign, plain)."""
    local, _, domain = address.lower().partition("@")
    base, plus, token = local.partition("+")
    if not plus or base != conf.support_local_part() or domain != conf.support_domain():
        return None
    match = _TOKEN.match(token)
    if match is None:
        return None
    number, person_id, signature = int(match.group(1)), int(match.group(2)), match.group(3)
    if not hmac.compare_digest(signature, _signature(number, person_id)):
        return None
    return SignedAddress(number, person_id)


def subject_tag(ticket: Ticket) -> str:
    return f"[#{ticket.number}]"


@dataclass(frozen=True)
class Thread:
    """The ticket a message threads to, and how we know (for the record and the tests)."""

    ticket: Ticket
    evidence: str  # "reply-address" | "references" | "subject-tag"
    signed_for: int | None = None  # the person id a signed reply address was issued to


def find_thread(parsed: ParsedMessage, recipients: list[str], sender: Person | None) -> Thread | None:
    """The ticket `parsed` replies to, by the strongest evidence present; None for a new request.
    A ticket merged into another answers with the one it was merged into (`surviving`).

    A subject tag counts only when the sender is the ticket's requester or a participant:
    a stranger quoting a ticket number must not reach into someone's conversation.
    """
    found = _find_thread(parsed, recipients, sender)
    if found is None or found.ticket.merged_into_id is None:
        return found
    return Thread(surviving(found.ticket), found.evidence, found.signed_for)


#: How many merges deep a thread is followed (a merged ticket cannot be merged again, so one is
#: the most there is; the bound keeps a corrupted chain from looping).
MERGE_DEPTH = 8


def surviving(ticket: Ticket) -> Ticket:
    """The ticket `ticket` was merged into (followed to the end), or `ticket` itself."""
    for _ in range(MERGE_DEPTH):
        if ticket.merged_into_id is None:
            break
        ticket = Ticket.objects.get(pk=ticket.merged_into_id)
    return ticket


def _find_thread(parsed: ParsedMessage, recipients: list[str], sender: Person | None) -> Thread | None:
    for address in [*recipients, *parsed.to_addresses]:
        signed = read_reply_address(address)
        if signed is not None:
            ticket = Ticket.objects.filter(number=signed.ticket_number).first()
            if ticket is not None:
                return Thread(ticket, "reply-address", signed.person_id)
    referenced = [*reversed(parsed.in_reply_to), *reversed(parsed.references)]
    if referenced:
        links = {
            link.message_id: link
            for link in MessageLink.objects.filter(message_id__in=referenced).select_related("ticket")
        }
        for message_id in referenced:  # the most recent reference first
            if message_id in links:
                return Thread(links[message_id].ticket, "references")
    if sender is not None:
        for number in _SUBJECT_TAG.findall(parsed.subject):
            ticket = Ticket.objects.filter(number=int(number)).first()
            if ticket is not None and is_party(sender, ticket):
                return Thread(ticket, "subject-tag")
    return None


def is_party(person: Person, ticket: Ticket) -> bool:
    """The requester or a participant of `ticket`."""
    return person.pk == ticket.requester_id or ticket.participants.filter(pk=person.pk).exists()


#: The longest Message-ID kept for threading (MessageLink.message_id, OutgoingMail.in_reply_to).
MESSAGE_ID_CHARS = 255


def link_message_id(
    message_id: str, *, ticket: Ticket, message: Message | None, direction: str, now: datetime
) -> None:
    """Record that `message_id` (received or sent) belongs to `ticket`: the one writer of
    MessageLink rows (with `prepare_link`, the same row worked out ahead), the evidence
    `find_thread` reads. An id too long to store is not kept."""
    if message_id and len(message_id) <= MESSAGE_ID_CHARS:
        later_or_now(_waiting_links, [_link(message_id, ticket, message, direction, now)], insert_rows)


@dataclass(frozen=True)
class PreparedLink:
    """A Message-ID's link worked out before the transaction that saves its ticket
    (`prepare_link`); `write()` records it in it, as `link_message_id` would."""

    link: MessageLink
    statement: PreparedInsert | None  # None: in a `linking_together` block, which writes it

    def write(self) -> None:
        later_or_now(_waiting_links, [self.link], self._insert)

    def _insert(self, links: list[MessageLink]) -> None:
        if self.statement is None:
            insert_rows(links)
        else:
            self.statement.write()


def prepare_link(
    message_id: str, *, ticket: Ticket, message: Message | None, direction: str, now: datetime
) -> PreparedLink | None:
    """`link_message_id`, its row worked out now (the ticket may be saved only later); None for
    an id not kept."""
    if not message_id or len(message_id) > MESSAGE_ID_CHARS:
        return None
    link = _link(message_id, ticket, message, direction, now)
    return PreparedLink(link, None if _waiting_links.get() is not None else prepare_insert([link]))


def _link(
    message_id: str, ticket: Ticket, message: Message | None, direction: str, now: datetime
) -> MessageLink:
    return new_row(
        MessageLink,
        message_id=message_id,
        ticket=ticket,
        ticket_message=message,
        direction=direction,
        created_at=now,
    )


#: Links whose INSERT waits for the end of a `linking_together` block (None: outside one).
_waiting_links: ContextVar[Collection[MessageLink] | None] = ContextVar("mail_linking_together", default=None)


def linking_together() -> AbstractContextManager[None]:
    """Inside the block, new links are collected and written in one INSERT when it ends, in the
    caller's transaction: a request by email links its own Message-ID and its acknowledgement's
    in one statement, not two (issue 17: on PostgreSQL each is a round trip). Nothing inside
    reads the links it writes (`find_thread` runs before them). A Message-ID that another link
    holds is refused by the unique key then, as it would have been at once."""
    return done_together(_waiting_links, Collection, insert_rows)
