"""Personas for every Django test: one base fixture (STYLE.md 9)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from django.utils import translation

if TYPE_CHECKING:
    from django.test import Client

    from policydesk.tickets.actions import IntakeResult
    from policydesk.tickets.models import Person, Ticket

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
T = TypeVar("T")
TEST_SECRET_KEY = "policydesk-tests-only-k7Qz9-wX2p_Lm4Rt8vNb3Hs6Jd1Fg5Yc0Ue"


def pytest_configure(config: pytest.Config) -> None:
    """The tests run as production does, on a secret key of their own: every process refuses
    the public development key without POLICYDESK_DEBUG=1 (policydesk.E002). Processes the
    tests start inherit it from the environment."""
    from django.conf import settings

    settings.SECRET_KEY = TEST_SECRET_KEY
    os.environ["POLICYDESK_SECRET_KEY"] = TEST_SECRET_KEY
    # A new ticket's search entries are written in its intake, so that a test can search for the
    # ticket it has just made; the worker's indexer, the default, has its own tests
    # (tests/search/test_pending.py, docs/search.md).
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "request"


def run_with_settings(data_dir: Path, code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """`code` run by this interpreter in a process of its own, on the settings an operator's
    environment makes: none of this process's DATABASE_URL or POLICYDESK_* variables, the data
    folder `data_dir`, then `environment`."""
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("DATABASE_URL", "POLICYDESK_"))
    }
    root = Path(__file__).resolve().parents[1]
    env.update(POLICYDESK_DATA_DIR=str(data_dir), PYTHONPATH=str(root / "src"), **environment)
    return subprocess.run(  # noqa: S603 - our own interpreter and settings module
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def assert_loop_outlives_a_failure(
    monkeypatch: pytest.MonkeyPatch, owner: object, name: str, make_loop: Callable[[], Any], result: object
) -> None:
    """A worker loop (`ops.loops.Every`) whose work, `owner.name`, fails on its first run and
    returns `result` after: it runs again, then stops when told."""
    from policydesk.ops import loops

    runs = threading.Semaphore(0)
    failures: list[str] = []

    def work() -> object:
        runs.release()
        if not failures:
            failures.append("first")
            raise RuntimeError("database is locked")  # a failed run is logged, the next one comes
        return result

    monkeypatch.setattr(owner, name, work)
    monkeypatch.setattr(loops, "close_old_connections", lambda: None)
    monkeypatch.setattr(loops.connection, "close", lambda: None)
    loop = make_loop()
    loop.start()
    try:
        assert runs.acquire(timeout=30) and runs.acquire(timeout=30), "ran twice, the failure did not stop it"
    finally:
        loop.stopped.set()
        loop.join(timeout=30)
    assert not loop.is_alive()


@dataclass(frozen=True)
class Personas:
    customer: Person
    same_org_customer: Person
    other_org_customer: Person
    agent: Person
    other_office_agent: Person
    premium_agent: Person
    lead: Person
    admin: Person


@pytest.fixture
def personas(db: None) -> Personas:
    """Growth/EMEA customers (two in one organisation), one of another organisation, agents, lead, admin."""
    from policydesk.tickets import actions

    _first_ticket_is_number_one()

    admin = actions.do_create_person(
        email="admin@example.com", password="pw-admin-1", role="admin", actor=None, now=NOW
    )
    eu = actions.do_create_team(
        name="Central Europe office", kind="office", office="central-europe", actor=admin, now=NOW
    )
    us = actions.do_create_team(name="US West office", kind="office", office="us-west", actor=admin, now=NOW)
    premium = actions.do_create_team(
        name="Premium Americas", kind="premium", office="us-west", actor=admin, now=NOW
    )
    kumo = actions.do_create_organisation(name="Kumo", plan="growth", region="emea", actor=admin, now=NOW)
    other = actions.do_create_organisation(
        name="Other", plan="enterprise", region="americas", actor=admin, now=NOW
    )

    def person(email: str, role: str, **fields: object) -> Person:
        return actions.do_create_person(
            email=email, password="pw-" + email, role=role, actor=admin, now=NOW, **fields
        )  # type: ignore[arg-type]

    return Personas(
        customer=person("hanna@kumo.example", "customer", organisation=kumo),
        same_org_customer=person("felix@kumo.example", "customer", organisation=kumo),
        other_org_customer=person("olga@other.example", "customer", organisation=other),
        agent=person("jonas@example.com", "agent", teams=(eu,)),
        other_office_agent=person("ava@example.com", "agent", teams=(us,)),
        premium_agent=person("priya@example.com", "agent", teams=(us, premium)),
        lead=person("lead@example.com", "lead"),
        admin=admin,
    )


def _first_ticket_is_number_one() -> None:
    """The personas' desk is a fresh one: its first ticket is #1. SQLite's counter row is rolled
    back with each test; PostgreSQL's number sequence is not (migration tickets 0023), so it starts
    again here."""
    from django.db import connection

    from policydesk.tickets.actions.intake import NUMBER_SEQUENCE

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval(%s, 1, false)", [NUMBER_SEQUENCE])


#: persona → sees the customer's (hanna's) ticket: her own; Kumo does not share tickets; it is in
#: the central-europe queue (jonas), which leads and admins see too. The permission matrices of
#: search use it (tests/search/test_find.py, tests/test_permission_matrix_pages.py).
SEES_CUSTOMERS_TICKET: dict[str, bool] = {
    "customer": True,
    "same_org_customer": False,
    "other_org_customer": False,
    "agent": True,
    "other_office_agent": False,
    "premium_agent": False,
    "lead": True,
    "admin": True,
}


def new_customer(
    email: str,
    plan: str,
    region: str,
    *,
    organisation_name: str | None = None,
    organisation: Mapping[str, object] | None = None,
    password: str | None = None,
    actor: Person | None = None,
    now: datetime = NOW,
    **person: object,
) -> Person:
    """A customer of a new organisation on `plan` in `region`, through the actions.

    The organisation is named after the email's domain unless `organisation_name` says otherwise;
    `organisation` holds its other fields (account team, dedicated team), `person` the customer's."""
    from policydesk.tickets import actions

    created = actions.do_create_organisation(
        name=organisation_name or email.partition("@")[2], plan=plan, region=region, actor=actor, now=now,
        **(organisation or {}),
    )  # type: ignore[arg-type]  # fmt: skip
    return actions.do_create_person(
        email=email, password=password, role="customer", organisation=created, actor=actor, now=now, **person
    )  # type: ignore[arg-type]


