"""Search through the service: Japanese and English, names and organisations, filters, ranking,
and who finds what (the persona matrix; internal notes never reach customers)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import translation

from policydesk.search.models import Entry
from policydesk.search.query import QueryError
from policydesk.search.service import find
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import NOW, SEES_CUSTOMERS_TICKET, Personas, open_ticket


def numbers(person: Person, query: str, limit: int = 20) -> list[int]:
    return [hit.number for hit in find(person, query, limit)]


@pytest.fixture
def cache(personas: Personas) -> Ticket:
    return open_ticket(
        personas.customer, subject="ダッシュボードが表示されない",
        text="キャッシュを消しても直りません。請求書のページも障害で開けない。"
        "Error ＡＢＣ-42 since 9時〜17時.",
    )  # fmt: skip


@pytest.fixture
def english(personas: Personas) -> Ticket:
    return open_ticket(
        personas.customer, subject="Charts are empty", text="The cache is empty after the upgrade to 4.2."
    )


@pytest.mark.parametrize("query", ["キャッシュ", "ｷｬｯｼｭ", "きゃっしゅ", "ダッシュボード", "ﾀﾞｯｼｭﾎﾞｰﾄﾞ"])
def test_japanese_words_match_in_any_kana_or_width(
    personas: Personas, cache: Ticket, english: Ticket, query: str
) -> None:
    assert numbers(personas.agent, query) == [cache.number]


@pytest.mark.parametrize("query", ["請求", "障害", "請", "直"])
def test_one_and_two_character_japanese_queries_match(
    personas: Personas, cache: Ticket, english: Ticket, query: str
) -> None:
    assert numbers(personas.agent, query) == [cache.number]


@pytest.mark.parametrize("query", ["ABC", "abc", "ＡＢＣ", "ａｂｃ-４２"])
def test_full_width_and_half_width_latin_match_each_other(
    personas: Personas, cache: Ticket, english: Ticket, query: str
) -> None:
    assert numbers(personas.agent, query) == [cache.number]


def test_the_wave_dash_and_the_full_width_tilde_match_each_other(personas: Personas, cache: Ticket) -> None:
    assert numbers(personas.agent, "9時～17時") == [cache.number]


def test_english_is_case_insensitive_and_every_word_must_match(
    personas: Personas, cache: Ticket, english: Ticket
) -> None:
    assert numbers(personas.agent, "CACHE upgrade") == [english.number]
    assert numbers(personas.agent, "cache nowhere-to-be-found") == []


def test_a_phrase_matches_only_as_written(personas: Personas, english: Ticket) -> None:
    assert numbers(personas.agent, '"cache is empty"') == [english.number]
    assert numbers(personas.agent, '"empty cache is"') == []


def test_a_ticket_by_hash_number_or_bare_number(personas: Personas, cache: Ticket, english: Ticket) -> None:
    assert numbers(personas.agent, f"#{english.number}") == [english.number]
    assert numbers(personas.agent, str(cache.number)) == [cache.number]
    assert numbers(personas.agent, "#99999") == []


def test_requester_names_emails_and_organisations_find_their_tickets(
    personas: Personas, english: Ticket
) -> None:
    other = open_ticket(personas.same_org_customer, subject="Export fails", text="CSV export stops.")
    assert numbers(personas.agent, "hanna@kumo") == [english.number]
    assert numbers(personas.agent, "felix") == [other.number]
    assert numbers(personas.agent, "Kumo") == [other.number, english.number]  # newest first on a tie


def test_attachment_file_names_are_found(personas: Personas, ticket: Ticket) -> None:
    assert numbers(personas.agent, "trace.log") == [ticket.number]


def test_a_subject_match_ranks_above_a_body_match(personas: Personas) -> None:
    in_body = open_ticket(personas.customer, subject="Login problem", text="The invoice page is slow too.")
    in_subject = open_ticket(personas.customer, subject="Invoice missing", text="Nothing arrived.")
    hits = find(personas.agent, "invoice")
    assert [hit.number for hit in hits] == [in_subject.number, in_body.number]
    assert hits[0].score > hits[1].score


def test_the_snippet_marks_the_match_as_received_and_escapes_html(personas: Personas) -> None:
    open_ticket(personas.customer, subject="Odd text", text="<b>ｷｬｯｼｭ</b> is broken")
    (hit,) = find(personas.agent, "キャッシュ")
    assert hit.snippet == "&lt;b&gt;<mark>ｷｬｯｼｭ</mark>&lt;/b&gt; is broken"


def test_filters_narrow_the_tickets(personas: Personas, cache: Ticket, english: Ticket) -> None:
    actions.do_set_status(ticket=english, actor=personas.agent, status="solved", now=NOW)
    actions.do_assign(ticket=cache, actor=personas.agent, assignee=personas.agent, now=NOW)
    assert numbers(personas.agent, "status:solved") == [english.number]
    cache.refresh_from_db()
    assert cache.status != "solved"
    assert numbers(personas.agent, f"status:{cache.status} status:solved") == [english.number, cache.number]
    assert numbers(personas.agent, "assignee:me") == [cache.number]
    assert numbers(personas.agent, "assignee:jonas@example.com") == [cache.number]
    assert numbers(personas.agent, "assignee:none") == [english.number]
    assert numbers(personas.agent, "plan:growth 請求") == [cache.number]
    assert numbers(personas.agent, "plan:enterprise") == []
    assert numbers(personas.agent, "office:central-europe cache") == [english.number]
    assert numbers(personas.agent, "type:troubleshooting org:kumo requester:hanna") == [
        english.number,
        cache.number,
    ]


def test_policy_filters_take_any_case_and_ask_for_the_ids_as_stored(
    personas: Personas, cache: Ticket, english: Ticket
) -> None:
    """plan:, office: and type: name the policy's ids in any case; the SQL asks for the ids as
    stored (an equality the database estimates), never UPPER(...) = UPPER(...), which PostgreSQL
    could not estimate and answered by reading every entry of half the tickets (BENCHMARKS.md)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for query in ("plan:GROWTH 請求", "plan:Growth 請求", "plan:growth 請求"):
        assert numbers(personas.agent, query) == [cache.number], query
    assert numbers(personas.agent, "OFFICE:Central-Europe cache") == [english.number]
    assert numbers(personas.agent, "type:TROUBLESHOOTING") == [english.number, cache.number]
    assert numbers(personas.agent, "plan:platinum") == []
    with CaptureQueriesContext(connection) as queries:
        numbers(personas.agent, "plan:Growth office:CENTRAL-EUROPE type:Troubleshooting cache")
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "UPPER(" not in sql and "'growth'" in sql and "'central-europe'" in sql


