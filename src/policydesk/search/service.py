"""`find`: the tickets a person may see that match a query, best first, each with the passage
that matched highlighted. Permissions first: the query runs inside `tickets.access.visible_tickets`
(an agent's queues; a customer's own and shared tickets), and internal notes match only for staff.

Ranking stops early, so that a common word costs what a rare one does. Someone who sees at
most FEW_TICKETS tickets (2,000) after the filters has every one of them scored, from their own
rows. For everyone else, every term is read once from the index, whatever its length (a term
with no match ends the search), and the matches of one term (the leading term: of those of
three characters or more, the one with the fewest matches in that read; a one- or
two-character term whose matches all fit in it, when it has fewer) are read newest first (by
entry id: the most recently written subject, message, file name), a chunk at a time, and
reading stops once CANDIDATES tickets (200) match every term and filter, or, when only common
one- and two-character terms lead, once `limit` do. Only those candidates are scored: each
term scores the best place it matched in the ticket (its number 20, the subject 8, the
requester or organisation 5, a file name 4, a message 3), the ticket's score is the sum over
the terms, and ties go to the newer ticket. So "best first" means best among the tickets with
the most recent matches: an older ticket that would score higher is found by a more precise
query, not ranked above them. A query with fewer matching tickets than that is ranked over all
of them. The same on every database."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from policydesk.desk_policy import get_policy
from policydesk.policy.model import GLOBAL
from policydesk.search.backends import TRIGRAM, Sql, backend, like_pattern
from policydesk.search.models import Entry
from policydesk.search.normalise import highlight
from policydesk.search.query import DateBound, Query, QueryError, parse
from policydesk.tickets.access import is_staff, visible_tickets
from policydesk.tickets.models import Organisation, Person, Ticket, email_is

MAX_LIMIT = 100
#: Ranking reads the leading term's matches newest first and stops once this many tickets match
#: every term: "best first" is best among the tickets with the most recent matches.
CANDIDATES = 200
#: Entries read per chunk: the first, then four times more each time, up to MAX_CHUNK.
FIRST_CHUNK = 512
#: The first chunk of a query of one term, when smaller than FIRST_CHUNK: every entry read
#: matches it, so half as many entries again as CANDIDATES hold about as many tickets, or the
#: next chunk reads what is missing (BENCHMARKS.md: a phrase's read takes half the time).
LONE_CHUNK = 300
MAX_CHUNK = 4096
#: Someone who sees at most this many tickets (after the filters) has every one of them ranked.
FEW_TICKETS = 2000
#: An `org:` filter naming at most this many organisations asks for their tickets by id.
MAX_ORGANISATIONS = 1000
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


def _hidden(staff: bool) -> str:
    """The condition that leaves internal notes out of a customer's search: the one place
    it is written, for every query here that reads entries as `e`."""
    return "" if staff else " AND NOT e.internal"


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
    try:
        parsed = parse(query) if isinstance(query, str) else query
    except QueryError as error:  # parse() is Django-free: its refusal is translated here
        raise error.translated(_) from None
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
            raise QueryError(
                _("status:%(value)s is not a status; use one of %(statuses)s"),
                value=value,
                statuses=", ".join(Ticket.Status.values),
            )
        return Q(status=value.lower())
    # The policy's ids, in any case, as the equality the database has statistics for: an
    # `iexact` (UPPER(plan) = UPPER(...)) it cannot estimate, and at 1,000,000 messages PostgreSQL
    # then read every entry of half the tickets (0.6 s) where it reads 4 ms along the key.
    if name == "plan":
        return Q(organisation__plan__in=_ids(value, get_policy().plans))
    if name == "office":
        return Q(office__in=_ids(value, [*get_policy().offices, GLOBAL]))
    if name == "type":
        return Q(topic__in=_ids(value, get_policy().request_types))
    if name == "assignee":
        if value.lower() == "me":
            return Q(assignee=person)
        if value.lower() == "none":
            return Q(assignee__isnull=True)
        return email_is(value, "assignee__email")
    if name == "requester":
        return Q(requester__email__icontains=value) | Q(requester__name__icontains=value)
    if name == "org":
        # The organisations first, then their tickets by id: PostgreSQL cannot estimate a name
        # `icontains`, and for one matching fifty organisations it read every entry of their
        # 50,000 tickets (1.4 s at 1,000,000 messages; BENCHMARKS.md).
        named = Organisation.objects.filter(name__icontains=value).values_list("pk", flat=True)
        ids = list(named[: MAX_ORGANISATIONS + 1])
        if len(ids) <= MAX_ORGANISATIONS:
            return Q(organisation_id__in=ids)
        return Q(organisation__name__icontains=value)
    raise ValueError(f"unknown filter {name}:")  # parse() lets only known names through: our bug


def _ids(value: str, known: Iterable[str]) -> list[str]:
    """`value` as written, and the ids of `known` it names in another case."""
    return sorted({value, *(id_ for id_ in known if id_.lower() == value.lower())})


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
    """(ticket id, score) of the best `limit` tickets among the candidates where every term
    matches: every ticket the person may see when they are few; otherwise the leading term's
    matches, newest first, a chunk at a time, until CANDIDATES tickets match every term
    (`limit` when only common one- and two-character terms lead)."""
    try:
        visible_sql, visible_params = tickets.values("pk").query.sql_with_params()
    except EmptyResultSet:  # nothing visible (an inactive person): Django does not compile .none()
        return []
    # No condition at all (a lead or an admin without filters): every ticket, nothing to narrow.
    visible = Sql(visible_sql, tuple(visible_params)) if tickets.query.where else None
    if visible is not None:
        few = list(tickets.order_by().values_list("pk", flat=True)[: FEW_TICKETS + 1])
        if len(few) <= FEW_TICKETS:
            # A customer, a small queue, a narrow filter: their tickets' own rows, read by ticket,
            # cost less than reading the index through everyone else's matches. All are ranked.
            return _best(_scores(_Within(tickets), few, query, staff), limit) if few else []
    lead = _leading(query, visible, staff, limit)
    if lead is None:
        return []
    term, rows, count, enough = lead
    pool: dict[int, float] = {}
    seen: set[int] = set()
    numbered = _by_number(tickets, query.numbers)
    within = _Within(tickets)
    batch = numbered + [match.ticket_id for match in rows]
    # A query of one term: the read found it in every ticket it names, and where (`_lone_scores`).
    lone = query.terms == (term,) and not query.numbers
    known: dict[int, int] = {}
    tried = matched = read = 0
    while True:
        if lone:
            for match in rows:
                known[match.ticket_id] = max(known.get(match.ticket_id, 0), match.weight)
        fresh = [ticket_id for ticket_id in dict.fromkeys(batch) if ticket_id not in seen]
        # Newest first, only as many as are still wanted: as many as the share of those tried
        # so far that matched every term says (all of them, for one term; the rest of the chunk
        # when none has yet), the numbered first.
        while fresh and len(pool) < enough:
            wanted = enough - len(pool)
            if not tried:
                size = max(wanted, len(numbered))
            else:
                size = -(-wanted * tried // matched) if matched else len(fresh)
            part, fresh = fresh[:size], fresh[size:]
            seen.update(part)
            found = (
                _lone_scores(within, part, term, staff, known)
                if lone
                else _scores(within, part, query, staff)
            )
            tried, matched = tried + len(part), matched + len(found)
            pool.update(found)
        if len(pool) >= enough or len(rows) < count:
            break
        read += len(rows)
        # Four times more, or fewer: as many entries as those read so far took per candidate.
        count = min(count * 4, MAX_CHUNK, -(-(enough - len(pool)) * read * 5 // (4 * max(len(pool), 1))))
        rows = _newest(term, visible, staff, before=rows[-1].entry_id, count=count)
        batch = [match.ticket_id for match in rows]
    return _best(pool, limit)


def _best(scores: dict[int, float], limit: int) -> list[tuple[int, float]]:
    """The `limit` best: the highest score first, then the newer ticket."""
    return sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:limit]


def _leading(
    query: Query, visible: Sql | None, staff: bool, limit: int
) -> tuple[str, list[Match], int, int] | None:
    """The term whose matches are read for candidates, with its first chunk, that chunk's size
    and how many candidates are enough; None when a term matches nothing the person may see
    (every term must match: each is read once, from the index, whatever its length).

    Of the terms of three characters or more, the one with the fewest matches in its first
    chunk (the rarest, as far as one cheap read tells) leads, and reading stops at CANDIDATES;
    a one- or two-character term leads instead when its first chunk holds every one of its
    matches and fewer than theirs. A query of common one- and two-character terms only is led
    by its longest, a page at a time, and stops at `limit` candidates."""
    texts = list(query.terms) or [str(number) for number in query.numbers]
    lone = len(query.terms) + len(query.numbers) == 1
    first = min(FIRST_CHUNK, LONE_CHUNK) if lone else FIRST_CHUNK
    best: tuple[str, list[Match], int, int] | None = None
    common_short: list[tuple[str, list[Match]]] = []
    for term in sorted(texts, key=len, reverse=True):
        rows = _newest(term, visible, staff, before=None, count=first)
        if not rows and query.terms:
            return None
        if len(term) < TRIGRAM and len(rows) == first:
            common_short.append((term, rows))
        elif best is None or len(rows) < len(best[1]):
            best = (term, rows, first, CANDIDATES)
    if best is None:
        term, rows = common_short[0]
        return term, rows[:limit], limit, limit
    return best


class Match(NamedTuple):
    """An entry containing a term: its id, its ticket's and its weight (WEIGHTS)."""

    entry_id: int
    ticket_id: int
    weight: int


