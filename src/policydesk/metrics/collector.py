"""The desk's figures, read from the database when Prometheus scrapes (one query per family,
each a GROUP BY on an indexed column or a count on a small set): since every process and host
shares the database, any web process answers for the whole desk.

Counters (`_total`) only grow while rows are not deleted: tickets opened (by channel, and whether
the request became a ticket or was deflected at intake, C12), SLA timers fired. Gauges: mail in
by state, mail out by state, tasks waiting and the oldest one's age, timers due and late, pages
not acknowledged, new tickets waiting for the search index and the oldest one's age, the
newest heartbeat's age per kind of process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Count, Max, Min, QuerySet
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.ops.models import Heartbeat
from policydesk.search import indexing
from policydesk.tickets.models import Deflection, Ticket
from policydesk.watch.models import Page, Timer

M = TypeVar("M", GaugeMetricFamily, CounterMetricFamily)

#: A due timer not fired this long after its instant is late (the watch passes every 5 s).
LATE_AFTER = timedelta(seconds=60)


class DeskCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        yield _opened()
        yield _by(
            GaugeMetricFamily("policydesk_mail_inbound", "Inbound messages by state.", labels=["state"]),
            _counts(InboundMessage.objects.values_list("outcome")),
            InboundMessage.Outcome.values,
        )
        yield _by(
            GaugeMetricFamily("policydesk_mail_outgoing", "Outgoing messages by state.", labels=["state"]),
            _counts(OutgoingMail.objects.values_list("status")),
            OutgoingMail.Status.values,
        )
        yield from _tasks(now)
        yield from _timers(now)
        pages = GaugeMetricFamily("policydesk_pages_unacknowledged", "On-call pages not acknowledged (C6).")
        pages.add_metric([], Page.objects.filter(state=Page.State.OPEN).count())
        yield pages
        yield from _search_waiting(now)
        yield _heartbeats(now)


def _counts(rows: QuerySet[Any, Any]) -> dict[str, int]:
    """{value: rows} of a one-column values_list, by one GROUP BY."""
    return dict(rows.annotate(n=Count("pk")).order_by())


def _by(family: M, counts: dict[str, int], every: list[str]) -> M:
    """One sample per value, zero for those no row has (so that a series never disappears)."""
    for value in every:
        family.add_metric([value], counts.get(value, 0))
    return family


def _opened() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "policydesk_tickets_opened",
        "Requests taken, by channel and outcome: a ticket, or deflected at intake (C12).",
        labels=["channel", "outcome"],
    )
    tickets = _counts(Ticket.objects.values_list("channel"))
    deflected = _counts(Deflection.objects.filter(ticket=None).values_list("channel"))
    for channel in Ticket.Channel.values:
        family.add_metric([channel, "ticket"], tickets.get(channel, 0))
        family.add_metric([channel, "deflected"], deflected.get(channel, 0))
    return family


def _tasks(now: datetime) -> Iterator[Metric]:
    ready = DBTaskResult.objects.filter(status=TaskResultStatus.READY).aggregate(
        n=Count("pk"), oldest=Min("enqueued_at")
    )
    depth = GaugeMetricFamily("policydesk_task_queue_depth", "Background tasks waiting for a worker.")
    depth.add_metric([], ready["n"])
    yield depth
    age = GaugeMetricFamily(
        "policydesk_task_queue_oldest_age_seconds", "How long the oldest waiting task has waited."
    )
    age.add_metric([], (now - ready["oldest"]).total_seconds() if ready["oldest"] else 0.0)
    yield age


def _search_waiting(now: datetime) -> Iterator[Metric]:
    """New tickets the worker's search indexer has not reached yet (docs/search.md)."""
    waiting = indexing.waiting_tickets().aggregate(n=Count("pk"), oldest=Min("created_at"))
    depth = GaugeMetricFamily(
        "policydesk_search_waiting_tickets",
        "New tickets whose search entries the worker has not written yet.",
    )
    depth.add_metric([], waiting["n"])
    yield depth
    age = GaugeMetricFamily(
        "policydesk_search_waiting_oldest_age_seconds", "How long the oldest of them has waited."
    )
    age.add_metric([], max(0.0, (now - waiting["oldest"]).total_seconds()) if waiting["oldest"] else 0.0)
    yield age


def _timers(now: datetime) -> Iterator[Metric]:
    pending = Timer.objects.filter(state=Timer.State.PENDING, fire_at__lte=now)
    kinds = Timer.Kind.values
    yield _by(
        GaugeMetricFamily(
            "policydesk_sla_timers_due", "SLA timers whose instant has come, not fired yet.", labels=["kind"]
        ),
        _counts(pending.values_list("kind")),
        kinds,
    )
    yield _by(
        GaugeMetricFamily(
            "policydesk_sla_timers_late",
            "SLA timers unfired a minute after their instant.",
            labels=["kind"],
        ),
        _counts(pending.filter(fire_at__lte=now - LATE_AFTER).values_list("kind")),
        kinds,
    )
    yield _by(
        CounterMetricFamily(
            "policydesk_sla_timers_fired", "SLA timers fired (warnings, breaches, pages).", labels=["kind"]
        ),
        _counts(Timer.objects.filter(state=Timer.State.FIRED).values_list("kind")),
        kinds,
    )


def _heartbeats(now: datetime) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "policydesk_heartbeat_age_seconds",
        "Seconds since the newest heartbeat of each kind of process (-1: none).",
        labels=["process"],
    )
    newest = dict(Heartbeat.objects.values_list("kind").annotate(last=Max("beat_at")).order_by())
    for kind in Heartbeat.Kind.values:
        last = newest.get(kind)
        family.add_metric([kind], (now - last).total_seconds() if last else -1.0)
    return family
