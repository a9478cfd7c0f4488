"""The public help centre with the Django client: every persona, both languages, restrictions,
and a hostile article whose HTML must come out harmless."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.helpcentre.actions import ArticleFields, do_save_article
from policydesk.helpcentre.models import ArticleCount
from tests.conftest import NOW, Personas
from tests.helpcentre.sample import HelpCentre, publish

PERSONAS = [None, "customer", "other_org_customer", "agent", "lead"]


def client_for(personas: Personas, persona: str | None) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(getattr(personas, persona))
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_home_is_the_help_centre_for_everyone(
    personas: Personas, help_centre: HelpCentre, persona: str | None
) -> None:
    response = client_for(personas, persona).get("/", {"lang": "en"})
    body = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "en"
    assert 'data-testid="help-category-getting-started"' in body and "Getting started" in body
    assert 'data-testid="help-search-form"' in body and 'data-testid="help-contact-support"' in body
    assert 'href="/policy/?lang=en"' in body
    assert ('data-testid="nav-signin"' in body) is (persona is None)  # one click away
    assert "When charts are empty" in body  # popular
    assert "Unreleased exports" not in body  # a draft
    assert ("Single sign-on" in body) is (persona in ("other_org_customer", "agent", "lead"))


def test_home_speaks_japanese(personas: Personas, help_centre: HelpCentre) -> None:
    body = Client().get("/", {"lang": "ja"}).content.decode()
    assert "はじめに" in body and "グラフが空になる場合" in body and "When charts are empty" not in body
    assert 'href="/help/ja/sections/dashboards/"' in body


@pytest.mark.parametrize(
    ("persona", "status"),
    [(None, 302), ("customer", 404), ("other_org_customer", 200), ("agent", 200), ("lead", 200)],
)
def test_a_plan_article_is_for_its_plans_customers_and_staff(
    personas: Personas, help_centre: HelpCentre, persona: str | None, status: int
) -> None:
    url = f"/help/en/articles/{help_centre.enterprise_only.slug}/"
    response = client_for(personas, persona).get(url)
    assert response.status_code == status
    if status == 302:
        assert response["Location"] == f"/signin/?next={url}"
    if status == 200:
        assert "Enterprise customers set up SSO here." in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_public_article_pages_in_both_languages(
    personas: Personas, help_centre: HelpCentre, persona: str | None
) -> None:
    client = client_for(personas, persona)
    japanese = client.get("/help/ja/articles/empty-charts/")
    body = japanese.content.decode()
    assert japanese.status_code == 200 and japanese["Content-Language"] == "ja"
    assert '<html lang="ja">' in body and "<strong>接続</strong>" in body
    assert "最終更新" in body and "2026年12月1日" in body
    assert 'href="/help/en/articles/when-charts-are-empty/"' in body  # the translation
    english = client.get("/help/en/articles/when-charts-are-empty/").content.decode()
    assert "Last updated" in english and 'href="/help/ja/articles/empty-charts/"' in english
    counted = ArticleCount.objects.filter(article=help_centre.japanese, views=1).exists()
    assert counted is (persona in (None, "customer", "other_org_customer"))  # staff views are not counted


@pytest.mark.parametrize(
    "url",
    [
        "/help/en/articles/unreleased-exports/",  # a draft
        "/help/ja/articles/when-charts-are-empty/",  # the slug of the other language
        "/help/de/articles/empty-charts/",
        "/help/en/categories/nowhere/",
        "/help/en/sections/nowhere/",
    ],
)
def test_drafts_and_unknown_pages_are_404(personas: Personas, help_centre: HelpCentre, url: str) -> None:
    assert client_for(personas, "lead").get(url).status_code == 404


def test_category_and_section_pages_list_what_the_reader_may_read(
    personas: Personas, help_centre: HelpCentre
) -> None:
    anonymous = Client()
    category = anonymous.get("/help/en/categories/getting-started/").content.decode()
    assert (
        "Dashboards" in category and "When charts are empty" in category and "Single sign-on" not in category
    )
    assert 'href="/help/ja/categories/getting-started/"' in category
    section = client_for(personas, "other_org_customer").get("/help/ja/sections/dashboards/").content.decode()
    assert (
        "ダッシュボード" in section and "グラフが空になる場合" in section and "Single sign-on" not in section
    )


def test_search_puts_the_readers_language_first(personas: Personas, help_centre: HelpCentre) -> None:
    body = Client().get("/help/search/", {"q": "キャッシュ", "lang": "en"}).content.decode()
    assert 'data-testid="help-result-ja-empty-charts"' in body
    none = Client().get("/help/search/", {"q": "<b>nothing</b>", "lang": "en"}).content.decode()
    assert 'data-testid="help-no-results"' in none and "&lt;b&gt;nothing&lt;/b&gt;" in none
    assert "SSO" not in Client().get("/help/search/", {"q": "sso"}).content.decode()


def test_pages_read_a_fixed_number_of_queries(personas: Personas, help_centre: HelpCentre) -> None:
    client = client_for(personas, "customer")
    client.get("/")
    for _ in range(5):
        publish(
            do_save_article(
                article=None, actor=personas.agent, now=NOW,
                fields=ArticleFields(section=help_centre.section, language="en", title=f"More {_}"),
            ),
            personas,
        )  # fmt: skip
    for url in ("/", "/help/en/categories/getting-started/", "/help/en/sections/dashboards/"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert len(queries) <= 8, (url, [q["sql"] for q in queries])


HOSTILE = """# Totally normal

<script>alert('x')</script>

<img src=x onerror="alert(1)">

[click me](javascript:alert(1))

[also](JaVaScRiPt:alert(1)) and [data](data:text/html;base64,PHNjcmlwdD4=)

![pic](javascript:alert(1) "t")

<a href="https://example.com" onclick="alert(1)">raw link</a>

[fine](https://example.com/ok)
"""


def test_a_hostile_article_renders_harmless(personas: Personas, help_centre: HelpCentre) -> None:
    article = publish(
        do_save_article(
            article=None, actor=personas.agent, now=NOW,
            fields=ArticleFields(
                section=help_centre.section, language="en", title="<script>x</script>", body=HOSTILE
            ),
        ),
        personas,
    )  # fmt: skip
    body = Client().get(f"/help/en/articles/{article.slug}/").content.decode()
    shown = body.split('data-testid="help-body">', 1)[1].split("</div>", 1)[0]
    tags = Tags()
    tags.feed(shown)
    names = {name for name, _ in tags.seen}
    attributes = [(name, key, value or "") for name, attrs in tags.seen for key, value in attrs]
    assert names <= {"h2", "p", "a"}, names  # no script, no img: raw HTML is shown as text
    assert [key for _, key, _ in attributes if key.startswith("on")] == []
    links = [value for _, key, value in attributes if key in ("href", "src")]
    assert links == ["https://example.com/ok"]  # javascript: and data: links are not links
    assert '<a href="https://example.com/ok" rel="noopener noreferrer nofollow">fine</a>' in shown
    assert "<h2>Totally normal</h2>" in shown
    assert "&lt;script&gt;x&lt;/script&gt;</h1>" in body


class Tags(HTMLParser):
    """The tags and attributes of an HTML fragment, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.seen.append((tag, attrs))
