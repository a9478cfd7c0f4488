"""How many statements a new ticket costs on each channel (issue 17): API, portal, in-product
widget and email (one stored message processed), and sending its acknowledgement. Ceilings, not
targets: a change that adds a statement per intake shows up here first, on both databases.
Each request runs once first (the ticket counter row, sessions and caches exist from then on,
as on any running desk), then the measured one."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.api.tokens import do_create_api_token
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import send
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, signed_in
from tests.portal.conftest import PRODUCT_ORIGIN, WIDGET_SECRET
from tests.portal.test_widget import open_widget, submit_in_widget, token_for

FORM = {"topic": "troubleshooting", "priority": "normal", "subject": "Export fails", "description": "At 50%."}


def statements(run: Any) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        run()
    return [query["sql"] for query in captured.captured_queries]


def ceiling(sql: list[str], most: int) -> None:
    assert len(sql) <= most, f"{len(sql)} statements:\n" + "\n".join(s[:140] for s in sql)


def test_api_intake(personas: Personas) -> None:
    token = do_create_api_token(person=personas.customer, name="crm", actor=None, now=NOW).secret
    client = Client(headers={"Authorization": f"Bearer {token}"})
    body = {"topic": "troubleshooting", "subject": "Export fails", "text": "At 50%."}

    def post() -> None:
        assert client.post("/api/v1/tickets", body, content_type="application/json").status_code == 201

    post()
    # 18 on SQLite and PostgreSQL: the token with its person; then do_open_ticket's savepoint,
    # the ticket counter, the ticket and its search entry, the first message and its search
    # entry, the audit row, the metric events (inserted, then read back by the watch's planning:
    # issue 17's profile names this), the acknowledgement (rate-limit count, row, message link,
    # task), the watch's two timers; then the answer's requester and outside copies.
    ceiling(statements(post), 18)


def test_portal_intake(personas: Personas) -> None:
    client = signed_in(personas.customer)

    def post() -> None:
        assert client.post("/tickets/new/", FORM).status_code == 302

    post()
    ceiling(statements(post), 18)  # the session's person instead of the token, then as the API


def test_widget_intake(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_WIDGET_SECRET, settings.POLICYDESK_WIDGET_ORIGINS = WIDGET_SECRET, [PRODUCT_ORIGIN]
    client = Client()
    session = open_widget(client, token_for()).context["widget_session"]

    def post() -> None:
        assert submit_in_widget(client, session).status_code == 200

    post()
    ceiling(statements(post), 18)  # the widget session's person, then as the API


def test_sending_one_acknowledgement(personas: Personas) -> None:
    signed_in(personas.customer).post("/tickets/new/", FORM)
    ack = OutgoingMail.objects.get(kind="ack", ticket=Ticket.objects.get())

    sql = statements(lambda: send(ack.pk, now=NOW))

    ceiling(sql, 3)  # the claim, the row with its ticket and person, the mark
