"""Compacting SQLite's full-text index (`indexing.compact`, `policydesk search compact`, the
worker's `CompactLoop`): the b-trees of many writes merged, a short transaction a step, with
every search answering as before."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from policydesk.search import compaction, indexing
from policydesk.search.service import find
from policydesk.tickets import actions
from tests.conftest import NOW, Personas, assert_loop_outlives_a_failure, open_ticket

sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's FTS5 tables")


def btrees(table: str) -> int:
    """The b-trees (segments) of an FTS5 table: FTS5's 'integrity-check' does not tell, its
    structure record does; every segment's leaves are rows of %_data with an id of its own
    (id >> 37 is the segment: FTS5_SEGMENT_ROWID), ids below 2**37 are not leaves."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT id >> 37) FROM {table}_data WHERE id >= 137438953472")  # noqa: S608
        return int(cursor.fetchone()[0])


@sqlite_only
def test_compacting_merges_the_btrees_of_many_writes_and_finds_the_same(personas: Personas) -> None:
    tickets = []
    for index in range(12):  # each write its own transaction: FTS5 adds b-trees as it goes
        ticket = open_ticket(
            personas.customer, subject=f"Cache {index}", text=f"請求書 export fails ({index})"
        )
        actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="dashboard empty", now=NOW)
        tickets.append(ticket)
    queries = ["cache", "請求", "dashboard", '"export fails"', "求"]
    before = {query: [(hit.number, hit.score) for hit in find(personas.lead, query)] for query in queries}
    assert btrees("search_fts") > 1 and btrees("search_gram_fts") > 1

    steps = indexing.compact(step_pages=1)

    assert steps > 2
    assert btrees("search_fts") == 1 and btrees("search_gram_fts") == 1
    assert indexing.broken_fts_tables() == []
    assert {
        query: [(hit.number, hit.score) for hit in find(personas.lead, query)] for query in queries
    } == before
    # Nothing left: one step per table finds so.
    assert indexing.compact() == 2
    # And writes go on as before.
    later = open_ticket(personas.customer, subject="Later", text="dashboard again")
    assert find(personas.lead, "again")[0].number == later.number


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL")
def test_postgresql_has_nothing_to_compact(db: None) -> None:
    assert indexing.compact() == 0


@sqlite_only
def test_the_command_compacts_and_reindex_compacts_after(personas: Personas) -> None:
    for index in range(3):
        open_ticket(personas.customer, subject=f"Export {index}", text="report late")
    out = StringIO()
    call_command("search", "compact", stdout=out, stderr=StringIO())
    assert "compacted the full-text index in" in out.getvalue()
    out = StringIO()
    call_command("search", "reindex", stdout=out, stderr=StringIO())
    assert "reindexed 3 tickets" in out.getvalue() and "compacted" in out.getvalue()
    assert btrees("search_fts") == 1


def test_the_worker_loop_compacts_every_interval_and_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    assert_loop_outlives_a_failure(monkeypatch, indexing, "compact", lambda: compaction.CompactLoop(0.01), 2)


def test_the_interval_comes_from_the_setting(settings: Any) -> None:
    settings.POLICYDESK_SEARCH_COMPACT_HOURS = 0.5
    assert compaction.interval_seconds() == 1800
    settings.POLICYDESK_SEARCH_COMPACT_HOURS = 0
    assert compaction.interval_seconds() == 0
