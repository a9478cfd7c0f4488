"""Satisfaction tests: mail under a known domain and rate limit, tasks at once, a public address."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine

from tests.conftest import NOW


@pytest.fixture(autouse=True)
def _satisfaction_settings(settings: Any) -> None:
    settings.POLICYDESK_MAIL_DOMAIN = "example.com"
    settings.POLICYDESK_MAIL_RATE_LIMIT = (10, 3600)
    settings.SITE_URL = "https://support.example.com"
    settings.POLICYDESK_SATISFACTION_DAYS = 14.0


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """The wall clock at NOW (the views and the link signatures read it), moved by the test."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
