"""Articles suggested on the request form as the customer types, and "This answered my question"
counted as a deflection by article, with nothing typed kept."""

from __future__ import annotations

import pytest
from django.test import Client

from policydesk.helpcentre import queries
from policydesk.helpcentre.models import ArticleCount
from policydesk.tickets.models import AuditEvent, Deflection, Ticket
from tests.conftest import Personas
from tests.helpcentre.sample import HelpCentre


@pytest.fixture
def customer(personas: Personas) -> Client:
    client = Client()
    client.force_login(personas.customer)
    return client


def test_pieces_are_words_and_pairs_of_japanese_characters(db: None) -> None:
    assert queries.pieces_of("グラフが空です Charts a") == [
        "ぐら",
        "らふ",
        "ふが",
        "が空",
        "空で",
        "です",
        "charts",
    ]


def test_suggestions_follow_what_is_typed_in_either_language(
    personas: Personas, help_centre: HelpCentre, customer: Client
) -> None:
    english = customer.get(
        "/help/suggest/", {"subject": "my charts are empty", "lang": "en"}
    ).content.decode()
    assert "When charts are empty" in english and 'data-testid="help-answered-' in english
    japanese = customer.get("/help/suggest/", {"subject": "グラフが空", "description": ""}).content.decode()
    assert "グラフが空になる場合" in japanese
    assert customer.get("/help/suggest/", {"subject": "invoice address"}).content.decode().strip() == ""
    assert customer.get("/help/suggest/").content.decode().strip() == ""


def test_suggestions_keep_to_the_customers_plan(
    personas: Personas, help_centre: HelpCentre, customer: Client
) -> None:
    assert (
        "Single sign-on" not in customer.get("/help/suggest/", {"subject": "single sign-on"}).content.decode()
    )
    other = Client()
    other.force_login(personas.other_org_customer)
    assert "Single sign-on" in other.get("/help/suggest/", {"subject": "single sign-on"}).content.decode()


def test_the_request_form_asks_for_suggestions_as_the_customer_types(
    personas: Personas, help_centre: HelpCentre, customer: Client
) -> None:
    page = customer.get("/tickets/new/").content.decode()
    assert 'hx-get="/help/suggest/"' in page and 'id="help-answered"' in page


def test_this_answered_my_question_counts_a_deflection_and_keeps_no_text(
    personas: Personas, help_centre: HelpCentre, customer: Client
) -> None:
    events = AuditEvent.objects.count()
    response = customer.post(
        "/help/answered/", {"article": help_centre.english.pk, "subject": "secret words"}
    )
    assert response["Location"] == "/help/en/articles/when-charts-are-empty/"
    assert "Glad it helped" in customer.get(response["Location"]).content.decode()
    row = ArticleCount.objects.get(article=help_centre.english)
    assert row.deflections == 1
    assert Ticket.objects.count() == 0 and AuditEvent.objects.count() == events
    assert not AuditEvent.objects.filter(data__icontains="secret").exists()
    assert not Deflection.objects.exists()  # nothing was sent, so no request is kept


@pytest.mark.parametrize("article", ["draft", "enterprise_only", "missing", "junk"])
def test_no_deflection_is_counted_for_an_article_the_customer_may_not_read(
    personas: Personas, help_centre: HelpCentre, customer: Client, article: str
) -> None:
    value = {"missing": "999999", "junk": "x"}.get(article) or getattr(help_centre, article).pk
    assert customer.post("/help/answered/", {"article": value}).status_code == 404
    assert customer.get("/help/answered/").status_code == 405
    assert (
        Client().post("/help/answered/", {"article": help_centre.english.pk}).status_code == 404
    )  # signed out
    assert not ArticleCount.objects.filter(deflections__gt=0).exists()
