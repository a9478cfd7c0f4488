"""The request form knows the plan, in a real browser (issue 14): a Starter customer sees what
their plan covers and where other questions go before typing, cannot pick a request type the
plan does not cover, and finds what they wrote, with the answer they got, under "My tickets".
In the in-product widget, articles are suggested as the customer types and "This answered my
question" is counted, inside the product's iframe and its Content-Security-Policy."""

from __future__ import annotations

import contextlib
import time
import uuid
from typing import Any

import pytest
from playwright.sync_api import Error as PlaywrightError

from policydesk.helpcentre.models import ArticleCount
from policydesk.portal import widget
from policydesk.tickets.models import Deflection, Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.browser.test_accessibility_browser import LANGUAGES, WIDTHS, audit
from tests.browser.test_widget_browser import SECRET, open_in_product, product_origin
from tests.conftest import Personas, new_customer
from tests.helpcentre.sample import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = {
    "en": ("What your plan (Starter) covers", "Upgrading to Growth", "How much would 40 users cost?"),
    "ja": (
        "ご契約のプラン（スターター）でサポートする内容",
        "グロースへの変更",
        "40ユーザーだといくらですか？",
    ),
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_starter_customer_sees_what_the_plan_covers_and_keeps_what_they_wrote(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str, width: int
) -> None:
    heading, subject, description = TEXT[lang]
    new_customer(
        "sue@starter.example", "starter", "emea", organisation_name="Sue's shop", password="pw-sue",
        actor=personas.admin, now=CLOCK,
    )  # fmt: skip
    base = live_server.url
    problems: list[str] = []
    page = page_for(LANGUAGES[lang], width)
    sign_in(page, base, "sue@starter.example", "pw-sue")
    page.goto(f"{base}/tickets/new/")

    # Before typing: the plan's scope, above the form's first field, in view.
    scope = page.get_by_test_id("plan-scope")
    assert scope.get_by_role("heading", level=2).inner_text() == heading
    scope_box, topic_box = scope.bounding_box(), page.locator("#id_topic").bounding_box()
    assert scope_box is not None and topic_box is not None and scope_box["y"] < topic_box["y"]
    assert scope_box["y"] < page.viewport_size["height"]
    routes = scope.get_by_test_id("plan-elsewhere-topics")
    assert routes.evaluate_all("items => items.map(i => i.dataset.routeKind)") == [
        "community",
        "sales",
        "feedback-form",
    ]
    assert (
        scope.get_by_test_id("plan-route-url").first.get_attribute("href") == "https://community.example.com"
    )
    offered = page.locator("#id_topic option").evaluate_all("options => options.map(o => o.value)")
    assert "bug-report-critical" in offered and "troubleshooting" not in offered
    audit(page, lang, problems)
    if width == 1366:
        screenshot(page, f"portal-plan-aware-form-{lang}")

    # A plan question: sent to sales (C17), and what was written stays.
    page.locator("#id_topic").select_option("plan-question")
    page.locator("#id_subject").fill(subject)
    page.locator("#id_description").fill(description)
    with page.expect_navigation():
        page.get_by_test_id("ticket-submit").click()
    assert page.get_by_test_id("deflection").get_attribute("data-route-kind") == "sales"
    assert page.get_by_test_id("deflected-text").inner_text() == description
    audit(page, lang, problems)
    assert not Ticket.objects.exists()

    page.get_by_test_id("nav-tickets").click()
    row = page.get_by_test_id(f"deflected-row-{Deflection.objects.get().pk}")
    assert subject in row.inner_text() and "global-sdr@example.com" in row.inner_text()
    audit(page, lang, problems)
    if width == 1366:
        screenshot(page, f"portal-deflected-requests-{lang}")
    with page.expect_navigation():
        row.get_by_test_id("deflected-subject-link").click()
    assert page.get_by_test_id("deflected-subject").inner_text() == subject
    assert page.get_by_test_id("deflected-text").inner_text() == description
    assert problems == []


def kumo_token(personas: Personas) -> str:
    """The product's token for the customer of Kumo, valid five minutes."""
    claims = {"email": personas.customer.email, "org": "Kumo", "exp": int(time.time()) + 300}
    return widget.mint_token({**claims, "nonce": uuid.uuid4().hex}, SECRET)


def suggestions_ready(page: Any) -> None:
    """Wait until the widget's page has loaded htmx (a deferred script) and bound the suggestion
    triggers: what is typed before that sends nothing, on a busy machine for seconds."""
    frame = page.locator("[data-testid=policydesk-widget-frame]").element_handle().content_frame()
    frame.wait_for_function("() => document.readyState === 'complete' && window.htmx !== undefined")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_widget_suggests_articles_and_counts_the_one_that_answered(
    live_server: Any, page_for: Any, desk: None, personas: Personas, settings: Any, lang: str
) -> None:
    centre = build(personas)
    origin = product_origin(live_server, settings)
    personas.customer.language = lang
    personas.customer.save(update_fields=["language"])
    token = kumo_token(personas)
    page = page_for(LANGUAGES[lang])
    frame = open_in_product(page, live_server, origin, token)
    suggestions_ready(page)
    frame.locator("#id_subject").press_sequentially("グラフが空" if lang == "ja" else "charts are empty")
    expected = centre.japanese if lang == "ja" else centre.english
    suggestion = frame.get_by_test_id("help-suggestion").first
    suggestion.wait_for()
    assert suggestion.get_by_test_id("help-suggestion-link").inner_text() == expected.title
    screenshot(page, f"widget-suggestions-{lang}")
    frame.get_by_test_id(f"help-answered-{expected.pk}").click()
    frame.get_by_test_id("widget-answered").wait_for()
    assert ArticleCount.objects.get(article=expected).deflections == 1
    assert not Ticket.objects.exists() and not Deflection.objects.exists()


def test_an_answer_to_what_was_typed_earlier_never_stops_the_answer_to_what_was_typed_last(
    live_server: Any, page_for: Any, desk: None, personas: Personas, settings: Any
) -> None:
    """A customer who pauses mid-sentence starts a suggestion request; if it is still on its way
    when they finish, the request for the whole sentence goes out and wins (htmx's default would
    drop it, leaving the suggestions of the half sentence: the flake CI caught on a busy machine)."""
    centre = build(personas)
    origin = product_origin(live_server, settings)
    token = kumo_token(personas)
    page = page_for(LANGUAGES["en"])
    held: list[Any] = []

    def hold_the_first(route: Any) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/widget/suggest/", hold_the_first)
    frame = open_in_product(page, live_server, origin, token)
    suggestions_ready(page)
    frame.locator("#id_subject").press_sequentially("zzz")
    for _ in range(200):  # the pause: its request is sent, and held on its way
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the pause sent no suggestion request"
    frame.locator("#id_subject").press_sequentially(" charts are empty")
    suggestion = frame.get_by_test_id("help-suggestion").first
    suggestion.wait_for(timeout=10_000)
    assert suggestion.get_by_test_id("help-suggestion-link").inner_text() == centre.english.title
    with contextlib.suppress(PlaywrightError):  # refused: the browser has given that request up
        held[0].continue_()
    page.wait_for_timeout(300)
    assert frame.get_by_test_id("help-suggestion").count() == 1
