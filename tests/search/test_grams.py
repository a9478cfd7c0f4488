"""One- and two-character terms answered from the gram index (docs/search.md, "Each database's
index"), on SQLite and PostgreSQL: found and not found, in any width, and never stale after an
edit, a merge or a delete; internal notes stay staff only; `search check` and `search reindex`
cover the index. The service is made to read the index (FEW_TICKETS 0), not to rank every
ticket a person sees, which it does when they see few."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from policydesk.search import backends, service
from policydesk.search.backends import backend
from policydesk.search.grams import grams, token, tokens
from policydesk.search.models import Entry
from policydesk.search.normalise import normalise
from policydesk.search.service import find
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, Personas, open_ticket

SQLITE = connection.vendor == "sqlite"


@pytest.fixture(autouse=True)
def read_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "FEW_TICKETS", 0)
    backends.forget_statistics()


def numbers(person: Person, query: str) -> list[int]:
    return [hit.number for hit in find(person, query)]


def indexed(term: str) -> set[int]:
    """The entries the database's gram index holds for `term` (SQLite: its FTS5 table as it
    stands, stale postings included, before any join with the entries)."""
    term = normalise(term)
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute(
                "SELECT rowid FROM search_gram_fts WHERE search_gram_fts MATCH %s", [f'"{token(term)}"']
            )
        else:
            cursor.execute(
                "SELECT id FROM search_entry WHERE search_grams(body) @> ARRAY[%s]::text[]", [term]
            )
        return {entry_id for (entry_id,) in cursor.fetchall()}


@pytest.fixture
def eel(personas: Personas) -> Ticket:
    return open_ticket(
        personas.customer, subject="請求書について", text="鰻の請求額が違います。ｷｬｯｼｭも障害。ＡＢＣ-42",
    )  # fmt: skip


@pytest.fixture
def other(personas: Personas) -> Ticket:
    return open_ticket(personas.customer, subject="Charts are empty", text="The cache is empty after 4.2.")


# -- the grams ----------------------------------------------------------------------------------


def test_the_grams_of_a_text_are_its_characters_and_adjacent_pairs() -> None:
    assert grams("請求書") == {"請", "求", "書", "請求", "求書"}
    assert grams("aa") == {"a", "aa"}
    assert grams("") == set()
    assert token("請") == "8acb" and token("請求") == "8acbx6c42"
    assert tokens("ab a") == "20 20x61 61 61x62 62 62x20"  # sorted, each once
    assert tokens(None) is None


@pytest.mark.parametrize("gram", ["", "abc"])
def test_a_gram_has_one_or_two_characters(gram: str) -> None:
    with pytest.raises(ValueError, match="a gram has one or two characters"):
        token(gram)


# -- found and not found ------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["鰻", "請求", "障害", "額", "請", "鰻 障害", "請求 abc"])
def test_one_and_two_character_japanese_terms_are_found(
    personas: Personas, eel: Ticket, other: Ticket, query: str
) -> None:
    assert numbers(personas.agent, query) == [eel.number]


@pytest.mark.parametrize("query", ["鰻 empty", "害請", "鮭", "鮭 請求", "cache 鰻", "ゑゐ"])
def test_one_and_two_character_terms_not_in_the_text_find_nothing(
    personas: Personas, eel: Ticket, other: Ticket, query: str
) -> None:
    # 害請: both characters are there, not side by side
    assert numbers(personas.agent, query) == []


def test_short_terms_are_read_from_the_gram_index(eel: Ticket) -> None:
    match = backend().matching("請求")
    assert ("search_gram_fts MATCH" if SQLITE else "search_grams(e.body) @>") in match.text
    # A term is in a text exactly when it is one of its grams: PostgreSQL computes them from the
    # text itself; SQLite's table, kept by triggers, is checked against the text (LIKE).
    assert ("LIKE" in match.text) == SQLITE
    body_entry = Entry.objects.get(ticket=eel, kind=Entry.Kind.MESSAGE)
    assert body_entry.pk in indexed("請求") and body_entry.pk in indexed("鰻")
    assert indexed("害請") == set() and indexed("鮭") == set()


@pytest.mark.parametrize("query", ["キャ", "ｷｬ", "きゃ", "ab", "ＡＢ", "ｃ-"])
def test_full_width_and_half_width_short_terms_match_each_other(
    personas: Personas, eel: Ticket, other: Ticket, query: str
) -> None:
    assert numbers(personas.agent, query) == [eel.number]


# -- never stale --------------------------------------------------------------------------------


def test_an_edited_message_is_found_by_its_new_short_words_only(personas: Personas, eel: Ticket) -> None:
    message = eel.messages.get()
    message.text = "鮭の件です"
    message.save()
    assert numbers(personas.agent, "鮭") == [eel.number]
    assert numbers(personas.agent, "鰻") == []
    assert indexed("鰻") == set()


def test_a_merged_tickets_short_words_find_the_ticket_it_was_merged_into(
    personas: Personas, eel: Ticket
) -> None:
    target = open_ticket(personas.customer, subject="Invoice", text="Another question.")
    actions.do_merge_tickets(source=eel, target=target, agent=personas.lead, now=NOW)
    assert numbers(personas.agent, "鰻") == [target.number]
    # its subject stays with it (and weighs more than the moved message)
    assert numbers(personas.agent, "請求") == [eel.number, target.number]
    assert indexed("鰻") == set(
        Entry.objects.filter(ticket=target, body__contains="鰻").values_list("pk", flat=True)
    )


def test_a_deleted_message_leaves_nothing_in_the_gram_index(personas: Personas, eel: Ticket) -> None:
    entry = Entry.objects.get(ticket=eel, kind=Entry.Kind.MESSAGE)
    eel.messages.get().delete()
    assert numbers(personas.agent, "鰻") == []
    assert entry.pk not in indexed("鰻") and entry.pk not in indexed("請求")


def test_a_rolled_back_note_leaves_nothing_in_the_gram_index(personas: Personas, eel: Ticket) -> None:
    def note_then_fail() -> None:
        with transaction.atomic():
            actions.do_add_note(ticket=eel, agent=personas.agent, text="鮭", now=NOW)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        note_then_fail()
    assert indexed("鮭") == set()


# -- permissions --------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "finds"), [("agent", True), ("lead", True), ("customer", False),
                                                ("same_org_customer", False)])  # fmt: skip
def test_short_words_of_internal_notes_never_reach_customers(
    personas: Personas, eel: Ticket, persona: str, finds: bool
) -> None:
    actions.do_add_note(ticket=eel, agent=personas.agent, text="鮭は社内だけ", now=NOW)
    person = getattr(personas, persona)
    hits = find(person, "鮭")
    assert [hit.number for hit in hits] == ([eel.number] if finds else [])
    assert all("鮭" not in hit.snippet for hit in find(person, "請求")) or finds


# -- check and reindex --------------------------------------------------------------------------


@pytest.mark.skipif(not SQLITE, reason="SQLite's FTS5 table; PostgreSQL keeps its GIN index itself")
def test_check_finds_a_gram_table_out_of_step_and_reindex_rebuilds_it(
    personas: Personas, eel: Ticket
) -> None:
    subject = Entry.objects.get(ticket=eel, kind=Entry.Kind.SUBJECT)
    with connection.cursor() as cursor:  # a posting no entry's text explains: 鰻 in the subject
        cursor.execute("INSERT INTO search_gram_fts(rowid, grams) VALUES (%s, %s)", [subject.pk, token("鮭")])
    assert indexed("鮭") == {subject.pk}
    assert numbers(personas.agent, "鮭") == []  # a stale posting is never a result: LIKE scores
    out = StringIO()
    with pytest.raises(SystemExit) as failed:
        call_command("search", "check", stdout=out, stderr=StringIO())
    assert failed.value.code == 1
    assert "the full-text table search_gram_fts differs from search_entry" in out.getvalue()
    assert "table search_fts differs" not in out.getvalue()  # the trigram table agrees
    out = StringIO()
    call_command("search", "reindex", stdout=out, stderr=StringIO())
    assert "rebuilt search_gram_fts from search_entry" in out.getvalue()
    assert indexed("鮭") == set()
    out = StringIO()
    call_command("search", "check", stdout=out, stderr=StringIO())
    assert "index agrees with the tables" in out.getvalue()


@pytest.mark.skipif(not SQLITE, reason="SQLite's FTS5 table")
def test_every_sqlite_connection_django_opens_can_compute_grams(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_grams(%s)", ["ab"])
        assert cursor.fetchone() == ("61 61x62 62",)
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT rowid FROM search_gram_fts WHERE search_gram_fts MATCH '61'"
        )
        assert any("VIRTUAL TABLE INDEX" in str(row) for row in cursor.fetchall())


@pytest.mark.skipif(SQLITE, reason="PostgreSQL's GIN index")
def test_postgresql_can_answer_a_gram_from_its_gin_index(eel: Ticket) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_entry_body_grams'")
        (definition,) = cursor.fetchone()
        assert "gin" in definition and "search_grams(body)" in definition
        cursor.execute("SELECT search_grams(%s)", ["請求書"])
        assert set(cursor.fetchone()[0]) == grams("請求書")  # the same grams as Python's
        match = backend().matching("鰻")
        cursor.execute("SET LOCAL enable_seqscan = off")  # a handful of rows: a scan is cheaper here
        explain = f"EXPLAIN SELECT e.id FROM {match.text} ORDER BY e.id DESC LIMIT 20"  # noqa: S608 - ours
        cursor.execute(explain, match.params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_entry_body_grams" in plan


def test_postgresql_reads_a_common_gram_along_the_key_and_a_rare_one_from_the_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The choice from the planner's statistics (backends.common): a gram in half of a million
    entries is read by LIKE, newest first; one in few, or unknown to the statistics, from the index."""
    statistics = backends._Statistics(read_at=0, entries=1_000_000, shares={"の": 0.5, "ほ": 0.001})
    monkeypatch.setattr(backends, "_gram_statistics", lambda: statistics)
    assert backends.common("の") and not backends.common("ほ") and not backends.common("鰻")
    assert "LIKE" in backends.PostgresTrigram().matching("の").text
    assert "search_grams" in backends.PostgresTrigram().matching("ほ").text
    empty = backends._Statistics(read_at=0, entries=-1, shares={})  # never analysed
    monkeypatch.setattr(backends, "_gram_statistics", lambda: empty)
    assert not backends.common("の")


