"""Status-page test helpers: the database task backend (so enqueueing is transactional, as in
production), a worker run on demand, fast password hashing, a public site URL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from policydesk.status import actions
from policydesk.status.models import Component, Incident
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, open_ticket

SITE = "https://support.example.com"
LATER = NOW + timedelta(hours=1)


@pytest.fixture(autouse=True)
def _status_settings(settings: Any) -> Iterator[None]:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    """The wall clock stands an hour after the personas' NOW (views take now from it)."""
    time_machine.move_to(LATER, tick=False)


def enqueued(task_name: str) -> list[DBTaskResult]:
    """Tasks waiting for the worker whose function is `task_name` (e.g. "send_update_email")."""
    return [
        r for r in DBTaskResult.objects.ready().order_by("enqueued_at") if r.task_path.endswith(task_name)
    ]


def run_worker() -> None:
    """Run the real database worker until nothing is left, as `policydesk db_worker --batch`."""
    call_command("db_worker", batch=True, no_startup_delay=True, interval=0, verbosity=0)


@pytest.fixture
def components(personas: Personas) -> dict[str, Component]:
    made = {}
    for position, (slug, name, name_ja) in enumerate(
        [
            ("dashboards", "Dashboards", "ダッシュボード"),
            ("sign-in", "Sign-in", "ログイン"),
            ("api", "API", ""),
        ]
    ):
        made[slug] = actions.do_create_component(
            slug=slug, name=name, name_ja=name_ja, position=position, actor=personas.admin, now=NOW
        )
    return made


def open_incident(personas: Personas, available: dict[str, Component], **fields: Any) -> Incident:
    """An incident on the dashboards (unless `components=` says otherwise), posted by an agent at NOW."""
    values: dict[str, Any] = {
        "title": "Dashboards do not load",
        "title_ja": "ダッシュボードが表示されない",
        "severity": "critical",
        "body": "We are looking into failing dashboard requests.",
        "body_ja": "ダッシュボードのリクエストの失敗を調査しています。",
        "components": [available["dashboards"]],
        "actor": personas.agent,
        "now": NOW,
    }
    values.update(fields)
    return actions.do_open_incident(**values)


def p0_ticket(personas: Personas, priority: str = "critical") -> Ticket:
    return open_ticket(
        personas.customer, subject="Nobody can sign in", text="All our users see an error.",
        priority=priority, now=NOW - timedelta(minutes=5),
    )  # fmt: skip
