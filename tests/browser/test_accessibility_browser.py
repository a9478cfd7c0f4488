"""Every page passes axe-core's WCAG 2 A/AA rules and fits the screen (issue 11, "Fits every
screen" and the Must show on axe-core): the portal, the console, reports, the status page, the
admin's entry pages and the error pages, in English and Japanese, at 375 px and 1366 px."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets.models import Person
from tests.browser.conftest import CLOCK, assert_accessible, sign_in
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
    """Open `url`; add to `problems` if the page is not in `lang`, is wider than the window or
    has axe violations (all pages are visited, then the test fails listing everything found)."""
    page.goto(url)
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
    sign_in(page, live_server.url, person.email, "pw-" + person.email)
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

    problems: list[str] = []
    visitor = page_for(LANGUAGES[lang], width)
    for path in ("/", "/signin/", "/policy/", "/status/", "/admin/login/", "/no-such-page/"):
        check(visitor, base + path, lang, problems)

    customer = signed_in_page(page_for, live_server, personas.customer, lang, width)
    for path in (
        "/tickets/", "/tickets/new/", f"/tickets/{ticket.number}/", f"/deflected/{deflection.pk}/",
        f"/tickets/{ticket.number}/reply/",  # 405 on GET: the error page
    ):  # fmt: skip
        check(customer, base + path, lang, problems)

    lead = signed_in_page(page_for, live_server, personas.lead, lang, width)
    for path in (
        "/console/overview/", "/console/queues/central-europe/", f"/console/tickets/{ticket.number}/",
        "/console/profile/", "/console/tickets/new/", "/console/reports/", "/status/manage/",
    ):  # fmt: skip
        check(lead, base + path, lang, problems)

    admin = signed_in_page(page_for, live_server, personas.admin, lang, width)
    check(admin, base + "/admin/", lang, problems)
    assert not problems, "\n".join(problems)
