"""The in-product form out of the box in development (issue 16): /widget/demo/ stands in for the
product's page with a token signed by the development secret; production has no such page."""

from __future__ import annotations

import html
import re
import time
from typing import Any

from django.test import Client

from policydesk.portal import widget
from tests.conftest import Personas
from tests.portal.conftest import WIDGET_SECRET


def demo_token(body: str) -> str:
    found = re.search(r'data-token="([^"]+)"', body)
    assert found, body
    return html.unescape(found.group(1))


def test_there_is_no_demo_page_in_production(personas: Personas, settings: Any) -> None:
    settings.DEBUG = False

    assert Client().get("/widget/demo/").status_code == 404


def test_the_demo_page_opens_the_form_as_a_demo_customer(personas: Personas, settings: Any) -> None:
    settings.DEBUG = True
    settings.POLICYDESK_WIDGET_SECRET = WIDGET_SECRET

    page = Client().get("/widget/demo/", {"as": personas.same_org_customer.email})
    assert page.status_code == 200 and 'src="/widget.js"' in page.content.decode()

    client = Client()
    form = client.get("/widget/", {"token": demo_token(page.content.decode())})
    assert form.status_code == 200 and 'data-testid="widget-form"' in form.content.decode()
    assert client.session["_auth_user_id"] == str(personas.same_org_customer.pk)


def test_an_unknown_choice_falls_back_to_the_first_customer(personas: Personas, settings: Any) -> None:
    settings.DEBUG = True
    settings.POLICYDESK_WIDGET_SECRET = WIDGET_SECRET

    page = Client().get("/widget/demo/", {"as": "nobody@example.org"}).content.decode()

    claims = widget.read_token(demo_token(page), now=time.time())
    assert claims.email == min(
        p.email for p in (personas.customer, personas.same_org_customer, personas.other_org_customer)
    )


def test_in_development_the_desk_may_frame_its_own_form(settings: Any) -> None:
    settings.POLICYDESK_WIDGET_ORIGINS = []
    settings.DEBUG = True
    assert widget.frame_ancestors() == "'self'"

    settings.DEBUG = False
    assert widget.frame_ancestors() == "'none'"
