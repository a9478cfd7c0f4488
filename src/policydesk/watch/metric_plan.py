"""Which warning and breach timers a ticket should have: one pair per running SLA metric instance.

- **First response** (C3, C6, C8): as before, from the due triage stored on the ticket
  (`first_response_due`, on `ticket.calendar`), while the ticket is open and unanswered.
- **Next reply, periodic update, resolution** (and a first response the policy lets pause):
  from the ticket's stored metric events (`tickets.MetricEvent`, written by every action that
  moves a clock): an instance activated, not fulfilled, and not paused now is owed; its due is
  `due_with_pauses` from its activation under the target of the ticket's priority now (the
  elapsed time carries over a priority change, docs/policy-format.md), on the calendar its
  rule counts on under the current policy. A paused or fulfilled instance is owed nothing.

The warning comes at `share` of the instance's target in business time, pauses left out, so a
clock that stopped for two days while the customer was to answer warns two days later too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from policydesk import sla
from policydesk.policy.metric_rules import metric_rules
from policydesk.policy.model import Policy
from policydesk.sla.clock import business_seconds_for
from policydesk.sla.metrics import Clock, MetricRule

FIRST_RESPONSE = "first_response"
WARNING = "warning"
BREACH = "breach"

#: (metric, cycle, kind): what a timer is for.
TimerKey = tuple[str, int, str]
#: What a ticket should have: each timer's instant and the due of its instance.
Wanted = dict[TimerKey, tuple[datetime, datetime]]


@dataclass
class StoredInstance:
    """One metric instance as its stored events tell it."""

    activated_at: datetime | None = None
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    fulfilled: bool = False

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    @property
    def owed(self) -> bool:
        """Running: activated, neither fulfilled nor paused."""
        return self.activated_at is not None and not self.fulfilled and not self.paused

    def closed_pauses(self) -> list[tuple[datetime, datetime]]:
        return [(low, high) for low, high in self.pauses if high is not None]


def stored_instances(
    rows: Iterable[tuple[str, int, str, datetime]],
) -> dict[tuple[str, int], StoredInstance]:
    """Instances from event rows `(metric, cycle, kind, at)` in the order they happened."""
    instances: dict[tuple[str, int], StoredInstance] = {}
    for metric, cycle, kind, at in rows:
        instance = instances.get((metric, cycle))
        if instance is None:
            instance = instances[metric, cycle] = StoredInstance()
        if kind == "activated":
            instance.activated_at = at
        elif kind == "paused" and not instance.paused:
            instance.pauses.append((at, None))
        elif kind == "resumed" and instance.paused:
            instance.pauses[-1] = (instance.pauses[-1][0], at)
        elif kind == "fulfilled":
            instance.fulfilled = True
    return instances


@dataclass(frozen=True)
class TicketFacts:
    """What planning reads of a ticket (a model instance or a `values_list` row)."""

    pk: int
    is_open: bool
    plan: str
    office: str
    priority: str
    mission_critical: bool
    calendar: str
    created_at: datetime
    first_response_due: datetime | None
    first_responded_at: datetime | None


def first_response_pauses(policy: Policy) -> bool:
    """Whether the policy lets the first response pause: then it is counted from its stored
    events like the other metrics, not from the due triage stored on the ticket."""
    return bool(policy.pause_on.get("first_response"))


def warning_moment(calendar: sla.Calendar, start: datetime, due: datetime, share: float) -> datetime | None:
    """The instant `share` of the business time from `start` to `due` has passed on `calendar`
    (one with no pauses in between); None when it is not before the due."""
    if not 0 < share < 1:
        return None
    target = sla.business_time_between(calendar, start, due)
    warning = sla.due(calendar, start, sla.Target.business(share * target.total_seconds()))
    return warning if warning < due else None


class Planner:
    """The timers tickets should have under one policy and warning share (rules cached by plan,
    office and mission-criticality, as a pass plans thousands of tickets)."""

    def __init__(self, policy: Policy, share: float) -> None:
        self.policy = policy
        self.share = share
        self._rules: dict[tuple[str, str, bool], dict[str, MetricRule]] = {}
        self.first_response_from_events = first_response_pauses(policy)

    def rules(self, plan_id: str, office: str, mission_critical: bool) -> dict[str, MetricRule]:
        key = (plan_id, office, mission_critical)
        if key not in self._rules:
            plan = self.policy.plans.get(plan_id)
            rules = metric_rules(self.policy, plan, office, mission_critical=mission_critical) if plan else []
            self._rules[key] = {rule.metric: rule for rule in rules}
        return self._rules[key]

    def wanted(self, ticket: TicketFacts, instances: dict[tuple[str, int], StoredInstance]) -> Wanted:
        """Every warning and breach `ticket` should have now."""
        wanted: Wanted = {}
        if not ticket.is_open:
            return wanted
        if not self.first_response_from_events:
            self._first_response(ticket, wanted)
        rules = self.rules(ticket.plan, ticket.office, ticket.mission_critical) if instances else {}
        for (metric, cycle), instance in instances.items():
            if metric == FIRST_RESPONSE and not self.first_response_from_events:
                continue
            rule = rules.get(metric)
            clock = rule.clock_for(ticket.priority) if rule is not None else None
            if clock is None or not instance.owed:
                continue
            self._instance(metric, cycle, instance, clock, wanted)
        return wanted

    def _first_response(self, ticket: TicketFacts, wanted: Wanted) -> None:
        """C3, C6, C8: the warning at `share` of the target on the ticket's calendar, the breach at
        the due triage stored."""
        due = ticket.first_response_due
        if due is None or ticket.first_responded_at is not None:
            return
        wanted[FIRST_RESPONSE, 1, BREACH] = (due, due)
        calendar = self.policy.calendar(ticket.calendar)
        warning = warning_moment(calendar, ticket.created_at, due, self.share) if calendar else None
        if warning is not None:
            wanted[FIRST_RESPONSE, 1, WARNING] = (warning, due)

    def _instance(
        self, metric: str, cycle: int, instance: StoredInstance, clock: Clock, wanted: Wanted
    ) -> None:
        assert instance.activated_at is not None  # noqa: S101 - owed
        start, pauses = instance.activated_at, instance.closed_pauses()
        due = sla.due_with_pauses(clock.calendar, start, clock.target, pauses)
        wanted[metric, cycle, BREACH] = (due, due)
        if not 0 < self.share < 1:
            return
        counted_on, _ = business_seconds_for(clock.calendar, clock.target)
        target = sla.business_time_between(counted_on, start, due, pauses)
        warning = sla.due_with_pauses(
            counted_on, start, sla.Target.business(self.share * target.total_seconds()), pauses
        )
        if warning < due:
            wanted[metric, cycle, WARNING] = (warning, due)
