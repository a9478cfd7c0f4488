"""The SLA watch: plan timers from tickets, fire the due ones, hand deliveries to the workers.

- **Plan** (`plan_ticket`, `plan_tickets`, `plan_open_tickets`): an open ticket with no public reply and a
  due time gets a warning at `POLICYDESK_SLA_WARNING_SHARE` of its target in business time
  on its own calendar, and a breach at `first_response_due` (C3, C6, C8). Planning is a
  reconciliation, so it can run any time: on each ticket change (receivers.py), when the
  policy is reloaded, and when a worker starts. A kind that already fired never fires again.
- **Fire** (`fire_due`): one conditional UPDATE claims a batch of due timers
  (`state=pending` → `fired`, with a claim token), and the same transaction writes their
  deliveries and enqueues the tasks that send them. A worker killed inside it leaves
  nothing behind (rollback: the timers are still pending); two workers racing get
  disjoint rows.
- **Sweep** (`enqueue_ready`): deliveries held for office hours whose time has come, and
  deliveries a dead worker left in `sending` past the lease, are enqueued again.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from policydesk.compiled_queries import connection_of, instant_binder, statement_cursor
from policydesk.desk_policy import get_policy, policy_path
from policydesk.mail.tasks import requeue_stalled
from policydesk.policy.model import Policy
from policydesk.tickets.models import OPEN_STATUSES, OPEN_TICKET, MetricEvent, Person, Ticket
from policydesk.together import done_together
from policydesk.watch import config, metric_plan, paging
from policydesk.watch.metric_plan import Planner, StoredInstance, TicketFacts, TimerKey, Wanted
from policydesk.watch.models import Delivery, DeliveryItem, Page, PlanMark, Timer
from policydesk.watch.notify import Directory
from policydesk.watch.owed import still_owed
from policydesk.watch.tasks import send_deliveries

log = logging.getLogger(__name__)

SLA_KINDS = (Timer.Kind.WARNING, Timer.Kind.BREACH)
TASK_CHUNK = 50  # deliveries per send task


# -- planning -----------------------------------------------------------------------------


def moments(
    policy: Policy, calendar_id: str, created_at: datetime, due: datetime, share: float
) -> dict[str, datetime]:
    """The first-response warning and breach instants of a ticket.

    The warning is at `share` of the target in business time on the ticket's calendar: the
    business time from creation to the due is the target (triage computed the due on the
    same calendar), so a ticket opened on a Friday evening is warned on Monday, not Saturday.
    """
    planned: dict[str, datetime] = {Timer.Kind.BREACH: due}
    calendar = policy.calendar(calendar_id)
    warning = metric_plan.warning_moment(calendar, created_at, due, share) if calendar else None
    if warning is not None:
        planned[Timer.Kind.WARNING] = warning
    return planned


@dataclass
class PlanResult:
    """What a planning pass changed."""

    tickets: int = 0
    created: int = 0
    moved: int = 0  # pending timers cancelled because their moment changed or no longer applies
    reactivated: int = 0
    retagged: int = 0  # same moment, now under the current policy version
    resume_after: int | None = None  # a partial plan: the last ticket id it planned


@dataclass
class _Row:
    id: int
    key: TimerKey
    fire_at: datetime
    due: datetime | None
    state: str
    policy_version: str


@dataclass
class _Changes:
    create: list[tuple[int, TimerKey, datetime, datetime]] = field(
        default_factory=list
    )  # ticket, key, at, due
    cancel: list[int] = field(default_factory=list)
    reactivate: list[int] = field(default_factory=list)
    retag: list[int] = field(default_factory=list)
    redue: list[tuple[int, datetime]] = field(default_factory=list)  # same moment, the due moved


def _reconcile_ticket(
    ticket_id: int, wanted: Wanted, rows: list[_Row], version: str, now: datetime, out: _Changes
) -> None:
    """Per (metric, cycle, kind): keep the pending timer at the wanted moment, cancel the others,
    re-activate or create the wanted one; nothing for a key that already fired (once only)."""
    by_key: dict[TimerKey, list[_Row]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row)
    for key in by_key.keys() | wanted.keys():
        mine = by_key.get(key, [])
        fired = any(row.state == Timer.State.FIRED for row in mine)
        want = None if fired else wanted.get(key)
        have_pending = False
        for row in mine:
            if row.state != Timer.State.PENDING:
                continue
            if want is not None and row.fire_at == want[0]:
                have_pending = True
                if row.policy_version != version:
                    out.retag.append(row.id)
                if row.due != want[1]:
                    out.redue.append((row.id, want[1]))
            else:
                out.cancel.append(row.id)
        if want is None or have_pending:
            continue
        cancelled = next((row for row in mine if row.fire_at == want[0]), None)
        if cancelled is not None:
            out.reactivate.append(cancelled.id)
            if cancelled.due != want[1]:
                out.redue.append((cancelled.id, want[1]))
        else:
            out.create.append((ticket_id, key, *want))


def _apply(changes: _Changes, version: str, now: datetime, result: PlanResult) -> None:
    for chunk in _chunks(changes.cancel, 2000):
        result.moved += Timer.objects.filter(pk__in=chunk, state=Timer.State.PENDING).update(
            state=Timer.State.CANCELLED
        )
    for chunk in _chunks(changes.reactivate, 2000):
        result.reactivated += Timer.objects.filter(pk__in=chunk, state=Timer.State.CANCELLED).update(
            state=Timer.State.PENDING, policy_version=version
        )
    for chunk in _chunks(changes.retag, 2000):
        result.retagged += Timer.objects.filter(pk__in=chunk).update(policy_version=version)
    for ident, due in changes.redue:  # rare: a moment unchanged while its instance's due moved
        Timer.objects.filter(pk=ident).update(due=due)
    _insert(changes.create, version, now)
    result.created += len(changes.create)


def _insert(new: list[tuple[int, TimerKey, datetime, datetime]], version: str, now: datetime) -> None:
    _write_timer_rows(_timer_rows(new, version, now))


#: The columns of `_timer_rows`, in order.
_TIMER_COLUMNS = (
    "ticket_id", "metric", "cycle", "kind", "fire_at", "due", "level", "state", "policy_version",
    "created_at", "claim",
)  # fmt: skip


def _timer_rows(
    new: list[tuple[int, TimerKey, datetime, datetime]], version: str, now: datetime
) -> list[tuple[Any, ...]]:
    """The rows of new pending timers, their values as the database takes them."""
    adapt = instant_binder(connection_of())
    created_at = adapt(now)
    pending = Timer.State.PENDING.value
    return [
        (ticket_id, metric, cycle, kind, adapt(instant), adapt(due), 0, pending, version, created_at, "")
        for ticket_id, (metric, cycle, kind), instant, due in new
    ]


#: Database vendor -> the INSERT of `_write_timer_rows`.
_timer_insert_sql: dict[str, str] = {}


def _write_timer_rows(rows: list[tuple[Any, ...]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, with executemany: planning 100,000 tickets creates
    hundreds of thousands of timers, and model-level bulk_create spends most of its time
    preparing values. A conflict is another worker planning the same ticket at the same time:
    harmless."""
    if not rows:
        return
    connection = connection_of()
    sql = _timer_insert_sql.get(connection.vendor)
    if sql is None:  # made once per database: a new ticket's timers are written under SQLite's lock
        ops = connection.ops
        table = ops.quote_name(Timer._meta.db_table)
        sql = _timer_insert_sql[connection.vendor] = (
            f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in _TIMER_COLUMNS)}) "  # noqa: S608 - our names
            f"VALUES ({', '.join(['%s'] * len(_TIMER_COLUMNS))}) ON CONFLICT DO NOTHING"
        )
    with statement_cursor(connection) as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def _rows(timers: QuerySet[Timer]) -> dict[int, list[_Row]]:
    by_ticket: dict[int, list[_Row]] = {}
    fields = ("id", "ticket_id", "metric", "cycle", "kind", "fire_at", "due", "state", "policy_version")
    for ident, ticket_id, metric, cycle, kind, fire_at, due, state, version in timers.values_list(*fields):
        by_ticket.setdefault(ticket_id, []).append(
            _Row(ident, (metric, cycle, kind), fire_at, due, state, version)
        )
    return by_ticket


