"""The in-product form (C13 channel 1): the vendor's product page includes widget.js with a token
its backend minted; the Help button opens the desk's form in an iframe, already identified (C14)."""

from __future__ import annotations

import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest

from policydesk.portal import widget
from policydesk.tickets.models import Ticket
from tests.browser.conftest import screenshot
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "browser-test-widget-secret-0123456789abcdef"
SUBJECT = "Scheduled report e-mails stopped"


PRODUCT_STYLE = (
    "body{font:16px system-ui,sans-serif;margin:0} header{background:#14213d;color:#fff;padding:14px 24px}"
    " main{padding:24px} .tile{display:inline-block;width:260px;height:140px;margin:0 16px 16px 0;"
    "border-radius:8px;background:#e8edf6}"
)


def product_page(script_url: str, token: str) -> str:
    """What the vendor's product renders for a signed-in user (docs/in-product-widget.md)."""
    tiles = '<div class="tile"></div>' * 4
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Example Analytics</title>'
        f"<style>{PRODUCT_STYLE}</style></head><body><header>Example Analytics · Sales dashboard</header>"
        f"<main>{tiles}</main>"
        f'<script src="{script_url}" data-token="{token}" data-label="Help" async></script></body></html>'
    )


def product_origin(live_server: Any, settings: Any) -> str:
    """The product's origin, another than the desk's (localhost vs 127.0.0.1), allowed to frame
    the widget, with the widget's secret set."""
    origin = f"http://localhost:{urlsplit(live_server.url).port}"
    settings.POLICYDESK_WIDGET_SECRET = SECRET
    settings.POLICYDESK_WIDGET_ORIGINS = [origin]
    return origin


def open_in_product(page: Any, live_server: Any, origin: str, token: str) -> Any:
    """The product's dashboard with widget.js and `token`; the Help button clicked: the iframe."""
    page.route(
        f"{origin}/dashboard",
        lambda route: route.fulfill(
            content_type="text/html; charset=utf-8", body=product_page(f"{live_server.url}/widget.js", token)
        ),
    )
    page.goto(f"{origin}/dashboard")
    page.get_by_test_id("policydesk-widget-button").click()
    return page.frame_locator("[data-testid=policydesk-widget-frame]")


def test_product_page_opens_the_form_already_identified_and_sends_an_in_product_ticket(
    live_server: Any, page_for: Any, desk: None, personas: Personas, settings: Any
) -> None:
    origin = product_origin(live_server, settings)
    hanna = personas.customer  # Growth, EMEA (Kumo)
    token = widget.mint_token(
        {
            "email": hanna.email.upper(),
            "org": "Kumo",
            "exp": int(time.time()) + 300,
            "nonce": uuid.uuid4().hex,
        },
        SECRET,
    )
    page = page_for("en-US")
    frame = open_in_product(page, live_server, origin, token)

    # Identified by the token: no sign-in, the login email shown (C14).
    assert hanna.email in frame.get_by_test_id("widget-identity").inner_text()
    form = frame.get_by_test_id("widget-form")
    form.get_by_test_id("topic").locator("select").select_option("troubleshooting")
    form.get_by_test_id("subject").locator("input").fill(SUBJECT)
    form.get_by_test_id("description").locator("textarea").fill(
        "Since Monday the 8:00 report has not arrived."
    )
    frame.locator("body").evaluate("() => window.scrollTo(0, 0)")  # the identity line, for the picture
    screenshot(page, "widget-in-product")
    form.get_by_test_id("widget-submit").click()

    received = frame.get_by_test_id("widget-ticket")
    received.wait_for()
    ticket = Ticket.objects.get(subject=SUBJECT)
    assert (ticket.requester, ticket.channel) == (hanna, Ticket.Channel.IN_PRODUCT)
    assert f"#{ticket.number}" in received.inner_text()
    assert frame.get_by_test_id("promise").get_attribute("data-kind") == "due"
    screenshot(page, "widget-in-product-sent")

    # A token is used once: replayed, it gets the refusal page, not the form.
    replay = page_for("en-US")
    assert replay.goto(f"{live_server.url}/widget/?token={token}").status == 403
    assert replay.get_by_test_id("widget-form").count() == 0


def test_widget_page_refuses_a_token_signed_with_another_secret(
    live_server: Any, page_for: Any, desk: None, personas: Personas, settings: Any
) -> None:
    settings.POLICYDESK_WIDGET_SECRET = SECRET
    forged = widget.mint_token(
        {"email": personas.customer.email, "org": "Kumo", "exp": int(time.time()) + 300, "nonce": "n1"},
        "not-the-secret",
    )
    page = page_for("en-US")
    assert page.goto(f"{live_server.url}/widget/?token={forged}").status == 403
    assert page.get_by_test_id("widget-form").count() == 0
