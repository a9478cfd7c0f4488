"""Limits on guessing and replay, kept in the database so every web process shares them
(issue 9, findings 8 and 9), whatever the cache setting.

A limit is a fixed-window counter (`LimitCounter`), taken with one conditional UPDATE: the
row is counted only while it is under its limit (or its window is over and it starts again),
so parallel requests can never take more than the limit, on SQLite and PostgreSQL alike. A
request takes all the counters of its rules in one transaction, and takes none if any of them
is full. A single-use token is recorded under a unique digest (`UsedToken`): the second
insert fails in whichever process it comes.

The client is the address that connected, or, behind `POLICYDESK_TRUSTED_PROXY_COUNT`
proxies, the address the outermost of them saw (from `X-Forwarded-For`). An IPv6 client
counts as its /64 network, which one machine usually has to itself.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from policydesk.portal.models import LimitCounter, UsedToken

_KEY_SALT = "policydesk.portal.limits"
# Counters whose window ended this long ago are deleted as new ones are taken, a batch at a time.
FORGET_AFTER = timedelta(days=1)
FORGET_AT_ONCE = 500


@dataclass(frozen=True)
class Rule:
    """At most `limit` uses per `window` for each value of `counts` (e.g. account and client)."""

    name: str
    limit: int
    window: timedelta
    counts: tuple[str, ...]

    def key(self, subjects: Mapping[str, str]) -> str:
        what = "\0".join(subjects[part] for part in self.counts)
        return f"{self.name}:" + salted_hmac(_KEY_SALT, f"{self.name}\0{what}").hexdigest()


@dataclass(frozen=True)
class Refused:
    """A rule is full: nothing was taken; the earliest moment it has room again."""

    rule: Rule
    retry_at: datetime

    def seconds(self, now: datetime) -> int:
        return max(1, math.ceil((self.retry_at - now).total_seconds()))


@dataclass(frozen=True)
class Taken:
    """Every rule had room and counts this use; `give_back` undoes it (a correct password)."""

    keys: tuple[str, ...]

    def give_back(self) -> None:
        LimitCounter.objects.filter(key__in=self.keys, count__gt=0).update(count=F("count") - 1)


def _take_one(rule: Rule, key: str, now: datetime) -> datetime | None:
    """Count one use on `key`; None if counted, else when the rule has room again."""
    over = Q(window_start__lte=now - rule.window)
    for _attempt in range(2):  # a second go if the row was forgotten between the two statements
        LimitCounter.objects.bulk_create(
            [LimitCounter(key=key, window_start=now, count=0)], ignore_conflicts=True
        )
        counted = (
            LimitCounter.objects.filter(key=key)
            .filter(over | Q(count__lt=rule.limit))
            .update(
                count=Case(When(over, then=Value(1)), default=F("count") + 1),
                window_start=Case(When(over, then=Value(now)), default=F("window_start")),
            )
        )
        if counted:
            return None
        started = LimitCounter.objects.filter(key=key).values_list("window_start", flat=True).first()
        if started is not None:
            return started + rule.window
    return now + rule.window


def take(rules: tuple[Rule, ...], subjects: Mapping[str, str], now: datetime) -> Taken | Refused:
    """Count one use under every rule, or (if any rule is full) under none."""
    _forget(LimitCounter.objects.filter(window_start__lt=now - FORGET_AFTER))
    keys = tuple(rule.key(subjects) for rule in rules)
    with transaction.atomic():
        for rule, key in zip(rules, keys, strict=True):
            retry_at = _take_one(rule, key, now)
            if retry_at is not None:
                transaction.set_rollback(True)  # the rules already counted give their use back
                return Refused(rule=rule, retry_at=retry_at)
    return Taken(keys=keys)


def client_address(request: HttpRequest) -> str:
    """Who is asking, as well as we can tell (see the module docstring); "unknown" if unreadable."""
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.POLICYDESK_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            address = forwarded[-proxies]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def use_once(kind: str, token_id: str, expires_at: datetime, now: datetime) -> bool:
    """Record the use of a single-use token; False if it was used before (in any process).

    `expires_at` is when the token would be refused anyway: the record can go after that.
    """
    _forget(UsedToken.objects.filter(expires_at__lt=now))
    digest = hashlib.sha256(f"{kind}\0{token_id}".encode()).hexdigest()
    try:
        with transaction.atomic():
            UsedToken.objects.create(digest=digest, kind=kind, used_at=now, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def _forget(stale: QuerySet[Any]) -> None:
    """Delete rows nobody needs any more, in a transaction of their own that waits for no
    lock (rows being counted right now are left for next time), so it never deadlocks with
    a request; a count whose row went meanwhile starts a new one (`_take_one`)."""
    with transaction.atomic():
        rows = list(stale.select_for_update(skip_locked=True).values_list("pk", flat=True)[:FORGET_AT_ONCE])
        if rows:
            stale.model.objects.filter(pk__in=rows).delete()