# -- leading the ranking ------------------------------------------------------------------------


@pytest.fixture
def reports(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> Ticket:
    """An old ticket saying 鰻 and report, then twelve newer ones saying report; chunks made
    tiny (as in test_ranking.py), so a common word crosses every boundary."""
    monkeypatch.setattr(service, "CANDIDATES", 4)
    monkeypatch.setattr(service, "FIRST_CHUNK", 2)
    monkeypatch.setattr(service, "MAX_CHUNK", 8)
    old = open_ticket(personas.customer, subject="Old", text="The report about 鰻.")
    for index in range(12):
        open_ticket(personas.customer, subject=f"Newer {index}", text="The weekly report is late.")
    return old


def chunk_reads(person: Person, query: str) -> tuple[list[int], int]:
    with CaptureQueriesContext(connection) as queries:
        found = numbers(person, query)
    reads = [q for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"]]
    return found, len(reads)


def test_a_short_word_in_no_message_ends_the_search_beside_a_common_one(
    personas: Personas, reports: Ticket
) -> None:
    assert chunk_reads(personas.lead, "report 鮭") == ([], 2)  # one read of each, no chunk after


def test_a_rare_short_word_leads_a_common_one(personas: Personas, reports: Ticket) -> None:
    found, reads = chunk_reads(personas.lead, "report 鰻")
    assert found == [reports.number]
    assert reads == 2  # each read once; 鰻's one match is all there is: no reading of report's
    assert chunk_reads(personas.lead, "鰻")[0] == [reports.number]
    assert chunk_reads(personas.customer, "鰻 report")[0] == [reports.number]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner")
def test_no_postgres_read_of_the_entries_uses_parallel_workers(personas: Personas, reports: Ticket) -> None:
    """Starting parallel workers cost 20 ms a read on 2 busy CPUs, for reads of a few hundred rows
    (BENCHMARKS.md, 1,000,000 messages): the table says none (migration 0004). The planner is
    asked about every read of a search with parallel plans made free, so that it would take one
    on a table of a dozen rows if it could."""
    import json

    with CaptureQueriesContext(connection) as queries:
        assert numbers(personas.lead, "report 鰻") == [reports.number]
        assert numbers(personas.lead, '"weekly report"')
    reads = [q["sql"] for q in queries.captured_queries if "search_entry" in q["sql"]]
    assert len(reads) >= 4 and not any(sql.startswith("SET") for sql in reads)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE oid = 'search_entry'::regclass")
        assert cursor.fetchone()[0] == ["parallel_workers=0"]
        for setting in ("parallel_setup_cost", "parallel_tuple_cost", "min_parallel_table_scan_size",
                        "min_parallel_index_scan_size"):  # fmt: skip
            cursor.execute(f"SET LOCAL {setting} = 0")
        for sql in reads:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql.replace("%", "%%"))
            plan = json.dumps(cursor.fetchone()[0])
            assert not _parallel_entry_scans(json.loads(plan)[0]["Plan"]), sql


def _parallel_entry_scans(node: dict[str, object]) -> list[str]:
    found = (
        [str(node["Node Type"])]
        if node.get("Relation Name") == "search_entry" and node.get("Parallel Aware")
        else []
    )
    for child in node.get("Plans", []):  # type: ignore[attr-defined]
        found += _parallel_entry_scans(child)
    return found
