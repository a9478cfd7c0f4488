"""The figures of the attainment reports (C10), computed from the audit events.

A ticket's promise is read from its `ticket.opened` event (office, first-response due,
mission-critical, policy version), or from its latest `ticket.request_type` event when an agent
changed the request type since (triage ran again: the promise is the one for the type the
request really is, as the ticket page shows); its first response is the earliest `ticket.replied`
event with `first_response` or `ticket.deflected` event. The ticket row adds the facts
the event does not carry (the organisation's plan, the clock's calendar). Because the
promise and the answer are events, the same facts can be replayed under another policy
(`reports/simulate.py`).

Everything takes `now`: a ticket without an answer is *pending* until its due instant has
passed at `now`, *breached* after. Business time to first response is counted on the
ticket's own calendar with `policydesk.sla.business_time_between`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import numpy as np
from django.db.models import Count, Q

from policydesk import sla
from policydesk.policy.model import GLOBAL, Policy
from policydesk.tickets.models import OPEN_STATUSES, AuditEvent, Ticket

DEFAULT_WEEKS = 8


class Outcome(StrEnum):
    MET = "met"
    BREACHED = "breached"
    PENDING = "pending"
    NO_TARGET = "no-target"


def classify(due: datetime | None, answered_at: datetime | None, now: datetime) -> Outcome:
    """Met when the first answer came by the due instant (inclusive), breached when it came
    later or has not come and the due instant has passed, pending until then (C10)."""
    if due is None:
        return Outcome.NO_TARGET
    if answered_at is not None:
        return Outcome.MET if answered_at <= due else Outcome.BREACHED
    return Outcome.BREACHED if now > due else Outcome.PENDING


@dataclass(frozen=True)
class Period:
    """Tickets created from `start` to `end`, both dates included, in UTC days."""

    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """The exclusive end instant: midnight after `end`."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC)

    @classmethod
    def default(cls, now: datetime) -> Period:
        """The last DEFAULT_WEEKS weeks: from a Monday to today, the current week included."""
        today = now.astimezone(UTC).date()
        return cls(week_of(today) - timedelta(weeks=DEFAULT_WEEKS - 1), today)

    def weeks(self) -> list[date]:
        """The Mondays of every week the period touches."""
        first, last = week_of(self.start), week_of(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]