_EVENT_FIELDS = ("ticket_id", "metric", "cycle", "kind", "at")


def _events(
    rows: Iterable[tuple[int, str, int, str, datetime]],
) -> dict[int, dict[tuple[str, int], StoredInstance]]:
    by_ticket: dict[int, list[tuple[str, int, str, datetime]]] = {}
    for ticket_id, metric, cycle, kind, at in rows:
        by_ticket.setdefault(ticket_id, []).append((metric, cycle, kind, at))
    return {ticket_id: metric_plan.stored_instances(events) for ticket_id, events in by_ticket.items()}


def _facts(ticket: Ticket) -> TicketFacts:
    return TicketFacts(
        pk=ticket.pk, is_open=ticket.is_open, plan=ticket.organisation.plan, office=ticket.office,
        priority=ticket.priority, mission_critical=ticket.mission_critical, calendar=ticket.calendar,
        created_at=ticket.created_at, first_response_due=ticket.first_response_due,
        first_responded_at=ticket.first_responded_at,
    )  # fmt: skip


def plan_ticket(
    ticket: Ticket,
    policy: Policy,
    now: datetime,
    *,
    new: bool = False,
    stored_events: Sequence[MetricEvent] | None = None,
) -> PlanResult:
    """Bring one ticket's warning and breach timers, of every metric, in line with its state (in
    the caller's transaction: the receivers call it inside the action that changed the ticket,
    after the action stored its metric events). `new`: the ticket was opened in this
    transaction, so it has no timers to read. `stored_events`: every metric event the ticket
    has, when the caller has just written them all (a new ticket's), instead of reading them."""
    if new and stored_events is not None:
        return prepare_new_ticket(ticket, policy, now, stored_events).write()
    planner = Planner(policy, config.warning_share())
    if stored_events is None:
        events: Iterable[tuple[int, str, int, str, datetime]] = (
            MetricEvent.objects.filter(ticket_id=ticket.pk).order_by("at", "id").values_list(*_EVENT_FIELDS)
        )
    else:  # in the order they were written, oldest first, as the query orders them
        events = [
            (ticket.pk, event.metric, event.cycle, event.kind, event.at)
            for event in sorted(stored_events, key=lambda event: event.at)
        ]
    instances = _events(events).get(ticket.pk, {})
    wanted = planner.wanted(_facts(ticket), instances)
    rows = (
        [] if new else _rows(Timer.objects.filter(ticket_id=ticket.pk, kind__in=SLA_KINDS)).get(ticket.pk, [])
    )
    changes = _Changes()
    _reconcile_ticket(ticket.pk, wanted, rows, policy.version, now, changes)
    result = PlanResult(tickets=1)
    _apply(changes, policy.version, now, result)
    return result


