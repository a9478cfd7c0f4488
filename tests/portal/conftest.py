"""Portal test helpers: a clean cache (rate limits, nonces), tasks run at once, widget settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from policydesk.tickets import actions
from policydesk.tickets.models import Person
from tests.conftest import NOW

WIDGET_SECRET = "test-widget-secret-0123456789"
PRODUCT_ORIGIN = "https://app.example.com"


@pytest.fixture(autouse=True)
def _portal_settings(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.POLICYDESK_WIDGET_SECRET = WIDGET_SECRET
    settings.POLICYDESK_WIDGET_ORIGINS = [PRODUCT_ORIGIN]
    settings.SITE_URL = "https://support.example.com"
    cache.clear()
    yield
    cache.clear()


def set_profile(person: Person, *, language: str | None = None, time_zone: str | None = None) -> None:
    """A person sets their language or zone, through the profile action as the console does."""
    actions.do_update_profile(person=person, actor=person, now=NOW, language=language, time_zone=time_zone)
    person.refresh_from_db()