def week_of(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class TicketFacts:
    """One ticket opened in the period, as the events recorded it."""

    ticket_id: int
    number: int
    plan: str
    region: str
    topic: str
    channel: str
    office: str
    calendar: str
    created_at: datetime
    due: datetime | None
    answered_at: datetime | None
    mission_critical: bool
    policy_version: str


def _parse_instant(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def first_answers(since: datetime, until: datetime) -> dict[int, datetime]:
    """Ticket id -> the instant of its first answer, among answers from `since` to `until`."""
    events = (
        AuditEvent.objects.filter(subject_type="ticket", at__gte=since, at__lte=until)
        .filter(Q(action="ticket.replied", data__first_response=True) | Q(action="ticket.deflected"))
        .values_list("subject_id", "at")
    )
    answers: dict[int, datetime] = {}
    for subject_id, at in events:
        ticket_id = int(subject_id)
        if ticket_id not in answers or at < answers[ticket_id]:
            answers[ticket_id] = at
    return answers


def _retriaged(since: datetime, until: datetime) -> dict[int, dict[str, object]]:
    """Ticket id -> the promise after the latest request-type change from `since` to `until`
    (`do_change_request_type`'s `after`: office, calendar, first-response due, mission-critical)."""
    events = (
        AuditEvent.objects.filter(
            action="ticket.request_type", subject_type="ticket", at__gte=since, at__lte=until
        )
        .order_by("at", "pk")
        .values_list("subject_id", "data")
    )
    return {int(subject_id): dict(data.get("after") or {}) for subject_id, data in events}


def ticket_facts(period: Period, now: datetime, tag: str = "") -> list[TicketFacts]:
    """Every ticket opened in `period` (and by `now`), those carrying `tag` (normalised) when one
    is given, in four queries whatever their number."""
    until = min(period.end_at, now)
    opened = AuditEvent.objects.filter(
        action="ticket.opened", subject_type="ticket", at__gte=period.start_at, at__lt=until
    ).values_list("subject_id", "at", "data")
    tickets = Ticket.objects.filter(created_at__gte=period.start_at, created_at__lt=until)
    if tag:
        tickets = tickets.filter(tags__name=tag)
    rows = {
        row[0]: row
        for row in tickets.values_list(
            "pk", "number", "organisation__plan", "organisation__region", "topic", "channel", "calendar"
        )
    }
    answers = first_answers(period.start_at, now)
    retriaged = _retriaged(period.start_at, now)
    facts = []
    for subject_id, at, opening in opened:
        row = rows.get(int(subject_id))
        if row is None:  # the row is gone (or was created at another instant than its event)
            continue
        pk, number, plan, region, topic, channel, calendar = row
        data = {**opening, **retriaged.get(pk, {})}
        facts.append(
            TicketFacts(
                ticket_id=pk,
                number=number,
                plan=plan,
                region=region,
                topic=topic,
                channel=channel,
                office=str(data.get("office") or ""),
                calendar=calendar,
                created_at=at,
                due=_parse_instant(data.get("first_response_due")),
                answered_at=answers.get(pk),
                mission_critical=bool(data.get("mission_critical")),
                policy_version=str(data.get("policy_version") or ""),
            )
        )
    facts.sort(key=lambda f: (f.created_at, f.ticket_id))
    return facts


def business_seconds_to_answer(policy: Policy, facts: Sequence[TicketFacts]) -> dict[int, int]:
    """Ticket id -> business seconds from creation to first answer, on the ticket's calendar.

    Vectorised per calendar. Tickets without an answer, or whose calendar the policy no
    longer has (or never had: no target, e.g. Plus), are left out.
    """
    by_calendar: dict[str, list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        if fact.answered_at is not None and fact.calendar:
            by_calendar[fact.calendar].append(fact)
    seconds: dict[int, int] = {}
    for calendar_id, group in by_calendar.items():
        calendar = policy.calendar(calendar_id)
        if calendar is None:
            continue
        created = np.array([sla.epoch_seconds(f.created_at) for f in group], dtype=np.int64)
        answered = np.array(
            [sla.epoch_seconds(f.answered_at) for f in group if f.answered_at], dtype=np.int64
        )
        spans = sla.business_time_between(calendar, created, answered)
        seconds.update(zip((f.ticket_id for f in group), (int(s) for s in spans), strict=True))
    return seconds


# -- attainment -----------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    """First-response figures of one group of tickets."""

    key: str
    tickets: int
    met: int
    breached: int
    pending: int
    no_target: int
    answered: int  # with a business time to first response
    median_seconds: float | None
    p90_seconds: float | None

    @property
    def attainment(self) -> float | None:
        """Met as a share of the decided (met or breached) tickets, in percent."""
        decided = self.met + self.breached
        return 100.0 * self.met / decided if decided else None


def percentile_90(values: Sequence[int]) -> float | None:
    """The nearest-rank 90th percentile: the smallest value at least 90% of values do not exceed."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values), 90, method="inverted_cdf"))


def median(values: Sequence[int]) -> float | None:
    return float(np.median(np.asarray(values))) if values else None


def attainment_of(
    key: str, facts: Iterable[TicketFacts], business: dict[int, int], now: datetime
) -> Attainment:
    counts = dict.fromkeys(Outcome, 0)
    spans = []
    total = 0
    for fact in facts:
        total += 1
        counts[classify(fact.due, fact.answered_at, now)] += 1
        if fact.ticket_id in business:
            spans.append(business[fact.ticket_id])
    return Attainment(
        key=key,
        tickets=total,
        met=counts[Outcome.MET],
        breached=counts[Outcome.BREACHED],
        pending=counts[Outcome.PENDING],
        no_target=counts[Outcome.NO_TARGET],
        answered=len(spans),
        median_seconds=median(spans),
        p90_seconds=percentile_90(spans),
    )


def grouped(
    facts: Sequence[TicketFacts],
    key: Callable[[TicketFacts], str],
    order: Sequence[str],
    business: dict[int, int],
    now: datetime,
    keep_empty: bool = False,
) -> list[Attainment]:
    """Attainment per group, groups in `order` first (kept when empty if `keep_empty`), then any others."""
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        groups[key(fact)].append(fact)
    keys = [k for k in order if keep_empty or k in groups]
    keys += sorted(k for k in groups if k not in order)
    return [attainment_of(k, groups.get(k, []), business, now) for k in keys]


#: The "by tag" report shows the tags of the most tickets, at most this many (the page says so).
MAX_TAG_ROWS = 30
#: The key of the tickets without a tag in the "by tag" report.
UNTAGGED = ""


def tags_of_tickets(period: Period, now: datetime) -> dict[int, list[str]]:
    """Ticket id -> its tags (as they are now), for the tickets opened in `period`; one query."""
    through = Ticket.tags.through.objects.filter(
        ticket__created_at__gte=period.start_at, ticket__created_at__lt=min(period.end_at, now)
    ).values_list("ticket_id", "tag__name")
    tags: dict[int, list[str]] = defaultdict(list)
    for ticket_id, name in through:
        tags[ticket_id].append(name)
    return tags


def by_tag(
    facts: Sequence[TicketFacts], tags: dict[int, list[str]], business: dict[int, int], now: datetime
) -> list[Attainment]:
    """Attainment per tag (a ticket with two tags counts in both), the MAX_TAG_ROWS tags of the
    most tickets first (ties by name), then the tickets with no tag (key UNTAGGED)."""
    groups: dict[str, list[TicketFacts]] = defaultdict(list)
    for fact in facts:
        for name in tags.get(fact.ticket_id) or [UNTAGGED]:
            groups[name].append(fact)
    named = sorted((k for k in groups if k != UNTAGGED), key=lambda k: (-len(groups[k]), k))[:MAX_TAG_ROWS]
    keys = named + ([UNTAGGED] if UNTAGGED in groups else [])
    return [attainment_of(k, groups[k], business, now) for k in keys]


def office_order(policy: Policy) -> list[str]:
    return [*policy.offices, GLOBAL]


@dataclass(frozen=True)
class AttainmentReport:
    period: Period
    now: datetime
    by_plan: list[Attainment]
    by_office: list[Attainment]
    by_week: list[Attainment]
    mission_critical: list[Attainment]  # by week
    total: Attainment
    by_tag: list[Attainment]


def attainment_report(policy: Policy, period: Period, now: datetime, tag: str = "") -> AttainmentReport:
    """The attainment tables of the tickets opened in `period`, of those tagged `tag` if given."""
    facts = ticket_facts(period, now, tag)
    business = business_seconds_to_answer(policy, facts)
    weeks = [w.isoformat() for w in period.weeks()]

    def week_key(fact: TicketFacts) -> str:
        return week_of(fact.created_at.astimezone(UTC).date()).isoformat()

    critical = [f for f in facts if f.mission_critical]
    return AttainmentReport(
        period=period,
        now=now,
        by_plan=grouped(facts, lambda f: f.plan, list(policy.plans), business, now),
        by_office=grouped(facts, lambda f: f.office, office_order(policy), business, now),
        by_week=grouped(facts, week_key, weeks, business, now, keep_empty=True),
        mission_critical=grouped(critical, week_key, weeks, business, now, keep_empty=True),
        total=attainment_of("all", facts, business, now),
        by_tag=by_tag(facts, tags_of_tickets(period, now), business, now),
    )


# -- deflections and backlog ----------------------------------------------------------


@dataclass(frozen=True)
class DeflectionCount:
    key: str
    at_intake: int  # triage sent the request elsewhere (request.deflected)
    by_agent: int  # an agent found an open ticket out of scope (ticket.deflected)

    @property
    def total(self) -> int:
        return self.at_intake + self.by_agent


@dataclass(frozen=True)
class DeflectionReport:
    by_topic: list[DeflectionCount]
    by_route: list[DeflectionCount]


def deflection_report(policy: Policy, period: Period, now: datetime) -> DeflectionReport:
    """Deflections in the period by topic and by route (C12, C17-C20), from their events."""
    events = AuditEvent.objects.filter(
        action__in=("request.deflected", "ticket.deflected"),
        at__gte=period.start_at,
        at__lt=min(period.end_at, now),
    ).values_list("action", "data")
    topics: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    routes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for action, data in events:
        column = 0 if action == "request.deflected" else 1
        topics[str(data.get("topic", ""))][column] += 1
        routes[str(data.get("route", ""))][column] += 1

    def rows(counts: dict[str, list[int]], order: Iterable[str]) -> list[DeflectionCount]:
        keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in set(order))
        return [DeflectionCount(k, *counts[k]) for k in keys]

    topic_order = [*policy.out_of_scope, *policy.request_types]
    return DeflectionReport(by_topic=rows(topics, topic_order), by_route=rows(routes, list(policy.routes)))


@dataclass(frozen=True)
class Backlog:
    queue: str
    open: int
    unanswered: int
    overdue: int  # unanswered and past the due instant at `now`
    mission_critical: int


def backlog_report(policy: Policy, now: datetime, tag: str = "") -> list[Backlog]:
    """Open tickets per queue at `now` (the current backlog, whatever the period), those tagged
    `tag` if given, one query."""
    unanswered = Q(first_responded_at__isnull=True)
    open_tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    if tag:
        open_tickets = open_tickets.filter(tags__name=tag)
    rows = (
        open_tickets.values("office")
        .annotate(
            open=Count("pk"),
            unanswered=Count("pk", filter=unanswered),
            overdue=Count("pk", filter=unanswered & Q(first_response_due__lt=now)),
            mission_critical=Count("pk", filter=Q(mission_critical=True)),
        )
        .order_by()
    )
    found = {r["office"]: r for r in rows}
    order = [q for q in office_order(policy) if q in found] + sorted(
        q for q in found if q not in office_order(policy)
    )
    return [
        Backlog(
            q, found[q]["open"], found[q]["unanswered"], found[q]["overdue"], found[q]["mission_critical"]
        )
        for q in order
    ]
