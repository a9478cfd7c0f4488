"""The Singapore agent sets their time zone on the profile page and the queue's due times move
to Singapore time (issue 11: "today a Singapore agent reads UTC")."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets.models import Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in, singapore_agent
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-wei-singapore-2026"


def test_singapore_agent_changes_zone_and_due_times_move(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    wei = singapore_agent(personas, PASSWORD)
    customer = new_customer("ken@apac.example", "growth", "apac", actor=personas.admin, now=CLOCK)
    ticket = open_ticket(customer, now=CLOCK)
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=CLOCK.replace(hour=1, day=2))  # set-up

    page = page_for("en-US")
    sign_in(page, live_server.url, wei.email, PASSWORD)
    assert page.url == f"{live_server.url}/console/queues/singapore/"  # where an office agent lands
    row = page.get_by_test_id("queue-row")
    assert "Wed 2 Dec 2026, 01:00 (UTC)" in row.inner_text()

    page.get_by_test_id("console-user").click()
    form = page.get_by_test_id("profile-form")
    form.get_by_label("Time zone").fill("Asia/Singapore")
    form.get_by_label("I was @mentioned in an internal note").uncheck()
    with page.expect_navigation():
        form.get_by_test_id("profile-save").click()
    assert "Your profile is saved." in page.get_by_test_id("flash-messages").inner_text()
    assert "(Asia/Singapore)" in page.get_by_test_id("profile-now").inner_text()

    page.get_by_test_id("queue-link-singapore").click()
    assert "Wed 2 Dec 2026, 09:00 (Asia/Singapore)" in page.get_by_test_id("queue-row").inner_text()
    wei.refresh_from_db()
    assert wei.time_zone == "Asia/Singapore" and "mention" not in wei.emails_wanted()
    screenshot(page, "console-queue-singapore-agent")