@dataclass(frozen=True)
class NewTicketPlan:
    """The timers of a ticket opened in the caller's transaction, worked out before it (perhaps
    before the ticket is saved, `prepare_new_ticket`): `write()` stores them, with the ticket's
    key as it is then."""

    ticket: Ticket
    rows: list[tuple[Any, ...]]  # the INSERT's rows, each with the ticket's key to fill in first

    def write(self) -> PlanResult:
        """Store the timers (in the transaction that saved the ticket)."""
        pk = self.ticket.pk
        if pk is None:
            raise ValueError("the ticket's timers are written once the ticket is saved")
        _write_timer_rows([(pk, *row[1:]) for row in self.rows])
        return PlanResult(tickets=1, created=len(self.rows))


def prepare_new_ticket(
    ticket: Ticket, policy: Policy, now: datetime, events: Sequence[MetricEvent]
) -> NewTicketPlan:
    """`plan_ticket(ticket, new=True, stored_events=events)` worked out now, written by the plan's
    `write()` in the intake's transaction (issue 17: on SQLite the planning was a tenth of the
    time an intake held the write lock). A new ticket has no timers: every wanted one is created."""
    planner = Planner(policy, config.warning_share())
    ordered = [  # in the order they were written, oldest first, as the query orders them
        (ticket.pk, event.metric, event.cycle, event.kind, event.at)
        for event in sorted(events, key=lambda event: event.at)
    ]
    instances = _events(ordered).get(ticket.pk, {})
    changes = _Changes()
    _reconcile_ticket(ticket.pk, planner.wanted(_facts(ticket), instances), [], policy.version, now, changes)
    return NewTicketPlan(ticket, _timer_rows(changes.create, policy.version, now))


