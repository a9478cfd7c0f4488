"""A customer marks their ticket solved in the help center, then answers "Were you satisfied?"
from the email's link in another browser, without signing in (both languages)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.satisfaction.actions import do_rate
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.tickets import actions
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
from tests.browser.test_reports_browser import table_of
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "locale": "en-US",
        "question": "Were you satisfied?",
        "solved": "marked as solved",
        "thanks": "Thank you",
    },
    "ja": {
        "locale": "ja-JP",
        "question": "ご満足いただけましたか?",
        "solved": "解決済みにしました",
        "thanks": "ありがとう",
    },
}


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_customer_solves_a_ticket_and_rates_it_from_the_email_link(
    live_server: Any, page_for: Any, desk: None, personas: Personas, settings: Any, lang: str
) -> None:
    settings.SITE_URL = live_server.url
    words = WORDS[lang]
    customer = personas.customer
    customer.language = lang
    customer.save()
    ticket = open_ticket(customer, now=CLOCK, subject="CSV export stops at 1000 rows")

    page = page_for(words["locale"])
    sign_in(page, live_server.url, customer.email, "pw-" + customer.email)
    page.goto(f"{live_server.url}/tickets/{ticket.number}/")
    with page.expect_navigation():
        page.get_by_test_id("solve-submit").click()
    assert words["solved"] in page.get_by_test_id("messages").inner_text()
    assert page.get_by_test_id("ticket-status").get_attribute("class").endswith("status-solved")
    assert page.get_by_test_id("survey").is_visible()  # the question is on the page too

    mail = OutgoingMail.objects.get(kind=OutgoingMail.Kind.SATISFACTION, ticket=ticket)
    assert mail.language == lang
    good, bad = re.findall(r"^(http://\S+/satisfaction/\S+/)$", mail.body, flags=re.M)

    # Another browser, never signed in: the link shows the answer chosen and records nothing yet.
    reader = page_for(words["locale"], width=375)
    reader.goto(bad)
    assert reader.get_by_test_id("rate-heading").inner_text() == words["question"]
    assert reader.locator("input[name=rating][value=bad]").is_checked()
    assert SatisfactionSurvey.objects.get(ticket=ticket).rating == ""
    reader.get_by_test_id("rating-comment").locator("textarea").fill(
        "The fix works, but it took three replies."
        if lang == "en"
        else "直りましたが、3回のやり取りが必要でした。"
    )
    assert_accessible(reader)
    screenshot(reader, f"satisfaction-survey-{lang}")
    reader.locator("input[name=rating][value=good]").check()  # they change their mind before sending
    with reader.expect_navigation():
        reader.get_by_test_id("rate-submit").click()
    assert words["thanks"] in reader.get_by_test_id("rate-thanks").inner_text()
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    assert survey.rating == "good" and survey.comment and survey.person == customer
    # The same link again: refused, the answer kept.
    reader.goto(bad)
    assert reader.get_by_test_id("rate-used").is_visible()
    assert good != bad


SATISFACTION_CHARTS = ("satisfaction-plan", "satisfaction-office", "satisfaction-agent", "satisfaction-week")


@pytest.mark.parametrize("locale", ["en-US", "ja-JP"])
def test_the_satisfaction_charts_draw_the_numbers_of_their_tables(
    live_server: Any, page_for: Any, desk: None, personas: Personas, locale: str
) -> None:
    """Leads see satisfaction by plan, office, agent and week: each chart is what its table says."""
    answers = (
        (personas.customer, "good", "Clear"), (personas.customer, "bad", ""),
        (personas.other_org_customer, "bad", "Slow"), (personas.other_org_customer, "", ""),
    )  # fmt: skip
    for number, (customer, rating, comment) in enumerate(answers):
        ticket = open_ticket(customer, now=CLOCK - timedelta(days=9 - number))
        agent = personas.agent if ticket.office == "central-europe" else personas.other_office_agent
        actions.do_agent_reply(
            ticket=ticket, agent=agent, text="Done", now=CLOCK - timedelta(days=8 - number), status="solved"
        )
        if rating:
            survey = SatisfactionSurvey.objects.get(ticket=ticket)
            do_rate(
                survey=survey, person=customer, rating=rating, comment=comment, now=CLOCK - timedelta(hours=1)
            )

    page = page_for(locale, width=1366)
    sign_in(page, live_server.url, personas.lead.email, "pw-" + personas.lead.email)
    page.goto(f"{live_server.url}/console/reports/")
    for slug in SATISFACTION_CHARTS:
        canvas = page.get_by_test_id(f"chart-{slug}")
        canvas.scroll_into_view_if_needed()
        page.wait_for_function("c => c.dataset.drawn === 'true'", arg=canvas.element_handle())
        drawn = canvas.evaluate(
            "c => ({labels: c.chart.data.labels, data: c.chart.data.datasets.map(d => d.data)})"
        )
        section = page.get_by_test_id(f"report-{slug}")
        keys, rows = table_of(section)
        assert drawn["labels"] == [row[0] for row in rows], slug
        assert drawn["data"] == [
            [int(row[keys.index("good")]) for row in rows],
            [int(row[keys.index("bad")]) for row in rows],
        ], slug
    _, comments = table_of(page.get_by_test_id("report-satisfaction-comments"))
    assert [row[2] for row in comments] == ["Slow", "Clear"]
    assert page.get_by_test_id("chart-satisfaction-comments").count() == 0  # a table only
