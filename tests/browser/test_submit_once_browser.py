"""Every form submits once, in a real browser: a double click on "Send request" opens one
ticket with one acknowledgement (before issue 11, two clicks 40 ms apart opened two), and the
same form sent twice (our script not running: a resubmit) opens one too."""

from __future__ import annotations

import re
from typing import Any

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets.models import Ticket
from tests.browser.conftest import CLOCK, sign_in
from tests.conftest import Personas, new_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "mia@double.example"
PASSWORD = "double-click-2026"
# One after the other: the live server shares one SQLite connection between its threads, so
# two at the same moment are tested on PostgreSQL (tests/tickets/test_once.py).
TWO_POSTS = """async form => {
  const answers = [];
  for (const _ of [1, 2]) {
    const options = {method: "POST", body: new FormData(form), redirect: "manual"};
    const answer = await fetch(form.action || location.href, options);
    answers.push(answer.type);
  }
  return answers;
}"""


def request_form(page: Any, base_url: str) -> Any:
    new_customer(EMAIL, "growth", "emea", password=PASSWORD, now=CLOCK)
    sign_in(page, base_url, EMAIL, PASSWORD)
    page.goto(f"{base_url}/tickets/new/")
    form = page.get_by_test_id("ticket-form")
    form.get_by_test_id("topic").locator("select").select_option("troubleshooting")
    form.get_by_test_id("subject").locator("input").fill("Charts are empty")
    form.get_by_test_id("description").locator("textarea").fill("Since this morning.")
    return form


def assert_one_ticket_one_mail() -> Ticket:
    ticket = Ticket.objects.get()
    assert OutgoingMail.objects.filter(ticket=ticket).count() == 1
    return ticket


def test_a_double_click_opens_one_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    page = page_for()
    form = request_form(page, live_server.url)
    form.get_by_test_id("ticket-submit").dblclick(delay=40)
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = assert_one_ticket_one_mail()
    assert page.url.endswith(f"/tickets/{ticket.number}/")


def test_the_same_form_sent_twice_opens_one_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    page = page_for()
    page.route("**/desk.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    form = request_form(page, live_server.url)
    assert form.evaluate(TWO_POSTS) == ["opaqueredirect", "opaqueredirect"]  # both answered 302
    assert_one_ticket_one_mail()


def test_a_reply_sent_after_the_session_ended_keeps_the_text(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    page = page_for("ja-JP")
    request_form(page, live_server.url).get_by_test_id("ticket-submit").click()
    page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    page.get_by_test_id("reply-text").locator("textarea").fill("長い返信の下書きです。")
    page.context.clear_cookies()  # the session and the form's token are gone
    page.get_by_test_id("reply-form").locator("button[type=submit]").click()
    kept = page.get_by_test_id("kept-text-field")
    assert kept.input_value() == "長い返信の下書きです。"
    assert page.get_by_test_id("error-title").inner_text() == "このフォームは期限切れです"
    assert page.get_by_test_id("error-signin").is_visible()
