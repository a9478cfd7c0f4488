"""A ticket from the help center to the agent's queue and back, in a real browser (C3, C9, C10, C14).

A Japanese-speaking customer of an Enterprise organisation in Asia Pacific signs in with her
password, asks for help, and reads the promise in Japanese, in her zone (Asia/Tokyo). The
Singapore office's agent (C9: APAC -> Singapore) finds her ticket at the top of his queue,
although two tickets of the queue were opened before it: hers is due first (Enterprise: one
business day; Growth: two; Plus: no target, last). He answers; she reads the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from policydesk.display import format_instant
from policydesk.tickets import actions
from policydesk.tickets.models import Message, Person, Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YUI_PASSWORD = "sakura-no-hana-2026"
AGENT_PASSWORD = "lion-city-2026"
SUBJECT = "ダッシュボードのグラフが表示されません"
DESCRIPTION = "昨日から、売上ダッシュボードのグラフが空白のままです。ブラウザを変えても同じです。"
REPLY = "Thank you for the report: a cache on our side held the old data. Please reload the dashboard."


@dataclass(frozen=True)
class Journey:
    yui: Person
    singapore_agent: Person
    earlier_growth: Ticket  # same queue, opened earlier, due later
    no_target: Ticket  # same queue, Plus: no first-response target (C3), listed last
    other_office: Ticket  # Central Europe's queue: not the Singapore agent's


@pytest.fixture
def journey(desk: None, personas: Personas) -> Journey:
    admin = personas.admin
    singapore = actions.do_create_team(
        name="Singapore office", kind="office", office="singapore", actor=admin, now=CLOCK
    )
    yui = new_customer(
        "yui@sakura.example", "enterprise", "apac", organisation_name="Sakura Analytics KK",
        password=YUI_PASSWORD, name="佐藤 結衣", language="ja", time_zone="Asia/Tokyo",
        actor=admin, now=CLOCK,
    )  # fmt: skip
    agent = actions.do_create_person(
        email="wei@example.com", password=AGENT_PASSWORD, role="agent", name="Wei Lin",
        teams=(singapore,), actor=admin, now=CLOCK,
    )  # fmt: skip
    growth_customer = new_customer(
        "tan@merlion.example", "growth", "apac", organisation_name="Merlion Retail", actor=admin, now=CLOCK
    )
    plus_customer = new_customer(
        "aroha@kiwi.example", "plus", "apac", organisation_name="Kiwi Books", actor=admin, now=CLOCK
    )

    def opened(requester: Person, subject: str, hours_ago: int) -> Ticket:
        when = CLOCK - timedelta(hours=hours_ago)
        return open_ticket(requester, now=when, subject=subject, text="Please help.")

    return Journey(
        yui=yui,
        singapore_agent=agent,
        earlier_growth=opened(growth_customer, "Export to CSV times out", 1),
        no_target=opened(plus_customer, "Invoice shows the wrong address", 2),
        other_office=opened(personas.customer, "Login loop after password reset", 20),
    )


def test_japanese_customer_gets_a_promise_the_right_agent_answers_first_and_she_reads_it(
    live_server: Any, page_for: Any, journey: Journey
) -> None:
    base = live_server.url
    customer = page_for("ja-JP")

    # 1. She signs in with her password and asks for help (C14).
    sign_in(customer, base, journey.yui.email, YUI_PASSWORD)
    assert customer.url == f"{base}/tickets/"
    customer.get_by_test_id("nav-new-ticket").click()
    form = customer.get_by_test_id("ticket-form")
    topic = form.get_by_test_id("topic").locator("select")
    assert "トラブルシューティング" in topic.inner_text()  # the policy's topic names, in Japanese
    topic.select_option("troubleshooting")
    form.get_by_test_id("subject").locator("input").fill(SUBJECT)
    form.get_by_test_id("description").locator("textarea").fill(DESCRIPTION)
    screenshot(customer, "portal-new-ticket-ja")
    with customer.expect_navigation():
        form.get_by_test_id("ticket-submit").click()

    # ... and reads its promise: the due time in Japanese, in Asia/Tokyo (C3, C10).
    ticket = Ticket.objects.get(subject=SUBJECT)
    assert ticket.office == "singapore"
    assert ticket.first_response_due is not None
    assert customer.url == f"{base}/tickets/{ticket.number}/"
    # Enterprise: one business day (C3). Opened Tue 11:00 in Singapore, due Wed 11:00 there, 12:00 in Tokyo.
    # (the clock counts whole seconds: the due instant is the next whole second)
    assert timedelta(days=1) <= ticket.first_response_due - ticket.created_at < timedelta(days=1, seconds=1)
    due_in_tokyo = format_instant(ticket.first_response_due, "Asia/Tokyo", "ja")
    assert due_in_tokyo.startswith("2026年12月2日(水) 12:")
    promise = customer.get_by_test_id("promise")
    assert promise.get_attribute("data-kind") == "due"
    assert due_in_tokyo in customer.get_by_test_id("promise-text").inner_text()
    assert customer.get_by_test_id("ticket-due").inner_text() == due_in_tokyo
    assert customer.get_by_test_id("ticket-topic").inner_text() == "トラブルシューティング"
    assert DESCRIPTION in customer.get_by_test_id("message-text").first.inner_text()
    screenshot(customer, "portal-ticket-ja")

    # 2. The Singapore agent signs in and lands on his queue, her ticket first (due order).
    agent = page_for("en-US", width=1440)  # the console is a wide-screen tool
    sign_in(agent, base, journey.singapore_agent.email, AGENT_PASSWORD)
    assert agent.url == f"{base}/console/queues/singapore/"
    rows = agent.get_by_test_id("queue-row")
    listed = [int(number) for number in rows.evaluate_all("rows => rows.map(r => r.dataset.ticket)")]
    assert listed == [ticket.number, journey.earlier_growth.number, journey.no_target.number]
    assert journey.other_office.number not in listed
    assert rows.first.get_by_test_id("time-left-badge").get_attribute("data-state") == "ok"
    screenshot(agent, "console-queue")
    rows.first.get_by_test_id("ticket-subject").click()
    agent.wait_for_url(f"{base}/console/tickets/{ticket.number}/?queue=singapore")  # j / k walk this queue
    assert agent.get_by_test_id("ticket-subject").inner_text() == SUBJECT
    assert agent.get_by_test_id("ticket-queue").inner_text() == "Singapore"
    assert DESCRIPTION in agent.get_by_test_id("message-public").first.inner_text()
    reply_form = agent.get_by_test_id("composer")
    reply_form.locator("textarea").fill(REPLY)
    screenshot(agent, "console-ticket")
    with agent.expect_response(lambda response: response.url.endswith("/compose/")):
        reply_form.get_by_test_id("composer-send").click()
    assert agent.get_by_test_id("flash").first.get_attribute("data-level") == "success"
    assert agent.get_by_test_id("time-left-badge").get_attribute("data-state") == "answered"

    # The reply stopped the first-response clock (C10) and is public.
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.status == Ticket.Status.PENDING
    assert ticket.messages.filter(kind=Message.Kind.PUBLIC, author=journey.singapore_agent).count() == 1

    # 3. She reads the answer on her ticket page; the promise says it was kept.
    customer.reload()
    messages = customer.get_by_test_id("message")
    assert messages.count() == 2
    assert REPLY in messages.nth(1).get_by_test_id("message-text").inner_text()
    assert "Wei Lin" in messages.nth(1).get_by_test_id("message-author").inner_text()
    assert customer.get_by_test_id("promise").get_attribute("data-kind") == "answered"
    assert (
        format_instant(ticket.first_responded_at, "Asia/Tokyo", "ja")
        in customer.get_by_test_id("promise-text").inner_text()
    )
    screenshot(customer, "portal-ticket-answered-ja")
