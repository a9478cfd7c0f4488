"""Keeping the index in step with the tables: what each record contributes (`entries_for`),
written in the transaction of the write it follows (`receivers`), or, for a new ticket, by the
worker's indexer soon after (`opening`, `index_pending`); rebuilt and checked ticket by ticket
(`reindex`, `drifted`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import QuerySet
from django.db.models.signals import post_delete, pre_delete

from policydesk.compiled_queries import CompiledQuery, connection_of, insert_rows, new_row, statement_cursor
from policydesk.search.models import Entry
from policydesk.search.normalise import normalise
from policydesk.tickets.models import Attachment, Message, Organisation, Person, Ticket
from policydesk.together import Collection, done_now, done_together, later_or_now

Kind = Entry.Kind


def _entry(ticket_id: int, kind: str, original: str, **links: object) -> Entry:
    # `new_row`: the indexer makes four or more per ticket, under SQLite's write lock (issue 17).
    body = normalise(original)
    return new_row(Entry, ticket_id=ticket_id, kind=kind, original=original, body=body, **links)


def person_text(person: Person) -> str:
    """How a requester is found: their name and login email."""
    return f"{person.name} <{person.email}>" if person.name else person.email


def ticket_entries(ticket: Ticket) -> list[Entry]:
    """The ticket's own fields: subject, requester, organisation."""
    return [
        _entry(ticket.pk, Kind.SUBJECT, ticket.subject),
        _entry(ticket.pk, Kind.REQUESTER, person_text(ticket.requester)),
        _entry(ticket.pk, Kind.ORGANISATION, ticket.organisation.name),
    ]


def message_entry(ticket_id: int, message_id: int, kind: str, text: str) -> Entry:
    internal = kind == Message.Kind.INTERNAL
    return _entry(ticket_id, Kind.MESSAGE, text, message_id=message_id, internal=internal)


def attachment_entry(ticket_id: int, attachment_id: int, filename: str, internal: bool) -> Entry:
    return _entry(ticket_id, Kind.ATTACHMENT, filename, attachment_id=attachment_id, internal=internal)


def entries_for(tickets: list[Ticket]) -> dict[int, list[Entry]]:
    """Every entry each of `tickets` should have, as the tables say now (the tickets with their
    requester and organisation loaded; their messages and files read `READ_TICKETS` tickets at a
    time, from SQL compiled once)."""
    entries = {ticket.pk: ticket_entries(ticket) for ticket in tickets}
    ids = list(entries)
    internal: dict[int, bool] = {}
    for pk, ticket_id, kind, text in _of_tickets(_MESSAGES, ids):
        entry = message_entry(ticket_id, pk, kind, text)
        internal[pk] = entry.internal
        entries[ticket_id].append(entry)
    for pk, ticket_id, message_id, filename in _of_tickets(_ATTACHMENTS, ids):
        entry = attachment_entry(ticket_id, pk, filename, internal.get(message_id or 0, False))
        entries[ticket_id].append(entry)
    return entries


#: Tickets `index_pending` gives their entries in one transaction: SQLite's one writer holds
#: its lock for it (about 5 ms for 10 on a quiet machine), and intakes wait that long.
INDEX_BATCH = 10


#: Tickets whose messages (or files) one compiled read takes: the indexer's batch in one.
#: Through the ORM, compiling the indexer's reads and its INSERT was a third of its CPU (issue 17).
READ_TICKETS = INDEX_BATCH
_TICKET_PARAMETERS = {f"ticket{n}": int for n in range(READ_TICKETS)}
_MESSAGES = CompiledQuery(
    lambda **ids: (
        Message.objects.filter(ticket_id__in=list(ids.values()))
        .values_list("id", "ticket_id", "kind", "text")
        .order_by("pk")
    ),
    **_TICKET_PARAMETERS,
)
_ATTACHMENTS = CompiledQuery(
    lambda **ids: (
        Attachment.objects.filter(ticket_id__in=list(ids.values()))
        .values_list("id", "ticket_id", "message_id", "filename")
        .order_by("pk")
    ),
    **_TICKET_PARAMETERS,
)


