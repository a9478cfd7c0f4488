"""The agent workspace in a real browser (issue 11): the layout at 1366 and 375 px in English and
Japanese (the screenshots in the README), the keyboard, the composer (a dropped file, send and
solve, the preview), every action in place, and the plain forms without JavaScript."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import Attachment, Person, Ticket
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, new_customer, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "subject": "Dashboard charts are empty since the upgrade",
        "ask": "Since we upgraded to 4.2 this morning every chart on the sales dashboard is empty. "
        "The raw tables still show data. Browser: Chrome 131.",
        "answer": "Thank you, Hanna. Could you clear the dashboard cache (Settings → Cache → Clear) "
        "and tell us whether the charts come back?",
        "back": "Cleared it: two charts are back, the funnel chart is still empty.",
        "note": "Funnel chart uses the old aggregation; @lead@example.com is this the 4.2 regression?",
    },
    "ja": {
        "subject": "アップグレード後にダッシュボードのグラフが空になります",
        "ask": "今朝 4.2 にアップグレードしてから、売上ダッシュボードのグラフがすべて空です。"
        "元のテーブルにはデータがあります。ブラウザーは Chrome 131 です。",
        "answer": "ご連絡ありがとうございます。ダッシュボードのキャッシュを削除"
        "(設定 → キャッシュ → 削除)して、グラフが表示されるかお知らせいただけますか。",
        "back": "削除しました。グラフが二つ戻りましたが、ファネルのグラフはまだ空です。",
        "note": "ファネルは旧集計を使っています。@lead@example.com 4.2 の不具合でしょうか?",
    },
}


def conversation(personas: Personas, lang: str) -> Ticket:
    """A ticket with a conversation worth looking at: question, answer, the customer's reply, a note."""
    words = WORDS[lang]
    customer: Person = personas.customer
    if lang == "ja":
        customer = new_customer(
            "yuki@kaisha.example", "growth", "emea", organisation_name="株式会社カイシャ",
            organisation={"account_executive": "ae@example.com"}, actor=personas.admin,
            language="ja", name="山田 由紀",
        )  # fmt: skip
    open_ticket(customer, subject=WORDS[lang]["subject"][:20] + "…", now=CLOCK - timedelta(days=20))
    ticket = open_ticket(
        customer, subject=words["subject"], text=words["ask"], now=CLOCK - timedelta(hours=2)
    )
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text=words["answer"], now=CLOCK - timedelta(hours=1)
    )
    actions.do_customer_reply(
        ticket=ticket, customer=customer, text=words["back"], now=CLOCK - timedelta(minutes=20)
    )
    actions.do_add_note(
        ticket=ticket, agent=personas.agent, text=words["note"], now=CLOCK - timedelta(minutes=5)
    )
    return ticket


def agent_page(page_for: Any, live_server: Any, lang: str, width: int) -> Any:
    page = page_for("ja-JP" if lang == "ja" else "en-US", width)
    sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
    return page


@pytest.mark.parametrize(("lang", "width"), [("en", 1366), ("ja", 1366), ("en", 375), ("ja", 375)])
def test_the_workspace_side_panel_sits_beside_or_folds_under_the_conversation(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str, width: int
) -> None:
    ticket = conversation(personas, lang)
    page = agent_page(page_for, live_server, lang, width)
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    page.get_by_test_id("composer").locator("textarea").fill(WORDS[lang]["answer"][:40])
    main = page.locator(".workspace-main").bounding_box()
    side = page.get_by_test_id("side-panel").bounding_box()
    if width >= 1366:  # beside: the panel starts right of the conversation, at the same height
        assert side["x"] >= main["x"] + main["width"] and abs(side["y"] - main["y"]) < 5
    else:  # folded under the conversation and the composer
        assert side["y"] >= main["y"] + main["height"] and side["width"] > 0.8 * main["width"]
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    assert page.get_by_test_id("other-ticket").count() == 1
    screenshot(page, f"workspace-{lang}-{width}")
    assert_accessible(page)


def test_the_keyboard_works_the_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    first = open_ticket(personas.customer, subject="First in the queue", now=CLOCK - timedelta(hours=1))
    second = open_ticket(personas.customer, subject="Second in the queue", now=CLOCK - timedelta(minutes=30))
    page = agent_page(page_for, live_server, "en", 1366)
    page.goto(f"{live_server.url}/console/queues/central-europe/")
    page.keyboard.press("j")  # the first row is chosen; Enter opens it
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/console/tickets/{first.number}/?queue=central-europe")

    page.keyboard.press("?")
    dialog = page.get_by_test_id("shortcuts")
    assert dialog.is_visible() and "Assign the ticket to me" in dialog.inner_text()
    page.keyboard.press("Escape")
    assert not dialog.is_visible()

    composer = page.get_by_test_id("composer")
    page.keyboard.press("n")
    assert "composer-note" in (composer.get_attribute("class") or "")
    assert page.get_by_test_id("composer-send").inner_text() == "Add note"
    assert page.evaluate("document.activeElement.name") == "text"
    page.keyboard.type("n and r typed here are text, not shortcuts")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    assert "composer-reply" in (composer.get_attribute("class") or "")
    assert page.get_by_test_id("composer-send").inner_text() == "Send reply"
    assert composer.locator("textarea").input_value() == "n and r typed here are text, not shortcuts"
    page.keyboard.press("Escape")

    page.evaluate("window.stillTheSamePage = true")
    with page.expect_response(lambda response: response.url.endswith("/assign/")):
        page.keyboard.press("a")
    page.get_by_test_id("ticket-assignee").get_by_text("jonas@example.com").wait_for()
    assert page.evaluate("window.stillTheSamePage === true")  # in place
    assert Ticket.objects.get(pk=first.pk).assignee_id == personas.agent.pk

    page.keyboard.press("j")
    page.wait_for_url(f"**/console/tickets/{second.number}/?queue=central-europe")
    page.keyboard.press("k")
    page.wait_for_url(f"**/console/tickets/{first.number}/?queue=central-europe")


