"""A macro applied to ticked tickets in a queue, in a real browser (issue 13): each ticket gets the
reply in its customer's language, and the job's page lists the ticket it could not be sent to,
with the reason; English and Japanese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.macros.actions import MacroFields, do_save_macro
from policydesk.tickets.models import Message
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_macro_is_sent_to_each_ticked_ticket_and_the_refused_one_is_listed(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str
) -> None:
    earlier = CLOCK - timedelta(days=1)
    ada = new_customer("ada@one.example", "growth", "emea", actor=personas.admin, name="Ada L", now=earlier)
    kenji = new_customer(
        "kenji@two.example",
        "growth",
        "emea",
        actor=personas.admin,
        name="Kenji S",
        language="ja",
        now=earlier,
    )
    english = open_ticket(ada, subject="Export fails", now=CLOCK - timedelta(minutes=30))
    japanese = open_ticket(kenji, subject="エクスポート失敗", now=CLOCK - timedelta(minutes=20))
    nameless = open_ticket(personas.customer, subject="Export too", now=CLOCK - timedelta(minutes=10))
    fields = MacroFields(
        title="Known export issue", scope="shared", add_tags=("export",),
        text_en="Hello {{ requester.first_name }}, we are on it.",
        text_ja="{{ requester.first_name }} 様、対応中です。",
    )  # fmt: skip
    macro = do_save_macro(macro=None, fields=fields, actor=personas.lead, now=earlier)
    page = page_for("ja-JP" if lang == "ja" else "en-US", 1366)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    page.goto(f"{live_server.url}/console/queues/central-europe/?lang={lang}")
    page.get_by_test_id("bulk-page").check()  # every ticket on the page
    assert page.get_by_test_id("bulk-count").inner_text() == "(3)"
    page.get_by_test_id("bulk-action").select_option("macro")
    page.get_by_test_id("bulk-macro").select_option(str(macro.pk))
    with page.expect_navigation():
        page.get_by_test_id("bulk-submit").click()
    assert page.get_by_test_id("bulk-progress").get_attribute("data-state") == "done"
    failure = page.get_by_test_id("bulk-failure")
    assert failure.count() == 1 and str(nameless.number) in failure.inner_text()
    assert "requester.first_name" in failure.inner_text()
    screenshot(page, f"bulk-macro-job-{lang}")
    assert_accessible(page)
    replies = dict(Message.objects.filter(author=personas.agent).values_list("ticket_id", "text"))
    assert replies == {english.pk: "Hello Ada, we are on it.", japanese.pk: "Kenji 様、対応中です。"}
