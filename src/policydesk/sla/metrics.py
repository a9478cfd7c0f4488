"""SLA metrics of one ticket from its timeline: first response, next reply, periodic update,
resolution; each instance activated, paused, resumed, fulfilled or breached at exact instants.

Pure Python on the clock engine (`due_with_pauses`, `business_time_between`); no Django. The
desk hands in the ticket's timeline (customer and agent public messages, status and priority
changes, in the order they happened) and each metric's rule (its target per priority, the
calendar it counts on, the statuses that pause it); `ticket_metrics` answers every metric
instance with its state, its events, its due instant and the business time elapsed.
docs/policy-format.md defines the metrics; the rules here:

- first_response: activated at creation, fulfilled by the first public agent reply; once a ticket.
- next_reply: activated by a public customer message once an agent has replied publicly and
  while no next reply is owed (so it runs from the oldest unanswered message); fulfilled by
  the next public agent reply.
- periodic_update: activated by each public agent reply, fulfilled by the next one.
- resolution: activated at creation and again at each reopen (a new cycle); fulfilled by solving.
- Solving (or closing) a ticket fulfils every running instance: nothing is owed any more.
- While the ticket's status is one the metric's rule names in `pause_on`, its clock stops.
- Met when fulfilled at or before the due instant; breached when the due instant passes
  first (reports/queries.py `classify` says the same of the first response). A breach
  stands: a later fulfilment or a longer target does not undo it.
- A priority change switches the target (its calendar too) of the running instances; the
  business time elapsed carries over, as the due is recomputed from the instance's start
  (Zendesk's rule). A target already exceeded at the change is breached at the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from policydesk.sla.calendars import Calendar, Target
from policydesk.sla.clock import business_seconds_for, business_time_between, due_with_pauses

MetricName = Literal["first_response", "next_reply", "periodic_update", "resolution"]
MetricState = Literal["running", "paused", "met", "breached"]
EventKind = Literal["customer_message", "agent_reply", "status", "priority"]
MetricEventKind = Literal["activated", "paused", "resumed", "fulfilled", "breached"]

#: The metrics a public agent reply fulfils.
_ANSWERED_BY_A_REPLY: tuple[MetricName, ...] = ("first_response", "next_reply", "periodic_update")
#: Statuses in which a ticket is finished: its clocks stop, and leaving them is a reopen.
DONE_STATUSES = frozenset({"solved", "closed"})
#: The statuses a ticket may have (the desk's, with on-hold: waiting on a third party).
STATUSES = frozenset({"new", "open", "pending", "on-hold", "solved", "closed"})


@dataclass(frozen=True, slots=True)
class Clock:
    """A metric's target and the calendar it counts on."""

    calendar: Calendar
    target: Target


@dataclass(frozen=True, slots=True)
class MetricRule:
    """One metric as a ticket's policy promises it.

    `clock` is the target for any priority without one of its own in `by_priority`; either
    may be missing (no promise for those tickets). `pause_on`: statuses that stop the clock.
    """

    metric: MetricName
    clock: Clock | None
    by_priority: Mapping[str, Clock] = field(default_factory=dict, hash=False)
    pause_on: frozenset[str] = frozenset()

    def clock_for(self, priority: str | None) -> Clock | None:
        """The clock a ticket of `priority` runs by; None = no promise for it."""
        if priority is not None and priority in self.by_priority:
            return self.by_priority[priority]
        return self.clock

    @property
    def any_clock(self) -> Clock | None:
        """A clock of the rule, whatever the priority (to count elapsed time when none applies)."""
        return self.clock or next(iter(self.by_priority.values()), None)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """Something that happened to a ticket: `value` is the new status or priority."""

    at: datetime  # aware
    kind: EventKind
    value: str = ""


@dataclass(frozen=True, slots=True)
class MetricEvent:
    """One moment in a metric instance's life (the rows the desk stores: the clock's audit)."""

    kind: MetricEventKind
    at: datetime