def test_the_composer_takes_a_dropped_file_previews_and_sends_and_solves(
    desk: None, personas: Personas, page_for: Any, live_server: Any
) -> None:
    ticket = conversation(personas, "ja")
    page = agent_page(page_for, live_server, "en", 1366)
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    composer = page.get_by_test_id("composer")
    composer.locator("textarea").fill("ファネルのグラフは 4.2.1 で直りました。")
    drop = page.evaluate_handle(
        """() => { const files = new DataTransfer();
                   files.items.add(new File(["1. Update to 4.2.1"], "steps.txt", {type: "text/plain"}));
                   return files; }"""
    )
    page.get_by_test_id("composer-drop").dispatch_event("drop", {"dataTransfer": drop})
    assert page.get_by_test_id("composer-files").inner_text() == "steps.txt"

    with page.expect_response(lambda response: response.url.endswith("/preview/")):
        page.get_by_test_id("composer-preview").click()
    preview = page.get_by_test_id("composer-preview-shown")
    assert preview.get_by_test_id("preview-language").inner_text() == "ja"
    assert "ファネルのグラフは 4.2.1 で直りました。" in preview.get_by_test_id("preview-body").inner_text()
    assert not ticket.messages.filter(text__startswith="ファネルのグラフは 4.2.1").exists()

    with page.expect_response(lambda response: response.url.endswith("/compose/")):
        page.get_by_test_id("composer-send-solved").click()
    page.get_by_test_id("flash").get_by_text("the ticket is solved").wait_for()
    assert page.get_by_test_id("ticket-status").get_attribute("data-status") == "solved"
    assert page.get_by_test_id("attachment-link").get_by_text("steps.txt").is_visible()
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED
    assert Attachment.objects.filter(ticket=ticket, filename="steps.txt").count() == 1


def test_without_javascript_every_form_still_works(
    desk: None, personas: Personas, browser: Any, live_server: Any
) -> None:
    ticket = open_ticket(personas.customer, now=CLOCK - timedelta(hours=1))
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, live_server.url, "jonas@example.com", "pw-jonas@example.com")
        page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
        page.get_by_test_id("composer-kind-note").click()
        page.get_by_test_id("composer").locator("textarea").fill("Checked the logs: nothing.")
        with page.expect_navigation():
            page.get_by_test_id("composer-send").click()
        assert page.get_by_test_id("flash").inner_text() == "Internal note added."
        assert "Checked the logs: nothing." in page.get_by_test_id("message-internal").last.inner_text()
        page.locator("#id_status_status").select_option("open")
        with page.expect_navigation():
            page.get_by_test_id("status-submit").click()
        assert page.get_by_test_id("ticket-status").get_attribute("data-status") == "open"
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_merging_in_the_workspace_goes_to_the_surviving_ticket(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str
) -> None:
    target = conversation(personas, "en")
    duplicate = open_ticket(
        personas.same_org_customer, subject="Funnel chart empty", text="The funnel chart shows nothing.",
        now=CLOCK - timedelta(minutes=50),
    )  # fmt: skip
    page = agent_page(page_for, live_server, lang, 1366)
    page.goto(f"{live_server.url}/console/tickets/{duplicate.number}/")
    page.get_by_test_id("side-merge").locator("summary").click()
    form = page.get_by_test_id("merge-form")
    form.locator("input[name=into]").fill(str(target.number))
    with page.expect_navigation():  # htmx is told to load the ticket that goes on (HX-Redirect)
        form.get_by_test_id("merge-submit").click()
    page.wait_for_url(f"**/console/tickets/{target.number}/")
    assert page.get_by_test_id("flash").get_attribute("data-level") == "success"
    assert "The funnel chart shows nothing." in page.get_by_test_id("conversation").inner_text()
    assert page.get_by_test_id("ticket-participants").inner_text() == "felix@kumo.example"
    screenshot(page, f"workspace-merged-{lang}")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == target.pk and duplicate.status == Ticket.Status.CLOSED


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "Not sent: the desk could not be reached."),
        ("ja", "送信できませんでした(接続を確認してください)。"),
    ],
)
def test_a_reply_that_never_reaches_the_desk_is_kept_and_said_in_the_pages_language(
    desk: None, personas: Personas, page_for: Any, live_server: Any, lang: str, said: str
) -> None:
    ticket = conversation(personas, lang)
    page = agent_page(page_for, live_server, lang, 1366)
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    page.route("**/compose/", lambda route: route.abort())  # the network drops the request
    text = page.get_by_test_id("composer").locator("textarea")
    text.fill(WORDS[lang]["answer"])
    page.get_by_test_id("composer-send").click()
    failed = page.get_by_test_id("send-failed")
    failed.wait_for()
    assert said in failed.inner_text()
    assert text.input_value() == WORDS[lang]["answer"]  # nothing typed is lost
    assert page.get_by_test_id("composer-send").is_enabled()  # and it can be sent again
    assert ticket.messages.count() == 4  # nothing was sent: the four messages of the conversation
