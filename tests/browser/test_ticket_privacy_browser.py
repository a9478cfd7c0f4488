"""A ticket and its files are invisible to other organisations: 404, not 403, so numbers do not leak."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets import actions
from tests.browser.conftest import CLOCK, sign_in
from tests.conftest import Personas, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUBJECT = "Quarterly revenue export is wrong"


def test_customer_of_another_organisation_gets_404_on_the_ticket_and_its_attachment(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    ticket = open_ticket(
        personas.customer, "bug-report", CLOCK, subject=SUBJECT, text="See the attached log.",
        uploads=(actions.Upload("revenue.csv", "text/csv", b"quarter,revenue\nQ3,1200000\n"),),
    )  # fmt: skip
    attachment = ticket.attachments.get()
    ticket_url = f"{live_server.url}/tickets/{ticket.number}/"
    attachment_url = f"{live_server.url}/attachments/{attachment.pk}/"

    # The requester sees both: the URLs are right.
    owner = page_for("en-US")
    sign_in(owner, live_server.url, personas.customer.email, "pw-" + personas.customer.email)
    assert owner.goto(ticket_url).status == 200
    assert owner.get_by_test_id("attachment-link").get_attribute("href") == f"/attachments/{attachment.pk}/"
    download = owner.request.get(attachment_url)
    assert download.status == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.body() == b"quarter,revenue\nQ3,1200000\n"

    # A customer of another organisation gets the same answer as for a ticket that does not exist.
    outsider = page_for("en-US")
    other = personas.other_org_customer
    sign_in(outsider, live_server.url, other.email, "pw-" + other.email)
    response = outsider.goto(ticket_url)
    assert response.status == 404
    assert SUBJECT not in outsider.content()
    assert outsider.goto(f"{live_server.url}/tickets/{ticket.number + 1000}/").status == 404
    refused = outsider.request.get(attachment_url)
    assert refused.status == 404
    assert b"1200000" not in refused.body()
    assert "attachment" not in refused.headers.get("content-disposition", "")