def _of_tickets(query: CompiledQuery, ticket_ids: list[int]) -> list[Any]:
    """The rows of `query` for `ticket_ids`, `READ_TICKETS` at a time (the last read padded with
    0, which no ticket is)."""
    rows: list[Any] = []
    for start in range(0, len(ticket_ids), READ_TICKETS):
        chunk = ticket_ids[start : start + READ_TICKETS]
        chunk += [0] * (READ_TICKETS - len(chunk))
        values: dict[str, Any] = dict(zip(_TICKET_PARAMETERS, chunk, strict=True))
        rows.extend(query.rows(**values))
    return rows


# -- in the write's transaction ------------------------------------------------------------


#: Entries whose INSERT waits for the end of a `writing_together` block (None: outside one).
_waiting: ContextVar[Collection[Entry] | None] = ContextVar("search_writing_together", default=None)


def writing_together() -> AbstractContextManager[None]:
    """Inside the block, new entries are collected and written in one INSERT when it ends (in
    the caller's transaction): an intake's ticket, first message, note and files are one
    statement, not three or more (issue 17: on PostgreSQL each is a round trip of 0.4-0.8 ms on
    a busy host). Registered for every intake (`tickets.actions.intake.register_opening_context`)."""
    return done_together(_waiting, Collection, insert_rows)


def _insert(entries: list[Entry]) -> None:
    """Write `entries` in one INSERT kept per count of rows (`insert_rows`), or at the end of the
    `writing_together` block. Every intake writes five entries: the ORM compiled their INSERTs
    each time, half a millisecond of CPU per ticket (issue 17). Those of a ticket the worker
    indexes (`opening`) are not given here (`_left_to_worker`)."""
    if entries:
        later_or_now(_waiting, entries, insert_rows)


def _left_to_worker(ticket_id: int) -> bool:
    """The ticket was opened in the open `opening` block and the worker writes its entries: a
    record saved with it (its first message, a note, a file) builds none, to be dropped
    (normalising a message's text is the costly part of an entry)."""
    deferred = _deferred.get()
    return deferred is not None and ticket_id in deferred


#: The new tickets of the open `opening` block whose entries the worker writes (None: no block,
#: or the entries are written in the request).
_deferred: ContextVar[set[int] | None] = ContextVar("search_deferred_tickets", default=None)


@contextmanager
def opening() -> Iterator[None]:
    """The block around every intake's writes (`tickets.actions.intake.register_opening_context`).
    With POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker" (the default), a ticket made inside it is
    saved with `search_pending` and none of its entries is written: the worker's indexer
    (`index_pending`) writes them all, a batch of tickets per transaction, about a second later.
    In the request they cost a sixth of an API intake's CPU on SQLite and a third of the pages
    its commit writes, FTS5's tokenising above all (issue 17, BENCHMARKS.md). With "request",
    they are written at the block's end, in one INSERT (`writing_together`). A nested block (an
    intake in a batch of mail) leaves both to the outermost."""
    if settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS != "worker" or _deferred.get() is not None:
        with writing_together():
            yield
        return
    token = _deferred.set(set())
    try:
        with writing_together():
            yield
    finally:
        _deferred.reset(token)


@contextmanager
def preparing() -> Iterator[None]:
    """The block around the working out of an intake's rows, before its transaction and its
    `opening` block (`tickets.actions.intake.register_opening_context`): a new ticket whose
    INSERT is worked out in it is marked pending when the `opening` block will defer it."""
    token = _preparing.set(
        settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS == "worker" or _deferred.get() is not None
    )
    try:
        yield
    finally:
        _preparing.reset(token)


#: Inside `preparing`: whether the new ticket prepared is left to the worker.
_preparing: ContextVar[bool] = ContextVar("search_preparing_deferred", default=False)