_TICKET_FIELDS = (
    "pk", "organisation__plan", "office", "priority", "mission_critical", "calendar", "created_at",
    "first_response_due", "first_responded_at",
)  # fmt: skip


def plan_tickets(ticket_ids: Iterable[int], policy: Policy, now: datetime) -> PlanResult:
    """`plan_ticket` for many tickets at once, as they are stored now (in the caller's
    transaction): three reads whatever their number, where one by one would be two per ticket.
    A bulk change plans each chunk's tickets so (`planning_together`)."""
    result = PlanResult()
    planner = Planner(policy, config.warning_share())
    changes = _Changes()
    ids = sorted(set(ticket_ids))
    for chunk in _chunks(ids, 2000):
        found = Ticket.objects.filter(pk__in=chunk).values_list("status", *_TICKET_FIELDS)
        existing = _rows(Timer.objects.filter(ticket_id__in=chunk, kind__in=SLA_KINDS))
        events = _events(
            MetricEvent.objects.filter(ticket_id__in=chunk)
            .order_by("ticket_id", "at", "id")
            .values_list(*_EVENT_FIELDS)
        )
        for status, *row in found:
            facts = TicketFacts(row[0], status in OPEN_STATUSES, *row[1:])
            wanted = planner.wanted(facts, events.get(facts.pk, {}))
            _reconcile_ticket(facts.pk, wanted, existing.get(facts.pk, []), policy.version, now, changes)
            result.tickets += 1
    _apply(changes, policy.version, now, result)
    return result


#: The tickets whose re-plan waits for the end of a `planning_together` block (None: outside one).
_together: ContextVar[dict[int, datetime] | None] = ContextVar("planning_together", default=None)


def planning_together() -> AbstractContextManager[None]:
    """Inside this block (in one transaction), the receivers' re-plans are collected and done for
    every ticket at once when the block ends, with `plan_tickets`: a bulk change of 50 tickets
    reads their events and timers in three queries, not a hundred. Nothing is planned when the
    block raises (its transaction is rolled back with the changes)."""
    return done_together(_together, dict, _plan_waiting)


def _plan_waiting(waiting: dict[int, datetime]) -> None:
    plan_tickets(waiting, get_policy(), now=max(waiting.values()))


def replan(ticket: Ticket, policy: Policy, now: datetime) -> None:
    """Re-plan `ticket` after a change: now, or at the end of the `planning_together` block."""
    waiting = _together.get()
    if waiting is None:
        plan_ticket(ticket, policy, now=now)
    else:
        waiting[ticket.pk] = max(now, waiting.get(ticket.pk, now))