@pytest.fixture
def premium_customer(personas: Personas) -> Person:
    """Sam of Sora: Premium, Americas, with the Premium Americas team dedicated to it (C9)."""
    from policydesk.tickets.models import Team

    return new_customer(
        "sam@sora.example", "premium", "americas", organisation_name="Sora", password="pw-sam",
        organisation={"dedicated_team": Team.objects.get(name="Premium Americas")}, actor=personas.admin,
    )  # fmt: skip


def open_request(
    requester: Person,
    topic: str = "troubleshooting",
    now: datetime = NOW,
    *,
    subject: str = "Charts are empty",
    text: str = "Since this morning.",
    channel: str = "web",
    **fields: object,
) -> IntakeResult:
    """A request through the one intake path (do_open_ticket), as the web form sends it."""
    from policydesk.tickets import actions

    return actions.do_open_ticket(
        requester=requester, topic=topic, subject=subject, text=text, channel=channel, now=now, **fields
    )  # type: ignore[arg-type]


def open_ticket(
    requester: Person, topic: str = "troubleshooting", now: datetime = NOW, **fields: object
) -> Ticket:
    """A request that the policy takes as a ticket (not deflected)."""
    result = open_request(requester, topic, now, **fields)  # type: ignore[arg-type]
    assert result.ticket is not None, result.decision
    return result.ticket


def at_once(count: int, request: Callable[[], T]) -> list[T]:
    """`count` threads calling `request` at the same moment, each on a database connection of its
    own; their answers in the order they came. An error in any thread is raised here."""
    from django.db import connection

    start = threading.Barrier(count)
    answers: list[T] = []
    errors: list[BaseException] = []

    def one() -> None:
        try:
            start.wait()
            answers.append(request())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return answers