def ticket_to_be_saved(ticket: Ticket) -> None:
    """Before a ticket's INSERT: one made in an `opening` block that defers, or worked out before
    one (`preparing`), is marked pending."""
    if ticket._state.adding and (_deferred.get() is not None or _preparing.get()):
        ticket.search_pending = True


def _stored(**lookups: object) -> QuerySet[Entry]:
    """Stored entries to change or delete (`Entry.objects.filter(**lookups)`), those still
    waiting written first (`_waiting_written`)."""
    _waiting_written()
    return Entry.objects.filter(**lookups)


def _waiting_written() -> None:
    """The entries a `writing_together` block collected, written now: every UPDATE or DELETE of
    entries here comes after it (`_stored`, `_delete_entries_of`), so none misses one waiting."""
    done_now(_waiting, insert_rows)


def ticket_saved(ticket: Ticket, created: bool, update_fields: Iterable[str] | None) -> None:
    """A new ticket's fields indexed; a changed subject follows (one UPDATE, matching nothing
    when the subject is the same). Nothing in the desk moves a ticket to another requester or
    organisation; a save that names those fields re-indexes them (`search check` finds any other)."""
    if created:
        if ticket.search_pending:  # the worker writes them all (`index_pending`)
            deferred = _deferred.get()
            if deferred is not None:
                deferred.add(ticket.pk)
            return
        _insert(ticket_entries(ticket))
        return
    fields = set(update_fields) if update_fields is not None else {"subject"}
    if "subject" in fields:
        _stored(ticket=ticket, kind=Kind.SUBJECT).exclude(original=ticket.subject).update(
            original=ticket.subject, body=normalise(ticket.subject)
        )
    if fields & {"requester", "organisation"}:
        moved = [entry for entry in ticket_entries(ticket) if entry.kind != Kind.SUBJECT]
        _stored(ticket=ticket, kind__in=[entry.kind for entry in moved]).delete()
        _insert(moved)


def message_saved(message: Message, created: bool) -> None:
    if _left_to_worker(message.ticket_id):
        return
    if not created:
        _stored(message=message).delete()
    _insert([message_entry(message.ticket_id, message.pk, message.kind, message.text)])


def attachment_saved(attachment: Attachment, created: bool) -> None:
    if _left_to_worker(attachment.ticket_id):
        return
    message = attachment.message  # the message it was attached with: in memory, no query
    internal = message is not None and message.kind == Message.Kind.INTERNAL
    if not created:
        _stored(attachment=attachment).delete()
    _insert([attachment_entry(attachment.ticket_id, attachment.pk, attachment.filename, internal)])


def person_saved(person: Person, update_fields: Iterable[str] | None) -> None:
    """A requester renamed: their tickets are found by the new name (a sign-in, which saves
    only `last_login`, writes nothing)."""
    if update_fields is not None and not set(update_fields) & {"name", "email"}:
        return
    text = person_text(person)
    _stored(kind=Kind.REQUESTER, ticket__requester=person).exclude(original=text).update(
        original=text, body=normalise(text)
    )


def organisation_saved(organisation: Organisation, update_fields: Iterable[str] | None) -> None:
    if update_fields is not None and "name" not in update_fields:
        return
    _stored(kind=Kind.ORGANISATION, ticket__organisation=organisation).exclude(
        original=organisation.name
    ).update(original=organisation.name, body=normalise(organisation.name))


# -- rebuild and check -----------------------------------------------------------------------


def _key(entry: Entry) -> tuple[object, ...]:
    return (entry.kind, entry.message_id, entry.attachment_id, entry.internal, entry.original, entry.body)


