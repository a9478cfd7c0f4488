"""Fixtures for the watch tests (the harness is in harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import Person
from tests.conftest import NOW, Personas
from tests.watch.harness import WebhookReceiver


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def premium_customer(personas: Personas) -> Person:
    organisation = actions.do_create_organisation(
        name="Sora", plan="premium", region="americas", actor=personas.admin, now=NOW
    )
    return actions.do_create_person(
        email="kenji@sora.example",
        password="pw-kenji",
        role="customer",
        organisation=organisation,
        actor=personas.admin,
        now=NOW,
    )


@pytest.fixture
def webhook(settings: Any) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    settings.POLICYDESK_PAGING_CHANNELS = "email,webhook"
    settings.POLICYDESK_PAGING_WEBHOOK_URL = receiver.url
    settings.POLICYDESK_PAGING_WEBHOOK_SECRET = "test-secret-for-signing"
    yield receiver
    receiver.close()