@dataclass(frozen=True, slots=True)
class MetricInstance:
    """One metric instance on a ticket, as of `now`.

    `due` is the instant the clock runs out under the target in force at the end (the
    fulfilment, or `now`); None while paused (the clock is stopped) or when no target applies.
    `elapsed` is business time on the clock's calendar from activation to the end, less pauses.
    """

    metric: MetricName
    cycle: int  # 1, 2, ...: the how-manieth instance of this metric on the ticket
    state: MetricState
    activated_at: datetime
    due: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    pauses: tuple[tuple[datetime, datetime | None], ...]  # an ongoing pause has no end
    elapsed: timedelta
    events: tuple[MetricEvent, ...]


@dataclass(slots=True)
class _Running:
    """An instance being replayed."""

    rule: MetricRule
    cycle: int
    activated_at: datetime
    pauses: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    events: list[MetricEvent] = field(default_factory=list)
    fulfilled_at: datetime | None = None
    breached_at: datetime | None = None
    due_at_end: datetime | None = None

    @property
    def paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1][1] is None

    def closed_pauses(self) -> list[tuple[datetime, datetime]]:
        return [(low, high) for low, high in self.pauses if high is not None]


def ticket_metrics(
    rules: Iterable[MetricRule],
    created_at: datetime,
    priority: str | None,
    timeline: Sequence[TimelineEvent],
    now: datetime,
    status: str = "new",
) -> list[MetricInstance]:
    """Every metric instance of a ticket created at `created_at` with `priority` and `status`,
    replaying `timeline` (in order; events after `now` are not yet known) up to `now`.

    Instances come in activation order. Raises ValueError for naive instants, unknown event
    kinds or statuses, and a timeline out of order.
    """
    rules = [rule for rule in rules if rule.any_clock is not None]
    _check(created_at, timeline, now, status)
    ticket = _Replay(rules, priority, status)
    ticket.start(created_at)
    for event in timeline:
        if event.at > now:
            break
        ticket.breaches_before(event.at)
        ticket.apply(event)
    ticket.breaches_before(now)
    return [ticket.finish(instance, now) for instance in ticket.instances]


def _check(created_at: datetime, timeline: Sequence[TimelineEvent], now: datetime, status: str) -> None:
    for instant in (created_at, now, *(event.at for event in timeline)):
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"metric instants must be timezone-aware; got naive {instant!r}")
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; expected one of {', '.join(sorted(STATUSES))}")
    previous = created_at
    for event in timeline:
        if event.at < previous:
            raise ValueError(f"timeline out of order: {event!r} is before {previous.isoformat()}")
        previous = event.at
        if event.kind not in ("customer_message", "agent_reply", "status", "priority"):
            raise ValueError(f"unknown timeline event kind {event.kind!r}")
        if event.kind == "status" and event.value not in STATUSES:
            raise ValueError(f"unknown status {event.value!r}; expected one of {', '.join(sorted(STATUSES))}")


