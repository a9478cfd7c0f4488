"""What `/readyz` checks, each a function of `now` returning a `Check`: the database answers, its
migrations are applied, the policy file is valid, and a worker and an SMTP listener have beaten
recently (`heartbeats.py`). Which checks run is `POLICYDESK_READY_CHECKS` (an IMAP-only desk
drops `smtpd`); how old a heartbeat may be, `POLICYDESK_HEARTBEAT_STALE` seconds.

The details say what is wrong without secrets or paths: the reasons go to the log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from policydesk.desk_policy import get_policy
from policydesk.ops import heartbeats
from policydesk.ops.models import Heartbeat
from policydesk.policy.loading import PolicyError

log = logging.getLogger("policydesk.ops")

CHECKS = ("database", "migrations", "policy", "worker", "smtpd")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def readiness(now: datetime, names: tuple[str, ...] | None = None) -> list[Check]:
    """Every configured check, in order; those after a failed database are not tried."""
    names = names if names is not None else configured_checks()
    results: list[Check] = []
    for name in names:
        if results and not results[0].ok and results[0].name == "database":
            results.append(Check(name, False, "not checked: the database is unreachable"))
            continue
        results.append(_RUN[name](now))
    return results


def configured_checks() -> tuple[str, ...]:
    return tuple(name for name in settings.POLICYDESK_READY_CHECKS if name in _RUN)


def check_database(now: datetime) -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        log.warning("readyz: database unreachable: %s", error)
        return Check("database", False, "unreachable")
    return Check("database", True, connection.vendor)


_migrated = False  # once all were applied in this process, they stay applied


def check_migrations(now: datetime) -> Check:
    global _migrated
    if not _migrated:
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            log.warning("readyz: migrations not readable: %s", error)
            return Check("migrations", False, "not readable")
        if plan:
            return Check("migrations", False, f"{len(plan)} not applied: run `policydesk migrate`")
        _migrated = True
    return Check("migrations", True, "applied")


def check_policy(now: datetime) -> Check:
    try:
        policy = get_policy()
    except (PolicyError, OSError) as error:
        log.warning("readyz: the policy file is not usable: %s", error)
        return Check("policy", False, "invalid or unreadable: see `policydesk policy check`")
    return Check("policy", True, f"{policy.id} {policy.version}")


def _heartbeat(kind: str) -> Callable[[datetime], Check]:
    def check(now: datetime) -> Check:
        try:
            last = heartbeats.latest(kind)
        except DatabaseError as error:
            log.warning("readyz: heartbeats not readable: %s", error)
            return Check(kind, False, "not readable")
        stale = timedelta(seconds=settings.POLICYDESK_HEARTBEAT_STALE)
        if last is None:
            return Check(kind, False, "no heartbeat: is one running?")
        age = (now - last).total_seconds()
        if age > stale.total_seconds():
            return Check(kind, False, f"last heartbeat {age:.0f} s ago")
        return Check(kind, True, f"last heartbeat {max(age, 0):.0f} s ago")

    return check


_RUN: dict[str, Callable[[datetime], Check]] = {
    "database": check_database,
    "migrations": check_migrations,
    "policy": check_policy,
    "worker": _heartbeat(Heartbeat.Kind.WORKER),
    "smtpd": _heartbeat(Heartbeat.Kind.SMTPD),
}
