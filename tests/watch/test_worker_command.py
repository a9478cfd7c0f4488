"""`policydesk worker`: the task worker with the watch beside it; the watch's system checks."""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from policydesk.watch.checks import check_paging
from tests.conftest import Personas
from tests.watch.harness import keep_test_connection, open_ticket, watch_outbox

CREATED = datetime(2026, 12, 23, 15, 0, tzinfo=UTC)
WARNING_AT = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)


@pytest.fixture
def _keep_signal_handlers() -> Any:
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def run_worker_command(*options: str) -> None:
    """`policydesk worker --batch` once, when the first ticket's warning is due."""
    with time_machine.travel(WARNING_AT, tick=False), keep_test_connection():
        call_command("worker", "--batch", "--no-startup-delay", "--no-reload", *options, verbosity=0)


@pytest.mark.usefixtures("_keep_signal_handlers")
def test_worker_batch_runs_a_watch_pass_and_the_tasks_it_queued(personas: Personas) -> None:
    open_ticket(personas.customer, "troubleshooting", CREATED)
    run_worker_command()
    assert [m.to for m in watch_outbox()] == [[personas.agent.email]]


@pytest.mark.usefixtures("_keep_signal_handlers")
def test_worker_without_the_watch_only_runs_tasks(personas: Personas) -> None:
    open_ticket(personas.customer, "troubleshooting", CREATED)
    run_worker_command("--no-watch")
    assert watch_outbox() == []


def test_a_webhook_without_a_secret_is_reported(settings: Any) -> None:
    settings.POLICYDESK_PAGING_CHANNELS = "email,webhook"
    settings.POLICYDESK_PAGING_WEBHOOK_URL = "https://hooks.example.com/page"
    settings.POLICYDESK_PAGING_WEBHOOK_SECRET = ""

    assert [problem.id for problem in check_paging()] == ["policydesk.E610"]


def test_bad_paging_settings_are_reported(settings: Any) -> None:
    settings.POLICYDESK_PAGING_CHANNELS = "email,pager"
    settings.POLICYDESK_PAGING_WEBHOOK_URL = "ftp://hooks.example.com/page"
    settings.POLICYDESK_PAGING_WEBHOOK_SECRET = "s"

    assert [problem.id for problem in check_paging()] == ["policydesk.E612"]
    settings.POLICYDESK_PAGING_CHANNELS = "email,webhook"
    assert [problem.id for problem in check_paging()] == ["policydesk.E611"]


def test_the_default_settings_pass_the_checks() -> None:
    assert check_paging() == []