class _Replay:
    """The ticket's state while its timeline is replayed."""

    def __init__(self, rules: list[MetricRule], priority: str | None, status: str) -> None:
        self.rules = {rule.metric: rule for rule in rules}
        self.priority = priority
        self.priority_since: datetime | None = None  # when the current targets took effect
        self.status = status
        self.agent_replied = False
        self.instances: list[_Running] = []
        self.open: dict[MetricName, _Running] = {}

    def start(self, created_at: datetime) -> None:
        if self.status in DONE_STATUSES:
            return
        self.activate("first_response", created_at)
        self.activate("resolution", created_at)

    def activate(self, metric: MetricName, at: datetime) -> None:
        rule = self.rules.get(metric)
        if rule is None or metric in self.open:
            return
        cycle = 1 + sum(1 for instance in self.instances if instance.rule.metric == metric)
        instance = _Running(rule, cycle, at, events=[MetricEvent("activated", at)])
        if self.status in rule.pause_on:
            instance.pauses.append((at, None))
            instance.events.append(MetricEvent("paused", at))
        self.instances.append(instance)
        self.open[metric] = instance

    def fulfil(self, metric: MetricName, at: datetime) -> None:
        instance = self.open.pop(metric, None)
        if instance is None:
            return
        if instance.paused:
            low, _ = instance.pauses[-1]
            instance.pauses[-1] = (low, at)
        instance.due_at_end = self.due(instance)
        instance.fulfilled_at = at
        instance.events.append(MetricEvent("fulfilled", at))

    def due(self, instance: _Running) -> datetime | None:
        """The due under the current priority's target, with the pauses so far (all closed)."""
        clock = instance.rule.clock_for(self.priority)
        if clock is None:
            return None
        return due_with_pauses(clock.calendar, instance.activated_at, clock.target, instance.closed_pauses())

    def breaches_before(self, instant: datetime) -> None:
        """Breach each running instance whose clock ran out before `instant` (at it is in time)."""
        for instance in self.open.values():
            if instance.breached_at is not None or instance.paused:
                continue
            due = self.due(instance)
            if due is not None and due < instant:
                # A priority change to a target already exceeded breaches at the change.
                if self.priority_since is not None and self.priority_since > due:
                    due = self.priority_since.astimezone(UTC)
                instance.breached_at = due
                instance.events.append(MetricEvent("breached", due))

    def apply(self, event: TimelineEvent) -> None:
        done = self.status in DONE_STATUSES
        if event.kind == "priority":
            self.priority = event.value or None
            self.priority_since = event.at
        elif event.kind == "agent_reply" and not done:
            self.agent_replied = True
            for metric in _ANSWERED_BY_A_REPLY:
                self.fulfil(metric, event.at)
            self.activate("periodic_update", event.at)
        elif event.kind == "customer_message" and not done and self.agent_replied:
            self.activate("next_reply", event.at)  # no-op while one is owed: the oldest counts
        elif event.kind == "status":
            self.change_status(event.value, event.at)

    def change_status(self, status: str, at: datetime) -> None:
        was_done = self.status in DONE_STATUSES
        self.status = status
        if status in DONE_STATUSES:
            for metric in list(self.open):
                self.fulfil(metric, at)
            return
        if was_done:
            self.activate("resolution", at)  # a reopen starts a new resolution cycle
        for instance in self.open.values():
            pausing = status in instance.rule.pause_on
            if pausing and not instance.paused:
                instance.pauses.append((at, None))
                instance.events.append(MetricEvent("paused", at))
            elif not pausing and instance.paused:
                low, _ = instance.pauses[-1]
                instance.pauses[-1] = (low, at)
                instance.events.append(MetricEvent("resumed", at))

    def finish(self, instance: _Running, now: datetime) -> MetricInstance:
        end = instance.fulfilled_at or now
        due = instance.due_at_end if instance.fulfilled_at is not None else None
        if instance.fulfilled_at is None and not instance.paused:
            due = self.due(instance)
        clock = instance.rule.clock_for(self.priority) or instance.rule.any_clock
        assert clock is not None  # rules without any clock were dropped
        counted_on, _ = business_seconds_for(clock.calendar, clock.target)
        spans = [(low, high if high is not None else end) for low, high in instance.pauses]
        elapsed = business_time_between(counted_on, instance.activated_at, end, spans)
        state: MetricState
        if instance.breached_at is not None:
            state = "breached"
        elif instance.fulfilled_at is not None:
            state = "met"
        else:
            state = "paused" if instance.paused else "running"
        return MetricInstance(
            metric=instance.rule.metric,
            cycle=instance.cycle,
            state=state,
            activated_at=instance.activated_at.astimezone(UTC),
            due=due,
            fulfilled_at=instance.fulfilled_at.astimezone(UTC) if instance.fulfilled_at else None,
            breached_at=instance.breached_at,
            pauses=tuple(instance.pauses),
            elapsed=elapsed,
            events=tuple(sorted(instance.events, key=lambda event: event.at)),
        )


#: The order of events stored at one instant (an instance is activated before anything else).
_EVENT_ORDER: dict[str, int] = {"activated": 0, "paused": 1, "resumed": 2, "breached": 3, "fulfilled": 4}


