"""The help centre in a real browser (issue 14): an agent writes a Japanese article, previews it,
publishes it, writes and publishes its English translation, and a visitor reads both without
signing in; a customer typing on the request form is offered an article and leaves without a
ticket, counted as a deflection; every help centre page passes axe-core in both languages at
375 px and 1366 px."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.helpcentre.actions import do_save_category, do_save_section
from policydesk.helpcentre.models import ArticleCount
from policydesk.tickets.models import Ticket
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.browser.test_accessibility_browser import LANGUAGES, WIDTHS, check
from tests.conftest import Personas
from tests.helpcentre.sample import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JAPANESE_BODY = (
    "## 手順\n\n1. **管理** を開きます\n2. 請求書をダウンロードします\n\n<script>alert(1)</script>"
)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_an_agent_writes_previews_and_publishes_an_article_with_its_translation(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str
) -> None:
    category = do_save_category(
        category=None, slug="billing", name_en="Billing", name_ja="請求", actor=personas.lead, now=CLOCK
    )
    do_save_section(
        section=None, category=category, slug="invoices", name_en="Invoices", name_ja="請求書",
        actor=personas.lead, now=CLOCK,
    )  # fmt: skip
    base = live_server.url
    page = page_for(LANGUAGES[lang], 1366)
    sign_in(page, base, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{base}/console/")
    page.get_by_test_id("nav-articles").click()
    page.get_by_test_id("article-new").click()
    page.locator("#id_language").select_option("ja")
    page.locator("#id_title").fill("請求書のダウンロード")
    page.locator("#id_section").select_option(label="請求 › 請求書" if lang == "ja" else "Billing › Invoices")
    page.locator("#id_body").fill(JAPANESE_BODY)
    page.locator("#id_slug").fill("invoices")
    page.get_by_test_id("article-preview-button").click()
    preview = page.get_by_test_id("article-preview-body")
    preview.locator("strong", has_text="管理").wait_for()
    assert preview.locator("script").count() == 0 and "<script>" in preview.inner_text()
    assert_accessible(page)
    screenshot(page, f"help-centre-editor-{lang}")
    page.get_by_test_id("article-save").click()
    page.get_by_test_id("article-publish").click()
    assert page.get_by_test_id("article-status").inner_text() == ("公開中" if lang == "ja" else "Published")

    page.get_by_test_id("article-translate").click()
    assert page.locator("#id_language").input_value() == "en"
    page.locator("#id_title").fill("Downloading invoices")
    page.locator("#id_body").fill("## Steps\n\n1. Open **Admin**\n2. Download the invoice")
    page.get_by_test_id("article-preview-button").click()
    page.get_by_test_id("article-preview-body").locator("strong", has_text="Admin").wait_for()
    page.get_by_test_id("article-save").click()
    page.get_by_test_id("article-publish").click()
    page.get_by_test_id("article-history-link").click()
    assert page.get_by_test_id("article-version").count() == 2
    assert_accessible(page)

    visitor = page_for(LANGUAGES[lang], 375)
    visitor.goto(f"{base}/help/ja/articles/invoices/")
    assert visitor.get_attribute("html", "lang") == "ja"
    visitor.get_by_test_id("help-body").locator("strong", has_text="管理").wait_for()
    visitor.get_by_test_id("help-translation").click()
    visitor.wait_for_url("**/help/en/articles/downloading-invoices/")
    assert "Open Admin" in visitor.get_by_test_id("help-body").inner_text()
    assert visitor.get_attribute("html", "lang") == "en"
    assert_accessible(visitor)
    screenshot(visitor, f"help-centre-article-{lang}")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_help_centre_page_passes_axe_and_fits(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str, width: int
) -> None:
    build(personas)
    base = live_server.url
    problems: list[str] = []
    visitor = page_for(LANGUAGES[lang], width)
    for path in (
        f"/?lang={lang}", f"/help/search/?q=charts&lang={lang}", f"/help/search/?q=nothing-here&lang={lang}",
        f"/help/{lang}/categories/getting-started/", f"/help/{lang}/sections/dashboards/",
        "/help/ja/articles/empty-charts/" if lang == "ja" else "/help/en/articles/when-charts-are-empty/",
    ):  # fmt: skip
        check(visitor, base + path, lang, problems)
    if width == 1366:
        visitor.goto(f"{base}/?lang={lang}")
        screenshot(visitor, f"help-centre-home-{lang}")
    assert problems == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_customer_finds_an_article_from_the_form_and_leaves_without_a_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str
) -> None:
    centre = build(personas)
    page = page_for(LANGUAGES[lang], 375)
    sign_in(page, live_server.url, "hanna@kumo.example", "pw-hanna@kumo.example")
    page.goto(f"{live_server.url}/tickets/new/")
    page.locator("#id_subject").press_sequentially("グラフが空" if lang == "ja" else "charts are empty")
    suggestion = page.get_by_test_id("help-suggestion").first
    suggestion.wait_for()
    expected = centre.japanese if lang == "ja" else centre.english
    assert suggestion.get_by_test_id("help-suggestion-link").inner_text() == expected.title
    assert_accessible(page)
    screenshot(page, f"help-centre-suggestions-{lang}")
    with page.expect_navigation():
        page.get_by_test_id(f"help-answered-{expected.pk}").click()
    assert page.url.endswith(f"/help/{expected.language}/articles/{expected.slug}/")
    page.get_by_test_id("messages").wait_for()
    assert ArticleCount.objects.get(article=expected).deflections == 1
    assert not Ticket.objects.exists()
