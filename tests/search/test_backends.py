"""Each database's own index: there, used, and (PostgreSQL) reading Japanese under the
database's locale (docs/search.md)."""

from __future__ import annotations

import pytest
from django.db import connection

from policydesk.search.backends import PostgresTrigram, SqliteFts, backend, like_pattern
from policydesk.search.indexing import broken_fts_tables
from tests.conftest import Personas, open_ticket


def test_the_backend_follows_the_database(db: None) -> None:
    expected = {"sqlite": SqliteFts, "postgresql": PostgresTrigram}[connection.vendor]
    assert isinstance(backend(), expected)


def test_like_patterns_escape_the_wildcards() -> None:
    assert like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_sqlite_answers_three_characters_from_the_trigram_table_and_shorter_from_the_gram_table() -> None:
    long, short, one = (SqliteFts().matching(term) for term in ("きゃっしゅ", "請求", "鰻"))
    assert "search_fts MATCH" in long.text and long.params == ('"きゃっしゅ"', "%きゃっしゅ%")
    assert "search_gram_fts MATCH" in short.text and short.params == ('"8acbx6c42"', "%請求%")
    assert one.params == ('"9c3b"', "%鰻%")
    assert SqliteFts().matching('say "hi"').params == ('"say ""hi"""', '%say "hi"%')
    # The entry's own text decides: an index out of step proposes, never makes, a match.
    assert all("e.body LIKE %s" in match.text for match in (long, short, one))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 table")
def test_sqlite_fts_table_follows_the_entries_and_plans_use_it(personas: Personas) -> None:
    open_ticket(personas.customer, subject="キャッシュ")
    assert broken_fts_tables() == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_fts WHERE search_fts MATCH %s", ['"きゃっしゅ"'])
        assert cursor.fetchone() == (1,)
        cursor.execute("EXPLAIN QUERY PLAN SELECT rowid FROM search_fts WHERE search_fts MATCH 'abc'")
        assert any("VIRTUAL TABLE INDEX" in str(row) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pg_trgm")
def test_postgresql_pg_trgm_reads_japanese_under_this_databases_locale(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT cardinality(show_trgm(%s)), current_setting('lc_ctype')", ["きゃっしゅ"])
        trigrams, ctype = cursor.fetchone()
    # Under a non-UTF-8 ctype ("C", "POSIX") pg_trgm drops non-ASCII characters: no trigrams.
    assert trigrams > 0, f"pg_trgm extracts no trigrams from Japanese under lc_ctype={ctype}"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's pg_trgm")
def test_postgresql_has_the_trigram_index(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_entry_body_trgm'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "gin_trgm_ops" in definition


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's planner")
def test_sqlite_checks_each_match_read_against_the_tickets_one_may_see(personas: Personas) -> None:
    """An agent's tickets (or a filter's) are checked for each match the index gives, by the
    ticket's key, never built whole into a temporary index first (`e.ticket_id IN (...)`: 19-27
    ms a read at 1,000,000 messages; BENCHMARKS.md)."""
    from django.test.utils import CaptureQueriesContext

    from policydesk.search import service

    ticket = open_ticket(personas.customer, subject="Cache", text="the cache is empty")
    with CaptureQueriesContext(connection) as queries, pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "FEW_TICKETS", 0)  # read the index, as for a large queue
        found = service.find(personas.agent, "cache plan:growth", 20)
    assert [hit.number for hit in found] == [ticket.number]
    (read,) = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT e.id")]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + read.replace("%", "%%"))
        plan = [row[3] for row in cursor.fetchall()]
    assert plan[0].startswith("SCAN f VIRTUAL TABLE INDEX"), plan
    assert any(step.startswith("CORRELATED") for step in plan), plan
    assert not any("LIST SUBQUERY" in step for step in plan), plan
