"""One way to match a term per database, chosen by `connection.vendor`.

Each backend turns a normalised term into SQL selecting the `search_entry` rows (aliased `e`)
that contain it; the service (`service.py`) does the rest the same way on every database."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from policydesk.search import grams

#: The trigram indexes answer substrings of three characters and more; the gram index shorter.
TRIGRAM = 3


@dataclass(frozen=True)
class Sql:
    text: str
    params: tuple[Any, ...] = ()


def like_pattern(term: str) -> str:
    """`term` as a LIKE substring pattern, its wildcards escaped (ESCAPE '\\')."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Backend(Protocol):
    def matching(self, term: str) -> Sql:
        """FROM and WHERE (no leading keyword) selecting the entries `e` containing `term`."""
        ...

    def recency(self, term: str) -> str:
        """The column that orders `matching(term)`'s entries by age (larger: written later),
        one the database can read backwards from its index without sorting every match."""
        ...

    def id_list(self) -> str:
        """A SELECT of one column: the ids bound to its one parameter (`id_list_value`), so a
        list of any length is one value and the SQL text is the same for every list."""
        ...

    def within(self, tickets: str) -> str:
        """A condition on the entry `e`: its ticket is one of those `tickets` (a SELECT of their
        ids as `pk`) selects."""
        ...

    def id_list_value(self, ids: list[int]) -> Any:
        """The value `id_list`'s parameter takes for `ids`."""
        ...


class SqliteFts:
    """FTS5 with the trigram tokenizer (`search_fts`, migration 0002) for three characters and
    more; the gram table (`search_gram_fts`, migration 0003) for one or two (Japanese words as
    short as 請求), whose token for a term is exactly the entries containing it."""

    def matching(self, term: str) -> Sql:
        # CROSS JOIN: SQLite keeps this order, the index's matches first (never a scan of the
        # entries probing the index row by row). The entry's own text decides (LIKE): an FTS5
        # table out of step with the entries (`policydesk search check`) proposes a stale
        # match, never makes one.
        recheck = "AND e.body LIKE %s ESCAPE '\\'"
        if len(term) >= TRIGRAM:
            phrase = '"' + term.replace('"', '""') + '"'
            table, match = "search_fts", phrase
        else:
            table, match = "search_gram_fts", f'"{grams.token(term)}"'
        return Sql(
            f"{table} f CROSS JOIN search_entry e WHERE {table} MATCH %s AND e.id = f.rowid {recheck}",
            (match, like_pattern(term)),
        )

    def recency(self, term: str) -> str:
        # FTS5 walks its matches by rowid (the entry's id) in either direction; ORDER BY e.id
        # would make SQLite collect and sort every match first.
        return "f.rowid"

    def id_list(self) -> str:
        return "SELECT value FROM json_each(%s)"

    def within(self, tickets: str) -> str:
        # Checked for each match read (a look-up by the ticket's key), not `e.ticket_id IN (...)`,
        # for which SQLite builds every selected ticket's id into a temporary index first: 19-27
        # ms a read at 1,000,000 messages with a filter that selects most tickets, 0.5-1 ms so.
        return f"EXISTS (SELECT 1 FROM ({tickets}) AS search_visible WHERE search_visible.pk = e.ticket_id)"  # noqa: S608 - compiled by the ORM; values bound

    def id_list_value(self, ids: list[int]) -> Any:
        return json.dumps(ids)


class PostgresTrigram:
    """LIKE on the entries, which PostgreSQL answers from the pg_trgm GIN index
    (`search_entry_body_trgm`, migration 0002) for three characters and more. One or two
    characters: the GIN index of the entries' grams (`search_entry_body_grams`, migration 0003)
    for a rare term, LIKE along the primary key for a common one (`common`)."""

    def matching(self, term: str) -> Sql:
        if len(term) >= TRIGRAM or common(term):
            return Sql("search_entry e WHERE e.body LIKE %s ESCAPE '\\'", (like_pattern(term),))
        # A term is in a text exactly when it is one of its grams: no LIKE needed.
        return Sql("search_entry e WHERE search_grams(e.body) @> ARRAY[%s]::text[]", (term,))

    def recency(self, term: str) -> str:
        # The planner chooses: an index then a top-N sort for a rare term, the primary key
        # backwards, filtering, for a common one (it stops at the LIMIT).
        return "e.id"

    def id_list(self) -> str:
        return "SELECT unnest(%s::bigint[])"

    def within(self, tickets: str) -> str:
        return f"e.ticket_id IN ({tickets})"  # a semi-join, planned from the statistics

    def id_list_value(self, ids: list[int]) -> Any:
        return ids


#: PostgreSQL reads the newest matches of a term in a share f of the N entries either along the
#: primary key, testing each entry by LIKE until it has FIRST_READ of them (FIRST_READ / f rows,
#: each cheap), or from the gram index (every one of its f * N matches, each fetched from the
#: table and sorted: GRAM_ROW_COST times dearer, measured at 100,000 messages). The cheaper wins.
FIRST_READ = 512
GRAM_ROW_COST = 10
#: How long the share of each common gram, read from PostgreSQL's statistics, is kept (seconds).
STATISTICS_KEPT = 300.0


@dataclass
class _Statistics:
    read_at: float
    entries: float
    shares: dict[str, float]


_statistics: _Statistics | None = None


def common(term: str) -> bool:
    """PostgreSQL: whether `term` (one or two characters) is common enough that reading the
    entries newest first by LIKE costs less than reading all its matches from the gram index.
    From the planner's own statistics (`ANALYZE`: the most common grams and their shares); a
    term not among them, or a table not analysed yet, is read from the index."""
    statistics = _gram_statistics()
    share = statistics.shares.get(term)
    if share is None or statistics.entries <= 0:
        return False
    return GRAM_ROW_COST * share * statistics.entries > FIRST_READ / share


def _gram_statistics() -> _Statistics:
    global _statistics  # a cache of the database's statistics, per process
    now = time.monotonic()
    if _statistics is None or now - _statistics.read_at > STATISTICS_KEPT:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs "
                "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
                "AND s.tablename = 'search_entry_body_grams' WHERE c.oid = 'search_entry'::regclass"
            )
            entries, grams_, shares = cursor.fetchone() or (0, None, None)
        _statistics = _Statistics(now, float(entries), dict(zip(grams_ or [], shares or [], strict=False)))
    return _statistics


def forget_statistics() -> None:
    """The next `common` reads the statistics again (after an ANALYZE, in tests)."""
    global _statistics
    _statistics = None


def register_functions(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """`connection_created`: SQLite's `search_grams(body)`, which the gram table's triggers and
    view call (migration 0003), on every connection Django opens."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("search_grams", 1, grams.tokens, deterministic=True)


def backend() -> Backend:
    """The backend of the database in use."""
    if connection.vendor == "sqlite":
        return SqliteFts()
    if connection.vendor == "postgresql":
        return PostgresTrigram()
    raise NotImplementedError(f"search has no backend for {connection.vendor}")
