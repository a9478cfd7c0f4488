"""Writing help centre articles in the console: who may, the editor with its preview, publishing,
a translation, the history of who changed what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.helpcentre.models import Article
from tests.conftest import Personas
from tests.helpcentre.sample import HelpCentre, build

STAFF = ["agent", "lead", "admin"]


@pytest.fixture
def help_centre(personas: Personas) -> HelpCentre:
    return build(personas)


def client_for(personas: Personas, persona: str | None) -> Client:
    client = Client()
    if persona is not None:
        client.force_login(getattr(personas, persona))
    return client


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        (None, 302),
        ("customer", 404),
        ("other_org_customer", 404),
        ("agent", 200),
        ("lead", 200),
        ("admin", 200),
    ],
)
def test_only_staff_see_the_article_pages(
    personas: Personas, help_centre: HelpCentre, persona: str | None, status: int
) -> None:
    client = client_for(personas, persona)
    pk = help_centre.draft.pk
    for url in ("/console/articles/", "/console/articles/new/", f"/console/articles/{pk}/",
                f"/console/articles/{pk}/history/"):  # fmt: skip
        assert client.get(url).status_code == status, url
    client.post(f"/console/articles/{pk}/status/", {"status": "published"})
    help_centre.draft.refresh_from_db()
    assert help_centre.draft.is_published is (status == 200)


def form(help_centre: HelpCentre, **changes: object) -> dict[str, object]:
    body = "**管理** 画面から請求書をダウンロードします。"
    return {"language": "ja", "title": "請求書のダウンロード", "section": help_centre.section.pk,
            "body": body, "slug": "invoices", **changes}  # fmt: skip


@pytest.mark.parametrize("persona", STAFF)
def test_staff_write_preview_publish_and_translate(
    personas: Personas, help_centre: HelpCentre, persona: str
) -> None:
    client = client_for(personas, persona)
    preview = client.post("/console/articles/new/", {**form(help_centre), "preview": "1"})
    body = preview.content.decode()
    assert preview.status_code == 200 and "<strong>管理</strong>" in body
    assert not Article.objects.filter(slug="invoices").exists()  # a preview saves nothing
    saved = client.post("/console/articles/new/", form(help_centre))
    article = Article.objects.get(language="ja", slug="invoices")
    assert saved["Location"] == f"/console/articles/{article.pk}/" and article.status == "draft"
    assert Client().get("/help/ja/articles/invoices/").status_code == 404  # a draft
    client.post(f"/console/articles/{article.pk}/status/", {"status": "published"})
    assert "管理" in Client().get("/help/ja/articles/invoices/").content.decode()
    start = client.get(f"/console/articles/new/?translation_of={article.pk}").content.decode()
    assert '<option value="en" selected>' in start
    assert client.get("/console/articles/new/?translation_of=x").status_code == 200  # a plain new article
    client.post(
        "/console/articles/new/",
        form(help_centre, language="en", title="Downloading invoices", body="From **Admin**.", slug="",
             translation_of=article.pk),
    )  # fmt: skip
    english = Article.objects.get(language="en", translation_of=article)
    assert english.slug == "downloading-invoices" and english.status == "draft"
    history = client.get(f"/console/articles/{article.pk}/history/").content.decode()
    who = getattr(personas, persona).email
    assert history.count('data-testid="article-version"') == 2 and who in history


def test_a_bad_article_is_shown_again_with_why(personas: Personas, help_centre: HelpCentre) -> None:
    client = client_for(personas, "agent")
    taken = client.post("/console/articles/new/", form(help_centre, slug="empty-charts"))
    assert taken.status_code == 400 and "already has the slug empty-charts" in taken.content.decode()
    empty = client.post("/console/articles/new/", form(help_centre, title=""))
    assert empty.status_code == 400
    unknown = client.post("/console/articles/new/", form(help_centre, plans=["platinum"]))
    assert unknown.status_code == 400
    assert not Article.objects.filter(slug="invoices").exists()


def test_history_shows_the_texts_changes_escaped(personas: Personas, help_centre: HelpCentre) -> None:
    client = client_for(personas, "lead")
    article = help_centre.english
    client.post(
        f"/console/articles/{article.pk}/",
        form(help_centre, language="en", title=article.title, slug=article.slug, body="<b>new</b> text",
             translation_of=help_centre.japanese.pk),
    )  # fmt: skip
    history = client.get(f"/console/articles/{article.pk}/history/").content.decode()
    assert "<ins>+&lt;b&gt;new&lt;/b&gt; text</ins>" in history
    assert "<del>-Check the **connection**" in history


def test_the_article_list_reads_a_fixed_number_of_queries(
    personas: Personas, help_centre: HelpCentre
) -> None:
    client = client_for(personas, "lead")
    client.get("/console/articles/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/console/articles/", {"language": "en"})
    assert page.content.decode().count('data-testid="article-row"') == 3
    assert len(queries) <= 12, [q["sql"] for q in queries]