def _newest(term: str, visible: Sql | None, staff: bool, before: int | None, count: int) -> list[Match]:
    """The `count` newest entries containing `term` older than entry `before`, among the
    tickets `visible` selects; internal notes only for staff."""
    match = backend().matching(term)
    order = backend().recency(term)
    sql, params = f"SELECT e.id, e.ticket_id, {_WEIGHT_SQL} FROM {match.text}", list(match.params)  # noqa: S608 - our fragments; values bound
    if visible is not None:
        sql += f" AND {backend().within(visible.text)}"
        params += visible.params
    sql += _hidden(staff)
    if before is not None:
        sql += f" AND {order} < %s"
        params.append(before)
    sql += f" ORDER BY {order} DESC LIMIT %s"
    params.append(count)
    return [
        Match(int(entry_id), int(ticket_id), int(weight))
        for entry_id, ticket_id, weight in _rows(sql, params)
    ]


def _by_number(tickets: QuerySet[Ticket], numbers: tuple[int, ...]) -> list[int]:
    """The tickets a bare number names, candidates whatever the text says."""
    if not numbers:
        return []
    return list(tickets.filter(number__in=numbers).values_list("pk", flat=True))


class _Within:
    """The SQL selecting those of a list of ticket ids that `tickets` holds (the person may see,
    after the filters), compiled once for every list: the list is one bound value
    (`Backend.id_list`), not a parameter per id."""

    def __init__(self, tickets: QuerySet[Ticket]) -> None:
        self._marker = object()
        listed = RawSQL(backend().id_list(), (self._marker,))  # noqa: S611 - our fragment; values bound
        self.text, params = tickets.filter(pk__in=listed).values("pk").query.sql_with_params()
        self._params = tuple(params)

    def params(self, ticket_ids: list[int]) -> list[Any]:
        value = backend().id_list_value(ticket_ids)
        return [value if param is self._marker else param for param in self._params]


