"""A customer marks their ticket solved in the help center, then answers "Were you satisfied?"
from the email's link in another browser, without signing in (both languages)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.satisfaction.models import SatisfactionSurvey
from tests.browser.conftest import CLOCK, assert_accessible, screenshot, sign_in
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