def signed_in(person: Person, **client_kwargs: object) -> Client:
    """A test client signed in as `person` (no password round trip)."""
    from django.test import Client

    client = Client(**client_kwargs)
    client.force_login(person)
    return client


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    """The customer's web ticket with one attachment (the permission matrices' subject)."""
    from policydesk.tickets.actions import Upload

    return open_ticket(personas.customer, text="Help", uploads=(Upload("trace.log", "text/plain", b"trace"),))


#: Growth's further promises in `every_metric_policy` (the seed promises the first response only).
GROWTH_METRICS = (
    'next_reply = { business_hours = 2, text = { en = "Within 2 business hours of each of your messages",'
    ' ja = "お客様のメッセージごとに2営業時間以内" } }\n'
    'periodic_update = { business_days = 1, text = { en = "An update every business day",'
    ' ja = "1営業日ごとに進捗をご連絡" } }\n'
    'resolution = { business_days = 3, text = { en = "Resolved within 3 business days",'
    ' ja = "3営業日以内に解決" } }\n'
)


@pytest.fixture
def every_metric_policy(settings: Any, tmp_path: Path) -> Path:
    """The desk's policy is the bundled one with Growth (Kumo's plan) promising every metric:
    a 2-business-hour next reply, a daily update and a 3-business-day resolution."""
    from policydesk.policy.loading import default_policy_path

    text = default_policy_path().read_text(encoding="utf-8")
    growth = "[plans.growth]\n"
    assert text.count(growth) == 1
    path = tmp_path / "every-metric.toml"
    path.write_text(text.replace(growth, growth + GROWTH_METRICS), encoding="utf-8")
    settings.POLICYDESK_POLICY = str(path)
    return path


@pytest.fixture(autouse=True, scope="session")
def _keep_the_test_connection_open() -> Iterator[None]:
    """A streamed response (FileResponse) closed after the test client returned fires
    request_finished, and Django then drops a connection whose autocommit differs from its
    settings: on PostgreSQL that is the test's own transaction (SQLite's in-memory database
    is never closed, which hides it). A connection inside an atomic block is kept, as the
    test client itself does around the requests it finishes."""
    from django.db.backends.base.base import BaseDatabaseWrapper

    original = BaseDatabaseWrapper.close_if_unusable_or_obsolete

    def keep_in_transaction(self: BaseDatabaseWrapper) -> None:
        if not self.in_atomic_block:
            original(self)

    BaseDatabaseWrapper.close_if_unusable_or_obsolete = keep_in_transaction  # type: ignore[method-assign]
    yield
    BaseDatabaseWrapper.close_if_unusable_or_obsolete = original  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _language_restored() -> Iterator[None]:
    """A request in Japanese leaves Japanese active in this thread (the locale middleware
    activates it and nothing deactivates it after a test client's request): each test starts
    from the default language, whatever the one before it did."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: object) -> None:
    """Real hashing makes every persona cost ~0.1 s; tests check behaviour, not the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: object, tmp_path: object) -> None:
    """Uploaded files go to a throwaway folder, never the developer's var/."""
    settings.MEDIA_ROOT = tmp_path / "media"  # type: ignore[attr-defined,operator]


#: The seed policy's `[outside_copies]` table, as default.toml writes it (off: C14 names no one else).
SEED_OUTSIDE_COPIES = "[outside_copies]\nallowed = false\n"


@pytest.fixture
def allow_outside_copies(settings: object, tmp_path: Path) -> Callable[..., None]:
    """Run the desk by the seed policy with outside copies turned on: `allow_outside_copies()` for
    any domain, or with `domains=[...]`, `max_per_ticket=N` (issue 13)."""
    from policydesk.policy.loading import default_policy_path

    def allow(domains: tuple[str, ...] = (), max_per_ticket: int = 10) -> None:
        text = default_policy_path().read_text(encoding="utf-8")
        assert SEED_OUTSIDE_COPIES in text
        listed = ", ".join(f'"{d}"' for d in domains)
        table = f"[outside_copies]\nallowed = true\ndomains = [{listed}]\nmax_per_ticket = {max_per_ticket}\n"
        path = tmp_path / "policy-outside-copies.toml"
        path.write_text(text.replace(SEED_OUTSIDE_COPIES, table), encoding="utf-8")
        settings.POLICYDESK_POLICY = str(path)  # type: ignore[attr-defined]

    return allow