def _scores(within_ids: _Within, ticket_ids: list[int], query: Query, staff: bool) -> dict[int, float]:
    """The score of each of `ticket_ids` the person may see, after the filters, where every
    term matches (read from the entries of those tickets only: a LIKE over a few rows each)."""
    within_sql, within_params = within_ids.text, within_ids.params(ticket_ids)
    # Named once (a CTE), so the ids are bound once however many terms there are (SQLite takes
    # at most 32,766 parameters).
    within = Sql("SELECT search_within.id FROM search_within")
    parts = [_term(term, within, staff) for term in query.terms]
    parts += [_number(number, within, staff) for number in query.numbers]
    union = " UNION ALL ".join(
        f"SELECT * FROM ({part.text}) AS t{index}"  # noqa: S608 - our fragments; values bound
        for index, part in enumerate(parts)
    )
    sql = (
        f"WITH search_within(id) AS ({within_sql}) "  # noqa: S608 - our fragments; values bound
        f"SELECT m.ticket_id, SUM(m.weight) AS score FROM ({union}) AS m "
        "GROUP BY m.ticket_id HAVING COUNT(*) = %s"
    )
    params: list[Any] = [*within_params, *(param for part in parts for param in part.params), len(parts)]
    return {int(ticket_id): float(score) for ticket_id, score in _rows(sql, params)}