def test_an_organisation_filter_asks_for_the_named_organisations_tickets_by_id(
    personas: Personas, cache: Ticket, english: Ticket, monkeypatch: pytest.MonkeyPatch
) -> None:
    """org: finds the organisations whose name contains it first, then their tickets by id (an
    estimate PostgreSQL can make); past MAX_ORGANISATIONS it asks by name, with the same answer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from policydesk.search import service

    with CaptureQueriesContext(connection) as queries:
        found = numbers(personas.agent, "org:KUMO")
    assert found == [english.number, cache.number]
    named_first = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "tickets_organisation"."id"')
    ]
    assert len(named_first) == 1 and "LIKE" in named_first[0]
    assert numbers(personas.agent, "org:nowhere-at-all") == []
    monkeypatch.setattr(service, "MAX_ORGANISATIONS", 0)
    assert numbers(personas.agent, "org:KUMO") == found
    assert numbers(personas.agent, "org:nowhere-at-all") == []


def test_created_filters_by_day(personas: Personas) -> None:
    older = open_ticket(personas.customer, now=NOW - timedelta(days=40), subject="Old one")
    newer = open_ticket(personas.customer, now=NOW, subject="New one")
    day = NOW.date() - timedelta(days=10)
    assert numbers(personas.agent, f"created:>{day}") == [newer.number]
    assert numbers(personas.agent, f"created:<{day}") == [older.number]
    assert numbers(personas.agent, f"created:={NOW.date()}") == [newer.number]
    assert numbers(personas.agent, f"created:<={older.created_at.date()} one") == [older.number]


def test_an_unknown_status_is_refused(personas: Personas) -> None:
    with pytest.raises(QueryError, match="status"):
        find(personas.agent, "status:lost")


def test_an_empty_query_finds_nothing(personas: Personas, cache: Ticket) -> None:
    assert find(personas.agent, "  ") == []


def test_the_limit_is_kept(personas: Personas) -> None:
    for index in range(5):
        open_ticket(personas.customer, subject=f"Report {index}")
    assert len(find(personas.agent, "report", limit=3)) == 3


def test_like_wildcards_in_a_query_are_plain_characters(personas: Personas, english: Ticket) -> None:
    assert numbers(personas.agent, "%") == []
    assert numbers(personas.agent, "c_che") == []


# -- who finds what -------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "finds"), SEES_CUSTOMERS_TICKET.items())
def test_everyone_finds_exactly_the_tickets_they_may_see(
    personas: Personas, english: Ticket, persona: str, finds: bool
) -> None:
    found = numbers(getattr(personas, persona), "cache")
    assert found == ([english.number] if finds else [])


def test_an_inactive_person_finds_nothing(personas: Personas, english: Ticket) -> None:
    personas.agent.is_active = False
    assert find(personas.agent, "cache") == []
    assert find(personas.agent, "status:new") == []


def test_a_shared_organisation_lets_colleagues_find_each_others_tickets(
    personas: Personas, english: Ticket
) -> None:
    organisation = personas.customer.organisation
    assert organisation is not None
    organisation.shares_tickets = True
    organisation.save()
    assert numbers(personas.same_org_customer, "cache") == [english.number]
    assert numbers(personas.other_org_customer, "cache") == []


INTERNAL = "Kundin zahlt nicht; 社内メモ"


@pytest.mark.parametrize(("persona", "finds"), SEES_CUSTOMERS_TICKET.items())
def test_internal_notes_match_for_staff_who_see_the_ticket_and_never_for_customers(
    personas: Personas, english: Ticket, persona: str, finds: bool
) -> None:
    actions.do_add_note(ticket=english, agent=personas.agent, text=INTERNAL, now=NOW)
    person = getattr(personas, persona)
    staff = persona not in ("customer", "same_org_customer", "other_org_customer")
    for query in ("zahlt", "社内メモ", "社内", "cache zahlt"):
        hits = find(person, query)
        assert [hit.number for hit in hits] == ([english.number] if finds and staff else []), query
    # the customer's own search for their own words shows no note in its snippet
    assert all("zahlt" not in hit.snippet for hit in find(personas.customer, "cache"))


# -- the index follows the writes ---------------------------------------------------------------


def test_replies_notes_and_their_files_are_indexed_in_the_same_transaction(
    personas: Personas, english: Ticket
) -> None:
    actions.do_agent_reply(
        ticket=english, agent=personas.agent, text="Bitte den Browser neu starten.", now=NOW,
        uploads=(actions.Upload("手順書.pdf", "application/pdf", b"%PDF"),),
    )  # fmt: skip
    actions.do_customer_reply(ticket=english, customer=personas.customer, text="再起動しました", now=NOW)
    assert numbers(personas.customer, "browser") == [english.number]
    assert numbers(personas.customer, "手順書") == [english.number]
    assert numbers(personas.customer, "再起動") == [english.number]


def test_a_write_rolled_back_leaves_no_entry(personas: Personas, english: Ticket) -> None:
    before = Entry.objects.count()

    def note_then_fail() -> None:
        with transaction.atomic():
            actions.do_add_note(ticket=english, agent=personas.agent, text="vergessen", now=NOW)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        note_then_fail()
    assert Entry.objects.count() == before
    assert numbers(personas.agent, "vergessen") == []


def test_an_edited_message_is_found_by_its_new_text_only(personas: Personas, english: Ticket) -> None:
    message = english.messages.get()
    message.text = "Das Diagramm bleibt leer."
    message.save()
    assert numbers(personas.agent, "diagramm") == [english.number]
    assert numbers(personas.agent, "upgrade") == []


def test_a_renamed_requester_and_organisation_are_found_by_their_new_names(
    personas: Personas, english: Ticket
) -> None:
    personas.customer.name = "山田花子"
    personas.customer.save()
    organisation = english.organisation
    organisation.name = "雲株式会社"
    organisation.save()
    assert numbers(personas.agent, "山田") == [english.number]
    assert numbers(personas.agent, "雲株式") == [english.number]


def test_a_changed_subject_is_found_by_its_new_words(personas: Personas, english: Ticket) -> None:
    english.subject = "Diagramme leer"
    english.save()
    assert numbers(personas.agent, "diagramme") == [english.number]


def test_an_unknown_status_is_refused_in_the_readers_language(personas: Personas) -> None:
    with (
        translation.override("ja"),
        pytest.raises(QueryError, match="status:lost というステータスはありません"),
    ):
        find(personas.agent, "status:lost")


@pytest.mark.parametrize(
    ("text", "english", "japanese"),
    [
        ("created:soon", "created:soon is not a date", "created:soon は日付ではありません"),
        ("created:2026-02-30", "created:2026-02-30 is not a date", "created:2026-02-30 は日付ではありません"),
        ("status:", "status: needs a value", "status: には値が必要です"),
        ("org:", "org: needs a value", "org: には値が必要です"),
        ("#12 #13", "give one #number at a time", "#番号は一度に一つだけ"),
    ],
)
def test_the_reason_a_query_is_refused_is_in_the_readers_language(
    personas: Personas, text: str, english: str, japanese: str
) -> None:
    for language, expected in (("en", english), ("ja", japanese)):
        with translation.override(language), pytest.raises(QueryError) as refused:
            find(personas.agent, text)
        assert expected in str(refused.value)