def plan_open_tickets(
    policy: Policy, now: datetime, chunk: int = 5000, *, after: int = 0, limit: int | None = None
) -> PlanResult:
    """Reconcile every open ticket's timers, of every metric (start-up, policy reload), and
    cancel pending SLA timers of tickets no longer open. Idempotent.

    `after`, `limit`: only the open tickets with a larger id, at most `limit` of them (a watch
    spreads a plan over its passes); `result.resume_after` is then the id to go on after, or
    None once the last ticket is planned (the cancelling of closed tickets' timers runs then)."""
    result = PlanResult()
    planner = Planner(policy, config.warning_share())
    open_tickets = Ticket.objects.filter(OPEN_TICKET).order_by("pk")
    last = after
    while limit is None or result.tickets < limit:
        size = chunk if limit is None else min(chunk, limit - result.tickets)
        batch = list(open_tickets.filter(pk__gt=last).values_list(*_TICKET_FIELDS)[:size])
        if not batch:
            break
        first, last = batch[0][0], batch[-1][0]
        span = {"ticket_id__gte": first, "ticket_id__lte": last}
        existing = _rows(Timer.objects.filter(**span, kind__in=SLA_KINDS))
        events = _events(
            MetricEvent.objects.filter(**span).order_by("ticket_id", "at", "id").values_list(*_EVENT_FIELDS)
        )
        changes = _Changes()
        for row in batch:
            facts = TicketFacts(row[0], True, *row[1:])
            wanted = planner.wanted(facts, events.get(facts.pk, {}))
            _reconcile_ticket(facts.pk, wanted, existing.get(facts.pk, []), policy.version, now, changes)
        with transaction.atomic():
            _apply(changes, policy.version, now, result)
        result.tickets += len(batch)
        if len(batch) < size:
            break
    else:
        result.resume_after = last
        return result
    result.moved += (
        Timer.objects.filter(state=Timer.State.PENDING, kind__in=SLA_KINDS)
        .exclude(ticket__in=Ticket.objects.filter(OPEN_TICKET))
        .update(state=Timer.State.CANCELLED)
    )
    if policy is get_policy():  # a plan under the desk's policy file (not one made up in code)
        PlanMark.objects.update_or_create(
            name=_OPEN_TICKETS, defaults={"signature": plan_signature(policy), "finished_at": now}
        )
    return result


#: Bump when planning computes different timers from the same tickets and policy (a new metric,
#: a changed rule): the next worker to start plans every open ticket again.
PLAN_RULES = "metrics-1"
_OPEN_TICKETS = "open-tickets"


def plan_signature(policy: Policy) -> str:
    """What a complete plan depends on besides the tickets (which the actions keep planned): the
    policy file's exact content (an edit that keeps its `version` string still counts), the
    warning share and the planning rules."""
    content = hashlib.sha256(policy_path().read_bytes()).hexdigest()[:32]
    return f"{policy.id}:{content}:{config.warning_share()}:{PLAN_RULES}"


def planned_already(policy: Policy) -> bool:
    """Whether every open ticket was planned under this policy, share and planning code."""
    return PlanMark.objects.filter(name=_OPEN_TICKETS, signature=plan_signature(policy)).exists()


# -- firing ------------------------------------------------------------------------------


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(slots=True)
class _Item:
    """A `DeliveryItem` row to insert once its delivery has an id (`_insert_items`)."""

    delivery: Delivery | int
    timer: Timer
    recipient_id: int
    deliver_after: datetime


def _insert_items(items: list[_Item]) -> None:
    """INSERT the items with executemany: a burst of timers tells thousands of people, and
    model-level bulk_create spends most of the firing time building and preparing the rows.
    No ON CONFLICT: (timer, recipient) is unique and a duplicate is a bug, as before."""
    if not items:
        return
    connection = connection_of()
    ops = connection.ops
    table = ops.quote_name(DeliveryItem._meta.db_table)
    columns = ("delivery_id", "timer_id", "ticket_id", "kind", "recipient_id", "moment", "deliver_after")
    sql = (
        f"INSERT INTO {table} ({', '.join(ops.quote_name(c) for c in columns)}) "  # noqa: S608 - our names
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    adapt = ops.adapt_datetimefield_value
    rows = [
        (
            item.delivery if isinstance(item.delivery, int) else item.delivery.pk,
            item.timer.pk, item.timer.ticket_id, item.timer.kind, item.recipient_id,
            adapt(item.timer.fire_at), adapt(item.deliver_after),
        )
        for item in items
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])


