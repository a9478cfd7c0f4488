"""A macro picked in the composer, in a real browser (issue 13): `m` opens the picker, the search
narrows it as you type, choosing one applies its changes and puts its reply into the composer in
place, with the placeholder that had no value shown; then the agent sends it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.macros.actions import MacroFields, do_save_macro
from policydesk.macros.models import Macro
from policydesk.tickets.models import Message, Ticket
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_picks_a_macro_in_the_composer_and_sends_it(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    ticket = open_ticket(personas.customer, subject="Charts are empty", now=CLOCK - timedelta(hours=1))
    for title, text in (
        ("Ask for a browser trace", "Could you send a browser trace for #{{ ticket.number }}? "
                                    "Your executive {{ organisation.account_executive }} is copied."),
        ("Thanks and close", "Thank you!"),
    ):  # fmt: skip
        fields = MacroFields(title=title, scope="shared", text_en=text, set_priority="high")
        do_save_macro(macro=None, fields=fields, actor=personas.lead, now=CLOCK - timedelta(days=1))
    page = page_for("en-US", 1366)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    page.evaluate("window.stillTheSamePage = true")

    choices = page.get_by_test_id("macro-apply")
    page.keyboard.press("m")
    choices.filter(has_text="Thanks and close").wait_for()  # the list, asked for as the picker opens
    search = page.get_by_test_id("macro-search")
    assert search.is_visible() and page.evaluate("document.activeElement.id") == "macro-search"
    with page.expect_response(lambda response: "/macros/?q=" in response.url):
        search.type("trace")
    choices.filter(has_text="Thanks and close").wait_for(state="detached")
    assert choices.all_inner_texts() == ["Ask for a browser trace"]
    screenshot(page, "macro-picker-en")
    assert_accessible(page)

    with page.expect_response(lambda response: response.url.endswith("/apply/")):
        choices.first.click()
    missing = page.get_by_test_id("macro-missing")
    missing.wait_for()
    assert "organisation.account_executive" in missing.inner_text()
    text = page.get_by_test_id("composer").locator("textarea")
    assert text.input_value().startswith(f"Could you send a browser trace for #{ticket.number}?")
    assert page.evaluate("window.stillTheSamePage === true")  # in place
    assert page.get_by_test_id("ticket-priority").inner_text() == "High"  # the macro's change
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"

    text.fill(f"Could you send a browser trace for #{ticket.number}? Thank you.")
    with page.expect_response(lambda response: response.url.endswith("/compose/")):
        page.get_by_test_id("composer-send").click()
    page.get_by_test_id("flash").get_by_text("Reply sent to the customer.").wait_for()
    sent = Message.objects.get(ticket=ticket, author=personas.agent)
    assert sent.text == f"Could you send a browser trace for #{ticket.number}? Thank you."
    assert Macro.objects.get(title="Ask for a browser trace").usage_count == 1


def test_the_picker_in_japanese(desk: None, personas: Personas, page_for: Any, live_server: Any) -> None:
    ticket = open_ticket(personas.customer, subject="グラフが空です", now=CLOCK - timedelta(hours=1))
    for title in ("ブラウザのトレースを依頼", "お礼してクローズ"):
        fields = MacroFields(title=title, scope="shared", text_en="Hi", text_ja="こんにちは")
        do_save_macro(macro=None, fields=fields, actor=personas.lead, now=CLOCK - timedelta(days=1))
    page = page_for("ja-JP", 1366)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/?lang=ja")
    choices = page.get_by_test_id("macro-apply")
    page.keyboard.press("m")
    choices.filter(has_text="お礼してクローズ").wait_for()
    with page.expect_response(lambda response: "/macros/?q=" in response.url):
        page.get_by_test_id("macro-search").type("トレース")
    choices.filter(has_text="お礼してクローズ").wait_for(state="detached")
    assert choices.all_inner_texts() == ["ブラウザのトレースを依頼"]
    screenshot(page, "macro-picker-ja")
    assert_accessible(page)
