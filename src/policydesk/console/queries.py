"""What the console reads: queues, their tickets in due order, keyset pages, time-left badges.

Every function takes `now` (and the person) as parameters, so tests pin them; nothing here writes.
A queue page costs a constant number of queries whatever its size: tickets are read with their
organisation, requester and assignee (one query per part of the due order, at most two), and every
queue's count, bounded by `COUNT_CAP`, in one statement.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from django.conf import settings
from django.db import connections
from django.db.models import Count, F, Q, QuerySet
from django.db.models.lookups import In
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from policydesk import display
from policydesk.policy.model import GLOBAL
from policydesk.tickets import access
from policydesk.tickets.actions import saved_views
from policydesk.tickets.models import (
    OPEN_STATUSES,
    Person,
    SavedView,
    Team,
    Ticket,
    email_is,
    person_text_contains,
)
from policydesk.web.navigation import Queue

#: Queue counts stop at this many ("1000+"): counting every ticket of a large queue is not worth a scan.
COUNT_CAP = 1000
PAGE_SIZES = (25, 50, 100)

BadgeState = Literal["answered", "no-target", "ok", "amber", "red"]


def amber_within() -> timedelta:
    """How close to its due time a ticket turns amber (POLICYDESK_CONSOLE_AMBER_MINUTES)."""
    return timedelta(minutes=int(settings.POLICYDESK_CONSOLE_AMBER_MINUTES))


if TYPE_CHECKING:
    _In = In[Any]  # generic in django-stubs only
else:
    _In = In


class InlinedIn(_In):
    """`IN` with the constants written into the SQL instead of bound as parameters. SQLite uses a
    partial index (`... WHERE status IN ('new', 'open', 'pending')`) only when the query states the
    index's own condition; with parameters it cannot tell, sorts the whole queue and is 1000x slower."""

    def process_rhs(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        values = list(self.rhs)
        if not all(isinstance(value, str) and _CONSTANT.fullmatch(value) for value in values):
            raise ValueError(f"InlinedIn takes identifiers only, not {values!r}")
        return "(" + ", ".join(f"'{value}'" for value in values) + ")", ()


_CONSTANT = re.compile(r"[a-z][a-z0-9_-]*")


def is_open() -> InlinedIn:
    """status is new, open or pending, in the form the queue indexes are declared with."""
    return InlinedIn(F("status"), list(OPEN_STATUSES))


def open_tickets(person: Person) -> QuerySet[Ticket]:
    """The open tickets (new, open, pending, on hold) `person` may see."""
    return access.visible_tickets(person).filter(is_open())


def queue_counts(person: Person, queues: Sequence[Queue]) -> dict[str, int]:
    """Each queue's open tickets, counting no further than COUNT_CAP + 1 (shown as "1000+").

    One statement for the whole sidebar, `SELECT (SELECT COUNT(*) FROM (... LIMIT cap + 1)), ...`:
    each part reads at most cap + 1 entries of a covering index, and the page pays one round trip
    and one query instead of one per queue (Django cannot put LIMIT inside a UNION on SQLite)."""
    base = open_tickets(person).order_by()
    counts = _capped_counts([base.filter(queue.condition(person)) for queue in queues])
    return {queue.slug: count for queue, count in zip(queues, counts, strict=True)}


@dataclass(frozen=True)
class QueueSummary:
    """A queue on the overview: its open tickets, and those past their first-response due time
    without an answer (C3, C6); each capped at COUNT_CAP + 1."""

    queue: Queue
    open: int
    breached: int


def queue_summaries(person: Person, queues: Sequence[Queue], now: datetime) -> list[QueueSummary]:
    """Every queue's open and breached counts, in one statement (as queue_counts)."""
    base = open_tickets(person).order_by()
    breached = base.filter(first_responded_at__isnull=True, first_response_due__lte=now)
    parts = [base.filter(queue.condition(person)) for queue in queues]
    parts += [breached.filter(queue.condition(person)) for queue in queues]
    counts = _capped_counts(parts)
    return [
        QueueSummary(queue, open_count, breached_count)
        for queue, open_count, breached_count in zip(
            queues, counts[: len(queues)], counts[len(queues) :], strict=True
        )
    ]


def _capped_counts(parts: Sequence[QuerySet[Ticket]]) -> list[int]:
    """How many rows each queryset has, up to COUNT_CAP + 1, in one statement (see queue_counts)."""
    if not parts:
        return []
    selects: list[str] = []
    params: list[Any] = []
    for index, part in enumerate(parts):
        bounded = part.values("pk")[: COUNT_CAP + 1]
        sql, part_params = bounded.query.get_compiler(using=bounded.db).as_sql()
        # S608: `sql` is Django's own compiled query; every value in it is a bound parameter.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS queue_{index})")  # noqa: S608
        params += part_params
    with connections[parts[0].db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return [int(count) for count in row]


# -- filters --------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """The queue page's filters, already validated (see forms.QueueFilterForm)."""

    status: str = ""  # "" = the open statuses, "all", or one status
    priority: str = ""
    topic: str = ""
    assignee: str = ""  # "" any, "none", or a person's pk
    text: str = ""
    tag: str = ""  # a tag's normal form (tickets/tags.py)

    def apply(self, tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.status == "":
            tickets = tickets.filter(is_open())
        elif self.status != "all":
            tickets = tickets.filter(status=self.status)
        if self.priority:
            tickets = tickets.filter(priority=self.priority)
        if self.topic:
            tickets = tickets.filter(topic=self.topic)
        if self.assignee == "none":
            tickets = tickets.filter(assignee__isnull=True)
        elif self.assignee:
            tickets = tickets.filter(assignee_id=int(self.assignee))
        if self.text:
            tickets = tickets.filter(subject__icontains=self.text)
        if self.tag:  # one tag: at most one row per ticket, no DISTINCT needed
            tickets = tickets.filter(tags__name=self.tag)
        return tickets


#: What a queue row shows besides the ticket: read with the page's tickets (see keyset_page).
ROW_RELATED = ("organisation", "requester", "assignee")


def queue_tickets(person: Person, queue: Queue, filters: Filters) -> QuerySet[Ticket]:
    """The tickets of a queue that `person` may see, filtered (keyset_page adds ROW_RELATED)."""
    tickets = access.visible_tickets(person).filter(queue.condition(person))
    return filters.apply(tickets)


def tags_of(tickets: Sequence[Ticket]) -> dict[int, list[str]]:
    """Each ticket's tag names, by ticket id, in one query (none for no tickets)."""
    if not tickets:
        return {}
    names: dict[int, list[str]] = {}
    links = Ticket.tags.through.objects.filter(ticket_id__in=[t.pk for t in tickets])
    for ticket_id, name in links.order_by("tag__name").values_list("ticket_id", "tag__name"):
        names.setdefault(ticket_id, []).append(name)
    return names


#: How many tags the suggestions list.
TAG_SUGGESTIONS = 10


def suggested_tags(person: Person, prefix: str) -> list[str]:
    """Up to TAG_SUGGESTIONS tag names starting with `prefix` (normalised), most used first, among
    the tags of the tickets `person` may see: a tag only used on another queue's tickets (a
    customer's name, an incident's code) is not shown to an agent who does not work it."""
    links = Ticket.tags.through.objects.filter(ticket__in=access.visible_tickets(person))
    if prefix:
        links = links.filter(tag__name__startswith=prefix)
    used = links.values("tag__name").annotate(used=Count("ticket_id")).order_by("-used", "tag__name")
    return [row["tag__name"] for row in used[:TAG_SUGGESTIONS]]


# -- keyset pages ---------------------------------------------------------------------

# Due time first, then oldest first; the id makes the order total. Tickets with no target (C3: no
# commitment) come last. The two parts are read separately, each in plain ascending order, so an
# index on (queue, first_response_due, created_at, id) serves both, on SQLite (NULLs first in
# indexes) as on PostgreSQL (NULLs last): a page walks the index and stops, at any depth.
DUE_ORDER = (F("first_response_due").asc(nulls_last=True), F("created_at").asc(), F("id").asc())
_DATED = ("first_response_due", "created_at", "id")
_UNDATED = ("created_at", "id")


@dataclass(frozen=True)
class Cursor:
    """A position in due order: the key of one ticket, encoded opaquely in URLs."""

    due: datetime | None
    created_at: datetime
    id: int

    @classmethod
    def of(cls, ticket: Ticket) -> Cursor:
        return cls(ticket.first_response_due, ticket.created_at, ticket.pk)

    def encode(self) -> str:
        raw = f"{self.due.isoformat() if self.due else '-'}|{self.created_at.isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """The cursor, or None for anything that is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            due_text, created_text, id_text = raw.split("|")
            due = None if due_text == "-" else parse_datetime(due_text)
            created_at = parse_datetime(created_text)
            if created_at is None or (due is None and due_text != "-"):
                return None
            return cls(due, created_at, int(id_text))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None

    def beyond(self, forward: bool) -> Q:
        """Tickets of the cursor's own part (dated or undated) after it (or before it)."""
        gt, ge = ("gt", "gte") if forward else ("lt", "lte")
        beyond_created = Q(**{f"created_at__{gt}": self.created_at}) | Q(
            created_at=self.created_at, **{f"id__{gt}": self.id}
        )
        if self.due is None:
            undated = Q(first_response_due__isnull=True, **{f"created_at__{ge}": self.created_at})
            return undated & beyond_created
        # The redundant range term lets the database seek in the index instead of scanning from the start.
        return Q(**{f"first_response_due__{ge}": self.due}) & (
            Q(**{f"first_response_due__{gt}": self.due}) | (Q(first_response_due=self.due) & beyond_created)
        )


@dataclass(frozen=True)
class Page:
    tickets: list[Ticket]
    next_cursor: str | None
    previous_cursor: str | None


def _walk(
    tickets: QuerySet[Ticket], limit: int, cursor: Cursor | None, forward: bool, related: Sequence[str]
) -> list[Ticket]:
    """Up to `limit` tickets from `cursor` on, in due order (or reversed): one query per part
    (dated, undated) it needs, so at most two.

    Each query picks the page's keys first, from the ticket table alone, and joins `related` to those
    rows only (`WHERE id IN (SELECT id ... ORDER BY ... LIMIT n)`). Joined in one flat query,
    PostgreSQL joins (or sorts) the whole queue before the LIMIT whenever the index order does not
    serve it, or when it misjudges a filter: 40-60 ms for "unassigned" or a subject search at 100,000
    tickets, instead of 1-8 ms."""
    parts = [
        (Q(first_response_due__isnull=False), _DATED),
        (Q(first_response_due__isnull=True), _UNDATED),
    ]
    if cursor is not None:  # start in the cursor's own part
        own = 1 if cursor.due is None else 0
        parts = parts[own:] if forward else parts[: own + 1][::-1]
    elif not forward:
        parts.reverse()
    rows: list[Ticket] = []
    for index, (part, order) in enumerate(parts):
        if index == 0 and cursor is not None:
            # The cursor's condition implies its part; alone, it lets the database seek to it.
            selected = tickets.filter(cursor.beyond(forward))
        else:
            selected = tickets.filter(part)
        ordering = order if forward else tuple(f"-{field}" for field in order)
        keys = selected.order_by(*ordering).values("pk")[: limit - len(rows)]
        rows += Ticket.objects.filter(pk__in=keys).select_related(*related).order_by(*ordering)
        if len(rows) >= limit:
            break
    return rows


#: The queue page's orders (`?sort=`): due time first (the default), or the newest tickets first.
SORT_DUE, SORT_NEWEST = "due", "newest"


def _walk_newest(
    tickets: QuerySet[Ticket], limit: int, cursor: Cursor | None, forward: bool, related: Sequence[str]
) -> list[Ticket]:
    """Up to `limit` tickets from `cursor` on, newest first (or reversed), in one query: the
    cursor's creation instant and id are the key (its due time is not used)."""
    ordering = ("-created_at", "-id") if forward else ("created_at", "id")
    if cursor is not None:
        past = "lt" if forward else "gt"
        tickets = tickets.filter(
            Q(**{f"created_at__{past}": cursor.created_at})
            | Q(created_at=cursor.created_at, **{f"id__{past}": cursor.id})
        )
    keys = tickets.order_by(*ordering).values("pk")[:limit]  # keys first, as _walk does
    return list(Ticket.objects.filter(pk__in=keys).select_related(*related).order_by(*ordering))


def keyset_page(
    tickets: QuerySet[Ticket],
    size: int,
    after: Cursor | None = None,
    before: Cursor | None = None,
    related: Sequence[str] = ROW_RELATED,
    sort: str = SORT_DUE,
) -> Page:
    """One page in due order (or newest first, `sort`): size + 1 rows read in one or two queries,
    fast at any depth, no COUNT; each ticket comes with its `related` rows."""
    walk = _walk_newest if sort == SORT_NEWEST else _walk
    if before is not None:
        rows = walk(tickets, size + 1, before, forward=False, related=related)
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return Page(
            tickets=rows,
            next_cursor=Cursor.of(rows[-1]).encode() if rows else None,
            previous_cursor=Cursor.of(rows[0]).encode() if rows and more_before else None,
        )
    rows = walk(tickets, size + 1, after, forward=True, related=related)
    more_after = len(rows) > size
    rows = rows[:size]
    return Page(
        tickets=rows,
        next_cursor=Cursor.of(rows[-1]).encode() if rows and more_after else None,
        previous_cursor=Cursor.of(rows[0]).encode() if rows and after is not None else None,
    )


# -- time left ------------------------------------------------------------------------


@dataclass(frozen=True)
class Badge:
    """How a ticket stands against its first-response target (C3, C6), for a badge."""

    state: BadgeState
    text: str


def time_left_badge(ticket: Ticket, now: datetime, within: timedelta | None = None) -> Badge:
    """Answered once the first public reply went out; red when overdue; amber when less than
    `within` (default `amber_within()`) is left; no badge colour when the plan has no target (C3)."""
    if ticket.first_responded_at is not None:
        return Badge("answered", _("answered"))
    due = ticket.first_response_due
    if due is None:
        return Badge("no-target", _("no target"))
    text = display.format_time_left(due, now)
    if due <= now:
        return Badge("red", text)
    if due - now < (within if within is not None else amber_within()):
        return Badge("amber", text)
    return Badge("ok", text)


# -- people ---------------------------------------------------------------------------


def assignable_staff(office: str) -> QuerySet[Person]:
    """Who may take a ticket of `office`'s queue: its office team's agents (the Premium teams'
    for the global queue, C4), leads and admins. Matches access.can_answer."""
    if office == GLOBAL:
        works_queue = Q(teams__kind=Team.Kind.PREMIUM)
    else:
        works_queue = Q(teams__kind=Team.Kind.OFFICE, teams__office=office)
    everywhere = Q(role__in=(Person.Role.LEAD, Person.Role.ADMIN))
    agents = Q(role=Person.Role.AGENT) & works_queue
    return Person.objects.filter(is_active=True).filter(everywhere | agents).distinct().order_by("email")


def staff_for_queues(person: Person, queues: Sequence[Queue]) -> QuerySet[Person]:
    """The assignee filter's choices: staff who work any of the person's office queues."""
    offices = [queue.slug for queue in queues if queue.kind in ("office", "premium")]
    condition = Q(role__in=(Person.Role.LEAD, Person.Role.ADMIN)) | Q(
        role=Person.Role.AGENT, teams__kind=Team.Kind.OFFICE, teams__office__in=offices
    )
    if GLOBAL in offices:
        condition |= Q(role=Person.Role.AGENT, teams__kind=Team.Kind.PREMIUM)
    return Person.objects.filter(is_active=True).filter(condition).distinct().order_by("email")


# -- customers, for a ticket an agent opens on their behalf -------------------------------

#: At most this many customers answer a search (one query, whatever the number of customers).
CUSTOMER_MATCHES = 20


def customers(search: str) -> list[Person]:
    """Active customers of an organisation whose email or name contains `search` (one query)."""
    search = search.strip()
    if not search:
        return []
    return list(_customers().filter(person_text_contains(search)).order_by("email")[:CUSTOMER_MATCHES])


def customer_by_email(email: str) -> Person | None:
    """The active customer of an organisation who signs in with `email` (C14), or None."""
    return _customers().filter(email_is(email)).first()


def _customers() -> QuerySet[Person]:
    return Person.objects.filter(
        role=Person.Role.CUSTOMER, is_active=True, organisation__isnull=False
    ).select_related("organisation")


# -- saved views ----------------------------------------------------------------------


def saved_views_for(person: Person) -> QuerySet[SavedView]:
    """The person's own views and every shared one, by name (one query)."""
    return saved_views.views_for(person)


def saved_view_counts(person: Person, parts: Sequence[tuple[Queue, Filters]]) -> list[int]:
    """Each view's tickets that `person` may see (the queue page's own query), capped at
    COUNT_CAP + 1, in one statement (as queue_counts); no query for no views."""
    return _capped_counts([queue_tickets(person, queue, filters).order_by() for queue, filters in parts])