@dataclass
class _Notification:
    """A fired warning or breach to tell one person, from `deliver_after` on."""

    timer: Timer
    person: Person
    deliver_after: datetime

    def item(self, delivery: Delivery | int) -> _Item:
        """This notification as an item of `delivery` (a new one, or the id of a waiting one)."""
        return _Item(delivery, self.timer, self.person.pk, self.deliver_after)

    def delivery(self, deliver_after: datetime, now: datetime, *, digest: bool, count: int) -> Delivery:
        timer = self.timer
        return Delivery(
            key=f"t{timer.pk}-email-p{self.person.pk}",  # (timer, person) is unique: so is the key
            timer=timer,
            ticket=timer.ticket,
            kind=timer.kind,
            channel=Delivery.Channel.EMAIL,
            recipient=self.person,
            moment=timer.fire_at,
            deliver_after=deliver_after,
            created_at=now,
            digest=digest,
            notifications=count,
        )


def _notifications(timer: Timer, directory: Directory) -> list[_Notification]:
    ticket = timer.ticket
    return [
        _Notification(timer, person, directory.deliver_after(ticket, person, timer.fire_at))
        for person in directory.recipients(ticket, timer.kind)
    ]


DigestKey = tuple[int, datetime | None]  # recipient, and the opening it waits for (None: now)


def _digest_key(recipient_id: int, deliver_after: datetime, now: datetime) -> DigestKey:
    return (recipient_id, deliver_after if deliver_after > now else None)


def _sla_deliveries(notifications: list[_Notification], now: datetime) -> tuple[list[Delivery], list[_Item]]:
    """The messages that carry these notifications, new ones and items joined to waiting ones.

    A mission-critical ticket's notification is a message of its own, never held (C6). The
    rest are gathered per person: one digest for what may go out now, one per office opening
    for what is held, each joined to a digest of that person still waiting to be sent (never
    claimed) if there is one, so a burst of timers is one email per person, not one per ticket.
    """
    deliveries: list[Delivery] = []
    items: list[_Item] = []
    groups: dict[DigestKey, list[_Notification]] = {}
    for notification in notifications:
        if notification.timer.ticket.mission_critical:
            single = notification.delivery(notification.deliver_after, now, digest=False, count=1)
            deliveries.append(single)
            items.append(notification.item(single))
        else:
            key = _digest_key(notification.person.pk, notification.deliver_after, now)
            groups.setdefault(key, []).append(notification)
    if not groups:
        return deliveries, items
    waiting: dict[DigestKey, int] = {}
    candidates = Delivery.objects.filter(
        digest=True, state=Delivery.State.PENDING, attempts=0, recipient_id__in={key[0] for key in groups}
    ).order_by("pk")
    for ident, recipient_id, deliver_after in candidates.values_list("pk", "recipient_id", "deliver_after"):
        waiting.setdefault(_digest_key(recipient_id, deliver_after, now), ident)
    for key, members in groups.items():
        joined = waiting.get(key)
        # Joining is a conditional UPDATE, like any claim: 0 rows if a sender has claimed the
        # digest meanwhile (it has read its items: start a new one). On PostgreSQL its row lock
        # makes a sender's claim wait for this commit, so the sender then reads these items too.
        if joined is not None and Delivery.objects.filter(
            pk=joined, state=Delivery.State.PENDING, attempts=0
        ).update(notifications=F("notifications") + len(members)):
            items += [notification.item(joined) for notification in members]
            continue
        after = min(notification.deliver_after for notification in members)
        digest = members[0].delivery(after, now, digest=True, count=len(members))
        deliveries.append(digest)
        items += [notification.item(digest) for notification in members]
    return deliveries, items


