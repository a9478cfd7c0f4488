"""The search box's language (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from policydesk.search.query import DateBound, QueryError, parse


def test_words_are_normalised_terms_that_all_must_match() -> None:
    query = parse("キャッシュ  ＡＢＣ Cache")
    assert query.terms == ("きゃっしゅ", "abc", "cache")
    assert query.filters == {} and query.numbers == () and query.ticket is None


def test_a_quoted_phrase_is_one_term_with_its_spaces() -> None:
    assert parse('"Cache  is EMPTY" now').terms == ("cache is empty", "now")


def test_hash_number_is_that_ticket_and_a_bare_number_is_a_number() -> None:
    assert parse("#1234").ticket == 1234
    bare = parse("1234")
    assert bare.ticket is None and bare.numbers == (1234,)


def test_two_different_hash_numbers_are_refused() -> None:
    with pytest.raises(QueryError):
        parse("#1 #2")


def test_filters_are_collected_by_name_with_quoted_values() -> None:
    query = parse('status:open status:pending plan:growth office:central-europe type:billing '
                  'assignee:me requester:hanna@kumo.example org:"Kumo Japan" 請求')  # fmt: skip
    assert query.filters == {
        "status": ("open", "pending"),
        "plan": ("growth",),
        "office": ("central-europe",),
        "type": ("billing",),
        "assignee": ("me",),
        "requester": ("hanna@kumo.example",),
        "org": ("Kumo Japan",),
    }
    assert query.terms == ("請求",)


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("created:>2026-11-01", DateBound(">", date(2026, 11, 1))),
        ("created:>=2026-11-01", DateBound(">=", date(2026, 11, 1))),
        ("created:<2026-11-01", DateBound("<", date(2026, 11, 1))),
        ("created:<=2026-11-01", DateBound("<=", date(2026, 11, 1))),
        ("created:2026-11-01", DateBound("=", date(2026, 11, 1))),
    ],
)
def test_created_takes_a_day_with_a_comparison(text: str, bound: DateBound) -> None:
    assert parse(text).created == (bound,)


@pytest.mark.parametrize("text", ["created:yesterday", "created:>2026-13-01", "status:", 'org:""'])
def test_a_filter_it_cannot_read_is_refused_with_a_reason(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


def test_a_colon_word_that_is_no_filter_is_text() -> None:
    assert parse("http://example.com 12:30").terms == ("http://example.com", "12:30")


def test_an_empty_query_is_empty() -> None:
    assert parse("   ").is_empty
    assert not parse("status:open").is_empty


def test_a_refusal_keeps_its_message_to_translate() -> None:
    with pytest.raises(QueryError) as refused:
        parse("created:soon")
    assert str(refused.value).startswith("created:soon is not a date")
    translated = refused.value.translated(lambda message: "» " + message)
    assert str(translated).startswith("» created:soon is not a date")
