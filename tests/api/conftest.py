"""The API's test desk: a token per persona, one EMEA Growth ticket and one Premium ticket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client

from policydesk.api.tokens import do_create_api_token
from policydesk.tickets import actions
from policydesk.tickets.models import Attachment, Person, Ticket
from tests.conftest import NOW, Personas, open_ticket

API = "/api/v1"


def pytest_configure(config: pytest.Config) -> None:
    # --strict-markers: registered here until pyproject.toml lists it.
    config.addinivalue_line("markers", "schemathesis: fuzzes the API against its OpenAPI schema")


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    """The API stamps its writes with the wall clock: hold it at NOW."""
    with time_machine.travel(NOW, tick=False):
        yield


@dataclass(frozen=True)
class Desk:
    personas: Personas
    premium_customer: Person
    eu_ticket: Ticket  # Growth, EMEA: the central-europe queue (C9)
    premium_ticket: Ticket  # Premium: the global queue (C9)
    eu_attachment: Attachment
    premium_attachment: Attachment
    tokens: dict[str, str]

    def person(self, name: str) -> Person:
        if name == "premium_customer":
            return self.premium_customer
        person = getattr(self.personas, name)
        assert isinstance(person, Person)
        return person


class Api:
    """A test client that speaks to the API with one person's token (or none)."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        response = self.client.get(API + path, params, headers=self.headers)
        if response.streaming:  # a download: read it and close the file
            response.body = b"".join(response.streaming_content)
            response.close()
        return response

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.client.post(API + path, body or {}, content_type="application/json", headers=self.headers)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.patch(API + path, body, content_type="application/json", headers=self.headers)

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(API + path, data, headers=self.headers)


PERSONAS = (
    "customer",
    "same_org_customer",
    "other_org_customer",
    "agent",
    "other_office_agent",
    "premium_agent",
    "lead",
    "admin",
    "premium_customer",
)


@pytest.fixture
def desk(personas: Personas, premium_customer: Person) -> Desk:
    screenshot = actions.Upload(filename="chart.png", content_type="image/png", content=b"\x89PNG fake")
    eu_ticket = open_ticket(personas.customer, uploads=(screenshot,))
    actions.do_add_note(ticket=eu_ticket, agent=personas.agent, text="Customer is on the old plan", now=NOW)
    log = actions.Upload(
        filename="trace.html", content_type="text/html", content=b"<script>alert(1)</script>"
    )
    premium_ticket = open_ticket(premium_customer, topic="bug-report", subject="Export fails", uploads=(log,))
    tokens = {}
    for name in PERSONAS:
        person = premium_customer if name == "premium_customer" else getattr(personas, name)
        tokens[name] = do_create_api_token(person=person, name="tests", actor=None, now=NOW).secret
    return Desk(
        personas=personas,
        premium_customer=premium_customer,
        eu_ticket=eu_ticket,
        premium_ticket=premium_ticket,
        eu_attachment=eu_ticket.attachments.get(),
        premium_attachment=premium_ticket.attachments.get(),
        tokens=tokens,
    )


@pytest.fixture
def as_person(desk: Desk) -> Any:
    """`as_person("agent")`: an API client holding that persona's token; None: anonymous."""

    def make(name: str | None) -> Api:
        return Api(desk.tokens[name] if name else None)

    return make