def _page_deliveries(timer: Timer, page: Page, now: datetime) -> list[Delivery]:
    """One paging level (C6): the next person of the week's rota, or the leads after the last;
    and the timer of the following level, acknowledgement permitting."""
    people, last = paging.targets(timer.fire_at, timer.level)
    Page.objects.filter(pk=page.pk).update(level=timer.level)
    if not last:
        Timer.objects.create(
            ticket=timer.ticket,
            kind=Timer.Kind.PAGE,
            level=timer.level + 1,
            fire_at=now + config.page_ack_timeout(),
            policy_version=timer.policy_version,
            created_at=now,
        )
    if not people:
        log.error("ticket %s is mission-critical but nobody is on call and there is no lead", timer.ticket_id)
    deliveries = []
    for channel in paging.channels():
        addressees: list[Person | None] = list(people) if channel.per_person else [None]
        for person in addressees:
            suffix = f"p{person.pk}" if person is not None else "all"
            deliveries.append(
                Delivery(
                    key=f"t{timer.pk}-{channel.name}-{suffix}",
                    timer=timer,
                    ticket=timer.ticket,
                    kind=timer.kind,
                    channel=channel.name,
                    recipient=person,
                    moment=timer.fire_at,
                    deliver_after=timer.fire_at,  # C6: 24x7, never held
                    created_at=now,
                )
            )
    return deliveries


def _breach_event(timer: Timer) -> MetricEvent:
    return MetricEvent(
        ticket_id=timer.ticket_id, metric=timer.metric, cycle=timer.cycle, kind=MetricEvent.Kind.BREACHED,
        at=timer.fire_at, policy_version=timer.policy_version,
    )  # fmt: skip


def fire_timers(ids: list[int], now: datetime) -> int:
    """Claim and fire these timers if they are still pending and due; the number fired here."""
    if not ids:
        return 0
    token = uuid.uuid4().hex
    directory = Directory(get_policy())
    with transaction.atomic():
        claimed = Timer.objects.filter(pk__in=ids, state=Timer.State.PENDING, fire_at__lte=now).update(
            state=Timer.State.FIRED, fired_at=now, claim=token
        )
        if not claimed:
            return 0
        timers = Timer.objects.filter(pk__in=ids, claim=token).select_related(
            "ticket", "ticket__organisation", "ticket__assignee"
        )
        deliveries: list[Delivery] = []
        notifications: list[_Notification] = []
        moot: list[int] = []
        sla_timers = [timer for timer in timers if timer.kind != Timer.Kind.PAGE]
        for timer in timers:
            if timer.kind == Timer.Kind.PAGE:
                page = Page.objects.filter(ticket_id=timer.ticket_id, state=Page.State.OPEN).first()
                if page is None:
                    moot.append(timer.pk)
                else:
                    deliveries += _page_deliveries(timer, page, now)
        breaches: list[MetricEvent] = []
        for timer, owed in zip(sla_timers, still_owed(sla_timers), strict=True):
            if not owed:  # answered, solved or paused since the plan: a receiver should have cancelled it
                moot.append(timer.pk)
                continue
            notifications += _notifications(timer, directory)
            if timer.kind == Timer.Kind.BREACH:
                breaches.append(_breach_event(timer))
        if moot:
            Timer.objects.filter(pk__in=moot).update(state=Timer.State.CANCELLED)
        # The breach is stored when it happens, not by the ticket's next action (the same row
        # that action would store: a conflict, skipped).
        MetricEvent.objects.bulk_create(breaches, ignore_conflicts=True)
        notified, items = _sla_deliveries(notifications, now)
        deliveries += notified
        for delivery in deliveries:
            # Digests are left to the sweep at the end of the pass (`enqueue_ready`), so that
            # what the pass's later batches add for the same person goes in the same email.
            if delivery.deliver_after <= now and not delivery.digest:
                delivery.enqueued_at = now
        Delivery.objects.bulk_create(deliveries, batch_size=1000)
        _insert_items(items)
        _enqueue_send([d.pk for d in deliveries if d.enqueued_at is not None])
    return claimed


