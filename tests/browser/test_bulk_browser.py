"""Bulk selection in a queue, in a real browser (issue 13): shift-click ticks a range, the change
is applied to each ticked ticket, and the job's page says what was done; English and Japanese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.tickets.models import Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_shift_click_ticks_a_range_and_the_change_reaches_each_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str
) -> None:
    tickets = [
        open_ticket(personas.customer, subject=f"Export problem {i}", now=CLOCK - timedelta(minutes=50 - i))
        for i in range(5)
    ]
    page = page_for("ja-JP" if lang == "ja" else "en-US", 1366)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/queues/central-europe/")
    ticks = page.get_by_test_id("bulk-tick")
    ticks.nth(1).click()
    ticks.nth(3).click(modifiers=["Shift"])  # 1, 2 and 3
    assert [ticks.nth(i).is_checked() for i in range(5)] == [False, True, True, True, False]
    assert page.get_by_test_id("bulk-count").inner_text() == "(3)"
    page.get_by_test_id("bulk-action").select_option("priority")
    page.get_by_test_id("bulk-priority").select_option("high")
    screenshot(page, f"queue-bulk-selection-{lang}")
    with page.expect_navigation():
        page.get_by_test_id("bulk-submit").click()
    assert page.get_by_test_id("bulk-progress").get_attribute("data-state") == "done"
    assert "3" in page.get_by_test_id("bulk-done").inner_text()
    chosen = [t.number for t in tickets[1:4]]
    assert set(Ticket.objects.filter(number__in=chosen).values_list("priority", flat=True)) == {"high"}
    assert Ticket.objects.get(number=tickets[0].number).priority != "high"