def _lone_scores(
    within_ids: _Within, ticket_ids: list[int], term: str, staff: bool, known: dict[int, int]
) -> dict[int, float]:
    """A query of one term, `_scores` without reading messages again: each of `ticket_ids`
    the person may see, after the filters, scores the best of where the index's read found the
    term (`known`: every one of them holds it) and of its entries other than messages that
    contain it (a LIKE over a few short rows each). A message weighs least, so where else a
    message holds the term changes nothing (`tests/search/test_ranking.py` compares the two)."""
    within_sql, within_params = within_ids.text, within_ids.params(ticket_ids)
    hidden = _hidden(staff)
    sql = (
        f"WITH search_within(id) AS ({within_sql}) "  # noqa: S608 - our fragments; values bound
        f"SELECT w.id, MAX(CASE WHEN e.id IS NULL THEN 0 ELSE {_WEIGHT_SQL} END) FROM search_within w "
        "LEFT JOIN search_entry e ON e.ticket_id = w.id AND e.kind <> %s "
        f"AND e.body LIKE %s ESCAPE '\\'{hidden} GROUP BY w.id"
    )
    params = [*within_params, Entry.Kind.MESSAGE.value, like_pattern(term)]
    return {
        int(ticket_id): float(max(weight, known.get(int(ticket_id), 0)))
        for ticket_id, weight in _rows(sql, params)
        if int(ticket_id) in known
    }


def _rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """The rows of one of the search's queries (PostgreSQL reads `search_entry` without parallel
    workers: migration 0004)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _term(term: str, within: Sql, staff: bool) -> Sql:
    """Each ticket `within` with an entry containing `term`, and the best weight among them."""
    hidden = _hidden(staff)
    sql = (
        f"SELECT e.ticket_id AS ticket_id, MAX({_WEIGHT_SQL}) AS weight FROM search_entry e "  # noqa: S608 - our fragments; values bound
        f"WHERE e.ticket_id IN ({within.text}) AND e.body LIKE %s ESCAPE '\\'{hidden} GROUP BY e.ticket_id"
    )
    return Sql(sql, (*within.params, like_pattern(term)))


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
    entries = Entry.objects.filter(containing, ticket_id__in=ticket_ids)
    if not staff:
        entries = entries.filter(internal=False)
    best: dict[int, tuple[tuple[int, int], str]] = {}
    for ticket_id, kind, original, body in entries.values_list("ticket_id", "kind", "original", "body"):
        rank = (sum(term in body for term in terms), WEIGHTS.get(kind, 1))
        if ticket_id not in best or rank > best[ticket_id][0]:
            best[ticket_id] = (rank, original)
    return {ticket_id: highlight(original, terms) for ticket_id, (_, original) in best.items()}
