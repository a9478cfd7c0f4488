"""An agent takes a request down by phone for a customer, and corrects a ticket's request type
(triage runs again and the due time moves)."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets.models import Message, Person, Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_opens_a_starter_customers_critical_bug_by_phone(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    """The issue's case: by email this Starter request is deflected (C2); by phone, entered with
    its real type, it is a ticket the customer is told about."""
    new_customer("kai@smallshop.example", "starter", "emea", name="Kai", actor=personas.admin, now=CLOCK)
    page = page_for("en-US")
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/")
    page.get_by_test_id("nav-ticket-new").click()
    page.get_by_test_id("customer-search-input").fill("kai")
    with page.expect_navigation():
        page.get_by_test_id("customer-search-submit").click()
    with page.expect_navigation():
        page.get_by_test_id("customer-choose").click()
    form = page.get_by_test_id("ticket-new-form")
    assert form.locator("#id_new_requester").input_value() == "kai@smallshop.example"
    form.locator("input[name=channel][value=phone]").check()
    form.locator("#id_new_topic").select_option("bug-report-critical")
    form.locator("#id_new_subject").fill("Nobody can sign in")
    form.locator("#id_new_text").fill("Kai called: every sign-in fails since 10:40.")
    with page.expect_navigation():
        form.get_by_test_id("ticket-new-submit").click()
    ticket = Ticket.objects.get()
    assert page.url == f"{live_server.url}/console/tickets/{ticket.number}/"
    assert page.get_by_test_id("ticket-channel").inner_text() == "Phone"
    assert page.get_by_test_id("ticket-requester").inner_text().startswith("Kai")
    assert "Entered by jonas@example.com" in page.get_by_test_id("message-internal").inner_text()
    assert ticket.messages.filter(kind=Message.Kind.INTERNAL, author=personas.agent).exists()
    screenshot(page, "console-agent-opened-by-phone")


def test_a_request_type_change_moves_the_due_time(
    live_server: Any, page_for: Any, desk: None, personas: Personas, premium_customer: Person
) -> None:
    ticket = open_ticket(premium_customer, "bug-report", now=CLOCK, subject="Exports time out")
    page = page_for("en-US")
    sign_in(page, live_server.url, "priya@example.com", "pw-priya@example.com")
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    due_before = page.get_by_test_id("ticket-due").inner_text()
    form = page.get_by_test_id("request-type-form")
    form.locator("#id_request_type_topic").select_option("bug-report-critical")
    page.evaluate("window.stillTheSamePage = true")
    with page.expect_response(lambda response: response.url.endswith("/request-type/")):
        form.get_by_test_id("request-type-submit").click()
    page.get_by_test_id("flash").wait_for()
    assert page.evaluate("window.stillTheSamePage === true")  # updated in place (htmx), not reloaded
    said = page.get_by_test_id("flash").inner_text()
    assert "Due time moved from" in said and "mission-critical (C6)" in said
    assert page.get_by_test_id("ticket-due").inner_text() != due_before
    assert page.get_by_test_id("mission-critical-flag").is_visible()
    ticket.refresh_from_db()
    assert ticket.mission_critical and ticket.topic == "bug-report-critical"
    screenshot(page, "console-request-type-changed")
