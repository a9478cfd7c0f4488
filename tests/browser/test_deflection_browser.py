"""Requests outside what a plan includes go to the right place, not into a queue (C2, C12, C17, C19, C20)."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets.models import Deflection, Person, Ticket
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas, new_customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "deflect-me-not-2026"
ACCOUNT_EXECUTIVE = "kaito.ae@example.com"


def ask(page: Any, topic: str, subject: str) -> None:
    page.get_by_test_id("nav-new-ticket").click()
    form = page.get_by_test_id("ticket-form")
    form.get_by_test_id("topic").locator("select").select_option(topic)
    form.get_by_test_id("subject").locator("input").fill(subject)
    form.get_by_test_id("description").locator("textarea").fill("Could you help us with this?")
    with page.expect_navigation():
        form.get_by_test_id("ticket-submit").click()


def deflected(page: Any, live_server: Any, customer: Person, topic: str, subject: str) -> Deflection:
    """`customer` signs in and asks; the request is deflected, not taken as a ticket, and the
    page shown is the deflection's own."""
    sign_in(page, live_server.url, customer.email, PASSWORD)
    ask(page, topic, subject)
    deflection = Deflection.objects.get(person=customer)
    assert page.url == f"{live_server.url}/deflected/{deflection.pk}/"
    assert deflection.topic == topic
    assert not Ticket.objects.filter(requester=customer).exists()
    return deflection


def test_starter_troubleshooting_goes_to_the_community(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    ines = new_customer(
        "ines@tinyshop.example", "starter", "emea", organisation_name="Tiny Shop", password=PASSWORD,
        actor=personas.admin, now=CLOCK,
    )  # fmt: skip
    page = page_for("en-US")
    sign_in(page, live_server.url, ines.email, PASSWORD)
    # C2: Starter has no troubleshooting: the form says so, with its route, and does not offer it.
    page.get_by_test_id("nav-new-ticket").click()
    community = page.get_by_test_id("plan-elsewhere-topics").and_(page.locator("[data-route-kind=community]"))
    assert "Troubleshooting" in community.inner_text()
    assert page.locator("#id_topic option[value=troubleshooting]").count() == 0
    # C12: product training goes to the community too (C19).
    ask(page, "product-training", "Numbers do not add up")
    deflection = Deflection.objects.get(person=ines)
    assert page.url == f"{live_server.url}/deflected/{deflection.pk}/" and not Ticket.objects.exists()
    assert deflection.route == "community"
    shown = page.get_by_test_id("deflection")
    assert shown.get_attribute("data-route-kind") == "community"
    assert "outside the scope of support" in page.get_by_test_id("deflection-reason").inner_text()
    assert page.get_by_test_id("route-url").get_attribute("href") == "https://community.example.com"
    assert "Community" in page.get_by_test_id("route-text").inner_text()
    assert page.get_by_test_id("free-plans-link").is_visible()  # C20: the free plans' own page
    assert page.get_by_test_id("deflected-subject").inner_text() == "Numbers do not add up"
    screenshot(page, "portal-deflected-community")


def test_growth_plan_question_goes_to_the_organisations_account_executive(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    ren = new_customer(
        "ren@hoshi.example", "growth", "apac", organisation_name="Hoshi Games", password=PASSWORD,
        organisation={"account_executive": ACCOUNT_EXECUTIVE, "customer_success_manager": "csm@example.com"},
        language="ja", time_zone="Asia/Tokyo", actor=personas.admin, now=CLOCK,
    )  # fmt: skip
    page = page_for("ja-JP")
    deflection = deflected(page, live_server, ren, "plan-question", "Enterprise プランへの変更について")
    assert deflection.route == "account-executive"
    assert page.get_by_test_id("deflection").get_attribute("data-route-kind") == "account-team"
    # C17: the policy's text in Japanese, and this organisation's own account executive.
    assert (
        page.get_by_test_id("route-text").inner_text() == "担当のアカウントエグゼクティブまでご連絡ください。"
    )
    contacts = page.get_by_test_id("route-contact-email")
    assert contacts.all_inner_texts() == [ACCOUNT_EXECUTIVE]
    assert contacts.first.get_attribute("href") == f"mailto:{ACCOUNT_EXECUTIVE}"
    assert "csm@example.com" not in page.content()  # the route names the AE only
    screenshot(page, "portal-deflected-account-executive-ja")
