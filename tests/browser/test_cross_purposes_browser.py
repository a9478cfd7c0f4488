"""No two agents at cross purposes, and nothing typed is lost, in a real browser: two agents on
one ticket (the second sees the first, is warned, and the customer gets one reply), and a reply
draft that survives an expired session."""

from __future__ import annotations

import re
from typing import Any

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import Message
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_two_agents_on_one_ticket_the_second_is_warned(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    ticket = open_ticket(personas.customer, now=CLOCK)
    url = f"{live_server.url}/console/tickets/{ticket.number}/"
    jonas, lead = page_for(), page_for()
    sign_in(jonas, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    sign_in(lead, live_server.url, "lead@example.com", "pw-lead@example.com")
    jonas.goto(url)
    lead.goto(url)
    lead.get_by_test_id("presence").get_by_text("jonas@example.com is viewing").wait_for()
    jonas.get_by_test_id("composer").locator("textarea").fill("Please restart the agent.")

    lead.get_by_test_id("composer").locator("textarea").fill("We are looking into it.")
    with lead.expect_response(lambda response: response.url.endswith("/compose/")):
        lead.get_by_test_id("composer-send").click()  # in place (htmx): no new page
    lead.get_by_test_id("flash").get_by_text("Reply sent to the customer.").wait_for()
    mails = OutgoingMail.objects.filter(ticket=ticket).count()

    with jonas.expect_response(lambda response: response.url.endswith("/compose/")) as held:
        jonas.get_by_test_id("composer-send").click()
    assert held.value.status == 409
    stale = jonas.get_by_test_id("stale")
    assert "lead@example.com replied at" in stale.inner_text()
    assert jonas.get_by_test_id("composer").locator("textarea").input_value() == "Please restart the agent."
    assert jonas.get_by_test_id("send-anyway").is_visible()
    screenshot(jonas, "console-stale-warning")
    assert OutgoingMail.objects.filter(ticket=ticket).count() == mails
    assert not Message.objects.filter(text="Please restart the agent.").exists()

    # Read, then confirmed: sent once, and the customer gets that one reply more.
    with jonas.expect_response(lambda response: response.url.endswith("/compose/")):
        jonas.get_by_test_id("send-anyway").click()
    jonas.get_by_test_id("flash").get_by_text("Reply sent to the customer.").wait_for()
    assert Message.objects.filter(text="Please restart the agent.").count() == 1
    assert OutgoingMail.objects.filter(ticket=ticket).count() == mails + 1


def test_a_draft_survives_an_expired_session(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    ticket = open_ticket(personas.customer, now=CLOCK)
    page = page_for()
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    box = page.get_by_test_id("composer").locator("textarea")
    saved = lambda response: (  # noqa: E731
        response.url.endswith("/draft/") and "Half-written answer" in (response.request.post_data or "")
    )
    with page.expect_response(saved):
        box.press_sequentially("Half-written answer", delay=5)

    page.context.clear_cookies()  # the session expired
    page.reload()
    assert "/signin/" in page.url
    form = page.get_by_test_id("signin-password-form")
    form.get_by_test_id("signin-email").locator("input").fill("jonas@example.com")
    form.get_by_test_id("signin-password").locator("input").fill("pw-jonas@example.com")
    with page.expect_navigation():
        form.get_by_test_id("signin-submit").click()
    page.wait_for_url(re.compile(rf"/console/tickets/{ticket.number}/$"))
    assert page.get_by_test_id("composer").locator("textarea").input_value() == "Half-written answer"
