"""Every SLA metric in the policy what-if (`policydesk policy simulate`, issue 15): each ticket's
history (the audit rows its actions wrote: replies, customer messages, status and priority
changes) is replayed on `policydesk.sla.metrics` under the desk's policy (*current*) and under the
other one (*new*), on the office each policy's triage gives it; per metric and plan, how many
instances each would have met and breached.

Two queries whatever the number of tickets: their timelines, their priorities now.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from policydesk.policy.metric_rules import metric_rules
from policydesk.policy.model import METRICS, Policy
from policydesk.reports.queries import TicketFacts
from policydesk.sla.metrics import MetricInstance, ticket_metrics
from policydesk.tickets.models import AuditEvent, Ticket
from policydesk.tickets.sla_metrics import TIMELINE_ACTIONS, timeline_from_audit


@dataclass
class MetricTally:
    instances: int = 0
    met: int = 0
    breached: int = 0
    running: int = 0  # running or paused at `now`

    def add(self, instance: MetricInstance) -> None:
        self.instances += 1
        if instance.state == "met":
            self.met += 1
        elif instance.state == "breached":
            self.breached += 1
        else:
            self.running += 1

    @property
    def attainment(self) -> float | None:
        """Met as a share of met and breached, in percent."""
        decided = self.met + self.breached
        return 100.0 * self.met / decided if decided else None


@dataclass
class MetricSimulationRow:
    metric: str
    plan: str
    current: MetricTally = field(default_factory=MetricTally)
    new: MetricTally = field(default_factory=MetricTally)

    @property
    def difference(self) -> float | None:
        """New attainment less current attainment, in percentage points."""
        if self.current.attainment is None or self.new.attainment is None:
            return None
        return self.new.attainment - self.current.attainment


def _timelines(ticket_ids: Sequence[int]) -> dict[int, list[tuple[str, datetime, Mapping[str, Any]]]]:
    rows: dict[int, list[tuple[str, datetime, Mapping[str, Any]]]] = defaultdict(list)
    audit = (
        AuditEvent.objects.filter(
            subject_type="ticket", subject_id__in=[str(pk) for pk in ticket_ids], action__in=TIMELINE_ACTIONS
        )
        .order_by("at", "id")
        .values_list("subject_id", "action", "at", "data")
    )
    for subject_id, action, at, data in audit:
        rows[int(subject_id)].append((action, at, data))
    return rows


def _first_priority(rows: Sequence[tuple[str, datetime, Mapping[str, Any]]], now_priority: str) -> str:
    for action, _, data in rows:
        if action == "ticket.priority" and isinstance(data.get("before"), str):
            return str(data["before"])
    return now_priority


def _instances(
    policy: Policy, fact: TicketFacts, office: str, priority: str, timeline: Sequence[Any], now: datetime
) -> list[MetricInstance]:
    plan = policy.plans.get(fact.plan)
    if plan is None:
        return []
    rules = metric_rules(policy, plan, office, mission_critical=fact.mission_critical)
    known = max([now, *(event.at for event in timeline[-1:])])
    return ticket_metrics(rules, fact.created_at, priority, timeline, known)


def simulate_metrics(
    current: Policy,
    new: Policy,
    facts: Sequence[TicketFacts],
    new_offices: Mapping[int, str | None],
    now: datetime,
) -> list[MetricSimulationRow]:
    """Per metric and plan (metrics in order, plans in the current policy's order): the instances
    of the tickets' histories replayed under each policy. `new_offices`: ticket id -> the office
    the new policy's triage gives it (None: not replayable or deflected, left out under new)."""
    ids = [fact.ticket_id for fact in facts]
    timelines = _timelines(ids)
    priorities = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "priority"))
    rows: dict[tuple[str, str], MetricSimulationRow] = {}
    for fact in facts:
        audit = timelines.get(fact.ticket_id, [])
        timeline = timeline_from_audit(audit, fact.created_at)
        priority = _first_priority(audit, priorities.get(fact.ticket_id, ""))
        sides = [("current", current, fact.office)]
        if (office := new_offices.get(fact.ticket_id)) is not None:
            sides.append(("new", new, office))
        for side, policy, handled_by in sides:
            for instance in _instances(policy, fact, handled_by, priority, timeline, now):
                row = rows.setdefault(
                    (instance.metric, fact.plan), MetricSimulationRow(instance.metric, fact.plan)
                )
                getattr(row, side).add(instance)
    plans = {plan: n for n, plan in enumerate(current.plans)}
    return sorted(
        rows.values(),
        key=lambda r: (METRICS.index(r.metric), plans.get(r.plan, len(plans)), r.plan),
    )


def percent(value: float | None) -> str:
    """An attainment as the what-if prints it ('-' for none)."""
    return "-" if value is None else f"{value:.1f}%"


def points(value: float | None) -> str:
    """A change of attainment in percentage points ('-' for none)."""
    return "-" if value is None else f"{value:+.1f} pp"


def format_metric_rows(rows: Sequence[MetricSimulationRow]) -> list[str]:
    """The per-metric section of the what-if's text report."""
    header = (
        f"{'metric':<16} {'plan':<12} {'current n':>9} {'met':>5} {'breached':>8} {'attain.':>8}"
        f"  {'new n':>5} {'met':>5} {'breached':>8} {'attain.':>8}  {'change':>9}"
    )
    lines = [
        "",
        "Every metric, each ticket's history replayed under the current and the new policy"
        " (n: instances; running or paused ones are neither met nor breached):",
        "",
        header,
        "-" * len(header),
    ]
    for row in rows:
        lines.append(
            f"{row.metric:<16} {row.plan:<12} {row.current.instances:>9} {row.current.met:>5}"
            f" {row.current.breached:>8} {percent(row.current.attainment):>8}  {row.new.instances:>5}"
            f" {row.new.met:>5} {row.new.breached:>8} {percent(row.new.attainment):>8}"
            f"  {points(row.difference):>9}"
        )
    return lines
