"""/healthz and /readyz (issue 16): the process answers; ready only when the database answers, its
migrations are applied, the policy file is valid and a worker and an SMTP listener beat lately;
each failing dependency turns it not ready, naming which."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from policydesk.ops import health, heartbeats
from policydesk.ops.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _migrations_checked_each_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_migrated", False)


def beating(*kinds: str, ago: timedelta = timedelta(seconds=5)) -> None:
    for number, kind in enumerate(kinds):
        heartbeats.beat(kind, timezone.now() - ago, process=f"host-{kind}:{number}")


def readyz(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    assert response["Cache-Control"].startswith("max-age=0")
    return response.status_code, response.json()


def test_healthz_answers_without_the_database(
    client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_when_every_dependency_is(client: Client) -> None:
    beating(Heartbeat.Kind.WORKER, Heartbeat.Kind.SMTPD)
    status, body = readyz(client)
    assert status == 200 and body["ready"] is True
    assert list(body["checks"]) == ["database", "migrations", "policy", "worker", "smtpd"]
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["policy"]["detail"].startswith("example-analytics")


def test_no_worker_heartbeat_is_not_ready(client: Client) -> None:
    beating(Heartbeat.Kind.SMTPD)
    status, body = readyz(client)
    assert status == 503 and body["ready"] is False
    assert body["checks"]["worker"] == {"ok": False, "detail": "no heartbeat: is one running?"}
    assert body["checks"]["smtpd"]["ok"] is True


def test_a_stale_smtp_listener_heartbeat_is_not_ready(client: Client, settings: Any) -> None:
    settings.POLICYDESK_HEARTBEAT_STALE = 60
    beating(Heartbeat.Kind.WORKER)
    beating(Heartbeat.Kind.SMTPD, ago=timedelta(seconds=300))
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["smtpd"]["ok"] is False
    assert body["checks"]["smtpd"]["detail"].startswith("last heartbeat 30")


def test_an_imap_only_desk_leaves_the_smtp_listener_out(client: Client, settings: Any) -> None:
    settings.POLICYDESK_READY_CHECKS = ["database", "migrations", "policy", "worker"]
    beating(Heartbeat.Kind.WORKER)
    status, body = readyz(client)
    assert status == 200 and "smtpd" not in body["checks"]


def test_an_invalid_policy_file_is_not_ready_and_says_no_path(
    client: Client, settings: Any, tmp_path: Path
) -> None:
    broken = tmp_path / "secret-place" / "policy.toml"
    broken.parent.mkdir()
    broken.write_text("[policy\nid = ", encoding="utf-8")
    settings.POLICYDESK_POLICY = str(broken)
    beating(Heartbeat.Kind.WORKER, Heartbeat.Kind.SMTPD)
    status, body = readyz(client)
    assert status == 503 and body["checks"]["policy"]["ok"] is False
    assert "secret-place" not in str(body)  # the reason is logged, not shown


def test_unapplied_migrations_are_not_ready(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    beating(Heartbeat.Kind.WORKER, Heartbeat.Kind.SMTPD)
    monkeypatch.setattr(
        health.MigrationExecutor, "migration_plan", lambda self, targets: [("tickets", "0099_future")]
    )
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["migrations"] == {
        "ok": False,
        "detail": "1 not applied: run `policydesk migrate`",
    }


def test_an_unreachable_database_is_not_ready_and_the_rest_is_not_tried(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(health.connection, "cursor", refused)
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable"}
    assert body["checks"]["worker"]["detail"] == "not checked: the database is unreachable"


def test_only_get_and_head(client: Client) -> None:
    assert client.post("/readyz").status_code == 405
    assert client.head("/healthz").status_code == 200
