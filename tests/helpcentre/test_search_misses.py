"""Help-centre searches that found nothing are counted per normalised query and day, with no
personal data: no person or session, no email address, no long number."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from policydesk.helpcentre.counting import count_search_miss, search_query_key
from policydesk.helpcentre.models import SearchMiss
from tests.conftest import NOW, Personas, signed_in
from tests.helpcentre.sample import HelpCentre


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("  SAML   Login ", "saml login"),
        ("ＳＡＭＬ　ログイン", "saml ログイン"),  # full width folded (NFKC), kana kept readable
        ("invoice for hanna@kumo.example", "invoice for [email]"),
        ("call me on +49 30 1234 5678", "call me on [number]"),
        ("error 404 in 2026", "error 404 in 2026"),  # short numbers are words people search for
        ("x" * 300, "x" * 100),
        ("   ", ""),
    ],
)
def test_the_query_kept_is_normalised_and_stripped_of_personal_data(typed: str, kept: str) -> None:
    assert search_query_key(typed) == kept


def test_a_search_with_no_result_is_counted_per_query_and_day(
    personas: Personas, help_centre: HelpCentre, client: Client
) -> None:
    for query in ("SAML login", "saml  LOGIN"):
        page = client.get("/help/search/", {"q": query})
        assert page.status_code == 200 and 'data-testid="help-no-results"' in page.content.decode()
    client.get("/help/search/", {"q": "charts"})  # found: not counted
    client.get("/help/search/", {"q": ""})  # nothing asked: not counted
    row = SearchMiss.objects.get()
    assert (row.query, row.searches) == ("saml login", 2)


def test_staff_searching_are_not_counted(personas: Personas, help_centre: HelpCentre) -> None:
    signed_in(personas.agent).get("/help/search/", {"q": "nothing like this"})
    assert not SearchMiss.objects.exists()
    signed_in(personas.customer).get("/help/search/", {"q": "nothing like this"})
    assert SearchMiss.objects.get().searches == 1


def test_each_day_has_its_own_row(db: None) -> None:
    count_search_miss("sso", NOW)
    count_search_miss("sso", NOW.replace(day=NOW.day + 1))
    assert sorted(SearchMiss.objects.values_list("day", "searches")) == [
        (NOW.date(), 1),
        (date(NOW.year, NOW.month, NOW.day + 1), 1),
    ]