def drifted(tickets: list[Ticket]) -> list[Ticket]:
    """Those of `tickets` whose entries differ from what their tables say (those waiting for
    the worker's indexer are not drifted: it writes them all)."""
    tickets = [ticket for ticket in tickets if not ticket.search_pending]
    expected = entries_for(tickets)
    stored: dict[int, list[tuple[object, ...]]] = {ticket.pk: [] for ticket in tickets}
    for entry in Entry.objects.filter(ticket__in=tickets):
        stored[entry.ticket_id].append(_key(entry))
    return [
        ticket for ticket in tickets if _sorted(stored[ticket.pk]) != _sorted(map(_key, expected[ticket.pk]))
    ]


def _sorted(keys: Iterable[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return sorted(keys, key=repr)


def reindex(tickets: list[Ticket]) -> int:
    """The entries of `tickets` written again from their tables, in one transaction; how many.
    Those that waited for the worker's indexer wait no more."""
    fresh = [entry for entries in entries_for(tickets).values() for entry in entries]
    pending = [ticket.pk for ticket in tickets if ticket.search_pending]
    with transaction.atomic():
        _delete_entries_of([ticket.pk for ticket in tickets])
        insert_rows(fresh)
        if pending:
            _by_ids(_CLEAR_PENDING, pending)
    for ticket in tickets:
        ticket.search_pending = None
    return len(fresh)


#: The statements `reindex` runs for every batch, as the ORM makes them (the DELETE of the
#: tickets' entries, fast as it deletes them: nothing refers to an entry; the UPDATE that marks
#: the tickets indexed), kept as text per database and count of tickets: building and compiling
#: the two through the ORM was a seventh of the worker's indexer, under SQLite's write lock
#: (issue 17).
_DELETE_ENTRIES = "DELETE FROM {entries} WHERE {ticket_id} IN ({ids})"
_CLEAR_PENDING = "UPDATE {tickets} SET {search_pending} = NULL WHERE {id} IN ({ids})"
_by_ids_sql: dict[tuple[str, str, int], str] = {}


def _delete_entries_of(ticket_ids: list[int]) -> None:
    """`_stored(ticket__in=ticket_ids).delete()`, as one DELETE; the ORM's own while anything
    listens to an entry's deletion (it then reads and signals each)."""
    if pre_delete.has_listeners(Entry) or post_delete.has_listeners(Entry) or Entry._meta.related_objects:
        _stored(ticket__in=ticket_ids).delete()
        return
    _waiting_written()
    _by_ids(_DELETE_ENTRIES, ticket_ids)


def _by_ids(template: str, ids: list[int]) -> None:
    """Run one of the statements above for the rows `ids` name."""
    if not ids:
        return
    connection = connection_of()
    key = (connection.vendor, template, len(ids))
    sql = _by_ids_sql.get(key)
    if sql is None:
        if len(_by_ids_sql) >= 256:  # counts beyond the indexer's batch: a rebuild's
            _by_ids_sql.clear()
        quote = connection.ops.quote_name
        sql = _by_ids_sql[key] = template.format(
            entries=quote(Entry._meta.db_table), ticket_id=quote("ticket_id"),
            tickets=quote(Ticket._meta.db_table), search_pending=quote("search_pending"), id=quote("id"),
            ids=", ".join(["%s"] * len(ids)),
        )  # fmt: skip
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, ids)


def index_pending(limit: int = INDEX_BATCH) -> int:
    """Up to `limit` of the tickets waiting for their entries (`search_pending`, oldest first)
    given them (`reindex`: whatever the ticket holds by now), in one transaction; how many.
    Several workers may run it at once: on PostgreSQL each takes tickets no other holds (SKIP
    LOCKED; a ticket an agent is writing just then waits for the next look); SQLite has one
    writer at a time."""
    with transaction.atomic():
        tickets = _waiting_batch(limit).rows()
        if tickets:
            reindex(tickets)
    return len(tickets)


#: The columns of a waiting ticket, its requester and its organisation that its entries are made
#: from (`ticket_entries`): 8 of the three rows' 49, the others neither needed nor converted
#: (issue 17: the indexer's batch read is made under SQLite's write lock).
_WHAT_ENTRIES_READ = (
    "id", "subject", "search_pending", "requester__id", "requester__name", "requester__email",
    "organisation__id", "organisation__name",
)  # fmt: skip

#: The read of a batch of waiting tickets, by the batch's size, compiled once.
_waiting_batches: dict[int, CompiledQuery] = {}


def _waiting_batch(limit: int) -> CompiledQuery:
    query = _waiting_batches.get(limit)
    if query is None:
        query = _waiting_batches[limit] = CompiledQuery(
            lambda: (
                waiting_tickets()
                .select_related("requester", "organisation")
                .only(*_WHAT_ENTRIES_READ)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")[:limit]
            )
        )
    return query


def waiting_tickets() -> QuerySet[Ticket]:
    """The tickets waiting for the worker to write their entries (`search_pending`, found by its
    partial index)."""
    return Ticket.objects.filter(search_pending=True)


def waiting() -> int:
    """How many tickets wait for their entries."""
    return waiting_tickets().count()


def batches(after_id: int, size: int) -> Iterator[list[Ticket]]:
    """The tickets after id `after_id`, `size` at a time (bounded memory), in id order."""
    while True:
        tickets = list(
            Ticket.objects.filter(pk__gt=after_id)
            .select_related("requester", "organisation")
            .order_by("pk")[:size]
        )
        if not tickets:
            return
        yield tickets
        after_id = tickets[-1].pk


#: SQLite's FTS5 tables over `search_entry`: the trigram one (migration 0002), the gram one (0003).
FTS_TABLES = ("search_fts", "search_gram_fts")


def broken_fts_tables() -> list[str]:
    """SQLite: those of its FTS5 tables that disagree with `search_entry` (FTS5's own integrity
    check, which reads the entries); empty when all agree, and on other databases."""
    if connection.vendor != "sqlite":
        return []
    broken = []
    for table in FTS_TABLES:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608 - our names
        except DatabaseError:
            broken.append(table)
    return broken


def rebuild_fts(tables: Iterable[str]) -> None:
    """SQLite: each of `tables` (of FTS_TABLES) built again from `search_entry` (FTS5's 'rebuild':
    reads every entry), in one transaction; what repairs a table its integrity check refused,
    which writing the entries again cannot (FTS5 removes what it is told an entry held)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            if table not in FTS_TABLES:
                raise ValueError(f"{table} is not one of the search's FTS5 tables")
            cursor.execute(f"INSERT INTO {table}({table}) VALUES ('rebuild')")  # noqa: S608 - one of ours


#: Pages of merged index one step of `compact` writes: each step is a transaction of its own,
#: which holds SQLite's write lock for tens of milliseconds (BENCHMARKS.md).
COMPACT_STEP_PAGES = 250


def compact(step_pages: int = COMPACT_STEP_PAGES) -> int:
    """SQLite: merge each FTS5 table's b-trees into one, as FTS5's 'optimize' would, but a step
    at a time, each in its own short transaction, so writers wait tens of milliseconds, not
    seconds. A table built or written in many transactions holds many b-trees (FTS5 merges them
    only in part as it goes), and a read walks every one: merged, the newest matches of a common
    word or a phrase are read in about half the time at 1,000,000 messages (docs/search.md).
    The first step of each table (a negative 'merge') gathers its b-trees to be merged; the
    next ones (positive) carry that merge on, even while new entries are written; a table is
    done when a step changes nothing. Returns the steps taken; PostgreSQL keeps its GIN indexes
    itself: 0."""
    if connection.vendor != "sqlite":
        return 0
    taken = 0
    for table in FTS_TABLES:
        pages = -step_pages
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                before = connection.connection.total_changes
                cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('merge', %s)", [pages])  # noqa: S608 - our names
                changed = connection.connection.total_changes - before
            taken += 1
            pages = step_pages
            if changed < 2:  # FTS5: nothing was left to merge
                break
    return taken
