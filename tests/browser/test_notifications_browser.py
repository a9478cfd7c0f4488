"""A customer's reply reaches the assigned agent: their console's counter moves without a reload
(the header polls every 30 seconds), and the notification is mailed (issue 11, "Agents are told")."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from policydesk.inbox.tasks import send_notification_mail
from policydesk.mail.models import OutgoingMail
from policydesk.mail.tasks import send_outgoing_mail
from policydesk.tickets import actions
from tests.browser.conftest import CLOCK, sign_in, singapore_agent
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customers_reply_reaches_the_agents_counter_and_email(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    # Singapore is open at CLOCK: the email is not held for office hours.
    wei = singapore_agent(personas, "pw-wei-2026")
    ken = new_customer("ken@apac.example", "growth", "apac", password="pw-ken-2026", actor=personas.admin)
    ticket = open_ticket(ken, now=CLOCK, subject="Export fails")
    actions.do_assign(ticket=ticket, assignee=wei, actor=personas.lead, now=CLOCK)
    assert send_notification_mail.call(wei.pk) == "recorded"  # the worker mails the assignment

    agent = page_for("en-US")
    agent.clock.install()  # the page's 30-second poll, run on demand
    sign_in(agent, live_server.url, wei.email, "pw-wei-2026")
    counter = agent.get_by_test_id("notification-count")
    expect(counter).to_have_text("1")

    customer = page_for("en-US")
    sign_in(customer, live_server.url, ken.email, "pw-ken-2026")
    customer.goto(f"{live_server.url}/tickets/{ticket.number}/")
    form = customer.get_by_test_id("reply-form")
    # The page keeps the typed text as a draft (workspace.js): let that save end before sending,
    # as a person typing does, so the two posts do not meet in the test's in-memory database.
    with customer.expect_response(lambda response: "/draft/" in response.url):
        form.locator("textarea").fill("The export still fails at 50%.")
    with customer.expect_navigation():
        form.get_by_test_id("reply-submit").click()

    url = agent.url
    agent.clock.run_for(31_000)
    expect(counter).to_have_text("2")
    assert agent.url == url  # no reload

    assert send_notification_mail.call(wei.pk) == "recorded"
    outgoing = OutgoingMail.objects.filter(kind="notice", recipient=wei.email).latest("pk")
    assert (
        outgoing.subject
        == f"[#{ticket.number}] ken@apac.example replied on ticket #{ticket.number}: Export fails"
    )
    send_outgoing_mail.call(outgoing.pk)
    sent = [m for m in mail.outbox if m.to == [wei.email]]
    assert "> The export still fails at 50%." in sent[-1].body

    agent.get_by_test_id("nav-notifications").click()
    assert agent.get_by_test_id("notification").count() == 2
    agent.get_by_test_id("notification").first.get_by_role("link").click()  # opening it marks it read
    expect(counter).to_be_hidden()
