"""Logs (issue 16): every record made during a request carries its id and, on a ticket's pages,
the ticket number; the answer carries the id back; POLICYDESK_LOG_FORMAT=json writes one JSON
line per record."""

from __future__ import annotations

import contextvars
import json
import logging
import sys

import pytest
from django.test import Client

from policydesk.ops.logs import JsonFormatter
from tests.conftest import Personas

pytestmark = pytest.mark.django_db


def test_a_request_id_is_made_or_taken_and_given_back(client: Client) -> None:
    made = client.get("/healthz")["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/healthz", HTTP_X_REQUEST_ID="lb-1234-abcd")["X-Request-ID"] == "lb-1234-abcd"
    # Not a sane token (a log injection, say): a new id instead.
    assert client.get("/healthz", HTTP_X_REQUEST_ID='x"\n{"level":"fake"}')["X-Request-ID"] != 'x"'


def test_records_of_a_ticket_page_carry_the_request_id_and_the_ticket(
    client: Client, personas: Personas, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(personas.agent)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/console/tickets/987654/", HTTP_X_REQUEST_ID="req-abcdef12")
    assert response.status_code == 404
    record = next(r for r in caplog.records if r.name == "django.request")
    assert (record.request_id, record.ticket) == ("req-abcdef12", 987654)  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-abcdef12" and line["ticket"] == 987654
    assert line["level"] == "WARNING" and "Not Found" in line["message"]


def test_outside_a_request_a_record_has_neither_and_json_is_one_line() -> None:
    def make() -> logging.LogRecord:
        try:
            raise ValueError("boom\nsecond line")
        except ValueError:
            return logging.getLogger("policydesk.test").makeRecord(
                "policydesk.test", logging.ERROR, __file__, 1, "failed: %s", ("日本語",), sys.exc_info()
            )

    record = contextvars.Context().run(make)  # a thread that never served a request
    assert (record.request_id, record.ticket) == (None, None)  # type: ignore[attr-defined]
    text = JsonFormatter().format(record)
    assert "\n" not in text
    line = json.loads(text)
    assert line["message"] == "failed: 日本語" and "ValueError: boom" in line["exception"]
    assert "request_id" not in line
