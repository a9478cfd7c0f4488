"""Every page passes axe-core's WCAG 2 A/AA rules and fits the screen (issue 11, "Fits every
screen" and the Must show on axe-core): the portal, the console, reports, the status page, the
admin's entry pages and the error pages, in English and Japanese, at 375 px and 1366 px."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.status import actions as status_actions
from policydesk.tickets.models import Person
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.conftest import Personas, open_request, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = {"en": "en-US", "ja": "ja-JP"}
WIDTHS = (375, 1366)
# The innermost elements reaching past the window's right edge (what to fix when a page scrolls).
WIDER = """[...document.body.querySelectorAll('*')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1
               && ![...e.children].some(c => c.getBoundingClientRect().right > innerWidth + 1))
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                        + (e.name ? '[name=' + e.name + ']' : ''))"""


def check(page: Any, url: str, lang: str, problems: list[str]) -> None:
    """Open `url` and `audit` it."""
    page.goto(url)
    audit(page, lang, problems)


def audit(page: Any, lang: str, problems: list[str]) -> None:
    """Add to `problems` if the page shown is not in `lang`, is wider than the window or has axe
    violations (all pages are visited, then the test fails listing everything found)."""
    url = page.url
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{url} is not marked lang={lang}")
    if not page.evaluate("document.documentElement.scrollWidth <= innerWidth"):
        problems.append(f"{url} scrolls sideways at {page.viewport_size['width']} px: {page.evaluate(WIDER)}")
    try:
        assert_accessible(page)
    except AssertionError as found:
        problems.append(str(found))


def signed_in_page(page_for: Any, live_server: Any, person: Person, lang: str, width: int) -> Any:
    page = page_for(LANGUAGES[lang], width)
    # The personas' passwords (tests/conftest.py): the admin's is its own.
    password = "pw-admin-1" if person.role == "admin" else "pw-" + person.email
    sign_in(page, live_server.url, person.email, password)
    return page


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_passes_axe_and_fits(
    live_server: Any, page_for: Any, desk: None, personas: Personas, lang: str, width: int
) -> None:
    base = live_server.url
    ticket = open_ticket(personas.customer, now=CLOCK, subject="グラフが空です — charts are empty")
    deflection = open_request(personas.customer, "plan-question", now=CLOCK).deflection
    assert deflection is not None
    dashboards = status_actions.do_create_component(
        slug="dashboards", name="Dashboards", name_ja="ダッシュボード", actor=personas.admin, now=CLOCK
    )
    incident = status_actions.do_open_incident(
        title="Charts load slowly", title_ja="グラフの表示が遅い", severity="minor",
        body="We are looking into it.", body_ja="調査しています。",
        components=(dashboards,), actor=personas.admin, now=CLOCK,
    )  # fmt: skip

    problems: list[str] = []
    visitor = page_for(LANGUAGES[lang], width)
    for path in (
        "/", "/signin/", "/signin/link/sent/", "/signin/link/not-a-token/", "/policy/", "/status/",
        f"/status/incidents/{incident.pk}/", "/status/subscribe/confirm/not-a-token/",
        "/watch/ack/not-a-token/", "/widget/", "/admin/login/", "/no-such-page/",
    ):  # fmt: skip
        check(visitor, base + path, lang, problems)

    # The CSRF failure page (403): a form sent without its cookie.
    visitor.goto(f"{base}/signin/")
    visitor.context.clear_cookies()
    with visitor.expect_navigation():
        visitor.get_by_test_id("signin-submit").click()
    assert visitor.get_by_test_id("error-page").get_attribute("data-status") == "403"
    audit(visitor, lang, problems)

    customer = signed_in_page(page_for, live_server, personas.customer, lang, width)
    for path in (
        "/tickets/", "/tickets/new/", f"/tickets/{ticket.number}/", f"/deflected/{deflection.pk}/",
        "/tickets/?q=charts", "/tickets/?q=status:lost",  # search: results, and a query it cannot read
        f"/tickets/{ticket.number}/reply/",  # 405 on GET: the error page
        "/console/overview/",  # a customer in the console: 404
    ):  # fmt: skip
        check(customer, base + path, lang, problems)

    lead = signed_in_page(page_for, live_server, personas.lead, lang, width)
    for path in (
        "/console/overview/", "/console/queues/central-europe/", f"/console/tickets/{ticket.number}/",
        "/console/profile/", "/console/tickets/new/", "/console/notifications/", "/console/reports/",
        "/status/manage/", f"/console/tickets/{ticket.number}/explain/",
        "/console/search/?q=charts", "/console/search/?q=nothing-matches",
        "/console/macros/", "/console/macros/new/", f"/console/tickets/{ticket.number}/macros/",
    ):  # fmt: skip
        check(lead, base + path, lang, problems)
    # The keyboard shortcuts' list, open over the workspace.
    lead.goto(f"{base}/console/tickets/{ticket.number}/")
    lead.keyboard.press("?")
    lead.get_by_test_id("shortcuts").wait_for()
    audit(lead, lang, problems)

    admin = signed_in_page(page_for, live_server, personas.admin, lang, width)
    check(admin, base + "/admin/", lang, problems)
    assert not problems, "\n".join(problems)


def test_queue_fits_1366_px_with_assignee_and_due_in_view(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    open_ticket(personas.customer, now=CLOCK, subject="Charts are empty on the quarterly revenue dashboard")
    page = signed_in_page(page_for, live_server, personas.agent, "en", 1366)
    page.goto(f"{live_server.url}/console/queues/central-europe/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    for column in ("column-assignee", "column-due"):
        box = page.get_by_test_id(column).bounding_box()
        assert box is not None and box["width"] > 0 and box["x"] + box["width"] <= 1366, column
    screenshot(page, "console-queue-1366")


def test_queue_is_a_list_of_cards_on_a_phone(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    ticket = open_ticket(personas.customer, now=CLOCK, subject="Charts are empty")
    page = signed_in_page(page_for, live_server, personas.agent, "en", 375)
    page.goto(f"{live_server.url}/console/queues/central-europe/")
    row = page.get_by_test_id("queue-row")
    assert row.evaluate("row => getComputedStyle(row).display") == "block"
    box = row.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assignee = row.get_by_test_id("row-assignee")
    assert assignee.inner_text() == "unassigned"
    assert assignee.evaluate("cell => getComputedStyle(cell, '::before').content") == '"Assignee"'  # labelled
    # The queues sit above the page, not beside it.
    nav = page.get_by_test_id("queue-nav").bounding_box()
    main = page.locator("main").bounding_box()
    assert nav is not None and main is not None and nav["y"] + nav["height"] <= main["y"]
    screenshot(page, "console-queue-375")

    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    conversation = page.get_by_test_id("conversation").bounding_box()
    assert conversation is not None and conversation["width"] <= 375


def test_skip_link_is_the_first_stop_and_moves_to_the_main_content(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    page = page_for("en-US", 375)
    page.goto(f"{live_server.url}/policy/")
    skip = page.get_by_test_id("skip-link")
    assert not skip.evaluate("link => link.getBoundingClientRect().bottom > 0")  # out of sight
    page.keyboard.press("Tab")
    assert skip.evaluate("link => document.activeElement === link && link.getBoundingClientRect().top >= 0")
    assert skip.inner_text() == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    console = signed_in_page(page_for, live_server, personas.agent, "ja", 1366)
    console.keyboard.press("Tab")
    assert console.evaluate("document.activeElement.dataset.testid") == "skip-link"
    assert console.get_by_test_id("skip-link").inner_text() == "本文へスキップ"


def test_focus_moves_to_the_first_error_after_a_failed_submit(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    page = page_for("en-US", 1366)
    page.goto(f"{live_server.url}/signin/")
    form = page.get_by_test_id("signin-password-form")
    with page.expect_navigation():
        form.get_by_test_id("signin-submit").click()  # nothing typed: both fields in error
    email = form.get_by_test_id("signin-email").locator("input")
    assert email.evaluate("field => document.activeElement === field")

    form.get_by_test_id("signin-email").locator("input").fill(personas.customer.email)
    form.get_by_test_id("signin-password").locator("input").fill("not the password")
    with page.expect_navigation():
        form.get_by_test_id("signin-submit").click()  # an error of the whole form: its message
    assert page.evaluate("document.activeElement.classList.contains('errorlist')")
    assert "password" in page.evaluate("document.activeElement.textContent")


# Small kana and the long-vowel mark must not start a line (JIS X 4051; CSS line-break: strict).
NOT_AT_LINE_START = "ーァィゥェォッャュョヮヵヶぁぃぅぇぉっゃゅょゎ"
LINE_STARTS = """element => {
  const starts = [];
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let previous = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      const range = document.createRange();
      range.setStart(node, i);
      range.setEnd(node, i + 1);
      const rect = range.getClientRects()[0];
      if (!rect) continue;
      if (previous !== null && rect.top > previous + rect.height / 2) starts.push(node.data[i]);
      previous = rect.top;
    }
  }
  return starts;
}"""


def test_japanese_lines_never_start_with_a_long_vowel_mark(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    subject = (
        "サーバーのデータベースのパフォーマンスレポートをダウンロードするとエラーメッセージが表示されます"
    )
    ticket = open_ticket(personas.customer, now=CLOCK, subject=subject)
    page = signed_in_page(page_for, live_server, personas.customer, "ja", 375)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    title = page.get_by_test_id("ticket-title")
    assert title.evaluate("element => getComputedStyle(element).lineBreak") == "strict"
    starts = title.evaluate(LINE_STARTS)
    assert len(starts) >= 2  # the title does wrap at 375 px
    assert not set(starts) & set(NOT_AT_LINE_START), starts
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
