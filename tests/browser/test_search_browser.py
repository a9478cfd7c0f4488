"""Search in a browser, in English and Japanese: an agent types into the console's header box
and lands on the results across their queues; a customer searches "my tickets". Both pages
pass axe, and an internal note reaches neither the customer's results nor their snippets."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from policydesk.tickets import actions
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(
    ("locale", "query", "heading"), [("en-US", "ｷｬｯｼｭ", "Search"), ("ja-JP", "キャッシュ", "検索")]
)
def test_an_agent_searches_from_the_header_and_a_customer_from_my_tickets(
    live_server: Any, page_for: Any, desk: None, personas: Personas, locale: str, query: str, heading: str
) -> None:
    actions.do_update_profile(person=personas.agent, actor=None, now=CLOCK, language=locale[:2])
    actions.do_update_profile(person=personas.customer, actor=None, now=CLOCK, language=locale[:2])
    cache = open_ticket(
        personas.customer, now=CLOCK, subject="ダッシュボードが空", text="キャッシュを消しました"
    )
    open_ticket(personas.customer, now=CLOCK, subject="Invoice", text="請求書が届きません")
    actions.do_add_note(
        ticket=cache, agent=personas.agent, text="社内メモ: キャッシュ障害の既知の問題", now=CLOCK
    )

    agent = page_for(locale)
    sign_in(agent, live_server.url, personas.agent.email, "pw-" + personas.agent.email)
    box = agent.get_by_test_id("console-search")
    box.fill(query)
    with agent.expect_navigation():
        box.press("Enter")
    expect(agent.get_by_test_id("search-title")).to_have_text(heading)
    hit = agent.get_by_test_id(f"search-hit-{cache.number}")
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()
    assert agent.get_by_test_id("console-search").input_value() == query
    assert_accessible(agent)
    screenshot(agent, f"search-console-{locale[:2]}")
    hit.get_by_test_id("search-hit-link").click()
    expect(agent).to_have_url(f"{live_server.url}/console/tickets/{cache.number}/")

    customer = page_for(locale)
    sign_in(customer, live_server.url, personas.customer.email, "pw-" + personas.customer.email)
    customer.goto(f"{live_server.url}/tickets/")
    customer.get_by_test_id("ticket-search").fill("請求")
    with customer.expect_navigation():
        customer.get_by_test_id("ticket-search-submit").click()
    results = customer.get_by_test_id("search-results")
    expect(results.locator("mark")).to_have_text(["請求"])
    assert_accessible(customer)
    customer.get_by_test_id("ticket-search").fill("社内メモ")
    with customer.expect_navigation():
        customer.get_by_test_id("ticket-search-submit").click()
    expect(customer.get_by_test_id("search-empty")).to_be_visible()
    assert "既知の問題" not in customer.content()