def instances_from_events(
    rules: Iterable[MetricRule],
    priority: str | None,
    stored: Iterable[tuple[str, int, str, datetime]],
    now: datetime,
) -> list[MetricInstance]:
    """The metric instances of a ticket rebuilt from its stored events `(metric, cycle, kind, at)`
    (the rows the actions wrote) as of `now`, without its timeline: what a list of tickets reads
    in one query. Dues count on the target of the ticket's `priority` now, with the stored pauses.

    The actions store a breach only at their next write (the SLA watch on time), so a due that
    passed before the fulfilment, or before `now`, is a breach here too; a stored breach stands.
    An instance of a metric the rules no longer promise (a reloaded policy) is left out, and so
    is an event stamped after `now` (not yet known then). Instances come in activation order."""
    by_metric: dict[str, MetricRule] = {rule.metric: rule for rule in rules if rule.any_clock is not None}
    grouped: dict[tuple[str, int], list[tuple[str, datetime]]] = {}
    for metric, cycle, kind, at in stored:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError(f"metric instants must be timezone-aware; got naive {at!r}")
        if at > now:
            continue
        grouped.setdefault((metric, cycle), []).append((kind, at.astimezone(UTC)))
    instances = []
    for (metric, cycle), events in grouped.items():
        rule = by_metric.get(metric)
        events.sort(key=lambda event: (event[1], _EVENT_ORDER.get(event[0], 9)))
        activated = next((at for kind, at in events if kind == "activated"), None)
        if rule is None or activated is None:
            continue
        instances.append(_instance_from_events(rule, cycle, priority, activated, events, now))
    return sorted(instances, key=lambda instance: (instance.activated_at, instance.cycle))


def _instance_from_events(
    rule: MetricRule,
    cycle: int,
    priority: str | None,
    activated: datetime,
    events: list[tuple[str, datetime]],
    now: datetime,
) -> MetricInstance:
    pauses: list[tuple[datetime, datetime | None]] = []
    fulfilled_at = breached_at = None
    for kind, at in events:
        if kind == "paused" and not (pauses and pauses[-1][1] is None):
            pauses.append((at, None))
        elif kind == "resumed" and pauses and pauses[-1][1] is None:
            pauses[-1] = (pauses[-1][0], at)
        elif kind == "fulfilled" and fulfilled_at is None:
            fulfilled_at = at
        elif kind == "breached" and breached_at is None:
            breached_at = at
    if fulfilled_at is not None and pauses and pauses[-1][1] is None:
        pauses[-1] = (pauses[-1][0], fulfilled_at)  # fulfilling ends a pause
    paused = bool(pauses) and pauses[-1][1] is None
    end = fulfilled_at or now
    clock = rule.clock_for(priority)
    closed = [(low, high) for low, high in pauses if high is not None]
    due = None
    if clock is not None and not paused:
        due = due_with_pauses(clock.calendar, activated, clock.target, closed)
        if breached_at is None and due < end:
            breached_at = due
    counting = clock or rule.any_clock
    assert counting is not None  # rules without any clock were dropped
    counted_on, _ = business_seconds_for(counting.calendar, counting.target)
    spans = [(low, high if high is not None else end) for low, high in pauses]
    state: MetricState
    if breached_at is not None:
        state = "breached"
    elif fulfilled_at is not None:
        state = "met"
    else:
        state = "paused" if paused else "running"
    return MetricInstance(
        metric=rule.metric,
        cycle=cycle,
        state=state,
        activated_at=activated,
        due=due,
        fulfilled_at=fulfilled_at,
        breached_at=breached_at,
        pauses=tuple(pauses),
        elapsed=business_time_between(counted_on, activated, end, spans),
        events=tuple(MetricEvent(kind, at) for kind, at in events if kind in _EVENT_ORDER),  # type: ignore[arg-type]
    )


def next_due(instances: Iterable[MetricInstance]) -> MetricInstance | None:
    """The running instance whose due comes first (None when nothing runs against a target)."""
    running = [instance for instance in instances if instance.state in ("running", "breached")
               and instance.fulfilled_at is None and instance.due is not None]  # fmt: skip
    return min(running, key=lambda instance: (instance.due, instance.metric), default=None)
