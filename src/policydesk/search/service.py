"""`find`: the tickets a person may see that match a query, best first, each with the passage
that matched highlighted. Permissions first: the query runs inside `tickets.access.visible_tickets`
(an agent's queues; a customer's own and shared tickets), and internal notes match only for staff.

Ranking: each term scores the best place it matched in a ticket (its number 20, the subject 8,
the requester or organisation 5, a file name 4, a message 3); a ticket's score is the sum over
the terms, every term must match; ties go to the newer ticket. The same on every database."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from policydesk.search.backends import TRIGRAM, Sql, backend
from policydesk.search.models import Entry
from policydesk.search.normalise import highlight
from policydesk.search.query import DateBound, Query, QueryError, parse
from policydesk.tickets.access import is_staff, visible_tickets
from policydesk.tickets.models import Person, Ticket

MAX_LIMIT = 100
NUMBER_WEIGHT = 20
WEIGHTS: dict[str, int] = {
    Entry.Kind.SUBJECT: 8,
    Entry.Kind.REQUESTER: 5,
    Entry.Kind.ORGANISATION: 5,
    Entry.Kind.ATTACHMENT: 4,
    Entry.Kind.MESSAGE: 3,
}
_WEIGHT_SQL = (
    "CASE e.kind "
    + " ".join(f"WHEN '{kind}' THEN {weight}" for kind, weight in WEIGHTS.items())
    + " ELSE 1 END"
)


@dataclass(frozen=True)
class Hit:
    """One ticket found: `snippet` is HTML (escaped text, the matches in <mark>)."""

    ticket: Ticket
    score: float
    snippet: SafeString

    @property
    def number(self) -> int:
        return self.ticket.number

    @property
    def subject(self) -> str:
        return self.ticket.subject


def find(person: Person, query: str | Query, limit: int = 20) -> list[Hit]:
    """The tickets `person` may see that match `query`, best first, at most `limit` (1-100).
    Raises QueryError for a query it cannot read."""
    parsed = parse(query) if isinstance(query, str) else query
    limit = max(1, min(limit, MAX_LIMIT))
    if parsed.is_empty:
        return []
    tickets = filtered(visible_tickets(person), parsed, person)
    if not (parsed.terms or parsed.numbers):
        found = list(tickets.order_by("-created_at", "-pk")[:limit])
        return [Hit(ticket, 1.0, _safe(html.escape(ticket.subject))) for ticket in found]
    staff = is_staff(person)
    scored = _scored(tickets, parsed, staff, limit)
    by_id = Ticket.objects.in_bulk([ticket_id for ticket_id, _ in scored])
    snippets = _snippets(list(by_id), parsed.highlights(), staff)
    return [
        Hit(
            by_id[ticket_id],
            float(score),
            _safe(snippets.get(ticket_id) or html.escape(by_id[ticket_id].subject)),
        )
        for ticket_id, score in scored
        if ticket_id in by_id
    ]


def _safe(snippet: str) -> SafeString:
    # Built only by html.escape and normalise.highlight, which escapes the text around its <mark>s.
    return mark_safe(snippet)  # noqa: S308


# -- filters ------------------------------------------------------------------------------------


def filtered(tickets: QuerySet[Ticket], query: Query, person: Person) -> QuerySet[Ticket]:
    """`tickets` narrowed by the query's #number and filters (each filter's values: any of them)."""
    if query.ticket is not None:
        tickets = tickets.filter(number=query.ticket)
    for name, values in query.filters.items():
        either = Q()
        for value in values:
            either |= _filter(name, value, person)
        tickets = tickets.filter(either)
    for bound in query.created:
        tickets = tickets.filter(_created(bound))
    return tickets


def _filter(name: str, value: str, person: Person) -> Q:
    if name == "status":
        if value.lower() not in Ticket.Status.values:
            raise QueryError(f"status:{value} is not a status; use one of {', '.join(Ticket.Status.values)}")
        return Q(status=value.lower())
    if name == "plan":
        return Q(organisation__plan__iexact=value)
    if name == "office":
        return Q(office__iexact=value)
    if name == "type":
        return Q(topic__iexact=value)
    if name == "assignee":
        if value.lower() == "me":
            return Q(assignee=person)
        if value.lower() == "none":
            return Q(assignee__isnull=True)
        return Q(assignee__email__iexact=value)
    if name == "requester":
        return Q(requester__email__icontains=value) | Q(requester__name__icontains=value)
    if name == "org":
        return Q(organisation__name__icontains=value)
    raise QueryError(f"unknown filter {name}:")  # parse() lets only known names through


def _created(bound: DateBound) -> Q:
    start = datetime.combine(bound.day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    return {
        "<": Q(created_at__lt=start),
        "<=": Q(created_at__lt=end),
        ">": Q(created_at__gte=end),
        ">=": Q(created_at__gte=start),
        "=": Q(created_at__gte=start, created_at__lt=end),
    }[bound.op]


# -- matching and ranking -----------------------------------------------------------------------


def _scored(tickets: QuerySet[Ticket], query: Query, staff: bool, limit: int) -> list[tuple[int, float]]:
    """(ticket id, score) of the best `limit` tickets among `tickets` where every term matches."""
    try:
        visible_sql, visible_params = tickets.values("pk").query.sql_with_params()
    except EmptyResultSet:  # nothing visible (an inactive person): Django does not compile .none()
        return []
    visible = Sql(visible_sql, tuple(visible_params))
    long_terms = [term for term in query.terms if len(term) >= TRIGRAM]
    # One- and two-character terms are scanned, so only within the tickets a longer term matched.
    narrow = _ticket_ids(_matching(long_terms[0], visible, staff)) if long_terms else visible
    parts = [_term(term, visible if len(term) >= TRIGRAM else narrow, staff) for term in query.terms]
    parts += [_number(number, visible, staff) for number in query.numbers]
    union = " UNION ALL ".join(
        f"SELECT * FROM ({part.text}) AS t{index}"  # noqa: S608 - our fragments; values bound
        for index, part in enumerate(parts)
    )
    sql = (
        f"SELECT m.ticket_id, SUM(m.weight) AS score FROM ({union}) AS m "  # noqa: S608 - our fragments; values bound
        "GROUP BY m.ticket_id HAVING COUNT(*) = %s ORDER BY score DESC, m.ticket_id DESC LIMIT %s"
    )
    params: list[Any] = [param for part in parts for param in part.params] + [len(parts), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(ticket_id), float(score)) for ticket_id, score in cursor.fetchall()]


def _matching(term: str, within: Sql, staff: bool) -> Sql:
    """The entries `e` containing `term`, of the tickets `within` selects; notes only for staff."""
    match = backend().matching(term)
    hidden = "" if staff else " AND NOT e.internal"
    return Sql(f"{match.text} AND e.ticket_id IN ({within.text}){hidden}", match.params + within.params)


def _ticket_ids(entries: Sql) -> Sql:
    return Sql(f"SELECT e.ticket_id FROM {entries.text}", entries.params)  # noqa: S608 - our fragments; values bound


def _term(term: str, within: Sql, staff: bool) -> Sql:
    entries = _matching(term, within, staff)
    weight = f"MAX({_WEIGHT_SQL}) AS weight"
    sql = f"SELECT e.ticket_id AS ticket_id, {weight} FROM {entries.text} GROUP BY e.ticket_id"  # noqa: S608 - our fragments; values bound
    return Sql(sql, entries.params)


def _number(number: int, within: Sql, staff: bool) -> Sql:
    """A bare number: the ticket with that number, or the number in the text."""
    text = _term(str(number), within, staff)
    by_number = (
        f"SELECT tn.id AS ticket_id, {NUMBER_WEIGHT} AS weight FROM tickets_ticket tn "  # noqa: S608 - our fragments; values bound
        f"WHERE tn.number = %s AND tn.id IN ({within.text})"
    )
    sql = f"SELECT n.ticket_id AS ticket_id, MAX(n.weight) AS weight FROM ({by_number} UNION ALL {text.text}) AS n GROUP BY n.ticket_id"  # noqa: S608, E501 - our fragments; values bound
    return Sql(sql, (number, *within.params, *text.params))


# -- snippets -----------------------------------------------------------------------------------


def _snippets(ticket_ids: list[int], terms: tuple[str, ...], staff: bool) -> dict[int, str]:
    """For each ticket, its entry with the most terms (then the highest weight), highlighted."""
    if not ticket_ids or not terms:
        return {}
    containing = Q()
    for term in terms:
        containing |= Q(body__contains=term)
    entries = Entry.objects.filter(containing, ticket_id__in=ticket_ids).only(
        "ticket_id", "kind", "original", "body"
    )
    if not staff:
        entries = entries.filter(internal=False)
    best: dict[int, tuple[tuple[int, int], Entry]] = {}
    for entry in entries:
        rank = (sum(term in entry.body for term in terms), WEIGHTS.get(entry.kind, 1))
        if entry.ticket_id not in best or rank > best[entry.ticket_id][0]:
            best[entry.ticket_id] = (rank, entry)
    return {ticket_id: highlight(entry.original, terms) for ticket_id, (_, entry) in best.items()}
