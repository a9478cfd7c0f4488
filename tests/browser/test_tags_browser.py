"""Tags and saved views in a real browser (issue 13): a tag added in the workspace in place, with
suggestions as you type; the queue filtered by it; the filter saved as a view in the sidebar."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import SavedView
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_tag_added_in_place_filters_the_queue_and_is_saved_as_a_view(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    invoice = open_ticket(personas.customer, subject="Invoice is wrong", now=CLOCK - timedelta(hours=1))
    charts = open_ticket(personas.customer, subject="Charts are empty", now=CLOCK - timedelta(minutes=30))
    actions.do_set_tags(ticket=charts, tags=["billing-export"], actor=personas.agent, now=CLOCK)
    page = page_for("en-US", 1366)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/tickets/{invoice.number}/")
    page.evaluate("window.stillTheSamePage = true")

    add = page.get_by_test_id("tags-add")
    with page.expect_response(lambda response: "/console/tags/suggest/" in response.url):
        add.press_sequentially("Bil")
    suggestions = page.get_by_test_id("tag-suggestions").locator("option")
    suggestions.first.wait_for(state="attached")
    assert suggestions.evaluate_all("options => options.map(o => o.value)") == ["billing-export"]

    add.fill("Billing ＡＰＩ")
    with page.expect_response(lambda response: response.url.endswith("/tags/")):
        page.get_by_test_id("tags-submit").click()
    page.get_by_test_id("ticket-tag").first.wait_for()
    assert page.get_by_test_id("ticket-tag").evaluate_all("tags => tags.map(t => t.dataset.tag)") == [
        "api", "billing",
    ]  # fmt: skip
    assert page.evaluate("window.stillTheSamePage === true")  # in place
    assert "Tags saved." in page.get_by_test_id("flash-messages").inner_text()
    assert_accessible(page)

    page.goto(f"{live_server.url}/console/queues/central-europe/")
    page.get_by_test_id("queue-filters").get_by_label("Tag").fill("billing")
    with page.expect_navigation():
        page.get_by_test_id("filter-submit").click()
    rows = page.get_by_test_id("queue-row")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.ticket)") == [str(invoice.number)]
    assert rows.first.get_by_test_id("row-tag").all_inner_texts() == ["api", "billing"]

    page.get_by_test_id("save-view").locator("summary").click()
    page.get_by_test_id("save-view-form").get_by_label("View name").fill("Billing")
    with page.expect_navigation():
        page.get_by_test_id("save-view-submit").click()
    view = SavedView.objects.get()
    assert (view.owner_id, view.queue, view.shared) == (personas.agent.pk, "central-europe", False)
    assert "tag=billing" in view.query
    entry = page.get_by_test_id("saved-view")
    assert entry.get_by_test_id("saved-view-count").inner_text() == "1"
    assert_accessible(page)
    screenshot(page, "saved-view-en")

    page.goto(f"{live_server.url}/console/queues/central-europe/")
    with page.expect_navigation():
        page.get_by_test_id("saved-view-link").click()
    assert page.get_by_test_id("queue-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)") == [
        str(invoice.number)
    ]
