"""Fixtures for the watch tests (the harness is in harness.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.watch.harness import WebhookReceiver


@pytest.fixture
def webhook(settings: Any) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    settings.POLICYDESK_PAGING_CHANNELS = "email,webhook"
    settings.POLICYDESK_PAGING_WEBHOOK_URL = receiver.url
    settings.POLICYDESK_PAGING_WEBHOOK_SECRET = "test-secret-for-signing"
    yield receiver
    receiver.close()