def fire_due(now: datetime, limit: int = 500) -> int:
    """Fire every pending timer whose moment has come, a batch (one transaction) at a time."""
    fired = 0
    while True:
        ids = list(
            Timer.objects.filter(state=Timer.State.PENDING, fire_at__lte=now)
            .order_by("fire_at")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return fired
        fired += fire_timers(ids, now)
        if len(ids) < limit:
            return fired


def _enqueue_send(ids: list[int]) -> None:
    for chunk in _chunks(ids, TASK_CHUNK):
        send_deliveries.enqueue(chunk)


def enqueue_ready(now: datetime, limit: int = 2000) -> int:
    """Enqueue deliveries whose hold has ended, or whose sender vanished past the lease."""
    cutoff = now - config.delivery_lease()
    ready = Delivery.objects.filter(
        Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff),
        Q(state=Delivery.State.PENDING, deliver_after__lte=now)
        | Q(state=Delivery.State.SENDING, claimed_at__lt=cutoff),
    )
    total = 0
    while True:
        ids = list(ready.order_by("deliver_after").values_list("pk", flat=True)[:limit])
        if not ids:
            return total
        token = uuid.uuid4().hex
        with transaction.atomic():
            ready.filter(pk__in=ids).update(enqueued_at=now, claim=token)
            mine = list(Delivery.objects.filter(pk__in=ids, claim=token).values_list("pk", flat=True))
            _enqueue_send(mine)
        total += len(mine)
        if len(ids) < limit:
            return total


# -- the loop ----------------------------------------------------------------------------


#: Open tickets a watch pass plans at most (start-up, policy reload): with every metric, about
#: 5 s of work, so a pass still fires what is due every few seconds while 100,000 tickets are
#: re-planned over a minute or two (BENCHMARKS.md).
PLAN_PER_PASS = 5000


@dataclass
class Watch:
    """The state one watch loop keeps between passes: which policy it plans under, and how far
    its plan of the open tickets has come (`plan_per_pass` tickets a pass; None: all at once)."""

    planned: Policy | None = None
    plan_per_pass: int | None = PLAN_PER_PASS
    plan_after: int | None = None  # the last ticket id planned, while a plan is under way

    def tick(self, now: datetime) -> dict[str, int]:
        """One pass: (re-)plan if the policy changed (or on the first pass, unless the last
        complete plan was under the same signature), a slice at a time, then fire and sweep.
        Until a plan has gone round, the tickets not reached yet keep the timers the actions
        (or an earlier plan) gave them."""
        policy = get_policy()
        figures: dict[str, int] = {}
        if policy is not self.planned:
            # A worker starting (or a policy file touched but unchanged) under the signature of
            # the last complete plan skips it: the actions kept every ticket planned since.
            self.planned, self.plan_after = policy, None if planned_already(policy) else 0
        if self.plan_after is not None:
            planned = plan_open_tickets(policy, now, after=self.plan_after, limit=self.plan_per_pass)
            self.plan_after = planned.resume_after
            figures.update(planned=planned.tickets, created=planned.created, moved=planned.moved)
        figures["fired"] = fire_due(now)
        figures["enqueued"] = enqueue_ready(now)
        # Mail whose sender died (docs/email.md); the desk's one periodic loop runs this sweep too.
        figures["mail_requeued"] = requeue_stalled(now)
        return figures


@task()
def fire_timers_now(ids: list[int]) -> int:
    """Fire these timers now (the watch loop would too, a few seconds later: the claim makes
    the second one harmless). Enqueued by the intake transaction of a mission-critical
    ticket (receivers.py), so its first page leaves at once (C6). Defined here, beside what
    it runs: `watch.tasks` (the sending task) is imported by this module, never the reverse."""
    return fire_timers(ids, timezone.now())
