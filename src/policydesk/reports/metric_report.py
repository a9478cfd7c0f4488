"""SLA metric figures per metric by plan, office and week (issue 15): attainment (met as a share of
met and breached) and the median and 90th percentile business time of the fulfilled instances.

Read from the stored `MetricEvent` rows of the tickets opened in the period (one query), rebuilt
into metric instances under the policy in force (`sla.metrics.instances_from_events`): a breach
the watch has not stored yet counts when its due has passed at `now`. A policy whose plans all
promise only a first response (the bundled one) has these figures in the first-response reports
already: nothing is read and no table shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from policydesk.policy.metric_rules import metric_rules, promises_beyond_first_response
from policydesk.policy.model import METRICS, Policy
from policydesk.reports.queries import Attainment, Period, median, office_order, percentile_90, week_of
from policydesk.sla.metrics import MetricInstance, instances_from_events
from policydesk.tickets.models import MetricEvent


@dataclass(frozen=True)
class MetricFact:
    """One metric instance of a ticket opened in the period, with the ticket's groups."""

    instance: MetricInstance
    plan: str
    office: str
    week: str  # the Monday of the ticket's creation week, ISO


@dataclass(frozen=True)
class MetricReport:
    by_plan: list[Attainment]  # key: "metric|plan"
    by_office: list[Attainment]
    by_week: list[Attainment]


def promises_more(policy: Policy) -> bool:
    """Whether any plan of `policy` promises a metric beyond the first response."""
    return any(promises_beyond_first_response(plan) for plan in policy.plans.values())


def metric_facts(policy: Policy, period: Period, now: datetime, tag: str = "") -> list[MetricFact]:
    """Every metric instance of the tickets opened in `period` (and by `now`), of those tagged
    `tag` if given; one query."""
    events = MetricEvent.objects.filter(
        ticket__created_at__gte=period.start_at, ticket__created_at__lt=min(period.end_at, now)
    )
    if tag:
        events = events.filter(ticket__tags__name=tag)
    tickets: dict[int, tuple[str, str, str, bool, datetime]] = {}
    stored: dict[int, list[tuple[str, int, str, datetime]]] = defaultdict(list)
    for ticket_id, metric, cycle, kind, at, *ticket in events.values_list(
        "ticket_id", "metric", "cycle", "kind", "at",
        "ticket__organisation__plan", "ticket__office", "ticket__priority", "ticket__mission_critical",
        "ticket__created_at",
    ):  # fmt: skip
        tickets[ticket_id] = tuple(ticket)  # type: ignore[assignment]
        stored[ticket_id].append((metric, cycle, kind, at))
    facts: list[MetricFact] = []
    for ticket_id, (plan_id, office, priority, critical, created_at) in tickets.items():
        plan = policy.plans.get(plan_id)
        if plan is None:
            continue
        rules = metric_rules(policy, plan, office, mission_critical=critical)
        week = week_of(created_at.astimezone(UTC).date()).isoformat()
        facts.extend(
            MetricFact(instance, plan_id, office, week)
            for instance in instances_from_events(rules, priority, stored[ticket_id], now)
        )
    return facts


def metric_attainment(key: str, facts: Iterable[MetricFact]) -> Attainment:
    """The figures of a group of metric instances: met, breached, still running or paused."""
    counts = {"met": 0, "breached": 0, "pending": 0}
    spans, total = [], 0
    for fact in facts:
        total += 1
        state = fact.instance.state
        counts["pending" if state in ("running", "paused") else state] += 1
        if fact.instance.fulfilled_at is not None:
            spans.append(int(fact.instance.elapsed.total_seconds()))
    return Attainment(
        key=key, tickets=total, met=counts["met"], breached=counts["breached"], pending=counts["pending"],
        no_target=0, answered=len(spans), median_seconds=median(spans), p90_seconds=percentile_90(spans),
    )  # fmt: skip


def _grouped(facts: list[MetricFact], key: Callable[[MetricFact], str], order: list[str]) -> list[Attainment]:
    """Figures per metric and group (key "metric|group"): metrics in the policy's order, then groups
    in `order`, then any others by name."""
    groups: dict[tuple[str, str], list[MetricFact]] = defaultdict(list)
    for fact in facts:
        groups[fact.instance.metric, key(fact)].append(fact)
    rank = {group: index for index, group in enumerate(order)}
    keys = sorted(groups, key=lambda k: (METRICS.index(k[0]), rank.get(k[1], len(rank)), k[1]))
    return [metric_attainment(f"{metric}|{group}", groups[metric, group]) for metric, group in keys]


def metric_report(policy: Policy, period: Period, now: datetime, tag: str = "") -> MetricReport | None:
    """The metric tables of the tickets opened in `period`; None when the policy promises only
    first responses (nothing read)."""
    if not promises_more(policy):
        return None
    facts = metric_facts(policy, period, now, tag)
    weeks = [week.isoformat() for week in period.weeks()]
    return MetricReport(
        by_plan=_grouped(facts, lambda f: f.plan, list(policy.plans)),
        by_office=_grouped(facts, lambda f: f.office, office_order(policy)),
        by_week=_grouped(facts, lambda f: f.week, weeks),
    )
