"""One way to match a term per database, chosen by `connection.vendor`.

Each backend turns a normalised term into SQL selecting the `search_entry` rows (aliased `e`)
that contain it; the service (`service.py`) does the rest the same way on every database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from django.db import connection

#: FTS5's trigram tokenizer indexes substrings of three characters; shorter terms are scanned.
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

    def scoring_settings(self) -> list[str]:
        """Statements run in the transaction of the query scoring the candidates' rows."""
        ...


class SqliteFts:
    """FTS5 with the trigram tokenizer (`search_fts`, migration 0002) for three characters and
    more; LIKE on the entries for one or two (Japanese words as short as 請求), which the
    service narrows to the tickets the other terms and the filters left."""

    def matching(self, term: str) -> Sql:
        if len(term) >= TRIGRAM:
            phrase = '"' + term.replace('"', '""') + '"'
            # CROSS JOIN: SQLite keeps this order, the index's matches first (never a scan of the
            # entries probing the index row by row).
            return Sql(
                "search_fts f CROSS JOIN search_entry e WHERE search_fts MATCH %s AND e.id = f.rowid",
                (phrase,),
            )
        return Sql("search_entry e WHERE e.body LIKE %s ESCAPE '\\'", (like_pattern(term),))

    def recency(self, term: str) -> str:
        # FTS5 walks its matches by rowid (the entry's id) in either direction; ORDER BY e.id
        # would make SQLite collect and sort every match first.
        return "f.rowid" if len(term) >= TRIGRAM else "e.id"

    def scoring_settings(self) -> list[str]:
        return []


class PostgresTrigram:
    """LIKE on the entries, which PostgreSQL answers from the pg_trgm GIN index
    (`search_entry_body_trgm`, migration 0002) for three characters and more."""

    def matching(self, term: str) -> Sql:
        return Sql("search_entry e WHERE e.body LIKE %s ESCAPE '\\'", (like_pattern(term),))

    def recency(self, term: str) -> str:
        # The planner chooses: the trigram index then a top-N sort for a rare term, the primary
        # key backwards, filtering, for a common one (it stops at the LIMIT).
        return "e.id"

    def scoring_settings(self) -> list[str]:
        # Scoring reads a few hundred tickets' rows by index. The planner splits it across
        # parallel workers, whose start costs more than they save: 3-4x slower measured on 2
        # busy CPUs (BENCHMARKS.md). LOCAL: until the end of the transaction only.
        return ["SET LOCAL max_parallel_workers_per_gather = 0"]


def backend() -> Backend:
    """The backend of the database in use."""
    if connection.vendor == "sqlite":
        return SqliteFts()
    if connection.vendor == "postgresql":
        return PostgresTrigram()
    raise NotImplementedError(f"search has no backend for {connection.vendor}")
